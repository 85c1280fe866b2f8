package features

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTrainerMeasure is issue 18's measure: step lines a trainer wrote
// from the docs alone, committed before the grammar was tuned on them
// (testdata/trainer-measure.feature), and a holdout written after that
// tuning (testdata/trainer-holdout.feature), a second holdout written
// before the last round of phrasings (testdata/trainer-holdout-2.feature),
// and a third written before the measures' bad side and the rate limit's
// rate (testdata/trainer-holdout-3.feature). At least 9 in 10 of each are
// accepted as written; the test lists the others.
func TestTrainerMeasure(t *testing.T) {
	for _, file := range []string{"testdata/trainer-measure.feature", "testdata/trainer-holdout.feature", "testdata/trainer-holdout-2.feature", "testdata/trainer-holdout-3.feature"} {
		t.Run(file, func(t *testing.T) { measureFile(t, file) })
	}
}

// measureFile counts the step lines of file that the catalog accepts as
// written, and requires 9 in 10 of at least 40.
func measureFile(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	scs, err := Parse(file, src)
	require.NoError(t, err)
	lines := map[int]bool{}
	for _, sc := range scs {
		for _, st := range sc.Steps {
			lines[st.Line] = true
		}
	}
	missed := map[int]bool{}
	var misses []string
	for _, p := range Check(scs) {
		if !missed[p.Line] {
			missed[p.Line] = true
			misses = append(misses, p.String())
		}
	}
	accepted := len(lines) - len(missed)
	rate := float64(accepted) / float64(len(lines))
	t.Logf("trainer measure: %d of %d step lines accepted (%.0f%%); not accepted:\n%s", accepted, len(lines), rate*100, strings.Join(misses, "\n"))
	require.GreaterOrEqual(t, len(lines), 40)
	require.GreaterOrEqual(t, rate, 0.9, "not accepted:\n%s", strings.Join(misses, "\n"))
}
