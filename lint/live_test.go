package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/team"
)

// demoCopy extracts the demo team and applies edits to its rule file
// (old, new pairs), then loads it.
func demoCopy(t *testing.T, edits ...[2]string) *team.Team {
	t.Helper()
	dir, err := scenarios.ExtractDemo(t.TempDir())
	require.NoError(t, err)
	p := filepath.Join(dir, "alerts", "llm-gateway.rules.yaml")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	text := string(b)
	for _, e := range edits {
		require.Contains(t, text, e[0])
		text = strings.Replace(text, e[0], e[1], 1)
	}
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

func liveOnly(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		if strings.HasPrefix(f.ID, "rule-selector-") {
			out = append(out, f.String())
		}
	}
	return out
}

// drill lint --live on the demo team: nothing at error or warning level;
// the one selector a healthy world leaves empty (5xx statuses) is an
// info with the statuses present. On a copy whose spend rule reads a
// model name the gateway never writes and whose quality rule misspells
// its metric, both are errors at their rules' lines.
func TestLiveSeriesCheckOnTheDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo's world twice; skipped with -short")
	}
	r := run(t, demoCopy(t), Options{Live: true, Strict: true})
	require.False(t, r.Failed(), "%v", strs(r.Findings))
	live := liveOnly(r.Findings)
	require.Len(t, live, 1, "%v", live)
	// A stream the mock cuts short now and then is status stream_cut.
	require.Regexp(t, `^alerts/llm-gateway.rules.yaml:8:9: rule-selector-unmatched info: recording rule gateway:error_ratio: `+
		`drill_gateway_requests_total\{status=~"5\.\."\} matched no series in the live world: drill_gateway_requests_total carries status = 200(, stream_cut)?, `+
		`none matching status=~"5\.\."; right if only an incident writes a matching value, which a drill injecting the fault checks$`, live[0])

	broken := demoCopy(t,
		[2]string{"sum(rate(drill_gateway_cost_usd_total[2m]))", `sum(rate(drill_gateway_cost_usd_total{model="gpt4o"}[2m]))`},
		[2]string{"drill_gateway_validation_failures_total{", "drill_gateway_validation_failure_total{"})
	r = run(t, broken, Options{Live: true})
	require.True(t, r.Failed())
	got := liveOnly(r.Findings)
	require.Len(t, got, 3, "%v", got)
	require.Equal(t, `alerts/llm-gateway.rules.yaml:5:9: rule-selector-no-series error: recording rule gateway:cost_usd_per_minute: `+
		`drill_gateway_cost_usd_total{model="gpt4o"} matched no series in the live world: drill_gateway_cost_usd_total carries model = gpt-4o, `+
		`none matching model="gpt4o"; did you mean "gpt-4o"?`, got[0])
	require.Contains(t, got[1], "alerts/llm-gateway.rules.yaml:8:9: rule-selector-unmatched info")
	require.True(t, strings.HasPrefix(got[2], `alerts/llm-gateway.rules.yaml:42:9: rule-selector-no-series error: alert LLMQualityDegraded: `+
		`drill_gateway_validation_failure_total{kind="canary"} matched no series in the live world: no target exposed `+
		`drill_gateway_validation_failure_total and no rule records it (closest: drill_gateway_validation_failures_total`), got[2])
}

// Without Live, lint starts no world: the live checks never report.
func TestLiveChecksNeedLive(t *testing.T) {
	r := run(t, demoCopy(t, [2]string{"sum(rate(drill_gateway_cost_usd_total[2m]))", "sum(rate(drill_gateway_cost_usd_totl[2m]))"}), Options{})
	require.Empty(t, liveOnly(r.Findings))
}

// How each kind of empty selector is judged, from a report built by hand.
func TestJudgeSeries(t *testing.T) {
	alert := &team.AlertRule{Alert: "A", File: "alerts/a.yaml", Line: 3, Col: 5}
	rec := &team.AlertRule{Record: "r:x", File: "alerts/a.yaml", Line: 9, Col: 5}
	excluded := func(sel string, near ...string) alerting.SelectorCheck {
		return alerting.SelectorCheck{Selector: sel, Metric: "m", Reason: alerting.Excluded, Matchers: []alerting.MatcherCheck{
			{Matcher: `result="failed"`, Label: "result", Among: "m", Values: []string{"error", "ok"}, Near: near}}}
	}
	rep := &scenarios.SeriesReport{
		Exported: []string{"drill_gateway_validation_failures_total", "up"},
		Rules: []scenarios.RuleSeries{
			{Rule: alert, Selectors: []alerting.SelectorCheck{
				{Selector: "m", Metric: "m", Series: 2},
				{Selector: "r:x", Metric: "r:x", Reason: alerting.RecordedNothing},
				{Selector: `ALERTS{alertname="B"}`, Metric: "ALERTS", Reason: alerting.AlertInactive, Alert: "B"},
				{Selector: "drill_gateway_validation_failures_total", Metric: "drill_gateway_validation_failures_total", Reason: alerting.NoMetric},
				{Selector: "ups", Metric: "ups", Reason: alerting.NoMetric},
			}},
			{Rule: rec, Selectors: []alerting.SelectorCheck{excluded(`m{result="failed"}`), excluded(`m{result="eror"}`, "error")}},
		},
	}
	got := strs(judgeSeries(rep))
	require.Equal(t, []string{
		"alerts/a.yaml:3:5: rule-selector-no-series : alert A: ups matched no series in the live world: no target exposed ups and no rule records it (closest: up)",
		`alerts/a.yaml:9:5: rule-selector-unmatched : recording rule r:x: m{result="failed"} matched no series in the live world: m carries result = error, ok, none matching result="failed"; right if only an incident writes a matching value, which a drill injecting the fault checks`,
		`alerts/a.yaml:9:5: rule-selector-no-series : recording rule r:x: m{result="eror"} matched no series in the live world: m carries result = error, ok, none matching result="failed"; did you mean "error"?`,
	}, got)

	rep.Open = true
	require.Contains(t, strs(judgeSeries(rep))[0], "; a metric the service exposes only once it counts something is not seen before then: initialise its series to 0")
}

// A world that does not settle in time is the harness's error, naming
// what it waited for; nothing is left running.
func TestLiveSettleTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo's world; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Run(ctx, demoCopy(t), Options{Now: lintNow, Live: true, LiveSettle: time.Nanosecond})
	require.ErrorContains(t, err, "testbed: live series check: the world did not settle within 1ns: no ")
	require.ErrorContains(t, err, "request of the traffic finished")
}
