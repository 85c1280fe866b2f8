package stubs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/drillkit/drill/internal/textdist"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/internal/metricnames"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures one stub server.
type Config struct {
	// Stub is the parsed stub file to serve (required).
	Stub *File
	// Addr is the listen address; empty means 127.0.0.1:0.
	Addr string
	// Seed drives fault probabilities and latency draws.
	Seed uint64
	// Logger receives server errors; nil discards them.
	Logger *slog.Logger
	// Now tells time for fault durations; nil means time.Now.
	Now func() time.Time
}

// maxBody caps the request body a stub reads for matching and echoing.
const maxBody = 1 << 20

// FaultHeader names the fault that changed a response.
const FaultHeader = "X-Drill-Fault"

// Server is a running stub.
type Server struct {
	cfg    Config
	faults *faultmode.Set[Params]
	mux    *http.ServeMux
	reg    *prometheus.Registry

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	affected *prometheus.CounterVec

	rngMu sync.Mutex
	rng   *rand.Rand
	seq   atomic.Int64

	http      *loopback.Server // nil until Start
	done      chan struct{}    // closed by Close: cuts latency sleeps short
	inflight  sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New builds a stub server's handler without binding a listener; Start
// is New plus a listener.
func New(cfg Config) (*Server, error) {
	if cfg.Stub == nil {
		return nil, errors.New("stubs: Config.Stub is required; load one with LoadFile, Parse or Kit")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:    cfg,
		faults: faultmode.NewSet[Params](cfg.Seed, validateParams, cfg.Now),
		mux:    http.NewServeMux(),
		reg:    prometheus.NewRegistry(),
		rng:    rand.New(rand.NewPCG(cfg.Seed, 0x57b5)),
		done:   make(chan struct{}),
	}
	for i, f := range cfg.Stub.Faults {
		if _, err := s.faults.Add(f); err != nil {
			return nil, fmt.Errorf("stubs: %s: faults[%d]: %w", cfg.Stub.Source, i, err)
		}
	}
	s.reg.MustRegister(s.newMetrics()...)

	s.faults.Register(s.mux)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/", s.serveStub)
	return s, nil
}

// newMetrics makes the stub's series and returns them, to register.
func (s *Server) newMetrics() []prometheus.Collector {
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_stub_requests_total",
		Help: "Requests a stub answered, by route and HTTP status (\"dropped\" when the connection was cut).",
	}, []string{"stub", "route", "status"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drill_stub_request_duration_seconds",
		Help:    "Time a stub took to answer, including injected latency.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"stub", "route"})
	s.affected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drill_stub_fault_affected_total",
		Help: "Requests a fault changed, by fault ID and mode.",
	}, []string{"stub", "fault", "mode"})
	return []prometheus.Collector{s.requests, s.duration, s.affected}
}

// MetricNames are the names of the series a stub's /metrics exposes (a
// histogram's _bucket, _sum and _count), sorted.
func MetricNames() []string { return metricnames.MustOf((&Server{}).newMetrics()...) }

// Start builds a stub server and binds its listener (cfg.Addr, default
// 127.0.0.1:0) before returning.
func Start(cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if s.http, err = loopback.Serve(cfg.Addr, s.mux, s.cfg.Logger); err != nil {
		return nil, fmt.Errorf("stubs: %s: listen: %w", cfg.Stub.Name, err)
	}
	return s, nil
}

// URL is the server's base URL, such as http://127.0.0.1:41234; empty for
// a server built with New.
func (s *Server) URL() string {
	if s.http == nil {
		return ""
	}
	return s.http.URL()
}

// Name is the stub's name.
func (s *Server) Name() string { return s.cfg.Stub.Name }

// Handler serves the stub, /metrics and the /_drill control API.
func (s *Server) Handler() http.Handler { return s.mux }

// Faults is the server's fault set, for in-process control.
func (s *Server) Faults() *faultmode.Set[Params] { return s.faults }

