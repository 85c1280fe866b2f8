package scoring

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/timeline"
)

// rep is repetition i (from 1) of a scenario at feature:line in a run
// with seed 1, whose page was acknowledged ack after it was sent
// (none when ack is 0).
func rep(name, feature string, line, i int, status Verdict, ack time.Duration, reason string) Scenario {
	seed := int64(i)
	sc := Scenario{
		Name: name, Feature: feature, Line: line, Family: "inference-outage", Status: status, Reason: reason,
		Evidence: map[string]int64{"outage": 40}, ExpectedAlerts: []string{"LLMGatewayErrors"},
		Repetition: &Repetition{Index: i, Seed: seed, Rerun: fmt.Sprintf("drill run --speed 120 --seed %d %s:%d", seed, feature, line)},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, time.Minute, timeline.ControlEnd, ""),
			ev(3, time.Minute, timeline.FaultOn, "outage"),
			ev(4, time.Minute+time.Duration(i)*30*time.Second, timeline.AlertFiring, "LLMGatewayErrors"),
			ev(5, 4*time.Minute, timeline.Page, "alice"),
		},
		WallSeconds: 4,
	}
	if ack > 0 {
		sc.Events = append(sc.Events, ev(6, 4*time.Minute+ack, timeline.Ack, "alice"))
	}
	if status == Passed || status == Failed {
		sc.Events = append(sc.Events, timeline.Event{Seq: 7, At: at(0), Kind: timeline.HarnessWarning, Subject: "speed", Message: "alert times are approximate"})
	}
	return sc
}

const ackLate = `features/flaky.feature:8: step "the page is acknowledged within 5m" failed: not acknowledged within 5m`

// repeatFixture is a run with --repeat 5 and --seed 1 of two scenarios:
// one whose responder's acknowledgement straddles its 5m deadline
// (seeds 1, 3 and 4 pass; 2 and 5 fail), one that always passes but
// for a harness error on seed 4.
func repeatFixture() *Scorecard {
	flaky := func(i int, ok bool) Scenario {
		if ok {
			return rep("Ack straddles the deadline", "features/flaky.feature", 3, i, Passed, time.Duration(i)*time.Minute, "")
		}
		return rep("Ack straddles the deadline", "features/flaky.feature", 3, i, Failed, 0, ackLate)
	}
	steady := func(i int) Scenario {
		if i == 4 {
			return rep("Outage fails over", "features/outage.feature", 7, i, Error, 0, "harness: port in use")
		}
		return rep("Outage fails over", "features/outage.feature", 7, i, Passed, 2*time.Minute, "")
	}
	c := &Scorecard{
		SchemaVersion: SchemaVersion, RunID: "20261126T090000-1", Team: "acme-ml",
		StartedAt: t0, FinishedAt: t0.Add(30 * time.Second), Speed: 120, Seed: 1, Repeat: 5,
		Scenarios: []Scenario{flaky(1, true), flaky(2, false), flaky(3, true), flaky(4, true), flaky(5, false),
			steady(1), steady(2), steady(3), steady(4), steady(5)},
	}
	c.Summary = Summarize(c.Scenarios)
	return c
}

