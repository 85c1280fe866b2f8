package mockllm

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
)

// scrapeFamilies reads the server's /metrics as Prometheus parses it.
func scrapeFamilies(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	require.NoError(t, err)
	return fams
}

// vllmValue is the value of a vLLM series of gpt-4o (a counter's,
// gauge's, or a histogram's count), with label finished_reason when
// reason is set; -1 when there is no such series.
func vllmValue(fams map[string]*dto.MetricFamily, name, reason string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["model_name"] != "gpt-4o" || labels["engine"] != "0" || labels["finished_reason"] != reason {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestVLLMMetrics runs more requests than a model's capacity: the
// running and waiting gauges and the KV cache usage show the load while
// they are held, and the counters and histograms count every request
// once they are done, under vLLM's names and labels.
func TestVLLMMetrics(t *testing.T) {
	bs := &blockingSleeper{fakeSleeper: *newFakeSleeper(), gate: make(chan struct{}), in: make(chan struct{}, 10)}
	s, _ := startTest(t, func(c *Config) {
		c.Sleeper = bs
		c.VLLM = &VLLM{KVCacheTokens: 1000}
		c.Models[0].Latency = Latency{TTFT: Constant(time.Second), ITL: Constant(10 * time.Millisecond), Capacity: 2}
	})
	fams := scrapeFamilies(t, s)
	require.Equal(t, 0.0, vllmValue(fams, "vllm:num_requests_running", ""), "published from the start")
	require.Equal(t, 0.0, vllmValue(fams, "vllm:gpu_cache_usage_perc", ""))

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
	require.Eventually(t, func() bool {
		f := scrapeFamilies(t, s)
		return vllmValue(f, "vllm:num_requests_running", "") == 2 && vllmValue(f, "vllm:num_requests_waiting", "") == 2
	}, 5*time.Second, 5*time.Millisecond)
	require.True(t, testGauge(t, s, `drill_mockllm_requests_in_flight{model="gpt-4o"} 4`), "queued ones included")
	fams = scrapeFamilies(t, s)
	// Two requests of 3+3+1 prompt tokens and 100 max tokens in a 1000-token cache.
	require.InDelta(t, float64(2*(CountTokens("hi")+3+3+100))/1000, vllmValue(fams, "vllm:gpu_cache_usage_perc", ""), 1e-9)
	require.Equal(t, vllmValue(fams, "vllm:gpu_cache_usage_perc", ""), vllmValue(fams, "vllm:kv_cache_usage_perc", ""))
	close(bs.gate)
	wg.Wait()

	fams = scrapeFamilies(t, s)
	require.Equal(t, 0.0, vllmValue(fams, "vllm:num_requests_running", ""))
	require.Equal(t, 0.0, vllmValue(fams, "vllm:num_requests_waiting", ""))
	require.Equal(t, 0.0, vllmValue(fams, "vllm:gpu_cache_usage_perc", ""))
	require.Equal(t, 4.0, max(vllmValue(fams, "vllm:request_success_total", "stop"), 0)+max(vllmValue(fams, "vllm:request_success_total", "length"), 0))
	var in, out float64
	for _, e := range s.Journal() {
		in += float64(e.InputTokens)
		out += float64(e.OutputTokens)
	}
	require.Equal(t, in, vllmValue(fams, "vllm:prompt_tokens_total", ""))
	require.Equal(t, out, vllmValue(fams, "vllm:generation_tokens_total", ""))
	for _, h := range []string{"vllm:time_to_first_token_seconds", "vllm:e2e_request_latency_seconds", "vllm:request_queue_time_seconds",
		"vllm:request_prompt_tokens", "vllm:request_generation_tokens"} {
		require.Equal(t, 4.0, vllmValue(fams, h, ""), h)
	}
	require.Equal(t, out-4, vllmValue(fams, "vllm:time_per_output_token_seconds", ""), "one observation per token after the first")
	require.True(t, testGauge(t, s, `drill_mockllm_requests_in_flight{model="gpt-4o"} 0`))

	// Every name served is one MetricNames lists, so lint knows them.
	names := map[string]bool{}
	for _, n := range MetricNames() {
		names[n] = true
	}
	for n, f := range fams {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			n += "_bucket"
		}
		require.True(t, names[n], n)
	}
	for _, n := range VLLMMetricNames() {
		require.True(t, strings.HasPrefix(n, "vllm:"), n)
		require.True(t, names[n], n)
	}
}

func TestVLLMOff(t *testing.T) {
	s, _ := startTest(t, nil)
	_, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""))
	require.NotEmpty(t, body)
	for n := range scrapeFamilies(t, s) {
		require.False(t, strings.HasPrefix(n, "vllm:"), n)
	}
}

// TestVLLMLoadModel: past one running request, each one more slows
// every token, up to 1+BatchSlowdown at capacity; the waiting queue is
// TestVLLMMetrics'.
func TestVLLMLoadModel(t *testing.T) {
	s, _ := startTest(t, func(c *Config) {
		c.VLLM = &VLLM{BatchSlowdown: 2}
		c.Models[0].Latency = Latency{TTFT: Constant(time.Second), ITL: Constant(10 * time.Millisecond), Capacity: 4}
	})
	m := s.models["gpt-4o"]
	itl := func(running int) time.Duration {
		for range running {
			m.vllm.run(1)
		}
		defer func() {
			for range running {
				m.vllm.done(1)
			}
		}()
		c := &call{api: "chat.completions", provider: ProviderOpenAI, op: "chat", model: m, n: 1, maxTokens: 5, toolChoice: "none"}
		p := &plan{id: 1}
		s.generate(c, p)
		require.Len(t, p.itl, 4)
		return p.itl[0]
	}
	require.Equal(t, 10*time.Millisecond, itl(1), "one request runs at the idle latency")
	require.Equal(t, 15*time.Millisecond, itl(2))
	require.Equal(t, 25*time.Millisecond, itl(4), "at capacity: 1 + 2·3/4")

	_, err := ParseConfig("p.yaml", []byte("vllm:\n  batch_slowdown: -1\n  kv_cache_tokens: -5\n"))
	require.EqualError(t, err, "p.yaml:2:3: vllm.batch_slowdown: want 0 (default 1) to 100, got -1\n"+
		"p.yaml:3:3: vllm.kv_cache_tokens: want 0 (default 1048576) or more, got -5")
}
