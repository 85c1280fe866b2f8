package features

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// evals runs a step that sleeps one evaluation interval at a time on
// the virtual clock, advancing it only while the step sleeps.
func evals(t *testing.T, env *fakeEnv, run func() error) error {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- run() }()
	var err error
	for done := false; !done; {
		require.Eventually(t, func() bool {
			select {
			case err = <-errc:
				done = true
				return true
			default:
				return env.clock.Pending() == 1
			}
		}, 10*time.Second, time.Millisecond)
		if !done {
			env.clock.Advance(env.EvalInterval())
		}
	}
	return err
}

func measureWorld(t *testing.T) (*fakeEnv, *State, time.Time) {
	t.Helper()
	env := newFake()
	s := NewState(env, nil)
	require.NoError(t, s.ensureStarted(context.Background()))
	start := env.clock.Now()
	env.clock.Advance(10 * time.Minute) // the step starts at +10:00
	return env, s, start
}

// A measure that must hold over a window passes when every reading is on
// the good side, and fails at the first that is not, with its drill time
// and value; no data after data fails, no data at all fails.
func TestMeasureHoldsOverAWindow(t *testing.T) {
	ctx := context.Background()
	stays := func(s *State, text string) func() error {
		return func() error { return invokeStep(t, s, text, ctx) }
	}
	t.Run("holds", func(t *testing.T) {
		env, s, _ := measureWorld(t)
		env.value = 1.5
		require.NoError(t, evals(t, env, stays(s, `spend stays below $2 per minute for 5 minutes`)))
		require.Equal(t, 21, len(env.exprs), "a reading every 15s for 5m, both ends")
		require.Equal(t, spendPerMinute, env.exprs[0])
	})
	t.Run("fails at the first violation", func(t *testing.T) {
		env, s, start := measureWorld(t)
		env.value = 1.5
		env.query = func() {
			if env.clock.Now().Sub(start) >= 12*time.Minute+30*time.Second {
				env.value = 3.1
			}
		}
		err := evals(t, env, stays(s, `spend stays below $2 per minute for 5 minutes`))
		require.EqualError(t, err, "spend was $3.10 per minute at +12:30, not below $2.00 per minute: it had to stay below $2.00 per minute for 5m0s from +10:00")
	})
	t.Run("success ratio", func(t *testing.T) {
		env, s, start := measureWorld(t)
		env.value = 0.995
		env.query = func() {
			if env.clock.Now().Sub(start) >= 11*time.Minute {
				env.value = 0.97
			}
		}
		err := evals(t, env, stays(s, `the success ratio stays above 99% for 10 minutes`))
		require.EqualError(t, err, "the success ratio was 97.0% at +11:00, not above 99.0%: it had to stay above 99.0% for 10m0s from +10:00")
		require.Equal(t, successRatio, env.exprs[0])
	})
	t.Run("latency", func(t *testing.T) {
		env, s, _ := measureWorld(t)
		env.value = 2.5
		err := evals(t, env, stays(s, `latency p95 stays below 2 seconds for 5 minutes`))
		require.EqualError(t, err, "latency p95 was 2.5s at +10:00, not below 2s: it had to stay below 2s for 5m0s from +10:00")
		require.Equal(t, latencyP95, env.exprs[0])
	})
	t.Run("no data after data", func(t *testing.T) {
		env, s, start := measureWorld(t)
		env.value = 0.001
		env.noData = func() bool { return env.clock.Now().Sub(start) >= 12*time.Minute }
		err := evals(t, env, stays(s, `the error ratio stays below 5% for 5 minutes`))
		require.EqualError(t, err, "the error ratio had no data from +12:00 to +12:30, so it cannot be shown to stay below 5.0% for 5m0s from +10:00: no data is not holding")
	})
	t.Run("a missed reading or two is no evidence either way", func(t *testing.T) {
		env, s, start := measureWorld(t)
		env.value = 0.001
		env.noData = func() bool {
			at := env.clock.Now().Sub(start)
			return at >= 12*time.Minute && at < 12*time.Minute+30*time.Second
		}
		require.NoError(t, evals(t, env, stays(s, `the error ratio stays below 5% for 5 minutes`)))
	})
	t.Run("no data before data is waited past", func(t *testing.T) {
		env, s, start := measureWorld(t)
		env.value = 0.5
		env.noData = func() bool { return env.clock.Now().Sub(start) < 10*time.Minute+30*time.Second }
		require.NoError(t, evals(t, env, stays(s, `spend stays below $2 per minute for 1 minute`)))
	})
	t.Run("never any data", func(t *testing.T) {
		env, s, _ := measureWorld(t)
		env.noData = func() bool { return true }
		err := evals(t, env, stays(s, `spend stays below $2 per minute for 1 minute`))
		require.EqualError(t, err, "spend had no data from +10:00 to +11:00: the traffic generator and the mock providers recorded nothing it reads")
	})
}

