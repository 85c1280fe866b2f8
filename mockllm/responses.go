package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The OpenAI Responses API, which current agent SDKs call.

type responsesRequest struct {
	Model           string          `json:"model"`
	Input           json.RawMessage `json:"input"`
	Instructions    string          `json:"instructions"`
	MaxOutputTokens *int            `json:"max_output_tokens"`
	Stream          bool            `json:"stream"`
	Tools           []struct {
		Type        string     `json:"type"`
		Name        string     `json:"name"`
		Description string     `json:"description"`
		Parameters  *schemaDoc `json:"parameters"`
	} `json:"tools"`
	ToolChoice json.RawMessage `json:"tool_choice"`
	Text       *struct {
		Format *struct {
			Type   string     `json:"type"`
			Name   string     `json:"name"`
			Schema *schemaDoc `json:"schema"`
		} `json:"format"`
	} `json:"text"`
	Temperature *float64 `json:"temperature"`
}

type responseItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Output    json.RawMessage `json:"output"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
}

func (s *Server) handleResponses(w http.ResponseWriter, r *http.Request) {
	var req responsesRequest
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, ProviderOpenAI, *e)
		return
	}
	c, e := s.responsesCall(r, &req)
	if e != nil {
		writeError(w, ProviderOpenAI, *e)
		return
	}
	s.serveChatLike(w, r, c, &responsesRenderer{})
}

func (s *Server) responsesCall(r *http.Request, req *responsesRequest) (*call, *apiError) {
	m, e := s.lookupModel(ProviderOpenAI, req.Model, KindChat)
	if e != nil {
		return nil, e
	}
	c := &call{api: "responses", provider: ProviderOpenAI, op: "chat", model: m, key: apiKey(r), stream: req.Stream, n: 1}
	var all strings.Builder
	all.WriteString("instructions: " + req.Instructions + "\n")
	tokens := CountTokens(req.Instructions)
	var str string
	if len(req.Input) == 0 || string(req.Input) == "null" {
		return nil, badRequest("input", "Missing required parameter: 'input'.")
	}
	if err := json.Unmarshal(req.Input, &str); err == nil {
		c.prompt = str
		all.WriteString("user: " + str + "\n")
		tokens += 3 + CountTokens(str)
	} else {
		var items []responseItem
		if err := json.Unmarshal(req.Input, &items); err != nil {
			return nil, badRequest("input", "Invalid 'input': want a string or an array of input items.")
		}
		for i, it := range items {
			var text string
			switch it.Type {
			case "", "message":
				switch it.Role {
				case "user", "system", "developer", "assistant":
				default:
					return nil, badRequest(fmt.Sprintf("input[%d].role", i), "Invalid value: '%s'. Supported values are: 'assistant', 'system', 'developer', and 'user'.", it.Role)
				}
				t, err := contentText(it.Content)
				if err != nil {
					return nil, badRequest(fmt.Sprintf("input[%d].content", i), "Invalid 'input[%d].content': %v.", i, err)
				}
				text = t
				if it.Role == "user" {
					c.prompt = text
				}
			case "function_call":
				text = it.Name + it.Arguments
			case "function_call_output":
				t, _ := contentText(it.Output)
				text = t
			default:
				// Reasoning items and others: counted, not interpreted.
				text = string(it.Content)
			}
			c.lastIsToolResult = it.Type == "function_call_output"
			all.WriteString(it.Type + " " + it.Role + ": " + text + "\n")
			tokens += 3 + CountTokens(text)
		}
		if len(items) == 0 {
			return nil, badRequest("input", "Invalid 'input': empty array.")
		}
	}
	for i, t := range req.Tools {
		if t.Type != "function" {
			continue // built-in tools (web search...) are never called here
		}
		if t.Name == "" {
			return nil, badRequest(fmt.Sprintf("tools[%d].name", i), "Missing required parameter: 'tools[%d].name'.", i)
		}
		c.tools = append(c.tools, tool{name: t.Name, params: t.Parameters.value()})
		schema := t.Parameters
		t.Parameters = nil
		tokens += toolTokens(t, schema)
	}
	var e2 *apiError
	if c.toolChoice, c.toolChoiceName, e2 = parseToolChoice(req.ToolChoice, c.tools); e2 != nil {
		return nil, e2
	}
	if v := req.MaxOutputTokens; v != nil {
		if *v < 16 {
			return nil, badRequest("max_output_tokens", "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got %d instead.", *v)
		}
		c.maxTokens = *v
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return nil, badRequest("temperature", "Invalid 'temperature': expected a value between 0 and 2, but got %v instead.", *t)
	}
	if req.Text != nil && req.Text.Format != nil {
		switch f := req.Text.Format; f.Type {
		case "text":
		case "json_object":
			c.jsonMode = f.Type
		case "json_schema":
			if f.Name == "" || f.Schema.value() == nil {
				return nil, badRequest("text.format", "Missing required parameter: 'text.format.name' and 'text.format.schema'.")
			}
			c.jsonMode, c.schema = f.Type, f.Schema.value()
		default:
			return nil, badRequest("text.format.type", "Invalid value: '%s'. Supported values are: 'text', 'json_object' and 'json_schema'.", f.Type)
		}
	}
	c.seedText, c.inputTokens = all.String(), tokens
	return c, nil
}

// responsesRenderer renders the Responses API.
type responsesRenderer struct {
	seq   int
	items []map[string]any // output items, as they complete
	open  map[string]any   // the item being streamed
	text  strings.Builder
}

func (rd *responsesRenderer) itemID(p *plan, kind string, i int) string {
	return fmt.Sprintf("%s_%016x%02d", kind, seedFor(p.idString("")), i)
}

// appendResponse appends a Response object: its keys in the order
// encoding/json gives a map's (sorted), output appending the output
// items' array. TestResponsesMatchEncodingJSON holds it to json.Marshal
// of the documented shape, as a map.
func (rd *responsesRenderer) appendResponse(b []byte, c *call, p *plan, status string, output func([]byte) []byte, usage bool) []byte {
	b = append(b, `{"created_at":`...)
	b = strconv.AppendInt(b, p.created(), 10)
	b = append(b, `,"error":null,"id":`...)
	b = appendJSONStringHTML(b, p.idString("resp_"))
	b = append(b, `,"incomplete_details":`...)
	if status == "incomplete" {
		reason := "max_output_tokens"
		if len(p.choices) > 0 && p.choices[0].finish == "content_filter" {
			reason = "content_filter"
		}
		b = append(b, `{"reason":"`...)
		b = append(b, reason...)
		b = append(b, `"}`...)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"instructions":null,"max_output_tokens":`...)
	if c.maxTokens > 0 {
		b = appendInt(b, c.maxTokens)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"metadata":{},"model":`...)
	b = appendJSONStringHTML(b, c.model.Name)
	b = append(b, `,"object":"response","output":`...)
	b = output(b)
	b = append(b, `,"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"status":`...)
	b = appendJSONStringHTML(b, status)
	b = append(b, `,"store":true,"temperature":1,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1,"truncation":"disabled","usage":`...)
	if !usage {
		return append(b, "null}"...)
	}
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, p.inTok)
	b = append(b, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
	b = appendInt(b, p.outTok)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`...)
	b = appendInt(b, totalTokens(p.inTok, p.outTok))
	return append(b, "}}"...)
}

// marshalItems returns an output function appending items as
// encoding/json writes the array.
func marshalItems(items []map[string]any) func([]byte) []byte {
	return func(b []byte) []byte {
		b = append(b, '[')
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			m, _ := json.Marshal(it) // maps of strings, numbers and such: they marshal
			b = append(b, m...)
		}
		return append(b, ']')
	}
}

// responseEvent sends a response.* event carrying the whole response.
func (rd *responsesRenderer) responseEvent(sw *sseWriter, typ string, c *call, p *plan, status string, output func([]byte) []byte, usage bool) {
	b := append(make([]byte, 0, 1024), `{"response":`...)
	b = rd.appendResponse(b, c, p, status, output, usage)
	b = append(b, `,"sequence_number":`...)
	b = appendInt(b, rd.seq)
	rd.seq++
	b = append(b, `,"type":`...)
	b = appendJSONStringHTML(b, typ)
	sw.event(typ, append(b, '}'))
}

// finalStatus is the status of a finished answer.
func finalStatus(p *plan) string {
	if f := p.choices[0].finish; f == "length" || f == "content_filter" {
		return "incomplete"
	}
	return "completed"
}

func (rd *responsesRenderer) finalItems(p *plan) ([]map[string]any, string) {
	ch := p.choices[0]
	status := finalStatus(p)
	var items []map[string]any
	if len(ch.toolCalls) == 0 {
		items = append(items, rd.messageItem(p, ch.text(), status))
	}
	for i, tc := range ch.toolCalls {
		items = append(items, rd.callItem(p, i, tc, tc.arguments(), "completed"))
	}
	return items, status
}

func (rd *responsesRenderer) messageItem(p *plan, text, status string) map[string]any {
	content := []any{}
	if status != "in_progress" {
		content = append(content, map[string]any{"type": "output_text", "text": text, "annotations": []any{}, "logprobs": []any{}})
	}
	return map[string]any{"id": rd.itemID(p, "msg", 0), "type": "message", "status": status, "role": "assistant", "content": content}
}

func (rd *responsesRenderer) callItem(p *plan, i int, tc toolCall, args, status string) map[string]any {
	return map[string]any{"id": rd.itemID(p, "fc", i), "type": "function_call", "status": status,
		"arguments": args, "call_id": tc.id, "name": tc.name}
}

// full renders a Response. A text answer's message, the hot path, is
// written by hand; TestResponsesMatchEncodingJSON holds it to
// encoding/json's rendering of the map.
func (rd *responsesRenderer) full(b []byte, c *call, p *plan) []byte {
	ch := p.choices[0]
	if len(ch.toolCalls) > 0 {
		items, status := rd.finalItems(p)
		return rd.appendResponse(b, c, p, status, marshalItems(items), true)
	}
	status := finalStatus(p)
	return rd.appendResponse(b, c, p, status, func(b []byte) []byte {
		b = append(b, `[{"content":[{"annotations":[],"logprobs":[],"text":`...)
		b = ch.appendText(b, true)
		b = append(b, `,"type":"output_text"}],"id":`...)
		b = appendJSONStringHTML(b, rd.itemID(p, "msg", 0))
		b = append(b, `,"role":"assistant","status":`...)
		b = appendJSONStringHTML(b, status)
		return append(b, `,"type":"message"}]`...)
	}, true)
}

func (rd *responsesRenderer) ev(sw *sseWriter, typ string, fields map[string]any) {
	fields["type"] = typ
	fields["sequence_number"] = rd.seq
	rd.seq++
	b, _ := json.Marshal(fields)
	sw.event(typ, b)
}

func (rd *responsesRenderer) streamHead(sw *sseWriter, c *call, p *plan) {
	none := func(b []byte) []byte { return append(b, "[]"...) }
	rd.responseEvent(sw, "response.created", c, p, "in_progress", none, false)
	rd.responseEvent(sw, "response.in_progress", c, p, "in_progress", none, false)
	if len(p.choices[0].toolCalls) == 0 {
		rd.open = rd.messageItem(p, "", "in_progress")
		rd.ev(sw, "response.output_item.added", map[string]any{"output_index": 0, "item": rd.open})
		rd.ev(sw, "response.content_part.added", map[string]any{"item_id": rd.open["id"], "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}, "logprobs": []any{}}})
	}
}

func (rd *responsesRenderer) closeOpen(sw *sseWriter, p *plan, status string) {
	if rd.open == nil {
		return
	}
	idx := len(rd.items)
	text := rd.text.String()
	var done map[string]any
	if rd.open["type"] == "message" {
		part := map[string]any{"type": "output_text", "text": text, "annotations": []any{}, "logprobs": []any{}}
		rd.ev(sw, "response.output_text.done", map[string]any{"item_id": rd.open["id"], "output_index": idx, "content_index": 0, "text": text, "logprobs": []any{}})
		rd.ev(sw, "response.content_part.done", map[string]any{"item_id": rd.open["id"], "output_index": idx, "content_index": 0, "part": part})
		done = rd.messageItem(p, text, status)
	} else {
		rd.ev(sw, "response.function_call_arguments.done", map[string]any{"item_id": rd.open["id"], "output_index": idx, "arguments": text, "name": rd.open["name"]})
		done = map[string]any{}
		for k, v := range rd.open {
			done[k] = v
		}
		done["arguments"], done["status"] = text, "completed"
	}
	rd.ev(sw, "response.output_item.done", map[string]any{"output_index": idx, "item": done})
	rd.items = append(rd.items, done)
	rd.open = nil
	rd.text.Reset()
}

func (rd *responsesRenderer) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	if u.ti >= 0 && u.k == 0 {
		rd.closeOpen(sw, p, "completed")
		tc := p.choices[u.ci].toolCalls[u.ti]
		rd.open = rd.callItem(p, u.ti, tc, "", "in_progress")
		rd.ev(sw, "response.output_item.added", map[string]any{"output_index": len(rd.items), "item": rd.open})
	}
	rd.text.WriteString(u.tok)
	rd.delta(sw, u.ti < 0, u.tok)
}

// delta sends a text or arguments delta event. It is written by hand
// into the writer's buffer, the keys in encoding/json's order for the
// map ev would marshal (sorted); TestResponsesMatchEncodingJSON holds it
// to ev's rendering.
func (rd *responsesRenderer) delta(sw *sseWriter, text bool, tok string) {
	id, _ := rd.open["id"].(string)
	b := sw.buf[:0]
	if text {
		b = append(b, "event: response.output_text.delta\ndata: {\"content_index\":0,\"delta\":"...)
	} else {
		b = append(b, "event: response.function_call_arguments.delta\ndata: {\"delta\":"...)
	}
	b = appendJSONStringHTML(b, tok)
	b = append(b, `,"item_id":`...)
	b = appendJSONStringHTML(b, id)
	if text {
		b = append(b, `,"logprobs":[]`...)
	}
	b = append(b, `,"output_index":`...)
	b = appendInt(b, len(rd.items))
	b = append(b, `,"sequence_number":`...)
	b = appendInt(b, rd.seq)
	rd.seq++
	if text {
		b = append(b, `,"type":"response.output_text.delta"}`+"\n\n"...)
	} else {
		b = append(b, `,"type":"response.function_call_arguments.delta"}`+"\n\n"...)
	}
	sw.buf = b
	sw.raw(b)
}

func (rd *responsesRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	_, status := rd.finalItems(p)
	rd.closeOpen(sw, p, status)
	typ := "response.completed"
	if status == "incomplete" {
		typ = "response.incomplete"
	}
	rd.responseEvent(sw, typ, c, p, status, marshalItems(rd.items), true)
}

func (rd *responsesRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	rd.ev(sw, "error", map[string]any{"code": "server_error", "message": "The server had an error while processing your request. Sorry about that!", "param": nil})
}

func (rd *responsesRenderer) streamMalformed(sw *sseWriter, c *call, p *plan) {
	sw.event("response.output_text.delta", []byte(`{"type":"response.output_text.delta","delta":"\u00`))
}
