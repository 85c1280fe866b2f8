package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/testbed"
)

// answering is a control API that answers every request with status and
// body.
func answering(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// closedPort is a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	return url
}

// Every command that calls one of drill's control APIs maps its answers
// to the same exit codes: refused (4xx) is invalid input with the
// server's message, a server error (5xx) and nothing answering are the
// harness's.
func TestControlAPIErrorsExitTheSameEverywhere(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		code   exitcode.Code
		msg    string
	}{
		{"400", 400, `{"error": "unknown role \"captain\""}`, exitcode.Usage, `unknown role "captain"`},
		{"404", 404, `{"error": "no open unacknowledged page for alert X"}`, exitcode.Usage, "no open unacknowledged page for alert X"},
		{"500", 500, `{"error": "toxiproxy went away"}`, exitcode.Harness, "failed POST"},
		{"bad answer", 200, `<html>`, exitcode.Harness, "unexpected answer from the"},
	}
	live := func(url string) [][]string {
		return [][]string{
			{"ack", "--url", url, "--user", "bob"},
			{"role", "--url", url, "--user", "bob", "claim", "incident_commander"},
			{"note", "--url", url, "--user", "bob", "failing over"},
		}
	}
	for _, c := range cases {
		url := answering(t, c.status, c.body)
		for _, args := range live(url) {
			code, _, errs := runCLI(t, args...)
			require.Equal(t, c.code, code, "%s: %v: %s", c.name, args, errs)
			require.Contains(t, errs, c.msg, "%s: %v", c.name, args)
		}
		// drill up's control API, found through its state file.
		t.Run("up "+c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			require.NoError(t, testbed.WriteUpState(statedir.At(dir).Up(), testbed.UpState{Control: url, PID: os.Getpid()}))
			for _, args := range [][]string{{"inject", "provider-error"}, {"clear"}} {
				code, _, errs := runCLI(t, args...)
				require.Equal(t, c.code, code, "%v: %s", args, errs)
				require.Contains(t, errs, c.msg, "%v", args)
			}
		})
	}

	url := closedPort(t)
	for _, args := range live(url) {
		code, _, errs := runCLI(t, args...)
		require.Equal(t, exitcode.Harness, code, "%v", args)
		require.Contains(t, errs, "no live drill at "+url+" (--url): is `drill run --live` running?", "%v", args)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, testbed.WriteUpState(statedir.At(dir).Up(), testbed.UpState{Control: url, PID: os.Getpid()}))
	for _, args := range [][]string{{"inject", "provider-error"}, {"clear"}} {
		code, _, errs := runCLI(t, args...)
		require.Equal(t, exitcode.Harness, code, "%v", args)
		require.Contains(t, errs, "no drill up at "+url+" (state file "+statedir.At(dir).Up()+"): is `drill up` still running?", "%v", args)
	}

	code, _, errs := runCLI(t, "ack", "--url", "127.0.0.1:4000", "--user", "bob")
	require.Equal(t, exitcode.Usage, code, "a --url that is not one is invalid input")
	require.Contains(t, errs, `live drill URL "127.0.0.1:4000" (--url): want http://HOST:PORT`)
}

// The state files are found from any directory below the one their
// writer worked in; missing or stale is bad usage, damaged the harness's.
func TestStateFilesFoundUpward(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "ops", "runbooks")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	t.Chdir(sub)

	// Nothing there yet: bad usage, naming where drill looked.
	code, _, errs := runCLI(t, "inject", "outage")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no running 'drill up' here")
	code, _, errs = runCLI(t, "ack", "--user", "bob")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no live drill found")

	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		switch r.URL.Path {
		case "/inject":
			_, _ = io.WriteString(w, `{"id": "outage-1", "target": "primary", "spec": "outage"}`)
		case "/ack":
			_, _ = io.WriteString(w, `{"acked": 1}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	sd := statedir.At(root)
	require.NoError(t, testbed.WriteUpState(sd.Up(), testbed.UpState{Control: srv.URL, PID: os.Getpid()}))
	require.NoError(t, response.WriteLiveFile(root, srv.URL))

	code, out, errs := runCLI(t, "inject", "outage")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "outage-1 on primary: outage, until drill clear\n", out)
	code, out, errs = runCLI(t, "ack", "--user", "bob")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "acknowledged every open page as bob (1 incident(s))\n", out)
	require.Equal(t, []string{"POST /inject", "POST /ack"}, got)

	// A nearer .drill folder is the state folder, as for .git.
	require.NoError(t, os.MkdirAll(filepath.Join(sub, statedir.Name), 0o755))
	code, _, errs = runCLI(t, "inject", "outage")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, statedir.At(sub).Up()+" not found")
	require.NoError(t, os.Remove(filepath.Join(sub, statedir.Name)))

	// Files their writer left when it was killed.
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.NoError(t, testbed.WriteUpState(sd.Up(), testbed.UpState{Control: srv.URL, PID: dead.Process.Pid}))
	require.NoError(t, os.WriteFile(sd.Live(), []byte(fmt.Sprintf(`{"url": %q, "pid": %d}`, srv.URL, dead.Process.Pid)), 0o644))
	code, _, errs = runCLI(t, "clear")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, fmt.Sprintf("(pid %d) is no longer running", dead.Process.Pid))
	code, _, errs = runCLI(t, "note", "--user", "bob", "hello")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, fmt.Sprintf("the live drill that wrote %s (pid %d) is no longer running", sd.Live(), dead.Process.Pid))

	// Damaged files are the harness's.
	require.NoError(t, os.WriteFile(sd.Up(), []byte("{"), 0o644))
	require.NoError(t, os.WriteFile(sd.Live(), []byte("{"), 0o644))
	code, _, errs = runCLI(t, "clear")
	require.Equal(t, exitcode.Harness, code)
	require.Contains(t, errs, sd.Up()+" is damaged")
	code, _, errs = runCLI(t, "role", "--user", "bob", "claim", "scribe")
	require.Equal(t, exitcode.Harness, code)
	require.Contains(t, errs, sd.Live()+`: expected {"url"`)
	require.Len(t, got, 2, "no call reached a server through a stale or damaged file")
}

// drill run, report and export keep and read the history in the state
// folder found upward; --history names another.
func TestHistoryInTheStateFolder(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, statedir.Name), 0o755))
	sub := filepath.Join(root, "ops")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	t.Chdir(sub)
	code, _, errs := runCLI(t, "report")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no history at "+statedir.At(root).History())
	code, _, errs = runCLI(t, "export")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no history at "+statedir.At(root).History())
	code, _, errs = runCLI(t, "report", "--history", "elsewhere.db")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no history at elsewhere.db")
}
