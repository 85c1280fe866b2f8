package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/pgtest"
)

// drill run saves in a Postgres history, drill report reads it per team
// or for all teams, and drill history moves its runs into a file and
// back.
func TestPostgresHistoryRunReportMove(t *testing.T) {
	pg := pgtest.DSN(t)
	dir := t.TempDir()
	t.Chdir(dir)

	// a run stopped at once is still saved, as interrupted
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"run", "--history", pg, "cost-spike"}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	require.Equal(t, exitcode.Interrupted, code, "stdout: %s\nstderr: %s", out.String(), errb.String())
	require.Regexp(t, `run \S+ saved in postgres://drill@127\.0\.0\.1:\d+/drilltest_`, out.String())

	// two teams' runs, as two teams' nightly jobs save them
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	rec, err := newRecorder(e, pg, false, "")
	require.NoError(t, err)
	acme := fixtureCard(t)
	rec.record(context.Background(), e, acme)
	pay := fixtureCard(t)
	pay.RunID, pay.Team = pay.RunID+"-pay", "payments"
	rec.record(context.Background(), e, pay)
	require.NotContains(t, errb.String(), "warning", errb.String())

	code, _, stderr := runCLI(t, "report", "--history", pg)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "the window holds runs of 2 teams ("+acme.Team+", payments): --team ID for one of them, --team all for all of them together")

	type rep struct {
		Team  string   `json:"team"`
		Teams []string `json:"teams"`
		Runs  []struct {
			RunID string `json:"run_id"`
		} `json:"runs"`
		Interrupted []string `json:"interrupted_runs"`
	}
	report := func(args ...string) rep {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"report", "--format", "json"}, args...)...)
		require.Equal(t, exitcode.OK, code, stderr)
		var r rep
		require.NoError(t, json.Unmarshal([]byte(stdout), &r))
		return r
	}
	r := report("--history", pg, "--team", "payments")
	require.Equal(t, "payments", r.Team)
	require.Len(t, r.Runs, 1)
	require.Equal(t, pay.RunID, r.Runs[0].RunID)
	r = report("--history", pg, "--team", "all")
	require.Equal(t, "all", r.Team)
	require.Equal(t, []string{acme.Team, "payments"}, r.Teams)
	require.Len(t, r.Runs, 2)
	require.Len(t, r.Interrupted, 1, "the cut run, of the demo team")

	code, _, stderr = runCLI(t, "report", "--history", pg, "--team", "nobody")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "--team nobody: postgres://drill@")
	require.Contains(t, stderr, "holds no runs of that team (its teams: ")

	// Postgres → JSON lines → a file history, one team's runs
	jsonl := filepath.Join(dir, "runs.jsonl")
	code, _, stderr = runCLI(t, "history", "export", "--history", pg, "--team", "payments", "--out", jsonl)
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stderr, "1 run(s) of postgres://")
	file := filepath.Join(dir, "laptop.db")
	code, _, stderr = runCLI(t, "history", "import", "--history", file, jsonl)
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stderr, "1 run(s) imported into "+file)
	r = report("--history", file)
	require.Equal(t, "payments", r.Team)
	require.Equal(t, pay.RunID, r.Runs[0].RunID)

	// and every run of the file back into a second Postgres database, from stdin
	pg2 := pgtest.DSN(t)
	var all bytes.Buffer
	code = run(context.Background(), []string{"history", "export", "--history", pg}, &env{stdin: &bytes.Buffer{}, stdout: &all, stderr: &errb, getenv: func(string) string { return "" }})
	require.Equal(t, exitcode.OK, code, errb.String())
	require.Equal(t, 3, strings.Count(all.String(), "\n"))
	errb.Reset()
	code = run(context.Background(), []string{"history", "import", "--history", pg2}, &env{stdin: &all, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	require.Equal(t, exitcode.OK, code, errb.String())
	require.Contains(t, errb.String(), "3 run(s) imported into postgres://")
	a, err := history.Open(pg)
	require.NoError(t, err)
	defer a.Close()
	b, err := history.Open(pg2)
	require.NoError(t, err)
	defer b.Close()
	ra, err := a.List(context.Background(), time.Time{})
	require.NoError(t, err)
	rb, err := b.List(context.Background(), time.Time{})
	require.NoError(t, err)
	require.Equal(t, ra, rb)
}

func TestHistoryCommandUsage(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := filepath.Join(dir, "h.db")
	s, err := history.Open(db)
	require.NoError(t, err)
	require.NoError(t, s.Save(context.Background(), fixtureCard(t)))
	require.NoError(t, s.Close())
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte("{\"run_id\": \"x\"}\n"), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"history"}, "history needs export or import"},
		{[]string{"history", "copy"}, "history copy: want export or import"},
		{[]string{"history", "export", "--history", db, "a", "b"}, `history export takes at most one FILE, got ["a" "b"]`},
		{[]string{"history", "export", "--history", db, "--since", "soon"}, "--since:"},
		{[]string{"history", "export", "--history", filepath.Join(dir, "none.db")}, "no history at "},
		{[]string{"history", "export", "--history", "mysql://db/drill"}, `--history: history: "mysql://db/drill": unknown scheme "mysql"`},
		{[]string{"history", "import", "--history", db, "--team", "x", bad}, "history import takes no --since, --team or --out"},
		{[]string{"history", "import", "--history", db, filepath.Join(dir, "missing.jsonl")}, "missing.jsonl: no such file"},
		{[]string{"history", "import", "--history", db, bad}, bad + ":1: field scorecard: missing"},
		{[]string{"run", "--history", "mysql://db/drill", "cost-spike"}, `--history: history: "mysql://db/drill": unknown scheme`},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		require.Equal(t, exitcode.Usage, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}
