package traffic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Result is what one request did.
type Result struct {
	Kind    string
	Outcome string
	Start   time.Time
	Status  int           // HTTP status; 0 when none came back
	Latency time.Duration // to the end of the body or stream
	TTFT    time.Duration // streams: to the first content chunk
	// Tokens and cost as the response reported them.
	InputTokens, OutputTokens int64
	CostUSD                   float64
	// Detail says why the outcome is not ok.
	Detail string
}

// maxResponse caps how much of a response is read.
const maxResponse = 8 << 20

var (
	chatPrompts = []string{
		"Summarize our refund policy in two sentences.",
		"Write a friendly reply to a customer whose order is late.",
		"Explain what a circuit breaker does in a service, briefly.",
		"List three ways to reduce the cost of LLM calls.",
		"Translate 'thank you for your patience' into French.",
	}
	jsonPrompts = []string{
		`Return a JSON object {"city": ..., "country": ...} for the Eiffel Tower.`,
		`Classify the sentiment of "the delivery was quick" as JSON {"sentiment": ...}.`,
		`Extract {"name": ..., "amount": ...} as JSON from "Ada paid 42 euros".`,
	}
	agentTasks = []string{
		"Find the latest news about vector databases and summarize it.",
		"Check the account balance and the status of charge ch_000001.",
		"Search for our shipping policy and answer: how long does delivery take?",
	}
)

// canaryPrompt contains the marker mockllm and the gateway recognise.
const canaryPrompt = "This is a drill canary: reply with the canary phrase, nothing else."

