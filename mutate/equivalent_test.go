package mutate

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// gatewayMetrics serves drill_gateway_requests_total as the gateway
// exposes it, the counts the test sets.
type gatewayMetrics struct {
	mu       sync.Mutex
	ok, fail int
}

func (g *gatewayMetrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# TYPE drill_gateway_requests_total counter\ndrill_gateway_requests_total{status=\"200\"} %d\ndrill_gateway_requests_total{status=\"503\"} %d\n", g.ok, g.fail)
}

// recordOutage records what the alerting engine scrapes over a drill
// like the test team's: 25 requests a second, all served for 5m, then
// 90% failing for 10m, then served again for 5m, evaluated every 30s
// (the group's interval) with the team's own rules.
func recordOutage(t *testing.T, ruleFiles []string) *alerting.Recording {
	t.Helper()
	g := &gatewayMetrics{}
	srv := httptest.NewServer(g)
	defer srv.Close()
	clock := timeline.NewVirtual(at)
	limit := alerting.DefaultRecordLimit
	e, err := alerting.New(alerting.Options{Clock: clock, RuleFiles: ruleFiles, ExternalLabels: map[string]string{"drill": "true"},
		Targets: []alerting.Target{{Name: "gateway", URL: srv.URL + "/metrics"}}, Record: &limit})
	require.NoError(t, err)
	defer e.Close()
	for i := range 40 {
		g.mu.Lock()
		if i >= 10 && i < 30 {
			g.ok, g.fail = g.ok+75, g.fail+675
		} else {
			g.ok += 750
		}
		g.mu.Unlock()
		require.NoError(t, e.Tick(context.Background(), clock.Now()))
		clock.Advance(30 * time.Second)
	}
	rec, err := e.Recording(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, rec.Transitions, "the outage fires LLMGatewayErrors")
	return rec
}

// recordingDrills stands in for scenarios.Run: every drill passes; the
// baseline's hand their recording (or recErr) to Options.Record, as the
// runner does as each world closes; runs on a mutated team are counted.
type recordingDrills struct {
	mu      sync.Mutex
	rec     *alerting.Recording
	recErr  error
	base    string
	mutants int
}

