package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/stubs/incident"
)

const testToken = "glpat-cli-SECRET"

func gitlabStub(t *testing.T) *incident.Server {
	t.Helper()
	sdl, err := export.PresetSchema("gitlab")
	require.NoError(t, err)
	schema, err := incident.LoadSchema("gitlab", sdl)
	require.NoError(t, err)
	s, err := incident.Open(schema, "")
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// fixtureRaw is a scorecard drill run wrote, read before tests change
// directory.
var fixtureRaw, fixtureErr = os.ReadFile("../../report/testdata/cost-spike.scorecard.json")

func fixtureCard(t *testing.T) *scoring.Scorecard {
	t.Helper()
	require.NoError(t, fixtureErr)
	var c scoring.Scorecard
	require.NoError(t, json.Unmarshal(fixtureRaw, &c))
	c.StartedAt = time.Now().Add(-time.Hour) // inside any report window
	return &c
}

// A run whose export fails is kept, with the failure, and drill export
// retries it.
func TestRunRecordExportFailureThenRetry(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	s := gitlabStub(t)
	require.NoError(t, os.MkdirAll(".drill", 0o755))
	require.NoError(t, os.WriteFile(statedir.At(".").Exporters(), []byte(`exporters:
  gitlab:
    preset: gitlab
    endpoint: `+s.URL()+`
    token_env: GITLAB_TOKEN
    attempts: 2
    backoff: 1ms
    variables:
      input.incidentId: gid://gitlab/Issue/7
`), 0o644))
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string {
		if k == "GITLAB_TOKEN" {
			return testToken
		}
		return ""
	}}
	_, err := newRecorder(e, statedir.At(".").History(), false, "jira")
	require.ErrorContains(t, err, `has no exporter "jira"; it has: gitlab`)
	require.Equal(t, exitcode.Usage, exitcode.Of(err), "a bad --export fails before the drill")

	rec, err := newRecorder(e, statedir.At(".").History(), false, "gitlab")
	require.NoError(t, err)
	card := fixtureCard(t)
	s.FailNext(2, http.StatusBadGateway)
	rec.record(context.Background(), e, card)
	require.Contains(t, out.String(), "run "+card.RunID+" saved in .drill/history.db")
	require.Contains(t, errb.String(), "drill run: warning: export gitlab:")
	require.Contains(t, errb.String(), "retry with: drill export "+card.RunID+" --to gitlab")
	require.NotContains(t, errb.String(), testToken)

	store, err := history.Open(statedir.At(".").History())
	require.NoError(t, err)
	got, err := store.Get(context.Background(), card.RunID)
	require.NoError(t, err)
	require.Len(t, got.Exports, 1)
	require.Equal(t, history.ExportFailed, got.Exports[0].Status)
	require.Contains(t, got.Exports[0].Error, "502")
	require.NoError(t, store.Close())

	code, stdout, stderr := runCLIEnv(t, e.getenv, "export", "--history", statedir.At(".").History())
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stdout, "gitlab:failed (2 attempts)")

	code, stdout, stderr = runCLIEnv(t, e.getenv, "export", card.RunID, "--to", "gitlab")
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stdout, "exported run "+card.RunID+" to gitlab (1 attempt(s), HTTP 200)")

	store, err = history.Open(statedir.At(".").History())
	require.NoError(t, err)
	defer store.Close()
	ex, err := store.Exports(context.Background(), card.RunID)
	require.NoError(t, err)
	require.Equal(t, history.ExportOK, ex[0].Status)
	require.Equal(t, 3, ex[0].Attempts, "HTTP attempts: two failed, one ok")
	require.Empty(t, ex[0].Error)

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	last := reqs[2]
	require.Empty(t, last.Errors)
	require.Equal(t, card.RunID, last.IdempotencyKey)
	require.True(t, strings.HasPrefix(last.Variables["input"].(map[string]any)["note"].(string), "[DRILL] "))

	// failures of the command itself
	code, _, stderr = runCLIEnv(t, e.getenv, "export", "no-such-run", "--to", "gitlab")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, `no such run "no-such-run"`)
	s.FailNext(5, http.StatusServiceUnavailable)
	code, _, stderr = runCLIEnv(t, e.getenv, "export", "latest", "--to", "gitlab")
	require.Equal(t, exitcode.Harness, code)
	require.Contains(t, stderr, "503")
	code, _, _ = runCLIEnv(t, e.getenv, "export", card.RunID)
	require.Equal(t, exitcode.Usage, code, "--to is required")
}

