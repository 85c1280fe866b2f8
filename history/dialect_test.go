package history

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		in      string
		backend Backend
		target  string
		err     string
	}{
		{in: ".drill/history.db", backend: SQLite, target: ".drill/history.db"},
		{in: "/srv/h.db", backend: SQLite, target: "/srv/h.db"},
		{in: "sqlite://h.db", backend: SQLite, target: "h.db"},
		{in: "sqlite:///srv/h.db", backend: SQLite, target: "/srv/h.db"},
		{in: "./odd://name.db", backend: SQLite, target: "./odd://name.db"},
		{in: "postgres://drill:pw@db:5432/drill?sslmode=require", backend: Postgres, target: "postgres://drill:pw@db:5432/drill?sslmode=require"},
		{in: "postgresql://db/drill", backend: Postgres, target: "postgresql://db/drill"},
		{in: "postgres:///drill?host=/run/postgresql", backend: Postgres, target: "postgres:///drill?host=/run/postgresql"},
		{in: "", err: "empty DSN"},
		{in: "sqlite://", err: "no file after sqlite://"},
		{in: "postgres:///drill", err: "no host"},
		{in: "mysql://db/drill", err: `unknown scheme "mysql"`},
		{in: "postgres://u:secret@db/%zz", err: "not a postgres URL"},
		{in: strings.Repeat("x", MaxDSN+1), err: "at most 4096"},
	} {
		d, err := ParseDSN(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.in)
			require.NotContains(t, err.Error(), "secret")
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, DSN{Backend: tc.backend, Target: tc.target}, d, tc.in)
	}
	require.True(t, IsRemote("postgres://db/drill"))
	require.False(t, IsRemote("h.db"))
	require.False(t, IsRemote("mysql://db"), "not a DSN at all")
}

func TestDSNStringHidesThePassword(t *testing.T) {
	d, err := ParseDSN("postgres://drill:s3cret@db:5432/drill?sslmode=disable")
	require.NoError(t, err)
	require.Equal(t, "postgres://drill:xxxxx@db:5432/drill?sslmode=disable", d.String())
	d, err = ParseDSN("postgres://db/drill?password=s3cret")
	require.NoError(t, err)
	require.NotContains(t, d.String(), "s3cret")
	// a server that is not there: the error names it, without the password
	_, err = Open("postgres://drill:s3cret@127.0.0.1:1/drill?sslmode=disable&connect_timeout=5")
	require.Error(t, err)
	require.Contains(t, err.Error(), "postgres://drill:xxxxx@127.0.0.1:1/drill")
	require.NotContains(t, err.Error(), "s3cret")
}

func TestRebind(t *testing.T) {
	q := `INSERT INTO t (a, b) SELECT ?, 'what?' FROM x WHERE "odd?" = ? AND c = ?`
	require.Equal(t, q, sqliteDialect.rebind(q))
	require.Equal(t, `INSERT INTO t (a, b) SELECT $1, 'what?' FROM x WHERE "odd?" = $2 AND c = $3`, postgresDialect.rebind(q))
}

func TestCheckMigrations(t *testing.T) {
	require.NoError(t, checkMigrations(migrations))
	require.ErrorContains(t, checkMigrations(nil), "no migrations")
	dup := append(append([]migration{}, migrations...), migration{version: len(migrations), name: "again", sql: "SELECT 1"})
	require.ErrorContains(t, checkMigrations(dup), "want versions 1, 2, 3, ... each once, in order")
	empty := append(append([]migration{}, migrations...), migration{version: len(migrations) + 1, name: "nothing"})
	require.ErrorContains(t, checkMigrations(empty), "has no SQL")
}

// A migration that fails leaves the database as it was: the steps before
// it in the same transaction are rolled back too.
func TestFailedMigrationChangesNothing(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s, err := openDSN(ctx, dsn, migrations[:1])
		require.NoError(t, err)
		require.NoError(t, s.Close())
		bad := append(append([]migration{}, migrations...),
			migration{version: len(migrations) + 1, name: "broken", sql: "CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table"})
		_, err = openDSN(ctx, dsn, bad)
		require.ErrorContains(t, err, "(broken)")
		s, err = openDSN(ctx, dsn, migrations[:1])
		require.NoError(t, err)
		v, err := s.Version(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, v, "migrations 2 and up, applied with the broken one, were rolled back with it")
		_, err = s.db.Exec(`SELECT * FROM half`)
		require.Error(t, err, "the broken migration's first statement was rolled back")
		require.NoError(t, s.Close())
		s, err = Open(dsn)
		require.NoError(t, err, "the good migrations apply on their own")
		defer s.Close()
		v, err = s.Version(ctx)
		require.NoError(t, err)
		require.Equal(t, SchemaVersion(), v)
	})
}
