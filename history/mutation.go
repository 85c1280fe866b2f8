package history

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MutationRun is one drill mutate run as the history keeps it. Score is
// killed / (killed + survived), nil when no mutant was counted;
// Equivalent is how many mutants it left out as equivalent, nil for a
// run saved before the history kept it; Report is the run's JSON report.
type MutationRun struct {
	RunID                                    string
	Team                                     string
	StartedAt, FinishedAt                    time.Time
	Seed                                     int64
	Mutants, Killed, Survived, Invalid, Errs int
	Score                                    *float64
	Equivalent                               *int
	Interrupted                              bool
	Report                                   []byte
}

// SaveMutation stores a mutation run, replacing one of the same ID.
func (s *Store) SaveMutation(ctx context.Context, r MutationRun) error {
	var score, equivalent any
	if r.Score != nil {
		score = *r.Score
	}
	if r.Equivalent != nil {
		equivalent = *r.Equivalent
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO mutation_runs
  (run_id, team, started_at, finished_at, seed, mutants, killed, survived, invalid, errors, score, interrupted, report, equivalent)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(run_id) DO UPDATE SET team=excluded.team, started_at=excluded.started_at, finished_at=excluded.finished_at,
  seed=excluded.seed, mutants=excluded.mutants, killed=excluded.killed, survived=excluded.survived,
  invalid=excluded.invalid, errors=excluded.errors, score=excluded.score, interrupted=excluded.interrupted,
  report=excluded.report, equivalent=excluded.equivalent`),
		r.RunID, r.Team, unixNano(r.StartedAt), unixNano(r.FinishedAt), r.Seed, r.Mutants, r.Killed, r.Survived, r.Invalid, r.Errs,
		score, r.Interrupted, string(r.Report), equivalent)
	if err != nil {
		return fmt.Errorf("history: save mutation run %s: %w", r.RunID, err)
	}
	return nil
}

// MutationRuns lists the mutation runs of team (every team when empty)
// started at or after since, oldest first, without their reports.
func (s *Store) MutationRuns(ctx context.Context, team string, since time.Time) ([]MutationRun, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, team, started_at, finished_at, seed, mutants, killed, survived, invalid, errors, score, interrupted, equivalent
  FROM mutation_runs WHERE started_at >= ? AND (CAST(? AS TEXT) = '' OR team = ?) ORDER BY started_at, run_id`), unixNano(since), team, team)
	if err != nil {
		return nil, fmt.Errorf("history: mutation runs: %w", err)
	}
	defer rows.Close()
	var out []MutationRun
	for rows.Next() {
		var r MutationRun
		var start, end int64
		var score sql.NullFloat64
		var equivalent sql.NullInt64
		if err := rows.Scan(&r.RunID, &r.Team, &start, &end, &r.Seed, &r.Mutants, &r.Killed, &r.Survived, &r.Invalid, &r.Errs, &score, &r.Interrupted, &equivalent); err != nil {
			return nil, fmt.Errorf("history: mutation runs: %w", err)
		}
		r.StartedAt, r.FinishedAt = time.Unix(0, start).UTC(), time.Unix(0, end).UTC()
		if score.Valid {
			v := score.Float64
			r.Score = &v
		}
		if equivalent.Valid {
			n := int(equivalent.Int64)
			r.Equivalent = &n
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