func (g *Generator) send(kind string, seq int64) Result {
	res := Result{Kind: kind, Start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.Timeout)
	defer cancel()
	var (
		path string
		body any
	)
	pick := func(list []string) string { return list[int(seq)%len(list)] }
	msg := func(s string) []map[string]string { return []map[string]string{{"role": "user", "content": s}} }
	switch kind {
	case KindAgent:
		path, body = "/v1/agent/run", map[string]any{"task": pick(agentTasks)}
	case KindStream:
		path, body = "/v1/chat/completions", map[string]any{"model": g.cfg.Model, "messages": msg(pick(chatPrompts)),
			"stream": true, "stream_options": map[string]bool{"include_usage": true}}
	case KindJSON:
		path, body = "/v1/chat/completions", map[string]any{"model": g.cfg.Model, "messages": msg(pick(jsonPrompts)),
			"response_format": map[string]string{"type": "json_object"}}
	case KindCanary:
		path, body = "/v1/chat/completions", map[string]any{"model": g.cfg.Model, "messages": msg(canaryPrompt)}
	default:
		path, body = "/v1/chat/completions", map[string]any{"model": g.cfg.Model, "messages": msg(pick(chatPrompts))}
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.target+path, bytes.NewReader(b))
	if err != nil {
		return g.fail(res, OutcomeError, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	if kind == KindStream {
		req.Header.Set("Accept", "text/event-stream")
	}
	if g.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+g.cfg.APIKey)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		res.Latency = time.Since(res.Start)
		return g.fail(res, transportOutcome(ctx, err), err.Error())
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		res.Latency = time.Since(res.Start)
		return g.fail(res, OutcomeError, fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	if kind == KindStream {
		return g.readStream(ctx, resp, res)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	res.Latency = time.Since(res.Start)
	if err != nil {
		if o := transportOutcome(ctx, err); o == OutcomeTimeout {
			return g.fail(res, o, err.Error())
		}
		return g.fail(res, OutcomeInvalid, "body cut short: "+err.Error())
	}
	if kind == KindAgent {
		return g.checkAgent(res, data)
	}
	return g.checkChat(res, data)
}

func (g *Generator) fail(res Result, outcome, why string) Result {
	res.Outcome, res.Detail = outcome, why
	return res
}

// transportOutcome tells a timeout from any other failure.
func transportOutcome(ctx context.Context, err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()) {
		return OutcomeTimeout
	}
	return OutcomeError
}

type usage struct {
	PromptTokens     int64    `json:"prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens"`
	InputTokens      int64    `json:"input_tokens"`
	OutputTokens     int64    `json:"output_tokens"`
	CostUSD          *float64 `json:"cost_usd"`
	Cost             *float64 `json:"cost"`
}

func (u *usage) apply(res *Result) {
	if u == nil {
		return
	}
	res.InputTokens = max(u.PromptTokens, u.InputTokens)
	res.OutputTokens = max(u.CompletionTokens, u.OutputTokens)
	switch {
	case u.CostUSD != nil:
		res.CostUSD = *u.CostUSD
	case u.Cost != nil:
		res.CostUSD = *u.Cost
	}
}

type completion struct {
	Choices []struct {
		Message *struct {
			Content *string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Content string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
	Usage   *usage   `json:"usage"`
	CostUSD *float64 `json:"cost_usd"`
}

func (g *Generator) checkChat(res Result, data []byte) Result {
	var c completion
	if err := json.Unmarshal(data, &c); err != nil {
		return g.fail(res, OutcomeInvalid, "response is not JSON: "+err.Error())
	}
	c.Usage.apply(&res)
	if c.CostUSD != nil {
		res.CostUSD = *c.CostUSD
	}
	if len(c.Choices) == 0 || c.Choices[0].Message == nil || c.Choices[0].Message.Content == nil {
		return g.fail(res, OutcomeInvalid, "no choices[0].message.content")
	}
	return g.checkContent(res, *c.Choices[0].Message.Content)
}

// checkContent applies the kind's own check to an answer.
func (g *Generator) checkContent(res Result, content string) Result {
	switch res.Kind {
	case KindJSON:
		if !json.Valid([]byte(strings.TrimSpace(content))) {
			return g.fail(res, OutcomeInvalid, "JSON mode answer does not parse as JSON")
		}
	case KindCanary:
		if !strings.Contains(content, g.cfg.CanaryAnswer) {
			return g.fail(res, OutcomeInvalid, fmt.Sprintf("canary answer %q does not contain %q", truncate(content, 80), g.cfg.CanaryAnswer))
		}
	default:
		if strings.TrimSpace(content) == "" {
			return g.fail(res, OutcomeInvalid, "empty answer")
		}
	}
	res.Outcome = OutcomeOK
	return res
}

func (g *Generator) checkAgent(res Result, data []byte) Result {
	var a struct {
		Answer    *string  `json:"answer"`
		Steps     *int     `json:"steps"`
		ToolCalls *int     `json:"tool_calls"`
		CostUSD   *float64 `json:"cost_usd"`
		Usage     *usage   `json:"usage"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return g.fail(res, OutcomeInvalid, "agent response is not JSON: "+err.Error())
	}
	a.Usage.apply(&res)
	if a.CostUSD != nil {
		res.CostUSD = *a.CostUSD
	}
	switch {
	case a.Answer == nil || strings.TrimSpace(*a.Answer) == "":
		return g.fail(res, OutcomeInvalid, "agent gave no answer")
	case a.Steps == nil || a.ToolCalls == nil:
		return g.fail(res, OutcomeInvalid, "agent response lacks steps or tool_calls")
	}
	res.Outcome = OutcomeOK
	return res
}

// readStream reads an SSE chat stream to its end; it is valid only if it
// ends with data: [DONE].
func (g *Generator) readStream(ctx context.Context, resp *http.Response, res Result) Result {
	sc := bufio.NewScanner(io.LimitReader(resp.Body, maxResponse))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var content strings.Builder
	done := false
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // comments, event: lines, blank separators
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			done = true
			break
		}
		var c completion
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			res.Latency = time.Since(res.Start)
			return g.fail(res, OutcomeInvalid, "stream chunk is not JSON: "+err.Error())
		}
		if c.Usage != nil {
			c.Usage.apply(&res)
		}
		if len(c.Choices) > 0 && c.Choices[0].Delta != nil && c.Choices[0].Delta.Content != "" {
			if res.TTFT == 0 {
				res.TTFT = time.Since(res.Start)
			}
			content.WriteString(c.Choices[0].Delta.Content)
		}
	}
	res.Latency = time.Since(res.Start)
	if err := sc.Err(); err != nil && !done {
		if transportOutcome(ctx, err) == OutcomeTimeout {
			return g.fail(res, OutcomeTimeout, "stream timed out: "+err.Error())
		}
		return g.fail(res, OutcomeInvalid, "stream cut: "+err.Error())
	}
	if !done {
		return g.fail(res, OutcomeInvalid, "stream ended without data: [DONE]")
	}
	return g.checkContent(res, content.String())
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
