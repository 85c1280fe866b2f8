package alerting

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRuleWindows(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	require.NoError(t, writeFile(a, `groups:
  - name: recorded
    rules:
      - record: job:errors:ratio5m
        expr: sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))
      - record: job:errors:ratio1h
        expr: sum(rate(errors_total[1h])) / sum(rate(requests_total[1h]))
      - record: loop_a
        expr: loop_b + rate(x_total[10m])
      - record: loop_b
        expr: loop_a
  - name: alerts
    rules:
      - alert: Burn                # the shorter of the two windows counts
        expr: job:errors:ratio5m > 0.1 and job:errors:ratio1h > 0.1
      - alert: Canary              # its own range
        expr: increase(canary_failures_total[10m]) > 0
      - alert: Saturated           # instant values only: no window
        expr: inflight > 50
      - alert: Loop                # a recording-rule cycle ends
        expr: loop_a > 1
      - alert: Scrapes             # counts scrapes, not requests: no window
        expr: max_over_time(up[1m]) < 1 or absent_over_time(up[1m])
      - alert: Slow                # a quantile of a counted histogram
        expr: histogram_quantile(0.99, sum by (le) (rate(latency_bucket[3m]))) > 2
      - alert: Slow                # defined twice: its shortest window counts
        expr: histogram_quantile(0.99, sum by (le) (rate(latency_bucket[20m]))) > 1
`))
	// A recorded name from another file, in a PrometheusRule resource.
	require.NoError(t, writeFile(b, `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
spec:
  groups:
    - name: cross
      rules:
        - alert: Spend
          expr: '{__name__="job:errors:ratio5m"} > 0.5 or max_over_time(cost_total[2m:30s]) > 1'
          # a subquery samples an expression, not requests: only the recorded 5m counts
`))
	ws, err := RuleWindows([]string{a, b})
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
	p := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, writeFile(p, "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(x[5m]\n"))
	_, err := RuleWindows([]string{p})
	require.ErrorContains(t, err, "bad.yaml")
}
