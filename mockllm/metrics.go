package mockllm

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drillkit/drill/internal/metricnames"
)

// metrics are named after the OpenTelemetry GenAI semantic conventions as
// Prometheus exposes them (dots become underscores, units become
// suffixes), plus drill_mockllm_* for what the conventions lack. Each
// server has its own registry so several run side by side.
type metrics struct {
	reg        *prometheus.Registry
	duration   *prometheus.HistogramVec
	ttft       *prometheus.HistogramVec
	tpot       *prometheus.HistogramVec
	tokenUsage *prometheus.HistogramVec
	requests   *prometheus.CounterVec
	cost       *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	affected   *prometheus.CounterVec
	inflight   *prometheus.GaugeVec
	queued     *prometheus.GaugeVec

	mu    sync.Mutex
	cache map[[3]string]*modelMetrics // provider, operation, model
}

// modelMetrics caches the label lookups of one model and operation.
type modelMetrics struct {
	ttft, tpot, in, out prometheus.Observer
	cost, tokIn, tokOut prometheus.Counter
	ok                  prometheus.Counter
	durOK               prometheus.Observer
}

// Label names from the GenAI conventions.
const (
	lOp       = "gen_ai_operation_name"
	lProvider = "gen_ai_provider_name"
	lModel    = "gen_ai_request_model"
	lError    = "error_type"
	lTokType  = "gen_ai_token_type"
)

func newMetrics() *metrics {
	// Bucket boundaries are the ones the GenAI conventions advise.
	durBuckets := []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	ttftBuckets := []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0}
	tpotBuckets := []float64{0.001, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}
	tokBuckets := []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	m := &metrics{
		reg: prometheus.NewRegistry(),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_request_duration_seconds",
			Help: "GenAI server request duration, time to last byte.", Buckets: durBuckets}, []string{lOp, lProvider, lModel, lError}),
		ttft: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_time_to_first_token_seconds",
			Help: "Time to generate the first token, queueing included.", Buckets: ttftBuckets}, []string{lOp, lProvider, lModel}),
		tpot: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_server_time_per_output_token_seconds",
			Help: "Time per output token after the first.", Buckets: tpotBuckets}, []string{lOp, lProvider, lModel}),
		tokenUsage: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gen_ai_client_token_usage",
			Help: "Tokens used per request, as reported in usage.", Buckets: tokBuckets}, []string{lOp, lProvider, lModel, lTokType}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drill_mockllm_requests_total",
			Help: "Requests by model and HTTP status."}, []string{"model", "status"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drill_mockllm_cost_usd_total",
			Help: "Cost billed for the requests, in USD."}, []string{"model"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drill_mockllm_tokens_total",
			Help: "Tokens billed, by model and type (input, output)."}, []string{"model", "type"}),
		affected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "drill_mockllm_fault_affected_total",
			Help: "Requests a fault affected."}, []string{"fault", "mode"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drill_mockllm_requests_in_flight",
			Help: "Requests being served, queued ones included."}, []string{"model"}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "drill_mockllm_requests_queued",
			Help: "Requests waiting for model capacity."}, []string{"model"}),
		cache: map[[3]string]*modelMetrics{},
	}
	m.reg.MustRegister(m.collectors()...)
	return m
}

// collectors are every series a mock provider exports, as registered.
func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.duration, m.ttft, m.tpot, m.tokenUsage, m.requests, m.cost, m.tokens, m.affected, m.inflight, m.queued}
}

// MetricNames are the names of the series a mock provider's /metrics
// exposes (a histogram's _bucket, _sum and _count), sorted.
// vLLM's (VLLMMetricNames) included, as a server with Config.VLLM
// exposes them.
func MetricNames() []string {
	return metricnames.MustOf(append(newMetrics().collectors(), newVLLMMetrics(1).collectors()...)...)
}

func (m *metrics) model(provider, op, model string) *modelMetrics {
	k := [3]string{provider, op, model}
	m.mu.Lock()
	defer m.mu.Unlock()
	if mm := m.cache[k]; mm != nil {
		return mm
	}
	mm := &modelMetrics{
		ttft:   m.ttft.WithLabelValues(op, provider, model),
		tpot:   m.tpot.WithLabelValues(op, provider, model),
		in:     m.tokenUsage.WithLabelValues(op, provider, model, "input"),
		out:    m.tokenUsage.WithLabelValues(op, provider, model, "output"),
		cost:   m.cost.WithLabelValues(model),
		tokIn:  m.tokens.WithLabelValues(model, "input"),
		tokOut: m.tokens.WithLabelValues(model, "output"),
		ok:     m.requests.WithLabelValues(model, "200"),
		durOK:  m.duration.WithLabelValues(op, provider, model, ""),
	}
	m.cache[k] = mm
	return mm
}

func seconds(d time.Duration) float64 { return d.Seconds() }
