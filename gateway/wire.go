package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The OpenAI chat completions shapes the gateway reads. Requests from
// clients are forwarded as raw JSON (fields the gateway does not know pass
// through untouched); these types are the view it needs for routing,
// validation, translation and the agent loop.

type chatMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content,omitempty"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []toolCall      `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

type toolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type toolDef struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
	} `json:"function"`
}

type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	Stream              bool            `json:"stream,omitempty"`
	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format,omitempty"`
	Tools []toolDef `json:"tools,omitempty"`
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatChoice struct {
	Index        int         `json:"index"`
	Message      chatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

type chatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *usage       `json:"usage,omitempty"`
}

// jsonMode reports whether the client asked for JSON output.
func (r *chatRequest) jsonMode() bool {
	return r.ResponseFormat != nil && (r.ResponseFormat.Type == "json_object" || r.ResponseFormat.Type == "json_schema")
}

// isCanary reports whether a user message contains the canary marker.
func (r *chatRequest) isCanary(marker string) bool {
	marker = strings.ToLower(marker)
	for _, m := range r.Messages {
		if m.Role == "user" && strings.Contains(strings.ToLower(contentText(m.Content)), marker) {
			return true
		}
	}
	return false
}

// contentText flattens an OpenAI message content, a string or an array of
// parts, to its text.
func contentText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "text" {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	return ""
}

func textContent(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// validateRequest checks what the gateway relies on, naming the field.
func validateRequest(r *chatRequest) error {
	if len(r.Messages) == 0 {
		return fmt.Errorf("messages: expected at least one message")
	}
	for i, m := range r.Messages {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool":
		default:
			return fmt.Errorf("messages[%d].role: expected system, developer, user, assistant or tool, got %q", i, m.Role)
		}
	}
	return nil
}

// The Anthropic Messages API shapes the gateway translates to and from.

type anthropicRequest struct {
	Model         string             `json:"model"`
	MaxTokens     int                `json:"max_tokens"`
	System        string             `json:"system,omitempty"`
	Messages      []anthropicMessage `json:"messages"`
	Temperature   *float64           `json:"temperature,omitempty"`
	TopP          *float64           `json:"top_p,omitempty"`
	StopSequences []string           `json:"stop_sequences,omitempty"`
	Tools         []anthropicTool    `json:"tools,omitempty"`
}

type anthropicMessage struct {
	Role    string           `json:"role"`
	Content []anthropicBlock `json:"content"`
}

type anthropicBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
}

type anthropicTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type anthropicResponse struct {
	ID         string           `json:"id"`
	Type       string           `json:"type"`
	Model      string           `json:"model"`
	Content    []anthropicBlock `json:"content"`
	StopReason string           `json:"stop_reason"`
	Usage      struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	} `json:"usage"`
}

// defaultAnthropicMaxTokens fills max_tokens, which Anthropic requires and
// OpenAI clients usually omit.
const defaultAnthropicMaxTokens = 1024

// toAnthropic translates an OpenAI chat request to a Messages API request:
// system messages become the system prompt, tool calls become tool_use
// blocks and tool results become tool_result blocks in a user turn.
// Consecutive turns of the same role are merged, as Anthropic requires
// alternation.
func toAnthropic(r *chatRequest, model string) (*anthropicRequest, error) {
	out := &anthropicRequest{Model: model, MaxTokens: defaultAnthropicMaxTokens, Temperature: r.Temperature, TopP: r.TopP}
	if r.MaxTokens != nil {
		out.MaxTokens = *r.MaxTokens
	} else if r.MaxCompletionTokens != nil {
		out.MaxTokens = *r.MaxCompletionTokens
	}
	if len(r.Stop) > 0 && string(r.Stop) != "null" {
		var one string
		if json.Unmarshal(r.Stop, &one) == nil {
			out.StopSequences = []string{one}
		} else if err := json.Unmarshal(r.Stop, &out.StopSequences); err != nil {
			return nil, fmt.Errorf("stop: expected a string or an array of strings")
		}
	}
	var system []string
	if r.jsonMode() {
		// Anthropic has no JSON mode; ask for it in the system prompt. The
		// answer is still validated like any JSON mode answer.
		system = append(system, "Respond with a single valid JSON value and nothing else.")
	}
	add := func(role string, blocks ...anthropicBlock) {
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			return
		}
		out.Messages = append(out.Messages, anthropicMessage{Role: role, Content: blocks})
	}
	for i, m := range r.Messages {
		text := contentText(m.Content)
		switch m.Role {
		case "system", "developer":
			system = append(system, text)
		case "user":
			add("user", anthropicBlock{Type: "text", Text: text})
		case "assistant":
			var blocks []anthropicBlock
			if text != "" {
				blocks = append(blocks, anthropicBlock{Type: "text", Text: text})
			}
			for j, tc := range m.ToolCalls {
				input := json.RawMessage(tc.Function.Arguments)
				if !json.Valid(input) {
					return nil, fmt.Errorf("messages[%d].tool_calls[%d].function.arguments: expected a JSON object", i, j)
				}
				blocks = append(blocks, anthropicBlock{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: input})
			}
			if len(blocks) == 0 {
				blocks = append(blocks, anthropicBlock{Type: "text", Text: ""})
			}
			add("assistant", blocks...)
		case "tool":
			add("user", anthropicBlock{Type: "tool_result", ToolUseID: m.ToolCallID, Content: text})
		}
	}
	out.System = strings.Join(system, "\n\n")
	for _, t := range r.Tools {
		schema := t.Function.Parameters
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		out.Tools = append(out.Tools, anthropicTool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	return out, nil
}

// fromAnthropic translates a Messages API response to an OpenAI chat
// completion.
func fromAnthropic(a *anthropicResponse, created int64) *chatResponse {
	msg := chatMessage{Role: "assistant"}
	var text strings.Builder
	for _, b := range a.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			var tc toolCall
			tc.ID, tc.Type = b.ID, "function"
			tc.Function.Name = b.Name
			tc.Function.Arguments = string(b.Input)
			if len(b.Input) == 0 {
				tc.Function.Arguments = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, tc)
		}
	}
	msg.Content = textContent(text.String())
	finish := "stop"
	switch a.StopReason {
	case "tool_use":
		finish = "tool_calls"
	case "max_tokens":
		finish = "length"
	}
	return &chatResponse{
		ID: a.ID, Object: "chat.completion", Created: created, Model: a.Model,
		Choices: []chatChoice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage: &usage{PromptTokens: a.Usage.InputTokens, CompletionTokens: a.Usage.OutputTokens,
			TotalTokens: a.Usage.InputTokens + a.Usage.OutputTokens},
	}
}
