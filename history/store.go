package history

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/drillkit/drill/scoring"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// busyTimeout is how long a writer waits for another one before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// ErrNotFound is returned by Get for a run the history does not hold.
var ErrNotFound = errors.New("history: no such run")

// ExportStatus is the state of one run's export to one exporter.
type ExportStatus string

// Export states. A failed export is retried by exporting again.
const (
	ExportPending ExportStatus = "pending"
	ExportOK      ExportStatus = "ok"
	ExportFailed  ExportStatus = "failed"
)

// Export is the record of one run sent (or not yet) to one exporter.
type Export struct {
	Exporter  string       `json:"exporter"`
	Status    ExportStatus `json:"status"`
	Error     string       `json:"error,omitempty"`
	Attempts  int          `json:"attempts"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// Run is one stored run: its scorecard as written at the time and the
// state of its exports. Interrupted is the history's record that the run
// was stopped before its end (Card.Interrupted says the same).
type Run struct {
	ID          string             `json:"run_id"`
	Team        string             `json:"team"`
	StartedAt   time.Time          `json:"started_at"`
	SavedAt     time.Time          `json:"saved_at"`
	Interrupted bool               `json:"interrupted"`
	Card        *scoring.Scorecard `json:"scorecard"`
	Exports     []Export           `json:"exports"`
}

// Store is an open history database. It is safe for concurrent use, and
// several processes may use the same file or Postgres database at once.
type Store struct {
	db        *sql.DB
	path      string // the file, or the redacted URL
	dialect   dialect
	closeOnce sync.Once
	closeErr  error
	now       func() time.Time
}

// Open opens the history a DSN names (see ParseDSN) and brings its
// schema up to date: a file path or sqlite://PATH is the embedded file,
// created with its directory if needed; postgres://... a Postgres
// database, which must exist (drill creates its tables, not the
// database).
func Open(dsn string) (*Store, error) {
	return openDSN(context.Background(), dsn, migrations)
}

func openDSN(ctx context.Context, dsn string, migs []migration) (*Store, error) {
	d, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if d.Backend == Postgres {
		return openPostgres(ctx, d, migs)
	}
	return open(ctx, d.Target, migs)
}

func open(ctx context.Context, path string, migs []migration) (*Store, error) {
	if path == "" {
		return nil, errors.New("history: empty path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// BEGIN IMMEDIATE takes the write lock up front, so the busy timeout
	// applies instead of a deadlock error when two writers upgrade at once.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, dialect: sqliteDialect, now: time.Now}
	if err := s.useWAL(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	if err := s.migrate(ctx, migs); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: %s: %w", path, err)
	}
	return s, nil
}

// useWAL switches the file to write-ahead logging, which lets readers go
// on while one process writes. The mode is kept in the file, so it is set
// once, not per connection. SQLite does not call the busy handler for a
// journal-mode change: when two processes open a new file at the same
// moment, one of them gets SQLITE_BUSY at once. That one retries, with a
// short pause, until busyTimeout has passed.
func (s *Store) useWAL(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	pause := 5 * time.Millisecond
	for {
		var mode string
		err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode)
		if err == nil {
			if mode != "wal" {
				return fmt.Errorf("journal mode is %q, not wal (is the file on a file system without shared memory?)", mode)
			}
			return nil
		}
		if !isBusy(err) || time.Now().Add(pause).After(deadline) {
			return fmt.Errorf("set WAL journal mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's "database is locked" (any of its
// extended codes).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// Path is the file the store was opened on, or its Postgres URL without
// the password.
func (s *Store) Path() string { return s.path }

// Backend is the kind of database the store is on.
func (s *Store) Backend() Backend { return s.dialect.backend }

// q is query text for this store's backend (its placeholders).
func (s *Store) q(query string) string { return s.dialect.rebind(query) }

// Close closes the database; it is safe to call twice.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// Save stores a run's scorecard. Saving a run ID again replaces its
// scorecard and scenarios and keeps its export records.
func (s *Store) Save(ctx context.Context, card *scoring.Scorecard) error {
	if card == nil || card.RunID == "" {
		return errors.New("history: save: scorecard without a run ID")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: save %s: %w", card.RunID, err)
	}
	defer tx.Rollback()
	if err := s.save(ctx, tx, card, s.now()); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: save %s: %w", card.RunID, err)
	}
	return nil
}

// save writes card's rows in tx, saved at savedAt.
func (s *Store) save(ctx context.Context, tx *sql.Tx, card *scoring.Scorecard, savedAt time.Time) error {
	var blob bytes.Buffer
	if err := scoring.WriteJSON(&blob, card); err != nil {
		return fmt.Errorf("history: save %s: %w", card.RunID, err)
	}
	sum := card.Summary
	_, err := tx.ExecContext(ctx, s.q(`
INSERT INTO runs (run_id, team, started_at, finished_at, speed, seed, schema_version,
  total, passed, failed, inconclusive, errors, pass_rate, alerts, false_alarms, scorecard, saved_at, interrupted)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
ON CONFLICT(run_id) DO UPDATE SET team=excluded.team, started_at=excluded.started_at,
  finished_at=excluded.finished_at, speed=excluded.speed, seed=excluded.seed,
  schema_version=excluded.schema_version, total=excluded.total, passed=excluded.passed,
  failed=excluded.failed, inconclusive=excluded.inconclusive, errors=excluded.errors,
  pass_rate=excluded.pass_rate, alerts=excluded.alerts, false_alarms=excluded.false_alarms,
  scorecard=excluded.scorecard, saved_at=excluded.saved_at, interrupted=excluded.interrupted`),
		card.RunID, card.Team, unixNano(card.StartedAt), unixNano(card.FinishedAt), card.Speed, card.Seed,
		card.SchemaVersion, sum.Total, sum.Passed, sum.Failed, sum.Inconclusive, sum.Errors, sum.PassRate,
		sum.Alerts, sum.FalseAlarms, blob.String(), unixNano(savedAt), card.Interrupted)
	if err != nil {
		return fmt.Errorf("history: save %s: %w", card.RunID, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM scenarios WHERE run_id = ?`), card.RunID); err != nil {
		return fmt.Errorf("history: save %s: %w", card.RunID, err)
	}
	for i, sc := range card.Scenarios {
		t := sc.Timings
		var falseAlarms int
		for _, a := range sc.Alerts {
			if a.FalseAlarm {
				falseAlarms++
			}
		}
		var faultAt any
		if t.FaultAt != nil {
			faultAt = unixNano(*t.FaultAt)
		}
		_, err := tx.ExecContext(ctx, s.q(`
INSERT INTO scenarios (run_id, idx, name, feature, line, family, status, reason, fault_at,
  time_to_detect, time_to_acknowledge, time_to_mitigate, time_to_recover, alerts, false_alarms)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
			card.RunID, i, sc.Name, sc.Feature, sc.Line, sc.Family, string(sc.Status), sc.Reason, faultAt,
			seconds(t.TimeToDetect), seconds(t.TimeToAcknowledge), seconds(t.TimeToMitigate), seconds(t.TimeToRecover),
			len(sc.Alerts), falseAlarms)
		if err != nil {
			return fmt.Errorf("history: save %s scenario %d: %w", card.RunID, i, err)
		}
	}
	return nil
}

// Import stores a run as another history recorded it: its scorecard, the
// time it was saved and its export records as they were (an export
// already done is not done again). Importing a run ID again replaces it.
func (s *Store) Import(ctx context.Context, r Run) error {
	if r.Card == nil || r.Card.RunID == "" {
		return errors.New("history: import: a run without a scorecard or a run ID")
	}
	if r.ID != "" && r.ID != r.Card.RunID {
		return fmt.Errorf("history: import: run %q holds the scorecard of run %q", r.ID, r.Card.RunID)
	}
	card := *r.Card
	card.Interrupted = card.Interrupted || r.Interrupted
	saved := r.SavedAt
	if saved.IsZero() {
		saved = s.now()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("history: import %s: %w", card.RunID, err)
	}
	defer tx.Rollback()
	if err := s.save(ctx, tx, &card, saved); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM exports WHERE run_id = ?`), card.RunID); err != nil {
		return fmt.Errorf("history: import %s: %w", card.RunID, err)
	}
	for _, e := range r.Exports {
		switch e.Status {
		case ExportPending, ExportOK, ExportFailed:
		default:
			return fmt.Errorf("history: import %s: export %q: status %q: want pending, ok or failed", card.RunID, e.Exporter, e.Status)
		}
		if e.Exporter == "" || e.Attempts < 0 {
			return fmt.Errorf("history: import %s: an export record needs an exporter name and attempts of 0 or more", card.RunID)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO exports (run_id, exporter, status, error, attempts, updated_at) VALUES (?,?,?,?,?,?)`),
			card.RunID, e.Exporter, string(e.Status), e.Error, e.Attempts, unixNano(e.UpdatedAt)); err != nil {
			return fmt.Errorf("history: import %s: export %s: %w", card.RunID, e.Exporter, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: import %s: %w", card.RunID, err)
	}
	return nil
}

// Get returns one run, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, runID string) (*Run, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, team, started_at, saved_at, interrupted, scorecard FROM runs WHERE run_id = ?`), runID)
	if err != nil {
		return nil, fmt.Errorf("history: get %s: %w", runID, err)
	}
	runs, err := s.scanRuns(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("history: get %s: %w", runID, err)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w %q in %s", ErrNotFound, runID, s.path)
	}
	return &runs[0], nil
}

