package scenarios

import (
	"fmt"
	"testing"

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