// Without a window of its own, a "stays" step reads the scenario so far
// once: the highest spend per minute, the whole window's error ratio.
func TestMeasureSinceStart(t *testing.T) {
	ctx := context.Background()
	env, s, _ := measureWorld(t)
	env.value = 1.9
	require.NoError(t, invokeStep(t, s, `spend stays below $2 per minute`, ctx))
	require.Equal(t, `max_over_time((`+spendPerMinute+`)[600s:15s])`, env.exprs[0])
	env.value = 2.4
	require.EqualError(t, invokeStep(t, s, `spend stays below $2 per minute`, ctx), "spend over the last 10m0s was $2.40 per minute at its highest, not below $2.00 per minute")
	env.value = 0.02
	require.NoError(t, invokeStep(t, s, `the error ratio stays below 5%`, ctx))
	require.Contains(t, env.exprs[len(env.exprs)-1], `increase(drill_traffic_requests_total{outcome="ok"}[600s])`)
	env.value = 0.2
	require.EqualError(t, invokeStep(t, s, `no more than 5% of requests fail`, ctx), "the error ratio over the last 10m0s was 20.0%, not below 5.0%")
	env.noData = func() bool { return true }
	require.ErrorContains(t, invokeStep(t, s, `latency p95 stays below 2s`, ctx), "latency p95 over the last 10m0s had no data")
}

// A correlated outage and a faults table inject every fault at the same
// drill instant; a provider named twice is refused.
func TestSeveralFaultsAtOnce(t *testing.T) {
	ctx := context.Background()
	env := newFake()
	s := NewState(env, nil)
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	require.NoError(t, invokeStep(t, s, `providers "primary" and "secondary" go down for 10 minutes`, ctx))
	require.Equal(t, []string{"outage-1", "outage-1"}, env.injected)
	require.ErrorContains(t, invokeStep(t, s, `providers "primary" and "primary" go down`, ctx), `"primary" is named twice`)

	h := step(t, s, `these faults start at once`).(func(context.Context, StepArg, ...string) error)
	env.injected = nil
	require.NoError(t, h(ctx, StepArg{Rows: [][]string{{"fault", "target", "with"}, {"outage", "primary", ""}, {"stub-error", "search", "status=503"}}}, ""))
	require.Equal(t, []string{"outage-1", "stub-error-1"}, env.injected)
	require.ErrorContains(t, h(ctx, StepArg{Rows: [][]string{{"fault", "target"}}}, ""), "the table has no fault")
}

// A runbook step on a built-in measure that never read good says so in
// drill time, from the acknowledgement to its deadline, with the last
// value seen.
func TestRecoveryThatNeverHeldSaysWhen(t *testing.T) {
	ctx := context.Background()
	env := newFake()
	s := NewState(env, nil)
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	env.clock.Advance(5 * time.Minute)
	env.log.Append(alertEvent(timeline.AlertFiring, "A", env.clock.Now(), env.clock.Now()))
	for _, e := range ackAndRunbook(env.clock.Now()) {
		env.log.Append(e)
	}
	env.value = 3.25
	env.read = func(what string, at time.Time) Reading { return Reading{Detail: what + " reads 3.25"} }
	err := evals(t, env, func() error {
		return invokeStep(t, s, `following the runbook brings latency p95 below 2 seconds within 10 minutes`, ctx)
	})
	require.ErrorContains(t, err, "it never held from +05:00 to +15:00 (last value 3.25s at +15:00)")
}

