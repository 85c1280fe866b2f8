// Package history keeps every run's scorecard in a database: by default
// an embedded SQLite file (modernc.org/sqlite, no cgo) in the state folder
// (internal/statedir, .drill/history.db), or, for an organisation's
// shared history, a Postgres database (pgx through its database/sql
// driver). Open takes a DSN (ParseDSN): a path or sqlite://PATH, or
// postgres://... .
//
// A run is one row of runs (its summary columns and the scorecard JSON as
// written by scoring.WriteJSON), one row per scenario (status, family,
// timings) and one row per exporter it was sent to (status, error,
// attempts). A run stopped by Ctrl-C is marked interrupted (a column of
// runs, and the scorecard's own marker). The schema is the same on both
// backends and versioned: migrations are ordered SQL in this package (a
// list any file of the package may append to, with Postgres's text where
// the types differ), applied in one transaction and recorded in
// schema_migrations, so two processes opening the same history migrate
// it once: SQLite's transaction holds the file's write lock, Postgres's
// takes an advisory lock first. A history whose schema is newer than the
// build is refused. The queries are one text for both, with ?
// placeholders rebound to $N for Postgres.
//
// The SQLite file runs in WAL mode with a busy timeout so that concurrent
// drill runs (CI jobs sharing a workspace) can write at once; on Postgres
// each store holds at most four connections. WriteJSONL and ReadJSONL
// move runs between histories as JSON lines (drill history export and
// import).
package history
