package mockllm

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drillkit/drill/internal/metricnames"
)

// vLLM's own metric set, for teams that self-host: with Config.VLLM set,
// /metrics also exposes the series a vLLM server does, under vLLM's
// names, label names (model_name, engine) and bucket boundaries, so
// alert rules written against a real vLLM evaluate unchanged. The load
// model behind them is vLLM's: a model's latency.capacity is its
// max_num_seqs, requests past it wait (num_requests_waiting), and every
// running request slows the others' tokens, as a bigger decode batch
// does.

// VLLM configures the vLLM metric set and load model.
type VLLM struct {
	// KVCacheTokens is the size of a model's KV cache in tokens;
	// gpu_cache_usage_perc is the running requests' prompt and maximum
	// output tokens over it, at most 1. 0 means DefaultKVCacheTokens.
	KVCacheTokens int `yaml:"kv_cache_tokens,omitempty"`
	// BatchSlowdown is how much slower tokens come when a model runs at
	// its capacity than when it runs one request: the inter-token latency
	// is multiplied by 1 + BatchSlowdown·(running-1)/capacity. 0 means
	// DefaultBatchSlowdown; a model without a capacity does not slow.
	BatchSlowdown float64 `yaml:"batch_slowdown,omitempty"`
}

// Defaults of VLLM.
const (
	DefaultKVCacheTokens = 1 << 20
	DefaultBatchSlowdown = 1.0
	// MaxBatchSlowdown bounds VLLM.BatchSlowdown.
	MaxBatchSlowdown = 100.0
)

// vllmEngine is the engine label: one engine core per model.
const vllmEngine = "0"

type vllmMetrics struct {
	running, waiting, gpuCache, kvCache *prometheus.GaugeVec
	promptTokens, genTokens, success    *prometheus.CounterVec
	ttft, tpot, e2e, queue              *prometheus.HistogramVec
	promptHist, genHist                 *prometheus.HistogramVec
}

// vllmLatencyBuckets are vLLM's request_latency_buckets.
var vllmLatencyBuckets = []float64{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}

// buckets125 is 1, 2, 5, 10, 20, 50, ... up to max, as vLLM builds its
// token-count buckets from max_model_len.
func buckets125(max int) []float64 {
	var out []float64
	for e := 1; ; e *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*e > max {
				return out
			}
			out = append(out, float64(m*e))
		}
	}
}

func newVLLMMetrics(maxModelLen int) *vllmMetrics {
	labels := []string{"model_name", "engine"}
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	counter := func(name, help string, extra ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, append(labels, extra...))
	}
	hist := func(name, help string, b []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: b}, labels)
	}
	tokBuckets := buckets125(max(maxModelLen, 1))
	return &vllmMetrics{
		running:      gauge("vllm:num_requests_running", "Number of requests in model execution batches."),
		waiting:      gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed."),
		gpuCache:     gauge("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage."),
		kvCache:      gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage."),
		promptTokens: counter("vllm:prompt_tokens_total", "Number of prefill tokens processed."),
		genTokens:    counter("vllm:generation_tokens_total", "Number of generation tokens processed."),
		success:      counter("vllm:request_success_total", "Count of successfully processed requests.", "finished_reason"),
		ttft: hist("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
			[]float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}),
		tpot: hist("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.",
			[]float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}),
		e2e:        hist("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", vllmLatencyBuckets),
		queue:      hist("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", vllmLatencyBuckets),
		promptHist: hist("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tokBuckets),
		genHist:    hist("vllm:request_generation_tokens", "Number of generation tokens processed.", tokBuckets),
	}
}

func (v *vllmMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{v.running, v.waiting, v.gpuCache, v.kvCache, v.promptTokens, v.genTokens, v.success,
		v.ttft, v.tpot, v.e2e, v.queue, v.promptHist, v.genHist}
}

// vllmLoad is one model's scheduler state.
type vllmLoad struct {
	running, waiting, kvTokens atomic.Int64
	kvCapacity                 float64
	slowdown                   float64
	capacity                   int
	m                          *vllmMetrics
	name                       string
}

func (l *vllmLoad) publish() {
	l.m.running.WithLabelValues(l.name, vllmEngine).Set(float64(l.running.Load()))
	l.m.waiting.WithLabelValues(l.name, vllmEngine).Set(float64(l.waiting.Load()))
	u := min(float64(l.kvTokens.Load())/l.kvCapacity, 1)
	l.m.gpuCache.WithLabelValues(l.name, vllmEngine).Set(u)
	l.m.kvCache.WithLabelValues(l.name, vllmEngine).Set(u)
}

// wait, run and done move a request through the scheduler: waiting for
// a slot, running with its tokens in the KV cache, finished.
func (l *vllmLoad) wait(d int64) {
	l.waiting.Add(d)
	l.publish()
}

func (l *vllmLoad) run(kv int64) {
	l.running.Add(1)
	l.kvTokens.Add(kv)
	l.publish()
}

func (l *vllmLoad) done(kv int64) {
	l.running.Add(-1)
	l.kvTokens.Add(-kv)
	l.publish()
}

// itlFactor is how much the running batch slows each token now.
func (l *vllmLoad) itlFactor() float64 {
	if l.capacity <= 0 {
		return 1
	}
	return 1 + l.slowdown*float64(max(l.running.Load()-1, 0))/float64(l.capacity)
}

// record adds a finished request to the vLLM series.
func (l *vllmLoad) record(c *call, p *plan, e2e float64) {
	v, name := l.m, l.name
	reason := "stop"
	switch {
	case p.status == 499:
		reason = "abort"
	case p.status != 200:
		return // vLLM counts a refused request nowhere but its HTTP metrics
	case len(p.choices) > 0 && p.choices[0].finish == "length":
		reason = "length"
	}
	v.success.WithLabelValues(name, vllmEngine, reason).Inc()
	if p.status != 200 {
		return
	}
	v.promptTokens.WithLabelValues(name, vllmEngine).Add(float64(p.inTok))
	v.promptHist.WithLabelValues(name, vllmEngine).Observe(float64(p.inTok))
	v.e2e.WithLabelValues(name, vllmEngine).Observe(e2e)
	v.queue.WithLabelValues(name, vllmEngine).Observe(seconds(p.queueing))
	if c.op != "chat" {
		return
	}
	v.genTokens.WithLabelValues(name, vllmEngine).Add(float64(p.outTok))
	v.genHist.WithLabelValues(name, vllmEngine).Observe(float64(p.outTok))
	v.ttft.WithLabelValues(name, vllmEngine).Observe(seconds(p.ttft + p.queueing))
	tpot := v.tpot.WithLabelValues(name, vllmEngine)
	for _, x := range p.itl { // vLLM observes every token's interval
		tpot.Observe(seconds(x))
	}
}

// VLLMMetricNames are the names of the series Config.VLLM adds to
// /metrics, sorted.
func VLLMMetricNames() []string {
	return metricnames.MustOf(newVLLMMetrics(1).collectors()...)
}
