package mockllm

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/stretchr/testify/require"
)

// streamLines reads an SSE response until it ends, returning its data
// payloads and the read error (nil on a clean end).
func streamLines(t *testing.T, url, body string, headers ...string) (*http.Response, []string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var data []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			data = append(data, d)
		}
	}
	return res, data, sc.Err()
}

func contentOf(t *testing.T, body string) string {
	t.Helper()
	var r struct {
		Choices []struct {
			Message struct {
				Content   string `json:"content"`
				ToolCalls []struct {
					Function struct{ Arguments string } `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &r), body)
	if len(r.Choices[0].Message.ToolCalls) > 0 {
		return r.Choices[0].Message.ToolCalls[0].Function.Arguments
	}
	return r.Choices[0].Message.Content
}

func TestGarbageKinds(t *testing.T) {
	s, _ := startTest(t, nil)
	url := s.URL() + "/v1/chat/completions"
	_, clean := post(t, url, chatBody("gpt-4o", "describe the system", ""))
	cleanText := contentOf(t, clean)
	tools := `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}}}]`
	cases := []struct {
		kind, prompt, extra string
		check               func(t *testing.T, text string)
	}{
		{GarbageRandomTokens, "describe the system", "", func(t *testing.T, s string) {
			require.NotEqual(t, cleanText, s)
			require.Regexp(t, `[#@%&*~^|<>{}\[\]]`, s)
		}},
		{GarbageWrongLanguage, "describe the system", "", func(t *testing.T, s string) {
			require.Regexp(t, `(?i)\b(le|la|les|des|et|est|pour)\b`, s)
		}},
		{GarbageInvalidJSON, "json please", `"response_format":{"type":"json_object"}`, func(t *testing.T, s string) {
			require.False(t, json.Valid([]byte(s)), s)
		}},
		{GarbageRepeatLoop, "describe the system", "", func(t *testing.T, s string) {
			require.Equal(t, strings.Repeat(" the", CountTokens(s)), s)
		}},
		{GarbageEmpty, "describe the system", "", func(t *testing.T, s string) { require.Empty(t, s) }},
		{GarbageRefusal, "describe the system", "", func(t *testing.T, s string) { require.Contains(t, s, "I can't help") }},
		{GarbageBadToolArgs, "call it", tools, func(t *testing.T, s string) { require.False(t, json.Valid([]byte(s)), s) }},
		{GarbageWrongAnswer, "is the drill canary ok", "", func(t *testing.T, s string) { require.Equal(t, CanaryWrongAnswer, s) }},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			id := addFault(t, s, Fault{Mode: ModeGarbage, Scope: faultmode.Scope{Target: "gpt-*"}, Params: FaultParams{Kind: tc.kind}})
			defer s.Faults().Remove(id)
			res, body := post(t, url, chatBody("gpt-4o", tc.prompt, tc.extra))
			require.Equal(t, 200, res.StatusCode, body)
			require.Equal(t, id, res.Header.Get(HeaderFault))
			tc.check(t, contentOf(t, body))
			require.EqualValues(t, 1, s.Faults().Affected(id))
		})
	}
	// A kind that needs a context does not touch (or count) other requests.
	id := addFault(t, s, Fault{Mode: ModeGarbage, Params: FaultParams{Kind: GarbageWrongAnswer}})
	res, body := post(t, url, chatBody("gpt-4o", "describe the system", ""))
	require.Empty(t, res.Header.Get(HeaderFault))
	require.Equal(t, cleanText, contentOf(t, body))
	require.EqualValues(t, 0, s.Faults().Affected(id))
}

