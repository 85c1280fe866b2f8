package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scoring"
)

// drill run --help defines the scorecard's timings and phases as the
// README, docs/metrics.md and the schema do: from the one table.
func TestRunHelpDefinesTheMetrics(t *testing.T) {
	code, out, _ := runCLI(t, "run", "--help")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, scoring.MetricsHelp())
	flat := strings.Join(strings.Fields(out), " ")
	for _, k := range []scoring.MetricKind{scoring.KindTiming, scoring.KindPhase} {
		for _, m := range scoring.MetricsOf(k) {
			require.Contains(t, flat, m.Span(), m.Name)
		}
	}
}
