package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// Streaming from Gemini (streamGenerateContent, alt=sse) and Bedrock
// (ConverseStream, the binary event stream): each upstream event becomes
// OpenAI chat.completion.chunk events for the client as it arrives.

// maxStreamEvent bounds one upstream stream event (an SSE line or an
// event stream message's payload).
const maxStreamEvent = 1 << 20

// chunkWriter writes OpenAI stream chunks to the client.
type chunkWriter struct {
	rec     *statusRecorder
	id      string
	model   string
	created int64
	started bool
	failed  bool // the client went away
}

func (cw *chunkWriter) event(choices []any, u *usage) {
	if cw.failed {
		return
	}
	m := map[string]any{"id": cw.id, "object": "chat.completion.chunk", "created": cw.created, "model": cw.model, "choices": choices}
	if u != nil {
		m["usage"] = u
	}
	b, _ := json.Marshal(m)
	if _, err := fmt.Fprintf(cw.rec, "data: %s\n\n", b); err != nil {
		cw.failed = true
		return
	}
	cw.rec.Flush()
}

func (cw *chunkWriter) delta(d map[string]any, finish any) {
	if !cw.started {
		d["role"] = "assistant"
		cw.started = true
	}
	cw.event([]any{map[string]any{"index": 0, "delta": d, "finish_reason": finish}}, nil)
}

// streamResult is what a translated stream carried.
type streamResult struct {
	content    string
	usage      *usage
	done       bool // the upstream ended the answer properly
	readErr    error
	clientGone bool
}

// translateGemini reads Gemini SSE events ("data: {GenerateContentResponse}")
// and writes them as OpenAI chunks. The answer is done at the chunk with a
// finishReason; usageMetadata is read from every chunk, the last one wins.
func translateGemini(body io.Reader, cw *chunkWriter) streamResult {
	var res streamResult
	var content bytes.Buffer
	finish := ""
	toolCalls := 0
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxStreamEvent)
	for sc.Scan() && !cw.failed {
		data, ok := bytes.CutPrefix(bytes.TrimSpace(sc.Bytes()), []byte("data:"))
		if !ok {
			continue
		}
		var g geminiResponse
		var e struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && len(e.Error) > 0 {
			res.readErr = fmt.Errorf("stream error from Gemini: %s", truncate(string(e.Error), 200))
			break
		}
		if err := json.Unmarshal(data, &g); err != nil {
			res.readErr = fmt.Errorf("stream chunk from Gemini is not JSON: %w", err)
			break
		}
		if cw.id == "" {
			cw.id = g.ResponseID
		}
		if u := g.UsageMetadata; u != nil {
			out := u.CandidatesTokenCount + u.ThoughtsTokenCount
			res.usage = &usage{PromptTokens: u.PromptTokenCount, CompletionTokens: out, TotalTokens: u.PromptTokenCount + out}
		}
		if len(g.Candidates) == 0 {
			continue
		}
		c := g.Candidates[0]
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				if p.Text != "" {
					content.WriteString(p.Text)
					cw.delta(map[string]any{"content": p.Text}, nil)
				}
				if fc := p.FunctionCall; fc != nil {
					args := string(fc.Args)
					if args == "" {
						args = "{}"
					}
					id := fc.ID
					if id == "" {
						id = fmt.Sprintf("call_%s_%d", cw.id, toolCalls)
					}
					cw.delta(map[string]any{"tool_calls": []any{map[string]any{"index": toolCalls, "id": id, "type": "function",
						"function": map[string]any{"name": fc.Name, "arguments": args}}}}, nil)
					toolCalls++
				}
			}
		}
		if c.FinishReason != "" {
			finish = geminiFinishReason(c.FinishReason, toolCalls > 0)
		}
	}
	if err := sc.Err(); err != nil && res.readErr == nil {
		res.readErr = err
	}
	res.content, res.clientGone = content.String(), cw.failed
	if finish != "" && res.readErr == nil && !cw.failed {
		cw.delta(map[string]any{}, finish)
		cw.event([]any{}, res.usage)
		if !cw.failed {
			_, err := io.WriteString(cw.rec, "data: [DONE]\n\n")
			cw.failed = err != nil
			cw.rec.Flush()
		}
		res.done, res.clientGone = !cw.failed, cw.failed
	}
	return res
}

// geminiFinishReason is the OpenAI finish reason of a Gemini one.
func geminiFinishReason(r string, toolCalls bool) string {
	switch r {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
		return "content_filter"
	}
	if toolCalls {
		return "tool_calls"
	}
	return "stop"
}

