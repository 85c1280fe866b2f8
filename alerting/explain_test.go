package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/storage"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

const explainRules = `
groups:
  - name: calls
    interval: 15s
    rules:
      - record: app:calls_failed:rate1m
        expr: sum(rate(app_llm_calls_total{result="failed"}[1m]))
      - record: app:calls:rate1m
        expr: sum(rate(app_llm_calls_total[1m]))
      - alert: CallsFailing
        expr: sum(rate(app_llm_calls_total{result="failed"}[1m])) / sum(rate(app_llm_calls_total[1m])) > 0.1
      - alert: FailedFromRecording
        expr: app:calls_failed:rate1m > 0
      - alert: MetricTypo
        expr: sum(rate(app_llm_call_total[1m])) > 0
      - alert: LabelAbsent
        expr: sum(rate(app_llm_calls_total{code=~"5.."}[1m])) > 0
      - alert: LabelTypo
        expr: sum(rate(app_llm_calls_total{reslt="error"}[1m])) > 0
      - alert: ModelTypo
        expr: sum(rate(app_llm_calls_total{model="gpt4o"}[1m])) > 0
      - alert: NoErrorsOnModelB
        expr: sum(rate(app_llm_calls_total{model="b",result="error"}[1m])) > 0
      - alert: BusyBelow
        expr: sum(rate(app_llm_calls_total[1m])) > 100
      - alert: QuietAbove
        expr: 0.5 > app:calls:rate1m
      - alert: AlertOfAlert
        expr: ALERTS{alertname="CallsFailing"} == 1
      - alert: FirstFailure
        expr: sum(increase(app_failures_total[5m])) > 0
      - alert: ManyTenants
        expr: tenant_requests_total{tenant="zeta"} > 0
`

