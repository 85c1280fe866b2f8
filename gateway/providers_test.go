package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/mockllm"
)

// The Gemini and Bedrock upstreams are tested against drill's own mock
// provider, whose surfaces the official SDKs cannot tell from the real
// ones (mockllm's SDK tests): what the gateway sends must pass its
// validation, and what it reads is what the providers answer.

const (
	geminiModel  = "gemini-2.5-flash"
	bedrockModel = "amazon.nova-lite-v1:0"
)

// virtualClock lets mockllm's latencies pass without waiting.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func startMock(t *testing.T) *mockllm.Server {
	t.Helper()
	cfg := mockllm.DefaultConfig()
	cfg.Sleeper = &virtualClock{now: time.Unix(1_800_000_000, 0)}
	cfg.RequireAPIKey = true
	m, err := mockllm.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

func addFault(t *testing.T, m *mockllm.Server, f mockllm.Fault) string {
	t.Helper()
	id, err := m.Faults().Add(f)
	require.NoError(t, err)
	return id
}

// providersConfig is a gateway with Gemini primary and Bedrock secondary,
// both on m; bedrockKey is the secondary's api_key.
func providersConfig(m *mockllm.Server, bedrockKey string) Config {
	c := DefaultConfig()
	c.Primary = Upstream{Name: "gem", Kind: KindGemini, BaseURL: m.URL(), Model: geminiModel, APIKey: "gk"}
	c.Secondary = Upstream{Name: "bed", Kind: KindBedrock, BaseURL: m.URL(), Model: bedrockModel, APIKey: bedrockKey}
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c
}

// journalCost sums what the mock billed for model.
func journalCost(m *mockllm.Server, model string) (float64, int) {
	var usd float64
	n := 0
	for _, e := range m.Journal() {
		if e.Model == model {
			usd += e.CostUSD
			n++
		}
	}
	return usd, n
}

func chatReq(prompt string) map[string]any {
	return map[string]any{"model": "x", "max_tokens": 1000, "stop": []string{"END"}, "messages": []any{
		map[string]any{"role": "system", "content": "be brief"},
		map[string]any{"role": "user", "content": prompt},
	}}
}

func TestGeminiAndBedrockUpstreams(t *testing.T) {
	m := startMock(t)
	for _, tc := range []struct{ name, key string }{
		{"sigv4", "AKIDDRILLTEST:drill-test-secret"},
		{"bearer", "bedrock-api-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := providersConfig(m, tc.key)
			s := start(t, cfg)
			c := testClient(t)

			// Gemini: text, usage, cost as the mock billed it.
			r := post(t, c, s.URL()+"/v1/chat/completions", chatReq("hello there"))
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			require.Equal(t, "gem", r.header.Get("X-Drill-Upstream"))
			out := r.json(t)
			require.Equal(t, "chat.completion", out["object"])
			ch := out["choices"].([]any)[0].(map[string]any)
			require.Equal(t, "stop", ch["finish_reason"])
			require.NotEmpty(t, ch["message"].(map[string]any)["content"])
			u := out["usage"].(map[string]any)
			require.Greater(t, u["prompt_tokens"].(float64), 0.0)
			require.Greater(t, u["completion_tokens"].(float64), 0.0)

			// Bedrock after a failover: the same.
			require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"secondary"}`).status)
			r = post(t, c, s.URL()+"/v1/chat/completions", chatReq("hello again"))
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			require.Equal(t, "bed", r.header.Get("X-Drill-Upstream"))
			out = r.json(t)
			ch = out["choices"].([]any)[0].(map[string]any)
			require.Equal(t, "stop", ch["finish_reason"])
			require.NotEmpty(t, ch["message"].(map[string]any)["content"])
			require.Greater(t, out["usage"].(map[string]any)["completion_tokens"].(float64), 0.0)

			// max_tokens reaches the provider (maxOutputTokens,
			// inferenceConfig.maxTokens): a length stop comes back as one.
			for _, to := range []string{"primary", "secondary"} {
				require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"`+to+`"}`).status)
				req := chatReq("cut me short")
				req["max_tokens"] = 5
				r = post(t, c, s.URL()+"/v1/chat/completions", req)
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				out = r.json(t)
				require.Equal(t, "length", out["choices"].([]any)[0].(map[string]any)["finish_reason"], to)
				require.Equal(t, 5.0, out["usage"].(map[string]any)["completion_tokens"], to)
			}
		})
	}
	// The gateway's cost is the mock's bill, surface by surface.
	c := testClient(t)
	s := start(t, providersConfig(m, "AKIDDRILLTEST:drill-test-secret"))
	for i := 0; i < 3; i++ {
		require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chatReq("cost me")).status)
	}
	gw := metric(t, c, s, `drill_gateway_cost_usd_total{model="gemini-2.5-flash",upstream="gem"}`)
	require.Greater(t, gw, 0.0)
	// Only this server's three calls: compare with the journal's last three.
	var last3 float64
	j := m.Journal()
	n := 0
	for i := len(j) - 1; i >= 0 && n < 3; i-- {
		if j[i].Model == geminiModel {
			last3 += j[i].CostUSD
			n++
		}
	}
	require.InDelta(t, last3, gw, 1e-9)
}

