package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/testbed"
)

// lockedBuffer is a bytes.Buffer safe to read while drill up writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const upTeam = `team: {id: upteam, name: Up test}
providers:
  - name: primary
  - name: secondary
stubs:
  - name: search
    kit: websearch
service:
  builtin: gateway
  gateway: {primary_model: gpt-4o-mini, secondary_model: claude-haiku-4-5, max_attempts: 1}
`

const upRules = `groups:
  - name: up
    interval: 1s
    rules:
      - alert: GatewayServing
        expr: vector(1)
`

func TestUpInjectClear(t *testing.T) {
	teamDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(teamDir, "drill.yaml"), []byte(upTeam), 0o644))
	// An alert that fires at the first evaluation: drill up's terminal
	// shows its state changes.
	require.NoError(t, os.MkdirAll(filepath.Join(teamDir, "alerts"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(teamDir, "alerts", "up.rules.yaml"), []byte(upRules), 0o644))
	// A state folder of its own: drill uses the nearest .drill upward,
	// and one left in /tmp by a run there would be found first.
	t.Chdir(t.TempDir())
	require.NoError(t, os.Mkdir(statedir.Name, 0o755))

	env0 := func(out, errb *lockedBuffer) *env {
		return &env{stdin: &bytes.Buffer{}, stdout: out, stderr: errb, getenv: func(string) string { return "" }}
	}
	// inject before up: a clear usage error.
	var o0, e0 lockedBuffer
	require.Equal(t, exitcode.Usage, run(context.Background(), []string{"inject", "outage"}, env0(&o0, &e0)))
	require.Contains(t, e0.String(), "no running 'drill up' here")

	upFile := statedir.At(".").Up()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedBuffer
	done := make(chan exitcode.Code, 1)
	go func() { done <- run(ctx, []string{"up", "--team", teamDir, "--console"}, env0(&out, &errb)) }()
	require.Eventually(t, func() bool {
		_, err := os.Stat(upFile)
		return err == nil || len(done) > 0
	}, 30*time.Second, 20*time.Millisecond, "stderr: %s", errb.String())
	require.Empty(t, done, "drill up ended: %s", errb.String())
	// The endpoints print after the state file is written: wait for them.
	require.Eventually(t, func() bool {
		for _, want := range []string{"service (builtin)", "provider primary", "stub search", "toxiproxy API", "metrics service", "control API", "console: http", "exporter drill-stub written to"} {
			if !strings.Contains(out.String(), want) {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond, out.String())
	st, err := testbed.ReadUpState(upFile)
	require.NoError(t, err)
	require.NotEmpty(t, st.Endpoints.Service.URL)

	chatStatus := func() int {
		resp, err := http.Post(st.Endpoints.Service.URL+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 200, chatStatus())

	var o1, e1 lockedBuffer
	require.Equal(t, exitcode.OK, run(ctx, []string{"inject", "provider-error", "status=503", "--target", "primary"}, env0(&o1, &e1)), e1.String())
	require.Contains(t, o1.String(), "provider-error-1 on primary")
	require.Equal(t, 502, chatStatus())

	var o2, e2 lockedBuffer
	require.Equal(t, exitcode.Usage, run(ctx, []string{"inject", "provider-error", "--target", "nosuch"}, env0(&o2, &e2)))
	require.Contains(t, e2.String(), `no target "nosuch"`)
	require.Equal(t, exitcode.Usage, run(ctx, []string{"inject", "provider-eror"}, env0(&o2, &e2)))
	require.Contains(t, e2.String(), "known kinds")

	var o3, e3 lockedBuffer
	require.Equal(t, exitcode.OK, run(ctx, []string{"clear"}, env0(&o3, &e3)), e3.String())
	require.Regexp(t, `provider-error-1\s+primary\s+affected [1-9]`, o3.String())
	require.Equal(t, 200, chatStatus())
	// drill up's terminal shows every alert state change, and every
	// fault going on and off.
	require.Eventually(t, func() bool { return regexp.MustCompile(`alert.firing +GatewayServing`).MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond, out.String())
	require.Regexp(t, `\+\d\d:\d\d alert.firing +GatewayServing`, out.String())
	require.Eventually(t, func() bool {
		return regexp.MustCompile(`fault.off +provider-error-1: provider-error off primary: [1-9]`).MatchString(out.String())
	}, 10*time.Second, 10*time.Millisecond, out.String())
	require.Regexp(t, `\+\d\d:\d\d fault.on +provider-error-1: provider-error\(.*status=503\) on primary`, out.String())

	// The console injects and clears through the same control API, with
	// the same validation, and only with the run's token.
	m := regexp.MustCompile(`console: (http://127\.0\.0\.1:\d+)/\?token=([0-9a-f]{32})\n`).FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	base, token := m[1], m[2]
	post := func(path, tok, body string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Drill-Token", tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post("/up/inject", "", `{"kind":"provider-error","target":"primary","params":{"status":"503"}}`)
	require.Equal(t, http.StatusUnauthorized, code, body)
	code, body = post("/up/inject", token, `{"kind":"provider-error","target":"nosuch"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body, `no target \"nosuch\"`)
	code, body = post("/up/inject", token, `{"kind":"provider-error","target":"primary","params":{"status":"503"}}`)
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"id": "provider-error-2"`)
	require.Equal(t, 502, chatStatus())
	code, body = post("/up/clear", token, `{}`)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, 200, chatStatus())
	require.Eventually(t, func() bool { return regexp.MustCompile(`fault.off +provider-error-2`).MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond, out.String())

	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitcode.OK, code, errb.String())
	case <-time.After(30 * time.Second):
		t.Fatal("drill up did not stop")
	}
	_, err = os.Stat(upFile)
	require.True(t, os.IsNotExist(err), "up.json left behind")
}

// A state file left by a drill up that was killed says so, instead of
// sending inject to a dead control API.
func TestInjectWithAStaleUpFile(t *testing.T) {
	t.Chdir(t.TempDir())
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.NoError(t, testbed.WriteUpState(statedir.At(".").Up(), testbed.UpState{Control: "http://127.0.0.1:1", PID: dead.Process.Pid}))
	code, _, errs := runCLI(t, "inject", "outage")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "is no longer running; start 'drill up' again")
}
