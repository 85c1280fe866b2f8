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
	score, equivalent := 0.75, 2
	a := MutationRun{RunID: "m1", Team: "acme", StartedAt: t0, FinishedAt: t0.Add(time.Minute), Seed: 3,
		Mutants: 5, Killed: 3, Survived: 1, Invalid: 1, Score: &score, Equivalent: &equivalent, Report: []byte(`{"run_id":"m1"}`)}
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
	require.Equal(t, 2, *got[0].Equivalent)
	require.Nil(t, got[1].Score, "no mutant counted: no score")
	require.Nil(t, got[1].Equivalent, "not given: not known")
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

// A database of migration 4 keeps its mutation runs through the upgrade;
// how many mutants they left out as equivalent is not known (NULL).
func TestMutationRunsUpgradeFromV4(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := openDSN(ctx, dsn, migrations[:4])
		require.NoError(t, err)
		_, err = old.db.Exec(old.q(`INSERT INTO mutation_runs (run_id, team, started_at, finished_at, seed, mutants, killed, survived, invalid, errors, score, report)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`), "m4", "acme", unixNano(t0), unixNano(t0), 1, 2, 1, 1, 0, 0, 0.5, `{}`)
		require.NoError(t, err)
		require.NoError(t, old.Close())
		s, err := Open(dsn)
		require.NoError(t, err)
		defer s.Close()
		got, err := s.MutationRuns(ctx, "acme", time.Time{})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, 0.5, *got[0].Score)
		require.Nil(t, got[0].Equivalent)
		n := 3
		got[0].Equivalent, got[0].Report = &n, []byte(`{}`)
		require.NoError(t, s.SaveMutation(ctx, got[0]))
		got, err = s.MutationRuns(ctx, "acme", time.Time{})
		require.NoError(t, err)
		require.Equal(t, 3, *got[0].Equivalent)
	})
}
