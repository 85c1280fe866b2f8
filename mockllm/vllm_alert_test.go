package mockllm

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/timeline"
	"github.com/stretchr/testify/require"
)

// TestVLLMAlertRules evaluates alert rules written against a real vLLM
// (its metric and label names) with drill's Prometheus rule engine on
// the mock's /metrics: they fire under load past capacity and resolve
// when it drains.
func TestVLLMAlertRules(t *testing.T) {
	bs := &blockingSleeper{fakeSleeper: *newFakeSleeper(), gate: make(chan struct{}), in: make(chan struct{}, 10)}
	s, _ := startTest(t, func(c *Config) {
		c.Sleeper = bs
		c.VLLM = &VLLM{KVCacheTokens: 200}
		c.Models[0].Latency = Latency{TTFT: Constant(time.Second), ITL: Constant(10 * time.Millisecond), Capacity: 2}
	})
	rules := filepath.Join(t.TempDir(), "vllm.rules.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(`groups:
  - name: vllm
    interval: 15s
    rules:
      - alert: VLLMRequestsQueued
        expr: sum by (model_name) (vllm:num_requests_waiting{engine="0"}) > 1
      - alert: VLLMKVCacheNearlyFull
        expr: max by (model_name, engine) (vllm:gpu_cache_usage_perc) > 0.9
`), 0o644))
	clock := timeline.NewVirtual(time.Unix(1_800_000_000, 0))
	e, err := alerting.New(alerting.Options{Clock: clock, RuleFiles: []string{rules}, Targets: []alerting.Target{{Name: "vllm", URL: s.URL() + "/metrics"}}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	ctx := context.Background()
	tick := func() []string {
		require.NoError(t, e.Tick(ctx, clock.Now()))
		clock.Advance(15 * time.Second)
		var firing []string
		for _, a := range e.Alerts() {
			require.Equal(t, "gpt-4o", a.Labels["model_name"], a.Name)
			firing = append(firing, a.Name+" "+a.State)
		}
		sort.Strings(firing)
		return firing
	}
	require.Empty(t, tick(), "idle")

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", `"max_tokens":100`))
			require.Equal(t, http.StatusOK, res.StatusCode, body)
		}()
	}
	<-bs.in
	<-bs.in
	require.Eventually(t, func() bool { return testGauge(t, s, `vllm:num_requests_waiting{engine="0",model_name="gpt-4o"} 2`) },
		5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"VLLMKVCacheNearlyFull firing", "VLLMRequestsQueued firing"}, tick(), "two running fill the cache, two wait")
	close(bs.gate)
	wg.Wait()
	require.Empty(t, tick(), "drained")
}