// converseFinishReason is the OpenAI finish reason of a Converse
// stopReason.
func converseFinishReason(r string) string {
	switch r {
	case "tool_use":
		return "tool_calls"
	case "max_tokens":
		return "length"
	case "content_filtered", "guardrail_intervened":
		return "content_filter"
	}
	return "stop"
}

// translateConverse reads a ConverseStream event stream, decoded (CRCs
// checked) by the AWS SDK's eventstream decoder, and writes it as OpenAI
// chunks: contentBlockDelta text and toolUse input, messageStop's
// stopReason, metadata's usage. The answer is done once both messageStop
// and metadata arrived; an exception message ends it broken.
func translateConverse(body io.Reader, cw *chunkWriter) streamResult {
	var res streamResult
	var content bytes.Buffer
	dec := eventstream.NewDecoder(func(o *eventstream.DecoderOptions) {})
	buf := make([]byte, 0, 4<<10)
	finish := ""
	gotMeta := false
	tools := map[int]int{} // content block index -> tool call index
	for !cw.failed {
		msg, err := dec.Decode(body, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.readErr = err
			}
			break
		}
		if len(msg.Payload) > maxStreamEvent {
			res.readErr = fmt.Errorf("event stream message of %d bytes, above %d", len(msg.Payload), maxStreamEvent)
			break
		}
		header := func(name string) string {
			if v := msg.Headers.Get(name); v != nil {
				return v.String()
			}
			return ""
		}
		if mt := header(":message-type"); mt != "event" {
			res.readErr = fmt.Errorf("event stream %s from Bedrock %s: %s", mt, header(":exception-type")+header(":error-code"), truncate(string(msg.Payload), 200))
			break
		}
		switch header(":event-type") {
		case "contentBlockStart":
			var ev struct {
				ContentBlockIndex int `json:"contentBlockIndex"`
				Start             struct {
					ToolUse *struct {
						ToolUseID string `json:"toolUseId"`
						Name      string `json:"name"`
					} `json:"toolUse"`
				} `json:"start"`
			}
			if json.Unmarshal(msg.Payload, &ev) == nil && ev.Start.ToolUse != nil {
				i := len(tools)
				tools[ev.ContentBlockIndex] = i
				cw.delta(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": ev.Start.ToolUse.ToolUseID, "type": "function",
					"function": map[string]any{"name": ev.Start.ToolUse.Name, "arguments": ""}}}}, nil)
			}
		case "contentBlockDelta":
			var ev struct {
				ContentBlockIndex int `json:"contentBlockIndex"`
				Delta             struct {
					Text    *string `json:"text"`
					ToolUse *struct {
						Input string `json:"input"`
					} `json:"toolUse"`
				} `json:"delta"`
			}
			if err := json.Unmarshal(msg.Payload, &ev); err != nil {
				res.readErr = fmt.Errorf("contentBlockDelta from Bedrock is not JSON: %w", err)
				break
			}
			if t := ev.Delta.Text; t != nil && *t != "" {
				content.WriteString(*t)
				cw.delta(map[string]any{"content": *t}, nil)
			}
			if tu := ev.Delta.ToolUse; tu != nil {
				cw.delta(map[string]any{"tool_calls": []any{map[string]any{"index": tools[ev.ContentBlockIndex],
					"function": map[string]any{"arguments": tu.Input}}}}, nil)
			}
		case "messageStop":
			var ev struct {
				StopReason string `json:"stopReason"`
			}
			_ = json.Unmarshal(msg.Payload, &ev)
			finish = converseFinishReason(ev.StopReason)
		case "metadata":
			var ev converseResponse
			if json.Unmarshal(msg.Payload, &ev) == nil && ev.Usage != nil {
				res.usage = &usage{PromptTokens: ev.Usage.InputTokens, CompletionTokens: ev.Usage.OutputTokens,
					TotalTokens: ev.Usage.InputTokens + ev.Usage.OutputTokens}
				gotMeta = true
			}
		}
		if res.readErr != nil {
			break
		}
	}
	res.content, res.clientGone = content.String(), cw.failed
	if finish != "" && gotMeta && res.readErr == nil && !cw.failed {
		cw.delta(map[string]any{}, finish)
		cw.event([]any{}, res.usage)
		if !cw.failed {
			_, err := io.WriteString(cw.rec, "data: [DONE]\n\n")
			cw.failed = err != nil
			cw.rec.Flush()
		}
		res.done, res.clientGone = !cw.failed, cw.failed
	}
	return res
}
