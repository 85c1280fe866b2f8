package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drillkit/drill/internal/metricnames"
)

// metrics are the gateway's Prometheus series, on a registry of its own so
// several gateways in one process do not collide.
type metrics struct {
	reg *prometheus.Registry

	opDuration     *prometheus.HistogramVec
	tokenUsage     *prometheus.HistogramVec
	requests       *prometheus.CounterVec
	cost           *prometheus.CounterVec
	fallbacks      prometheus.Counter
	budgetRejects  prometheus.Counter
	validation     *prometheus.CounterVec
	upstreamReqs   *prometheus.CounterVec
	breakerState   *prometheus.GaugeVec
	agentSteps     prometheus.Histogram
	toolCalls      *prometheus.CounterVec
	budget         prometheus.Gauge
	activeUpstream prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	// Bucket boundaries are the ones the OpenTelemetry GenAI semantic
	// conventions recommend for these two instruments.
	m.opDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gen_ai_client_operation_duration_seconds",
		Help:    "Duration of GenAI operations (one upstream attempt), by model, provider and error type (empty on success).",
		Buckets: []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92},
	}, []string{"gen_ai_request_model", "gen_ai_system", "error_type"})
	m.tokenUsage = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gen_ai_client_token_usage",
		Help:    "Tokens used per GenAI operation, by token type (input, output).",
		Buckets: []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864},
	}, []string{"gen_ai_token_type", "gen_ai_request_model", "gen_ai_system"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_gateway_requests_total",
		Help: "Client-facing requests by route (chat, agent) and status (HTTP code, or stream_cut for a stream that broke after its headers).",
	}, []string{"route", "status"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_gateway_cost_usd_total",
		Help: "Spend in USD computed from upstream usage and the price table.",
	}, []string{"upstream", "model"})
	m.fallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "drill_gateway_fallbacks_total",
		Help: "Calls moved to the other upstream after the first one failed (auto failover).",
	})
	m.budgetRejects = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "drill_gateway_budget_rejections_total",
		Help: "Calls refused with 429 budget_exceeded because the rolling minute's spend exceeded the budget.",
	})
	m.validation = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_gateway_validation_failures_total",
		Help: "Upstream responses failing validation, by kind (json, canary, malformed).",
	}, []string{"kind"})
	m.upstreamReqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_gateway_upstream_requests_total",
		Help: "Attempts to upstreams by upstream name and status (HTTP code, timeout, error, circuit_open).",
	}, []string{"upstream", "status"})
	m.breakerState = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "drill_gateway_breaker_state",
		Help: "Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open.",
	}, []string{"upstream"})
	m.agentSteps = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "drill_gateway_agent_steps",
		Help:    "Model calls per agent run.",
		Buckets: []float64{1, 2, 3, 5, 8, 13, 21, 34, 55},
	})
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_gateway_tool_calls_total",
		Help: "Agent tool calls by tool and outcome (HTTP code of the tool API, error, unknown_tool).",
	}, []string{"tool", "status"})
	m.budget = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drill_gateway_budget_usd_per_minute",
		Help: "The spend budget in USD per rolling minute; 0 is unlimited.",
	})
	m.activeUpstream = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drill_gateway_active_upstream",
		Help: "The upstream routed to first: 0 primary, 1 secondary.",
	})
	// A counter's series that appears at 1 hides its first event from
	// rate() and increase(), which count only rises between samples: a
	// single canary failure would never reach a rule. Every known kind
	// starts at 0 (Prometheus' advice for labels known in advance).
	for _, kind := range validationKinds {
		m.validation.WithLabelValues(kind)
	}
	m.reg.MustRegister(m.collectors()...)
	return m
}

// validationKinds are the values of drill_gateway_validation_failures_total's
// kind label.
var validationKinds = []string{"json", "canary", "malformed"}

// collectors are every series the gateway exports, as registered.
func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.opDuration, m.tokenUsage, m.requests, m.cost, m.fallbacks, m.budgetRejects,
		m.validation, m.upstreamReqs, m.breakerState, m.agentSteps, m.toolCalls, m.budget, m.activeUpstream}
}

// MetricNames are the names of the series the gateway's /metrics
// exposes (a histogram's _bucket, _sum and _count), sorted: what a
// PromQL condition over the built-in gateway can read.
func MetricNames() []string { return metricnames.MustOf(newMetrics().collectors()...) }