// explainWorld is an engine over explainRules whose store the test fills
// with known series, sample by sample, at a 15s interval.
func explainWorld(t *testing.T) (*Engine, *timeline.Virtual) {
	t.Helper()
	clock := timeline.NewVirtual(drillStart)
	e, err := New(Options{Clock: clock, RuleFiles: []string{writeRules(t, explainRules)}, TempDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e, clock
}

// fill appends n samples of a counter growing by perStep every 15s from
// drillStart, for each label set (name=value pairs).
func fill(t *testing.T, e *Engine, n int, perStep float64, sets ...[]string) {
	t.Helper()
	app := e.core.db.AppenderV2(context.Background())
	for _, kv := range sets {
		lset := labels.FromStrings(kv...)
		for i := range n {
			ts := drillStart.Add(time.Duration(i) * 15 * time.Second).UnixMilli()
			_, err := app.Append(0, lset, 0, ts, perStep*float64(i), nil, nil, storage.AppendV2Options{})
			require.NoError(t, err)
		}
	}
	require.NoError(t, app.Commit())
}

func callSeries() [][]string {
	base := []string{"job", "svc", "instance", "svc:9090"}
	return [][]string{
		append([]string{"__name__", "app_llm_calls_total", "model", "gpt-4o", "result", "ok"}, base...),
		append([]string{"__name__", "app_llm_calls_total", "model", "gpt-4o", "result", "error"}, base...),
		append([]string{"__name__", "app_llm_calls_total", "model", "b", "result", "ok"}, base...),
	}
}

func explain(t *testing.T, e *Engine, alert string) Explanation {
	t.Helper()
	x, err := e.ExplainAlert(context.Background(), alert, drillStart, drillStart.Add(5*time.Minute))
	require.NoError(t, err)
	require.Len(t, x.Rules, 1)
	return x
}

func TestExplainLabelValueNeverWritten(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	x := explain(t, e, "CallsFailing")
	sel := x.Rules[0].Selectors
	require.Len(t, sel, 2)
	require.Equal(t, `app_llm_calls_total{result="failed"}`, sel[0].Selector)
	require.Equal(t, Excluded, sel[0].Reason)
	require.Equal(t, []MatcherCheck{{Matcher: `result="failed"`, Label: "result", Among: "app_llm_calls_total", Values: []string{"error", "ok"}}}, sel[0].Matchers)
	require.Equal(t, 3, sel[1].Series, "the denominator matched every series")
	require.Nil(t, x.Rules[0].Reached, "a selector matched nothing: no threshold to speak of")
	require.Equal(t, `app_llm_calls_total{result="failed"} matched no series: app_llm_calls_total carries result = error, ok, none matching result="failed"`+
		` (drill scraped from 09:00:00 to 09:05:00)`, x.String())
}

func TestExplainFollowsRecordingRules(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	x := explain(t, e, "FailedFromRecording")
	c := x.Rules[0].Selectors[0]
	require.Equal(t, RecordedNothing, c.Reason)
	require.Len(t, c.Because, 1)
	require.Equal(t, Excluded, c.Because[0].Reason)
	require.Contains(t, x.String(), `app:calls_failed:rate1m matched no series: the recording rule app:calls_failed:rate1m recorded nothing, because `+
		`app_llm_calls_total{result="failed"} matched no series: app_llm_calls_total carries result = error, ok, none matching result="failed"`)
}

func TestExplainMetricMissing(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	x := explain(t, e, "MetricTypo")
	c := x.Rules[0].Selectors[0]
	require.Equal(t, NoMetric, c.Reason)
	require.Equal(t, "app_llm_calls_total", c.Closest[0])
	require.Contains(t, x.String(), "app_llm_call_total matched no series: no metric named app_llm_call_total was scraped (closest: app_llm_calls_total")

	empty, _ := explainWorld(t)
	require.Contains(t, explain(t, empty, "MetricTypo").String(), "app_llm_call_total matched no series: nothing was scraped at all")
}

func TestExplainLabelAbsent(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	m := explain(t, e, "LabelAbsent").Rules[0].Selectors[0].Matchers
	require.Len(t, m, 1)
	require.True(t, m[0].Absent)
	require.Equal(t, []string{"instance", "job", "model", "result"}, m[0].Labels)
	require.Empty(t, m[0].Near)
	require.Equal(t, `no series of app_llm_calls_total has the label code (its labels: instance, job, model, result)`, m[0].String())

	typo := explain(t, e, "LabelTypo")
	require.Equal(t, []string{"result"}, typo.Rules[0].Selectors[0].Matchers[0].Near)
	require.Contains(t, typo.String(), `has the label reslt (its labels: instance, job, model, result); did you mean "result"?`)
}

func TestExplainNearMissValueAndCombinations(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	m := explain(t, e, "ModelTypo").Rules[0].Selectors[0].Matchers
	require.Equal(t, []string{"gpt-4o"}, m[0].Near)
	require.Equal(t, []string{"b", "gpt-4o"}, m[0].Values)

	// model="b" and result="error" each match series, never together:
	// each is judged among the series the other selects.
	both := explain(t, e, "NoErrorsOnModelB")
	ms := both.Rules[0].Selectors[0].Matchers
	require.Len(t, ms, 2)
	require.Equal(t, `app_llm_calls_total{result="error"}`, ms[0].Among)
	require.Equal(t, []string{"gpt-4o"}, ms[0].Values)
	require.Equal(t, `app_llm_calls_total{model="b"}`, ms[1].Among)
	require.Equal(t, []string{"ok"}, ms[1].Values)
	require.Contains(t, both.String(), `app_llm_calls_total{model="b"} carries result = ok, none matching result="error"`)
}

func TestExplainBelowThresholdWithTheMaxReached(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...) // 1 per second each: 3 in all
	x := explain(t, e, "BusyBelow")
	r := x.Rules[0]
	require.True(t, allMatched(r.Selectors))
	require.NotNil(t, r.Reached)
	require.Equal(t, "sum(rate(app_llm_calls_total[1m]))", r.Reached.Expr)
	require.Equal(t, ">", r.Reached.Op)
	require.Equal(t, 100.0, *r.Reached.Threshold)
	require.InDelta(t, 3, *r.Reached.Value, 1e-9)
	require.Regexp(t, `^every selector matched series \(app_llm_calls_total: 3\), but sum\(rate\(app_llm_calls_total\[1m\]\)\) reached at most 3 \(at 09:0\d:\d\d\), never above its threshold 100 \(drill scraped`, x.String())

	// A threshold on the left, below: the lowest value is the nearest.
	q := explain(t, e, "QuietAbove")
	// app:calls:rate1m was never recorded here (nothing evaluated the
	// rules): the recording rule recorded nothing though its selector
	// matched.
	require.Contains(t, q.String(), "app:calls:rate1m matched no series: the recording rule app:calls:rate1m recorded nothing, though every selector of its expression matched series")
}

func TestExplainEvaluatedRulesReachLowest(t *testing.T) {
	e, clock := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	// Evaluate the rules over the filled range, as ticks would, so the
	// recording rules record.
	for i := 4; i < 21; i++ {
		ts := drillStart.Add(time.Duration(i) * 15 * time.Second)
		clock.Set(ts)
		_, _ = e.core.eval(context.Background(), ts, e.core.groups)
	}
	q := explain(t, e, "QuietAbove")
	r := q.Rules[0].Reached
	require.NotNil(t, r)
	require.Equal(t, "<", r.Op, "0.5 > x reads as x < 0.5")
	require.InDelta(t, 3, *r.Value, 1e-9)
	require.Contains(t, q.String(), "app:calls:rate1m reached at least 3 (at ")
	require.Contains(t, q.String(), "never below its threshold 0.5")

	// The ALERTS of an alert never pending: Prometheus wrote none.
	a := explain(t, e, "AlertOfAlert")
	require.Equal(t, AlertInactive, a.Rules[0].Selectors[0].Reason)
	require.Contains(t, a.String(), `ALERTS{alertname="CallsFailing"} matched no series: alert CallsFailing was never pending or firing`)
}

func TestExplainListsAtMostTenValues(t *testing.T) {
	e, _ := explainWorld(t)
	var sets [][]string
	for i := range 12 {
		sets = append(sets, []string{"__name__", "tenant_requests_total", "tenant", fmt.Sprintf("t%02d", i)})
	}
	fill(t, e, 3, 1, sets...)
	m := explain(t, e, "ManyTenants").Rules[0].Selectors[0].Matchers[0]
	require.Len(t, m.Values, MaxListedValues)
	require.Equal(t, 2, m.More)
	require.Contains(t, m.String(), "t09 and 2 more, none matching")
}

func TestExplanationIsJSON(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	b, err := json.Marshal(explain(t, e, "CallsFailing"))
	require.NoError(t, err)
	require.Contains(t, string(b), `"reason":"excluded"`)
	require.Contains(t, string(b), `"values":["error","ok"]`)
	b, err = json.Marshal(explain(t, e, "BusyBelow"))
	require.NoError(t, err)
	var back Explanation
	require.NoError(t, json.Unmarshal(b, &back))
	r := back.Rules[0].Reached
	require.Equal(t, ">", r.Op)
	require.Equal(t, 100.0, *r.Threshold)
	require.InDelta(t, 3, *r.Value, 1e-9)
}

func TestExplainErrors(t *testing.T) {
	e, _ := explainWorld(t)
	_, err := e.ExplainAlert(context.Background(), "NoSuchAlert", drillStart, drillStart)
	require.ErrorContains(t, err, `no alerting rule named "NoSuchAlert"`)
	_, err = e.CheckSelectors(context.Background(), "sum(", drillStart, drillStart)
	require.Error(t, err)
	require.NoError(t, e.Close())
	_, err = e.ExplainAlert(context.Background(), "CallsFailing", drillStart, drillStart)
	require.ErrorIs(t, err, ErrClosed)
	_, err = e.CheckSelectors(context.Background(), "up", drillStart, drillStart)
	require.ErrorIs(t, err, ErrClosed)
}

func TestCheckSelectorsOnceEach(t *testing.T) {
	e, _ := explainWorld(t)
	fill(t, e, 21, 15, callSeries()...)
	cs, err := e.CheckSelectors(context.Background(), `rate(app_llm_calls_total[1m]) / rate(app_llm_calls_total[1m] offset 1m) > 0 and app_llm_calls_total{result="ok"}`, drillStart, drillStart.Add(5*time.Minute))
	require.NoError(t, err)
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%s=%d", c.Selector, c.Series))
	}
	require.Equal(t, `app_llm_calls_total=3 app_llm_calls_total{result="ok"}=2`, strings.Join(got, " "))
}

