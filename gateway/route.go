package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// candidates lists the upstreams a call may use, in order: the active one,
// then the other when auto failover is on. Upstreams whose model an
// operator disabled are skipped, whatever auto failover says: disabling a
// model is an explicit decision to move traffic.
func (s *Server) candidates() ([]*upstream, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	order := []*upstream{s.ups[s.active]}
	if len(s.ups) > 1 {
		order = append(order, s.ups[1-s.active])
	}
	var out []*upstream
	var skipped []string
	for _, u := range order {
		if s.disabled[u.Model] {
			skipped = append(skipped, u.Model)
			continue
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, errorf(http.StatusServiceUnavailable, "model_disabled", "every upstream model is disabled (%s); enable one with POST /admin/models/{name}/enable", strings.Join(skipped, ", "))
	}
	if !s.autoFailover {
		out = out[:1]
	}
	return out, nil
}

// checkBudget refuses a call when the rolling minute's spend exceeds the
// budget.
func (s *Server) checkBudget() *apiError {
	s.mu.Lock()
	budget := s.budget
	s.mu.Unlock()
	if budget <= 0 {
		return nil
	}
	if spent := s.spend.lastMinute(); spent > budget {
		s.m.budgetRejects.Inc()
		return errorf(http.StatusTooManyRequests, "budget_exceeded",
			"spend in the last minute is $%.4f, above the budget of $%.4f per minute", spent, budget)
	}
	return nil
}

// backoff is the delay before retry number n (1-based): exponential from
// BackoffBase, capped at BackoffMax, with equal jitter so synchronized
// clients spread out; a Retry-After from the upstream raises it (up to
// BackoffMax).
func (s *Server) backoff(n int, retryAfter time.Duration) time.Duration {
	d := float64(s.cfg.BackoffBase) * math.Pow(2, float64(n-1))
	if d > float64(s.cfg.BackoffMax) {
		d = float64(s.cfg.BackoffMax)
	}
	d = d/2 + s.cfg.Jitter()*d/2
	if float64(retryAfter) > d {
		d = math.Min(float64(retryAfter), float64(s.cfg.BackoffMax))
	}
	return time.Duration(d)
}

// outcome is how one attempt ended, as a metric label.
type outcome struct {
	label      string // HTTP status, "timeout", "error" or "circuit_open"
	status     int
	retriable  bool
	retryAfter time.Duration
	body       []byte    // an error answer's body
	err        *apiError // a Gemini or Bedrock error answer, translated
}

// upstreamCall is a successful (2xx) upstream answer.
type upstreamCall struct {
	up      *upstream
	resp    *http.Response // open body when streaming
	body    []byte         // whole body otherwise
	started time.Time
	cancel  context.CancelFunc
}

// call sends req to the candidates with retries, breaker and failover. On
// success the caller owns res.resp.Body (streaming) and must call
// res.cancel.
func (s *Server) call(ctx context.Context, req *chatRequest, raw map[string]json.RawMessage, stream bool) (*upstreamCall, *apiError) {
	cands, aerr := s.candidates()
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	maxAttempts := s.maxAttempts
	s.mu.Unlock()
	var last outcome
	for ci, up := range cands {
		if ci > 0 {
			s.m.fallbacks.Inc()
			s.cfg.Logger.Warn("gateway: falling back", "from", cands[ci-1].Name, "to", up.Name, "after", last.label)
		}
		for n := 1; n <= maxAttempts; n++ {
			if n > 1 {
				if err := s.cfg.Sleep(ctx, s.backoff(n-1, last.retryAfter)); err != nil {
					return nil, errorf(499, "client_closed", "client went away while the gateway was retrying")
				}
			}
			if !up.breaker.allow() {
				last = outcome{label: "circuit_open", retriable: true}
				s.m.upstreamReqs.WithLabelValues(up.Name, last.label).Inc()
				break // an open breaker fails fast: no point retrying the same upstream
			}
			res, out := s.attempt(ctx, up, req, raw, stream)
			up.breaker.done(!out.retriable)
			s.m.upstreamReqs.WithLabelValues(up.Name, out.label).Inc()
			if res != nil {
				return res, nil
			}
			if ctx.Err() != nil {
				return nil, errorf(499, "client_closed", "client went away")
			}
			s.cfg.Logger.Warn("gateway: upstream attempt failed", "upstream", up.Name, "attempt", n, "outcome", out.label)
			if !out.retriable {
				// The upstream refused the request itself (4xx): pass its
				// answer through, neither retried nor failed over.
				return nil, passthroughError(out)
			}
			last = out
		}
	}
	return nil, finalError(last)
}

func passthroughError(o outcome) *apiError {
	if o.err != nil {
		return o.err
	}
	var body struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(o.body, &body) == nil && body.Error != nil && body.Error.Message != "" {
		body.Error.status = o.status
		return body.Error
	}
	return errorf(o.status, "upstream_rejected", "upstream answered %d: %s", o.status, truncate(string(o.body), 200))
}

func finalError(o outcome) *apiError {
	switch {
	case o.label == "circuit_open":
		return errorf(http.StatusServiceUnavailable, "circuit_open", "the circuit breaker of every available upstream is open")
	case o.label == "timeout":
		return errorf(http.StatusGatewayTimeout, "upstream_timeout", "upstream did not answer within the attempt timeout")
	case o.status == http.StatusTooManyRequests:
		return errorf(http.StatusTooManyRequests, "upstream_rate_limited", "upstream rate limited the request (429)")
	case o.status >= 500:
		return errorf(http.StatusBadGateway, "upstream_error", "upstream answered %d", o.status)
	default:
		return errorf(http.StatusBadGateway, "upstream_unreachable", "upstream could not be reached")
	}
}

// attempt is one HTTP exchange with up, bounded by the attempt timeout
// (for a stream: until its headers arrive).
func (s *Server) attempt(ctx context.Context, up *upstream, req *chatRequest, raw map[string]json.RawMessage, stream bool) (*upstreamCall, outcome) {
	hreq, err := s.upstreamRequest(ctx, up, req, raw, stream)
	if err != nil {
		return nil, outcome{label: "error", status: http.StatusBadRequest, body: []byte(err.Error())}
	}
	actx, cancel := context.WithCancel(ctx)
	var timedOut atomic.Bool
	timer := time.AfterFunc(s.cfg.AttemptTimeout, func() { timedOut.Store(true); cancel() })
	hreq = hreq.WithContext(actx)
	start := time.Now()
	fail := func(o outcome) (*upstreamCall, outcome) {
		timer.Stop()
		cancel()
		s.m.opDuration.WithLabelValues(up.Model, up.Kind, o.label).Observe(time.Since(start).Seconds())
		return nil, o
	}
	resp, err := s.client.Do(hreq)
	if err != nil {
		if timedOut.Load() {
			return fail(outcome{label: "timeout", retriable: true})
		}
		return fail(outcome{label: "error", retriable: true})
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		o := outcome{label: strconv.Itoa(resp.StatusCode), status: resp.StatusCode, body: body}
		o.retriable = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			o.retryAfter = time.Duration(secs) * time.Second
		}
		providerError(up.Kind, resp.Header, &o)
		if timedOut.Load() {
			o = outcome{label: "timeout", retriable: true}
		}
		return fail(o)
	}
	res := &upstreamCall{up: up, resp: resp, started: start, cancel: cancel}
	if stream && streams(up.Kind) {
		// The attempt timeout bounds the wait for headers; a stream may
		// then run as long as the upstream keeps sending.
		timer.Stop()
		return res, outcome{label: strconv.Itoa(resp.StatusCode)}
	}
	res.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		if timedOut.Load() {
			return fail(outcome{label: "timeout", retriable: true})
		}
		return fail(outcome{label: "error", retriable: true})
	}
	timer.Stop()
	s.m.opDuration.WithLabelValues(up.Model, up.Kind, "").Observe(time.Since(start).Seconds())
	return res, outcome{label: strconv.Itoa(resp.StatusCode)}
}

