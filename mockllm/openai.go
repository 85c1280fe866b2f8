package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

type chatRequest struct {
	Model               string              `json:"model"`
	Messages            []chatMessage       `json:"messages"`
	MaxTokens           *int                `json:"max_tokens"`
	MaxCompletionTokens *int                `json:"max_completion_tokens"`
	N                   *int                `json:"n"`
	Stream              bool                `json:"stream"`
	StreamOptions       *chatStreamOptions  `json:"stream_options"`
	Tools               []chatReqTool       `json:"tools"`
	ToolChoice          json.RawMessage     `json:"tool_choice"`
	ResponseFormat      *chatResponseFormat `json:"response_format"`
	Temperature         *float64            `json:"temperature"`
	TopP                *float64            `json:"top_p"`
}

type chatStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatReqTool struct {
	Type     string          `json:"type"`
	Function chatReqFunction `json:"function"`
}

type chatReqFunction struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Parameters  *schemaDoc `json:"parameters"`
}

type chatResponseFormat struct {
	Type       string          `json:"type"`
	JSONSchema *chatJSONSchema `json:"json_schema"`
}

type chatJSONSchema struct {
	Name   string     `json:"name"`
	Schema *schemaDoc `json:"schema"`
}

type chatMessage struct {
	Role       string            `json:"role"`
	Content    json.RawMessage   `json:"content"`
	ToolCalls  []chatReqToolCall `json:"tool_calls"`
	ToolCallID string            `json:"tool_call_id"`
}

type chatReqToolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// plainJSONString returns the value of a JSON string with nothing to
// unescape, the common case of a message's content, without a second
// pass of encoding/json; ok is false for anything else.
func plainJSONString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return "", false
		}
	}
	return string(in), true
}

// contentText flattens a message content: a string, or an array of parts
// with text (OpenAI and Anthropic alike), or null.
func contentText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if s, ok := plainJSONString(raw); ok {
		return s, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type    string          `json:"type"`
		Text    string          `json:"text"`
		Content json.RawMessage `json:"content"` // tool_result
		Input   json.RawMessage `json:"input"`   // tool_use
		Output  string          `json:"output"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("want a string or an array of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Text)
		if len(p.Content) > 0 {
			t, err := contentText(p.Content)
			if err != nil {
				return "", err
			}
			b.WriteString(t)
		}
		if len(p.Input) > 0 {
			b.Write(p.Input)
		}
	}
	return b.String(), nil
}

// parseToolChoice reads OpenAI's tool_choice: "auto", "none", "required",
// or {"type":"function","function":{"name":...}} (chat) /
// {"type":"function","name":...} (responses).
func parseToolChoice(raw json.RawMessage, tools []tool) (string, string, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		if len(tools) == 0 {
			return "none", "", nil
		}
		return "auto", "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch s {
		case "auto", "none", "required":
			if s != "none" && len(tools) == 0 {
				return "", "", badRequest("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
			}
			return s, "", nil
		}
		return "", "", badRequest("tool_choice", "Invalid value for 'tool_choice': expected one of auto, none, required, got '%s'.", s)
	}
	var o struct {
		Type     string `json:"type"`
		Name     string `json:"name"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.Type != "function" {
		return "", "", badRequest("tool_choice", "Invalid value for 'tool_choice': want a string or {\"type\": \"function\", ...}.")
	}
	name := o.Function.Name
	if name == "" {
		name = o.Name
	}
	for _, t := range tools {
		if t.name == name {
			return "function", name, nil
		}
	}
	return "", "", badRequest("tool_choice", "Invalid value for 'tool_choice': no function named '%s' in 'tools'.", name)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	prov, model, e := s.openAISurface(r, KindChat)
	if e != nil {
		writeError(w, prov, *e)
		return
	}
	// The request and its renderer are one allocation.
	h := &struct {
		req chatRequest
		rd  chatRenderer
	}{}
	req := &h.req
	if e := s.decodeBody(w, r, req); e != nil {
		writeError(w, prov, *e)
		return
	}
	if prov == ProviderAzure {
		if req.Model, e = s.azureModel(model, req.Model, KindChat); e != nil {
			writeError(w, prov, *e)
			return
		}
	}
	c, e := s.chatCall(r, req)
	if e != nil {
		writeError(w, prov, *e)
		return
	}
	c.provider = prov
	if prov == ProviderAzure {
		c.apiVersion = queryFirst(r, "api-version")
	}
	h.rd.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	s.serveChatLike(w, r, c, &h.rd)
}

