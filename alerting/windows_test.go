package alerting

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRuleWindows(t *testing.T) {
	rec := func(name, expr string) Rule { return Rule{Record: name, Expr: expr, File: "a.yaml"} }
	alert := func(name, expr string) Rule { return Rule{Alert: name, Expr: expr, File: "a.yaml"} }
	ws, err := RuleWindows([]Rule{
		rec("job:errors:ratio5m", "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))"),
		rec("job:errors:ratio1h", "sum(rate(errors_total[1h])) / sum(rate(requests_total[1h]))"),
		rec("loop_a", "loop_b + rate(x_total[10m])"),
		rec("loop_b", "loop_a"),
		// the shorter of the two windows counts
		alert("Burn", "job:errors:ratio5m > 0.1 and job:errors:ratio1h > 0.1"),
		// its own range
		alert("Canary", "increase(canary_failures_total[10m]) > 0"),
		// instant values only: no window
		alert("Saturated", "inflight > 50"),
		// a recording-rule cycle ends
		alert("Loop", "loop_a > 1"),
		// counts scrapes, not requests: no window
		alert("Scrapes", "max_over_time(up[1m]) < 1 or absent_over_time(up[1m])"),
		// a quantile of a counted histogram
		alert("Slow", "histogram_quantile(0.99, sum by (le) (rate(latency_bucket[3m]))) > 2"),
		// defined twice: its shortest window counts
		alert("Slow", "histogram_quantile(0.99, sum by (le) (rate(latency_bucket[20m]))) > 1"),
		// a recorded name selected by __name__, from another file; a
		// subquery samples an expression, not requests: only the recorded
		// 5m counts
		{Alert: "Spend", Expr: `{__name__="job:errors:ratio5m"} > 0.5 or max_over_time(cost_total[2m:30s]) > 1`, File: "b.yaml"},
	})
	require.NoError(t, err)
	require.Equal(t, []Window{
		{Alert: "Slow", Range: 3 * time.Minute},
		{Alert: "Burn", Range: 5 * time.Minute},
		{Alert: "Spend", Range: 5 * time.Minute},
		{Alert: "Canary", Range: 10 * time.Minute},
		{Alert: "Loop", Range: 10 * time.Minute},
	}, ws)
}

func TestRuleWindowsNamesTheBadFile(t *testing.T) {
	_, err := RuleWindows([]Rule{{Alert: "X", Expr: "rate(x[5m]", File: "bad.yaml"}})
	require.ErrorContains(t, err, "bad.yaml")
}
