package features

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// The catalog in docs/steps.md is generated; this keeps it in step.
func TestDocsStepsInStep(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b))
	want, err := os.ReadFile("../docs/steps.md")
	require.NoError(t, err)
	require.Equal(t, string(want), b.String(), "docs/steps.md is stale: run go run ./cmd/drill steps --format md > docs/steps.md")
}

// Every example of the catalog is accepted by its own step and no other.
func TestCatalogExamplesMatchExactlyOneStep(t *testing.T) {
	for i, s := range catalog {
		text := exampleLine(s)
		var hits []string
		for _, m := range matchAll(text) {
			hits = append(hits, catalog[m.step].Form)
			require.NoError(t, m.err, s.Example)
		}
		require.Equal(t, []string{catalog[i].Form}, hits, s.Example)
	}
}

func TestCheckNamesUndefinedStepsWithSuggestions(t *testing.T) {
	src := `Feature: f
  Scenario: s
    Given the team's environment is running
    When provider "openai" overbills by 10x
    Then alert "X" fires within 10m
`
	scs, err := Parse("features/f.feature", []byte(src))
	require.NoError(t, err)
	require.Len(t, scs, 1)
	require.Equal(t, 2, scs[0].Line)
	probs := Check(scs)
	require.Len(t, probs, 1)
	p := probs[0]
	require.Equal(t, "features/f.feature", p.File)
	require.Equal(t, 4, p.Line)
	require.Equal(t, "undefined step", p.Message)
	require.Len(t, p.Closest, 2, "the two closest steps")
	require.Contains(t, p.Closest, `When provider "openai" bills 10x tokens`, "written with the trainer's own values")
	require.Contains(t, p.String(), "features/f.feature:4: undefined step: When provider")
	require.NotContains(t, p.String(), "func(", "never a Go snippet")
	require.NotContains(t, p.String(), "catalog.go")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A misspelt keyword does not make a drill silently disappear.
func TestParseRefusesFilesWithoutScenarios(t *testing.T) {
	_, err := Parse("features/f.feature", []byte("Feature: outage\n  Scenaro: fails over\n    When provider \"primary\" is down\n"))
	require.ErrorContains(t, err, `features/f.feature:1: feature "outage" has no scenario; is a "Scenario:" keyword misspelt?`)
	_, err = Parse("features/g.feature", []byte("Feture: outage\n"))
	require.Error(t, err)
}

// A step whose pattern matches but whose duration cannot be honoured is a
// problem before the drill, not a failure halfway through it.
func TestCheckRefusesOutOfRangeDurations(t *testing.T) {
	scs, err := Parse("features/f.feature", []byte("Feature: x\n  Scenario: y\n    Then alert \"A\" fires within 3000000h\n    Then alert \"B\" fires within 1d30m\n"))
	require.NoError(t, err)
	probs := Check(scs)
	require.Len(t, probs, 1)
	require.Equal(t, 3, probs[0].Line)
	require.Contains(t, probs[0].String(), "features/f.feature:3: bad duration: want a drill duration")
}

func TestParseSyntaxErrorNamesFile(t *testing.T) {
	_, err := Parse("features/bad.feature", []byte("Feature x\n  Scenario y\n"))
	require.ErrorContains(t, err, "features/bad.feature:1:1: expected: #EOF")
}

// Parse's errors carry their positions, so callers (lint) never read them
// back out of the text.
func TestParseErrorsArePositioned(t *testing.T) {
	_, err := Parse("features/bad.feature", []byte("Feature: x\n  Scenario: y\n    Given a\n  Scenario Outline without examples\n"))
	var pe ParseErrors
	require.ErrorAs(t, err, &pe)
	require.NotEmpty(t, pe)
	require.Equal(t, "features/bad.feature", pe[0].File)
	require.Equal(t, 4, pe[0].Line)
	require.Equal(t, pe.Error(), pe[0].Error())

	_, err = Parse("features/f.feature", []byte("Feature: outage\n  Scenaro: fails over\n"))
	require.ErrorAs(t, err, &pe)
	require.Equal(t, ParseErrors{{File: "features/f.feature", Line: 1,
		Msg: `feature "outage" has no scenario; is a "Scenario:" keyword misspelt? (gherkin reads lines before the first scenario as the feature's description)`}}, pe)

	_, err = Parse("features/g.feature", []byte("# Feture: outage\n"))
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 1, pe[0].Line)
	require.Zero(t, pe[0].Col, "no column is known")
	require.Equal(t, `features/g.feature:1: no Feature: line; a feature file starts with "Feature: <name>" (a misspelt keyword makes the whole file a comment)`, err.Error())
}