func TestGeminiBedrockStreamingClient(t *testing.T) {
	m := startMock(t)
	s := start(t, providersConfig(m, "AKIDDRILLTEST:drill-test-secret"))
	c := testClient(t)
	for _, tc := range []struct{ to, upstream, model string }{{"primary", "gem", geminiModel}, {"secondary", "bed", bedrockModel}} {
		require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"`+tc.to+`"}`).status)
		req := chatReq("stream please")
		req["stream"] = true
		r := post(t, c, s.URL()+"/v1/chat/completions", req)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "text/event-stream", r.header.Get("Content-Type"))
		chunks, done := sseChunks(t, r.body)
		require.True(t, done, "%s: ends with [DONE]", tc.to)
		require.Greater(t, len(chunks), 3, "%s: streamed token by token, not as one chunk", tc.to)
		var text strings.Builder
		finish := ""
		var u map[string]any
		for _, ch := range chunks {
			require.Equal(t, "chat.completion.chunk", ch["object"])
			for _, c := range ch["choices"].([]any) {
				c := c.(map[string]any)
				if d, ok := c["delta"].(map[string]any)["content"].(string); ok {
					text.WriteString(d)
				}
				if f, ok := c["finish_reason"].(string); ok {
					finish = f
				}
			}
			if v, ok := ch["usage"].(map[string]any); ok {
				u = v
			}
		}
		require.NotEmpty(t, text.String(), tc.to)
		require.Equal(t, "stop", finish, tc.to)
		require.NotNil(t, u, tc.to)
		j := m.Journal()
		last := j[len(j)-1]
		require.True(t, last.Stream, "%s: the upstream call streamed", tc.to)
		require.Equal(t, tc.model, last.Model)
		require.EqualValues(t, last.OutputTokens, u["completion_tokens"], tc.to)
		require.InDelta(t, last.CostUSD, metric(t, c, s, `drill_gateway_cost_usd_total{model="`+tc.model+`",upstream="`+tc.upstream+`"}`), 1e-9, tc.to)
	}

	// A stream broken mid-way (Gemini's cut connection, Bedrock's
	// exception event) reaches the client without [DONE] and is counted.
	for i, tc := range []struct {
		to, model string
		f         mockllm.Fault
	}{
		{"primary", geminiModel, mockllm.Fault{Mode: mockllm.ModeStreamCut, Scope: scope(geminiModel), Params: mockllm.FaultParams{AfterTokens: 3}}},
		{"secondary", bedrockModel, mockllm.Fault{Mode: mockllm.ModeStreamErrorEvent, Scope: scope(bedrockModel), Params: mockllm.FaultParams{AfterTokens: 3}}},
	} {
		require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"`+tc.to+`"}`).status)
		id := addFault(t, m, tc.f)
		req := chatReq("break me")
		req["stream"] = true
		r := post(t, c, s.URL()+"/v1/chat/completions", req)
		require.Equal(t, http.StatusOK, r.status)
		chunks, done := sseChunks(t, r.body)
		require.False(t, done, tc.to)
		require.NotEmpty(t, chunks, "%s: the tokens before the break were streamed", tc.to)
		require.Equal(t, float64(i+1), metric(t, c, s, `drill_gateway_requests_total{route="chat",status="stream_cut"}`), tc.to)
		require.True(t, m.Faults().Remove(id))
	}
}

