package report

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// team draws runs of the demo's two cost-spike scenarios from fixed
// distributions: the same team, unchanged, however many runs it makes.
// Alerts fire on the 30s evaluation grid; acknowledgements and runbook
// steps vary continuously; a scenario fails now and then, raises a false
// alarm, re-pages or leaves a role unfilled.
type team struct {
	pass, falseAlarm, repage, roleGap float64 // chances per scenario
	detect                            float64 // minutes, before the evaluation grid's 0 to 90s
	recover                           float64 // minutes after the ack, mean
}

var demo = team{pass: 0.85, falseAlarm: 0.1, repage: 0.15, roleGap: 0.1, detect: 3.5, recover: 4}

func (tm team) scenario(rng *rand.Rand, name string, at time.Time) scoring.Scenario {
	st := scoring.Passed
	if rng.Float64() >= tm.pass {
		st = scoring.Failed
	}
	detect := tm.detect + 0.5*float64(rng.IntN(4))
	ack := 0.25 + rng.ExpFloat64()*0.75
	recover := detect + ack + max(0.5, tm.recover+rng.NormFloat64()*1.5)
	sc := scenario(name, "cost-spike", st, at, detect, ack, recover, rng.Float64() < tm.falseAlarm)
	fault := at.Add(5 * time.Minute)
	if rng.Float64() < tm.repage {
		sc.Events = append(sc.Events, timeline.Event{Seq: 10, At: fault.Add(time.Duration((detect + ack/2) * float64(time.Minute))), Kind: timeline.Page, Subject: "alice"})
	}
	if rng.Float64() < tm.roleGap {
		sc.Events = append(sc.Events, timeline.Event{Seq: 11, At: fault.Add(3 * time.Minute), Kind: timeline.BrokenLink,
			Subject: "incident-commander", Attrs: map[string]string{"kind": "role"}})
	}
	return sc
}

// periods makes n runs in the baseline and n in the current period, one
// every 25 hours (seeds 1..n, then n+1..2n, as a team runs them).
func periods(rng *rand.Rand, n int, base, cur team) []*scoring.Scorecard {
	start := now.Add(-30 * 24 * time.Hour)
	var out []*scoring.Scorecard
	for p, tm := range []team{base, cur} {
		for i := range n {
			at := start.Add(time.Duration(p*15*24+1+i*25) * time.Hour)
			out = append(out, run(fmt.Sprintf("p%d-%d", p, i), at,
				tm.scenario(rng, "The provider bills ten times the tokens", at),
				tm.scenario(rng, "An agent loop runs away", at)))
		}
	}
	return out
}

func report(t *testing.T, cards []*scoring.Scorecard, o Options) *Report {
	t.Helper()
	o.Now = now
	r, err := Build(cards, o)
	require.NoError(t, err)
	return r
}

// TestUnchangedTeamNoFlags is the issue's case: the same team runs six
// times, then six times more, and the report must not call either a
// regression or an improvement. Fifty such pairs of periods, drawn with a
// fixed seed: no flag at all.
func TestUnchangedTeamNoFlags(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 23))
	for rep := range 50 {
		r := report(t, periods(rng, 6, demo, demo), DefaultOptions())
		require.Greater(t, r.Tested, 10, "the draws exercise every metric")
		require.Empty(t, r.Changes, "replication %d: %v", rep, r.Changes)
	}
}

// TestUnchangedTeamFalseFlagRate measures how often an unchanged team
// gets any flag at all. Holm's correction alone keeps that at most Alpha
// (measured: 2% to 4% of reports at 6 to 12 runs a period, mostly noisy
// acknowledgement times whose chance shifts pass 20%); the minimum change
// as a margin for timings brings it to about 0.2%. The bound, 1%, fails
// if the margin goes.
func TestUnchangedTeamFalseFlagRate(t *testing.T) {
	if testing.Short() {
		t.Skip("1000 reports")
	}
	rng := rand.New(rand.NewPCG(7, 7))
	const reps = 1000
	flagged := 0
	for rep := range reps {
		if r := report(t, periods(rng, 6+rep%7, demo, demo), DefaultOptions()); len(r.Changes) > 0 {
			flagged++
		}
	}
	t.Logf("%d of %d unchanged reports had a flag", flagged, reps)
	require.LessOrEqual(t, float64(flagged)/reps, 0.01)
}

