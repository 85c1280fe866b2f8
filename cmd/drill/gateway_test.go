package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeGateway(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "gw.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte("primary:\n  base_url: http://127.0.0.1:9\n"), 0o644))
	vars := map[string]string{"DRILL_BUDGET_USD_PER_MINUTE": "3"}
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan exitcode.Code)
	go func() {
		done <- run(ctx, []string{"serve", "gateway", "--config", cfgFile}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }})
	}()
	re := regexp.MustCompile(`admin API:\s+(http://127\.0\.0\.1:\d+/admin)`)
	require.Eventually(t, func() bool { return re.MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond)
	admin := re.FindStringSubmatch(out.String())[1]
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(admin + "/state")
	require.NoError(t, err)
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	require.Contains(t, body.String(), `"budget_usd_per_minute":3`, "the environment applies over the file")
	cancel()
	require.Equal(t, exitcode.OK, <-done, errb.String())
	require.Contains(t, out.String(), "gateway stopped")

	code := run(context.Background(), []string{"serve", "gateway"}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errb.String(), "primary.base_url")
}