// sseChunks decodes an OpenAI SSE body; done says it ended with [DONE].
func sseChunks(t *testing.T, body []byte) ([]map[string]any, bool) {
	t.Helper()
	var out []map[string]any
	done := false
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		require.False(t, done, "nothing after [DONE]")
		if d == "[DONE]" {
			done = true
			continue
		}
		var ch map[string]any
		require.NoError(t, json.Unmarshal([]byte(d), &ch), d)
		out = append(out, ch)
	}
	return out, done
}

// Errors in each provider's shape drive the same decisions as an OpenAI
// upstream's: 5xx and throttling retried and failed over, a 400 passed
// through untouched.
func TestGeminiBedrockErrors(t *testing.T) {
	m := startMock(t)
	cfg := providersConfig(m, "AKIDDRILLTEST:drill-test-secret")
	cfg.AutoFailover = true
	s := start(t, cfg)
	c := testClient(t)

	// Gemini 503 (UNAVAILABLE): two attempts, then Bedrock answers.
	id := addFault(t, m, mockllm.Fault{Mode: mockllm.ModeError, Scope: scope(geminiModel), Params: mockllm.FaultParams{Status: 503}})
	_, gemBefore := journalCost(m, geminiModel)
	r := post(t, c, s.URL()+"/v1/chat/completions", chatReq("fail over"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "bed", r.header.Get("X-Drill-Upstream"))
	_, gemAfter := journalCost(m, geminiModel)
	require.Equal(t, 2, gemAfter-gemBefore, "the 503 was retried once")
	require.Equal(t, 2.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="503",upstream="gem"}`))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_fallbacks_total`))
	require.True(t, m.Faults().Remove(id))

	// Bedrock ThrottlingException (quota) on the only upstream: retried,
	// then the gateway's 429.
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"secondary"}`).status)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/auto-failover", `{"enabled":false}`).status)
	id = addFault(t, m, mockllm.Fault{Mode: mockllm.ModeQuota, Scope: scope(bedrockModel)})
	r = post(t, c, s.URL()+"/v1/chat/completions", chatReq("throttle"))
	require.Equal(t, http.StatusTooManyRequests, r.status, "%s", r.body)
	require.Equal(t, "upstream_rate_limited", r.json(t)["error"].(map[string]any)["type"])
	require.Equal(t, 2.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="429",upstream="bed"}`))
	require.True(t, m.Faults().Remove(id))

	// A Bedrock 400 is the caller's: passed through with Bedrock's
	// exception and message, not retried.
	id = addFault(t, m, mockllm.Fault{Mode: mockllm.ModeError, Scope: scope(bedrockModel), Params: mockllm.FaultParams{Status: 400, Message: "bad input here"}})
	r = post(t, c, s.URL()+"/v1/chat/completions", chatReq("refuse"))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	e := r.json(t)["error"].(map[string]any)
	require.Equal(t, "ValidationException", e["type"])
	require.Contains(t, e["message"], "bad input here")
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="400",upstream="bed"}`))
	require.True(t, m.Faults().Remove(id))

	// A Gemini 400 likewise, with Google's status as the type.
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"primary"}`).status)
	id = addFault(t, m, mockllm.Fault{Mode: mockllm.ModeError, Scope: scope(geminiModel), Params: mockllm.FaultParams{Status: 400, Message: "bad gemini input"}})
	r = post(t, c, s.URL()+"/v1/chat/completions", chatReq("refuse"))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	e = r.json(t)["error"].(map[string]any)
	require.Equal(t, "invalid_argument", e["type"])
	require.Contains(t, e["message"], "bad gemini input")
	require.True(t, m.Faults().Remove(id))
}

func scope(target string) faultmode.Scope { return faultmode.Scope{Target: target} }

