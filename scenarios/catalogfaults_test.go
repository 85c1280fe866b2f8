package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/features"
)

// Every fault step of the step catalog injects a fault the fault catalog
// takes: its example's kind and parameters parse as drill faults reads
// them, so a step in words can never name a kind or a value the run
// would refuse.
func TestCatalogFaultStepsAreFaults(t *testing.T) {
	n := 0
	for _, st := range features.Catalog() {
		if st.Keyword != "When" || strings.Contains(st.Example, "\n") || strings.Contains(st.Example, "fault \"") {
			continue // a table of faults and "fault X hits Y" take any kind
		}
		src := "Feature: f\n  Scenario: s\n    " + st.Example + "\n"
		scs, err := features.Parse("f.feature", []byte(src))
		require.NoError(t, err, st.Example)
		require.Empty(t, features.Check(scs), st.Example)
		uses := features.Faults(scs)
		require.NotEmpty(t, uses, st.Example)
		for _, u := range uses {
			require.NoError(t, u.Err, st.Example)
			_, err := faults.Parse(u.Kind, u.Params)
			require.NoError(t, err, "%s: %s %v", st.Example, u.Kind, u.Params)
			n++
		}
	}
	require.GreaterOrEqual(t, n, 25)
}