// TestRealChangeFlagged is a pass rate falling from 100% to 60% over ten
// runs each of the two scenarios: 20 of 20 against 12 of 20, Fisher's
// p = 0.0033, flagged after the correction; nothing else changed, and
// nothing else is flagged.
func TestRealChangeFlagged(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 60))
	good := demo
	good.pass = 1
	cards := periods(rng, 10, good, good)
	failed := 0
	for _, c := range cards[10:] {
		for i := range c.Scenarios {
			if failed < 8 && (i == 0 || failed%2 == 1) {
				c.Scenarios[i].Status = scoring.Failed
				failed++
			}
		}
	}
	r := report(t, cards, DefaultOptions())
	all := r.Groups[0]
	require.Equal(t, 20, all.Baseline.Passed)
	require.Equal(t, 12, all.Current.Passed)
	require.Len(t, r.Changes, 1, "%v", r.Changes)
	c := r.Changes[0]
	require.Equal(t, "pass_rate", c.Metric)
	require.Equal(t, "regression", c.Kind)
	require.InDelta(t, 0.003276, c.P, 1e-6)
	require.Less(t, c.PAdjusted, Alpha)
	require.Equal(t, []string{"cost-spike"}, c.Also, "overall is the one family here: one finding")
	require.Contains(t, changesByKind(r, "regression"),
		fmt.Sprintf("overall (and cost-spike, the same scenarios): pass rate 100.0%% → 60.0%% (-40.0 points; p 0.0033, Holm %s)", formatP(c.PAdjusted)))
}

// TestOneScenarioPerRunIsNotEnough is the same fall over ten runs of one
// scenario: 10 of 10 against 6 of 10 is p = 0.087 by Fisher's test, so it
// is not flagged, and the report says how many runs would tell.
func TestOneScenarioPerRunIsNotEnough(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 10))
	good := demo
	good.pass = 1
	start := now.Add(-30 * 24 * time.Hour)
	var cards []*scoring.Scorecard
	for p := range 2 {
		for i := range 10 {
			at := start.Add(time.Duration(p*15*24+1+i*25) * time.Hour)
			sc := good.scenario(rng, "The provider bills ten times the tokens", at)
			if p == 1 && i < 4 {
				sc.Status = scoring.Failed
			}
			cards = append(cards, run(fmt.Sprintf("r%d-%d", p, i), at, sc))
		}
	}
	r := report(t, cards, DefaultOptions())
	require.Empty(t, r.Changes)
	pr := comparison(t, r, "overall", "pass_rate")
	require.InDelta(t, 420.0/4845, *pr.P, 1e-9)
	require.Contains(t, pr.Verdict, "too few samples for any split of them to reach significance", "4 failures in 20: even all in one period is p = 0.087")
	require.Greater(t, pr.RunsNeeded, 10)
	require.Equal(t, pr.RunsNeeded-10, pr.MoreRuns)
	var b strings.Builder
	require.NoError(t, WriteText(&b, r))
	require.Contains(t, b.String(), fmt.Sprintf("%d (+%d)", pr.RunsNeeded, pr.MoreRuns))
	require.Contains(t, b.String(), "need more runs")
}

// TestIssueExamples: a diagnose phase whose median reads 1s in both
// periods is never a change, however many runs; 2 handoffs in 17
// scenarios against 2 in 14 is none either.
func TestIssueExamples(t *testing.T) {
	var bs, cs []float64
	for i := range 30 {
		bs, cs = append(bs, 0.6+float64(i%3)*0.01), append(cs, 1.3+float64(i%3)*0.01) // medians 0.61s and 1.31s: both "1s"
	}
	all := []Comparison{{Group: "overall", Metric: "diagnose_phase", Test: TestMannWhitney, kind: duration,
		bs: bs, cs: cs, BaselineN: len(bs), CurrentN: len(cs), Baseline: centre(bs, duration), Current: centre(cs, duration), runs: [2]int{30, 30}}}
	decide(all, DefaultOptions())
	require.Less(t, *all[0].PAdjusted, 1e-6, "a significant difference ...")
	require.Empty(t, all[0].Kind, "... that does not show is no change")
	require.Contains(t, all[0].Verdict, "the same at the resolution shown (1s)")

	handoffs := func(n, k int) []float64 {
		out := make([]float64, n)
		for i := range k {
			out[i] = 1
		}
		return out
	}
	h1, h2 := handoffs(17, 2), handoffs(14, 2)
	all = []Comparison{{Group: "overall", Metric: "handoffs_per_scenario", Test: TestMannWhitney, kind: perScenario,
		bs: h1, cs: h2, BaselineN: 17, CurrentN: 14, Baseline: centre(h1, perScenario), Current: centre(h2, perScenario), runs: [2]int{17, 14}}}
	decide(all, DefaultOptions())
	require.Empty(t, all[0].Kind)
	require.Greater(t, *all[0].P, 0.5, "0.12 → 0.14 is what chance does")
}