// Teams returns the team IDs the history holds runs of, sorted.
func (s *Store) Teams(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT team FROM runs ORDER BY team`)
	if err != nil {
		return nil, fmt.Errorf("history: teams: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("history: teams: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Latest returns the run started last, or an error wrapping ErrNotFound.
func (s *Store) Latest(ctx context.Context) (*Run, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT run_id FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1`).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s holds no runs", ErrNotFound, s.path)
	}
	if err != nil {
		return nil, fmt.Errorf("history: latest: %w", err)
	}
	return s.Get(ctx, id)
}

// List returns the runs started at or after since, oldest first. A zero
// since lists every run.
func (s *Store) List(ctx context.Context, since time.Time) ([]Run, error) {
	return s.ListTeam(ctx, since, "")
}

// ListTeam is List of one team's runs (by the scorecard's team ID); team
// "" lists every team's.
func (s *Store) ListTeam(ctx context.Context, since time.Time, team string) ([]Run, error) {
	var from int64 = -1 << 63
	if !since.IsZero() {
		from = unixNano(since)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, team, started_at, saved_at, interrupted, scorecard FROM runs
WHERE started_at >= ? AND (? = '' OR team = ?) ORDER BY started_at, run_id`), from, team, team)
	if err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	runs, err := s.scanRuns(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("history: list: %w", err)
	}
	return runs, nil
}

// Unexported returns the runs started at or after since (zero: every
// run) that have no ok export to exporter, oldest first: never exported
// there, pending, or failed.
func (s *Store) Unexported(ctx context.Context, exporter string, since time.Time) ([]Run, error) {
	var from int64 = -1 << 63
	if !since.IsZero() {
		from = unixNano(since)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, team, started_at, saved_at, interrupted, scorecard FROM runs
WHERE started_at >= ? AND NOT EXISTS (SELECT 1 FROM exports e WHERE e.run_id = runs.run_id AND e.exporter = ? AND e.status = ?)
ORDER BY started_at, run_id`), from, exporter, string(ExportOK))
	if err != nil {
		return nil, fmt.Errorf("history: unexported runs: %w", err)
	}
	runs, err := s.scanRuns(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("history: unexported runs: %w", err)
	}
	return runs, nil
}

