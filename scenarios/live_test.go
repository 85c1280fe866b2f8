package scenarios

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/internal/leakcheck"
	"github.com/drillkit/drill/team"
)

// helperAddrEnv makes the test binary the team's own service of
// TestCheckSeriesLeavesNothing (TestLiveHelperService).
const helperAddrEnv = "DRILL_TEST_LIVE_SERVICE_ADDR"

// TestLiveHelperService is not a test: run as a child process with
// helperAddrEnv set, it is a service under test that answers every
// request and exports app_llm_calls_total with result = ok, error, until
// it is killed.
func TestLiveHelperService(t *testing.T) {
	addr := os.Getenv(helperAddrEnv)
	if addr == "" {
		t.Skip("the service TestCheckSeriesLeavesNothing runs as a child process")
	}
	var calls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "# TYPE app_llm_calls_total counter\napp_llm_calls_total{result=\"ok\"} %d\napp_llm_calls_total{result=\"error\"} 1\n", calls.Load())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"choices":[{"message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	})
	_ = http.ListenAndServe(addr, mux)
	os.Exit(0)
}

// The live series check starts the team's world, judges every selector
// against what the service exposed, and leaves no process, port, temp
// directory or goroutine behind.
func TestCheckSeriesLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a world with the team's own service; skipped with -short")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the testbed's and the store's directories go here
	token := fmt.Sprintf("drill-live-%d", time.Now().UnixNano())
	dir := t.TempDir()
	// The service leaves a grandchild in its process group, as a wrapper
	// script would: teardown must take it too.
	cmd := fmt.Sprintf(`["sh", "-c", "sh -c 'sleep 300; : %s' & exec %s -test.run=^TestLiveHelperService$"]`, token, os.Args[0])
	files := map[string]string{
		"drill.yaml": `team: {id: svc, name: Svc}
service:
  command: ` + cmd + `
  env: {` + helperAddrEnv + `: "127.0.0.1:{{ .Port }}"}
  health: /healthz
  metrics: /metrics
traffic:
  rate: 5
  mix: {chat: 1}
`,
		"alerts/app.rules.yaml": `groups:
  - name: app
    interval: 15s
    rules:
      - record: app:calls_failed:rate1m
        expr: sum(rate(app_llm_calls_total{result="failed"}[1m]))
      - alert: CallsFailing
        expr: app:calls_failed:rate1m > 0
      - alert: CallsTypo
        expr: sum(rate(app_llm_call_total[1m])) > 0
      - alert: Calls
        expr: sum(rate(app_llm_calls_total{result="ok"}[1m])) > 1000
`,
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	}
	tm, err := team.Load(dir)
	require.NoError(t, err)

	before := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := CheckSeries(ctx, tm, SeriesOptions{})
	require.NoError(t, err)
	require.True(t, rep.Open, "the team's own service is scraped")
	require.Positive(t, rep.Requests)

	got := map[string]alerting.SelectorCheck{}
	for _, rs := range rep.Rules {
		for _, c := range rs.Selectors {
			got[rs.Rule.Name()+" "+c.Selector] = c
		}
	}
	failed := got[`app:calls_failed:rate1m app_llm_calls_total{result="failed"}`]
	require.Equal(t, alerting.Excluded, failed.Reason)
	require.Equal(t, []string{"error", "ok"}, failed.Matchers[0].Values)
	require.Equal(t, alerting.RecordedNothing, got["CallsFailing app:calls_failed:rate1m"].Reason)
	typo := got["CallsTypo app_llm_call_total"]
	require.Equal(t, alerting.NoMetric, typo.Reason)
	require.Equal(t, "app_llm_calls_total", typo.Closest[0])
	require.True(t, got[`Calls app_llm_calls_total{result="ok"}`].Matched())

	// Nothing is left: no process of the service's group, no port, no
	// temp directory, no goroutine.
	require.Eventually(t, func() bool { return !processWith(token) }, 10*time.Second, 50*time.Millisecond, "a process of the service's group outlived the check")
	e := rep.Endpoints
	for _, u := range []string{e.Service.URL, e.Toxiproxy.URL, e.Traffic.Metrics} {
		require.NotEmpty(t, u)
		pu, err := url.Parse(u)
		require.NoError(t, err)
		l, err := net.Listen("tcp", pu.Host)
		require.NoError(t, err, "port %s still taken", pu.Host)
		require.NoError(t, l.Close())
	}
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left, "temporary files left behind")
	require.NoError(t, goleak.Find(append(leakcheck.Toxiproxy(), before)...), "goroutines left behind")
}

// processWith reports whether a running process has token in its command
// line (Linux /proc; false where there is none).
func processWith(token string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), token) {
			return true
		}
	}
	return false
}

// A team without rules has nothing to check: no world starts.
func TestCheckSeriesWithoutRulesStartsNothing(t *testing.T) {
	tm := demoTeam(t)
	tm.Rules = nil
	rep, err := CheckSeries(context.Background(), tm, SeriesOptions{})
	require.NoError(t, err)
	require.Empty(t, rep.Rules)
	require.Empty(t, rep.Endpoints.Service.URL, "no world started")
	require.Contains(t, rep.Exported, "drill_gateway_validation_failures_total", "the built-in gateway's names are known without running it")
}
