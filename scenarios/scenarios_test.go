package scenarios

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

func demoTeam(t testing.TB) *team.Team {
	t.Helper()
	dir, err := ExtractDemo(t.TempDir())
	require.NoError(t, err)
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

func TestSelectByNameTagAndPath(t *testing.T) {
	tm := demoTeam(t)
	sel, err := Select(Options{Team: tm, Names: []string{"cost-spike"}})
	require.NoError(t, err)
	require.Len(t, sel.Scenarios, 2)
	for _, sc := range sel.Scenarios {
		require.Contains(t, sc.Tags, "@cost-spike")
		require.NotZero(t, sc.Line)
	}
	sel, err = Select(Options{Team: tm, All: true})
	require.NoError(t, err)
	require.Len(t, sel.Scenarios, 13, "the built-in library's 8 and the demo team's 5")
	sel, err = Select(Options{Team: tm, Names: []string{"builtin"}})
	require.NoError(t, err)
	require.Len(t, sel.Scenarios, 8, "two built-in scenarios for each of the four families")
	sel, err = Select(Options{Team: tm, All: true, NoBuiltin: true})
	require.NoError(t, err)
	require.Len(t, sel.Scenarios, 5)

	_, err = Select(Options{Team: tm, Names: []string{"cost-spiek"}})
	require.ErrorContains(t, err, `no scenario matches "@cost-spiek"; known names: builtin, cost-spike, inference-outage, quality-anomaly, third-party-failure`)
	_, err = Select(Options{Team: tm})
	require.ErrorContains(t, err, "say which drills to run")
}

func TestSelectRejectsUndefinedSteps(t *testing.T) {
	tm := demoTeam(t)
	tm.Features["features/typo.feature"] = "@typo\nFeature: t\n  Scenario: s\n    When provider \"primary\" spends tokens like mad\n"
	_, err := Select(Options{Team: tm, Names: []string{"typo"}})
	require.ErrorContains(t, err, "features/typo.feature:4: undefined step")
	require.ErrorContains(t, err, "closest known steps")
	require.ErrorContains(t, err, `When provider "primary"`, "the hints carry the trainer's own values")
	require.NotContains(t, err.Error(), "func(", "never a Go snippet")
}

// godog's step outcomes are the scorecard's, by name.
func TestStepStatusIsGodogs(t *testing.T) {
	for st, want := range map[godog.StepResultStatus]scoring.StepStatus{
		godog.StepPassed: scoring.StepPassed, godog.StepFailed: scoring.StepFailed, godog.StepSkipped: scoring.StepSkipped,
		godog.StepUndefined: scoring.StepUndefined, godog.StepPending: scoring.StepPending, godog.StepAmbiguous: scoring.StepAmbiguous,
	} {
		require.Equal(t, want, stepStatus(st))
	}
}

// Bad input is refused before any world starts, as invalid input (exit 2).
func TestRunRefusesBadInputAsUsage(t *testing.T) {
	tm := demoTeam(t)
	card, err := Run(context.Background(), Options{Team: tm, Names: []string{"cost-spiek"}})
	require.Nil(t, card)
	require.ErrorContains(t, err, `no scenario matches "@cost-spiek"`)
	require.Equal(t, exitcode.Usage, exitcode.Of(err))
}

// The demo team's cost-spike drills run end to end under go test: real
// mocks behind the embedded toxiproxy, the real gateway, Prometheus' rule
// engine, the escalation simulation and the runbook executed in bash.
func TestDemoCostSpikePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real drills (about a minute); skipped with -short")
	}
	tm := demoTeam(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	report := filepath.Join(t.TempDir(), "cucumber.json")
	var (
		mu   sync.Mutex
		recs []Recorded
	)
	card, err := Run(ctx, Options{Team: tm, Names: []string{"cost-spike"}, Speed: 60, Seed: 1, Parallel: 2,
		CucumberJSON: report, Record: func(r Recorded) { mu.Lock(); defer mu.Unlock(); recs = append(recs, r) }})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 2)
	// Each world handed over its alerting engine's recording, and the
	// team's rules replayed over it give back the alerts the drill saw.
	require.Len(t, recs, 2)
	for _, r := range recs {
		require.NoError(t, r.Err, "%s:%d", r.Feature, r.Line)
		require.NotEmpty(t, r.Recording.Transitions, "%s:%d: LLMSpendSpike fires", r.Feature, r.Line)
		replayed, err := alerting.Replay(ctx, r.Recording, RuleFiles(tm), "")
		require.NoError(t, err)
		require.Empty(t, alerting.DiffTransitions(r.Recording.Transitions, replayed.Transitions), "%s:%d", r.Feature, r.Line)
		require.Empty(t, replayed.Errors)
		t.Logf("%s:%d: %d series, %d samples, %d ticks, %d transitions", r.Feature, r.Line, len(r.Recording.Series), r.Recording.Samples,
			len(r.Recording.Ticks), len(r.Recording.Transitions))
	}
	// The report holds the scenarios the name selected, and no other
	// scenario of their files as skipped: godog filters as drill selects.
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var features []struct {
		Elements []struct {
			Tags []struct{ Name string } `json:"tags"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal(b, &features))
	n := 0
	for _, f := range features {
		for _, el := range f.Elements {
			n++
			require.Contains(t, el.Tags, struct{ Name string }{"@cost-spike"})
		}
	}
	require.Equal(t, 2, n)
	for _, sc := range card.Scenarios {
		require.Equal(t, scoring.Passed, sc.Status, "%s: %s", sc.Name, sc.Reason)
		require.NotNil(t, sc.Timings.TimeToDetect)
		require.NotNil(t, sc.Timings.TimeToRecover)
		// At ×60 the demo's few requests per second and its seconds-long
		// LLM requests both blur alert times; the scorecard says so.
		warnings := strings.Join(sc.Warnings, "\n")
		require.Contains(t, warnings, "alert and recovery times are approximate at ×60: ")
		require.Contains(t, warnings, "leave few requests in these alert windows: LLMSpendSpike [2m] ")
		require.Contains(t, warnings, "of drill time, longer than the 30s evaluation interval")
		require.True(t, sc.SpeedWarned)
		require.Greater(t, sc.SteadySpeed, 1.0)
		require.Less(t, sc.SteadySpeed, 60.0)
	}
	require.Equal(t, 2, card.Summary.SpeedWarned)
	require.Equal(t, 1.0, card.Summary.PassRate)
	require.Equal(t, exitcode.OK, card.ExitCode())
}

// Verdicts and alert times do not depend on the speed: the same drill at
// ×10 and ×120 passes both times, and its alert fires within one
// evaluation interval of the same drill time, given traffic thick enough
// for the rules' windows at ×120 (25 rps: 25 requests in the shortest, a
// [2m] window). Thinner traffic is warned of (TestThinWindows): alert
// times then vary with which requests land in the window.
func TestVerdictsSameAtSpeed10And120(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a drill at speed 10 (over a minute); skipped with -short")
	}
	dir, err := ExtractDemo(t.TempDir())
	require.NoError(t, err)
	outage := filepath.Join(dir, "features", "inference-outage.feature")
	b, err := os.ReadFile(outage)
	require.NoError(t, err)
	thick := strings.Replace(string(b), "steady traffic of 5 requests per second", "steady traffic of 25 requests per second", 1)
	require.NotEqual(t, string(b), thick, "the demo's outage drill sets its traffic")
	require.NoError(t, os.WriteFile(outage, []byte(thick), 0o644))
	tm, err := team.Load(dir)
	require.NoError(t, err)
	run := func(speed float64) scoring.Scenario {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		card, err := Run(ctx, Options{Team: tm, Only: []string{"features/inference-outage.feature:8"}, Speed: speed, Seed: 1,
			Parallel: 1, ControlWindow: time.Minute})
		require.NoError(t, err)
		require.Len(t, card.Scenarios, 1)
		return card.Scenarios[0]
	}
	slow, fast := run(10), run(120)
	require.Equal(t, scoring.Passed, slow.Status, slow.Reason)
	require.Equal(t, slow.Status, fast.Status, fast.Reason)
	require.NotNil(t, slow.Timings.TimeToDetect)
	require.NotNil(t, fast.Timings.TimeToDetect)
	// Compare when the alert fired, in drill time from the scenario's
	// start: firings land on evaluation ticks, while the fault's own
	// instant (and so time to detect) also carries the real-time jitter
	// of the step that injected it, magnified by the speed.
	firedAfter := func(sc scoring.Scenario) time.Duration {
		var start time.Time
		for _, e := range sc.Events {
			switch {
			case e.Kind == timeline.ScenarioStart && start.IsZero():
				start = e.At
			case e.Kind == timeline.AlertFiring && !start.IsZero() && slices.Contains(sc.ExpectedAlerts, e.Subject):
				return e.At.Sub(start)
			}
		}
		t.Fatalf("%s: no firing after the start", sc.Name)
		return 0
	}
	// One 30s interval, plus the sub-second phase of the first tick after
	// the clock starts (a few real milliseconds, ×120).
	t.Logf("fired after %s at ×10, %s at ×120 (time to detect %v, %v)", firedAfter(slow), firedAfter(fast), *slow.Timings.TimeToDetect, *fast.Timings.TimeToDetect)
	require.InDelta(t, firedAfter(slow).Seconds(), firedAfter(fast).Seconds(), 31,
		"the alert fired at ×10 and ×120 more than one 30s evaluation interval apart")
	for _, w := range fast.Warnings { // the 503s come back at once: their lag is not what is judged here
		require.NotContains(t, w, "few requests", "25 rps fill every rule window at ×120")
	}
}