func (s *Store) scanRuns(ctx context.Context, rows *sql.Rows) ([]Run, error) {
	var runs []Run
	for rows.Next() {
		var (
			r              Run
			started, saved int64
			blob           string
		)
		if err := rows.Scan(&r.ID, &r.Team, &started, &saved, &r.Interrupted, &blob); err != nil {
			rows.Close()
			return nil, err
		}
		r.StartedAt, r.SavedAt = time.Unix(0, started).UTC(), time.Unix(0, saved).UTC()
		r.Card = new(scoring.Scorecard)
		if err := json.Unmarshal([]byte(blob), r.Card); err != nil {
			rows.Close()
			return nil, fmt.Errorf("run %s: stored scorecard: %w", r.ID, err)
		}
		// a run recorded before scorecards said so is known by its column
		r.Card.Interrupted = r.Card.Interrupted || r.Interrupted
		runs = append(runs, r)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range runs {
		ex, err := s.Exports(ctx, runs[i].ID)
		if err != nil {
			return nil, err
		}
		runs[i].Exports = ex
	}
	return runs, nil
}

// MarkExport records the outcome of exporting a run: status ok with a nil
// error, failed with the error. Each call counts one attempt.
func (s *Store) MarkExport(ctx context.Context, runID, exporter string, status ExportStatus, exportErr error) error {
	attempt := 1
	if status == ExportPending {
		attempt = 0
	}
	return s.MarkExportAttempts(ctx, runID, exporter, status, attempt, exportErr)
}

// MarkExportAttempts is MarkExport adding attempts (the HTTP requests the
// export made) to the run's count for the exporter.
func (s *Store) MarkExportAttempts(ctx context.Context, runID, exporter string, status ExportStatus, attempt int, exportErr error) error {
	switch status {
	case ExportPending, ExportOK, ExportFailed:
	default:
		return fmt.Errorf("history: export status %q: want pending, ok or failed", status)
	}
	if attempt < 0 {
		return fmt.Errorf("history: export attempts %d: want 0 or more", attempt)
	}
	msg := ""
	if exportErr != nil {
		msg = exportErr.Error()
	}
	// the casts type the parameters for Postgres, which cannot infer
	// them from a SELECT list
	res, err := s.db.ExecContext(ctx, s.q(`
INSERT INTO exports (run_id, exporter, status, error, attempts, updated_at)
SELECT run_id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS BIGINT) FROM runs WHERE run_id = ?
ON CONFLICT(run_id, exporter) DO UPDATE SET status=excluded.status, error=excluded.error,
  attempts=exports.attempts + excluded.attempts, updated_at=excluded.updated_at`),
		exporter, string(status), msg, attempt, unixNano(s.now()), runID)
	if err != nil {
		return fmt.Errorf("history: mark export %s of %s: %w", exporter, runID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w %q in %s", ErrNotFound, runID, s.path)
	}
	return nil
}

// Exports returns the export records of a run, by exporter name.
func (s *Store) Exports(ctx context.Context, runID string) ([]Export, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT exporter, status, error, attempts, updated_at FROM exports
WHERE run_id = ? ORDER BY exporter`), runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Export
	for rows.Next() {
		var (
			e  Export
			st string
			at int64
		)
		if err := rows.Scan(&e.Exporter, &st, &e.Error, &e.Attempts, &at); err != nil {
			return nil, err
		}
		e.Status, e.UpdatedAt = ExportStatus(st), time.Unix(0, at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func unixNano(t time.Time) int64 { return t.UTC().UnixNano() }

func seconds(s *scoring.Seconds) any {
	if s == nil {
		return nil
	}
	return float64(*s)
}

// Durations are the recorded real durations of a team's scenarios, by
// place "FILE:LINE", for balancing shards (drill run --shard-plan): per
// place, the median over the team's last runs (at most lastRuns, newest
// first, interrupted ones left out) of its scenario records that ran to
// a verdict (harness errors left out). A duration is scaled to ×1, the
// wall seconds times the run's speed, so that runs at different speeds
// compare. It returns the durations and how many runs they came from.
func (s *Store) Durations(ctx context.Context, team string, lastRuns int) (map[string]time.Duration, int, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run_id, scorecard FROM runs WHERE team = ? AND interrupted = false
ORDER BY started_at DESC, run_id DESC LIMIT ?`), team, lastRuns)
	if err != nil {
		return nil, 0, fmt.Errorf("history: durations: %w", err)
	}
	defer rows.Close()
	samples := map[string][]float64{}
	n := 0
	for rows.Next() {
		var id, blob string
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, 0, fmt.Errorf("history: durations: %w", err)
		}
		var card struct {
			Speed     float64 `json:"speed"`
			Scenarios []struct {
				Feature     string          `json:"feature"`
				Line        int             `json:"line"`
				Status      scoring.Verdict `json:"status"`
				WallSeconds float64         `json:"wall_seconds"`
			} `json:"scenarios"`
		}
		if err := json.Unmarshal([]byte(blob), &card); err != nil {
			return nil, 0, fmt.Errorf("history: durations: run %s: stored scorecard: %w", id, err)
		}
		n++
		for _, sc := range card.Scenarios {
			if sc.Status == scoring.Error || sc.WallSeconds <= 0 || card.Speed <= 0 || sc.Feature == "" {
				continue
			}
			p := fmt.Sprintf("%s:%d", sc.Feature, sc.Line)
			samples[p] = append(samples[p], sc.WallSeconds*card.Speed)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("history: durations: %w", err)
	}
	out := make(map[string]time.Duration, len(samples))
	for p, v := range samples {
		slices.Sort(v)
		m := v[len(v)/2]
		if len(v)%2 == 0 {
			m = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		out[p] = time.Duration(m * float64(time.Second))
	}
	return out, n, nil
}
