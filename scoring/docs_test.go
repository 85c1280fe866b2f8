package scoring

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/docgen"
)

// docsHow regenerates the docs Metrics defines.
const docsHow = "go test ./scoring -run TestDocs -update"

// The README's and docs/metrics.md's definitions of every metric are
// Metrics, rendered.
func TestDocs(t *testing.T) {
	require.NoError(t, docgen.Check("../README.md", "metrics", MetricsMarkdown(false), docsHow, *update))
	require.NoError(t, docgen.Check("../docs/metrics.md", "metrics-full", MetricsMarkdown(true), docsHow, *update))
	require.NoError(t, docgen.Check("../docs/ci.md", "gate-metrics", GatesMarkdown(), docsHow, *update))
}

// Every gate metric is documented in exactly one row of the table, and
// the table names no metric a gate does not know.
func TestGateDocsCoverEveryMetric(t *testing.T) {
	rows := map[string]int{}
	for _, d := range gateDocs {
		for _, n := range d.names {
			rows[n]++
		}
	}
	for _, m := range MetricsOf(KindTiming) {
		for _, q := range []string{"_p50", "_p90", "_max"} {
			rows[m.Field+q]++
		}
	}
	for _, m := range GateMetrics() {
		require.Equal(t, 1, rows[m], m)
		delete(rows, m)
	}
	require.Empty(t, rows, "documented, but no gate metric")
}
