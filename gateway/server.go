package gateway

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/drillkit/drill/internal/loopback"
)

// maxBody caps client and upstream bodies the gateway reads whole.
const maxBody = 10 << 20

// upstream is one configured provider with its breaker.
type upstream struct {
	Upstream
	role    string // primary | secondary
	index   int    // 0 primary, 1 secondary
	breaker *breaker
}

// Server is a running gateway. Its levers (failover, budget, step cap,
// retries, disabled models, breakers) change at run time through the admin
// API.
type Server struct {
	cfg       Config
	http      *loopback.Server // nil until Start
	mux       *http.ServeMux
	transport *http.Transport
	client    *http.Client
	m         *metrics
	ups       []*upstream // primary, then secondary when configured
	spend     *spendWindow

	mu            sync.Mutex // guards the levers below
	active        int
	autoFailover  bool
	budget        float64
	maxAttempts   int
	agentMaxSteps int
	disabled      map[string]bool
}

// Start validates cfg, binds cfg.Addr and serves until Close.
func Start(cfg Config) (*Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	if s.http, err = loopback.Serve(s.cfg.Addr, s.mux, s.cfg.Logger); err != nil {
		return nil, fmt.Errorf("gateway: listen on %s: %w", s.cfg.Addr, err)
	}
	return s, nil
}

func newServer(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway: invalid config: %w", err)
	}
	cfg.hooks()
	s := &Server{
		cfg:           cfg,
		m:             newMetrics(),
		autoFailover:  cfg.AutoFailover,
		budget:        cfg.BudgetUSDPerMin,
		maxAttempts:   cfg.MaxAttempts,
		agentMaxSteps: cfg.AgentMaxSteps,
		disabled:      map[string]bool{},
	}
	s.spend = &spendWindow{now: cfg.Now}
	s.transport = &http.Transport{
		Proxy:               nil, // upstreams are reached directly (toxiproxy sits at their URL)
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 128,
		IdleConnTimeout:     90 * time.Second,
	}
	s.client = &http.Client{Transport: s.transport}
	add := func(u Upstream, role string) {
		up := &upstream{Upstream: u, role: role, index: len(s.ups)}
		up.breaker = newBreaker(cfg.Breaker, cfg.Now, func(st int) {
			s.m.breakerState.WithLabelValues(u.Name).Set(float64(st))
		})
		s.ups = append(s.ups, up)
	}
	add(cfg.Primary, "primary")
	if cfg.Secondary.configured() {
		add(cfg.Secondary, "secondary")
	}
	for _, m := range cfg.DisabledModels {
		s.disabled[m] = true
	}
	s.m.budget.Set(cfg.BudgetUSDPerMin)
	s.m.activeUpstream.Set(0)
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	s.mux.HandleFunc("POST /v1/agent/run", s.handleAgent)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{}))
	s.registerAdmin(s.mux)
	return s, nil
}

// URL is the gateway's base URL, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.http.URL() }

// AdminURL is the base of the admin API: URL()+"/admin".
func (s *Server) AdminURL() string { return s.URL() + "/admin" }

// Handler serves the gateway's routes; useful to mount it elsewhere.
func (s *Server) Handler() http.Handler { return s.mux }

// Close stops the server: in-flight requests get a few seconds to finish,
// then their contexts are cancelled, and Close returns once their handlers
// have. Safe to call more than once.
func (s *Server) Close() error {
	err := s.http.Close(3 * time.Second)
	s.transport.CloseIdleConnections()
	return err
}

// apiError is an OpenAI-shaped error answer.
type apiError struct {
	status  int
	Type    string `json:"type"`
	Code    string `json:"code,omitempty"`
	Param   string `json:"param,omitempty"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func errorf(status int, typ, format string, args ...any) *apiError {
	return &apiError{status: status, Type: typ, Code: typ, Message: fmt.Sprintf(format, args...)}
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusRecorder remembers the status a handler wrote, for
// drill_gateway_requests_total; a handler may override the label (a stream
// cut after its 200 header).
type statusRecorder struct {
	http.ResponseWriter
	status int
	label  string
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) countRequest(route string, rec *statusRecorder) {
	label := rec.label
	if label == "" {
		st := rec.status
		if st == 0 {
			st = http.StatusOK
		}
		label = fmt.Sprint(st)
	}
	s.m.requests.WithLabelValues(route, label).Inc()
}
