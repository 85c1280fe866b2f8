package traffic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/internal/metricnames"
)

// replan is how often a waiting arrival loop looks at the rate again, so
// ramps, steps and surges take effect within this long even at low rates.
const replan = 100 * time.Millisecond

// maxSamples bounds the latency samples kept for Stats' quantiles.
const maxSamples = 50000

// Generator sends open-model traffic to one target.
type Generator struct {
	cfg    Config
	target string
	log    *slog.Logger

	transport *http.Transport
	client    *http.Client

	kinds map[string]*compiled // every request kind: the presets and the team's own

	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	responses *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	ttft      prometheus.Histogram
	tokens    *prometheus.CounterVec
	cost      prometheus.Counter
	inflight  prometheus.Gauge
	rateG     prometheus.Gauge

	mult     atomic.Uint64 // math.Float64bits of the surge multiplier
	wake     chan struct{} // nudges the arrival loop after SetMultiplier
	inFlight atomic.Int64
	seq      atomic.Int64

	mu    sync.Mutex
	state stats

	lifeMu   sync.Mutex
	started  bool
	stopped  bool
	cancel   context.CancelFunc
	loopDone chan struct{}
	reqs     sync.WaitGroup
	metrics  *loopback.Server // the /metrics endpoint, from Start
}

// New checks cfg and builds a generator for the service at target, a base
// URL such as http://127.0.0.1:8080 (paths /v1/... are appended).
func New(cfg Config, target string) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("traffic: target: want a base URL such as http://127.0.0.1:8080, got %q", target)
	}
	if cfg.Shape.Kind == "" {
		cfg.Shape.Kind = ShapeConstant
	}
	if cfg.Arrivals == "" {
		cfg.Arrivals = "poisson"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	tr := &http.Transport{
		Proxy:               nil, // a drill talks to its own testbed only
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        cfg.MaxInFlight,
		MaxIdleConnsPerHost: cfg.MaxInFlight,
		IdleConnTimeout:     30 * time.Second,
	}
	g := &Generator{
		cfg:       cfg,
		target:    strings.TrimSuffix(target, "/"),
		log:       cfg.Logger,
		transport: tr,
		client:    &http.Client{Transport: tr},
		reg:       prometheus.NewRegistry(),
		wake:      make(chan struct{}, 1),
		state:     newStats(cfg.Seed),
	}
	// Every kind, preset or the team's own, is a compiled Request sent
	// by the one mechanism (sendCustom).
	g.kinds = map[string]*compiled{}
	for name, r := range Presets(cfg) {
		c, errs := compileKind(name, r, true)
		if len(errs) > 0 {
			return nil, fmt.Errorf("traffic: preset %s: %w", name, errors.Join(errs...))
		}
		g.kinds[name] = c
	}
	for name, r := range cfg.Requests {
		c, _ := compile(name, r) // Validate compiled it already
		g.kinds[name] = c
	}
	g.mult.Store(math.Float64bits(1))
	g.reg.MustRegister(g.newMetrics()...)
	// Series exist from the first scrape, so rate() and ratios are
	// defined before the first failure.
	for _, k := range cfg.kinds() {
		if cfg.Mix[k] <= 0 {
			continue
		}
		for _, o := range Outcomes {
			g.requests.WithLabelValues(k, o)
		}
		g.duration.WithLabelValues(k)
	}
	g.tokens.WithLabelValues("input")
	g.tokens.WithLabelValues("output")
	return g, nil
}

// newMetrics makes the generator's series and returns them, to register.
func (g *Generator) newMetrics() []prometheus.Collector {
	g.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_traffic_requests_total",
		Help: "Requests the traffic generator scheduled, by kind and outcome (ok, error, invalid, timeout, dropped).",
	}, []string{"kind", "outcome"})
	g.responses = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_traffic_responses_total",
		Help: "Responses the traffic generator got, by kind and HTTP status code (none: no response came back).",
	}, []string{"kind", "status"})
	g.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drill_traffic_request_duration_seconds",
		Help:    "Client-side request latency, to the end of the body or stream.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 4, 8, 15, 30, 60},
	}, []string{"kind"})
	g.ttft = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "drill_traffic_time_to_first_token_seconds",
		Help:    "Time from sending a streaming request to its first content chunk.",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2, 4, 8, 15},
	})
	g.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_traffic_tokens_total",
		Help: "Tokens reported in responses' usage, by type (input, output).",
	}, []string{"type"})
	g.cost = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "drill_traffic_cost_usd_total",
		Help: "Cost in USD reported by responses (agent runs, or usage.cost_usd where given).",
	})
	g.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drill_traffic_in_flight_requests",
		Help: "Requests sent and not yet finished.",
	})
	g.rateG = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drill_traffic_target_rate",
		Help: "The arrival rate aimed for now, in requests per second (shape times surge multiplier).",
	})
	return []prometheus.Collector{g.requests, g.responses, g.duration, g.ttft, g.tokens, g.cost, g.inflight, g.rateG}
}