func TestSplitThreshold(t *testing.T) {
	for expr, want := range map[string]string{
		"x > 0.2":              "x > 0.2",
		"(0.2 < x)":            "x > 0.2",
		"sum(x) / sum(y) >= 1": "sum(x) / sum(y) >= 1",
		"x > bool 1":           "",
		"x > y":                "",
		"absent(x)":            "",
		"x > 1 and y":          "",
		"2 * 3 >= rate(x[1m])": "rate(x[1m]) <= 2 * 3",
	} {
		x, err := ParseExpr(expr)
		require.NoError(t, err)
		lhs, op, thr, ok := splitThreshold(x)
		got := ""
		if ok {
			got = lhs.String() + " " + op.String() + " " + thr.String()
		}
		require.Equal(t, want, got, expr)
	}
}

// A chain of recording rules longer than MaxRecordingDepth is followed
// that deep and no deeper; a cycle is followed once.
func TestExplainRecordingDepthAndCycles(t *testing.T) {
	var b strings.Builder
	b.WriteString("groups:\n  - name: chain\n    rules:\n")
	for i := range MaxRecordingDepth + 2 {
		fmt.Fprintf(&b, "      - record: r%d\n        expr: sum(r%d)\n", i, i+1)
	}
	b.WriteString("      - record: loop_a\n        expr: sum(loop_b)\n      - record: loop_b\n        expr: sum(loop_a)\n")
	b.WriteString("      - alert: Deep\n        expr: r0 > 0\n      - alert: Loop\n        expr: loop_a > 0\n")
	e, err := New(Options{Clock: timeline.NewVirtual(drillStart), RuleFiles: []string{writeRules(t, b.String())}, TempDir: t.TempDir()})
	require.NoError(t, err)
	defer e.Close()
	x, err := e.ExplainAlert(context.Background(), "Deep", drillStart, drillStart.Add(time.Minute))
	require.NoError(t, err)
	depth := 0
	for c := x.Rules[0].Selectors[0]; ; c = c.Because[0] {
		require.Equal(t, RecordedNothing, c.Reason)
		depth++
		if len(c.Because) == 0 {
			break
		}
	}
	require.Equal(t, MaxRecordingDepth+1, depth, "the alert's selector, then MaxRecordingDepth rules deep")

	x, err = e.ExplainAlert(context.Background(), "Loop", drillStart, drillStart.Add(time.Minute))
	require.NoError(t, err)
	c := x.Rules[0].Selectors[0]
	require.Equal(t, "loop_a", c.Metric)
	require.Equal(t, "loop_b", c.Because[0].Metric)
	require.Equal(t, "loop_a", c.Because[0].Because[0].Metric)
	require.Empty(t, c.Because[0].Because[0].Because, "loop_a is not followed twice")
}