// Registry is the server's private metrics registry.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Close stops the server and waits for its handlers; safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		if s.http != nil {
			s.closeErr = s.http.Close(2 * time.Second)
		}
		s.inflight.Wait()
	})
	return s.closeErr
}

// sleep waits d unless the request or the server ends first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// draw returns one latency sample.
func (s *Server) draw(l *Latency) time.Duration {
	if l == nil {
		return 0
	}
	mean, sd := float64(l.Mean), float64(l.Stddev)
	s.rngMu.Lock()
	z := s.rng.NormFloat64()
	s.rngMu.Unlock()
	var v float64
	switch l.Dist {
	case "normal":
		v = mean + sd*z
	case "lognormal":
		// Parameters of the underlying normal so the samples have the
		// configured mean and standard deviation.
		sigma2 := math.Log(1 + sd*sd/(mean*mean))
		v = math.Exp(math.Log(mean) - sigma2/2 + math.Sqrt(sigma2)*z)
	default:
		v = mean
	}
	if v < 0 {
		v = 0
	}
	return time.Duration(v)
}

func (s *Server) serveStub(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	start := time.Now()
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		faultmode.WriteError(w, http.StatusBadRequest, fmt.Errorf("reading body: %w", err))
		return
	}
	var body any
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if dec.Decode(&body) != nil {
			body = nil
		}
	}
	route, params, misses := s.route(r, body, raw)
	if route == nil {
		s.observe("unmatched", "404", start)
		s.notFound(w, r, misses)
		return
	}
	req := &request{
		Method: r.Method, URL: r.URL.RequestURI(), Route: route.Name, Path: params,
		Query: first(r.URL.Query()), Headers: first(r.Header), Body: body, RawBody: string(raw),
		Seq: s.seq.Add(1), Now: start,
	}
	s.respond(w, r, route, req)
}

// observe counts a request before its answer is written, so a client that
// has its answer can already see it in /metrics.
func (s *Server) observe(route, status string, start time.Time) {
	s.requests.WithLabelValues(s.cfg.Stub.Name, route, status).Inc()
	s.duration.WithLabelValues(s.cfg.Stub.Name, route).Observe(time.Since(start).Seconds())
}

// respond answers a matched request, applying at most one fault.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, route *Route, req *request) {
	h, body, err := route.Response.render(req)
	if err != nil {
		s.cfg.Logger.Warn("stub template failed", "stub", s.cfg.Stub.Name, "route", route.Name, "err", err)
		s.observe(route.Name, "500", req.Now)
		faultmode.WriteError(w, http.StatusInternalServerError, fmt.Errorf("stub %s route %s: %w", s.cfg.Stub.Name, route.Name, err))
		return
	}
	isJSON := json.Valid(body)
	// A schema_change on a body that is not JSON would change nothing, so
	// it must not count as evidence.
	f, hit := s.faults.PickMode(route.Name, func(f faultmode.Fault[Params]) bool {
		return f.Mode != ModeSchemaChange || isJSON
	})
	if !s.sleep(r.Context(), s.draw(route.Latency)) {
		if hit {
			s.affected.WithLabelValues(s.cfg.Stub.Name, f.ID, f.Mode).Inc()
		}
		s.observe(route.Name, "499", req.Now)
		return
	}
	status := route.Response.Status
	if hit {
		s.affected.WithLabelValues(s.cfg.Stub.Name, f.ID, f.Mode).Inc()
		switch f.Mode {
		case ModeError:
			status, h, body = f.Params.Status, jsonHeader(), []byte(f.Params.Body)
			if f.Params.Body == "" {
				body, _ = json.Marshal(map[string]any{"error": map[string]any{
					"type": "api_error", "message": fmt.Sprintf("%s (injected by drill fault %s)", http.StatusText(status), f.ID)}})
			} else if !json.Valid(body) {
				h.Set("Content-Type", "text/plain; charset=utf-8")
			}
		case ModeRateLimit:
			ra := f.Params.RetryAfter
			if ra == 0 {
				ra = DefaultRetryAfter
			}
			status, h = http.StatusTooManyRequests, jsonHeader()
			h.Set("Retry-After", strconv.Itoa(ra))
			body = []byte(`{"error":{"type":"rate_limit_error","message":"Too many requests; retry after ` + strconv.Itoa(ra) + ` seconds."}}`)
		case ModeExpiredCredentials:
			status, h, body = http.StatusUnauthorized, jsonHeader(), []byte(expiredBody)
			h.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The access token expired"`)
		case ModeMalformed:
			body = malform(body)
		case ModeSchemaChange:
			body, _ = reshape(body, f.Params)
		case ModeSlow:
			if !s.sleep(r.Context(), time.Duration(f.Params.Delay)) {
				s.observe(route.Name, "499", req.Now)
				return
			}
		case ModeOutage:
			if f.Params.Status == 0 {
				s.observe(route.Name, "dropped", req.Now)
				drop(w)
				return
			}
			status, h = f.Params.Status, jsonHeader()
			body = []byte(`{"error":{"type":"service_unavailable","message":"The service is temporarily unavailable."}}`)
		case ModeEmpty:
			status, body = http.StatusOK, nil
			h.Del("Content-Type")
		}
		h.Set(FaultHeader, f.ID)
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	s.observe(route.Name, strconv.Itoa(status), req.Now)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func jsonHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return h
}