// invokeStep runs the one catalog step accepting text with the values
// it reads.
func invokeStep(t *testing.T, s *State, text string, ctx context.Context) error {
	t.Helper()
	m, ok := matchOne(text)
	require.True(t, ok, text)
	require.NoError(t, m.err, text)
	h := catalog[m.step].bind(s)
	if f, ok := h.(func(context.Context, StepArg, ...string) error); ok {
		return f(ctx, StepArg{}, m.args...)
	}
	require.False(t, strings.Contains(text, "\n"))
	return callHandler(h, ctx, m.args)
}

// ackAndRunbook is an acknowledgement at at and a runbook run that ended
// well at once.
func ackAndRunbook(at time.Time) []timeline.Event {
	return []timeline.Event{
		{At: at, Kind: timeline.Page, Subject: "alice"},
		{At: at, Kind: timeline.Ack, Subject: "alice"},
		{At: at, Kind: timeline.RunbookEnd, Subject: "rb", Attrs: map[string]string{"status": "ok"}},
	}
}

// Every built-in measure's PromQL parses as the alerting engine's parser
// reads it: its value, its condition, its reading since the start and
// its worst reading over a window, now or before.
func TestMeasuresAreValidPromQL(t *testing.T) {
	p := parser.NewParser(parser.Options{})
	for name, m := range measures {
		cond, err := measureCondition(name, "2")
		require.NoError(t, err)
		for _, q := range []string{m.value, cond, m.since("600s", "15s"), m.worstOver("300s", "15s", ""), m.worstOver("300s", "15s", "180s")} {
			e, err := p.ParseExpr(q)
			require.NoError(t, err, "%s: %s", name, q)
			require.Contains(t, []parser.ValueType{parser.ValueTypeVector, parser.ValueTypeScalar}, e.Type(), q)
		}
	}
}

// "is above ... within D" waits until the measure reads good on data, at
// most D after the latest fault, as Schedule has it: good at the
// deadline passes, a reading later fails, saying from when to when it
// was read and its last value; no data is no recovery.
func TestMeasureWithinIsItsSchedule(t *testing.T) {
	ctx := context.Background()
	steps, _ := scheduled(t, "    When provider \"primary\" is down\n    Then the success ratio is above 99% within 10m\n", 3*time.Minute)
	last := steps[len(steps)-1]
	require.True(t, last.Known)
	require.Equal(t, 3*time.Minute+10*time.Minute, last.At)
	for _, c := range []struct {
		late   time.Duration
		noData bool
		want   string
	}{
		{0, false, ""},
		{15 * time.Second, false, "the success ratio was not above 99.0% within 10m0s of the fault: it never read so from +03:00 to +13:00 (last value 97.5% at +13:00)"},
		{15 * time.Second, true, "; no data is not recovery"},
	} {
		env := newFake()
		s := NewState(env, nil)
		require.NoError(t, s.ensureStarted(ctx))
		start := env.clock.Now()
		env.clock.Set(start.Add(steps[0].At))
		env.log.Append(timeline.Event{At: env.clock.Now(), Kind: timeline.FaultOn, Subject: "outage"})
		s.mu.Lock()
		s.firstFaultAt, s.lastFaultAt, s.controlDone = env.clock.Now(), env.clock.Now(), true
		s.mu.Unlock()
		good := start.Add(last.At + c.late)
		env.value = 0.975
		env.read = func(what string, at time.Time) Reading {
			return Reading{Good: !at.Before(good), NoData: c.noData && at.Before(good), Detail: what}
		}
		err := evals(t, env, func() error { return invokeStep(t, s, `the success ratio is above 99% within 10m`, ctx) })
		if c.want == "" {
			require.NoError(t, err)
			rec, ok := env.log.Find(timeline.OfKind(timeline.Recovered, ""))
			require.True(t, ok, "the recovery is recorded")
			require.Equal(t, good, rec.At)
			continue
		}
		require.ErrorContains(t, err, c.want)
	}
}

