package mockllm

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The server's lifecycle and routes: New, Start, Close, and which
// surface serves each path.

// Headers of the drill protocol.
const (
	// HeaderFault names, on a response, the fault that affected it.
	HeaderFault = "X-Drill-Fault"
	// HeaderForceFault forces a fault of this mode on one request; its
	// params come as JSON in HeaderForceParams.
	HeaderForceFault  = "X-Drill-Force-Fault"
	HeaderForceParams = "X-Drill-Force-Params"
)

// Server is a running mock provider.
type Server struct {
	cfg     Config
	sleeper Sleeper
	log     *slog.Logger
	models  map[string]*modelState
	answers []Answer
	faults  *faultmode.Set[FaultParams]
	limiter limiter
	journal *journal
	metrics *metrics
	handler http.Handler
	seq     atomic.Uint64
	// vectors are the embedding blocks, drawn on the first embeddings
	// request.
	vectors func() *vectorPool

	http *loopback.Server // nil until Start
}

type modelState struct {
	Model
	sem              semaphore
	inflight, queued prometheus.Gauge
	vllm             *vllmLoad // nil unless Config.VLLM
}

// New builds a server without listening; Handler serves it. Most callers
// want Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, sleeper: cfg.Sleeper, log: cfg.Logger, models: map[string]*modelState{}}
	if s.sleeper == nil {
		s.sleeper = RealTime{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.MaxBodyBytes == 0 {
		s.cfg.MaxBodyBytes = DefaultConfig().MaxBodyBytes
	}
	s.metrics = newMetrics()
	var vm *vllmMetrics
	if v := cfg.VLLM; v != nil {
		maxLen := 0
		for _, m := range cfg.Models {
			maxLen = max(maxLen, m.ContextWindow)
		}
		vm = newVLLMMetrics(maxLen)
		s.metrics.reg.MustRegister(vm.collectors()...)
	}
	for _, m := range cfg.Models {
		ms := &modelState{Model: m, inflight: s.metrics.inflight.WithLabelValues(m.Name), queued: s.metrics.queued.WithLabelValues(m.Name)}
		if ms.Kind == "" {
			ms.Kind = KindChat
		}
		if ms.Latency.Capacity > 0 {
			ms.sem = make(semaphore, ms.Latency.Capacity)
		}
		if ms.OutputTokens.Max == 0 {
			ms.OutputTokens = TokenRange{Min: 40, Max: 160}
		}
		if vm != nil {
			ms.vllm = &vllmLoad{m: vm, name: m.Name, capacity: ms.Latency.Capacity,
				kvCapacity: float64(cmp.Or(cfg.VLLM.KVCacheTokens, DefaultKVCacheTokens)), slowdown: cmp.Or(cfg.VLLM.BatchSlowdown, DefaultBatchSlowdown)}
			ms.vllm.publish()
		}
		s.models[m.Name] = ms
	}
	s.answers = append(s.answers, cfg.Answers...)
	s.answers = append(s.answers, Answer{Prompt: canaryPattern, Answer: CanaryAnswer, re: regexp.MustCompile(canaryPattern), canary: true})
	s.faults = faultmode.NewSet(cfg.Seed, validateFault, s.sleeper.Now)
	for _, f := range cfg.Faults {
		if _, err := s.faults.Add(f); err != nil {
			return nil, fmt.Errorf("fault %q: %w", f.ID, err)
		}
	}
	s.journal = newJournal(cfg.JournalSize)
	s.vectors = sync.OnceValue(func() *vectorPool { return newVectorPool(cfg.Seed) })
	s.handler = s.routes()
	return s, nil
}

// Start builds a server and listens on cfg.Addr (default 127.0.0.1:0)
// before returning.
func Start(cfg Config) (*Server, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if s.http, err = loopback.Serve(cfg.Addr, s.handler, s.log); err != nil {
		return nil, fmt.Errorf("mockllm: %w", err) // net's error names the address
	}
	return s, nil
}

// URL is the server's base URL, e.g. http://127.0.0.1:41234. OpenAI
// clients take URL()+"/v1"; Anthropic and Gemini (genai) clients take
// URL(); Azure OpenAI clients take URL() as their endpoint, or
// URL()+"/openai/v1" for Azure's v1 API; Bedrock Runtime clients take
// URL() as their BaseEndpoint.
func (s *Server) URL() string {
	if s.http == nil {
		return ""
	}
	return s.http.URL()
}

// Close stops the server, cutting streams still open after 2 seconds;
// safe to call twice.
func (s *Server) Close() error {
	if s.http == nil {
		return nil
	}
	return s.http.Close(2 * time.Second)
}

// Handler serves every route of the server.
func (s *Server) Handler() http.Handler { return s.handler }

// Faults is the server's fault set.
func (s *Server) Faults() *faultmode.Set[FaultParams] { return s.faults }

// Journal returns the recent requests, oldest first.
func (s *Server) Journal() []JournalEntry { return s.journal.entries() }

// Models returns the configured models.
func (s *Server) Models() []Model { return append([]Model(nil), s.cfg.Models...) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /v1/completions", s.handleCompletions)
	mux.HandleFunc("POST /v1/responses", s.handleResponses)
	mux.HandleFunc("POST /v1/messages", s.handleMessages)
	mux.HandleFunc("POST /v1/messages/count_tokens", s.handleCountTokens)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{id}", s.handleModel)
	for _, v := range []string{"/v1beta", "/v1"} {
		mux.HandleFunc("POST "+v+"/models/{action}", s.handleGemini)
	}
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.handleChat)
	mux.HandleFunc("POST /openai/deployments/{deployment}/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /openai/v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /openai/v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /model/{modelId}/{op}", s.handleBedrock)
	mux.HandleFunc("GET /v1beta/models", func(w http.ResponseWriter, r *http.Request) { s.geminiModels(w, "") })
	mux.HandleFunc("GET /v1beta/models/{id}", func(w http.ResponseWriter, r *http.Request) { s.geminiModels(w, r.PathValue("id")) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.faults.Register(mux)
	mux.Handle("GET "+faultmode.Prefix+"/journal", faultmode.LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		faultmode.WriteJSON(w, http.StatusOK, s.Journal())
	})))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		p := providerOf(r)
		writeError(w, p, apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: "unknown_url",
			msg: fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path)})
	})
	if len(s.cfg.Surfaces) > 0 {
		return s.onlySurfaces(mux)
	}
	return mux
}
