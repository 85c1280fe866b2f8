package scenarios

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/internal/docgen"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/")

// liveLimitsMarkdown is the limits of the live series check and of an
// alert's explanation, as docs/ci.md states them.
func liveLimitsMarkdown() string {
	var b strings.Builder
	b.WriteString("| limit | value |\n|---|---|\n")
	fmt.Fprintf(&b, "| the wait for the world to show its metrics (every target scraped, a finished request of every kind in the mix), real time | %s, then exit 4 |\n", DefaultSettle)
	fmt.Fprintf(&b, "| how often it scrapes while it waits, real time | %s |\n", settlePoll)
	fmt.Fprintf(&b, "| label values (or label names) listed per matcher | %d, then \"and N more\" |\n", alerting.MaxListedValues)
	fmt.Fprintf(&b, "| closest metric names suggested | %d |\n", alerting.MaxClosestNames)
	fmt.Fprintf(&b, "| a value or label offered as the one meant (\"did you mean\") | at most %d edits away, and at most a third of the asked-for value's length |\n", alerting.NearEdits)
	fmt.Fprintf(&b, "| evaluations of an expression for the value it reached | %d over the scenario (the step grows beyond) |\n", alerting.MaxReachSteps)
	fmt.Fprintf(&b, "| recording rules followed into their selectors | %d deep |\n", alerting.MaxRecordingDepth)
	return b.String()
}

func TestDocs(t *testing.T) {
	require.NoError(t, docgen.Check("../docs/ci.md", "live-limits", liveLimitsMarkdown(), "go test ./scenarios -run TestDocs -update", *update))
}
