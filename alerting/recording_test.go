package alerting

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

const replayRules = `groups:
  - name: g
    interval: 15s
    rules:
      - record: job:errors:max
        expr: max by (job) (error_ratio)
      - alert: Errors
        expr: job:errors:max > %s
        for: %s
        labels: {severity: page}
        annotations:
          summary: "{{ $value }} of requests fail"
`

// recordDrill runs an engine over a gauge that reads 0.1, then 0.5 for
// ten ticks, then 0, and returns its recording and live transitions.
func recordDrill(t *testing.T, rules string, limit RecordLimit) (*Recording, []timeline.Event, error) {
	t.Helper()
	x := &exposition{}
	srv := httptest.NewServer(x)
	defer srv.Close()
	clock := timeline.NewVirtual(drillStart)
	log := timeline.NewLog(clock)
	e, err := New(Options{Clock: clock, Log: log, RuleFiles: []string{rules}, ExternalLabels: map[string]string{"drill": "true"},
		Targets: []Target{{Name: "gateway", URL: srv.URL + "/metrics"}}, Record: &limit})
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()
	for i := range 30 {
		v := 0.1
		switch {
		case i >= 8 && i < 18:
			v = 0.5
		case i >= 18:
			v = 0
		}
		x.set(fmt.Sprintf("# TYPE error_ratio gauge\nerror_ratio{route=\"chat\"} %g\n# TYPE requests_total counter\nrequests_total %d\n", v, 10*i))
		require.NoError(t, e.Tick(ctx, clock.Now()))
		clock.Advance(15 * time.Second)
	}
	rec, err := e.Recording(ctx)
	return rec, log.Events(), err
}

// A replay of the engine's own rules over its recording gives back the
// transitions it emitted; other rules show what they would have done:
// a threshold moved within the gap no recorded value crosses evaluates
// identically, one past the values, a longer for: or a changed recording
// rule does not.
func TestReplayOverARecording(t *testing.T) {
	orig := writeRules(t, fmt.Sprintf(replayRules, "0.2", "1m"))
	rec, events, err := recordDrill(t, orig, DefaultRecordLimit)
	require.NoError(t, err)
	require.Len(t, rec.Ticks, 30)
	require.Equal(t, drillStart, rec.Ticks[0])
	require.Equal(t, map[string]string{"drill": "true"}, rec.ExternalLabels)
	names := map[string]bool{}
	for _, s := range rec.Series {
		names[s.Labels.Get(model.MetricNameLabel)] = true
		require.Len(t, s.Samples, 30, s.Labels.String())
	}
	require.Equal(t, map[string]bool{"error_ratio": true, "requests_total": true, "up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}, names,
		"the scraped series only: what the rules wrote is left out")
	require.Equal(t, 5*30, rec.Samples)
	require.Len(t, rec.Transitions, 3, "pending, firing, resolved")
	var kinds []timeline.Kind
	for _, ev := range events {
		if ev.Subject == "Errors" {
			kinds = append(kinds, ev.Kind)
		}
	}
	require.Equal(t, []timeline.Kind{timeline.AlertPending, timeline.AlertFiring, timeline.AlertResolved}, kinds)

	ctx := context.Background()
	base, err := Replay(ctx, rec, []string{orig}, "")
	require.NoError(t, err)
	require.Empty(t, DiffTransitions(rec.Transitions, base.Transitions), "the replay gives the drill's own transitions back")
	require.Empty(t, base.Errors)
	require.NotEmpty(t, base.Outputs)
	again, err := Replay(ctx, rec, []string{orig}, "")
	require.NoError(t, err)
	require.Empty(t, base.Difference(again))

	for _, c := range []struct {
		name, rules, diff string
	}{
		{"threshold within the gap", fmt.Sprintf(replayRules, "0.3", "1m"), ""},
		{"threshold past every value", fmt.Sprintf(replayRules, "0.6", "1m"), "no Errors{job=gateway,severity=page} pending at 2026-10-01T09:02:00Z (value 0.5)"},
		{"longer for", fmt.Sprintf(replayRules, "0.2", "2m"), "Errors{job=gateway,severity=page} firing at 2026-10-01T09:04:00Z (value 0.5), against 2026-10-01T09:03:00Z (value 0.5)"},
		{"recording rule changed", strings2(replayRules, "max by (job) (error_ratio)", "max by (job) (error_ratio) * 1"), ""},
		{"recording rule scaled", strings2(replayRules, "max by (job) (error_ratio)", "max by (job) (error_ratio) * 2"), "Errors{job=gateway,severity=page} pending at 2026-10-01T09:02:00Z (value 1), against 2026-10-01T09:02:00Z (value 0.5); its annotations differ"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := Replay(ctx, rec, []string{writeRules(t, c.rules)}, "")
			require.NoError(t, err)
			d := base.Difference(r)
			if c.diff == "" {
				require.Empty(t, d)
				return
			}
			require.Contains(t, d, c.diff)
		})
	}
}

// strings2 is replayRules (threshold 0.2, for 1m) with one expression
// replaced.
func strings2(tmpl, old, repl string) string {
	return strings.Replace(fmt.Sprintf(tmpl, "0.2", "1m"), old, repl, 1)
}

// A recording is bounded: past MaxSeries scraped series, or MaxSamples
// samples (ticks and transitions counted), there is none, and the error
// says which bound.
func TestRecordingBounds(t *testing.T) {
	rules := writeRules(t, fmt.Sprintf(replayRules, "0.2", "1m"))
	_, _, err := recordDrill(t, rules, RecordLimit{MaxSeries: 4, MaxSamples: 1000})
	require.True(t, errors.Is(err, ErrRecordingTooLarge), "%v", err)
	require.ErrorContains(t, err, "target gateway exposed more than 4 series")
	_, _, err = recordDrill(t, rules, RecordLimit{MaxSeries: 5, MaxSamples: 5*30 + 30 + 2})
	require.ErrorIs(t, err, ErrRecordingTooLarge)
	require.ErrorContains(t, err, "more than 149 samples", "30 ticks and 3 transitions leave 149 of the budget")
	_, _, err = recordDrill(t, rules, RecordLimit{MaxSeries: 5, MaxSamples: 20})
	require.ErrorContains(t, err, "more than 20 ticks, transitions and samples")
	rec, _, err := recordDrill(t, rules, RecordLimit{MaxSeries: 5, MaxSamples: 5*30 + 30 + 3})
	require.NoError(t, err, "exactly at the bound")
	require.Equal(t, 150, rec.Samples)

	_, err = New(Options{Clock: timeline.NewVirtual(drillStart), Record: &RecordLimit{MaxSeries: 1}})
	require.ErrorContains(t, err, "Options.Record is 1 series and 0 samples; want both above 0")
	e, err := New(Options{Clock: timeline.NewVirtual(drillStart)})
	require.NoError(t, err)
	defer e.Close()
	_, err = e.Recording(context.Background())
	require.ErrorContains(t, err, "keeps no recording")
}