func TestRecordWithoutHistory(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	rec, err := newRecorder(e, statedir.At(".").History(), true, "")
	require.NoError(t, err)
	rec.record(context.Background(), e, fixtureCard(t))
	_, err = os.Stat(statedir.At(".").History())
	require.True(t, os.IsNotExist(err), "--no-history writes nothing")

	// a history that cannot be written is a warning, not a failure
	require.NoError(t, os.WriteFile("blocker", nil, 0o644))
	rec, err = newRecorder(e, filepath.Join("blocker", "history.db"), false, "")
	require.NoError(t, err)
	rec.record(context.Background(), e, fixtureCard(t))
	require.Contains(t, errb.String(), "drill run: warning: run 20261126T220718-1 not saved in the history")
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	store, err := history.Open(path)
	require.NoError(t, err)
	for i, ago := range []time.Duration{25, 20, 3, 1} {
		c := fixtureCard(t)
		c.RunID = c.RunID + "-" + string(rune('a'+i))
		c.StartedAt = time.Now().Add(-ago * 24 * time.Hour)
		require.NoError(t, store.Save(context.Background(), c))
	}
	require.NoError(t, store.Close())

	code, stdout, stderr := runCLI(t, "report", "--history", path, "--format", "json")
	require.Equal(t, exitcode.OK, code, stderr)
	var rep struct {
		Groups []struct {
			Name     string
			Baseline struct{ Runs, Judged int }
			Current  struct{ Runs, Judged int }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, "overall", rep.Groups[0].Name)
	require.Equal(t, 2, rep.Groups[0].Baseline.Runs)
	require.Equal(t, 2, rep.Groups[0].Current.Runs)
	require.Equal(t, 4, rep.Groups[0].Current.Judged)

	html := filepath.Join(dir, "r.html")
	code, _, stderr = runCLI(t, "report", "--history", path, "--format", "html", "--out", html)
	require.Equal(t, exitcode.OK, code, stderr)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	require.Contains(t, string(page), "<svg")

	code, stdout, _ = runCLI(t, "report", "--history", path, "--since", "2d", "--baseline", "1d")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, stdout, "(1 runs)")

	for _, bad := range [][]string{
		{"--since", "soon"}, {"--since", "7d", "--baseline", "7d"}, {"--format", "pdf"}, {"--history", filepath.Join(dir, "missing.db")},
	} {
		args := append([]string{"report"}, bad...)
		if bad[0] != "--history" {
			args = append(args, "--history", path)
		}
		code, _, _ := runCLI(t, args...)
		require.Equal(t, exitcode.Usage, code, bad)
	}
}

func runCLIEnv(t *testing.T, getenv func(string) string, args ...string) (exitcode.Code, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: getenv})
	return code, out.String(), errb.String()
}

// Ctrl-C during drill export exits 130, as during drill run, and the
// attempt is recorded as failed.
func TestInterruptedExportExits130(t *testing.T) {
	t.Chdir(t.TempDir())
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a closed connection after the body
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // an incident service that never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	require.NoError(t, os.MkdirAll(".drill", 0o755))
	require.NoError(t, os.WriteFile(statedir.At(".").Exporters(), []byte("exporters:\n  gitlab:\n    preset: gitlab\n    endpoint: "+srv.URL+"\n    token_env: GITLAB_TOKEN\n    attempts: 1\n    variables:\n      input.incidentId: gid://gitlab/Issue/7\n"), 0o644))
	getenv := func(k string) string {
		if k == "GITLAB_TOKEN" {
			return testToken
		}
		return ""
	}
	var out, errb bytes.Buffer
	e := &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: getenv}
	rec, err := newRecorder(e, statedir.At(".").History(), false, "")
	require.NoError(t, err)
	card := fixtureCard(t)
	rec.record(context.Background(), e, card)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan exitcode.Code, 1)
	out.Reset()
	errb.Reset()
	go func() { done <- run(ctx, []string{"export", card.RunID, "--to", "gitlab"}, e) }()
	<-arrived
	cancel() // Ctrl-C while the request is out
	code := <-done
	require.Equal(t, exitcode.Interrupted, code, "stderr: %s", errb.String())
	require.Contains(t, errb.String(), "interrupted")
	store, err := history.Open(statedir.At(".").History())
	require.NoError(t, err)
	defer store.Close()
	ex, err := store.Exports(context.Background(), card.RunID)
	require.NoError(t, err)
	require.Len(t, ex, 1)
	require.Equal(t, history.ExportFailed, ex[0].Status)
}