func TestStreamFaults(t *testing.T) {
	s, fs := startTest(t, nil)
	url := s.URL() + "/v1/chat/completions"
	body := chatBody("gpt-4o", "hello there", `"stream":true,"max_tokens":20`)

	t.Run("stream_cut", func(t *testing.T) {
		id := addFault(t, s, Fault{Mode: ModeStreamCut, Params: FaultParams{AfterTokens: 5}})
		defer s.Faults().Remove(id)
		res, data, err := streamLines(t, url, body)
		require.Error(t, err, "the client sees a broken stream")
		require.Equal(t, id, res.Header.Get(HeaderFault))
		require.Len(t, data, 1+5) // role chunk + 5 tokens
		require.NotContains(t, data, "[DONE]")
		require.EqualValues(t, 1, s.Faults().Affected(id))
		require.Contains(t, s.Journal()[len(s.Journal())-1].Outcome, "stream cut after 5 tokens")
	})
	t.Run("stream_stall", func(t *testing.T) {
		id := addFault(t, s, Fault{Mode: ModeStreamStall, Params: FaultParams{AfterTokens: 3, Delay: faultmode.Duration(90 * time.Second)}})
		defer s.Faults().Remove(id)
		before := fs.total()
		_, data, err := streamLines(t, url, body)
		require.NoError(t, err)
		require.Equal(t, "[DONE]", data[len(data)-1])
		require.GreaterOrEqual(t, fs.total()-before, 90*time.Second, "the stream stalled for the delay")
		require.EqualValues(t, 1, s.Faults().Affected(id))
	})
	t.Run("malformed_chunk", func(t *testing.T) {
		id := addFault(t, s, Fault{Mode: ModeMalformedChunk, Params: FaultParams{AfterTokens: 2}})
		defer s.Faults().Remove(id)
		_, data, err := streamLines(t, url, body)
		require.NoError(t, err)
		bad := 0
		for _, d := range data {
			if d != "[DONE]" && !json.Valid([]byte(d)) {
				bad++
			}
		}
		require.Equal(t, 1, bad)
		require.Equal(t, 1+2, indexInvalid(data))
		require.EqualValues(t, 1, s.Faults().Affected(id))
	})
	t.Run("stream_error_event", func(t *testing.T) {
		id := addFault(t, s, Fault{Mode: ModeStreamErrorEvent, Params: FaultParams{AfterTokens: 4}})
		defer s.Faults().Remove(id)
		_, data, err := streamLines(t, url, body)
		require.NoError(t, err)
		require.Contains(t, data[len(data)-1], `"error":{"message"`)
		// Anthropic: an error event and no message_stop.
		res, abody := post(t, s.URL()+"/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
		require.Equal(t, 200, res.StatusCode)
		require.Contains(t, abody, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"")
		require.NotContains(t, abody, "message_stop")
		require.EqualValues(t, 2, s.Faults().Affected(id))
	})
	t.Run("stream faults leave non-streaming requests alone", func(t *testing.T) {
		id := addFault(t, s, Fault{Mode: ModeStreamCut})
		defer s.Faults().Remove(id)
		res, _ := post(t, url, chatBody("gpt-4o", "x", ""))
		require.Equal(t, 200, res.StatusCode)
		require.EqualValues(t, 0, s.Faults().Affected(id))
	})
}

func indexInvalid(data []string) int {
	for i, d := range data {
		if d != "[DONE]" && !json.Valid([]byte(d)) {
			return i
		}
	}
	return -1
}

func TestSlowFaults(t *testing.T) {
	s, fs := startTest(t, func(c *Config) {
		for i := range c.Models {
			c.Models[i].Latency = Latency{TTFT: Constant(100 * time.Millisecond), ITL: Constant(10 * time.Millisecond)}
		}
	})
	url := s.URL() + "/v1/chat/completions"
	body := chatBody("gpt-4o", "hi", `"max_tokens":11`)
	base := fs.total()
	post(t, url, body)
	normal := fs.total() - base
	require.Equal(t, 100*time.Millisecond+10*10*time.Millisecond, normal, "ttft + 10 gaps")

	id := addFault(t, s, Fault{Mode: ModeSlowFirstToken, Params: FaultParams{Delay: faultmode.Duration(5 * time.Second)}})
	base = fs.total()
	res, _ := post(t, url, body)
	require.Equal(t, normal+5*time.Second, fs.total()-base)
	require.Equal(t, id, res.Header.Get(HeaderFault))
	s.Faults().Remove(id)

	id = addFault(t, s, Fault{Mode: ModeSlowTokens, Params: FaultParams{Delay: faultmode.Duration(time.Second)}})
	base = fs.total()
	post(t, url, body)
	require.Equal(t, normal+10*time.Second, fs.total()-base)
	require.EqualValues(t, 1, s.Faults().Affected(id))
}

func TestRateLimitFault(t *testing.T) {
	s, fs := startTest(t, nil)
	url := s.URL() + "/v1/chat/completions"
	id := addFault(t, s, Fault{Mode: ModeRateLimit, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{RPM: 2}})
	for i := range 2 {
		res, body := post(t, url, chatBody("gpt-4o", "hi", ""), "Authorization", "Bearer key-a")
		require.Equal(t, 200, res.StatusCode, body)
		require.Equal(t, "2", res.Header.Get("x-ratelimit-limit-requests"))
		require.Equal(t, fmt.Sprint(1-i), res.Header.Get("x-ratelimit-remaining-requests"))
	}
	res, body := post(t, url, chatBody("gpt-4o", "hi", ""), "Authorization", "Bearer key-a")
	require.Equal(t, 429, res.StatusCode)
	require.Contains(t, body, `"code":"rate_limit_exceeded"`)
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.True(t, ra > 20 && ra <= 30, "one request refills in 60s/2, less the time the two requests took: %d", ra)
	require.Equal(t, id, res.Header.Get(HeaderFault))
	require.EqualValues(t, 1, s.Faults().Affected(id), "only refused requests count")

	// Buckets are per API key and per model.
	res, _ = post(t, url, chatBody("gpt-4o", "hi", ""), "Authorization", "Bearer key-b")
	require.Equal(t, 200, res.StatusCode)
	res, _ = post(t, url, chatBody("gpt-4o-mini", "hi", ""), "Authorization", "Bearer key-a")
	require.Equal(t, 200, res.StatusCode)
	// The bucket refills with time.
	fs.Sleep(t.Context(), 30*time.Second)
	res, _ = post(t, url, chatBody("gpt-4o", "hi", ""), "Authorization", "Bearer key-a")
	require.Equal(t, 200, res.StatusCode)

	// Anthropic headers, and tokens per minute.
	s.Faults().Remove(id)
	addFault(t, s, Fault{Mode: ModeRateLimit, Params: FaultParams{TPM: 100}})
	ab := `{"model":"claude-haiku-4-5","max_tokens":60,"messages":[{"role":"user","content":"hi"}]}`
	res, _ = post(t, s.URL()+"/v1/messages", ab, "x-api-key", "k")
	require.Equal(t, 200, res.StatusCode)
	require.Equal(t, "100", res.Header.Get("anthropic-ratelimit-tokens-limit"))
	res, body = post(t, s.URL()+"/v1/messages", ab, "x-api-key", "k")
	require.Equal(t, 429, res.StatusCode)
	require.JSONEq(t, `{"type":"error","error":{"type":"rate_limit_error","message":"`+jsonField(t, body, "message")+`"}}`, body)
	require.NotEmpty(t, res.Header.Get("Retry-After"))
}

func jsonField(t *testing.T, body, field string) string {
	var v struct {
		Error map[string]string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	return v.Error[field]
}

func TestConfiguredRateLimit(t *testing.T) {
	s, _ := startTest(t, func(c *Config) { c.Models[1].RateLimit = RateLimit{RPM: 1} })
	url := s.URL() + "/v1/chat/completions"
	res, _ := post(t, url, chatBody("gpt-4o-mini", "hi", ""))
	require.Equal(t, 200, res.StatusCode)
	res, _ = post(t, url, chatBody("gpt-4o-mini", "hi", ""))
	require.Equal(t, 429, res.StatusCode)
	require.Empty(t, res.Header.Get(HeaderFault), "a configured limit is not a fault")
}

func TestBillingPriceRunaway(t *testing.T) {
	s, _ := startTest(t, nil)
	url := s.URL() + "/v1/chat/completions"
	body := chatBody("gpt-4o", "drill canary", "")
	_, clean := post(t, url, body)
	var u0 struct {
		Usage struct{ PromptTokens, CompletionTokens int }
	}
	cleanU := usage(t, clean)
	require.Greater(t, cleanU[0], 0)
	_ = u0
	cleanCost := s.Journal()[0].CostUSD
	require.InDelta(t, (float64(cleanU[0])*2.5+float64(cleanU[1])*10)/1e6, cleanCost, 1e-12)

	id := addFault(t, s, Fault{Mode: ModeBilling, Params: FaultParams{Factor: 3, Tokens: "both"}})
	res, b := post(t, url, body)
	require.Equal(t, id, res.Header.Get(HeaderFault))
	require.Equal(t, [2]int{3 * cleanU[0], 3 * cleanU[1]}, usage(t, b))
	require.InDelta(t, 3*cleanCost, s.Journal()[1].CostUSD, 1e-12)
	s.Faults().Remove(id)

	id = addFault(t, s, Fault{Mode: ModePrice, Params: FaultParams{Factor: 10}})
	_, b = post(t, url, body)
	require.Equal(t, cleanU, usage(t, b), "price faults leave usage alone")
	require.InDelta(t, 10*cleanCost, s.Journal()[2].CostUSD, 1e-12)
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	// runaway_tools: after a tool result the model asks for another call.
	conv := `{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],
	"messages":[{"role":"user","content":"find it"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_1","content":"found"}]}`
	_, b = post(t, url, conv)
	require.Contains(t, b, `"finish_reason":"stop"`)
	id = addFault(t, s, Fault{Mode: ModeRunawayTools})
	res, b = post(t, url, conv)
	require.Contains(t, b, `"finish_reason":"tool_calls"`)
	require.Equal(t, id, res.Header.Get(HeaderFault))
	require.EqualValues(t, 1, s.Faults().Affected(id))

	// Metrics expose cost and evidence.
	res2, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	defer res2.Body.Close()
	m, _ := io.ReadAll(res2.Body)
	require.Contains(t, string(m), `drill_mockllm_fault_affected_total{fault="`+id+`",mode="runaway_tools"} 1`)
	require.Contains(t, string(m), `drill_mockllm_cost_usd_total{model="gpt-4o"}`)
	require.Contains(t, string(m), `gen_ai_client_token_usage_bucket{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o",gen_ai_token_type="input"`)
	require.Contains(t, string(m), `drill_mockllm_requests_total{model="gpt-4o",status="200"} 5`)
}

func usage(t *testing.T, body string) [2]int {
	var u struct {
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &u))
	return [2]int{u.Usage.PromptTokens, u.Usage.CompletionTokens}
}

func TestForcedFaultAndJournal(t *testing.T) {
	s, _ := startTest(t, nil)
	url := s.URL() + "/v1/chat/completions"
	res, body := post(t, url, chatBody("gpt-4o", "hi", ""), HeaderForceFault, "error", HeaderForceParams, `{"status":503}`)
	require.Equal(t, 503, res.StatusCode, body)
	require.Equal(t, "forced-error", res.Header.Get(HeaderFault))
	require.EqualValues(t, 1, s.Faults().Affected("forced-error"))

	res, body = post(t, url, chatBody("gpt-4o", "hi", ""), HeaderForceFault, "error", HeaderForceParams, `{"status":200}`)
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, "params.status: required, want an HTTP error status from 400 to 599, got 200")
	res, body = post(t, url, chatBody("gpt-4o", "hi", ""), HeaderForceFault, "explode")
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, `mode: unknown \"explode\"; valid modes: billing, error`)
	// The next request is clean again.
	res, _ = post(t, url, chatBody("gpt-4o", "hi", ""))
	require.Equal(t, 200, res.StatusCode)

	jr, err := http.Get(s.URL() + "/_drill/journal")
	require.NoError(t, err)
	defer jr.Body.Close()
	var entries []JournalEntry
	require.NoError(t, json.NewDecoder(jr.Body).Decode(&entries))
	require.Len(t, entries, 4)
	require.Equal(t, 503, entries[0].Status)
	require.Equal(t, "forced-error", entries[0].Fault)
	require.Equal(t, 200, entries[3].Status)
	require.Greater(t, entries[3].OutputTokens, 0)
	require.Greater(t, entries[3].CostUSD, 0.0)
	require.Equal(t, "chat.completions", entries[3].API)
}

