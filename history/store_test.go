package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/pgtest"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func card(id string, started time.Time, statuses ...scoring.Verdict) *scoring.Scorecard {
	c := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: id, Team: "acme", StartedAt: started,
		FinishedAt: started.Add(time.Minute), Speed: 60, Seed: 1}
	for i, st := range statuses {
		fault := started.Add(time.Duration(i) * time.Hour)
		c.Scenarios = append(c.Scenarios, scoring.Scenario{
			Name: fmt.Sprintf("scenario %d", i), Feature: "features/cost.feature", Line: 3 + i, Family: "cost-spike",
			Status: st, ExpectedAlerts: []string{"LLMSpendSpike"},
			Events: []timeline.Event{
				{Seq: 1, At: fault.Add(-5 * time.Minute), Kind: timeline.ControlEnd},
				{Seq: 2, At: fault, Kind: timeline.FaultOn, Subject: "spike"},
				{Seq: 3, At: fault.Add(4 * time.Minute), Kind: timeline.AlertFiring, Subject: "LLMSpendSpike"},
				{Seq: 4, At: fault.Add(5 * time.Minute), Kind: timeline.Page, Subject: "alice"},
				{Seq: 5, At: fault.Add(6 * time.Minute), Kind: timeline.Ack, Subject: "alice"},
				{Seq: 6, At: fault.Add(16 * time.Minute), Kind: timeline.Recovered},
			},
		})
	}
	c.Summary = scoring.Summarize(c.Scenarios)
	return c
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// backends runs test once per backend, with the DSN of a new, empty
// history: a file in a temporary directory (not yet created), a database
// of the test's Postgres server (the subtest skips where there is none).
func backends(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { test(t, filepath.Join(t.TempDir(), "sub", "history.db")) })
	t.Run("postgres", func(t *testing.T) { test(t, pgtest.DSN(t)) })
}

func openTemp(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestSaveGetList(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTemp(t, dsn)
		c1 := card("r1", t0, scoring.Passed, scoring.Failed)
		c2 := card("r2", t0.Add(48*time.Hour), scoring.Passed)
		require.NoError(t, s.Save(ctx, c2))
		require.NoError(t, s.Save(ctx, c1))

		got, err := s.Get(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, "acme", got.Team)
		require.True(t, got.StartedAt.Equal(t0))
		require.Len(t, got.Card.Scenarios, 2)
		require.Equal(t, 0.5, got.Card.Summary.PassRate)
		require.InDelta(t, 240, float64(*got.Card.Scenarios[0].Timings.TimeToDetect), 1e-9)
		require.Len(t, got.Card.Scenarios[0].Events, 6)

		all, err := s.List(ctx, time.Time{})
		require.NoError(t, err)
		require.Equal(t, []string{"r1", "r2"}, ids(all), "oldest first")
		recent, err := s.List(ctx, t0.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, []string{"r2"}, ids(recent))

		latest, err := s.Latest(ctx)
		require.NoError(t, err)
		require.Equal(t, "r2", latest.ID)

		_, err = s.Get(ctx, "nope")
		require.ErrorIs(t, err, ErrNotFound)

		// the per-scenario rows are queryable for ad-hoc SQL
		var n int
		require.NoError(t, s.db.QueryRow(`SELECT COUNT(*) FROM scenarios WHERE family = 'cost-spike' AND status = 'passed'`).Scan(&n))
		require.Equal(t, 2, n)
		var ttr float64
		require.NoError(t, s.db.QueryRow(`SELECT time_to_recover FROM scenarios WHERE run_id = 'r2'`).Scan(&ttr))
		require.InDelta(t, 960, ttr, 1e-9)
	})
}

func TestSaveAgainReplacesAndKeepsExports(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTemp(t, dsn)
		require.NoError(t, s.Save(ctx, card("r1", t0, scoring.Failed, scoring.Failed)))
		require.NoError(t, s.MarkExport(ctx, "r1", "gitlab", ExportOK, nil))
		require.NoError(t, s.Save(ctx, card("r1", t0, scoring.Passed)))
		got, err := s.Get(ctx, "r1")
		require.NoError(t, err)
		require.Len(t, got.Card.Scenarios, 1)
		require.Len(t, got.Exports, 1)
		var n int
		require.NoError(t, s.db.QueryRow(`SELECT COUNT(*) FROM scenarios WHERE run_id = 'r1'`).Scan(&n))
		require.Equal(t, 1, n)
	})
}

