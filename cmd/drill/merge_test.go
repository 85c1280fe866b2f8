package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scoring"
)

// twoFlakyScenarios is the flaky drill twice, at two lines: two worlds
// with their own seeds, whose verdicts depend on them.
var twoFlakyScenarios = flakyFeature + strings.Replace(strings.SplitN(flakyFeature, "\n\n", 2)[1], "or not", "or not, again", 1)

// seeded is what a scorecard says that its run seed decides: each
// scenario's world seed, verdict and step outcomes, and the verdict
// counts. (Alert times and evidence counts are not: they depend on where
// the wall clock puts rule evaluations, and vary between two runs of the
// same seed, sharded or not.)
func seeded(t *testing.T, c scoring.Scorecard) string {
	t.Helper()
	type step struct {
		Line   int
		Status scoring.StepStatus
	}
	type scen struct {
		Place, Name, Seed string
		Status            scoring.Verdict
		Steps             []step
	}
	var scs []scen
	for _, sc := range c.Scenarios {
		var steps []step
		for _, st := range sc.Steps {
			steps = append(steps, step{st.Line, st.Status})
		}
		scs = append(scs, scen{fmt.Sprintf("%s:%d", sc.Feature, sc.Line), sc.Name, worldSeed(t, sc), sc.Status, steps})
	}
	s := c.Summary
	b, err := json.MarshalIndent(struct {
		Team                                   string
		Seed                                   int64
		Total, Passed, Failed, Inconcl, Errors int
		Scenarios                              []scen
	}{c.Team, c.Seed, s.Total, s.Passed, s.Failed, s.Inconclusive, s.Errors, scs}, "", " ")
	require.NoError(t, err)
	return string(b)
}

// Two shards of a selection, merged, give the scorecard of the unsharded
// run: each scenario ran in the same world (its seed) whichever shard ran
// it, to the same verdict and timings.
func TestMergedShardsEqualTheUnshardedRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four drills (about 20 s); skipped with -short")
	}
	dir := flakyTeam(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "flaky.feature"), []byte(twoFlakyScenarios), 0o644))
	t.Chdir(t.TempDir())
	args := []string{"run", "--team", dir, "--no-history", "--no-builtin", "--speed", "120", "--control-window", "1m", "--seed", "3"}
	whole := t.TempDir()
	code, stdout, stderr := runCLI(t, append(args, "--out", whole, "flaky")...)
	require.Contains(t, []exitcode.Code{exitcode.OK, exitcode.Failed}, code, "%s\n%s", stdout, stderr)

	var shards []string
	for _, s := range []string{"0/2", "1/2"} {
		out := t.TempDir()
		shards = append(shards, out)
		sc, so, se := runCLI(t, append(args, "--out", out, "--shard", s, "flaky")...)
		require.Contains(t, []exitcode.Code{exitcode.OK, exitcode.Failed}, sc, "%s\n%s", so, se)
		card := readScorecard(t, out)
		require.Len(t, card.Scenarios, 1, "shard %s runs one of the two", s)
		require.NotNil(t, card.Shard)
		require.Equal(t, 2, card.Shard.Selected)
	}
	merged := t.TempDir()
	mc, mo, me := runCLI(t, "merge", "--out", merged, shards[1], shards[0])
	require.Equal(t, code, mc, "the merged run exits as the unsharded one\n%s\n%s", mo, me)
	for _, f := range []string{"scorecard.json", "junit.xml", "summary.md", "cucumber.json"} {
		require.FileExists(t, filepath.Join(merged, f))
	}
	want, got := readScorecard(t, whole), readScorecard(t, merged)
	require.Nil(t, got.Shard)
	require.Equal(t, seeded(t, want), seeded(t, got), "each scenario ran in the same world to the same verdict")
	// The merged scorecard holds each shard's records whole, timings and
	// all, and its summary is theirs.
	var fromShards []scoring.Scenario
	for _, dir := range shards {
		fromShards = append(fromShards, readScorecard(t, dir).Scenarios...)
	}
	slices.SortFunc(fromShards, func(a, b scoring.Scenario) int { return cmp.Compare(a.Line, b.Line) })
	require.Equal(t, fromShards, got.Scenarios)
	require.Equal(t, scoring.Summarize(fromShards), got.Summary)

	var cucumber []struct {
		Elements []struct {
			Steps []struct {
				Result struct{ Status string } `json:"result"`
			} `json:"steps"`
		} `json:"elements"`
	}
	b, err := os.ReadFile(filepath.Join(merged, "cucumber.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &cucumber))
	require.Len(t, cucumber, 1)
	require.Len(t, cucumber[0].Elements, 2)
	for _, el := range cucumber[0].Elements {
		require.NotEqual(t, "skipped", el.Steps[0].Result.Status, "each scenario is taken from the shard that ran it")
	}

	// A missing shard and a shard twice are refused, naming them.
	code, _, stderr = runCLI(t, "merge", "--out", t.TempDir(), shards[0])
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "shard 1 of 2 missing")
	code, _, stderr = runCLI(t, "merge", "--out", t.TempDir(), shards[0], shards[0], shards[1])
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "shard 0 of 2 is given twice")
}