// A billing fault inflates the usage fields; the gateway's cost follows
// them.
func TestGeminiBillingInflationCosts(t *testing.T) {
	m := startMock(t)
	s := start(t, providersConfig(m, "AKIDDRILLTEST:drill-test-secret"))
	c := testClient(t)
	addFault(t, m, mockllm.Fault{Mode: mockllm.ModeBilling, Scope: scope(geminiModel), Params: mockllm.FaultParams{Factor: 50, Tokens: "both"}})
	r := post(t, c, s.URL()+"/v1/chat/completions", chatReq("inflate"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	usd, n := journalCost(m, geminiModel)
	require.Equal(t, 1, n)
	j := m.Journal()
	require.Equal(t, mockllm.ModeBilling, j[len(j)-1].FaultMode)
	require.Greater(t, j[len(j)-1].InputTokens, 50)
	require.InDelta(t, usd, metric(t, c, s, `drill_gateway_cost_usd_total{model="gemini-2.5-flash",upstream="gem"}`), 1e-9)
}

// The agent's tool loop over both surfaces: functionCall / toolUse out,
// functionResponse / toolResult back, which the mock accepts only when
// they answer a call of the turn before.
func TestGeminiBedrockAgentTools(t *testing.T) {
	m := startMock(t)
	search, hits := searchStub(t)
	cfg := providersConfig(m, "AKIDDRILLTEST:drill-test-secret")
	cfg.SearchURL = search.URL
	s := start(t, cfg)
	c := testClient(t)
	addFault(t, m, mockllm.Fault{Mode: mockllm.ModeRunawayTools})
	for i, to := range []string{"primary", "secondary"} {
		require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/admin/failover", `{"to":"`+to+`"}`).status)
		r := post(t, c, s.URL()+"/v1/agent/run", `{"task":"research drills","max_steps":3}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
		out := r.json(t)
		require.Equal(t, 3.0, out["steps"])
		require.GreaterOrEqual(t, out["tool_calls"].(float64), 2.0)
		require.Greater(t, out["cost_usd"].(float64), 0.0)
		require.GreaterOrEqual(t, hits.Load(), int64(2*(i+1)))
	}
}

// Each provider's error shape gives the retry decision and hints.
func TestProviderErrorShapes(t *testing.T) {
	o := outcome{status: 429, retriable: true, body: []byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED",
		"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`)}
	providerError(KindGemini, http.Header{}, &o)
	require.Equal(t, 7*time.Second, o.retryAfter)
	require.Equal(t, "resource_exhausted", o.err.Type)
	require.Equal(t, 429, o.err.status)

	h := http.Header{}
	h.Set("X-Amzn-Errortype", "ModelTimeoutException:http://internal.amazon.com/coral/com.amazon.bedrock/")
	o = outcome{status: 408, body: []byte(`{"message":"Model has timed out"}`)}
	providerError(KindBedrock, h, &o)
	require.True(t, o.retriable, "the AWS SDK retries ModelTimeoutException")
	require.Equal(t, "ModelTimeoutException", o.err.Type)

	o = outcome{status: 424, body: []byte(`{"__type":"com.amazon.bedrock#ModelErrorException","message":"boom"}`)}
	providerError(KindBedrock, http.Header{}, &o)
	require.False(t, o.retriable)
	require.Equal(t, "ModelErrorException", o.err.Type)

	// A body in no known shape is left to the generic passthrough.
	o = outcome{status: 400, body: []byte(`not json`)}
	providerError(KindGemini, http.Header{}, &o)
	require.Nil(t, o.err)
	require.Contains(t, passthroughError(o).Message, "upstream answered 400: not json")
}

// Requests the providers could not take are refused naming the field.
func TestGeminiBedrockTranslationErrors(t *testing.T) {
	var tc toolCall
	tc.ID, tc.Function.Name, tc.Function.Arguments = "c1", "web_search", `["not","an","object"]`
	r := &chatRequest{Messages: []chatMessage{{Role: "user", Content: textContent("hi")}, {Role: "assistant", ToolCalls: []toolCall{tc}}}}
	_, err := toGemini(r)
	require.EqualError(t, err, "messages[1].tool_calls[0].function.arguments: expected a JSON object")
	_, err = toConverse(r)
	require.EqualError(t, err, "messages[1].tool_calls[0].function.arguments: expected a JSON object")

	r = &chatRequest{Messages: []chatMessage{{Role: "user", Content: textContent("hi")}, {Role: "tool", ToolCallID: "nope", Content: textContent("x")}}}
	_, err = toGemini(r)
	require.ErrorContains(t, err, `messages[1].tool_call_id: no earlier assistant tool call has ID "nope"`)

	r = &chatRequest{Messages: []chatMessage{{Role: "user", Content: textContent("hi")}}, Stop: json.RawMessage(`5`)}
	_, err = toConverse(r)
	require.EqualError(t, err, "stop: expected a string or an array of strings")

	require.Equal(t, "eu-west-3", bedrockRegion("https://bedrock-runtime.eu-west-3.amazonaws.com"))
	require.Equal(t, "us-east-1", bedrockRegion("http://127.0.0.1:4000"))
	_, ok := bedrockCredentials("just-a-token")
	require.False(t, ok)
}
