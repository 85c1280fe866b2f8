package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"
)

// toolCallReply asks for web_search every time: a runaway agent.
func toolCallReply(n int, req map[string]any, w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"c%d","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"tool_calls",
	"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_%d","type":"function","function":{"name":"web_search","arguments":"{\"query\":\"q%d\"}"}}]}}],
	"usage":{"prompt_tokens":100,"completion_tokens":10,"total_tokens":110}}`, n, n, n)
}

func searchStub(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search" || r.URL.Query().Get("q") == "" {
			http.Error(w, "bad search", http.StatusBadRequest)
			return
		}
		hits.Add(1)
		fmt.Fprintf(w, `{"results":[{"title":"about %s","url":"https://example.test/1"}]}`, r.URL.Query().Get("q"))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestAgentStepCapAndLever(t *testing.T) {
	p := newFake(t, toolCallReply)
	search, hits := searchStub(t)
	cfg := testConfig(p.Server, nil)
	cfg.SearchURL = search.URL
	s := start(t, cfg)
	c := testClient(t)

	r := post(t, c, s.URL()+"/v1/agent/run", `{"task":"find the answer"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s", r.body)
	m := r.json(t)
	require.EqualValues(t, 25, m["steps"], "the default cap stops the loop")
	require.EqualValues(t, 25, m["tool_calls"])
	require.EqualValues(t, 25, hits.Load())
	require.Equal(t, "agent_step_limit", m["error"].(map[string]any)["type"])
	require.InDelta(t, 25*(100*0.15+10*0.60)/1e6, m["cost_usd"], 1e-12)
	require.EqualValues(t, 25, p.calls.Load())
	// Every step after the first carries the previous tool results.
	msgs := p.lastRequest()["messages"].([]any)
	require.Len(t, msgs, 2+2*24)
	require.Equal(t, "tool", msgs[3].(map[string]any)["role"])
	require.Contains(t, msgs[3].(map[string]any)["content"], "about q1")
	require.Equal(t, "web_search", p.lastRequest()["tools"].([]any)[0].(map[string]any)["function"].(map[string]any)["name"])

	// The runbook lever lowers the cap.
	r = post(t, c, s.AdminURL()+"/agent", `{"max_steps": 5}`)
	require.Equal(t, http.StatusOK, r.status)
	r = post(t, c, s.URL()+"/v1/agent/run", `{"task":"find the answer"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status)
	require.EqualValues(t, 5, r.json(t)["steps"])
	// A client may ask for fewer steps, never more.
	require.EqualValues(t, 2, post(t, c, s.URL()+"/v1/agent/run", `{"task":"x","max_steps":2}`).json(t)["steps"])
	require.EqualValues(t, 5, post(t, c, s.URL()+"/v1/agent/run", `{"task":"x","max_steps":50}`).json(t)["steps"])

	require.Equal(t, 4.0, metric(t, c, s, "drill_gateway_agent_steps_count"))
	require.Equal(t, 37.0, metric(t, c, s, "drill_gateway_agent_steps_sum"))
	require.Equal(t, 4.0, metric(t, c, s, `drill_gateway_requests_total{route="agent",status="422"}`))
	require.Equal(t, 37.0, metric(t, c, s, `drill_gateway_tool_calls_total{status="200",tool="web_search"}`))

	for _, bad := range []string{`{}`, `{"task":""}`, `{"task":"x","max_steps":0}`, `{"task":"x","extra":1}`} {
		require.Equal(t, http.StatusBadRequest, post(t, c, s.URL()+"/v1/agent/run", bad).status, bad)
	}
}

func TestAgentAnswers(t *testing.T) {
	p := newFake(t, func(n int, req map[string]any, w http.ResponseWriter) {
		if n == 1 {
			toolCallReply(n, req, w)
			return
		}
		// The answer uses what the tool returned.
		msgs := req["messages"].([]any)
		last := msgs[len(msgs)-1].(map[string]any)
		answer("answer based on "+fmt.Sprint(last["content"]), 50, 5)(n, req, w)
	})
	search, _ := searchStub(t)
	cfg := testConfig(p.Server, nil)
	cfg.SearchURL = search.URL
	s := start(t, cfg)
	c := testClient(t)
	r := post(t, c, s.URL()+"/v1/agent/run", map[string]any{"task": "what is q1?"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	m := r.json(t)
	require.Contains(t, m["answer"], "about q1")
	require.EqualValues(t, 2, m["steps"])
	require.EqualValues(t, 1, m["tool_calls"])
	require.Nil(t, m["error"])

	// A failing tool API is reported to the model, not to the client.
	search.Close()
	p.calls.Store(0)
	r = post(t, c, s.URL()+"/v1/agent/run", map[string]any{"task": "again"})
	require.Equal(t, http.StatusOK, r.status)
	require.Contains(t, r.json(t)["answer"], "search API unreachable")
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_tool_calls_total{status="error",tool="web_search"}`))
}