// drill export --all exports every run not yet exported, to every valid
// exporter of the file; an invalid exporter is reported and skipped.
func TestExportAll(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx := context.Background()
	var (
		mu   sync.Mutex
		got  []string // run IDs the webhook received
		fail = map[string]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Run string `json:"run"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, b.Run)
		if fail[b.Run] {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	gl := gitlabStub(t)
	require.NoError(t, os.MkdirAll(".drill", 0o755))
	require.NoError(t, os.WriteFile(statedir.At(".").Exporters(), []byte(`exporters:
  hook:
    type: webhook
    endpoint: `+srv.URL+`
    attempts: 2
    backoff: 1ms
    marker: {flag: drill}
    body: {run: '${run_id}'}
  broken:
    preset: incident.io
  gitlab:
    preset: gitlab
    endpoint: `+gl.URL()+`
    token_env: GITLAB_TOKEN
    variables:
      input.incidentId: gid://gitlab/Issue/7
`), 0o644))
	getenv := func(k string) string {
		if k == "GITLAB_TOKEN" {
			return testToken
		}
		return ""
	}
	store, err := history.Open(statedir.At(".").History())
	require.NoError(t, err)
	for i, id := range []string{"old", "a", "b"} {
		c := fixtureCard(t)
		c.RunID = id
		c.StartedAt = time.Now().Add(-time.Duration(3-i) * time.Hour)
		if id == "old" {
			c.StartedAt = time.Now().Add(-10 * 24 * time.Hour)
		}
		require.NoError(t, store.Save(ctx, c))
	}
	require.NoError(t, store.MarkExport(ctx, "b", "hook", history.ExportOK, nil))
	require.NoError(t, store.Close())

	fail["a"] = true
	code, stdout, stderr := runCLIEnv(t, getenv, "export", "--all", "--since", "7d")
	require.Equal(t, exitcode.Harness, code, stderr)
	require.Contains(t, stderr, "drill export: skipped: ")
	require.Regexp(t, `exporters\.yaml:9:3: exporter broken: variables: preset incident\.io needs "severity_id"`, stderr)
	require.Contains(t, stderr, "503")
	require.Contains(t, stdout, "exported run a to gitlab")
	require.Contains(t, stdout, "exported run b to gitlab")
	require.Contains(t, stdout, "2 run(s) exported, 1 failed, 1 exporter(s) skipped")
	require.Equal(t, []string{"a", "a"}, got, "b was already exported to hook; old is outside --since; a was retried")
	require.Len(t, gl.Requests(), 2)

	// the next run retries only what failed, and the listing shows HTTP attempts
	fail["a"] = false
	code, stdout, stderr = runCLIEnv(t, getenv, "export", "--all", "--to", "hook", "--since", "7d")
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stdout, "1 run(s) exported, 0 failed, 0 exporter(s) skipped")
	require.Equal(t, []string{"a", "a", "a"}, got)
	code, stdout, _ = runCLIEnv(t, getenv, "export")
	require.Equal(t, exitcode.OK, code)
	require.Regexp(t, `(?m)^a .*gitlab:ok, hook:ok$`, stdout)
	store, err = history.Open(statedir.At(".").History())
	require.NoError(t, err)
	ex, err := store.Exports(ctx, "a")
	require.NoError(t, err)
	require.NoError(t, store.Close())
	require.Equal(t, "hook", ex[1].Exporter)
	require.Equal(t, 3, ex[1].Attempts, "HTTP attempts: two failed, one ok")

	// nothing left: the skipped exporter still says the file needs fixing
	code, stdout, _ = runCLIEnv(t, getenv, "export", "--all", "--since", "7d")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stdout, "0 run(s) exported, 0 failed, 1 exporter(s) skipped")
	// without --since every run, old included
	code, stdout, stderr = runCLIEnv(t, getenv, "export", "--all", "--to", "gitlab")
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stdout, "exported run old to gitlab")

	code, _, stderr = runCLIEnv(t, getenv, "export", "--all", "--to", "broken")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "exporter broken is invalid; nothing was exported")
	code, _, stderr = runCLIEnv(t, getenv, "export", "a", "--to", "hook", "--since", "7d")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "--since goes with --all")
	code, _, stderr = runCLIEnv(t, getenv, "export", "--all", "--since", "soon")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "--since: ")
	// a valid exporter still works by name when another is broken
	code, stdout, stderr = runCLIEnv(t, getenv, "export", "b", "--to", "hook")
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stdout, "exported run b to hook")
	require.Contains(t, stderr, "warning: skipped: ")
}
