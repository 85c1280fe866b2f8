package alerting

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

var drillStart = time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)

// exposition is a /metrics handler whose body the test sets.
type exposition struct {
	mu     sync.Mutex
	body   string
	status int
}

func (x *exposition) set(body string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.body, x.status = body, http.StatusOK
}

func (x *exposition) fail(status int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.status = status
}

func (x *exposition) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.status != http.StatusOK {
		http.Error(w, "down", x.status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprint(w, x.body)
}

func writeRules(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rules.yaml")
	require.NoError(t, writeFile(p, text))
	return p
}

func writeFile(path, text string) error { return os.WriteFile(path, []byte(text), 0o644) }

func valueOf(t *testing.T, e *Engine, expr string) float64 {
	t.Helper()
	v, err := e.Query(context.Background(), expr)
	require.NoError(t, err)
	require.Len(t, v, 1, "query %s: %v", expr, v)
	return v[0].F
}

const mixedBody = `# HELP req_total Requests.
# TYPE req_total counter
req_total{code="200",job="mock"} 10
# TYPE inflight gauge
inflight 3
# TYPE lat_seconds histogram
lat_seconds_bucket{le="0.5"} 4
lat_seconds_bucket{le="+Inf"} 5
lat_seconds_sum 2.5
lat_seconds_count 5
# TYPE q_seconds summary
q_seconds{quantile="0.9"} 0.7
q_seconds_sum 9
q_seconds_count 3
untyped_thing 8
`

func TestScrapeScalesCountersOnly(t *testing.T) {
	x := &exposition{}
	x.set(mixedBody)
	srv := httptest.NewServer(x)
	defer srv.Close()
	clock := timeline.NewVirtual(drillStart)
	e, err := New(Options{Clock: clock, Speed: 60, Targets: []Target{{Name: "svc", URL: srv.URL + "/metrics"}}})
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, e.Tick(context.Background(), clock.Now()))

	inst := strings.TrimPrefix(srv.URL, "http://")
	for expr, want := range map[string]float64{
		`req_total{code="200",exported_job="mock",job="svc",instance="` + inst + `"}`: 600,
		`inflight`:                          3,
		`lat_seconds_bucket{le="0.5"}`:      240,
		`lat_seconds_bucket{le="+Inf"}`:     300,
		`lat_seconds_sum`:                   150,
		`lat_seconds_count`:                 300,
		`q_seconds{quantile="0.9"}`:         0.7,
		`q_seconds_sum`:                     540,
		`q_seconds_count`:                   180,
		`untyped_thing`:                     8,
		`up{job="svc"}`:                     1,
		`scrape_samples_scraped{job="svc"}`: 10,
	} {
		require.Equal(t, want, valueOf(t, e, expr), expr)
	}
}

func TestEngineAlertLifecycleEventsAndStaleness(t *testing.T) {
	x := &exposition{}
	x.set("# TYPE spend_usd_total counter\nspend_usd_total 0\n# TYPE queue gauge\nqueue 1\n")
	srv := httptest.NewServer(x)
	defer srv.Close()
	rules := writeRules(t, `groups:
  - name: g
    interval: 15s
    rules:
      - record: spend:usd_per_minute
        expr: sum(rate(spend_usd_total[1m])) * 60
      - alert: SpendSpike
        expr: spend:usd_per_minute > 2
        for: 1m
        labels: {severity: page}
        annotations:
          summary: "spend {{ $value | printf \"%.1f\" }} USD/min in {{ $externalLabels.env }}"
          runbook_url: https://runbooks.example/llm-cost-spike
      - alert: ServiceDown
        expr: up == 0
      - alert: QueueGone
        expr: absent(queue)
`)
	clock := timeline.NewVirtual(drillStart)
	log := timeline.NewLog(clock)
	e, err := New(Options{
		Clock: clock, Log: log, RuleFiles: []string{rules},
		ExternalLabels: map[string]string{"env": "drill"},
		Targets:        []Target{{Name: "gateway", URL: srv.URL + "/metrics"}},
	})
	require.NoError(t, err)
	defer e.Close()
	require.Equal(t, 15*time.Second, e.Interval())
	require.Equal(t, 1.0, e.Speed(), "a virtual clock scales counters by 1")

	ctx := context.Background()
	spend := 0.0
	tick := func(usdPerMin float64) {
		spend += usdPerMin / 4
		x.set(fmt.Sprintf("# TYPE spend_usd_total counter\nspend_usd_total %g\n# TYPE queue gauge\nqueue 1\n", spend))
		require.NoError(t, e.Tick(ctx, clock.Now()))
		clock.Advance(15 * time.Second)
	}
	for range 4 {
		tick(1) // 1 USD/min: quiet
	}
	require.Empty(t, e.Alerts())
	require.InDelta(t, 1.0, valueOf(t, e, "spend:usd_per_minute"), 0.01)
	for range 8 {
		tick(5) // 5 USD/min
	}
	fired, ok := log.Find(timeline.OfKind(timeline.AlertFiring, "SpendSpike"))
	require.True(t, ok, "events: %v", log.Events())
	pend, ok := log.Find(timeline.OfKind(timeline.AlertPending, "SpendSpike"))
	require.True(t, ok)
	require.Equal(t, time.Minute, fired.At.Sub(pend.At), "for: 1m")
	require.Equal(t, "page", fired.Labels["severity"])
	require.Equal(t, "drill", fired.Labels["env"], "external labels are added to alert events")
	require.Equal(t, "spend 5.0 USD/min in drill", fired.Attrs["summary"])
	require.Equal(t, "https://runbooks.example/llm-cost-spike", fired.Attrs["runbook_url"])
	require.NotEmpty(t, fired.Attrs["value"])
	require.Len(t, e.Alerts(), 1)
	require.Equal(t, "firing", e.Alerts()[0].State)
	v, err := e.Query(ctx, `ALERTS{alertname="SpendSpike",alertstate="firing"}`)
	require.NoError(t, err)
	require.Len(t, v, 1, "the ALERTS series is written")

	for range 6 {
		tick(0)
	}
	res, ok := log.Find(timeline.OfKind(timeline.AlertResolved, "SpendSpike"))
	require.True(t, ok)
	require.True(t, res.At.After(fired.At))
	require.Equal(t, "firing", res.Attrs["previous_state"])
	n := 0
	for _, ev := range log.Events() {
		if ev.Subject == "SpendSpike" {
			n++
		}
	}
	require.Equal(t, 3, n, "one event per transition: %v", log.Events())

	// The target goes down: up=0 is a signal, not an engine error, and the
	// series it exposed go stale at once.
	x.fail(http.StatusServiceUnavailable)
	require.NoError(t, e.Tick(ctx, clock.Now()))
	require.Equal(t, 0.0, valueOf(t, e, "up"))
	_, ok = log.Find(timeline.OfKind(timeline.AlertFiring, "ServiceDown"))
	require.True(t, ok)
	_, ok = log.Find(timeline.OfKind(timeline.AlertFiring, "QueueGone"))
	require.True(t, ok, "queue went stale with the failed scrape")

	require.ErrorContains(t, e.Tick(ctx, clock.Now()), "is not after the previous tick")
}