// maxChatN is chat completions' bound on n.
const maxChatN = 128

func (s *Server) chatCall(r *http.Request, req *chatRequest) (*call, *apiError) {
	m, e := s.lookupModel(ProviderOpenAI, req.Model, KindChat)
	if e != nil {
		return nil, e
	}
	c := &call{api: "chat.completions", provider: ProviderOpenAI, op: "chat", model: m, key: apiKey(r), stream: req.Stream, n: 1}
	if len(req.Messages) == 0 {
		return nil, badRequest("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
	}
	var all strings.Builder
	// One allocation for the seed text: a message's raw content is at
	// least as long as its text, escapes and part syntax only adding.
	size := 0
	for _, msg := range req.Messages {
		size += len(msg.Role) + 3 + len(msg.Content)
		for _, tc := range msg.ToolCalls {
			size += len(tc.Function.Name) + len(tc.Function.Arguments)
		}
	}
	all.Grow(size)
	tokens := 3
	for i, msg := range req.Messages {
		switch msg.Role {
		case "system", "developer", "user", "assistant", "tool", "function":
		default:
			return nil, badRequest(fmt.Sprintf("messages[%d].role", i), "Invalid value: '%s'. Supported values are: 'system', 'assistant', 'user', 'tool', 'function' and 'developer'.", msg.Role)
		}
		text, err := contentText(msg.Content)
		if err != nil {
			return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "Invalid 'messages[%d].content': %v.", i, err)
		}
		for _, tc := range msg.ToolCalls {
			text += tc.Function.Name + tc.Function.Arguments
		}
		if msg.Role == "user" {
			c.prompt = text
		}
		all.WriteString(msg.Role)
		all.WriteString(": ")
		all.WriteString(text)
		all.WriteByte('\n')
		tokens += 3 + CountTokens(text)
		c.lastIsToolResult = msg.Role == "tool" || msg.Role == "function"
	}
	for _, t := range req.Tools {
		if t.Function.Name == "" {
			return nil, badRequest("tools", "Missing required parameter: 'tools[].function.name'.")
		}
		c.tools = append(c.tools, tool{name: t.Function.Name, params: t.Function.Parameters.value()})
		f := t.Function
		f.Parameters = nil
		tokens += toolTokens(f, t.Function.Parameters)
	}
	var e2 *apiError
	if c.toolChoice, c.toolChoiceName, e2 = parseToolChoice(req.ToolChoice, c.tools); e2 != nil {
		return nil, e2
	}
	c.seedText, c.inputTokens = all.String(), tokens
	if req.N != nil {
		if *req.N < 1 {
			return nil, badRequest("n", "Invalid 'n': integer below minimum value. Expected a value >= 1, but got %d instead.", *req.N)
		}
		if *req.N > maxChatN {
			return nil, badRequest("n", "Invalid 'n': integer above maximum value. Expected a value <= %d, but got %d instead.", maxChatN, *req.N)
		}
		c.n = *req.N
	}
	for _, mt := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if mt.v == nil {
			continue
		}
		if *mt.v < 1 {
			return nil, badRequest(mt.name, "Invalid '%s': integer below minimum value. Expected a value >= 1, but got %d instead.", mt.name, *mt.v)
		}
		if mx := m.MaxOutputTokens; mx > 0 && *mt.v > mx {
			return nil, badRequest(mt.name, "%s is too large: %d. This model supports at most %d completion tokens, whereas you provided %d.", mt.name, *mt.v, mx, *mt.v)
		}
		c.maxTokens = *mt.v
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return nil, badRequest("temperature", "Invalid 'temperature': expected a value between 0 and 2, but got %v instead.", *t)
	}
	if t := req.TopP; t != nil && (*t < 0 || *t > 1) {
		return nil, badRequest("top_p", "Invalid 'top_p': expected a value between 0 and 1, but got %v instead.", *t)
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "text":
		case "json_object":
			c.jsonMode = rf.Type
		case "json_schema":
			if rf.JSONSchema == nil || rf.JSONSchema.Name == "" {
				return nil, badRequest("response_format.json_schema", "Missing required parameter: 'response_format.json_schema' (with a name and a schema).")
			}
			c.jsonMode, c.schema = rf.Type, rf.JSONSchema.Schema.value()
		default:
			return nil, badRequest("response_format.type", "Invalid value: '%s'. Supported values are: 'json_object', 'json_schema', and 'text'.", rf.Type)
		}
	}
	if req.StreamOptions != nil && !req.Stream {
		return nil, badRequest("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	return c, nil
}

// chatRenderer renders chat completions.
type chatRenderer struct {
	includeUsage bool
	azure        bool   // Azure OpenAI: content filter results on every choice
	prefix       []byte // of every chunk, up to the choices
	started      []bool // per choice: tool call header sent
}

// full renders a chat.completion object. It is written by hand, not with
// encoding/json, because it is the hot path of every non-streamed
// answer; TestChatFullMatchesEncodingJSON holds it to what json.Marshal
// of the documented shape gives.
func (chatRenderer) full(b []byte, c *call, p *plan) []byte {
	b = append(b, `{"id":"`...)
	b = p.appendID(b, "chatcmpl-")
	b = append(b, `","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, p.created(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, c.model.Name)
	b = append(b, `,"choices":[`...)
	for i, ch := range p.choices {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = appendInt(b, i)
		b = append(b, `,"message":{"role":"assistant","content":`...)
		if len(ch.toolCalls) == 0 {
			b = ch.appendText(b, false)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"refusal":null`...)
		for k, tc := range ch.toolCalls {
			if k == 0 {
				b = append(b, `,"tool_calls":[`...)
			} else {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendJSONString(b, tc.id)
			b = append(b, `,"type":"function","function":{"name":`...)
			b = appendJSONString(b, tc.name)
			b = append(b, `,"arguments":`...)
			b = appendJSONTokens(b, tc.args)
			b = append(b, "}}"...)
		}
		if len(ch.toolCalls) > 0 {
			b = append(b, ']')
		}
		b = append(b, `,"annotations":[]},"logprobs":null,"finish_reason":`...)
		b = appendJSONString(b, ch.finish)
		if c.provider == ProviderAzure {
			b = append(b, `,"content_filter_results":`...)
			b = append(b, azureFilterResults(ch.finish)...)
		}
		b = append(b, '}')
	}
	if c.provider == ProviderAzure {
		b = append(b, `],"prompt_filter_results":`...)
		b = append(b, azurePromptFilterResults...)
		b = append(b, `,"usage":`...)
	} else {
		b = append(b, `],"usage":`...)
	}
	b = appendChatUsage(b, p)
	return append(b, `,"service_tier":"default","system_fingerprint":"fp_drill"}`...)
}

// appendChatUsage appends the usage object of chat completions.
func appendChatUsage(b []byte, p *plan) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = appendInt(b, p.inTok)
	b = append(b, `,"completion_tokens":`...)
	b = appendInt(b, p.outTok)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, totalTokens(p.inTok, p.outTok))
	return append(b, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

// chunkOpen starts a chunk of choice ci in sw's buffer, up to its delta.
func (rd *chatRenderer) chunkOpen(sw *sseWriter, ci int) []byte {
	b := append(sw.buf[:0], "data: "...)
	b = append(b, rd.prefix...)
	b = appendInt(b, ci)
	return append(b, `,"delta":`...)
}

// chunkClose ends a chunk begun with chunkOpen and sends it.
func (rd *chatRenderer) chunkClose(sw *sseWriter, b []byte, finish string) {
	b = append(b, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, finish)
	}
	if rd.azure {
		b = append(b, `,"content_filter_results":`...)
		b = append(b, azureFilterResults(finish)...)
	}
	b = append(b, "}]"...)
	if rd.includeUsage {
		b = append(b, `,"usage":null`...)
	}
	b = append(b, "}\n\n"...)
	sw.buf = b
	sw.raw(b)
}

func (rd *chatRenderer) streamHead(sw *sseWriter, c *call, p *plan) {
	if rd.azure = c.provider == ProviderAzure; rd.azure {
		// Azure's stream opens with the prompt's filter results.
		sw.raw([]byte(`data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":` + azurePromptFilterResults + "}\n\n"))
	}
	var b []byte
	b = append(b, `{"id":`...)
	b = appendJSONString(b, p.idString("chatcmpl-"))
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = strconv.AppendInt(b, p.created(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, c.model.Name)
	b = append(b, `,"service_tier":"default","system_fingerprint":"fp_drill","choices":[{"index":`...)
	rd.prefix = b
	rd.started = make([]bool, len(p.choices))
	for ci := range p.choices {
		b := rd.chunkOpen(sw, ci)
		rd.chunkClose(sw, append(b, `{"role":"assistant","content":"","refusal":null}`...), "")
	}
}

func (rd *chatRenderer) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	b := rd.chunkOpen(sw, u.ci)
	if u.ti < 0 {
		b = append(b, `{"content":`...)
		b = appendJSONString(b, u.tok)
		rd.chunkClose(sw, append(b, '}'), "")
		return
	}
	tc := p.choices[u.ci].toolCalls[u.ti]
	b = append(b, `{"tool_calls":[{"index":`...)
	b = appendInt(b, u.ti)
	if u.k == 0 {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, tc.id)
		b = append(b, `,"type":"function","function":{"name":`...)
		b = appendJSONString(b, tc.name)
		b = append(b, `,"arguments":`...)
	} else {
		b = append(b, `,"function":{"arguments":`...)
	}
	b = appendJSONString(b, u.tok)
	rd.chunkClose(sw, append(b, "}}]}"...), "")
}

func (rd *chatRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	for ci, ch := range p.choices {
		rd.chunkClose(sw, append(rd.chunkOpen(sw, ci), "{}"...), ch.finish)
	}
	if rd.includeUsage {
		b := append(sw.buf[:0], "data: "...)
		b = append(b, rd.prefix[:len(rd.prefix)-len(`{"index":`)]...)
		b = append(b, `],"usage":`...)
		b = appendChatUsage(b, p)
		b = append(b, "}\n\n"...)
		sw.buf = b
		sw.raw(b)
	}
	sw.raw([]byte("data: [DONE]\n\n"))
}

// openAIStreamError is the event OpenAI sends when a stream fails
// midway, on chat and legacy completions alike.
var openAIStreamError = []byte(`data: {"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}` + "\n\n")

func (rd *chatRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	sw.raw(openAIStreamError)
}

func (rd *chatRenderer) streamMalformed(sw *sseWriter, c *call, p *plan) {
	b := append([]byte("data: "), rd.prefix...)
	b = append(b, `0,"delta":{"content":"\u00`...)
	sw.raw(append(b, "\n\n"...))
}

// openAIErrorBody is OpenAI's {"error": {message, type, param, code}};
// Azure's has a null type where Azure has none and the status as code.
func openAIErrorBody(provider string, e apiError) []byte {
	o := struct {
		Message string          `json:"message"`
		Type    *string         `json:"type"`
		Param   *string         `json:"param"`
		Code    *string         `json:"code"`
		Status  int             `json:"status,omitempty"`
		Inner   json.RawMessage `json:"innererror,omitempty"`
	}{Message: e.msg, Type: &e.typ}
	if e.inner != nil {
		o.Status, o.Inner = e.status, e.inner
	}
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
	b, _ := marshalPlain(map[string]any{"error": o})
	return b
}
