package history

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/pgtest"
	"github.com/drillkit/drill/scoring"
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

// Runs move between the backends through JSON lines, with their export
// records and save times, both ways.
func TestExportImportBetweenBackends(t *testing.T) {
	ctx := context.Background()
	file := openTemp(t, filepath.Join(t.TempDir(), "history.db"))
	pg := openTemp(t, pgtest.DSN(t))
	a := card("a1", t0, scoring.Passed, scoring.Failed)
	b := card("b1", t0.Add(time.Hour), scoring.Passed)
	b.Team = "payments"
	cut := card("cut", t0.Add(2*time.Hour), scoring.Error)
	cut.Interrupted = true
	for _, c := range []*scoring.Scorecard{a, b, cut} {
		require.NoError(t, file.Save(ctx, c))
	}
	require.NoError(t, file.MarkExport(ctx, "a1", "gitlab", ExportFailed, errors.New("503")))
	require.NoError(t, file.MarkExport(ctx, "a1", "gitlab", ExportOK, nil))

	var buf bytes.Buffer
	n, err := file.WriteJSONL(ctx, &buf, time.Time{}, "")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	require.Equal(t, 3, strings.Count(buf.String(), "\n"))
	n, err = pg.ReadJSONL(ctx, bytes.NewReader(buf.Bytes()), "runs.jsonl")
	require.NoError(t, err)
	require.Equal(t, 3, n)
	n, err = pg.ReadJSONL(ctx, bytes.NewReader(buf.Bytes()), "runs.jsonl")
	require.NoError(t, err, "importing again replaces")
	require.Equal(t, 3, n)

	want, err := file.List(ctx, time.Time{})
	require.NoError(t, err)
	got, err := pg.List(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, want, got, "the same runs, saved at the same times, with the same exports")
	require.Equal(t, 2, got[0].Exports[0].Attempts)
	require.True(t, got[2].Interrupted)

	teams, err := pg.Teams(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"acme", "payments"}, teams)
	pay, err := pg.ListTeam(ctx, time.Time{}, "payments")
	require.NoError(t, err)
	require.Equal(t, []string{"b1"}, ids(pay))

	// and back, one team only
	back := openTemp(t, filepath.Join(t.TempDir(), "back.db"))
	buf.Reset()
	n, err = pg.WriteJSONL(ctx, &buf, time.Time{}, "acme")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	_, err = back.ReadJSONL(ctx, &buf, "acme.jsonl")
	require.NoError(t, err)
	round, err := back.List(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []Run{want[0], want[2]}, round)
}

func TestReadJSONLRefusesBadLines(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, filepath.Join(t.TempDir(), "history.db"))
	var good bytes.Buffer
	require.NoError(t, json.NewEncoder(&good).Encode(Run{ID: "r1", Card: card("r1", t0, scoring.Passed)}))
	for _, tc := range []struct{ in, err string }{
		{good.String() + "\n{\"run_id\": \"x\"}\n", `runs.jsonl:3: field scorecard: missing`},
		{`{"scorecard": {"run_id": "x"}}`, `runs.jsonl:1: field run_id: missing`},
		{`{"run_id": "x", "nope": 1}`, `runs.jsonl:1: not a run as drill history export writes it: json: unknown field "nope"`},
		{`{"run_id": "x"} {"run_id": "y"}`, `runs.jsonl:1: more than one JSON value on the line`},
		{`[1, 2`, `runs.jsonl:1: not a run`},
		{good.String() + `{"run_id": "r2", "scorecard": {"run_id": "r3"}}`, `runs.jsonl:2: history: import: run "r2" holds the scorecard of run "r3"`},
		{`{"run_id": "r1", "scorecard": {"run_id": "r1"}, "exports": [{"exporter": "gitlab", "status": "sent"}]}`, `status "sent": want pending, ok or failed`},
	} {
		_, err := s.ReadJSONL(ctx, strings.NewReader(tc.in), "runs.jsonl")
		require.ErrorContains(t, err, tc.err, tc.in)
	}
	// the line limit: a line one byte over is refused, without reading on
	line := strings.TrimSpace(good.String())
	n, err := s.readJSONL(ctx, strings.NewReader(line+"\n"+line+"x\n"), "big.jsonl", len(line))
	require.Equal(t, 1, n)
	require.EqualError(t, err, fmt.Sprintf("big.jsonl:2: line longer than %d bytes (the most a run's line may hold)", len(line)))
	n, err = s.readJSONL(ctx, strings.NewReader(line), "last.jsonl", len(line))
	require.NoError(t, err, "a last line without a newline")
	require.Equal(t, 1, n)
}

func TestDurations(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTemp(t, dsn)
		for i, wall := range []float64{10, 30, 20} {
			c := card(fmt.Sprintf("r%d", i), t0.Add(time.Duration(i)*time.Hour), scoring.Passed, scoring.Error)
			c.Scenarios[0].WallSeconds = wall
			c.Scenarios[1].WallSeconds = 99 // a harness error says nothing of the time
			require.NoError(t, s.Save(ctx, c))
		}
		fast := card("fast", t0.Add(3*time.Hour), scoring.Failed)
		fast.Speed, fast.Scenarios[0].WallSeconds = 120, 5 // ×120: 5 s is 10 s at ×60
		require.NoError(t, s.Save(ctx, fast))
		cut := card("cut", t0.Add(4*time.Hour), scoring.Passed)
		cut.Interrupted, cut.Scenarios[0].WallSeconds = true, 1000
		require.NoError(t, s.Save(ctx, cut))
		other := card("other", t0, scoring.Passed)
		other.Team, other.Scenarios[0].WallSeconds = "payments", 500
		require.NoError(t, s.Save(ctx, other))

		d, n, err := s.Durations(ctx, "acme", 10)
		require.NoError(t, err)
		require.Equal(t, 4, n, "acme's runs, the interrupted one left out")
		// samples at ×1: 600, 1800, 1200, 600 → median (600+1200)/2
		require.Equal(t, map[string]time.Duration{"features/cost.feature:3": 900 * time.Second}, d)
		d, n, err = s.Durations(ctx, "acme", 2)
		require.NoError(t, err)
		require.Equal(t, 2, n, "the newest two")
		require.Equal(t, 900*time.Second, d["features/cost.feature:3"], "1200 and 600")
		d, n, err = s.Durations(ctx, "nobody", 10)
		require.NoError(t, err)
		require.Zero(t, n)
		require.Empty(t, d)
	})
}
