package scenarios

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/features"
)

func TestShareDealsEveryScenarioOnceBalanced(t *testing.T) {
	var scs []*features.Scenario
	for _, f := range []string{"features/b.feature", "builtin/a.feature"} {
		for line := 3; line < 30; line += 4 {
			scs = append(scs, &features.Scenario{File: f, Line: line})
		}
	}
	reversed := make([]*features.Scenario, len(scs))
	for i, sc := range scs {
		reversed[len(scs)-1-i] = sc
	}
	require.Equal(t, SelectionDigest(scs), SelectionDigest(reversed), "the digest depends on the set, not its order")
	for total := 1; total <= 20; total++ {
		seen := map[string]int{}
		for i := 0; i < total; i++ {
			share := Shard{Index: i, Total: total}.Share(scs)
			require.Equal(t, Shard{Index: i, Total: total}.Share(reversed), share, "shard %d/%d depends on the order given", i, total)
			require.InDelta(t, float64(len(scs))/float64(total), len(share), 1, "shard %d/%d holds %d", i, total, len(share))
			for _, sc := range share {
				seen[place(sc)]++
			}
		}
		require.Len(t, seen, len(scs), "%d shards", total)
		for p, n := range seen {
			require.Equal(t, 1, n, "%s ran in %d of %d shards", p, n, total)
		}
	}
	first := Shard{Index: 0, Total: 3}.Share(scs)
	require.Equal(t, "builtin/a.feature:3", place(first[0]))
	require.Equal(t, "builtin/a.feature:15", place(first[1]), "round-robin over the sorted places")
}

func TestParseShard(t *testing.T) {
	sh, err := ParseShard("2/4")
	require.NoError(t, err)
	require.Equal(t, Shard{Index: 2, Total: 4}, sh)
	for in, want := range map[string]string{
		"4/4":    "must be from 0 to 3 for 4 shards, got 4",
		"-1/4":   "must be from 0 to 3 for 4 shards, got -1",
		"0/0":    "the shard total must be from 1 to 1000, got 0",
		"0/1001": "the shard total must be from 1 to 1000, got 1001",
		"3":      `"3": want I/N`,
		"a/4":    `the shard index "a" is not a whole number`,
		"1/x":    `the shard total "x" is not a whole number`,
	} {
		_, err := ParseShard(in)
		require.ErrorContains(t, err, want, in)
	}
	_, err = ParseShard(fmt.Sprintf("0/%d", MaxShards))
	require.NoError(t, err)
}

// --shard-plan: longest recorded duration first, each to the shard with
// the least time so far; every scenario in exactly one shard; the plan
// does not depend on the order the scenarios come in.
func TestPlanBalancesByDuration(t *testing.T) {
	var scs []*features.Scenario
	durations := map[string]time.Duration{}
	// one long scenario, and many short ones
	for i, sec := range []int{600, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60} {
		sc := &features.Scenario{File: "features/a.feature", Line: 10 + i}
		scs = append(scs, sc)
		durations[place(sc)] = time.Duration(sec) * time.Second
	}
	unknown := &features.Scenario{File: "features/b.feature", Line: 3} // no record: the median, 60 s
	scs = append(scs, unknown)

	counts := Shard{Index: 0, Total: 2}
	plan, known := counts.Plan(scs)
	require.Zero(t, known)
	require.Equal(t, []int{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}, plan, "no durations: the count split")

	sh := Shard{Total: 2, Durations: durations}
	plan, known = sh.Plan(scs)
	require.Equal(t, 13, known)
	load := make([]time.Duration, 2)
	for i, sc := range byPlace(scs) {
		d, ok := durations[place(sc)]
		if !ok {
			d = time.Minute
		}
		load[plan[i]] += d
	}
	// 600 + 13×60 = 1380 s: the long one with two short ones against
	// eleven short ones, the best split of 60 s pieces; by count it
	// would be 600+6×60 = 960 s against 7×60 = 420 s
	require.Equal(t, []time.Duration{720 * time.Second, 660 * time.Second}, load)

	reversed := slices.Clone(scs)
	slices.Reverse(reversed)
	again, _ := sh.Plan(reversed)
	require.Equal(t, plan, again, "the order of the selection changes nothing")

	var got []string
	for i := range 2 {
		s := sh
		s.Index = i
		for _, sc := range s.Share(reversed) {
			got = append(got, place(sc))
		}
	}
	require.Len(t, got, len(scs))
	var want []string
	for _, sc := range byPlace(scs) {
		want = append(want, place(sc))
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got, "every scenario once")

	d1, d2 := sh.planDigest(scs), sh.planDigest(reversed)
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, d1)
	require.Equal(t, d1, d2)
	other := Shard{Total: 2, Durations: map[string]time.Duration{place(scs[1]): time.Hour}}
	require.NotEqual(t, d1, other.planDigest(scs), "another history, another plan")
	require.Empty(t, counts.planDigest(scs), "the count split has no plan digest")
	require.Empty(t, Shard{Total: 2, Durations: map[string]time.Duration{}}.planDigest(scs), "no duration of the selection: the count split")
}
