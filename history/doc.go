// Package history keeps every run's scorecard in an embedded SQLite
// database (modernc.org/sqlite, no cgo), at the path it is opened with; by
// default drill's commands keep it in the state folder (internal/statedir,
// .drill/history.db).
//
// A run is one row of runs (its summary columns and the scorecard JSON as
// written by scoring.WriteJSON), one row per scenario (status, family,
// timings) and one row per exporter it was sent to (status, error,
// attempts). A run stopped by Ctrl-C is marked interrupted (a column of
// runs, and the scorecard's own marker). The schema is versioned:
// migrations are ordered SQL in this package, applied in one immediate
// transaction and recorded in schema_migrations, so two processes opening
// the same file migrate it once. The database runs in WAL mode with a
// busy timeout so that concurrent drill runs (CI jobs sharing a
// workspace) can write at once.
package history