// The fault steps a trainer's words added inject the catalog kind they
// say, with the trainer's values as its parameters.
func TestNewFaultStepsInjectWhatTheySay(t *testing.T) {
	src := `Feature: f
  Scenario: s
    When provider "primary" times out for 2 minutes
    And provider "secondary" is rate limited to 20 requests per minute
    And the "search" API slows down by 3 seconds
    And the "search" API is slow
    And providers "primary" and "secondary" go down
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	require.Empty(t, Check(scs))
	var got []string
	for _, f := range Faults(scs) {
		require.NoError(t, f.Err)
		got = append(got, fmt.Sprintf("%d %s %s %v", f.Line, f.Kind, f.Target, f.Params))
	}
	require.Equal(t, []string{
		"3 blackhole primary map[]",
		"4 rate-limit secondary map[rpm:20]",
		"5 stub-slow search map[delay:3000ms]",
		"6 stub-slow search map[]",
		"7 outage primary map[]",
		"7 outage secondary map[]",
	}, got)
}

// A condition that must hold and reads false on data fails at once and
// says when, in drill time; one with no data is evidence of nothing: a
// reading or two without data (a scrape that came late, a failed one)
// are waited past, more fail saying no data is not holding, and a hold
// that never read data fails.
func TestHoldsSaysWhenAndWhy(t *testing.T) {
	ctx := context.Background()
	hold := func(t *testing.T, missing func(since time.Duration) bool, read Reading) error {
		env, s, start := measureWorld(t)
		env.noData = func() bool { return missing(env.clock.Now().Sub(start)) }
		env.read = func(string, time.Time) Reading { return read }
		return evals(t, env, func() error { return invokeStep(t, s, `"up == 1" holds for 5m`, ctx) })
	}
	noData := Reading{NoData: true, Detail: "no data: up has no fresh sample"}
	falseOnData := Reading{Detail: "up == 1 returns no sample: it is false"}
	from := func(d time.Duration) func(time.Duration) bool {
		return func(since time.Duration) bool { return since >= d }
	}
	t.Run("false on data fails at once", func(t *testing.T) {
		err := hold(t, from(11*time.Minute), falseOnData)
		require.EqualError(t, err, `condition "up == 1" stopped holding at +11:00, 1m0s after it started (up == 1 returns no sample: it is false)`)
	})
	t.Run("no data for long fails", func(t *testing.T) {
		err := hold(t, from(11*time.Minute), noData)
		require.EqualError(t, err, `condition "up == 1" had no data from +11:00 to +11:30 (no data: up has no fresh sample), so it cannot be shown to hold for 5m0s from +10:00: no data is not holding`)
	})
	t.Run("a missing scrape or two is waited past", func(t *testing.T) {
		// The readings at +11:00 and +11:15 find no fresh sample: two in a
		// row, then data again.
		gap := func(since time.Duration) bool {
			return since >= 11*time.Minute && since < 11*time.Minute+30*time.Second
		}
		require.NoError(t, hold(t, gap, noData))
		// The same gap reading false on data fails.
		require.Error(t, hold(t, gap, falseOnData))
	})
	t.Run("never any data fails", func(t *testing.T) {
		err := hold(t, from(0), noData)
		require.EqualError(t, err, `condition "up == 1" had no data from +10:00 to +15:00, so it cannot be shown to hold: no data is not holding`)
	})
	t.Run("holds", func(t *testing.T) {
		require.NoError(t, hold(t, func(time.Duration) bool { return false }, noData))
	})
}

// faultAt records a fault at the clock's now, as inject does.
func faultAt(env *fakeEnv, s *State) {
	env.log.Append(timeline.Event{At: env.clock.Now(), Kind: timeline.FaultOn, Subject: "outage"})
	s.mu.Lock()
	s.firstFaultAt, s.lastFaultAt, s.controlDone = env.clock.Now(), env.clock.Now(), true
	s.mu.Unlock()
}

// A step that asserts the fault shows where users are passes at the
// first reading on data on the bad side of its bound (at or above it;
// at or below it for the success ratio) within its deadline of the
// fault, and fails when none is, saying from when to when it read and
// the last value; a reading with no data never passes it.
func TestMeasureReachesTheBadSide(t *testing.T) {
	ctx := context.Background()
	reach := func(s *State, text string) func() error {
		return func() error { return invokeStep(t, s, text, ctx) }
	}
	t.Run("passes at the first bad reading", func(t *testing.T) {
		env, s, start := measureWorld(t)
		faultAt(env, s)
		env.value = 0.01
		env.query = func() {
			if env.clock.Now().Sub(start) >= 12*time.Minute {
				env.value = 0.2
			}
		}
		require.NoError(t, evals(t, env, reach(s, `the error ratio goes above 5% within 5 minutes`)))
		require.Equal(t, start.Add(12*time.Minute), env.clock.Now(), "it ends at the first bad reading")
		require.Equal(t, `(1 - `+successRatio+`)`, env.exprs[0], "the step starts at the fault: nothing to read back")
		_, recovered := env.log.Find(timeline.OfKind(timeline.Recovered, ""))
		require.False(t, recovered, "the fault showing is no recovery")
	})
	t.Run("the bound itself is the bad side", func(t *testing.T) {
		env, s, _ := measureWorld(t)
		faultAt(env, s)
		env.value = 0.5
		require.NoError(t, evals(t, env, reach(s, `half the requests fail`)))
		env.value = 0.9
		require.NoError(t, evals(t, env, reach(s, `the success ratio drops below 90% within 1 minute`)))
	})
	t.Run("never bad fails with the last value", func(t *testing.T) {
		env, s, _ := measureWorld(t)
		faultAt(env, s)
		env.value = 0.01
		err := evals(t, env, reach(s, `the service has 5% errors within 5 minutes`))
		require.EqualError(t, err, "the error ratio never read at or above 5.0% within 5m0s of the fault: it was read from +10:00 to +15:00 (last value 1.0% at +15:00)")
	})
	t.Run("no data is not the fault showing", func(t *testing.T) {
		env, s, _ := measureWorld(t)
		faultAt(env, s)
		env.value = 9 // what a reading would say, had it data
		env.noData = func() bool { return true }
		err := evals(t, env, reach(s, `spend goes above $3 per minute within 2 minutes`))
		require.EqualError(t, err, "spend had no data from +10:00 to +12:00, so it cannot show the fault: no data is not the fault showing")
	})
	t.Run("a step that starts late reads back to the fault", func(t *testing.T) {
		env, s, start := measureWorld(t)
		faultAt(env, s)
		env.clock.Set(start.Add(18 * time.Minute)) // earlier steps waited 8 minutes
		env.value = 6
		require.NoError(t, evals(t, env, reach(s, `spend rises above $5 per minute within 5 minutes`)))
		require.Equal(t, []string{`max_over_time((` + spendPerMinute + `)[300s:15s] offset 180s)`}, env.exprs,
			"the worst reading of the 5 minutes after the fault, and no reading after its deadline")

		// Started 2 minutes after the fault, it reads back over them,
		// then on until its deadline.
		env, s, start = measureWorld(t)
		faultAt(env, s)
		env.clock.Set(start.Add(12 * time.Minute))
		env.value = 0.97
		err := evals(t, env, reach(s, `the success ratio drops below 95% within 5 minutes`))
		require.EqualError(t, err, "the success ratio never read at or below 95.0% within 5m0s of the fault: it was read from +10:00 to +15:00 (last value 97.0% at +15:00)")
		require.Equal(t, `min_over_time((`+successRatio+`)[120s:15s])`, env.exprs[0])
		require.Equal(t, successRatio, env.exprs[1])
	})
}

// "goes above ... within D" reads until D after the latest fault (an
// hour when no D is given), as Schedule has it: a bad reading at the
// deadline passes, one a reading later fails.
func TestMeasureReachesIsItsSchedule(t *testing.T) {
	ctx := context.Background()
	steps, _ := scheduled(t, "    When provider \"primary\" is down\n    Then spend rises above $5 per minute\n", 3*time.Minute)
	require.Equal(t, 3*time.Minute+time.Hour, steps[1].At, "an hour when no duration is given")
	steps, _ = scheduled(t, "    When provider \"primary\" is down\n    Then the error ratio goes above 5% within 10m\n", 3*time.Minute)
	last := steps[len(steps)-1]
	require.True(t, last.Known)
	require.Equal(t, 13*time.Minute, last.At)
	for _, late := range []time.Duration{0, 15 * time.Second} {
		env := newFake()
		s := NewState(env, nil)
		require.NoError(t, s.ensureStarted(ctx))
		start := env.clock.Now()
		env.clock.Set(start.Add(steps[0].At))
		faultAt(env, s)
		bad := start.Add(last.At + late)
		env.value = 0.01
		env.query = func() {
			if !env.clock.Now().Before(bad) {
				env.value = 0.3
			}
		}
		err := evals(t, env, func() error { return invokeStep(t, s, last.Step.Text, ctx) })
		if late == 0 {
			require.NoError(t, err)
			continue
		}
		require.EqualError(t, err, "the error ratio never read at or above 5.0% within 10m0s of the fault: it was read from +03:00 to +13:00 (last value 1.0% at +13:00)")
	}
}

// A rate limit takes its limit as any rate of the value grammar, counted
// in whole requests per minute; one without its limit is refused with
// what to add (it has no default), and a limit that is no whole number
// of requests per minute is refused at its line.
func TestRateLimitNeedsItsLimit(t *testing.T) {
	src := `Feature: f
  Scenario: s
    When provider "primary" is rate limited to 2 rps
    And provider "primary" throttles us to 90 requests per minute for 5 minutes
    And provider "primary" is rate limited
    And provider "primary" starts throttling us for 10 minutes
    And provider "primary" is rate limited to 1 request per hour
    And provider "primary" hits its rate limit
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	var probs []string
	for _, p := range Check(scs) {
		probs = append(probs, fmt.Sprintf("%d %s", p.Line, p.Message))
	}
	need := "incomplete step: a rate limit needs its limit, written as a rate (`to 20 requests per minute`, `to 5 rps`); drill takes none for it"
	require.Equal(t, []string{"5 " + need, "6 " + need, "8 " + need}, probs)
	for _, p := range Check(scs) {
		require.Len(t, p.Closest, 2)
		want := `When provider "primary" is rate limited to 5 requests per second`
		if p.Line == 6 {
			want += " for 10 minutes" // the line's own duration
		}
		require.Equal(t, want, p.Closest[0], "the closest step is the one the line lacks a value of, written with the line's own")
	}

	var got []string
	for _, f := range Faults(scs) {
		if f.Err != nil {
			got = append(got, fmt.Sprintf("%d %v", f.Line, f.Err))
			continue
		}
		got = append(got, fmt.Sprintf("%d %s %v", f.Line, f.Kind, f.Params))
	}
	require.Equal(t, []string{
		"3 rate-limit map[rpm:120]",
		"4 rate-limit map[rpm:90]",
		"7 a rate limit counts whole requests per minute, and this one is 0.0167 per minute",
	}, got)
}