func TestRepeatAggregates(t *testing.T) {
	s := repeatFixture().Summary
	require.Len(t, s.Repeats, 2)
	f, st := s.Repeats[0], s.Repeats[1]

	require.Equal(t, "features/flaky.feature", f.Feature)
	require.Equal(t, Flaky, f.Verdict, "some seeds passed and some failed")
	require.Equal(t, []int{5, 3, 2, 0, 0}, []int{f.Runs, f.Passed, f.Failed, f.Inconclusive, f.Errors})
	require.InDelta(t, 0.6, f.PassRate, 1e-12)
	// Wilson's interval of 3 in 5 at 95%: 23.1% to 88.2%.
	require.InDelta(t, 0.2307, f.PassRateInterval.Lo, 5e-4)
	require.InDelta(t, 0.8824, f.PassRateInterval.Hi, 5e-4)
	require.Equal(t, []RepeatOutcome{
		{Status: Passed, Seeds: []int64{1, 3, 4}, Rerun: "drill run --speed 120 --seed 1 features/flaky.feature:3"},
		{Status: Failed, Seeds: []int64{2, 5}, Reason: ackLate, Rerun: "drill run --speed 120 --seed 2 features/flaky.feature:3"},
	}, f.Outcomes, "each outcome with its seeds and the command that reproduces the first")

	// Timings over the repetitions where they happened: acknowledgements
	// only in the three that passed (1m, 3m, 4m).
	require.Equal(t, 5, f.TimeToDetect.N)
	require.Equal(t, 3, f.TimeToAcknowledge.N)
	require.Equal(t, Seconds(180), f.TimeToAcknowledge.Median.Seconds)
	require.Equal(t, Seconds(240), f.TimeToAcknowledge.P90.Seconds)
	// Detected after 30s·i: 30s..2m30s. Five runs cannot bound a median
	// at 95% (both order statistics' tails are 1/32 > 2.5%), and bound a
	// p90 only from below, by the third smallest.
	d := f.TimeToDetect
	require.Equal(t, Seconds(90), d.Median.Seconds)
	require.Nil(t, d.Median.Lo)
	require.Nil(t, d.Median.Hi)
	require.Equal(t, 1.0, d.Median.Coverage, "an interval bounding nothing covers everything")
	require.Equal(t, Seconds(150), d.P90.Seconds)
	require.Equal(t, Seconds(90), *d.P90.Lo)
	require.Nil(t, d.P90.Hi)
	require.InDelta(t, 1-0.00856, d.P90.Coverage, 1e-4, "one-sided: 1 - P(Binomial(5, 0.9) <= 2)")

	// A harness error is neither a failure nor judged, and its timings
	// are left out.
	require.Equal(t, Passed, st.Verdict)
	require.Equal(t, []int{5, 4, 0, 0, 1}, []int{st.Runs, st.Passed, st.Failed, st.Inconclusive, st.Errors})
	require.Equal(t, 1.0, st.PassRate)
	require.Equal(t, 4, st.TimeToDetect.N)
	require.Equal(t, []int64{4}, st.Outcomes[1].Seeds)
	require.Equal(t, Error, st.Outcomes[1].Status)

	// The run: 7 passed of 9 judged repetitions; one scenario flaky.
	require.Equal(t, 1, s.Flaky)
	require.Equal(t, 10, s.Total)
	require.Equal(t, 7, s.Passed)
	require.Equal(t, 1, s.Errors)
	require.InDelta(t, 7.0/9, s.PassRate, 1e-12)
	require.NotNil(t, s.PassRateInterval)
	require.Less(t, s.PassRateInterval.Lo, s.PassRate)
	require.Greater(t, s.PassRateInterval.Hi, s.PassRate)
}

// Six repetitions bound a median at 95%: by the smallest and the largest
// value, with coverage 1 - 2/64.
func TestRepeatMedianIntervalFromSixRuns(t *testing.T) {
	var scs []Scenario
	for i := 1; i <= 6; i++ {
		scs = append(scs, rep("s", "f.feature", 1, i, Passed, time.Duration(i)*time.Minute, ""))
	}
	r := Summarize(scs).Repeats[0].TimeToAcknowledge
	require.Equal(t, Seconds(210), r.Median.Seconds)
	require.Equal(t, Seconds(60), *r.Median.Lo)
	require.Equal(t, Seconds(360), *r.Median.Hi)
	require.InDelta(t, 1-2.0/64, r.Median.Coverage, 1e-12)
	require.Equal(t, "3m30s (95%: 1m0s–6m0s)", formatEstimate(r.Median))
	require.Equal(t, "6m0s (95%: ≥4m0s)", formatEstimate(r.P90))
}

