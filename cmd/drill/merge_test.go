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
