package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// migration is one step of the schema, applied once, in order. Never edit
// a released migration: append a new one (the next version) to
// migrations, here or from another file of the package.
//
// sql is the step for both backends unless postgres is set, which is then
// Postgres's text of the same step: write it where the SQLite text would
// mean something else there (INTEGER is 32-bit and REAL single precision
// in Postgres, so nanosecond times are BIGINT and seconds DOUBLE
// PRECISION; a 0/1 flag is a BOOLEAN). Both run in one transaction with
// the other missing steps; both may hold several statements.
type migration struct {
	version  int
	name     string
	sql      string
	postgres string
}

// migrations is the schema's history. Times are UTC Unix nanoseconds;
// durations are seconds of drill time, NULL when they did not happen.
var migrations = []migration{
	{1, "runs and scenarios", `
CREATE TABLE runs (
  run_id         TEXT PRIMARY KEY,
  team           TEXT NOT NULL,
  started_at     INTEGER NOT NULL,
  finished_at    INTEGER NOT NULL,
  speed          REAL NOT NULL,
  seed           INTEGER NOT NULL,
  schema_version INTEGER NOT NULL,
  total          INTEGER NOT NULL,
  passed         INTEGER NOT NULL,
  failed         INTEGER NOT NULL,
  inconclusive   INTEGER NOT NULL,
  errors         INTEGER NOT NULL,
  pass_rate      REAL NOT NULL,
  alerts         INTEGER NOT NULL,
  false_alarms   INTEGER NOT NULL,
  scorecard      TEXT NOT NULL,
  saved_at       INTEGER NOT NULL
);
CREATE INDEX runs_started_at ON runs (started_at);
CREATE TABLE scenarios (
  run_id              TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  idx                 INTEGER NOT NULL,
  name                TEXT NOT NULL,
  feature             TEXT NOT NULL,
  line                INTEGER NOT NULL,
  family              TEXT NOT NULL,
  status              TEXT NOT NULL,
  reason              TEXT NOT NULL,
  fault_at            INTEGER,
  time_to_detect      REAL,
  time_to_acknowledge REAL,
  time_to_mitigate    REAL,
  time_to_recover     REAL,
  alerts              INTEGER NOT NULL,
  false_alarms        INTEGER NOT NULL,
  PRIMARY KEY (run_id, idx)
);
CREATE INDEX scenarios_family ON scenarios (family, status);
`, `
CREATE TABLE runs (
  run_id         TEXT PRIMARY KEY,
  team           TEXT NOT NULL,
  started_at     BIGINT NOT NULL,
  finished_at    BIGINT NOT NULL,
  speed          DOUBLE PRECISION NOT NULL,
  seed           BIGINT NOT NULL,
  schema_version INTEGER NOT NULL,
  total          INTEGER NOT NULL,
  passed         INTEGER NOT NULL,
  failed         INTEGER NOT NULL,
  inconclusive   INTEGER NOT NULL,
  errors         INTEGER NOT NULL,
  pass_rate      DOUBLE PRECISION NOT NULL,
  alerts         INTEGER NOT NULL,
  false_alarms   INTEGER NOT NULL,
  scorecard      TEXT NOT NULL,
  saved_at       BIGINT NOT NULL
);
CREATE INDEX runs_started_at ON runs (started_at);
CREATE TABLE scenarios (
  run_id              TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  idx                 INTEGER NOT NULL,
  name                TEXT NOT NULL,
  feature             TEXT NOT NULL,
  line                INTEGER NOT NULL,
  family              TEXT NOT NULL,
  status              TEXT NOT NULL,
  reason              TEXT NOT NULL,
  fault_at            BIGINT,
  time_to_detect      DOUBLE PRECISION,
  time_to_acknowledge DOUBLE PRECISION,
  time_to_mitigate    DOUBLE PRECISION,
  time_to_recover     DOUBLE PRECISION,
  alerts              INTEGER NOT NULL,
  false_alarms        INTEGER NOT NULL,
  PRIMARY KEY (run_id, idx)
);
CREATE INDEX scenarios_family ON scenarios (family, status);
`},
	{2, "export status per exporter", `
CREATE TABLE exports (
  run_id     TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  exporter   TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed')),
  error      TEXT NOT NULL DEFAULT '',
  attempts   INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, exporter)
);
`, `
CREATE TABLE exports (
  run_id     TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  exporter   TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pending', 'ok', 'failed')),
  error      TEXT NOT NULL DEFAULT '',
  attempts   INTEGER NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (run_id, exporter)
);
`},
	// A run stopped by Ctrl-C was stored like any other, its unfinished
	// scenarios as harness errors. Runs recorded before this column are
	// recognised by the reasons drill gave those scenarios.
	{3, "interrupted runs", `
ALTER TABLE runs ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET interrupted = 1 WHERE run_id IN (
  SELECT run_id FROM scenarios WHERE status = 'error'
    AND reason IN ('interrupted', 'the scenario did not run (interrupted)'));
`, `
ALTER TABLE runs ADD COLUMN interrupted BOOLEAN NOT NULL DEFAULT false;
UPDATE runs SET interrupted = true WHERE run_id IN (
  SELECT run_id FROM scenarios WHERE status = 'error'
    AND reason IN ('interrupted', 'the scenario did not run (interrupted)'));
`},
	// drill mutate's runs (history/mutation.go): the score and its
	// counts, and the whole report as JSON.
	{4, "mutation runs", `
CREATE TABLE mutation_runs (
  run_id      TEXT PRIMARY KEY,
  team        TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  seed        INTEGER NOT NULL,
  mutants     INTEGER NOT NULL,
  killed      INTEGER NOT NULL,
  survived    INTEGER NOT NULL,
  invalid     INTEGER NOT NULL,
  errors      INTEGER NOT NULL,
  score       REAL,
  interrupted INTEGER NOT NULL DEFAULT 0,
  report      TEXT NOT NULL
);
CREATE INDEX mutation_runs_started_at ON mutation_runs (team, started_at);
`, `
CREATE TABLE mutation_runs (
  run_id      TEXT PRIMARY KEY,
  team        TEXT NOT NULL,
  started_at  BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  seed        BIGINT NOT NULL,
  mutants     INTEGER NOT NULL,
  killed      INTEGER NOT NULL,
  survived    INTEGER NOT NULL,
  invalid     INTEGER NOT NULL,
  errors      INTEGER NOT NULL,
  score       DOUBLE PRECISION,
  interrupted BOOLEAN NOT NULL DEFAULT false,
  report      TEXT NOT NULL
);
CREATE INDEX mutation_runs_started_at ON mutation_runs (team, started_at);
`},
	// How many mutants a mutation run left out as equivalent (printing
	// as the original, or evaluating identically on the baseline's
	// recorded metrics): the score counts none of them. NULL for a run
	// saved before: its report lists those it left out.
	{5, "mutation runs' equivalent mutants", `
ALTER TABLE mutation_runs ADD COLUMN equivalent INTEGER;
`, `
ALTER TABLE mutation_runs ADD COLUMN equivalent INTEGER;
`},
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// checkMigrations refuses a list that is not versions 1, 2, 3, ... in
// order (two files appending the same version, say).
func checkMigrations(migs []migration) error {
	if len(migs) == 0 {
		return errors.New("no migrations")
	}
	for i, m := range migs {
		if m.version != i+1 {
			return fmt.Errorf("migration %d (%s) is at position %d of the list: want versions 1, 2, 3, ... each once, in order", m.version, m.name, i+1)
		}
		if strings.TrimSpace(m.sql) == "" {
			return fmt.Errorf("migration %d (%s) has no SQL", m.version, m.name)
		}
	}
	return nil
}

// migrate applies the missing migrations in one transaction. SQLite's is
// immediate (it holds the file's write lock); Postgres's takes an
// advisory lock first. Either way a second process migrating at the same
// moment waits, then finds the schema current. A database whose schema is
// newer than this build's is refused, and nothing is changed.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	if err := checkMigrations(migs); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if s.dialect.lock != "" {
		if _, err := tx.ExecContext(ctx, s.dialect.lock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.dialect.migrationsTable); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if latest := migs[len(migs)-1].version; int(current.Int64) > latest {
		return fmt.Errorf("schema version %d is newer than this drill knows (%d): upgrade drill", current.Int64, latest)
	}
	for _, m := range migs {
		if int64(m.version) <= current.Int64 {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.dialect.migrationSQL(m)); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			m.version, m.name, unixNano(s.now())); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return tx.Commit()
}

// Version returns the schema version of the open database.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("history: version: %w", err)
	}
	return int(v.Int64), nil
}