// sseProvider streams three content chunks, a usage chunk and [DONE]
// (unless cut).
func sseProvider(cut bool) func(int, map[string]any, http.ResponseWriter) {
	return func(_ int, req map[string]any, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i, part := range []string{"Hel", "lo ", "world"} {
			fmt.Fprintf(w, "data: {\"id\":\"s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", part)
			fl.Flush()
			if cut && i == 1 {
				return
			}
		}
		fmt.Fprint(w, "data: {\"id\":\"s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
		if opts, ok := req["stream_options"].(map[string]any); ok && opts["include_usage"] == true {
			fmt.Fprint(w, "data: {\"id\":\"s1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":1000,\"completion_tokens\":1000,\"total_tokens\":2000}}\n\n")
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}
}

func TestStreamingPassthrough(t *testing.T) {
	p := newFake(t, sseProvider(false))
	s := start(t, testConfig(p.Server, nil))
	c := testClient(t)

	// What the provider sends directly, for comparison.
	direct := post(t, c, p.URL+"/v1/chat/completions", map[string]any{"messages": []any{}, "stream": true, "stream_options": map[string]any{"include_usage": true}})
	req := chat("hi")
	req["stream"] = true
	r := post(t, c, s.URL()+"/v1/chat/completions", req)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "text/event-stream", r.header.Get("Content-Type"))
	require.Equal(t, string(direct.body), string(r.body), "events pass through byte for byte")
	require.Equal(t, true, p.lastRequest()["stream"])
	require.InDelta(t, (1000*0.15+1000*0.60)/1e6, metric(t, c, s, `drill_gateway_cost_usd_total{model="gpt-4o-mini",upstream="prim"}`), 1e-12)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_requests_total{route="chat",status="200"}`))

	// A stream that breaks after its 200 is counted as such.
	p.reply = sseProvider(true)
	r = post(t, c, s.URL()+"/v1/chat/completions", req)
	require.Equal(t, http.StatusOK, r.status)
	require.NotContains(t, string(r.body), "[DONE]")
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_requests_total{route="chat",status="stream_cut"}`))
	require.Equal(t, 1.0, metric(t, c, s, `gen_ai_client_operation_duration_seconds_count{error_type="stream_cut",gen_ai_request_model="gpt-4o-mini",gen_ai_system="openai"}`))

	// A streamed canary with the wrong answer is a validation failure.
	p.reply = sseProvider(false)
	req = chat("drill canary")
	req["stream"] = true
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", req).status)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="canary"}`))
}

// TestOpenAIClientCompatibility drives the gateway with the official
// OpenAI Go client, non-streaming and streaming.
func TestOpenAIClientCompatibility(t *testing.T) {
	p := newFake(t, func(n int, req map[string]any, w http.ResponseWriter) {
		if req["stream"] == true {
			sseProvider(false)(n, req, w)
			return
		}
		answer("hello from the gateway", 3, 4)(n, req, w)
	})
	s := start(t, testConfig(p.Server, nil))
	hc := testClient(t)
	client := openai.NewClient(option.WithBaseURL(s.URL()+"/v1/"), option.WithAPIKey("test"), option.WithHTTPClient(hc), option.WithMaxRetries(0))
	params := openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	}
	ctx := context.Background()
	resp, err := client.Chat.Completions.New(ctx, params)
	require.NoError(t, err)
	require.Equal(t, "hello from the gateway", resp.Choices[0].Message.Content)
	require.EqualValues(t, 4, resp.Usage.CompletionTokens)

	stream := client.Chat.Completions.NewStreaming(ctx, params)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	require.Equal(t, "Hello world", acc.Choices[0].Message.Content)
}

// anthropicFake is a Messages API provider that checks what it is sent.
func anthropicFake(t *testing.T, reply func(req anthropicRequest) string) (*httptest.Server, *atomic.Pointer[anthropicRequest]) {
	var last atomic.Pointer[anthropicRequest]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/messages" || r.Header.Get("x-api-key") != "ak" || r.Header.Get("anthropic-version") == "" {
			http.Error(w, `{"type":"error","error":{"type":"authentication_error","message":"bad path or headers"}}`, http.StatusUnauthorized)
			return
		}
		var req anthropicRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		last.Store(&req)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, reply(req))
	}))
	t.Cleanup(srv.Close)
	return srv, &last
}

