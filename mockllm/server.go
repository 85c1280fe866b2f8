package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

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

	http *loopback.Server // nil until Start
}

type modelState struct {
	Model
	sem semaphore
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
	for _, m := range cfg.Models {
		ms := &modelState{Model: m}
		if ms.Kind == "" {
			ms.Kind = KindChat
		}
		if ms.Latency.Capacity > 0 {
			ms.sem = make(semaphore, ms.Latency.Capacity)
		}
		if ms.OutputTokens.Max == 0 {
			ms.OutputTokens = TokenRange{Min: 40, Max: 160}
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
	s.metrics = newMetrics()
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
// URL()+"/openai/v1" for Azure's v1 API.
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
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("GET /v1/models/{id}", s.handleModel)
	for _, v := range []string{"/v1beta", "/v1"} {
		mux.HandleFunc("POST "+v+"/models/{action}", s.handleGemini)
	}
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.handleChat)
	mux.HandleFunc("POST /openai/deployments/{deployment}/embeddings", s.handleEmbeddings)
	mux.HandleFunc("POST /openai/v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /openai/v1/embeddings", s.handleEmbeddings)
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
	return mux
}

// providerOf guesses which provider a request was meant for, to answer
// in its error shape.
func providerOf(r *http.Request) string {
	if isGemini(r) {
		return ProviderGemini
	}
	if strings.HasPrefix(r.URL.Path, "/openai/") || r.Header.Get("Api-Key") != "" {
		return ProviderAzure
	}
	if r.URL.Path == "/v1/messages" || r.Header.Get("anthropic-version") != "" || r.Header.Get("x-api-key") != "" {
		return ProviderAnthropic
	}
	return ProviderOpenAI
}

// apiError is an error answered in the provider's shape.
type apiError struct {
	status  int
	typ     string
	code    string
	msg     string
	param   string
	headers map[string]string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: 400, typ: "invalid_request_error", param: param, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, provider string, e apiError) {
	h := w.Header()
	for k, v := range e.headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	var body []byte
	if provider == ProviderGemini {
		body = geminiErrorBody(e, h.Get("Retry-After"))
	} else if provider == ProviderAnthropic {
		typ := e.typ
		if typ == "" || typ == "invalid_request_error" && e.status != 400 || !strings.HasSuffix(typ, "_error") {
			typ = anthropicType(e.status)
		}
		type inner struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		body, _ = json.Marshal(struct {
			Type  string `json:"type"`
			Error inner  `json:"error"`
		}{"error", inner{typ, e.msg}})
	} else {
		o := struct {
			Message string  `json:"message"`
			Type    *string `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		}{Message: e.msg, Type: &e.typ}
		if provider == ProviderAzure && e.typ == "" {
			o.Type = nil // Azure's own errors have no type
		}
		if e.param != "" {
			o.Param = &e.param
		}
		if e.code != "" {
			o.Code = &e.code
		}
		if provider == ProviderAzure && e.code == "" {
			// Azure OpenAI names the status in code when there is no other.
			code := strconv.Itoa(e.status)
			o.Code = &code
		}
		body, _ = json.Marshal(map[string]any{"error": o})
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(append(body, '\n'))
}

func anthropicType(status int) string {
	switch status {
	case 400:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 504:
		return "timeout_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

// bodyBufs recycles request and response body buffers: every generating
// request reads one and most write one, and json.Unmarshal copies what
// it keeps.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBody is the largest buffer put back in bodyBufs, so that one
// huge request does not pin its buffer for good.
const maxPooledBody = 1 << 20

// recycleBody puts b, grown from the buffer bp held, back in bodyBufs.
func recycleBody(bp *[]byte, b []byte) {
	if cap(b) <= maxPooledBody {
		*bp = b[:0]
		bodyBufs.Put(bp)
	}
}

// decodeBody reads a JSON request body, bounded.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) *apiError {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	bp := bodyBufs.Get().(*[]byte)
	data, err := readBody(r.Body, (*bp)[:0], min(r.ContentLength, s.cfg.MaxBodyBytes))
	defer func() { recycleBody(bp, data) }()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error", code: "request_too_large",
				msg: fmt.Sprintf("Request body too large: the limit is %d bytes.", mbe.Limit)}
		}
		return badRequest("", "Could not read the request body: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return badRequest(te.Field, "Invalid type for '%s': expected %s, but got %s.", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return badRequest("", "We could not parse the JSON body of your request: %v. The body must be a JSON object.", err)
	}
	return nil
}

// readBody appends all of r to b, sized up front from the request's
// Content-Length (size, -1 when unknown).
func readBody(r io.Reader, b []byte, size int64) ([]byte, error) {
	if size > 0 {
		b = slices.Grow(b, int(size)+1) // +1: room to read the EOF without growing
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(512, cap(b)))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return goKind
}

// apiKey returns the caller's API key, or "" when none was sent: by
// Authorization Bearer (OpenAI), x-api-key (Anthropic), x-goog-api-key or
// the key query parameter (Gemini), or api-key (Azure OpenAI).
func apiKey(r *http.Request) string {
	if k := r.Header.Get("X-Api-Key"); k != "" { // canonical: Get need not fold it
		return k
	}
	if k := r.Header.Get("X-Goog-Api-Key"); k != "" {
		return k
	}
	if k := r.Header.Get("Api-Key"); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimSpace(a[len("Bearer "):])
	}
	if r.URL.RawQuery != "" && isGemini(r) {
		return r.URL.Query().Get("key")
	}
	return ""
}

// lookupModel finds a model served by the provider's API.
func (s *Server) lookupModel(provider, name, kind string) (*modelState, *apiError) {
	if name == "" {
		return nil, badRequest("model", "you must provide a model parameter")
	}
	m := s.models[name]
	if m == nil || m.Provider != provider || (kind != "" && m.Kind != kind) {
		var names []string
		for _, mm := range s.cfg.Models {
			if mm.Provider == provider && (kind == "" || mm.Kind == kind || mm.Kind == "" && kind == KindChat) {
				names = append(names, mm.Name)
			}
		}
		msg := fmt.Sprintf("The model `%s` does not exist or you do not have access to it. Models served here: %s.", name, strings.Join(names, ", "))
		if provider == ProviderAnthropic {
			msg = fmt.Sprintf("model: %s (models served here: %s)", name, strings.Join(names, ", "))
		}
		if provider == ProviderGemini {
			msg = fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods. Models served here: %s.", name, strings.Join(names, ", "))
		}
		return nil, &apiError{status: 404, typ: "invalid_request_error", code: "model_not_found", param: "model", msg: msg}
	}
	return m, nil
}

// call is one generation request, whatever API it came through.
type call struct {
	api      string // chat.completions, responses, messages, embeddings
	provider string
	op       string // chat, embeddings
	model    *modelState
	key      string
	stream   bool

	prompt      string // the last user message: what the answer table matches
	answer      string // the answer table's answer to prompt, if matched
	matched     bool
	seedText    string // all of the conversation: what content is seeded by
	inputTokens int
	maxTokens   int // 0: model default
	n           int

	tools            []tool
	toolChoice       string // auto, none, required, function
	toolChoiceName   string
	lastIsToolResult bool
	jsonMode         string // "", json_object, json_schema
	schema           map[string]any
}

type tool struct {
	name   string
	params map[string]any
}

// choice is one generated answer.
type choice struct {
	tokens    []string // content tokens
	toolCalls []toolCall
	finish    string // stop, length, tool_calls
	outTokens int
	refusal   bool
	lent      *[]string // from tokenBufs, returned by plan.release
}

// tokenBufs recycles the token slices of generated text: most answers
// are made of fresh words, and a request's tokens are garbage once its
// response is written.
var tokenBufs = sync.Pool{New: func() any { return new([]string) }}

// lend gives the choice a token slice from tokenBufs to generate into.
func (c *choice) lend() []string {
	c.lent = tokenBufs.Get().(*[]string)
	return *c.lent
}

// release returns the plan's lent token slices, once nothing reads its
// choices any more.
func (p *plan) release() {
	for i := range p.choices {
		ch := &p.choices[i]
		if ch.lent != nil && cap(ch.tokens) <= 1<<16 {
			*ch.lent = ch.tokens[:0]
			tokenBufs.Put(ch.lent)
		}
		ch.lent, ch.tokens = nil, nil
	}
}

func (c *choice) text() string { return strings.Join(c.tokens, "") }

type toolCall struct {
	id, name string
	args     []string // argument tokens
}

func (t toolCall) arguments() string { return strings.Join(t.args, "") }

// plan is what the server decided for one request before answering.
type plan struct {
	fault    *Fault
	rl       *rlResult
	start    time.Time
	rng      *rand.Rand
	id       uint64
	choices  []choice
	inTok    int // billed
	outTok   int // billed
	cost     float64
	ttft     time.Duration
	itl      []time.Duration // per output unit after the first
	status   int
	outcome  string
	queueing time.Duration
}

func (p *plan) faultMode(mode string) *FaultParams {
	if p.fault != nil && p.fault.Mode == mode {
		return &p.fault.Params
	}
	return nil
}

func (p *plan) garbage(kind string) bool {
	g := p.faultMode(ModeGarbage)
	return g != nil && g.Kind == kind
}

// forcedFault reads the per-request override headers.
func forcedFault(r *http.Request) (*Fault, *apiError) {
	mode := r.Header.Get(HeaderForceFault)
	if mode == "" {
		return nil, nil
	}
	f := Fault{ID: "forced-" + mode, Mode: mode}
	if p := r.Header.Get(HeaderForceParams); p != "" {
		if err := faultmode.DecodeStrict(strings.NewReader(p), &f.Params); err != nil {
			return nil, badRequest("", "%s: %v", HeaderForceParams, err)
		}
	}
	if err := validateFault(f.Mode, f.Params); err != nil {
		return nil, badRequest("", "%s: %v", HeaderForceFault, err)
	}
	return &f, nil
}

// applies says whether a fault can affect this call, so that evidence
// counts only requests a fault really changed.
func (c *call) applies(f Fault, matchesAnswer bool) bool {
	switch f.Mode {
	case ModeRateLimit:
		return false // handled by the limiter
	case ModeStreamCut, ModeStreamStall, ModeMalformedChunk, ModeStreamErrorEvent:
		return c.stream && c.op == "chat"
	case ModeRunawayTools:
		return len(c.tools) > 0 && c.toolChoice != "none"
	case ModeSlowTokens:
		return c.op == "chat"
	case ModeGarbage:
		if c.op != "chat" {
			return false
		}
		switch f.Params.Kind {
		case GarbageInvalidJSON:
			return c.jsonMode != ""
		case GarbageBadToolArgs:
			return len(c.tools) > 0 && c.toolChoice != "none"
		case GarbageWrongAnswer:
			return matchesAnswer
		}
	}
	return true
}

func (s *Server) answerFor(prompt string) (string, bool) {
	for _, a := range s.answers {
		if a.matches(prompt) {
			return a.Answer, true
		}
	}
	return "", false
}

// begin runs everything that happens before the first token: fault
// choice, rate limits, error faults, context length, capacity. It returns
// a release func, or writes the error response and returns nil.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, c *call, p *plan) func() {
	p.start = s.sleeper.Now()
	p.status = 200
	p.id = s.seq.Add(1)
	p.rng = newRand(s.cfg.Seed, c.api, c.model.Name, c.seedText, strconv.Itoa(c.n), strconv.Itoa(c.maxTokens))
	fail := func(e apiError) func() {
		p.status = e.status
		writeError(w, c.provider, e)
		s.finish(c, p)
		return nil
	}
	if s.cfg.RequireAPIKey && c.key == "" {
		switch c.provider {
		case ProviderGemini:
			return fail(apiError{status: 403, msg: geminiMessage(403, c.model.Name)})
		case ProviderAzure:
			return fail(apiError{status: 401, msg: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."})
		}
		return fail(apiError{status: 401, typ: "invalid_request_error", code: "invalid_api_key",
			msg: "You didn't provide an API key. Provide it in the Authorization header (Bearer) or x-api-key header."})
	}
	forced, ferr := forcedFault(r)
	if ferr != nil {
		return fail(*ferr)
	}
	c.answer, c.matched = s.answerFor(c.prompt)
	matches := c.matched
	if forced != nil {
		if forced.Mode != ModeRateLimit {
			p.fault = forced
		}
	} else if f, ok := s.faults.PickMode(c.model.Name, func(f Fault) bool { return c.applies(f, matches) }); ok {
		p.fault = &f
	}
	if p.fault != nil {
		if forced != nil {
			s.faults.Record(forced.ID)
		}
		s.affected(w, p.fault)
	}

	// Rate limits: a rate_limit fault replaces the model's configured limit.
	lim, source := c.model.RateLimit, "config"
	var rlFault *Fault
	if forced != nil && forced.Mode == ModeRateLimit {
		rlFault = forced
	} else {
		for _, st := range s.faults.List() {
			if st.Active && st.Mode == ModeRateLimit && globMatch(st.Target, c.model.Name) {
				f := st.Fault
				rlFault = &f
				break
			}
		}
	}
	if rlFault != nil {
		lim, source = RateLimit{RPM: rlFault.Params.RPM, TPM: rlFault.Params.TPM}, rlFault.ID
	}
	if lim.RPM > 0 || lim.TPM > 0 {
		want := c.inputTokens + c.maxOrDefault()
		res := s.limiter.take(s.sleeper.Now(), source, c.key, c.model.Name, lim, want)
		p.rl = &res
		res.setHeaders(w.Header(), c.provider, s.sleeper.Now())
		if res.retryAfter > 0 {
			if rlFault != nil {
				s.faults.Record(rlFault.ID)
				p.fault = rlFault
				s.affected(w, rlFault)
			}
			return fail(rateLimitError(c, res))
		}
	}

	if f := p.faultMode(ModeError); f != nil {
		return fail(s.errorFault(c, *f, w.Header()))
	}
	if p.faultMode(ModeQuota) != nil {
		e := apiError{status: 429, typ: "insufficient_quota", code: "insufficient_quota",
			msg: "You exceeded your current quota, please check your plan and billing details. (spend limit reached)"}
		if c.provider == ProviderGemini {
			e.msg = "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
		}
		return fail(e)
	}
	if cw := c.model.ContextWindow; cw > 0 && c.op == "chat" && c.inputTokens+c.maxTokens > cw {
		return fail(contextError(c, cw))
	}

	// Capacity: beyond it requests queue, as on an overloaded provider.
	if c.model.sem != nil {
		q := s.metrics.queued.WithLabelValues(c.model.Name)
		q.Inc()
		t0 := s.sleeper.Now()
		err := c.model.sem.acquire(r.Context())
		q.Dec()
		p.queueing = s.sleeper.Now().Sub(t0)
		if err != nil {
			p.status, p.outcome = 499, "client gone while queued"
			s.finish(c, p)
			return nil
		}
		return c.model.sem.release
	}
	return func() {}
}

func (c *call) maxOrDefault() int {
	if c.maxTokens > 0 {
		return c.maxTokens
	}
	return c.model.OutputTokens.Max
}

func globMatch(glob, name string) bool {
	if glob == "" {
		return true
	}
	ok, _ := path.Match(glob, name)
	return ok
}

// affected marks the response and counts the fault in the metrics.
func (s *Server) affected(w http.ResponseWriter, f *Fault) {
	w.Header().Set(HeaderFault, f.ID)
	s.metrics.affected.WithLabelValues(f.ID, f.Mode).Inc()
}

func rateLimitError(c *call, res rlResult) apiError {
	what, unit, limit := "requests", "RPM", res.limit.RPM
	if res.refusedTokens {
		what, unit, limit = "tokens", "TPM", res.limit.TPM
	}
	e := apiError{status: 429, typ: what, code: "rate_limit_exceeded", msg: fmt.Sprintf(
		"Rate limit reached for %s in organization org-drill on %s per min (%s): Limit %d, Requested %d. Please try again in %ds.",
		c.model.Name, what, unit, limit, map[bool]int{true: res.requested, false: 1}[res.refusedTokens], retrySeconds(res.retryAfter))}
	if c.provider == ProviderAnthropic {
		e.typ = "rate_limit_error"
		e.msg = fmt.Sprintf("This request would exceed the rate limit for your organization of %d %s per minute. Please retry after %d seconds.",
			limit, map[bool]string{true: "input tokens", false: "requests"}[res.refusedTokens], retrySeconds(res.retryAfter))
	}
	if c.provider == ProviderGemini {
		metric := map[bool]string{true: "input_token_count", false: "requests"}[res.refusedTokens]
		e.msg = fmt.Sprintf("You exceeded your current quota, please check your plan and billing details. Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_%s, limit: %d, model: %s. Please retry in %ds.",
			metric, limit, c.model.Name, retrySeconds(res.retryAfter))
	}
	return e
}

func contextError(c *call, cw int) apiError {
	e := apiError{status: 400, typ: "invalid_request_error", code: "context_length_exceeded", param: "messages",
		msg: fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			cw, c.inputTokens+c.maxTokens, c.inputTokens, c.maxTokens)}
	if c.provider == ProviderAnthropic {
		e.msg = fmt.Sprintf("prompt is too long: %d tokens > %d maximum", c.inputTokens+c.maxTokens, cw)
	}
	if c.provider == ProviderGemini {
		e.msg = fmt.Sprintf("The input token count (%d) exceeds the maximum number of tokens allowed (%d).", c.inputTokens+c.maxTokens, cw)
	}
	return e
}

// errorFault builds the error of an error fault, with each status's usual
// type, code, message and headers unless the fault overrides them.
func (s *Server) errorFault(c *call, f FaultParams, h http.Header) apiError {
	e := apiError{status: f.Status, typ: "server_error"}
	anth := c.provider == ProviderAnthropic
	switch f.Status {
	case 400:
		e = contextError(c, max(c.model.ContextWindow, 1))
	case 401:
		e.typ, e.code, e.msg = "invalid_request_error", "invalid_api_key", "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
		if anth {
			e.msg = "invalid x-api-key"
		}
	case 403:
		e.typ, e.code, e.msg = "invalid_request_error", "permission_denied", "You are not allowed to access this model."
	case 404:
		e.typ, e.code, e.param, e.msg = "invalid_request_error", "model_not_found", "model", fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", c.model.Name)
	case 429:
		e.typ, e.code = "requests", "rate_limit_exceeded"
		e.msg = fmt.Sprintf("Rate limit reached for %s in organization org-drill on requests per min (RPM). Please try again in %ds.", c.model.Name, max(f.RetryAfter, 1))
		if anth {
			e.msg = "Number of requests has exceeded your per-minute rate limit."
			h.Set("anthropic-ratelimit-requests-remaining", "0")
		} else if c.provider != ProviderGemini {
			h.Set("x-ratelimit-remaining-requests", "0")
			h.Set("x-ratelimit-reset-requests", strconv.Itoa(max(f.RetryAfter, 1))+"s")
		}
		if f.RetryAfter == 0 {
			h.Set("Retry-After", "1")
		}
	case 500:
		e.msg = "The server had an error while processing your request. Sorry about that!"
		if anth {
			e.msg = "Internal server error"
		}
	case 502:
		e.msg = "Bad gateway."
	case 503:
		e.msg = "The engine is currently overloaded, please try again later."
	case 504:
		e.typ, e.msg = "timeout", "Request timed out."
	case 529:
		e.typ, e.msg = "overloaded_error", "Overloaded"
	default:
		if f.Status < 500 {
			e.typ = "invalid_request_error"
		}
		e.msg = http.StatusText(f.Status)
		if e.msg == "" {
			e.msg = fmt.Sprintf("Error %d", f.Status)
		}
	}
	if anth {
		e.typ = anthropicType(f.Status)
	}
	if c.provider == ProviderGemini && f.Status != 400 {
		e.msg = geminiMessage(f.Status, c.model.Name)
	}
	if f.Type != "" {
		e.typ = f.Type
	}
	if f.Code != "" {
		e.code = f.Code
	}
	if f.Message != "" {
		e.msg = f.Message
	}
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return e
}

// generate fills p.choices, usage, cost and latencies.
func (s *Server) generate(c *call, p *plan) {
	n := max(c.n, 1)
	if c.op != "chat" {
		n = 0
	}
	p.choices = make([]choice, n)
	for i := range p.choices {
		p.choices[i] = s.genChoice(c, p, i)
		p.outTok += p.choices[i].outTokens
	}
	p.inTok = min(c.inputTokens, MaxTokens)
	p.outTok = min(p.outTok, MaxTokens)
	if b := p.faultMode(ModeBilling); b != nil {
		if b.Tokens == "prompt" || b.Tokens == "both" {
			p.inTok = scaleTokens(p.inTok, b.Factor)
		}
		if b.Tokens == "completion" || b.Tokens == "both" {
			p.outTok = scaleTokens(p.outTok, b.Factor)
		}
	}
	factor := 1.0
	if pf := p.faultMode(ModePrice); pf != nil {
		factor = pf.Factor
	}
	p.cost = costUSD((float64(p.inTok)*c.model.Price.InputPerMTok + float64(p.outTok)*c.model.Price.OutputPerMTok) / 1e6 * factor)

	lr := newRand(s.cfg.Seed, "latency", strconv.FormatUint(p.id, 10), c.model.Name)
	p.ttft = c.model.Latency.TTFT.Sample(lr)
	if f := p.faultMode(ModeSlowFirstToken); f != nil {
		p.ttft += f.delay()
	}
	units := 0
	for _, ch := range p.choices {
		units += ch.outTokens
	}
	var extra time.Duration
	if f := p.faultMode(ModeSlowTokens); f != nil {
		extra = f.delay()
	}
	if units > 1 && (c.model.Latency.ITL.Mean > 0 || extra > 0) {
		p.itl = make([]time.Duration, units-1)
		for i := range p.itl {
			p.itl[i] = c.model.Latency.ITL.Sample(lr) + extra
		}
	}
}

// genChoice generates one answer.
func (s *Server) genChoice(c *call, p *plan, idx int) choice {
	r := newRand(s.cfg.Seed, c.api, c.model.Name, c.seedText, strconv.Itoa(idx))
	var ch choice
	limit := c.maxTokens
	if limit == 0 && c.model.MaxOutputTokens > 0 {
		limit = c.model.MaxOutputTokens
	}
	// Tool calls: asked for when tools are offered and the model is not
	// answering a tool result, or always under runaway_tools.
	callTool := len(c.tools) > 0 && c.toolChoice != "none" &&
		(c.toolChoice == "required" || c.toolChoice == "function" || !c.lastIsToolResult || p.faultMode(ModeRunawayTools) != nil)
	if callTool {
		t := c.tools[r.IntN(len(c.tools))]
		if c.toolChoice == "function" {
			for _, tt := range c.tools {
				if tt.name == c.toolChoiceName {
					t = tt
				}
			}
		}
		args := genJSONText(r, t.params)
		if t.params == nil {
			args = "{}"
		}
		if p.garbage(GarbageBadToolArgs) {
			args = args[:len(args)/2] + `,"` // truncated, unterminated
		}
		toks := SplitTokens(args)
		ch.finish = "tool_calls"
		if limit > 0 && len(toks) > limit {
			toks, ch.finish = toks[:limit], "length"
		}
		ch.toolCalls = []toolCall{{id: string(appendHex([]byte("call_"), r.Uint64(), 16)), name: t.name, args: toks}}
		ch.outTokens = len(toks)
		return ch
	}
	var toks []string
	answer, matched := c.answer, c.matched
	switch {
	case p.garbage(GarbageEmpty):
		toks = nil
	case p.garbage(GarbageRefusal):
		toks = SplitTokens("I'm sorry, but I can't help with that request.")
		ch.refusal = true
	case p.garbage(GarbageWrongAnswer) && matched:
		toks = SplitTokens(wrongAnswer(answer))
	case p.garbage(GarbageInvalidJSON):
		js := genJSONText(r, c.schema)
		toks = SplitTokens(js[:len(js)*2/3] + ` "trunc`)
	case p.garbage(GarbageRandomTokens), p.garbage(GarbageWrongLanguage), p.garbage(GarbageRepeatLoop):
		// A model that emits nonsense does so for every prompt: JSON mode
		// and known-answer (canary) prompts get it too, which is how
		// services notice.
		n := c.model.OutputTokens.Min + r.IntN(c.model.OutputTokens.Max-c.model.OutputTokens.Min+1)
		switch {
		case p.garbage(GarbageRandomTokens):
			toks = genRandomTokens(r, n)
		case p.garbage(GarbageWrongLanguage):
			toks = genWords(ch.lend(), r, frenchVocab, n)
		default:
			toks = make([]string, max(n, 64))
			for i := range toks {
				toks[i] = " the"
			}
		}
	case c.jsonMode != "":
		toks = SplitTokens(genJSONText(r, c.schema))
	case matched:
		toks = SplitTokens(answer)
	default:
		n := c.model.OutputTokens.Min + r.IntN(c.model.OutputTokens.Max-c.model.OutputTokens.Min+1)
		toks = genWords(ch.lend(), r, englishVocab, n)
	}
	ch.finish = "stop"
	if limit > 0 && len(toks) > limit {
		toks, ch.finish = toks[:limit], "length"
	}
	ch.tokens = toks
	ch.outTokens = len(toks)
	return ch
}

// wrongAnswer is a plausible but wrong variant of an answer: quality drift.
func wrongAnswer(a string) string {
	if a == CanaryAnswer {
		return CanaryWrongAnswer
	}
	return "I believe the answer is something else entirely: " + strings.ToLower(a) + " is not right."
}

// wait sleeps the whole generation time of a non-streaming answer.
func (s *Server) waitAll(ctx context.Context, p *plan) error {
	d := p.ttft
	for _, x := range p.itl {
		d += x
	}
	if d <= 0 {
		return nil
	}
	return s.sleeper.Sleep(ctx, d)
}

// finish records metrics and the journal entry of a request.
func (s *Server) finish(c *call, p *plan) {
	now := s.sleeper.Now()
	dur := now.Sub(p.start)
	m := s.metrics.model(c.provider, c.op, c.model.Name)
	if p.status == 200 {
		m.ok.Inc()
		m.durOK.Observe(seconds(dur))
		m.in.Observe(float64(p.inTok))
		m.tokIn.Add(float64(p.inTok))
		if c.op == "chat" {
			m.out.Observe(float64(p.outTok))
			m.tokOut.Add(float64(p.outTok))
			m.ttft.Observe(seconds(p.ttft + p.queueing))
			if p.outTok > 1 && len(p.itl) > 0 {
				var sum time.Duration
				for _, x := range p.itl {
					sum += x
				}
				m.tpot.Observe(seconds(sum) / float64(len(p.itl)))
			}
		}
		m.cost.Add(p.cost)
	} else {
		st := strconv.Itoa(p.status)
		s.metrics.requests.WithLabelValues(c.model.Name, st).Inc()
		s.metrics.duration.WithLabelValues(c.op, c.provider, c.model.Name, st).Observe(seconds(dur))
	}
	e := JournalEntry{Time: p.start, Model: c.model.Name, API: c.api, Stream: c.stream, Status: p.status,
		InputTokens: p.inTok, OutputTokens: p.outTok, CostUSD: p.cost, Outcome: p.outcome, DurationMS: float64(dur) / 1e6}
	if p.fault != nil {
		e.Fault, e.FaultMode = p.fault.ID, p.fault.Mode
	}
	s.journal.add(e)
}

var (
	openaiVersion      = []string{"2020-10-01"}
	openaiOrganization = []string{"org-drill"}
)

// commonHeaders sets the headers every successful answer has.
func commonHeaders(h http.Header, c *call, p *plan) {
	var b [20]byte
	id := []string{string(appendHex(append(b[:0], "req_"...), p.rng.Uint64(), 16))}
	// Keys are set already canonical, as Header.Set would make them; the
	// constant values are shared, as nothing edits a header in place.
	switch c.provider {
	case ProviderAnthropic:
		h["Request-Id"] = id
	case ProviderGemini:
		h["Server-Timing"] = []string{"gfet4t7; dur=" + strconv.FormatInt(int64(p.ttft/time.Millisecond), 10)}
	case ProviderAzure:
		h["Apim-Request-Id"] = id
		h["X-Request-Id"] = id
	default:
		h["X-Request-Id"] = id
		h["Openai-Version"] = openaiVersion
		h["Openai-Organization"] = openaiOrganization
	}
}

// stepper drives the output units of a streamed answer with the latency
// plan and the stream faults.
type stepper struct {
	s      *Server
	ctx    context.Context
	p      *plan
	pace   *pacer
	i      int
	sw     *sseWriter
	cut    bool
	onErr  func()
	onBad  func()
	doneAt int // unit index where the stream fault fires, -1 none
}

func (s *Server) newStepper(ctx context.Context, p *plan, sw *sseWriter) *stepper {
	st := &stepper{s: s, ctx: ctx, p: p, pace: newPacer(s.sleeper), sw: sw, doneAt: -1}
	if f := p.fault; f != nil {
		switch f.Mode {
		case ModeStreamCut, ModeStreamStall, ModeMalformedChunk, ModeStreamErrorEvent:
			st.doneAt = f.Params.AfterTokens
		}
	}
	return st
}

// first waits the time to first token.
func (st *stepper) first() error {
	return st.pace.wait(st.ctx, st.p.ttft)
}

// next is called before each unit; it waits the inter-token latency and
// applies a stream fault when its token count is reached. It returns
// false when the stream must end now.
func (st *stepper) next() bool {
	if st.i > 0 && st.i-1 < len(st.p.itl) {
		if st.pace.wait(st.ctx, st.p.itl[st.i-1]) != nil {
			st.p.outcome = "client gone"
			return false
		}
	}
	if st.sw.err != nil {
		st.p.outcome = "client gone"
		return false
	}
	if st.i == st.doneAt && !st.fire() {
		return false
	}
	st.i++
	return true
}

// end is called after the last unit: a stream fault whose token count was
// not reached fires now, before the stream's terminator.
func (st *stepper) end() bool {
	if st.doneAt >= st.i {
		return st.fire()
	}
	return st.sw.err == nil
}

func (st *stepper) fire() bool {
	st.doneAt = -1
	switch st.p.fault.Mode {
	case ModeStreamCut:
		st.p.outcome = fmt.Sprintf("stream cut after %d tokens", st.i)
		st.cut = true
		return false
	case ModeStreamStall:
		if st.s.sleeper.Sleep(st.ctx, st.p.fault.Params.delay()) != nil {
			st.p.outcome = "client gone during stall"
			return false
		}
		st.pace = newPacer(st.s.sleeper)
	case ModeMalformedChunk:
		st.onBad()
	case ModeStreamErrorEvent:
		st.onErr()
		st.p.outcome = fmt.Sprintf("error event after %d tokens", st.i)
		return false
	}
	return true
}

// stop ends a stream early: it records the request and, for a cut,
// aborts the connection so the client sees the stream end without its
// terminator.
func (st *stepper) stop(c *call) {
	st.s.finish(c, st.p)
	if st.cut {
		panic(http.ErrAbortHandler)
	}
}