// upstreamRequest builds the HTTP request for up: the client's own JSON
// with the model replaced for OpenAI upstreams, a translation for
// Anthropic ones.
func (s *Server) upstreamRequest(ctx context.Context, up *upstream, req *chatRequest, raw map[string]json.RawMessage, stream bool) (*http.Request, error) {
	var body []byte
	var path string
	var err error
	switch up.Kind {
	case KindAnthropic:
		a, terr := toAnthropic(req, up.Model)
		if terr != nil {
			return nil, terr
		}
		body, err = json.Marshal(a)
		path = apiBase(up.BaseURL) + "/messages"
	case KindGemini:
		g, terr := toGemini(req)
		if terr != nil {
			return nil, terr
		}
		body, err = json.Marshal(g)
		path = geminiURL(up.BaseURL, up.Model, stream)
	case KindBedrock:
		c, terr := toConverse(req)
		if terr != nil {
			return nil, terr
		}
		body, err = json.Marshal(c)
		path = bedrockURL(up.BaseURL, up.Model, stream)
	default:
		m := make(map[string]json.RawMessage, len(raw)+2)
		for k, v := range raw {
			m[k] = v
		}
		m["model"], _ = json.Marshal(up.Model)
		if stream {
			m["stream"] = json.RawMessage("true")
			if _, ok := m["stream_options"]; !ok {
				// Usage arrives only when asked for; the gateway needs it to
				// cost the call.
				m["stream_options"] = json.RawMessage(`{"include_usage":true}`)
			}
		}
		body, err = json.Marshal(m)
		path = apiBase(up.BaseURL) + "/chat/completions"
	}
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	switch up.Kind {
	case KindAnthropic:
		hreq.Header.Set("anthropic-version", "2023-06-01")
		if up.APIKey != "" {
			hreq.Header.Set("x-api-key", up.APIKey)
		}
	case KindGemini:
		if up.APIKey != "" {
			hreq.Header.Set("x-goog-api-key", up.APIKey)
		}
	case KindBedrock:
		hreq.Header.Set("Accept", "application/json")
		if stream {
			hreq.Header.Set("Accept", "application/vnd.amazon.eventstream")
		}
		if err := authorizeBedrock(ctx, hreq, up, body, s.cfg.Now()); err != nil {
			return nil, fmt.Errorf("signing the Bedrock request: %w", err)
		}
	default:
		if up.APIKey != "" {
			hreq.Header.Set("Authorization", "Bearer "+up.APIKey)
		}
	}
	if stream && (up.Kind == KindOpenAI || up.Kind == KindGemini) {
		hreq.Header.Set("Accept", "text/event-stream")
	}
	return hreq, nil
}