// MetricNames are the names of the series the generator's /metrics
// exposes (a histogram's _bucket, _sum and _count), sorted: the
// client-side SLIs a PromQL condition can read in any drill.
func MetricNames() []string { return metricnames.MustOf((&Generator{}).newMetrics()...) }

// Start binds the metrics listener and starts sending. Arrivals stop when
// ctx ends or at Stop; call Stop (or Close) in every case to release the
// listener and wait for requests in flight.
func (g *Generator) Start(ctx context.Context) error {
	g.lifeMu.Lock()
	defer g.lifeMu.Unlock()
	if g.started || g.stopped {
		return errors.New("traffic: Start called twice or after Stop; make a new Generator")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.reg, promhttp.HandlerOpts{}))
	var err error
	if g.metrics, err = loopback.Serve(g.cfg.MetricsAddr, mux, nil); err != nil {
		return fmt.Errorf("traffic: metrics listener: %w", err)
	}

	g.started = true
	lctx, cancel := context.WithCancel(ctx)
	g.cancel = cancel
	g.loopDone = make(chan struct{})
	start := time.Now()
	g.mu.Lock()
	g.state.start = start
	g.mu.Unlock()
	go g.loop(lctx, start)
	return nil
}

// MetricsURL is the URL of the generator's /metrics; empty before Start.
func (g *Generator) MetricsURL() string {
	g.lifeMu.Lock()
	defer g.lifeMu.Unlock()
	if g.metrics == nil {
		return ""
	}
	return g.metrics.URL() + "/metrics"
}

// Registry is the generator's private metrics registry.
func (g *Generator) Registry() *prometheus.Registry { return g.reg }