func TestFaultScopesThroughControlAPI(t *testing.T) {
	s, _ := startTest(t, nil)
	res, body := post(t, s.URL()+"/_drill/faults", `{"id":"two","mode":"error","target":"claude-*","count":2,"params":{"status":529}}`)
	require.Equal(t, 201, res.StatusCode, body)
	ab := `{"model":"claude-sonnet-4-5","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}`
	codes := []int{}
	for range 3 {
		r, _ := post(t, s.URL()+"/v1/messages", ab)
		codes = append(codes, r.StatusCode)
	}
	require.Equal(t, []int{529, 529, 200}, codes)
	r, _ := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""))
	require.Equal(t, 200, r.StatusCode, "target glob spares other models")
	require.EqualValues(t, 2, s.Faults().Affected("two"))

	res, body = post(t, s.URL()+"/_drill/faults", `{"mode":"garbage","params":{"kind":"nonsense","status":5}}`)
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, "params.kind: want one of random_tokens")
	require.Contains(t, body, "params.status: not used by mode garbage")
}

// TestControlAPISuggestsModeForKind: drill's fault kind names, posted to
// the control API by hand, are refused with the mode they set here.
func TestControlAPISuggestsModeForKind(t *testing.T) {
	s, _ := startTest(t, nil)
	res, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""), HeaderForceFault, "provider-quota")
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, `did you mean \"quota\"?`)
	res, body = post(t, s.URL()+"/_drill/faults", `{"mode":"rate-limit","params":{"rpm":1}}`)
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, `did you mean \"rate_limit\"?`)
	res, body = post(t, s.URL()+"/_drill/faults", `{"mode":"explode"}`)
	require.Equal(t, 400, res.StatusCode)
	require.NotContains(t, body, "did you mean")
}