func TestMarkExport(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTemp(t, dsn)
		require.NoError(t, s.Save(ctx, card("r1", t0, scoring.Passed)))
		require.NoError(t, s.MarkExport(ctx, "r1", "gitlab", ExportFailed, errors.New("503 from gitlab")))
		require.NoError(t, s.MarkExport(ctx, "r1", "linear", ExportOK, nil))
		ex, err := s.Exports(ctx, "r1")
		require.NoError(t, err)
		require.Len(t, ex, 2)
		require.Equal(t, Export{Exporter: "gitlab", Status: ExportFailed, Error: "503 from gitlab", Attempts: 1, UpdatedAt: ex[0].UpdatedAt}, ex[0])
		require.Equal(t, ExportOK, ex[1].Status)

		require.NoError(t, s.MarkExport(ctx, "r1", "gitlab", ExportOK, nil))
		ex, err = s.Exports(ctx, "r1")
		require.NoError(t, err)
		require.Equal(t, ExportOK, ex[0].Status)
		require.Empty(t, ex[0].Error, "a success clears the last error")
		require.Equal(t, 2, ex[0].Attempts)

		require.ErrorIs(t, s.MarkExport(ctx, "missing", "gitlab", ExportOK, nil), ErrNotFound)
		require.ErrorContains(t, s.MarkExport(ctx, "r1", "gitlab", "done", nil), `want pending, ok or failed`)
	})
}

func TestUnexported(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTemp(t, dsn)
		for i, id := range []string{"old", "ok", "failed", "never", "other"} {
			require.NoError(t, s.Save(ctx, card(id, t0.Add(time.Duration(i)*time.Hour), scoring.Passed)))
		}
		require.NoError(t, s.MarkExportAttempts(ctx, "ok", "rootly", ExportOK, 3, nil))
		require.NoError(t, s.MarkExportAttempts(ctx, "failed", "rootly", ExportFailed, 4, errors.New("503")))
		require.NoError(t, s.MarkExport(ctx, "other", "gitlab", ExportOK, nil))
		runs, err := s.Unexported(ctx, "rootly", t0.Add(time.Hour))
		require.NoError(t, err)
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.ID)
		}
		require.Equal(t, []string{"failed", "never", "other"}, ids, "oldest first; an ok export elsewhere does not count; before since left out")
		ex, err := s.Exports(ctx, "failed")
		require.NoError(t, err)
		require.Equal(t, 4, ex[0].Attempts, "attempts are the HTTP requests the export made")
		require.ErrorContains(t, s.MarkExportAttempts(ctx, "ok", "rootly", ExportOK, -1, nil), "want 0 or more")

		all, err := s.Unexported(ctx, "rootly", time.Time{})
		require.NoError(t, err)
		require.Len(t, all, 4)
	})
}

func TestMigrationsUpgradeAnOldDatabase(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := openDSN(ctx, dsn, migrations[:1]) // a database written by a drill that knew only v1
		require.NoError(t, err)
		saveOld(t, old, card("r1", t0, scoring.Passed))
		v, err := old.Version(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, v)
		require.Error(t, old.MarkExport(ctx, "r1", "gitlab", ExportOK, nil), "no exports table yet")
		require.NoError(t, old.Close())

		s, err := Open(dsn)
		require.NoError(t, err)
		defer s.Close()
		v, err = s.Version(ctx)
		require.NoError(t, err)
		require.Equal(t, SchemaVersion(), v)
		got, err := s.Get(ctx, "r1")
		require.NoError(t, err, "v1 data survives the upgrade")
		require.Equal(t, "r1", got.ID)
		require.NoError(t, s.MarkExport(ctx, "r1", "gitlab", ExportOK, nil))

		var applied int
		require.NoError(t, s.db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&applied))
		require.Equal(t, len(migrations), applied)
	})
}

// saveOld stores a run the way drill did before the interrupted column:
// the runs and scenarios tables of migration 1.
func saveOld(t *testing.T, s *Store, c *scoring.Scorecard) {
	t.Helper()
	var blob bytes.Buffer
	require.NoError(t, scoring.WriteJSON(&blob, c))
	sum := c.Summary
	_, err := s.db.Exec(s.q(`INSERT INTO runs (run_id, team, started_at, finished_at, speed, seed, schema_version,
  total, passed, failed, inconclusive, errors, pass_rate, alerts, false_alarms, scorecard, saved_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`), c.RunID, c.Team, unixNano(c.StartedAt), unixNano(c.FinishedAt), c.Speed, c.Seed,
		c.SchemaVersion, sum.Total, sum.Passed, sum.Failed, sum.Inconclusive, sum.Errors, sum.PassRate, sum.Alerts, sum.FalseAlarms,
		blob.String(), unixNano(t0))
	require.NoError(t, err)
	for i, sc := range c.Scenarios {
		_, err := s.db.Exec(s.q(`INSERT INTO scenarios (run_id, idx, name, feature, line, family, status, reason, alerts, false_alarms)
VALUES (?,?,?,?,?,?,?,?,0,0)`), c.RunID, i, sc.Name, sc.Feature, sc.Line, sc.Family, string(sc.Status), sc.Reason)
		require.NoError(t, err)
	}
}