func TestAnthropicTranslation(t *testing.T) {
	a, last := anthropicFake(t, func(req anthropicRequest) string {
		if len(req.Tools) > 0 && len(req.Messages) == 1 {
			return `{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","stop_reason":"tool_use",
			"content":[{"type":"text","text":"let me look"},{"type":"tool_use","id":"tu_1","name":"web_search","input":{"query":"drills"}}],
			"usage":{"input_tokens":20,"output_tokens":8}}`
		}
		return `{"id":"msg_2","type":"message","role":"assistant","model":"claude-haiku-4-5","stop_reason":"end_turn",
		"content":[{"type":"text","text":"Bonjour"}],"usage":{"input_tokens":1000000,"output_tokens":0}}`
	})
	p := newFake(t, failWith(500))
	search, _ := searchStub(t)
	cfg := testConfig(p.Server, nil)
	cfg.Primary = Upstream{Name: "claude", Kind: KindAnthropic, BaseURL: a.URL, Model: "claude-haiku-4-5", APIKey: "ak"}
	cfg.SearchURL = search.URL
	s := start(t, cfg)
	c := testClient(t)

	req := map[string]any{"model": "x", "max_tokens": 77, "stop": "END", "messages": []any{
		map[string]any{"role": "system", "content": "be brief"},
		map[string]any{"role": "user", "content": "say hi"},
		map[string]any{"role": "assistant", "content": "hi"},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "in French"}}},
	}}
	r := post(t, c, s.URL()+"/v1/chat/completions", req)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	got := last.Load()
	require.Equal(t, "claude-haiku-4-5", got.Model)
	require.Equal(t, 77, got.MaxTokens)
	require.Equal(t, "be brief", got.System)
	require.Equal(t, []string{"END"}, got.StopSequences)
	require.Len(t, got.Messages, 3)
	require.Equal(t, "in French", got.Messages[2].Content[0].Text)
	var out chatResponse
	require.NoError(t, json.Unmarshal(r.body, &out))
	require.Equal(t, "chat.completion", out.Object)
	require.Equal(t, "Bonjour", contentText(out.Choices[0].Message.Content))
	require.Equal(t, "stop", out.Choices[0].FinishReason)
	require.Equal(t, 1000000, out.Usage.PromptTokens)
	require.InDelta(t, 1.0, metric(t, c, s, `drill_gateway_cost_usd_total{model="claude-haiku-4-5",upstream="claude"}`), 1e-9)

	// JSON mode has no Anthropic equivalent: asked for in the system prompt.
	req["response_format"] = map[string]any{"type": "json_object"}
	post(t, c, s.URL()+"/v1/chat/completions", req)
	require.Contains(t, last.Load().System, "valid JSON")
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="json"}`))

	// A streaming client gets one synthesized chunk.
	delete(req, "response_format")
	req["stream"] = true
	r = post(t, c, s.URL()+"/v1/chat/completions", req)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "text/event-stream", r.header.Get("Content-Type"))
	var text strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(r.body)))
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok && d != "[DONE]" {
			var ch struct {
				Choices []struct {
					Delta struct{ Content string } `json:"delta"`
				} `json:"choices"`
			}
			require.NoError(t, json.Unmarshal([]byte(d), &ch))
			for _, c := range ch.Choices {
				text.WriteString(c.Delta.Content)
			}
		}
	}
	require.Equal(t, "Bonjour", text.String())
	require.True(t, strings.HasSuffix(string(r.body), "data: [DONE]\n\n"))

	// The agent loop over Anthropic: tool_use out, tool_result back.
	r = post(t, c, s.URL()+"/v1/agent/run", `{"task":"research drills"}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "Bonjour", r.json(t)["answer"])
	got = last.Load()
	require.Len(t, got.Messages, 3)
	require.Equal(t, "tool_use", got.Messages[1].Content[1].Type)
	require.JSONEq(t, `{"query":"drills"}`, string(got.Messages[1].Content[1].Input))
	require.Equal(t, "user", got.Messages[2].Role)
	require.Equal(t, "tool_result", got.Messages[2].Content[0].Type)
	require.Equal(t, "tu_1", got.Messages[2].Content[0].ToolUseID)
	require.Contains(t, got.Messages[2].Content[0].Content, "about drills")
	require.Equal(t, "web_search", got.Tools[0].Name)
	require.EqualValues(t, 0, p.calls.Load())
}