func TestExpectedAlerts(t *testing.T) {
	require.Equal(t, []string{"A", "B"}, ExpectedAlerts([]string{`alert "A" fires within 5m`, `alert "B" may fire`, `alert "C" does not fire within 5m`}))
	// Only B is only tolerated: A is also waited for.
	require.Equal(t, []string{"B"}, ToleratedAlerts([]string{`alert "A" may fire`, `alert "A" fires within 5m`, `alert "B" may fire`, `alert "B" might also fire`, `alert "C" does not fire within 5m`}))
	require.Empty(t, ToleratedAlerts([]string{`alert "A" fires within 5m`}))
}

// A plan reads what Given steps set without running them: the last step
// setting a thing wins, and a scenario that sets nothing says so.
func TestSetting(t *testing.T) {
	scs, err := Parse("x.feature", []byte(`Feature: x
  Scenario: both
    Given steady traffic of 5 requests per second
    And steady traffic of 2.5 requests per second with the "agent" mix
    And the drill clock runs at speed 30
    When provider "primary" is down
  Scenario: none
    When provider "primary" is down
`))
	require.NoError(t, err)
	v, line, ok := Setting(scs[0], "traffic")
	require.True(t, ok)
	require.Equal(t, 2.5, v)
	require.Equal(t, 4, line)
	v, line, ok = Setting(scs[0], "speed")
	require.True(t, ok)
	require.Equal(t, 30.0, v)
	require.Equal(t, 5, line)
	_, _, ok = Setting(scs[1], "traffic")
	require.False(t, ok)
}

// fakeEnv is a world on a virtual clock for step tests.
type fakeEnv struct {
	clock    *timeline.Virtual
	log      *timeline.Log
	started  bool
	injected []string
	evidence map[string]int64
	value    float64
	// read answers ReadAlert and ReadCondition (nil: always good).
	read func(what string, at time.Time) Reading
	// query, when set, is called on every Query.
	query func()
	// noData, when set, says whether Query returns nothing now.
	noData func() bool
	// exprs are the expressions queried, in order.
	exprs []string
}

var _ Env = (*fakeEnv)(nil)