// An interrupted run is stored as one: the run's column and its
// scorecard say so, and its summary is kept as it was.
func TestInterruptedRun(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTemp(t, dsn)
		c := card("cut", t0, scoring.Passed, scoring.Error)
		c.Scenarios[1].Reason = "the scenario did not run (interrupted)"
		c.Interrupted = true
		c.Summary = scoring.Summarize(c.Scenarios)
		require.NoError(t, s.Save(ctx, c))
		require.NoError(t, s.Save(ctx, card("whole", t0.Add(time.Hour), scoring.Passed, scoring.Error)))
		got, err := s.Get(ctx, "cut")
		require.NoError(t, err)
		require.True(t, got.Interrupted)
		require.True(t, got.Card.Interrupted)
		all, err := s.List(ctx, time.Time{})
		require.NoError(t, err)
		require.Equal(t, []bool{true, false}, []bool{all[0].Interrupted, all[1].Interrupted}, "a harness error alone is no interruption")
		var n int
		require.NoError(t, s.db.QueryRow(`SELECT COUNT(*) FROM runs WHERE interrupted = true`).Scan(&n))
		require.Equal(t, 1, n, "plain SQL sees it too")
	})
}

// Runs recorded before the column are found interrupted by the reasons
// drill gave their unfinished scenarios.
func TestMigrationMarksOldInterruptedRuns(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		old, err := openDSN(ctx, dsn, migrations[:2])
		require.NoError(t, err)
		cut := card("cut", t0, scoring.Passed, scoring.Error, scoring.Error)
		cut.Scenarios[1].Reason = "interrupted"
		cut.Scenarios[2].Reason = "the scenario did not run (interrupted)"
		broken := card("broken", t0.Add(time.Hour), scoring.Error)
		broken.Scenarios[0].Reason = "harness: the service under test exited"
		saveOld(t, old, cut)
		saveOld(t, old, broken)
		require.NoError(t, old.Close())

		s, err := Open(dsn)
		require.NoError(t, err)
		defer s.Close()
		got, err := s.Get(ctx, "cut")
		require.NoError(t, err)
		require.True(t, got.Interrupted)
		require.True(t, got.Card.Interrupted, "the stored scorecard predates the field; the column fills it in")
		got, err = s.Get(ctx, "broken")
		require.NoError(t, err)
		require.False(t, got.Interrupted, "a harness error is not an interruption")
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		s, err := Open(dsn)
		require.NoError(t, err)
		_, err = s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)`)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		_, err = Open(dsn)
		require.ErrorContains(t, err, "schema version 99 is newer than this drill knows")
	})
}

func TestWALMode(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "history.db"))
	var mode string
	require.NoError(t, s.db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	require.Equal(t, "wal", mode)
}

// Sixteen stores on one new history, as sixteen drill shards would be:
// all migrate at once and all write, their own runs and the export count
// of one run they share, and nothing is lost (to SQLITE_BUSY, to a
// migration race, to a lost update).
func TestConcurrentWriters(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		const writers, perWriter = 16, 4
		seed := openTemp(t, dsn)
		require.NoError(t, seed.Save(ctx, card("shared", t0, scoring.Passed)))
		stores := make([]*Store, writers)
		var wg sync.WaitGroup
		errs := make(chan error, writers*perWriter*3+writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(dsn)
				if err != nil {
					errs <- err
					return
				}
				stores[w] = s
				for i := range perWriter {
					id := fmt.Sprintf("w%d-%02d", w, i)
					errs <- s.Save(ctx, card(id, t0.Add(time.Duration(i)*time.Minute), scoring.Passed, scoring.Failed))
					errs <- s.MarkExport(ctx, id, "gitlab", ExportOK, nil)
					errs <- s.MarkExport(ctx, "shared", "gitlab", ExportFailed, errors.New("503"))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for _, s := range stores {
			require.NotNil(t, s)
			defer s.Close()
		}
		all, err := stores[0].List(ctx, time.Time{})
		require.NoError(t, err)
		require.Len(t, all, writers*perWriter+1)
		var n int
		require.NoError(t, stores[1].db.QueryRow(`SELECT COUNT(*) FROM scenarios`).Scan(&n))
		require.Equal(t, writers*perWriter*2+1, n)
		ex, err := stores[2].Exports(ctx, "shared")
		require.NoError(t, err)
		require.Len(t, ex, 1)
		require.Equal(t, writers*perWriter, ex[0].Attempts, "every writer's attempt counted")
		var migs int
		require.NoError(t, stores[1].db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&migs))
		require.Equal(t, len(migrations), migs, "migrated once")
	})
}

func TestCloseTwice(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		s, err := Open(dsn)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.NoError(t, s.Close())
	})
}

func ids(runs []Run) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return out
}

func BenchmarkSave(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "h.db"))
	require.NoError(b, err)
	defer s.Close()
	c := card("r", t0, scoring.Passed, scoring.Failed, scoring.Passed)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.RunID = fmt.Sprintf("r%d", i)
		if err := s.Save(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