func TestRepeatVerdicts(t *testing.T) {
	for _, c := range []struct {
		name     string
		statuses []Verdict
		want     Verdict
	}{
		{"every judged run passed", []Verdict{Passed, Passed, Error}, Passed},
		{"passes and failures are flaky", []Verdict{Passed, Failed, Passed}, Flaky},
		{"passes, failures and no proof are flaky", []Verdict{Passed, Failed, Inconclusive}, Flaky},
		{"failures and no passes fail", []Verdict{Failed, Inconclusive, Failed}, Failed},
		{"no proof is never a pass", []Verdict{Passed, Inconclusive, Passed}, Inconclusive},
		{"only harness errors judge nothing", []Verdict{Error, Error}, Error},
	} {
		t.Run(c.name, func(t *testing.T) {
			var scs []Scenario
			for i, st := range c.statuses {
				scs = append(scs, rep("s", "f.feature", 1, i+1, st, 0, string(st)))
			}
			s := Summarize(scs)
			require.Len(t, s.Repeats, 1)
			require.Equal(t, c.want, s.Repeats[0].Verdict)
			if c.want == Error {
				require.Nil(t, s.Repeats[0].PassRateInterval, "no judged run, no interval")
			}
		})
	}
}

// A single run has no repetitions: its summary and scorecard are as
// they always were.
func TestSingleRunHasNoRepeats(t *testing.T) {
	s := fixture().Summary
	require.Nil(t, s.Repeats)
	require.Nil(t, s.PassRateInterval)
	require.Zero(t, s.Flaky)
}

func TestRepeatGates(t *testing.T) {
	c := repeatFixture()
	check := func(src string, s Summary) GateResult {
		g, err := ParseGate(src)
		require.NoError(t, err, src)
		return g.Check(s)
	}
	s := c.Summary
	require.True(t, check("flaky == 1", s).OK)
	require.False(t, check("flaky == 0", s).OK)
	r := check("pass_rate_lower >= 0.9", s)
	require.False(t, r.OK)
	require.InDelta(t, s.PassRateInterval.Lo, r.Actual, 1e-12, "the gate reads the interval the scorecard carries")
	require.Contains(t, r.Reason, "the 95% Wilson interval of 7 passed of 9 judged run(s)")
	require.InDelta(t, s.PassRateInterval.Hi, check("pass_rate_upper >= 0.9", s).Actual, 1e-12)
	// The scenario the run is least sure of: 3 of 5.
	require.InDelta(t, s.Repeats[0].PassRateInterval.Lo, check("scenario_pass_rate_lower >= 0.5", s).Actual, 1e-12)

	// Without --repeat the bounds come from the scenarios' single runs,
	// honestly: one pass in one run is 21%–100%.
	one := Summarize([]Scenario{{Status: Passed}})
	r = check("pass_rate_lower >= 0.9", one)
	require.False(t, r.OK)
	require.InDelta(t, 0.2065, r.Actual, 1e-4)
	require.Contains(t, r.Reason, "1 passed of 1 judged run(s); more runs (--repeat) narrow it")
	require.InDelta(t, 0.2065, check("scenario_pass_rate_lower >= 0", one).Actual, 1e-4)
	require.Zero(t, check("scenario_pass_rate_lower >= 0", fixture().Summary).Actual, "a scenario that did not pass its only run")
	require.True(t, check("flaky == 0", one).OK)
	none := check("pass_rate_lower >= 0.5", Summarize([]Scenario{{Status: Error}}))
	require.False(t, none.OK)
	require.Equal(t, "no scenario produced pass_rate_lower", none.Reason)

	for _, src := range []string{"pass_rate_lower >= 9", "pass_rate_upper > -1", "scenario_pass_rate_lower >= 200%"} {
		_, err := ParseGate(src)
		require.ErrorContains(t, err, "is a fraction from 0 to 1", src)
	}
	_, err := ParseGate("pass_rate_lower >= 90%")
	require.NoError(t, err)
}

