package alerting

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// readingWorld is an engine over one target whose spend counter and
// request counters the test drives, tick by tick on a virtual clock.
type readingWorld struct {
	t     *testing.T
	x     *exposition
	clock *timeline.Virtual
	log   *timeline.Log
	e     *Engine
	spend float64
	reqs  float64
}

const readingRules = `groups:
  - name: g
    interval: 15s
    rules:
      - record: spend:usd_per_minute
        expr: sum(rate(spend_usd_total[1m])) * 60
      - alert: SpendSpike
        expr: spend:usd_per_minute > 2
        for: 30s
      - alert: SpendSpikeFlipped
        expr: 2 < (spend:usd_per_minute)
      - alert: SpendOverBudget
        expr: spend:usd_per_minute > on() budget_usd_per_minute
      - alert: SpendOrQueue
        expr: spend:usd_per_minute > 2 or queue > 10
      - alert: SpendWithTraffic
        expr: spend:usd_per_minute > 2 and on() sum(rate(requests_total[1m])) > 0
      - alert: QueueGone
        expr: absent(queue)
`

func newReadingWorld(t *testing.T) *readingWorld {
	t.Helper()
	w := &readingWorld{t: t, x: &exposition{}}
	w.expose(1)
	srv := httptest.NewServer(w.x)
	t.Cleanup(srv.Close)
	w.clock = timeline.NewVirtual(drillStart)
	w.log = timeline.NewLog(w.clock)
	e, err := New(Options{Clock: w.clock, Log: w.log, RuleFiles: []string{writeRules(t, readingRules)},
		Targets: []Target{{Name: "gateway", URL: srv.URL + "/metrics"}}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	w.e = e
	return w
}

// expose sets the exposition for one more tick at usdPerMin.
func (w *readingWorld) expose(usdPerMin float64) {
	w.spend += usdPerMin / 4
	w.reqs += 15
	w.x.set(fmt.Sprintf("# TYPE spend_usd_total counter\nspend_usd_total %g\n# TYPE requests_total counter\nrequests_total %g\n"+
		"# TYPE queue gauge\nqueue 1\n# TYPE budget_usd_per_minute gauge\nbudget_usd_per_minute 2\n", w.spend, w.reqs))
}

func (w *readingWorld) tick(usdPerMin float64, n int) {
	for range n {
		w.expose(usdPerMin)
		require.NoError(w.t, w.e.Tick(context.Background(), w.clock.Now()))
		w.clock.Advance(15 * time.Second)
	}
}

func (w *readingWorld) read(alert string) Reading {
	w.t.Helper()
	r, err := w.e.ReadAlert(context.Background(), alert, w.e.lastTick)
	require.NoError(w.t, err)
	return r
}

func TestReadAlertSplitsAtTheThreshold(t *testing.T) {
	w := newReadingWorld(t)
	w.tick(1, 6)
	for _, a := range []string{"SpendSpike", "SpendSpikeFlipped", "SpendOverBudget", "SpendOrQueue", "SpendWithTraffic"} {
		r := w.read(a)
		require.Equal(t, Good, r.Health, "%s: %s", a, r.Detail)
	}
	require.Equal(t, "spend:usd_per_minute is 1, no longer above its threshold 2", w.read("SpendSpike").Detail)
	require.Equal(t, "spend:usd_per_minute is 1, no longer above its threshold 2", w.read("SpendSpikeFlipped").Detail, "2 < x reads as x > 2")
	require.Contains(t, w.read("SpendOverBudget").Detail, "is false on all 1 series")
	require.Equal(t, "fresh samples of queue", w.read("QueueGone").Detail, "absent(queue) has no threshold: its selector is read")

	w.tick(5, 6)
	for _, a := range []string{"SpendSpike", "SpendSpikeFlipped", "SpendOverBudget", "SpendOrQueue", "SpendWithTraffic"} {
		require.Equal(t, Bad, w.read(a).Health, a)
	}
	require.Equal(t, "spend:usd_per_minute is 5, still above its threshold 2", w.read("SpendSpike").Detail)

	_, err := w.e.ReadAlert(context.Background(), "NoSuchAlert", w.e.lastTick)
	require.ErrorContains(t, err, `no alerting rule named "NoSuchAlert"`)
}

// The alert resolves when its series vanish, whether the service stops
// exposing them or its scrapes fail: neither is health.
func TestReadAlertNoDataIsNotHealth(t *testing.T) {
	w := newReadingWorld(t)
	w.tick(5, 8)
	_, ok := w.log.Find(timeline.OfKind(timeline.AlertFiring, "SpendSpike"))
	require.True(t, ok)

	// The spend counter vanishes from the exposition: the recorded ratio
	// goes stale, the alert resolves, and the reading is no data.
	// (Its range still holds samples for a minute.)
	var res timeline.Event
	for range 8 {
		w.x.set("# TYPE queue gauge\nqueue 1\n")
		require.NoError(t, w.e.Tick(context.Background(), w.clock.Now()))
		w.clock.Advance(15 * time.Second)
		if res, ok = w.log.Find(timeline.OfKind(timeline.AlertResolved, "SpendSpike")); ok {
			break
		}
	}
	require.True(t, ok, "an expression that goes empty resolves its alert")
	require.False(t, timeline.AlertActive(w.log.Sorted(), "SpendSpike", res.At))
	r := w.read("SpendSpike")
	require.Equal(t, NoData, r.Health)
	require.Equal(t, "no data: spend:usd_per_minute returns no sample", r.Detail)

	// Its /metrics fails: every alert reading the target reads no data,
	// and the failure is an event.
	w.x.fail(http.StatusInternalServerError)
	failedAt := w.clock.Now()
	require.NoError(t, w.e.Tick(context.Background(), failedAt))
	w.clock.Advance(15 * time.Second)
	require.NoError(t, w.e.Tick(context.Background(), w.clock.Now()))
	r = w.read("QueueGone")
	require.Equal(t, NoData, r.Health)
	require.Contains(t, r.Detail, "no data: scraping "+w.e.targets[0].URL+" (job gateway) fails since "+failedAt.Format(time.TimeOnly))
	var failed []timeline.Event
	for _, e := range w.log.Events() {
		if e.Kind == timeline.ScrapeFailed {
			failed = append(failed, e)
		}
	}
	require.Len(t, failed, 1, "one event for a run of failures")
	require.Equal(t, "gateway", failed[0].Subject)
	require.Equal(t, failedAt, failed[0].At)
	require.Contains(t, failed[0].Attrs["error"], "500")

	// Scrapes come back: an event, and the readings are of data again.
	w.clock.Advance(15 * time.Second)
	w.tick(1, 6)
	restored, ok := w.log.Find(timeline.OfKind(timeline.ScrapeRestored, "gateway"))
	require.True(t, ok)
	require.True(t, restored.At.After(failedAt))
	require.Equal(t, Good, w.read("QueueGone").Health)
	require.Equal(t, Good, w.read("SpendSpike").Health)

	// A reading in the past reads the data of then: the target failed.
	past, err := w.e.ReadAlert(context.Background(), "SpendSpike", failedAt)
	require.NoError(t, err)
	require.Equal(t, NoData, past.Health)
	require.Contains(t, past.Detail, "(job gateway) fails")
}

// Alert events carry when their episode began, so that a firing whose
// episode began before a fault is told from one the fault caused.
func TestAlertEventsCarryTheirEpisodeStart(t *testing.T) {
	w := newReadingWorld(t)
	w.tick(1, 4)
	w.tick(5, 8)
	pend, ok := w.log.Find(timeline.OfKind(timeline.AlertPending, "SpendSpike"))
	require.True(t, ok)
	fired, ok := w.log.Find(timeline.OfKind(timeline.AlertFiring, "SpendSpike"))
	require.True(t, ok)
	require.Equal(t, pend.At, timeline.EpisodeStart(pend))
	require.Equal(t, pend.At, timeline.EpisodeStart(fired), "the firing belongs to the episode that went pending")
	require.True(t, timeline.Detects(fired, pend.At.Add(-time.Second)))
	require.False(t, timeline.Detects(fired, pend.At), "pending at the fault's instant: not caused by it")
	require.True(t, timeline.AlertActive(w.log.Sorted(), "SpendSpike", fired.At))
}

func TestReadCondition(t *testing.T) {
	w := newReadingWorld(t)
	w.tick(1, 6)
	ctx := context.Background()
	r, err := w.e.ReadCondition(ctx, "spend:usd_per_minute < 2", w.e.lastTick)
	require.NoError(t, err)
	require.Equal(t, Good, r.Health, r.Detail)
	r, err = w.e.ReadCondition(ctx, "spend:usd_per_minute > 2", w.e.lastTick)
	require.NoError(t, err)
	require.Equal(t, Bad, r.Health, r.Detail)
	require.Contains(t, r.Detail, "it is false")
	r, err = w.e.ReadCondition(ctx, "missing_metric > 0", w.e.lastTick)
	require.NoError(t, err)
	require.Equal(t, NoData, r.Health)
	require.Equal(t, "no data: missing_metric has no fresh sample", r.Detail)

	// A condition true on absence is no recovery while the scrape fails.
	w.x.fail(http.StatusServiceUnavailable)
	require.NoError(t, w.e.Tick(ctx, w.clock.Now()))
	r, err = w.e.ReadCondition(ctx, "(sum(spend:usd_per_minute) or vector(0)) < 2", w.e.lastTick)
	require.NoError(t, err)
	require.Equal(t, NoData, r.Health, r.Detail)
	require.Contains(t, r.Detail, "(job gateway) fails")

	_, err = w.e.ReadCondition(ctx, "rate(x[5m]", w.e.lastTick)
	require.ErrorContains(t, err, `condition "rate(x[5m]"`)
}

func TestNoiseWindows(t *testing.T) {
	rec := func(name, expr string) Rule { return Rule{Record: name, Expr: expr, File: "a.yaml"} }
	ws, err := NoiseWindows([]Rule{
		rec("ratio5m", "sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))"),
		rec("loop_a", "loop_b + rate(x_total[10m])"),
		rec("loop_b", "loop_a"),
		{Alert: "Burn", Expr: "ratio5m > 0.1", For: 2 * time.Minute, Interval: 30 * time.Second},
		// a subquery over a recorded rate: both ranges add up
		{Alert: "Sustained", Expr: "min_over_time(ratio5m[10m:1m]) > 0.1"},
		{Alert: "Loop", Expr: "loop_a > 1", For: time.Minute},
		{Alert: "Instant", Expr: "inflight > 50", For: 5 * time.Minute, Interval: time.Minute},
		// offsets read old data no drill waits for
		{Alert: "WeekOverWeek", Expr: "rate(x_total[1h] offset 1w) > 2"},
	})
	require.NoError(t, err)
	require.Equal(t, []NoiseWindow{
		{Alert: "Burn", For: 2 * time.Minute, Range: 5 * time.Minute, Interval: 30 * time.Second},
		{Alert: "Sustained", Range: 15 * time.Minute, Interval: DefaultEvalInterval},
		{Alert: "Loop", For: time.Minute, Range: 10 * time.Minute, Interval: DefaultEvalInterval},
		{Alert: "Instant", For: 5 * time.Minute, Interval: time.Minute},
		{Alert: "WeekOverWeek", Range: time.Hour, Interval: DefaultEvalInterval},
	}, ws)
	require.Equal(t, 8*time.Minute, ws[0].Need())

	_, err = NoiseWindows([]Rule{{Alert: "X", Expr: "rate(x[5m]", File: "bad.yaml"}})
	require.ErrorContains(t, err, "bad.yaml")
}
