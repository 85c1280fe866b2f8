package mockllm

import (
	"math/rand/v2"
	"net/http"
	"path"
	"strconv"
	"time"
)

// Planning: one call, whatever surface it came through, gets a fault, a
// rate-limit verdict and a capacity slot before anything is generated;
// finish records its evidence, metrics and journal entry.

// call is one generation request, whatever API it came through.
type call struct {
	api      string // chat.completions, responses, messages, embeddings
	provider string
	op       string // chat, embeddings
	model    *modelState
	key      string
	stream   bool
	// apiVersion is an Azure request's api-version ("" under /openai/v1/).
	apiVersion string

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

	kv int64 // KV cache tokens held while running (vLLM load model)

	// guardrail is the guardrail a Bedrock Converse request names in its
	// guardrailConfig (its ID, an ARN's last element), "" for none;
	// guardrailTrace says whether its trace is asked for.
	guardrail      string
	guardrailTrace bool

	// plan is what begin decides for this call; it is part of the call
	// so that a request allocates one object for both.
	plan plan
}

type tool struct {
	name   string
	params map[string]any
}

// plan is what the server decided for one request before answering.
type plan struct {
	fault    *Fault
	rl       *rlResult
	start    time.Time
	rng      *rand.Rand
	rngState prng // what rng points to
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

	// scratch seeds the draws of one step of generation at a time (a
	// choice, then the latencies), first holds the one choice most
	// calls have, and hdr the values of the headers the answer sets:
	// kept in the plan, none of them costs the request an allocation.
	scratch prng
	first   [1]choice
	hdr     [3]string
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
	case ModePromptFilter:
		return c.promptFilterable(f.Params.Category)
	case ModeGarbage:
		if c.op != "chat" {
			return false
		}
		switch f.Params.Kind {
		case GarbageInvalidJSON:
			return c.jsonMode != ""
		case GarbageBadToolArgs, GarbageSchemaViolation, GarbageUnknownTool, GarbageToolLength:
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
// choice, rate limits, error faults, context length, capacity. It
// returns true with the call holding what c.release gives back, or
// writes the error response and returns false.
func (s *Server) begin(w http.ResponseWriter, r *http.Request, c *call) bool {
	p := &c.plan
	p.start = s.sleeper.Now()
	p.status = 200
	p.id = s.seq.Add(1)
	p.rng = p.rngState.seed(s.cfg.Seed, c.api, c.model.Name, c.seedText, strconv.Itoa(c.n), strconv.Itoa(c.maxTokens))
	fail := func(e apiError) bool {
		p.status = e.status
		requestID(w.Header(), c, p)
		writeError(w, c.provider, e)
		s.finish(c, p)
		return false
	}
	if s.cfg.RequireAPIKey && c.key == "" {
		switch c.provider {
		case ProviderGemini:
			return fail(apiError{status: 403, msg: geminiMessage(403, c.model.Name)})
		case ProviderBedrock:
			return fail(apiError{status: 403, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"})
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
		// A forced fault that cannot change this request (a prompt
		// filter on embeddings, a stream cut on an answer not streamed)
		// is neither applied nor counted.
		if forced.Mode != ModeRateLimit && c.applies(*forced, matches) {
			p.fault = forced
		}
	} else if f, ok := s.faults.PickMode(c.model.Name, func(f Fault) bool { return c.applies(f, matches) }); ok {
		picked := f // on the heap only when a fault was picked
		p.fault = &picked
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
		if c.provider == ProviderBedrock {
			e.msg = "Too many tokens per day, please wait before trying again."
		}
		return fail(e)
	}
	if f := p.faultMode(ModePromptFilter); f != nil && c.provider == ProviderAzure {
		return fail(azurePromptFilterError(f.Category))
	}
	if cw := c.model.ContextWindow; cw > 0 && c.op == "chat" && c.inputTokens+c.maxTokens > cw {
		return fail(contextError(c, cw))
	}

	// Capacity: beyond it requests queue, as on an overloaded provider.
	m := c.model
	m.inflight.Inc()
	if m.sem != nil {
		m.queued.Inc()
		if m.vllm != nil {
			m.vllm.wait(1)
		}
		t0 := s.sleeper.Now()
		err := m.sem.acquire(r.Context())
		m.queued.Dec()
		if m.vllm != nil {
			m.vllm.wait(-1)
		}
		p.queueing = s.sleeper.Now().Sub(t0)
		if err != nil {
			m.inflight.Dec()
			p.status, p.outcome = 499, "client gone while queued"
			s.finish(c, p)
			return false
		}
	}
	if m.vllm != nil {
		c.kv = int64(c.inputTokens + c.maxOrDefault())
		m.vllm.run(c.kv)
	}
	return true
}

// release gives back what begin took: the capacity slot, the in-flight
// count and, under vLLM's load model, the running slot and KV cache.
func (c *call) release() {
	m := c.model
	if m.vllm != nil {
		m.vllm.done(c.kv)
	}
	m.inflight.Dec()
	m.sem.release()
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
		if c.op == "chat" && p.outcome != outcomePromptBlocked {
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
	if c.model.vllm != nil {
		c.model.vllm.record(c, p, seconds(dur))
	}
	e := JournalEntry{Time: p.start, Model: c.model.Name, API: c.api, Stream: c.stream, Status: p.status,
		InputTokens: p.inTok, OutputTokens: p.outTok, CostUSD: p.cost, Outcome: p.outcome, DurationMS: float64(dur) / 1e6}
	if p.fault != nil {
		e.Fault, e.FaultMode = p.fault.ID, p.fault.Mode
	}
	s.journal.add(e)
}
