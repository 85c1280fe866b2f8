// Package pgtest gives tests a real, throw-away Postgres server.
//
// A package's TestMain calls Main; a test that needs Postgres calls DSN,
// which returns the URL of a new, empty database of its own (dropped when
// the test ends). The server is one per test binary, started at the first
// DSN call: where initdb and pg_ctl are found (on PATH, or Debian's
// /usr/lib/postgresql/VERSION/bin), a cluster in a temporary directory,
// listening on a free loopback port only, with fsync off; as root it runs
// as the postgres user, as initdb refuses root. Main stops it and removes
// its directory when the tests end, failed or not; if the test binary is
// killed (a -timeout panic), the server gets SIGQUIT from the kernel as
// its parent dies (Linux's parent-death signal) and exits at once, and
// the next test binary to start a server removes the directory it left.
//
// Without those programs the tests use the server DRILL_TEST_POSTGRES_DSN
// names (its user needs CREATEDB); without either they skip, with one
// line saying why.
package pgtest
