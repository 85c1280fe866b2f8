package main

import (
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// flakyFeature is a drill whose verdict depends on the seed: its team's
// responders acknowledge 1 to 9 minutes after the page (uniformly), and
// it wants the page acknowledged within 5. Its alert step has room (the
// alert fires about 3 drill minutes after the fault on a quiet machine,
// and at ×120 on a loaded one a few more), so that only the
// acknowledgement decides the verdict.
const flakyFeature = `@flaky
Feature: A responder whose acknowledgement straddles its deadline
  The on-call engineer acknowledges 1 to 9 minutes after the page, and
  the drill wants it within 5: whether it passes depends on the seed.

  Scenario: The page is acknowledged within 5m, or not
    Given the team's environment is running
    And steady traffic of 5 requests per second
    When provider "primary" returns 503 for 90% of requests
    Then alert "LLMGatewayErrors" fires within 15m
    And the page is acknowledged within 5m
    And the fault provably fired
`

// flakyTeam is the demo team with responders whose acknowledgement
// straddles the flaky drill's deadline.
func flakyTeam(t *testing.T) string {
	t.Helper()
	demo, err := filepath.Abs(filepath.Join("..", "..", "examples", "acme-ml"))
	require.NoError(t, err)
	dir := demoWith(t, demo, "drill.yaml", "ack_delay: {dist: lognormal, median: 1m, p90: 3m}", "ack_delay: {dist: uniform, min: 1m, max: 9m}")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "flaky.feature"), []byte(flakyFeature), 0o644))
	return dir
}

func readScorecard(t *testing.T, dir string) scoring.Scorecard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "scorecard.json"))
	require.NoError(t, err)
	var c scoring.Scorecard
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

// worldSeed is the seed the scenario's world was started with, as its
// first event says.
func worldSeed(t *testing.T, sc scoring.Scenario) string {
	t.Helper()
	for _, e := range sc.Events {
		if e.Kind == timeline.ScenarioStart {
			_, seed, ok := strings.Cut(e.Message, ", seed ")
			require.True(t, ok, e.Message)
			return seed
		}
	}
	t.Fatalf("%s: no %s event", sc.Name, timeline.ScenarioStart)
	return ""
}