// TestMinimumChange: the same significant fall is flagged above the
// minimum change the user sets and not below it.
func TestMinimumChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 60))
	good := demo
	good.pass = 1
	cards := periods(rng, 10, good, good)
	for _, c := range cards[10:14] {
		c.Scenarios[0].Status, c.Scenarios[1].Status = scoring.Failed, scoring.Failed
	}
	o := DefaultOptions()
	r := report(t, cards, o)
	require.Len(t, r.Changes, 1)
	o.MinRateChange = 50
	r = report(t, cards, o)
	require.Empty(t, r.Changes)
	require.Contains(t, comparison(t, r, "overall", "pass_rate").Verdict, "-40.0 points, below the minimum change of 50")
	require.Contains(t, r.Rule, "a change of 50 points or more")

	o = DefaultOptions()
	o.MinRateChange = -1
	_, err := Build(cards, o)
	require.ErrorContains(t, err, "--min-rate-change")
	o = DefaultOptions()
	o.MinRelativeChange = -0.1
	_, err = Build(cards, o)
	require.ErrorContains(t, err, "--min-relative-change")
}

// TestInterruptedRunsLeftOut: a run stopped by Ctrl-C is partial; its
// scenarios cut short read as harness errors in the scorecard, and the
// report leaves the whole run out, saying so.
func TestInterruptedRunsLeftOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	cards := periods(rng, 6, demo, demo)
	cut := run("cut-short", cards[len(cards)-1].StartedAt.Add(time.Hour),
		demo.scenario(rng, "The provider bills ten times the tokens", now.Add(-time.Hour)),
		scoring.Scenario{Name: "An agent loop runs away", Family: "cost-spike", Status: scoring.Error, Reason: "the scenario did not run (interrupted)"})
	cut.Interrupted = true
	with := report(t, append(cards, cut), DefaultOptions())
	without := report(t, cards, DefaultOptions())
	require.Equal(t, []string{"cut-short"}, with.Interrupted)
	require.Equal(t, without.Groups, with.Groups, "the interrupted run counts nowhere")
	require.Len(t, with.Runs, len(without.Runs))
	require.NotEqual(t, "cut-short", with.Latest.RunID)
	require.Contains(t, header(with)[1], "1 interrupted run left out (cut-short)")
}

// TestSameDataOnlyWhenSameScenarios: two families that happen to have the
// same counts are two tests on different scenarios, each made and listed;
// a family that holds every scenario is overall's test, made once.
func TestSameDataOnlyWhenSameScenarios(t *testing.T) {
	start := now.Add(-30 * 24 * time.Hour)
	var cards []*scoring.Scorecard
	for p := range 2 {
		for i := range 10 {
			at := start.Add(time.Duration(p*15*24+1+i*25) * time.Hour)
			st := scoring.Passed
			if p == 1 && i < 8 {
				st = scoring.Failed
			}
			cards = append(cards, run(fmt.Sprintf("r%d-%d", p, i), at,
				scenario("a", "cost-spike", st, at, 4, 1, 10, false),
				scenario("b", "inference-outage", st, at, 4, 1, 10, false)))
		}
	}
	r := report(t, cards, DefaultOptions())
	cost, outage := comparison(t, r, "cost-spike", "pass_rate"), comparison(t, r, "inference-outage", "pass_rate")
	require.Empty(t, cost.SameAs)
	require.Empty(t, outage.SameAs, "10 of 10 → 2 of 10 in both families, but not the same scenarios")
	require.Equal(t, "regression", cost.Kind)
	require.Equal(t, "regression", outage.Kind)
	var groups []string
	for _, c := range r.Changes {
		if c.Metric == "pass_rate" {
			groups = append(groups, c.Group)
			require.Empty(t, c.Also)
		}
	}
	require.Equal(t, []string{"overall", "cost-spike", "inference-outage"}, groups)
}