// --plan shows the shard's share; the shard comes from --shard, else
// from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with
// DRILL_SHARD_TOTAL or --shard-total; bad shards exit 2, named.
func TestShardFlagsAndEnvironment(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	code, whole, stderr := runCLI(t, "run", "--plan", "--all")
	require.Equal(t, exitcode.OK, code, stderr)
	shares := map[string]bool{}
	var planned int
	for i := 0; i < 3; i++ {
		code, out, stderr := runCLIEnv(t, env(map[string]string{"JOB_COMPLETION_INDEX": fmt.Sprint(i), "DRILL_SHARD_TOTAL": "3"}), "run", "--plan", "--all")
		require.Equal(t, exitcode.OK, code, stderr)
		require.Contains(t, out, fmt.Sprintf("shard %d of 3 (from 0): ", i))
		code, flagOut, _ := runCLI(t, "run", "--plan", "--all", "--shard", fmt.Sprintf("%d/3", i))
		require.Equal(t, exitcode.OK, code)
		require.Equal(t, out, flagOut, "the environment and --shard name the same shard")
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, ".feature:") && !strings.HasPrefix(line, " ") {
				require.False(t, shares[line], "%s planned in two shards", line)
				require.Contains(t, whole, line)
				shares[line] = true
				planned++
			}
		}
	}
	require.Equal(t, strings.Count(whole, "\n  speed ×"), planned, "the three shards plan every scenario of the whole run once")

	code, out, _ := runCLIEnv(t, env(map[string]string{"JOB_COMPLETION_INDEX": "1"}), "run", "--plan", "--all", "--shard-total", "2")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "shard 1 of 2 (from 0)")

	for _, tc := range []struct {
		vars map[string]string
		args []string
		want string
	}{
		{nil, []string{"--shard", "2/2"}, `--shard "2/2": the shard index counts from 0 and must be from 0 to 1 for 2 shards, got 2`},
		{nil, []string{"--shard", "0/1001"}, "the shard total must be from 1 to 1000, got 1001"},
		{nil, []string{"--shard", "1"}, `want I/N`},
		{nil, []string{"--shard", "0/2", "--shard-total", "2"}, "--shard-total goes with $JOB_COMPLETION_INDEX"},
		{map[string]string{"JOB_COMPLETION_INDEX": "0"}, nil, "$JOB_COMPLETION_INDEX=0 is set (a Kubernetes Indexed Job) and no shard total is"},
		{map[string]string{"DRILL_SHARD_TOTAL": "4"}, nil, "$DRILL_SHARD_TOTAL 4 is set and $JOB_COMPLETION_INDEX is not"},
		{map[string]string{"JOB_COMPLETION_INDEX": "4", "DRILL_SHARD_TOTAL": "4"}, nil, "$JOB_COMPLETION_INDEX=4 with $DRILL_SHARD_TOTAL 4: the shard index counts from 0 and must be from 0 to 3"},
		{map[string]string{"JOB_COMPLETION_INDEX": "x", "DRILL_SHARD_TOTAL": "4"}, nil, `$JOB_COMPLETION_INDEX="x": want the shard index`},
		{map[string]string{"JOB_COMPLETION_INDEX": "0", "DRILL_SHARD_TOTAL": "four"}, nil, `$DRILL_SHARD_TOTAL="four": want the shard total`},
	} {
		code, _, stderr := runCLIEnv(t, env(tc.vars), append([]string{"run", "--plan", "--all"}, tc.args...)...)
		require.Equal(t, exitcode.Usage, code, "%v %v", tc.vars, tc.args)
		for _, part := range strings.Split(tc.want, "…") {
			require.Contains(t, stderr, part, "%v %v", tc.vars, tc.args)
		}
	}
}
