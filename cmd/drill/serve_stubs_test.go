package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
)

func TestServeStubsKit(t *testing.T) {
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan exitcode.Code)
	go func() {
		done <- run(ctx, []string{"serve", "stubs", "--config", "kit:websearch", "--seed", "3"}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	}()
	re := regexp.MustCompile(`stub websearch listening on (http://127\.0\.0\.1:\d+) \(seed 3\)`)
	require.Eventually(t, func() bool { return re.MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond)
	base := re.FindStringSubmatch(out.String())[1]
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(base + "/search?q=drill")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	require.Contains(t, string(b), `"query": "drill"`)
	cancel()
	require.Equal(t, exitcode.OK, <-done, errb.String())
	require.Contains(t, out.String(), "stub websearch stopped")
}

func TestServeStubsBadInput(t *testing.T) {
	code, _, errOut := runCLI(t, "serve", "stubs")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errOut, "needs --config FILE (a stub file) or --config kit:NAME (kits: payments, vectordb, websearch)")

	code, _, errOut = runCLI(t, "serve", "stubs", "--config", "kit:weather")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errOut, `unknown kit "weather"`)

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nroutes:\n  - name: a\n    method: GET\n    path: nope\n"), 0o644))
	code, _, errOut = runCLI(t, "serve", "stubs", "--config", bad)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errOut, "bad.yaml:5:11: routes[0].path: want a path starting with '/'")
}