func TestRunWithScaledClockAndClose(t *testing.T) {
	x := &exposition{}
	x.set("# TYPE c counter\nc 1\n")
	srv := httptest.NewServer(x)
	defer srv.Close()
	clock, err := timeline.NewScaled(drillStart, 600) // 15s of drill time every 25ms
	require.NoError(t, err)
	e, err := New(Options{Clock: clock, Targets: []Target{{Name: "a", URL: srv.URL}}})
	require.NoError(t, err)
	require.Equal(t, 600.0, e.Speed())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	require.Eventually(t, func() bool {
		v, err := e.Query(context.Background(), "count_over_time(c[10m])")
		return err == nil && len(v) == 1 && v[0].F >= 3
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 600.0, valueOf(t, e, "c"))
	cancel()
	require.NoError(t, <-done)
	dir := e.core.dir
	require.NoError(t, e.Close())
	require.NoError(t, e.Close(), "Close is safe twice")
	require.NoDirExists(t, dir)
	_, err = e.Query(context.Background(), "c")
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, e.Tick(context.Background(), clock.Now()), ErrClosed)
}

// At a speed no tick can keep up with, Run skips ticks and says so on the
// timeline, for the scorecard to warn that alert times are imprecise.
func TestRunRecordsFallingBehind(t *testing.T) {
	x := &exposition{}
	x.set("# TYPE c counter\nc 1\n")
	srv := httptest.NewServer(x)
	defer srv.Close()
	clock, err := timeline.NewScaled(drillStart, 1e6) // 15s of drill time every 15µs: less than a scrape takes
	require.NoError(t, err)
	log := timeline.NewLog(clock)
	e, err := New(Options{Clock: clock, Log: log, Targets: []Target{{Name: "a", URL: srv.URL}}})
	require.NoError(t, err)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	var lag timeline.Event
	require.Eventually(t, func() bool {
		var ok bool
		lag, ok = log.Find(timeline.OfKind(timeline.HarnessLag, "alerting"))
		return ok
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	skipped, err := strconv.Atoi(lag.Attrs["skipped"])
	require.NoError(t, err)
	require.Positive(t, skipped)
	require.Equal(t, "15s", lag.Attrs["interval"])
	require.Regexp(t, `^alert evaluation fell behind the drill clock at speed ×1e\+06: a tick took \S+ of real time \(scrape \S+, rules \S+\), 15µs is all a 15s interval gets; skipped \d+ evaluation\(s\)$`, lag.Message)
}

func TestNewRejectsBadInput(t *testing.T) {
	clock := timeline.NewVirtual(drillStart)
	_, err := New(Options{})
	require.ErrorContains(t, err, "Options.Clock is nil")
	_, err = New(Options{Clock: clock, Targets: []Target{{Name: "x", URL: "localhost:9090"}}})
	require.ErrorContains(t, err, `target x: url "localhost:9090" is not an http(s) URL`)
	_, err = New(Options{Clock: clock, Targets: []Target{{URL: "http://a/metrics"}}})
	require.ErrorContains(t, err, "name is empty")
	bad := writeRules(t, "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(foo[5m]\n")
	_, err = New(Options{Clock: clock, RuleFiles: []string{bad}})
	require.ErrorContains(t, err, bad)
	require.ErrorContains(t, err, "alerting: loading rules")
	_, err = New(Options{Clock: clock, RuleFiles: []string{"/nonexistent/rules.yaml"}})
	require.ErrorContains(t, err, "/nonexistent/rules.yaml")
}

func TestQueryErrors(t *testing.T) {
	clock := timeline.NewVirtual(drillStart)
	e, err := New(Options{Clock: clock})
	require.NoError(t, err)
	defer e.Close()
	_, err = e.Query(context.Background(), "rate(x[5m]")
	require.ErrorContains(t, err, `alerting: query "rate(x[5m]"`)
	_, err = e.Query(context.Background(), "x[5m]")
	require.ErrorContains(t, err, "want an instant vector or a scalar")
	v, err := e.Query(context.Background(), "1 + 1")
	require.NoError(t, err)
	require.Len(t, v, 1)
	require.Equal(t, 2.0, v[0].F)
}
