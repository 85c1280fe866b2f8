package scenarios

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
)

// A scenario's world seed depends on the run seed and its place alone,
// and is pinned: changing the derivation changes every drill's world,
// which the docs and the scorecards already printed promise it does not.
func TestScenarioSeed(t *testing.T) {
	s := ScenarioSeed(1, "features/flaky.feature", 6)
	require.Equal(t, int64(1910030245168420765), s, "the documented derivation (FNV-1a of FILE:LINE, xor seed, splitmix64, top bit cleared)")
	require.Equal(t, s, ScenarioSeed(1, "features/flaky.feature", 6), "the same place and seed, the same world")
	seen := map[int64]string{}
	for _, c := range []struct {
		seed int64
		file string
		line int
	}{
		{1, "features/flaky.feature", 6}, {2, "features/flaky.feature", 6}, {1, "features/flaky.feature", 7},
		{1, "builtin/flaky.feature", 6}, {0, "features/flaky.feature", 6}, {-1, "features/flaky.feature", 6},
		{math.MaxInt64, "features/flaky.feature", 6}, {math.MinInt64, "features/flaky.feature", 6},
	} {
		v := ScenarioSeed(c.seed, c.file, c.line)
		require.GreaterOrEqual(t, v, int64(0), "world seeds print as positive numbers")
		key := fmt.Sprintf("%d %s:%d", c.seed, c.file, c.line)
		require.NotContains(t, seen, v, "%s collides with %s", key, seen[v])
		seen[v] = key
	}
}

func TestRepetitionURI(t *testing.T) {
	for _, f := range []string{"builtin/cost-spike.feature", "features/a#b.feature"} {
		for _, i := range []int{1, 2, 1000} {
			file, n := splitRepetition(repetitionURI(f, i))
			require.Equal(t, f, file)
			require.Equal(t, i, n)
		}
	}
	file, n := splitRepetition("features/x.feature")
	require.Equal(t, "features/x.feature", file)
	require.Equal(t, 1, n)
}

// Every limit of --repeat is refused before any world starts, as
// invalid input.
func TestRunRefusesBadRepeats(t *testing.T) {
	tm := demoTeam(t)
	// Cancelled: were a bad value let through, no world would start.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		opts Options
		err  string
	}{
		{Options{Repeat: MaxRepeat + 1}, "repeat: want 1 to 1000 runs of each scenario, got 1001"},
		{Options{Repeat: -1}, "repeat: want 1 to 1000 runs of each scenario, got -1"},
		{Options{Repeat: 2, Live: true}, "a live game day runs once"},
		{Options{Repeat: 3, Seed: math.MaxInt64 - 1}, "repeat: seeds 9223372036854775806 to 9223372036854775806+2 overflow"},
	} {
		c.opts.Team, c.opts.Names = tm, []string{"cost-spike"}
		card, err := Run(ctx, c.opts)
		require.Nil(t, card)
		require.ErrorContains(t, err, c.err)
		require.Equal(t, exitcode.Usage, exitcode.Of(err))
	}
	require.NoError(t, CheckRepeat(MaxRepeat, math.MaxInt64-MaxRepeat+1, false), "the last seed that fits")
	require.NoError(t, CheckRepeat(1, math.MaxInt64, true))
}