// The canary steps read the traffic generator's canary requests alone
// (the kind="canary" series it writes), over a window, since the start,
// or until the fault shows.
func TestCanaryMeasureReadsTheCanaries(t *testing.T) {
	ctx := context.Background()
	env, s, _ := measureWorld(t)
	env.value = 0.97
	require.NoError(t, evals(t, env, func() error {
		return invokeStep(t, s, `the canary success ratio stays above 95% for 1 minute`, ctx)
	}))
	require.Equal(t, canaryRatio, env.exprs[0])
	require.Contains(t, canaryRatio, `drill_traffic_requests_total{kind="canary",outcome="ok"}[1m]`)

	env.exprs = nil
	require.EqualError(t, invokeStep(t, s, `at least 99% of the canaries pass`, ctx), "the canary success ratio over the last 11m0s was 97.0%, not above 99.0%")
	require.Equal(t, `sum(increase(drill_traffic_requests_total{kind="canary",outcome="ok"}[660s])) / sum(increase(drill_traffic_requests_total{kind="canary",outcome!="dropped"}[660s]))`, env.exprs[0])

	faultAt(env, s)
	env.exprs, env.value = nil, 0.6
	require.NoError(t, evals(t, env, func() error {
		return invokeStep(t, s, `the canary success rate drops below 80% within 10 minutes`, ctx)
	}))
	require.Equal(t, []string{canaryRatio}, env.exprs)
	env.noData = func() bool { return true }
	err := evals(t, env, func() error { return invokeStep(t, s, `the canary success rate drops below 80% within 1 minute`, ctx) })
	require.ErrorContains(t, err, "the canary success ratio had no data", "a mix without canaries shows nothing")
}