// streams reports whether the gateway streams from upstreams of kind:
// Anthropic answers are read whole and sent as one chunk.
func streams(kind string) bool { return kind != KindAnthropic }

// apiBase turns a provider base URL into its /v1 API root; both
// "http://host:port" and "http://host:port/v1" are accepted.
func apiBase(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/v1") {
		return base
	}
	return base + "/v1"
}

// completion is a parsed, costed, validated non-streaming answer.
type completion struct {
	up   *upstream
	resp *chatResponse
	body []byte // what the client gets
	cost float64
}

// complete runs one non-streaming chat completion through budget,
// routing, retries and validation.
func (s *Server) complete(ctx context.Context, req *chatRequest, raw map[string]json.RawMessage) (*completion, *apiError) {
	if aerr := s.checkBudget(); aerr != nil {
		return nil, aerr
	}
	res, aerr := s.call(ctx, req, raw, false)
	if aerr != nil {
		return nil, aerr
	}
	defer res.cancel()
	c := &completion{up: res.up, body: res.body}
	switch res.up.Kind {
	case KindAnthropic, KindGemini, KindBedrock:
		r, err := s.parseAnswer(res)
		if err != nil {
			return nil, s.malformed(res.up, err)
		}
		c.resp = r
		c.body, _ = json.Marshal(c.resp)
	default:
		var r chatResponse
		if err := json.Unmarshal(res.body, &r); err != nil || len(r.Choices) == 0 {
			return nil, s.malformed(res.up, err)
		}
		c.resp = &r
	}
	if c.resp.Usage != nil {
		c.cost = s.account(res.up, c.resp.Usage.PromptTokens, c.resp.Usage.CompletionTokens)
	}
	if aerr := s.validate(req, contentText(c.resp.Choices[0].Message.Content), len(c.resp.Choices[0].Message.ToolCalls) > 0); aerr != nil {
		return nil, aerr
	}
	return c, nil
}

func (s *Server) malformed(up *upstream, err error) *apiError {
	s.m.validation.WithLabelValues("malformed").Inc()
	if err == nil {
		err = errors.New("no choices")
	}
	s.cfg.Logger.Warn("gateway: malformed upstream response", "upstream", up.Name, "err", err)
	return errorf(http.StatusBadGateway, "bad_upstream_response", "upstream %s answered 200 with a body that is not a chat completion: %v", up.Name, err)
}

// account records tokens and cost of one answered call.
func (s *Server) account(up *upstream, in, out int) float64 {
	s.m.tokenUsage.WithLabelValues("input", up.Model, up.Kind).Observe(float64(in))
	s.m.tokenUsage.WithLabelValues("output", up.Model, up.Kind).Observe(float64(out))
	usd, _ := cost(s.cfg.Prices, up.Model, in, out)
	s.m.cost.WithLabelValues(up.Name, up.Model).Add(usd)
	s.spend.add(usd)
	return usd
}

// validate checks an answer: JSON mode answers must parse, canary answers
// must contain the expected text. Failures are counted; with
// strict_validation they also fail the request.
func (s *Server) validate(req *chatRequest, content string, toolCall bool) *apiError {
	var kind, msg string
	switch {
	case toolCall:
		return nil // a tool call has no answer text to check yet
	case req.jsonMode() && !json.Valid([]byte(content)):
		kind, msg = "json", "JSON mode answer is not valid JSON"
	case req.isCanary(s.cfg.CanaryMarker) && !strings.Contains(strings.ToLower(content), strings.ToLower(s.cfg.CanaryAnswer)):
		kind, msg = "canary", fmt.Sprintf("canary answer does not contain %q", s.cfg.CanaryAnswer)
	default:
		return nil
	}
	s.m.validation.WithLabelValues(kind).Inc()
	s.cfg.Logger.Warn("gateway: validation failure", "kind", kind)
	if s.cfg.StrictValidation {
		return errorf(http.StatusBadGateway, "validation_failed", "%s", msg)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