// Flaky is not a pass: a repeated run with a flaky scenario exits 1,
// unless the team's gates on the verdicts (pass rates, their bounds,
// counts) all hold: then they decide. A harness error exits 4 whatever
// the gates say, and gates on anything else never turn a failure green.
func TestGatedExitCode(t *testing.T) {
	gates := func(c *Scorecard, srcs ...string) exitcode.Code {
		var gs []Gate
		var rs []GateResult
		for _, src := range srcs {
			g, err := ParseGate(src)
			require.NoError(t, err)
			gs, rs = append(gs, g), append(rs, g.Check(c.Summary))
		}
		return c.GatedExitCode(gs, rs)
	}
	flaky := repeatFixture()
	flaky.Scenarios = flaky.Scenarios[:5] // the flaky scenario alone, no harness error
	flaky.Summary = Summarize(flaky.Scenarios)
	require.Equal(t, exitcode.Failed, flaky.ExitCode())
	require.Equal(t, exitcode.Failed, gates(flaky), "flaky is not a pass")
	require.Equal(t, exitcode.Failed, gates(flaky, "time_to_detect_p90 < 1h"), "a timing gate judges no verdict")
	require.Equal(t, exitcode.OK, gates(flaky, "pass_rate_lower >= 0.2", "time_to_detect_p90 < 1h"), "the team's pass-rate gate holds")
	require.Equal(t, exitcode.Failed, gates(flaky, "pass_rate_lower >= 0.9"), "the gate is missed")
	require.Equal(t, exitcode.OK, gates(flaky, "flaky <= 1"))

	withError := repeatFixture()
	require.Equal(t, exitcode.Harness, gates(withError, "pass_rate >= 0.5"), "a harness error is never the gates' to excuse")

	single := fixture() // one failed, one inconclusive, each run once
	require.Equal(t, exitcode.Failed, gates(single, "pass_rate >= 0.3"), "without repetitions, gates only ever add failures")
	passed := &Scorecard{Summary: Summarize([]Scenario{{Status: Passed}})}
	require.Equal(t, exitcode.OK, gates(passed, "pass_rate >= 1"))
	require.Equal(t, exitcode.Failed, gates(passed, "pass_rate_lower >= 0.9"))
}

func TestRepeatGoldenOutputs(t *testing.T) {
	c := repeatFixture()
	var gates []GateResult
	for _, src := range []string{"pass_rate_lower >= 0.9", "flaky == 0"} {
		g, err := ParseGate(src)
		require.NoError(t, err)
		gates = append(gates, g.Check(c.Summary))
	}
	goldenWrites(t, c, gates, filepath.Join("testdata", "golden", "repeat"))
}

func TestRepeatedScorecardValidatesAgainstSchema(t *testing.T) {
	validate := schemaValidator(t)
	require.NoError(t, validate(repeatFixture()))

	// Not vacuous: a made-up verdict over the repetitions, or a
	// repetition without its seed's command, fails.
	bad := repeatFixture()
	bad.Summary.Repeats[0].Verdict = "wobbly"
	require.Error(t, validate(bad))
	bad = repeatFixture()
	bad.Scenarios[0].Repetition.Index = 0
	require.Error(t, validate(bad))
}

// docs/ci.md documents every metric a gate may name.
func TestGateMetricsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "ci.md"))
	require.NoError(t, err)
	for _, m := range GateMetrics() {
		require.Contains(t, string(b), "`"+m+"`", "docs/ci.md's Gates table")
	}
}

// A warning is said once per scenario of a repeated run, with the number
// of repetitions that had it, even when its measured numbers differ.
func TestRepeatWarningsSaidOnce(t *testing.T) {
	var scs []Scenario
	for i, took := range []string{"1.3s", "1.5s", "2s"} {
		sc := rep("s", "f.feature", 1, i+1, Passed, time.Minute, "")
		sc.Events = append(sc.Events, timeline.Event{Seq: 8, At: at(0), Kind: timeline.HarnessWarning, Subject: "speed",
			Message: "a request took about " + took + " of real time"})
		if i == 2 {
			sc.Events = append(sc.Events, timeline.Event{Seq: 9, At: at(0), Kind: timeline.HarnessWarning, Subject: "x", Message: "something else"})
		}
		scs = append(scs, sc)
	}
	c := &Scorecard{Repeat: 3, Seed: 1, Scenarios: scs}
	c.Summary = Summarize(c.Scenarios)
	require.Equal(t, []warningCount{
		{text: "alert times are approximate", n: 3},
		{text: "a request took about 1.3s of real time", n: 3},
		{text: "something else", n: 1},
	}, repeatWarnings(c, c.Summary.Repeats[0]))
	var b bytes.Buffer
	require.NoError(t, WriteText(&b, c, nil))
	require.Contains(t, b.String(), "  warning (3 of 3 runs; the first's numbers): a request took about 1.3s of real time\n")
	require.Contains(t, b.String(), "  warning (3 of 3 runs): alert times are approximate\n")
	require.Contains(t, b.String(), "  warning (1 of 3 runs): something else\n")
}
