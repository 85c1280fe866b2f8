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

func TestGatewayConfigParses(t *testing.T) {
	data, err := os.ReadFile("../../gateway/testdata/gateway.yaml")
	require.NoError(t, err)
	cfg, err := parseGatewayConfig("gateway.yaml", data)
	require.NoError(t, err)
	require.Equal(t, "anthropic", cfg.Secondary.Kind)
	require.Equal(t, 30*time.Second, cfg.Breaker.Cooldown)
	require.Equal(t, 25, cfg.AgentMaxSteps)
}

func TestGatewayConfigErrorsNameFileLineField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"primary:\n  base_url: http://x\n  colour: red\n", `g.yaml:3: field colour not found`},
		{"primary:\n  base_url: http://x\nmax_attempts: lots\n", `g.yaml:3: cannot unmarshal !!str ` + "`lots`"},
		{"primary:\n  base_url: http://x\n  kind: cohere\n", `g.yaml:3: primary.kind: expected "openai" or "anthropic", got "cohere"`},
		{"primary:\n  base_url: http://x\ndisabled_models:\n  - gpt-4o-mini\n  - gpt-9\n", `g.yaml:5: disabled_models[1]: unknown model "gpt-9"`},
		{"primary:\n  base_url: http://x\nprices:\n  gpt-4.1: {input_per_mtok: -1}\n", `g.yaml:4: prices.gpt-4.1: expected prices >= 0`},
		{"primary:\n  model: gpt-4o\n", `g.yaml:1: primary.base_url: expected an http(s) URL, got an empty string`},
	} {
		_, err := parseGatewayConfig("g.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		require.Contains(t, err.Error(), tc.want)
	}
}

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