// drop closes the connection without an answer, as a dead upstream does.
func drop(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // reset, not a polite FIN
			}
			_ = conn.Close()
			return
		}
	}
	// No hijacking (HTTP/2, recorders): abort the response instead.
	panic(http.ErrAbortHandler)
}

func first(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// miss explains why a route did not take a request.
type miss struct {
	Route  string `json:"route"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Why    string `json:"why"`
	score  int
}

// route finds the first route that takes the request, or explains the
// misses.
func (s *Server) route(r *http.Request, body any, raw []byte) (*Route, map[string]string, []miss) {
	var misses []miss
	for _, rt := range s.cfg.Stub.Routes {
		params, pathOK := matchPath(rt.segs, r.URL.Path)
		methodOK := rt.Method == r.Method || (rt.Method == http.MethodGet && r.Method == http.MethodHead)
		m := miss{Route: rt.Name, Method: rt.Method, Path: rt.Path}
		switch {
		case pathOK && methodOK:
			ok, why := rt.Match.matches(r, body, raw)
			if ok {
				return rt, params, nil
			}
			m.Why, m.score = why, 0
		case pathOK:
			m.Why, m.score = "method: want "+rt.Method, 1
		default:
			m.Why = "path: want " + rt.Path
			m.score = 2 + distance(r.URL.Path, rt.Path)
			if !methodOK {
				m.score++
			}
		}
		misses = append(misses, m)
	}
	sort.SliceStable(misses, func(i, j int) bool { return misses[i].score < misses[j].score })
	if len(misses) > 3 {
		misses = misses[:3]
	}
	return nil, nil, misses
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, closest []miss) {
	faultmode.WriteJSON(w, http.StatusNotFound, map[string]any{
		"error":   fmt.Sprintf("stub %s: no route matches %s %s", s.cfg.Stub.Name, r.Method, r.URL.Path),
		"closest": closest,
	})
}

// distance is the edit distance between two strings, to rank the routes
// a 404 suggests.
func distance(a, b string) int { return textdist.Levenshtein([]byte(a), []byte(b)) }

// Describe is a one-line summary of a stub for logs and `drill serve`.
func (f *File) Describe() string {
	parts := make([]string, 0, len(f.Routes))
	for _, r := range f.Routes {
		parts = append(parts, r.Method+" "+r.Path)
	}
	return f.Name + ": " + strings.Join(parts, ", ")
}