func newFake() *fakeEnv {
	c := timeline.NewVirtual(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	return &fakeEnv{clock: c, log: timeline.NewLog(c), evidence: map[string]int64{}}
}

// Start starts the world as the real one does: its first event is the
// scenario's start, which step messages count their offsets from.
func (f *fakeEnv) Start(context.Context) error {
	if !f.started {
		f.log.Append(timeline.Event{Kind: timeline.ScenarioStart})
	}
	f.started = true
	return nil
}
func (f *fakeEnv) Started() bool          { return f.started }
func (f *fakeEnv) SetSpeed(float64) error { return nil }
func (f *fakeEnv) Clock() timeline.Clock  { return f.clock }
func (f *fakeEnv) Log() *timeline.Log     { return f.log }
func (f *fakeEnv) Team() *team.Team       { return nil }
func (f *fakeEnv) Inject(_ context.Context, kind, target string, _ map[string]string, _ time.Duration) (string, error) {
	id := kind + "-1"
	f.injected = append(f.injected, id)
	f.log.Append(timeline.Event{Kind: timeline.FaultOn, Subject: id})
	return id, nil
}
func (f *fakeEnv) Evidence(context.Context) (map[string]int64, error) { return f.evidence, nil }
func (f *fakeEnv) Query(_ context.Context, expr string) (float64, bool, error) {
	f.exprs = append(f.exprs, expr)
	if f.query != nil {
		f.query()
	}
	if f.noData != nil && f.noData() {
		return 0, false, nil
	}
	return f.value, true, nil
}
func (f *fakeEnv) ReadAlert(_ context.Context, alert string, at time.Time) (Reading, error) {
	return f.reading(alert, at), nil
}
func (f *fakeEnv) ReadCondition(_ context.Context, expr string, at time.Time) (Reading, error) {
	return f.reading(expr, at), nil
}
func (f *fakeEnv) reading(what string, at time.Time) Reading {
	if f.read == nil {
		return Reading{Good: true, Detail: what + " reads good"}
	}
	return f.read(what, at)
}
func (f *fakeEnv) EvalInterval() time.Duration              { return 15 * time.Second }
func (f *fakeEnv) SetTraffic(float64, string) error         { return nil }
func (f *fakeEnv) SetResponderAvailable(string, bool) error { return nil }

// step finds the bound step function for a prefix of a canonical form.
func step(t *testing.T, s *State, prefix string) any {
	t.Helper()
	for _, c := range catalog {
		if strings.HasPrefix(c.Form, prefix) {
			return c.bind(s)
		}
	}
	t.Fatalf("no step %q", prefix)
	return nil
}

func TestFaultWaitsForControlWindowThenAlertStep(t *testing.T) {
	env := newFake()
	s := NewState(env, []string{"LLMSpendSpike"})
	s.ControlWindow = 5 * time.Minute
	require.NoError(t, s.ensureStarted(context.Background()))
	bills := step(t, s, `provider {provider} bills`)
	errc := make(chan error, 1)
	go func() {
		f := bills.(func(context.Context, ...string) error)
		errc <- f(context.Background(), "primary", "10", "")
	}()
	require.Eventually(t, func() bool { return env.clock.Pending() == 1 }, 10*time.Second, time.Millisecond)
	env.clock.Advance(5 * time.Minute)
	require.NoError(t, <-errc)
	_, ok := env.log.Find(timeline.OfKind(timeline.ControlEnd, ""))
	require.True(t, ok, "the control window ends before the first fault")
	require.Equal(t, []string{"billing-spike-1"}, env.injected)

	fires := step(t, s, `alert {alert} fires within`).(func(context.Context, string, string) error)
	go func() { errc <- fires(context.Background(), "LLMSpendSpike", "10m") }()
	require.Eventually(t, func() bool { return env.clock.Pending() == 1 }, 10*time.Second, time.Millisecond)
	env.clock.Advance(4 * time.Minute)
	env.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "LLMSpendSpike"})
	require.NoError(t, <-errc)

	// An alert that never fires fails with its state explained.
	// The earlier wait left its timer behind, so Pending cannot tell when
	// this one has started: step the clock until the step gives up.
	go func() { errc <- fires(context.Background(), "LLMGatewayErrors", "10m") }()
	var err error
	require.Eventually(t, func() bool {
		env.clock.Advance(time.Minute)
		select {
		case err = <-errc:
			return true
		default:
			return false
		}
	}, 5*time.Second, time.Millisecond)
	require.ErrorContains(t, err, `alert "LLMGatewayErrors" did not fire within 10m of the fault (it never went pending`)
}

// Without a fault, a wait runs from the step itself, and its failure says
// so instead of blaming a fault that never happened.
func TestAlertWaitWithoutAFault(t *testing.T) {
	env := newFake()
	s := NewState(env, nil)
	fires := step(t, s, `alert {alert} fires within`).(func(context.Context, string, string) error)
	errc := make(chan error, 1)
	go func() { errc <- fires(context.Background(), "LLMGatewayErrors", "5m") }()
	require.Eventually(t, func() bool { return env.clock.Pending() == 1 }, 10*time.Second, time.Millisecond)
	env.clock.Advance(6 * time.Minute)
	require.ErrorContains(t, <-errc, `alert "LLMGatewayErrors" did not fire within 5m of this step (no fault was injected before it)`)
}