func (f *recordingDrills) run(_ context.Context, o scenarios.Options) (*scoring.Scorecard, error) {
	card := &scoring.Scorecard{}
	for _, pl := range o.Only {
		file, line, _ := strings.Cut(pl, ":")
		n, err := strconv.Atoi(line)
		if err != nil {
			return nil, err
		}
		card.Scenarios = append(card.Scenarios, scoring.Scenario{Feature: file, Line: n, Name: "outage", Status: scoring.Passed})
		if o.Record != nil {
			o.Record(scenarios.Recorded{Feature: file, Line: n, Repetition: 1, Recording: f.rec, Err: f.recErr})
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if o.Team.Dir != f.base {
		f.mutants++
	}
	return card, nil
}

// A rule mutant whose rules evaluate identically on the baseline drill's
// recorded metrics (the threshold ×0.1: no recorded ratio lies between
// 0.02 and 0.2) is left out as equivalent, and not run; one that changes
// when the alert fires (for: ×5), or that it fires at all, runs.
func TestEquivalentOnTheRecordedMetrics(t *testing.T) {
	tm := load(t, "testdata/no-recovery")
	rec := recordOutage(t, scenarios.RuleFiles(tm))
	p, err := Prepare(Options{Team: tm, Only: []string{"alerts/"}, NoBuiltin: true, Parallel: 2, Start: at})
	require.NoError(t, err)
	f := &recordingDrills{rec: rec, base: tm.Dir}
	p.runDrills = f.run
	rep, err := p.Run(context.Background())
	require.NoError(t, err)

	eq := map[string]EquivalentMutant{}
	for _, m := range rep.Equivalent {
		eq[m.ID] = m
	}
	x01 := "alerts/gateway.rules.yaml:threshold-x0.1:LLMGatewayErrors"
	require.Contains(t, eq, x01)
	require.Equal(t, "evaluates identically on the recorded metrics of 1 baseline drill(s)", eq[x01].Reason)
	require.Equal(t, []string{"features/outage.feature:4"}, eq[x01].Drills)
	byID := map[string]Result{}
	for _, r := range rep.Results {
		byID[r.ID] = r
		require.NotContains(t, eq, r.ID)
	}
	for id, differs := range map[string]string{
		"alerts/gateway.rules.yaml:for-x5:LLMGatewayErrors":                 "LLMGatewayErrors{severity=critical,team=ml-platform} firing at 2026-12-01T10:10:00Z (value 0.9), against 2026-12-01T10:06:00Z",
		"alerts/gateway.rules.yaml:threshold-x10:LLMGatewayErrors":          "no LLMGatewayErrors{severity=critical,team=ml-platform} pending at 2026-12-01T10:05:00Z",
		"alerts/gateway.rules.yaml:window-lengthened:gateway:error_ratio#2": "LLMGatewayErrors{severity=critical,team=ml-platform} pending at",
	} {
		r, ok := byID[id]
		require.True(t, ok, "%s runs", id)
		require.Equal(t, Survived, r.Status, id)
		require.Equal(t, 1, r.Ran, "%s: its drill ran", id)
		require.Contains(t, r.Differs, "features/outage.feature:4: ", id)
		require.Contains(t, r.Differs, differs, id)
	}
	ran := 0
	for _, r := range rep.Results {
		ran += r.Ran
	}
	require.Equal(t, ran, f.mutants, "the equivalent mutants ran no drill")
	require.Equal(t, 8, ran, "the valid mutants but the equivalent one ran their drill (five are invalid: lint refuses them)")
	require.Equal(t, len(p.Mutants), len(rep.Results)+len(rep.Equivalent))
	require.Contains(t, strings.Join(rep.Notes, "\n"), "equivalence for the baseline drills' traffic only")

	var text, md, js strings.Builder
	require.NoError(t, WriteText(&text, rep, nil))
	require.Contains(t, text.String(), "equivalent mutant(s) left out, not run:\n")
	require.Contains(t, text.String(), "  "+x01+"\n    alert LLMGatewayErrors: threshold ×0.1 (> 0.2 → 0.02)\n    evaluates identically on the recorded metrics of 1 baseline drill(s): features/outage.feature:4\n")
	require.NoError(t, WriteMarkdown(&md, rep, nil))
	require.Contains(t, md.String(), "| `"+x01+"` | alert LLMGatewayErrors: threshold ×0.1 (> 0.2 → 0.02) | evaluates identically on the recorded metrics of 1 baseline drill(s): features/outage.feature:4 |")
	require.NoError(t, WriteJSON(&js, rep, nil))
	require.Contains(t, js.String(), `"reason": "evaluates identically on the recorded metrics of 1 baseline drill(s)"`)
}

// Without a recording (past its bound, or past the run's bound on all
// recordings) no mutant is judged equivalent on it: every one runs, and
// a note says why.
func TestNoRecordingNoEquivalence(t *testing.T) {
	tm := load(t, "testdata/no-recovery")
	rec := recordOutage(t, scenarios.RuleFiles(tm))
	for _, c := range []struct {
		name   string
		recErr error
		max    int
		note   string
	}{
		{"past its bound", fmt.Errorf("%w: target gateway exposed more than 10000 series", alerting.ErrRecordingTooLarge), 0,
			"was not judged on features/outage.feature:4, and the rule mutants it would run ran: alerting: the recording is past its bound: target gateway exposed more than 10000 series (alerting.DefaultRecordLimit: 10000 series, 1000000 samples)"},
		{"past the run's bound", nil, rec.Samples - 1,
			fmt.Sprintf("the baseline's recordings would hold more than %d samples in all (MaxRecordedSamples); this drill's %d are not kept", rec.Samples-1, rec.Samples)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := Prepare(Options{Team: tm, Only: []string{"alerts/gateway.rules.yaml:threshold-x0.1"}, NoBuiltin: true, Start: at})
			require.NoError(t, err)
			p.rec.max = c.max
			f := &recordingDrills{rec: rec, recErr: c.recErr, base: tm.Dir}
			p.runDrills = f.run
			rep, err := p.Run(context.Background())
			require.NoError(t, err)
			require.Empty(t, rep.Equivalent)
			require.Len(t, rep.Results, 1)
			require.Equal(t, Survived, rep.Results[0].Status)
			require.Equal(t, 1, f.mutants)
			require.Contains(t, strings.Join(rep.Notes, "\n"), c.note)
		})
	}
}

// The real thing: the baseline drill records what its engine scraped,
// the unchanged rules replayed over it give back the alerts the drill
// saw (else the note says equivalence was not judged), and a mutant
// that delays the firing is judged different and runs.
func TestEquivalenceOnARealBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the test team's drill at ×60 twice (about 15 s); skipped with -short")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tm := load(t, "testdata/no-recovery")
	x01, for5 := "alerts/gateway.rules.yaml:threshold-x0.1:LLMGatewayErrors", "alerts/gateway.rules.yaml:for-x5:LLMGatewayErrors"
	p, err := Prepare(Options{Team: tm, Only: []string{x01, for5}, Seed: 1, Speed: 60, Parallel: 2, NoBuiltin: true,
		ControlWindow: 2 * time.Minute, Start: at})
	require.NoError(t, err)
	var sizes []string
	p.runDrills = func(ctx context.Context, o scenarios.Options) (*scoring.Scorecard, error) {
		if keep := o.Record; keep != nil {
			o.Record = func(r scenarios.Recorded) {
				if r.Recording != nil {
					sizes = append(sizes, fmt.Sprintf("%d series, %d samples, %d ticks", len(r.Recording.Series), r.Recording.Samples, len(r.Recording.Ticks)))
				}
				keep(r)
			}
		}
		return scenarios.Run(ctx, o)
	}
	rep, err := p.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, scoring.Passed, rep.Baseline[0].Status, rep.Baseline[0].Reason)
	require.Len(t, sizes, 1, "the baseline drill handed its recording over")
	t.Logf("the baseline drill's recording: %s", sizes[0])
	require.NotContains(t, strings.Join(rep.Notes, "\n"), "was not judged")
	judged := map[string]bool{}
	for _, m := range rep.Equivalent {
		judged[m.ID] = true
		t.Logf("equivalent %s: %s", m.ID, m.Reason)
	}
	for _, r := range rep.Results {
		t.Logf("%s %s: %s", r.Status, r.ID, r.Differs)
		if r.Differs != "" {
			judged[r.ID] = true
		}
		if r.ID == for5 {
			require.Contains(t, r.Differs, "LLMGatewayErrors{severity=critical,team=ml-platform} firing")
			require.Positive(t, r.Ran)
		}
	}
	require.True(t, judged[x01] && judged[for5], "both judged on the recording: %v", judged)
}
