package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// workTarget exposes work_total, driven by real time: 1 unit per real
// second until the drill clock passes the switch time, then 10 per real
// second (the "fault"). It knows nothing of scaling; the engine does that.
type workTarget struct {
	clock     timeline.Clock
	realStart time.Time

	mu         sync.Mutex
	switchAt   time.Time // drill time; zero: not armed yet
	switchReal time.Duration
}

func (w *workTarget) arm(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.switchAt = at
}

func (w *workTarget) ServeHTTP(rw http.ResponseWriter, _ *http.Request) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Since(w.realStart)
	if w.switchReal == 0 && !w.switchAt.IsZero() && !w.clock.Now().Before(w.switchAt) {
		w.switchReal = now
	}
	v := now.Seconds()
	if w.switchReal > 0 {
		v = w.switchReal.Seconds() + 10*(now-w.switchReal).Seconds()
	}
	rw.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(rw, "# TYPE work_total counter\nwork_total %g\n", v)
}

// firingAfter runs a live drill at speed and returns how long after the
// engine started, in drill time, WorkHigh fired, and the rate it read.
// The fault comes 30s of drill time after the start.
func firingAfter(t *testing.T, speed float64, rules string) (time.Duration, float64) {
	clock, err := timeline.NewScaled(time.Now().UTC().Truncate(time.Second), speed)
	require.NoError(t, err)
	target := &workTarget{clock: clock, realStart: time.Now()}
	srv := httptest.NewServer(target)
	defer srv.Close()
	log := timeline.NewLog(clock)
	e, err := New(Options{Clock: clock, Log: log, RuleFiles: []string{rules}, Targets: []Target{{Name: "work", URL: srv.URL}},
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	require.NoError(t, err)
	defer e.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// Setup took real time, which is minutes of drill time at speed 120:
	// the scenario starts now.
	start := clock.Now()
	target.arm(start.Add(30 * time.Second))
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	ev, err := log.Wait(ctx, timeline.OfKind(timeline.AlertFiring, "WorkHigh"), 5*time.Minute)
	require.NoError(t, err, "speed %v: WorkHigh did not fire", speed)
	var rate float64
	_, err = fmt.Sscan(ev.Attrs["value"], &rate)
	require.NoError(t, err)
	return ev.At.Sub(start), rate
}

// TestSpeedIndependence: the same live scenario at speed 10 and 120 fires
// at the same drill time, within one evaluation interval, because counter
// samples are scaled by the speed (rates stay, durations compress).
func TestSpeedIndependence(t *testing.T) {
	if testing.Short() {
		t.Skip("speed independence: skipped under -short (runs ~12s of real time)")
	}
	rules := writeRules(t, `groups:
  - name: work
    interval: 15s
    rules:
      - alert: WorkHigh
        expr: rate(work_total[1m]) > 5
        for: 1m
`)
	var wg sync.WaitGroup
	var slow, fast time.Duration
	var slowRate, fastRate float64
	wg.Go(func() { slow, slowRate = firingAfter(t, 10, rules) })
	wg.Go(func() { fast, fastRate = firingAfter(t, 120, rules) })
	wg.Wait()
	t.Logf("fired after %v at speed 10 (rate %.2f), %v at speed 120 (rate %.2f)", slow, slowRate, fast, fastRate)
	// The rule reads the real rate (10/s) at both speeds, not rate/speed.
	require.InDelta(t, 10, slowRate, 2)
	require.InDelta(t, 10, fastRate, 2)
	require.LessOrEqual(t, math.Abs(float64(slow-fast)), float64(15*time.Second))
	// Fault at 30s; rate over 1m crosses 5 about 30s later; then for: 1m.
	require.Greater(t, slow, 105*time.Second)
	require.Less(t, slow, 165*time.Second)
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