// At most MaxClosestNames names are suggested, and a range longer than
// MaxReachSteps evaluations is read at a coarser step, never refused.
func TestExplainLimits(t *testing.T) {
	e, _ := explainWorld(t)
	var sets [][]string
	for i := range 6 {
		sets = append(sets, []string{"__name__", fmt.Sprintf("app_llm_call%d_total", i)})
	}
	fill(t, e, 3, 1, sets...)
	require.Len(t, explain(t, e, "MetricTypo").Rules[0].Selectors[0].Closest, MaxClosestNames)

	fill(t, e, 21, 15, callSeries()...)
	long := drillStart.Add(time.Duration(MaxReachSteps+1000) * 15 * time.Second)
	x, err := e.ExplainAlert(context.Background(), "BusyBelow", drillStart, long)
	require.NoError(t, err)
	require.NotNil(t, x.Rules[0].Reached.Value)
}

// appendAt appends one sample of the series kv at drillStart+at.
func appendAt(t *testing.T, e *Engine, at time.Duration, v float64, kv ...string) {
	t.Helper()
	app := e.core.db.AppenderV2(context.Background())
	_, err := app.Append(0, labels.FromStrings(kv...), 0, drillStart.Add(at).UnixMilli(), v, nil, nil, storage.AppendV2Options{})
	require.NoError(t, err)
	require.NoError(t, app.Commit())
}

// A counter created at its first event (value 1 at its first sample)
// hides that event from increase(): the explanation says so and how to
// fix it. One that was there from the first scrape, counting from before
// the drill, is no defect and is not named.
func TestExplainCounterBornAboveZero(t *testing.T) {
	e, _ := explainWorld(t)
	born := []string{"__name__", "app_failures_total", "kind", "canary"}
	old := []string{"__name__", "app_failures_total", "kind", "json"}
	for i := range 21 {
		at := time.Duration(i) * 15 * time.Second
		appendAt(t, e, at, 7, old...)
		if at >= 2*time.Minute {
			appendAt(t, e, at, 1, born...)
		}
	}
	x := explain(t, e, "FirstFailure")
	r := x.Rules[0]
	require.NotNil(t, r.Reached)
	require.Equal(t, []Unseen{{Series: `app_failures_total{kind="canary"}`, Value: 1, At: drillStart.Add(2 * time.Minute).UTC()}}, r.Unseen)
	require.Contains(t, x.String(), `never above its threshold 0; app_failures_total{kind="canary"} appeared at 09:02:00 already at 1: rate() and increase() count only rises between samples, so the rule never saw the first 1: export such a counter at 0 from the start`)

	// Born at 0, then rising: seen, and nothing to say.
	e2, _ := explainWorld(t)
	for i := range 21 {
		at := time.Duration(i) * 15 * time.Second
		appendAt(t, e2, at, 7, old...)
		if at >= 2*time.Minute {
			appendAt(t, e2, at, 0, born...)
		}
	}
	r2 := explain(t, e2, "FirstFailure").Rules[0]
	require.NotNil(t, r2.Reached)
	require.Empty(t, r2.Unseen)
}
