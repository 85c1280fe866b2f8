package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

type messagesRequest struct {
	Model     string `json:"model"`
	MaxTokens *int   `json:"max_tokens"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	System json.RawMessage `json:"system"`
	Stream bool            `json:"stream"`
	Tools  []struct {
		Type        string     `json:"type"`
		Name        string     `json:"name"`
		Description string     `json:"description"`
		InputSchema *schemaDoc `json:"input_schema"`
	} `json:"tools"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	Temperature *float64 `json:"temperature"`
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	var req messagesRequest
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, ProviderAnthropic, *e)
		return
	}
	c, e := s.messagesCall(r, &req)
	if e != nil {
		writeError(w, ProviderAnthropic, *e)
		return
	}
	s.serveChatLike(w, r, c, &messagesRenderer{})
}

// handleCountTokens serves /v1/messages/count_tokens: the input tokens
// of a Messages request (model, messages, system, tools; no max_tokens)
// by the tokenizer that bills them. It is not a generation, so no fault
// affects it.
func (s *Server) handleCountTokens(w http.ResponseWriter, r *http.Request) {
	var req messagesRequest
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, ProviderAnthropic, *e)
		return
	}
	if s.cfg.RequireAPIKey && apiKey(r) == "" {
		writeError(w, ProviderAnthropic, apiError{status: 401, typ: "authentication_error", msg: "x-api-key header is required"})
		return
	}
	if req.MaxTokens != nil {
		writeError(w, ProviderAnthropic, *badRequest("max_tokens", "max_tokens: Extra inputs are not permitted"))
		return
	}
	if req.Stream {
		writeError(w, ProviderAnthropic, *badRequest("stream", "stream: Extra inputs are not permitted"))
		return
	}
	// The Messages reader checks max_tokens, which counting has none of.
	one := 1
	req.MaxTokens = &one
	c, e := s.messagesCall(r, &req)
	if e != nil {
		writeError(w, ProviderAnthropic, *e)
		return
	}
	writeJSON(w, map[string]int{"input_tokens": c.inputTokens})
}

func (s *Server) messagesCall(r *http.Request, req *messagesRequest) (*call, *apiError) {
	m, e := s.lookupModel(ProviderAnthropic, req.Model, KindChat)
	if e != nil {
		return nil, e
	}
	return messagesCallFor(m, apiKey(r), req)
}

// messagesCallFor reads a Messages request for model m, whichever
// surface it came through (Anthropic's, or Bedrock's invoke).
func messagesCallFor(m *modelState, key string, req *messagesRequest) (*call, *apiError) {
	c := &call{api: "messages", provider: ProviderAnthropic, op: "chat", model: m, key: key, stream: req.Stream, n: 1}
	if req.MaxTokens == nil {
		return nil, badRequest("max_tokens", "max_tokens: Field required")
	}
	if *req.MaxTokens < 1 {
		return nil, badRequest("max_tokens", "max_tokens: Input should be greater than or equal to 1")
	}
	if mx := m.MaxOutputTokens; mx > 0 && *req.MaxTokens > mx {
		return nil, badRequest("max_tokens", "max_tokens: %d > %d, which is the maximum allowed number of output tokens for %s", *req.MaxTokens, mx, m.Name)
	}
	c.maxTokens = *req.MaxTokens
	if len(req.Messages) == 0 {
		return nil, badRequest("messages", "messages: at least one message is required")
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 1) {
		return nil, badRequest("temperature", "temperature: Input should be less than or equal to 1")
	}
	var all strings.Builder
	sys, err := contentText(req.System)
	if err != nil {
		return nil, badRequest("system", "system: %v", err)
	}
	all.WriteString("system: " + sys + "\n")
	tokens := CountTokens(sys)
	for i, msg := range req.Messages {
		if msg.Role != "user" && msg.Role != "assistant" {
			return nil, badRequest("messages", "messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		text, err := contentText(msg.Content)
		if err != nil {
			return nil, badRequest("messages", "messages.%d.content: %v", i, err)
		}
		c.lastIsToolResult = msg.Role == "user" && strings.Contains(string(msg.Content), `"tool_result"`)
		if msg.Role == "user" && !c.lastIsToolResult {
			c.prompt = text
		}
		all.WriteString(msg.Role + ": " + text + "\n")
		tokens += 3 + CountTokens(text)
	}
	for i, t := range req.Tools {
		if t.Name == "" {
			return nil, badRequest("tools", "tools.%d.name: Field required", i)
		}
		c.tools = append(c.tools, tool{name: t.Name, params: t.InputSchema.value()})
		schema := t.InputSchema
		t.InputSchema = nil
		tokens += toolTokens(t, schema)
	}
	c.toolChoice = "auto"
	if len(c.tools) == 0 {
		c.toolChoice = "none"
	}
	if tc := req.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto", "none":
			c.toolChoice = tc.Type
		case "any":
			c.toolChoice = "required"
		case "tool":
			c.toolChoice, c.toolChoiceName = "function", tc.Name
			found := false
			for _, t := range c.tools {
				found = found || t.name == tc.Name
			}
			if !found {
				return nil, badRequest("tool_choice", "tool_choice.name: tool %q not found in tools", tc.Name)
			}
		default:
			return nil, badRequest("tool_choice", "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
		}
		if c.toolChoice != "none" && len(c.tools) == 0 {
			return nil, badRequest("tool_choice", "tool_choice may only be specified while providing tools.")
		}
	}
	c.seedText, c.inputTokens = all.String(), tokens
	return c, nil
}

// messagesRenderer renders Anthropic messages.
type messagesRenderer struct {
	block int    // index of the open content block, -1 none
	buf   []byte // a delta's data, reused token after token
}

func stopReason(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls":
		return "tool_use"
	case "content_filter":
		return "refusal"
	}
	return "end_turn"
}

type anthUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

func (messagesRenderer) message(c *call, p *plan, content []any, stop any, out int) map[string]any {
	return map[string]any{"id": p.idString("msg_"), "type": "message", "role": "assistant", "model": c.model.Name,
		"content": content, "stop_reason": stop, "stop_sequence": nil,
		"usage": anthUsage{InputTokens: p.inTok, OutputTokens: out}}
}

// full renders a Message by hand (the keys in encoding/json's order for
// a map: sorted); TestMessagesMatchEncodingJSON holds it, text and tool
// uses, to messageFullJSON, the same message built of maps and encoded.
func (rd messagesRenderer) full(b []byte, c *call, p *plan) []byte {
	ch := p.choices[0]
	b = append(b, `{"content":[`...)
	if len(ch.toolCalls) == 0 {
		b = append(b, `{"text":`...)
		b = ch.appendText(b, true)
		b = append(b, `,"type":"text"}`...)
	}
	for k, tc := range ch.toolCalls {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONStringHTML(b, strings.Replace(tc.id, "call_", "toolu_", 1))
		b = append(b, `,"input":`...)
		b = append(b, toolArgsJSON(tc, false)...)
		b = append(b, `,"name":`...)
		b = appendJSONStringHTML(b, tc.name)
		b = append(b, `,"type":"tool_use"}`...)
	}
	b = append(b, `],"id":`...)
	b = appendJSONStringHTML(b, p.idString("msg_"))
	b = append(b, `,"model":`...)
	b = appendJSONStringHTML(b, c.model.Name)
	b = append(b, `,"role":"assistant","stop_reason":"`...)
	b = append(b, stopReason(ch.finish)...)
	b = append(b, `","stop_sequence":null,"type":"message","usage":{"input_tokens":`...)
	b = appendInt(b, p.inTok)
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, p.outTok)
	return append(b, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`...)
}

func (rd *messagesRenderer) ev(sw *sseWriter, name string, v any) {
	b, _ := json.Marshal(v)
	sw.event(name, b)
}

func (rd *messagesRenderer) streamHead(sw *sseWriter, c *call, p *plan) {
	rd.block = -1
	rd.ev(sw, "message_start", map[string]any{"type": "message_start", "message": rd.message(c, p, []any{}, nil, 1)})
	sw.event("ping", []byte(`{"type": "ping"}`))
	if len(p.choices[0].toolCalls) == 0 {
		rd.open(sw, map[string]any{"type": "text", "text": ""})
	}
}

func (rd *messagesRenderer) open(sw *sseWriter, block map[string]any) {
	rd.closeBlock(sw)
	rd.block++
	rd.ev(sw, "content_block_start", map[string]any{"type": "content_block_start", "index": rd.block, "content_block": block})
}

func (rd *messagesRenderer) closeBlock(sw *sseWriter) {
	if rd.block >= 0 {
		b := append([]byte(`{"type":"content_block_stop","index":`), fmt.Sprint(rd.block)...)
		sw.event("content_block_stop", append(b, '}'))
	}
}

func (rd *messagesRenderer) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	b := rd.buf[:0]
	if u.ti < 0 {
		b = append(b, `{"type":"content_block_delta","index":`...)
		b = appendInt(b, rd.block)
		b = append(b, `,"delta":{"type":"text_delta","text":`...)
	} else {
		if u.k == 0 {
			tc := p.choices[u.ci].toolCalls[u.ti]
			rd.open(sw, map[string]any{"type": "tool_use", "id": strings.Replace(tc.id, "call_", "toolu_", 1), "name": tc.name, "input": map[string]any{}})
		}
		b = append(b, `{"type":"content_block_delta","index":`...)
		b = appendInt(b, rd.block)
		b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
	}
	b = appendJSONString(b, u.tok)
	rd.buf = append(b, "}}"...)
	sw.event("content_block_delta", rd.buf) // which keeps no reference to it
}

func (rd *messagesRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	rd.closeBlock(sw)
	rd.ev(sw, "message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stopReason(p.choices[0].finish), "stop_sequence": nil},
		"usage": map[string]int{"output_tokens": p.outTok}})
	sw.event("message_stop", []byte(`{"type":"message_stop"}`))
}

func (rd *messagesRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	sw.event("error", []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
}

func (rd *messagesRenderer) streamMalformed(sw *sseWriter, c *call, p *plan) {
	sw.event("content_block_delta", []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u00`))
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

// anthropicErrorBody is Anthropic's {"type": "error", "error": {type,
// message}}, the type named after the status unless e has one of
// Anthropic's.
func anthropicErrorBody(e apiError) []byte {
	typ := e.typ
	if typ == "" || typ == "invalid_request_error" && e.status != 400 || !strings.HasSuffix(typ, "_error") {
		typ = anthropicType(e.status)
	}
	type inner struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	b, _ := marshalPlain(struct {
		Type  string `json:"type"`
		Error inner  `json:"error"`
	}{"error", inner{typ, e.msg}})
	return b
}