func TestProvablyFired(t *testing.T) {
	env := newFake()
	s := NewState(env, nil)
	proof := step(t, s, `the fault provably fired`).(func(context.Context) error)
	require.ErrorContains(t, proof(context.Background()), "no fault was injected")
	s.faults = []string{"outage-1"}
	require.ErrorContains(t, proof(context.Background()), "no request or connection was affected by outage-1")
	env.evidence["outage-1"] = 3
	require.NoError(t, proof(context.Background()))
}

func TestNoOtherAlerts(t *testing.T) {
	env := newFake()
	s := NewState(env, []string{"A"})
	env.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "A"})
	f := step(t, s, `no other alert fires`).(func() error)
	require.NoError(t, f())
	env.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "Noisy"})
	require.ErrorContains(t, f(), "alerts fired that no step expects: Noisy at +00:00")
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "10m": 10 * time.Minute, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour} {
		got, err := ParseDuration(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	require.Equal(t, 36*time.Hour+30*time.Minute, must(ParseDuration("1d12h30m")))
	for _, bad := range []string{"soon", "3000000h", "999999999999d", "99999999999999999999m", "-5m", "366d", "1d-1h"} {
		_, err := ParseDuration(bad)
		require.ErrorContains(t, err, "want a drill duration such as 90s, 10m, 1h, 2d, 1d12h or 10 minutes, at most 365d, got "+strconv.Quote(bad))
	}
	_, err := ParseDuration("soon")
	require.False(t, errors.Is(err, timeline.ErrDeadline))
}

// A condition is true when it returns a sample, whatever its value: a
// comparison such as `increase(x[5m]) == 0` returns 0 when it holds.
func TestConditionTrueOnAnySample(t *testing.T) {
	env := newFake()
	env.value = 0
	s := NewState(env, nil)
	require.NoError(t, s.holds(context.Background(), "increase(x[5m]) == 0", 0))
}

// alertEvent is an alert event as the alerting engine writes it: with the
// drill time its episode began.
func alertEvent(k timeline.Kind, alert string, at, activeAt time.Time) timeline.Event {
	return timeline.Event{At: at, Kind: k, Subject: alert, Labels: map[string]string{"alertname": alert},
		Attrs: map[string]string{timeline.ActiveAt: activeAt.Format(time.RFC3339Nano)}}
}

// untilDone steps the virtual clock until the step running on errc
// returns: an earlier wait may have left a timer behind, so Pending
// cannot tell when it has started.
func untilDone(t *testing.T, env *fakeEnv, errc <-chan error, step time.Duration) error {
	t.Helper()
	var err error
	require.Eventually(t, func() bool {
		select {
		case err = <-errc:
			return true
		default:
			env.clock.Advance(step)
			return false
		}
	}, 10*time.Second, time.Millisecond)
	return err
}

// An alert already pending when the fault went on did not detect it: its
// firing in that episode satisfies no "fires" step, and the failure says
// why. A new episode, after it resolved, can.
func TestAlreadyPendingAlertDetectsNothing(t *testing.T) {
	ctx := context.Background()
	env := newFake()
	s := NewState(env, []string{"LLMSpendSpike"})
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	env.clock.Advance(2*time.Minute + 30*time.Second)
	pendingAt := env.clock.Now()
	env.log.Append(alertEvent(timeline.AlertPending, "LLMSpendSpike", pendingAt, pendingAt))
	env.clock.Advance(30 * time.Second)
	require.NoError(t, s.inject(ctx, "billing-spike", "primary", nil, 0))
	env.clock.Advance(90 * time.Second)
	noise := env.log.Append(alertEvent(timeline.AlertFiring, "LLMSpendSpike", env.clock.Now(), pendingAt))

	fires := step(t, s, `alert {alert} fires within`).(func(context.Context, string, string) error)
	errc := make(chan error, 1)
	go func() { errc <- fires(ctx, "LLMSpendSpike", "10m") }()
	err := untilDone(t, env, errc, time.Minute)
	require.ErrorContains(t, err, `alert "LLMSpendSpike" did not fire within 10m of the fault (LLMSpendSpike was already pending before the fault, at `+
		`+02:30: its firing at +04:30 is noise, not a detection`)
	start := env.log.Sorted()[0]
	require.Equal(t, timeline.ScenarioStart, start.Kind)
	require.Equal(t, 2*time.Minute+30*time.Second, pendingAt.Sub(start.At), "offsets from the scenario's start, as the scorecard's")
	require.Equal(t, 4*time.Minute+30*time.Second, noise.At.Sub(start.At))

	any := step(t, s, `an alert fires within`).(func(context.Context, string) error)
	go func() { errc <- any(ctx, "10m") }()
	require.ErrorContains(t, untilDone(t, env, errc, time.Minute), "nothing detected it (LLMSpendSpike was already pending before the fault")
	_, err = s.firstExpectedFiringEvent()
	require.Error(t, err, "noise pages nobody on the scenario's behalf")

	// It resolves, then goes pending again after the fault: a new episode,
	// which detects it.
	env2 := newFake()
	s2 := NewState(env2, []string{"LLMSpendSpike"})
	s2.ControlWindow = 0
	require.NoError(t, s2.ensureStarted(ctx))
	pendingAt = env2.clock.Now()
	env2.log.Append(alertEvent(timeline.AlertPending, "LLMSpendSpike", pendingAt, pendingAt))
	env2.clock.Advance(30 * time.Second)
	require.NoError(t, s2.inject(ctx, "billing-spike", "primary", nil, 0))
	env2.clock.Advance(30 * time.Second)
	env2.log.Append(alertEvent(timeline.AlertResolved, "LLMSpendSpike", env2.clock.Now(), pendingAt))
	env2.clock.Advance(30 * time.Second)
	again := env2.clock.Now()
	env2.log.Append(alertEvent(timeline.AlertPending, "LLMSpendSpike", again, again))
	env2.clock.Advance(2 * time.Minute)
	fired := env2.log.Append(alertEvent(timeline.AlertFiring, "LLMSpendSpike", env2.clock.Now(), again))
	fires = step(t, s2, `alert {alert} fires within`).(func(context.Context, string, string) error)
	require.NoError(t, fires(ctx, "LLMSpendSpike", "10m"))
	got, err := s2.firstExpectedFiringEvent()
	require.NoError(t, err)
	require.Equal(t, fired.Seq, got.Seq)
}

// respondedState is a scenario whose alert A fired after the fault, was
// acknowledged and whose runbook ran, then resolved: what a recovery step
// judges.
func respondedState(t *testing.T) (*fakeEnv, *State, timeline.Event) {
	t.Helper()
	ctx := context.Background()
	env := newFake()
	s := NewState(env, []string{"A"})
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	require.NoError(t, s.inject(ctx, "outage", "primary", nil, 0))
	env.clock.Advance(time.Minute)
	pendingAt := env.clock.Now()
	env.log.Append(alertEvent(timeline.AlertPending, "A", pendingAt, pendingAt))
	env.clock.Advance(time.Minute)
	env.log.Append(alertEvent(timeline.AlertFiring, "A", env.clock.Now(), pendingAt))
	env.clock.Advance(time.Minute)
	env.log.Append(timeline.Event{Kind: timeline.Ack, Subject: "alice"})
	env.clock.Advance(time.Minute)
	env.log.Append(timeline.Event{Kind: timeline.RunbookEnd, Subject: "rb", Attrs: map[string]string{"status": "ok"}})
	env.clock.Advance(time.Minute)
	res := env.log.Append(alertEvent(timeline.AlertResolved, "A", env.clock.Now(), pendingAt))
	return env, s, res
}

// An alert that resolved on no data is not a recovery: the step records
// why and waits until its condition reads good on data.
func TestRecoveryNeedsGoodData(t *testing.T) {
	env, s, res := respondedState(t)
	goodAt := res.At.Add(2 * time.Minute)
	env.read = func(what string, at time.Time) Reading {
		if at.Before(goodAt) {
			return Reading{NoData: true, Detail: "no data: scraping http://svc/metrics (job service) fails"}
		}
		return Reading{Good: true, Detail: "x is 0.01, no longer above its threshold 0.1"}
	}
	back := step(t, s, `following the runbook brings the service back`).(func(context.Context, string) error)
	errc := make(chan error, 1)
	go func() { errc <- back(context.Background(), "15m") }()
	require.NoError(t, untilDone(t, env, errc, 15*time.Second))
	rec, ok := env.log.Find(timeline.OfKind(timeline.Recovered, ""))
	require.True(t, ok)
	require.False(t, rec.At.Before(goodAt), "recovered at %s, before the data read good at %s", rec.At, goodAt)
	require.Less(t, rec.At.Sub(goodAt), 30*time.Second)
	require.Contains(t, rec.Message, "its condition reads good on data: x is 0.01")
	un, ok := env.log.Find(timeline.OfKind(timeline.RecoveryUnproven, "A"))
	require.True(t, ok)
	require.Equal(t, res.At, un.At)
	require.Contains(t, un.Message, "alert A is resolved, but that is not a recovery: no data: scraping http://svc/metrics (job service) fails")

	// Never any data: the step fails, and says no data is not recovery.
	env, s, _ = respondedState(t)
	env.read = func(string, time.Time) Reading {
		return Reading{NoData: true, Detail: "no data: x returns no sample"}
	}
	back = step(t, s, `following the runbook brings the service back`).(func(context.Context, string) error)
	go func() { errc <- back(context.Background(), "15m") }()
	err := untilDone(t, env, errc, 15*time.Second)
	require.ErrorContains(t, err, `the runbook ran, but alert "A" never read good on data within 15m0s of the acknowledgement; it resolved at`)
	require.ErrorContains(t, err, "and then: no data: x returns no sample; no data is not recovery")
	_, ok = env.log.Find(timeline.OfKind(timeline.Recovered, ""))
	require.False(t, ok)

	// Resolved, but the data still reads bad: the fix does not fix.
	env, s, _ = respondedState(t)
	env.read = func(string, time.Time) Reading { return Reading{Detail: "x is 0.3, still above its threshold 0.1"} }
	back = step(t, s, `following the runbook brings the service back`).(func(context.Context, string) error)
	go func() { errc <- back(context.Background(), "15m") }()
	require.ErrorContains(t, untilDone(t, env, errc, 15*time.Second), "but its condition still read bad 15m0s after the acknowledgement (x is 0.3, still above its threshold 0.1): the runbook's fix does not fix")
}

// A condition a runbook must bring true reads no data while its target's
// scrapes fail: reported as such, never as recovery.
func TestConditionRecoveryNeedsData(t *testing.T) {
	env, s, _ := respondedState(t)
	env.read = func(string, time.Time) Reading {
		return Reading{NoData: true, Detail: "no data: scraping http://svc/metrics (job service) fails"}
	}
	brings := step(t, s, `following the runbook brings {promql}`).(func(context.Context, string, string) error)
	errc := make(chan error, 1)
	go func() { errc <- brings(context.Background(), "x < 1", "10m") }()
	err := untilDone(t, env, errc, 15*time.Second)
	require.ErrorContains(t, err, `the runbook ran, but "x < 1" had no data to read 10m0s after the acknowledgement (no data: scraping http://svc/metrics (job service) fails): no data is not recovery`)
	var unproven int
	for _, e := range env.log.Events() {
		if e.Kind == timeline.RecoveryUnproven {
			unproven++
		}
	}
	require.Equal(t, 1, unproven, "one event per distinct reason, not one per evaluation")
}

// A data table or doc string on a step is refused before anything runs:
// no step of the catalog takes one, and godog would fail the drill on it
// halfway through.
func TestCheckRefusesStepArguments(t *testing.T) {
	src := "Feature: f\n  Scenario: s\n    Given the team's environment is running\n" +
		"    When provider \"primary\" is down\n      | for | 2m |\n" +
		"    Then an alert fires within 10m\n      \"\"\"\n      up == 0\n      \"\"\"\n"
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	var msgs []string
	for _, p := range Check(scs) {
		msgs = append(msgs, fmt.Sprintf("%d: %s", p.Line, p.Message))
	}
	require.Equal(t, []string{
		"4: the step carries a data table, and this step takes none; write its values in the step line (the steps that take a data table: When these faults start at once)",
		"6: the step carries a doc string, and this step takes none; write its values in the step line (the steps that take a doc string: Then following the runbook brings this condition true within {duration}; Then this condition holds for {duration})",
	}, msgs)
}

// The steps that take an argument refuse a line without one, one of the
// other kind, and a table that is no list of faults, at the line to fix.
func TestCheckStepArguments(t *testing.T) {
	src := `Feature: f
  Scenario: s
    When these faults start at once
    And these faults start at once:
      """
      outage primary
      """
    And these faults start at once:
      | fault  | where   |
      | outage | primary |
    And these faults start at once:
      | fault  | target  |
      | outage |         |
    And these faults start at once:
      | fault  | target  | with     | for     |
      | outage | primary |          | 10m     |
      | stub-error | search | status=503 | 5 minutes |
    Then this condition holds for 5m:
      """
      """
    And this condition holds for 5m:
      """
      up == 1
      """
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	var msgs []string
	for _, p := range Check(scs) {
		msgs = append(msgs, fmt.Sprintf("%d: %s", p.Line, p.Message))
	}
	require.Equal(t, []string{
		"3: the step takes a data table below its line (a table with a header row | fault | target | and one fault per row), and has none",
		"4: the step carries a doc string, and takes a data table (a table with a header row | fault | target | and one fault per row)",
		`8: bad faults table: line 9: column "where": want one of api, duration, failure, fault, for, kind, lasting, on, parameters, params, provider, stub, target, with`,
		"11: bad faults table: line 13: no target",
		"18: the doc string is empty: want a PromQL condition",
	}, msgs)
	faults := Faults(scs[:1])
	var got []string
	for _, f := range faults {
		got = append(got, fmt.Sprintf("%d %s %s %v %v", f.Line, f.Kind, f.Target, f.Params, f.Err))
	}
	require.Contains(t, got, "16 outage primary map[] <nil>")
	require.Contains(t, got, "17 stub-error search map[status:503] <nil>")
	specs, err := tableFaults(0, StepArg{Rows: [][]string{{"fault", "target"}, {"outage", "primary"}}})
	require.NoError(t, err)
	require.Equal(t, []faultSpec{{Kind: "outage", Target: "primary", Params: map[string]string{}}}, specs)
	var many [][]string
	many = append(many, []string{"fault", "target"})
	for range MaxTableFaults + 1 {
		many = append(many, []string{"outage", "primary"})
	}
	_, err = tableFaults(0, StepArg{Rows: many})
	require.ErrorContains(t, err, "the table has 11 faults, more than 10 at once")
}

// exampleLine is a step's example line without its keyword (and without
// the table or doc string below it).
func exampleLine(s Step) string {
	first, _, _ := strings.Cut(s.Example, "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, s.Keyword))
}

// The page, role and recovery deadlines run from the first firing of an
// alert the scenario waits for: a tolerated alert ("may fire") that fires
// first is not it.
func TestToleratedFiringIsNotTheDetection(t *testing.T) {
	ctx := context.Background()
	env := newFake()
	s := NewState(env, []string{"LLMProviderErrors", "LLMLatencyHigh"})
	s.SetTolerated([]string{"LLMLatencyHigh"})
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	require.NoError(t, s.inject(ctx, "billing-spike", "primary", nil, 0))
	env.clock.Advance(time.Minute)
	at := env.clock.Now()
	env.log.Append(alertEvent(timeline.AlertFiring, "LLMLatencyHigh", at, at))
	_, err := s.firstExpectedFiringEvent()
	require.Error(t, err, "only the tolerated alert fired")
	env.clock.Advance(3 * time.Minute)
	at = env.clock.Now()
	awaited := env.log.Append(alertEvent(timeline.AlertFiring, "LLMProviderErrors", at, at))
	got, err := s.firstExpectedFiringEvent()
	require.NoError(t, err)
	require.Equal(t, awaited.Seq, got.Seq)

	// A step that waits for the tolerated alert makes it awaited.
	s.expect("LLMLatencyHigh")
	got, err = s.firstExpectedFiringEvent()
	require.NoError(t, err)
	require.Equal(t, "LLMLatencyHigh", got.Subject)
	require.Empty(t, s.Tolerated())
}
