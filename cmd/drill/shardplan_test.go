package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
)

var plannedPlace = regexp.MustCompile(`\(([^()]+\.feature:\d+)\)`)

// places are the FILE:LINE of the scenarios a --plan output lists.
func places(out string) []string {
	var ps []string
	for _, m := range plannedPlace.FindAllStringSubmatch(out, -1) {
		ps = append(ps, m[1])
	}
	return ps
}

// --shard-plan balances shards by the durations the history recorded:
// one long scenario gets a shard nearly to itself, the shards together
// plan every scenario once; without a history they split by count and
// say so.
func TestShardPlanByRecordedDurations(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, whole, stderr := runCLI(t, "run", "--plan", "--all")
	require.Equal(t, exitcode.OK, code, stderr)
	all := places(whole)
	require.Greater(t, len(all), 4)

	db := filepath.Join(dir, "h.db")
	code, byCount, stderr := runCLI(t, "run", "--plan", "--all", "--shard", "0/2", "--shard-plan", "--history", db)
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stderr, "drill run: --shard-plan: no history at "+db+"; shard 0 of 2 is split by count")
	for i, p := range places(byCount) {
		require.Equal(t, all[2*i], p, "the count split deals round-robin by place")
	}

	// a history of the demo team in which the first scenario took ten
	// times as long as each of the others
	dt, cleanup, err := loadTeam(&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, "")
	require.NoError(t, err)
	defer cleanup()
	card := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: "before", Team: scenarios.TeamName(dt),
		StartedAt: time.Now().Add(-time.Hour), FinishedAt: time.Now(), Speed: 60, Seed: 1}
	long := all[0]
	for _, p := range all {
		i := strings.LastIndexByte(p, ':')
		line, err := strconv.Atoi(p[i+1:])
		require.NoError(t, err)
		wall := 1.0
		if p == long {
			wall = float64(len(all) - 2) // 600 s at ×1 against 60 s each of the others
		}
		card.Scenarios = append(card.Scenarios, scoring.Scenario{Name: p, Feature: p[:i], Line: line, Status: scoring.Passed, WallSeconds: wall})
	}
	card.Summary = scoring.Summarize(card.Scenarios)
	s, err := history.Open(db)
	require.NoError(t, err)
	require.NoError(t, s.Save(context.Background(), card))
	require.NoError(t, s.Close())

	seen := map[string]int{}
	var shares [][]string
	for i := range 2 {
		code, out, stderr := runCLI(t, "run", "--plan", "--all", "--shard", strconv.Itoa(i)+"/2", "--shard-plan", "--history", db)
		require.Equal(t, exitcode.OK, code, stderr)
		require.Contains(t, stderr, "drill run: --shard-plan: shard "+strconv.Itoa(i)+" of 2 balanced by recorded durations: "+
			strconv.Itoa(len(all))+" of the "+strconv.Itoa(len(all))+" selected scenarios, from the last 1 run(s) of "+card.Team+" in "+db)
		share := places(out)
		shares = append(shares, share)
		for _, p := range share {
			seen[p]++
		}
	}
	require.Len(t, seen, len(all))
	for p, n := range seen {
		require.Equal(t, 1, n, "%s planned once", p)
	}
	withLong, other := shares[0], shares[1]
	if !strings.Contains(strings.Join(withLong, " "), long) {
		withLong, other = other, withLong
	}
	// (n-2)×60 + one 60 against (n-2)×60: the long one and one short one
	require.Len(t, withLong, 2, "%v", withLong)
	require.Len(t, other, len(all)-2)

	code, _, stderr = runCLI(t, "run", "--plan", "--all", "--shard-plan", "--history", db)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "--shard-plan balances shards: give --shard I/N")
	code, _, stderr = runCLI(t, "run", "--plan", "cost-spike", "--shard", "0/2", "--shard-plan", "--no-history")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, stderr, "no history (--no-history); shard 0 of 2 is split by count")
}