// `drill run --repeat 5` on a team whose responder's acknowledgement
// straddles the deadline marks the drill flaky, with a pass rate
// interval, timing intervals and the seeds of both outcomes; each
// outcome's command, run alone, gives the same verdict in the same world.
func TestRepeatMarksAStraddlingResponderFlaky(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five drills and two reruns (about 25 s); skipped with -short")
	}
	dir := flakyTeam(t)
	t.Chdir(t.TempDir()) // the reruns' paths hold from anywhere
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--team", dir, "--no-history", "--speed", "120", "--control-window", "1m",
		"--repeat", "5", "--seed", "1", "--out", out, "flaky")
	require.Equal(t, exitcode.Failed, code, "flaky is not a pass\n%s\n%s", stdout, stderr)

	card := readScorecard(t, out)
	require.Equal(t, 5, card.Repeat)
	require.Len(t, card.Scenarios, 5, "every repetition is in the scorecard")
	require.Len(t, card.Summary.Repeats, 1)
	r := card.Summary.Repeats[0]
	require.Equal(t, scoring.Flaky, r.Verdict, "%+v", r)
	require.Equal(t, 1, card.Summary.Flaky)
	require.Equal(t, 5, r.Runs)
	require.Equal(t, 5, r.Passed+r.Failed, "every repetition was judged, none inconclusive")
	require.NotNil(t, r.PassRateInterval)
	require.Less(t, r.PassRateInterval.Lo, r.PassRate)
	require.Greater(t, r.PassRateInterval.Hi, r.PassRate)
	require.Equal(t, 5, r.TimeToDetect.N)
	require.Equal(t, r.Passed, r.TimeToAcknowledge.N, "only the passing repetitions were acknowledged in time")
	require.NotNil(t, r.TimeToDetect.P90.Lo, "five runs bound a p90 from below")

	passed, ok := r.Outcome(scoring.Passed)
	require.True(t, ok)
	failed, ok := r.Outcome(scoring.Failed)
	require.True(t, ok)
	seeds := slices.Concat(passed.Seeds, failed.Seeds)
	slices.Sort(seeds)
	require.Equal(t, []int64{1, 2, 3, 4, 5}, seeds, "each seed reached one outcome")
	require.Contains(t, failed.Reason, `step "the page is acknowledged within 5m" failed`)

	// The text summary says it all, with the commands.
	require.Contains(t, stdout, "The page is acknowledged within 5m, or not  flaky")
	require.Contains(t, stdout, "every scenario ran 5 times, with seeds 1 to 5")
	require.Contains(t, stdout, "time to detect       median ")
	for _, o := range r.Outcomes {
		require.Contains(t, stdout, string(o.Status)+" with seed(s) ")
		require.Contains(t, stdout, o.Rerun)
		require.True(t, strings.HasPrefix(o.Rerun, "drill run --control-window 1m0s --team "+dir+" --speed 120 --seed "), o.Rerun)
		require.True(t, strings.HasSuffix(o.Rerun, " features/flaky.feature:6"), o.Rerun)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	require.NoError(t, err)
	require.Contains(t, string(md), "| The page is acknowledged within 5m, or not | 🔀 flaky |")

	// JUnit: one case per repetition, named with its seed; the failures
	// say the drill is flaky.
	b, err := os.ReadFile(filepath.Join(out, "junit.xml"))
	require.NoError(t, err)
	var junit struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &junit))
	require.Len(t, junit.Suites, 1)
	require.Len(t, junit.Suites[0].Cases, 5)
	var failures int
	for _, c := range junit.Suites[0].Cases {
		require.Contains(t, c.Name, "The page is acknowledged within 5m, or not [seed ")
		if c.Failure != nil {
			failures++
			require.True(t, strings.HasPrefix(c.Failure.Message, "flaky ("), c.Failure.Message)
		}
	}
	require.Equal(t, r.Failed, failures)

	// Each outcome's command, alone, reproduces it: the same world seed
	// and the same verdict.
	for _, o := range r.Outcomes {
		args := strings.Fields(o.Rerun)
		require.Equal(t, []string{"drill", "run"}, args[:2])
		again := t.TempDir()
		code, stdout, stderr := runCLI(t, append([]string{"run", "--no-history", "--out", again}, args[2:]...)...)
		alone := readScorecard(t, again)
		require.Len(t, alone.Scenarios, 1, "%s\n%s", stdout, stderr)
		sc := alone.Scenarios[0]
		require.Equal(t, o.Status, sc.Status, "%s: %s", o.Rerun, sc.Reason)
		if o.Status == scoring.Passed {
			require.Equal(t, exitcode.OK, code)
		} else {
			require.Equal(t, exitcode.Failed, code)
		}
		var first scoring.Scenario
		for _, rep := range card.Scenarios {
			if rep.Repetition.Seed == o.Seeds[0] {
				first = rep
			}
		}
		require.Equal(t, worldSeed(t, first), worldSeed(t, sc), "%s runs in the world of repetition %d", o.Rerun, first.Repetition.Index)
	}
}

// --repeat's limits are refused as bad usage before anything runs, and a
// plan says how many times each scenario would run.
func TestRepeatFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--repeat", "0"}, "--repeat: want 1 to 1000 runs of each scenario, got 0"},
		{[]string{"--repeat", "1001"}, "--repeat: want 1 to 1000 runs of each scenario, got 1001"},
		{[]string{"--repeat", "2", "--live"}, "--repeat: a live game day runs once"},
		{[]string{"--repeat", "2", "--seed", "9223372036854775807"}, "--repeat: seeds 9223372036854775807 to 9223372036854775807+1 overflow"},
	} {
		code, _, errs := runCLI(t, append(append([]string{"run", "--plan"}, c.args...), "cost-spike")...)
		require.Equal(t, exitcode.Usage, code, c.args)
		require.Contains(t, errs, c.err, c.args)
	}
	code, out, errs := runCLI(t, "run", "--plan", "--repeat", "3", "--seed", "7", "cost-spike")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "every scenario runs 3 times, with seeds 7 to 9")
}

// The rerun command keeps the flags that change a drill's world or
// outcome, quoted for a shell, and leaves out those that do not.
func TestRerunCommand(t *testing.T) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	runFlags(fs)
	require.NoError(t, fs.Parse([]string{"--team", "ops/my team", "--speed", "120", "--control-window", "90s", "--dry-run",
		"--repeat", "5", "--seed", "3", "--parallel", "4", "--quiet", "--gate", "flaky == 0"}))
	require.Equal(t, "drill run --control-window 1m30s --dry-run --team 'ops/my team' --speed 120", rerunCommand(fs))

	fs = flag.NewFlagSet("run", flag.ContinueOnError)
	runFlags(fs)
	require.NoError(t, fs.Parse([]string{"--dry-run=false"}))
	require.Equal(t, "drill run --speed 60", rerunCommand(fs), "the default speed, said")
	require.Equal(t, `'it'\''s'`, shellQuote("it's"))
	require.Equal(t, "''", shellQuote(""))
}