// The third-party faults in words inject the stub kind they say, and a
// provider's errors with no share given hit every request.
func TestMoreFaultWordsInjectWhatTheySay(t *testing.T) {
	src := `Feature: f
  Scenario: s
    When the "search" API returns empty results
    And the "search" API rate limits us for 5 minutes
    And the search API key has expired
    And the "search" API returns malformed responses
    And provider "primary" starts returning 500s
    And provider "primary" rejects all requests with 401
    And provider "primary" returns 503s for 20% of requests
    And provider "primary" fails 30% of requests
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	var probs []string
	for _, p := range Check(scs) {
		probs = append(probs, fmt.Sprintf("%d %s | %s", p.Line, p.Message, p.Closest[0]))
	}
	require.Equal(t, []string{"10 incomplete step: it needs the HTTP status the provider answers with, such as `with 503` | When provider \"primary\" returns 503 for 30% of requests"}, probs)
	var got []string
	for _, f := range Faults(scs) {
		require.NoError(t, f.Err)
		got = append(got, fmt.Sprintf("%d %s %s %v", f.Line, f.Kind, f.Target, f.Params))
	}
	require.Equal(t, []string{
		"3 stub-empty search map[]",
		"4 stub-rate-limit search map[]",
		"5 stub-expired-credentials search map[]",
		"6 stub-malformed search map[]",
		"7 provider-error primary map[probability:1 status:500]",
		"8 provider-error primary map[probability:1 status:401]",
		"9 provider-error primary map[probability:0.2 status:503]",
	}, got)
}

// A page must reach the named responder: another responder's page does
// not pass the step, and the failure says who was paged.
func TestPageReachesAResponder(t *testing.T) {
	ctx := context.Background()
	env, s, start := measureWorld(t)
	s.expect("A")
	faultAt(env, s)
	fired := start.Add(11 * time.Minute)
	env.log.Append(alertEvent(timeline.AlertFiring, "A", fired, fired))
	env.log.Append(timeline.Event{At: fired.Add(time.Minute), Kind: timeline.Page, Subject: "alice"})
	env.clock.Set(fired.Add(20 * time.Minute))
	err := invokeStep(t, s, `the page escalates to "bob" within 15 minutes`, ctx)
	require.EqualError(t, err, `responder "bob" was not paged within 15m of the alert firing (paged: alice at +12:00)`)
	env.log.Append(timeline.Event{At: fired.Add(10 * time.Minute), Kind: timeline.Page, Subject: "bob"})
	require.NoError(t, invokeStep(t, s, `the page escalates to "bob" within 15 minutes`, ctx))
}

// Latency's bad side reads the client-side p95 in seconds against a
// bound written as a duration.
func TestLatencyReachesTheBadSide(t *testing.T) {
	ctx := context.Background()
	env, s, _ := measureWorld(t)
	faultAt(env, s)
	env.value = 3.5
	require.NoError(t, evals(t, env, func() error { return invokeStep(t, s, `latency p95 goes above 3 seconds within 1 minute`, ctx) }))
	require.Equal(t, []string{latencyP95}, env.exprs)
	env.value = 2
	err := evals(t, env, func() error { return invokeStep(t, s, `response times go above 3 seconds within 1 minute`, ctx) })
	require.EqualError(t, err, "latency p95 never read at or above 3s within 1m0s of the fault: it was read from +10:00 to +11:00 (last value 2s at +11:00)")
}

// The canary's recovery steps read the canary ratio, not the service's.
func TestCanaryRecoveryReadsTheCanaries(t *testing.T) {
	ctx := context.Background()
	env, s, _ := measureWorld(t)
	faultAt(env, s)
	var read []string
	env.read = func(what string, at time.Time) Reading {
		read = append(read, what)
		return Reading{Good: true, Detail: what}
	}
	require.NoError(t, invokeStep(t, s, `the canary success ratio is back above 99% within 15 minutes`, ctx))
	require.Equal(t, []string{canaryRatio + " > 0.99"}, read)
	rec, ok := env.log.Find(timeline.OfKind(timeline.Recovered, ""))
	require.True(t, ok)
	require.Equal(t, "the canary success ratio above 99.0%", rec.Subject)

	read = nil
	env.log.Append(alertEvent(timeline.AlertFiring, "A", env.clock.Now(), env.clock.Now()))
	for _, e := range ackAndRunbook(env.clock.Now()) {
		env.log.Append(e)
	}
	require.NoError(t, invokeStep(t, s, `following the runbook brings the canary success ratio above 99% within 20 minutes`, ctx))
	require.Equal(t, []string{canaryRatio + " > 0.99"}, read)
}
