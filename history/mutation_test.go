package history

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMutationRunsRoundTrip(t *testing.T) {
	backends(t, testMutationRunsRoundTrip)
}

func testMutationRunsRoundTrip(t *testing.T, dsn string) {
	s := openTemp(t, dsn)
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	score := 0.75
	a := MutationRun{RunID: "m1", Team: "acme", StartedAt: t0, FinishedAt: t0.Add(time.Minute), Seed: 3,
		Mutants: 5, Killed: 3, Survived: 1, Invalid: 1, Score: &score, Report: []byte(`{"run_id":"m1"}`)}
	b := MutationRun{RunID: "m2", Team: "acme", StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(2 * time.Hour), Seed: 4, Mutants: 1, Errs: 1, Interrupted: true, Report: []byte(`{}`)}
	c := MutationRun{RunID: "m3", Team: "other", StartedAt: t0.Add(time.Hour), FinishedAt: t0.Add(time.Hour), Report: []byte(`{}`)}
	for _, r := range []MutationRun{b, a, c} {
		require.NoError(t, s.SaveMutation(ctx, r))
	}
	got, err := s.MutationRuns(ctx, "acme", time.Time{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "m1", got[0].RunID, "oldest first")
	require.Equal(t, 0.75, *got[0].Score)
	require.Equal(t, 3, got[0].Killed)
	require.Equal(t, t0, got[0].StartedAt)
	require.Nil(t, got[1].Score, "no mutant counted: no score")
	require.True(t, got[1].Interrupted)
	got, err = s.MutationRuns(ctx, "", t0.Add(30*time.Minute))
	require.NoError(t, err)
	require.Len(t, got, 2)
	// saving again replaces
	a.Killed = 4
	require.NoError(t, s.SaveMutation(ctx, a))
	got, err = s.MutationRuns(ctx, "acme", time.Time{})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, 4, got[0].Killed)
}