// SetMultiplier scales the arrival rate by x from now on (a traffic surge
// is x > 1; 1 restores the shape). Negative or NaN values count as 0,
// which pauses arrivals.
func (g *Generator) SetMultiplier(x float64) {
	if !(x >= 0) || math.IsInf(x, 0) {
		x = 0
	}
	g.mult.Store(math.Float64bits(x))
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// Multiplier is the current surge multiplier.
func (g *Generator) Multiplier() float64 { return math.Float64frombits(g.mult.Load()) }

// Stop ends arrivals, waits for requests in flight (each bounded by the
// timeout), and closes the metrics listener. Safe to call twice.
func (g *Generator) Stop() {
	g.lifeMu.Lock()
	defer g.lifeMu.Unlock()
	if g.stopped {
		return
	}
	g.stopped = true
	if !g.started {
		return
	}
	g.cancel()
	<-g.loopDone
	g.reqs.Wait()
	_ = g.metrics.Close(2 * time.Second) // a scrape cut short is no loss
	g.transport.CloseIdleConnections()
}

// Close is Stop, for io.Closer.
func (g *Generator) Close() error {
	g.Stop()
	return nil
}

func (g *Generator) rate(elapsed time.Duration) float64 {
	return g.cfg.baseRate(elapsed) * g.Multiplier()
}

// loop schedules arrivals by the clock, never waiting for completions.
func (g *Generator) loop(ctx context.Context, start time.Time) {
	defer close(g.loopDone)
	defer func() {
		// Elapsed is the arrival window, not the drain after it.
		g.mu.Lock()
		g.state.end = time.Now()
		g.mu.Unlock()
	}()
	gaps := rand.New(rand.NewPCG(g.cfg.Seed, 0x6761))
	pick := newPicker(g.cfg.kinds(), g.cfg.Mix, g.cfg.Seed)
	poisson := g.cfg.Arrivals != "uniform"
	gap := func(r float64) time.Duration {
		if poisson {
			return time.Duration(gaps.ExpFloat64() / r * float64(time.Second))
		}
		return time.Duration(float64(time.Second) / r)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// The schedule is anchored at Start, so a loop that gets the CPU late
	// catches up instead of losing arrivals.
	var next time.Time
	armed := false
	if r := g.rate(0); r > 0 {
		next, armed = start.Add(gap(r)), true
	}
	for {
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		if armed && !now.Before(next) {
			g.arrive(pick.next())
			// Stay on the schedule: when behind, the next arrivals
			// follow at once until caught up.
			if r := g.rate(next.Sub(start)); r > 0 {
				next = next.Add(gap(r))
			} else {
				armed = false
			}
			continue
		}
		r := g.rate(now.Sub(start))
		g.rateG.Set(r)
		switch {
		case r <= 0:
			armed = false
		case !armed:
			next, armed = now.Add(gap(r)), true
		case poisson:
			// Memoryless: redrawing the wait at the current rate keeps a
			// Poisson process with a rate that may have just changed.
			next = now.Add(gap(r))
		default:
			if n := now.Add(gap(r)); n.Before(next) {
				next = n
			}
		}
		wait := replan
		if armed {
			wait = min(wait, next.Sub(now))
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-g.wake:
		case <-timer.C:
		}
	}
}

// arrive sends one request unless the in-flight bound is reached. Only the
// loop goroutine calls it, so the check and the increment cannot race.
func (g *Generator) arrive(kind string) {
	g.mu.Lock()
	g.state.arrivals++
	g.mu.Unlock()
	if g.inFlight.Load() >= int64(g.cfg.MaxInFlight) {
		g.record(Result{Kind: kind, Outcome: OutcomeDropped, Start: time.Now()})
		return
	}
	g.inFlight.Add(1)
	g.inflight.Inc()
	g.reqs.Add(1)
	seq := g.seq.Add(1)
	go func() {
		defer g.reqs.Done()
		res := g.sendCustom(g.kinds[kind], seq)
		g.inFlight.Add(-1)
		g.inflight.Dec()
		g.record(res)
	}()
}

func (g *Generator) record(r Result) {
	g.requests.WithLabelValues(r.Kind, r.Outcome).Inc()
	if r.Outcome != OutcomeDropped {
		status := "none"
		if r.Status != 0 {
			status = strconv.Itoa(r.Status)
		}
		g.responses.WithLabelValues(r.Kind, status).Inc()
		g.duration.WithLabelValues(r.Kind).Observe(r.Latency.Seconds())
		if r.TTFT > 0 {
			g.ttft.Observe(r.TTFT.Seconds())
		}
		if r.InputTokens > 0 {
			g.tokens.WithLabelValues("input").Add(float64(r.InputTokens))
		}
		if r.OutputTokens > 0 {
			g.tokens.WithLabelValues("output").Add(float64(r.OutputTokens))
		}
		if r.CostUSD > 0 {
			g.cost.Add(r.CostUSD)
		}
		if r.Outcome != OutcomeOK {
			g.log.Debug("traffic request failed", "kind", r.Kind, "outcome", r.Outcome, "status", r.Status, "why", r.Detail)
		}
	}
	g.mu.Lock()
	g.state.add(r)
	g.mu.Unlock()
	if g.cfg.OnResult != nil {
		g.cfg.OnResult(r)
	}
}

// picker draws request kinds by weight from a seeded stream, so a seed
// gives the same kind sequence whatever the timing.
type picker struct {
	kinds []string
	cum   []float64
	rng   *rand.Rand
}

func newPicker(kinds []string, mix map[string]float64, seed uint64) *picker {
	p := &picker{rng: rand.New(rand.NewPCG(seed, 0x6b696e64))}
	var sum float64
	for _, k := range kinds { // fixed order: map order must not matter
		if w := mix[k]; w > 0 {
			sum += w
			p.kinds = append(p.kinds, k)
			p.cum = append(p.cum, sum)
		}
	}
	for i := range p.cum {
		p.cum[i] /= sum
	}
	return p
}

func (p *picker) next() string {
	x := p.rng.Float64()
	i := sort.SearchFloat64s(p.cum, x)
	if i >= len(p.kinds) {
		i = len(p.kinds) - 1
	}
	return p.kinds[i]
}
