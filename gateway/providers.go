package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The Gemini API and Amazon Bedrock (Converse) upstreams. A streaming
// client is streamed to from streamGenerateContent (alt=sse) and
// ConverseStream (streams.go).

// The Gemini generateContent shapes the gateway translates to and from.

type geminiPart struct {
	Text             string              `json:"text,omitempty"`
	FunctionCall     *geminiFunctionCall `json:"functionCall,omitempty"`
	FunctionResponse *geminiFunctionResp `json:"functionResponse,omitempty"`
}

type geminiFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type geminiFunctionResp struct {
	ID       string         `json:"id,omitempty"`
	Name     string         `json:"name"`
	Response map[string]any `json:"response"`
}

type geminiContent struct {
	Role  string       `json:"role,omitempty"`
	Parts []geminiPart `json:"parts"`
}

type geminiGenConfig struct {
	MaxOutputTokens  *int     `json:"maxOutputTokens,omitempty"`
	Temperature      *float64 `json:"temperature,omitempty"`
	TopP             *float64 `json:"topP,omitempty"`
	StopSequences    []string `json:"stopSequences,omitempty"`
	ResponseMimeType string   `json:"responseMimeType,omitempty"`
}

type geminiFunctionDecl struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

type geminiRequest struct {
	Contents          []geminiContent  `json:"contents"`
	SystemInstruction *geminiContent   `json:"systemInstruction,omitempty"`
	GenerationConfig  *geminiGenConfig `json:"generationConfig,omitempty"`
	Tools             []struct {
		FunctionDeclarations []geminiFunctionDecl `json:"functionDeclarations"`
	} `json:"tools,omitempty"`
}

type geminiResponse struct {
	Candidates []struct {
		Content      *geminiContent `json:"content"`
		FinishReason string         `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount"`
		ThoughtsTokenCount   int `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

// stopList reads an OpenAI stop field: a string or an array of strings.
func stopList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, fmt.Errorf("stop: expected a string or an array of strings")
	}
	return many, nil
}

// maxTokensOf is the client's output cap, max_tokens or
// max_completion_tokens; nil when it set neither.
func maxTokensOf(r *chatRequest) *int {
	if r.MaxTokens != nil {
		return r.MaxTokens
	}
	return r.MaxCompletionTokens
}

// toolArgs checks a tool call's arguments are a JSON object, as Gemini's
// args and Bedrock's input must be.
func toolArgs(tc toolCall, i, j int) (json.RawMessage, error) {
	args := bytes.TrimSpace([]byte(tc.Function.Arguments))
	if len(args) == 0 {
		return json.RawMessage("{}"), nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(args, &obj) != nil || obj == nil {
		return nil, fmt.Errorf("messages[%d].tool_calls[%d].function.arguments: expected a JSON object", i, j)
	}
	return args, nil
}

// toGemini translates an OpenAI chat request to a generateContent request:
// system messages become the systemInstruction, assistant turns role
// "model" with functionCall parts, tool results functionResponse parts in
// a user turn (named after the call they answer). JSON mode is
// responseMimeType application/json.
func toGemini(r *chatRequest) (*geminiRequest, error) {
	out := &geminiRequest{}
	gc := &geminiGenConfig{MaxOutputTokens: maxTokensOf(r), Temperature: r.Temperature, TopP: r.TopP}
	stops, err := stopList(r.Stop)
	if err != nil {
		return nil, err
	}
	gc.StopSequences = stops
	if r.jsonMode() {
		gc.ResponseMimeType = "application/json"
	}
	if gc.MaxOutputTokens != nil || gc.Temperature != nil || gc.TopP != nil || len(gc.StopSequences) > 0 || gc.ResponseMimeType != "" {
		out.GenerationConfig = gc
	}
	add := func(role string, parts ...geminiPart) {
		if n := len(out.Contents); n > 0 && out.Contents[n-1].Role == role {
			out.Contents[n-1].Parts = append(out.Contents[n-1].Parts, parts...)
			return
		}
		out.Contents = append(out.Contents, geminiContent{Role: role, Parts: parts})
	}
	var system []geminiPart
	names := map[string]string{} // tool call ID -> function name
	for i, m := range r.Messages {
		text := contentText(m.Content)
		switch m.Role {
		case "system", "developer":
			system = append(system, geminiPart{Text: text})
		case "user":
			add("user", geminiPart{Text: text})
		case "assistant":
			var parts []geminiPart
			if text != "" {
				parts = append(parts, geminiPart{Text: text})
			}
			for j, tc := range m.ToolCalls {
				args, err := toolArgs(tc, i, j)
				if err != nil {
					return nil, err
				}
				names[tc.ID] = tc.Function.Name
				parts = append(parts, geminiPart{FunctionCall: &geminiFunctionCall{Name: tc.Function.Name, Args: args}})
			}
			if len(parts) == 0 {
				parts = append(parts, geminiPart{Text: ""})
			}
			add("model", parts...)
		case "tool":
			name, ok := names[m.ToolCallID]
			if !ok {
				return nil, fmt.Errorf("messages[%d].tool_call_id: no earlier assistant tool call has ID %q (Gemini names a function response after its call)", i, m.ToolCallID)
			}
			add("user", geminiPart{FunctionResponse: &geminiFunctionResp{Name: name, Response: map[string]any{"content": text}}})
		}
	}
	if len(system) > 0 {
		out.SystemInstruction = &geminiContent{Parts: system}
	}
	if len(r.Tools) > 0 {
		var decls []geminiFunctionDecl
		for _, t := range r.Tools {
			decls = append(decls, geminiFunctionDecl{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
		}
		out.Tools = append(out.Tools, struct {
			FunctionDeclarations []geminiFunctionDecl `json:"functionDeclarations"`
		}{decls})
	}
	return out, nil
}

// fromGemini translates a generateContent response to an OpenAI chat
// completion. Thinking tokens are billed as output, as Google bills them.
// A prompt blocked before generation (no candidates, a promptFeedback
// blockReason) is an empty answer with finish reason content_filter.
func fromGemini(g *geminiResponse, model string, created int64) (*chatResponse, error) {
	if g.UsageMetadata == nil {
		return nil, fmt.Errorf("no usageMetadata")
	}
	msg := chatMessage{Role: "assistant"}
	finish := ""
	switch {
	case len(g.Candidates) > 0:
		var text strings.Builder
		c := g.Candidates[0]
		if c.Content != nil {
			for i, p := range c.Content.Parts {
				text.WriteString(p.Text)
				if fc := p.FunctionCall; fc != nil {
					var tc toolCall
					tc.ID, tc.Type = fc.ID, "function"
					if tc.ID == "" {
						tc.ID = fmt.Sprintf("call_%s_%d", g.ResponseID, i)
					}
					tc.Function.Name = fc.Name
					tc.Function.Arguments = string(fc.Args)
					if len(fc.Args) == 0 {
						tc.Function.Arguments = "{}"
					}
					msg.ToolCalls = append(msg.ToolCalls, tc)
				}
			}
		}
		msg.Content = textContent(text.String())
		switch c.FinishReason {
		case "STOP", "":
			finish = "stop"
		case "MAX_TOKENS":
			finish = "length"
		case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
			finish = "content_filter"
		default: // MALFORMED_FUNCTION_CALL, OTHER, LANGUAGE, ...
			finish = "stop"
		}
		if len(msg.ToolCalls) > 0 && finish == "stop" {
			finish = "tool_calls"
		}
	case g.PromptFeedback != nil && g.PromptFeedback.BlockReason != "":
		msg.Content = textContent("")
		finish = "content_filter"
	default:
		return nil, fmt.Errorf("no candidates")
	}
	if g.ModelVersion != "" {
		model = g.ModelVersion
	}
	u := g.UsageMetadata
	out := u.CandidatesTokenCount + u.ThoughtsTokenCount
	return &chatResponse{
		ID: g.ResponseID, Object: "chat.completion", Created: created, Model: model,
		Choices: []chatChoice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage:   &usage{PromptTokens: u.PromptTokenCount, CompletionTokens: out, TotalTokens: u.PromptTokenCount + out},
	}, nil
}

// geminiURL is the generateContent (or streamGenerateContent, as SSE) URL
// of model under base: a base ending in /v1beta or /v1 is the API root,
// any other gets /v1beta.
func geminiURL(base, model string, stream bool) string {
	base = strings.TrimRight(base, "/")
	if !strings.HasSuffix(base, "/v1beta") && !strings.HasSuffix(base, "/v1") {
		base += "/v1beta"
	}
	if stream {
		return base + "/models/" + url.PathEscape(model) + ":streamGenerateContent?alt=sse"
	}
	return base + "/models/" + url.PathEscape(model) + ":generateContent"
}

// geminiError reads Google's {"error": {"code", "message", "status",
// "details"}}: the status as the error type, the RetryInfo delay.
func geminiError(body []byte) (*apiError, time.Duration) {
	var b struct {
		Error *struct {
			Message string `json:"message"`
			Status  string `json:"status"`
			Details []struct {
				Type       string `json:"@type"`
				RetryDelay string `json:"retryDelay"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil || b.Error == nil || b.Error.Message == "" {
		return nil, 0
	}
	var delay time.Duration
	for _, d := range b.Error.Details {
		if strings.HasSuffix(d.Type, "google.rpc.RetryInfo") {
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				delay = v
			}
		}
	}
	typ := strings.ToLower(b.Error.Status)
	if typ == "" {
		typ = "upstream_error"
	}
	return &apiError{Type: typ, Code: b.Error.Status, Message: b.Error.Message}, delay
}

// The Bedrock Converse shapes.

type converseBlock struct {
	Text       *string          `json:"text,omitempty"`
	ToolUse    *converseToolUse `json:"toolUse,omitempty"`
	ToolResult *struct {
		ToolUseID string              `json:"toolUseId"`
		Content   []map[string]string `json:"content"`
	} `json:"toolResult,omitempty"`
}

type converseToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type converseMessage struct {
	Role    string          `json:"role"`
	Content []converseBlock `json:"content"`
}

type converseToolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

type converseRequest struct {
	Messages        []converseMessage `json:"messages"`
	System          []converseBlock   `json:"system,omitempty"`
	InferenceConfig *struct {
		MaxTokens     *int     `json:"maxTokens,omitempty"`
		Temperature   *float64 `json:"temperature,omitempty"`
		TopP          *float64 `json:"topP,omitempty"`
		StopSequences []string `json:"stopSequences,omitempty"`
	} `json:"inferenceConfig,omitempty"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec converseToolSpec `json:"toolSpec"`
		} `json:"tools"`
	} `json:"toolConfig,omitempty"`
}

type converseResponse struct {
	Output *struct {
		Message *converseMessage `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      *struct {
		InputTokens  int `json:"inputTokens"`
		OutputTokens int `json:"outputTokens"`
	} `json:"usage"`
}

func strPtr(s string) *string { return &s }

// toConverse translates an OpenAI chat request to a Converse request:
// system messages become system blocks, tool calls toolUse blocks, tool
// results toolResult blocks in a user turn; consecutive turns of one role
// merge, as Converse requires alternation. Converse has no JSON mode: it
// is asked for in the system prompt, and the answer validated as usual.
func toConverse(r *chatRequest) (*converseRequest, error) {
	out := &converseRequest{}
	stops, err := stopList(r.Stop)
	if err != nil {
		return nil, err
	}
	if mt := maxTokensOf(r); mt != nil || r.Temperature != nil || r.TopP != nil || len(stops) > 0 {
		out.InferenceConfig = &struct {
			MaxTokens     *int     `json:"maxTokens,omitempty"`
			Temperature   *float64 `json:"temperature,omitempty"`
			TopP          *float64 `json:"topP,omitempty"`
			StopSequences []string `json:"stopSequences,omitempty"`
		}{mt, r.Temperature, r.TopP, stops}
	}
	if r.jsonMode() {
		out.System = append(out.System, converseBlock{Text: strPtr("Respond with a single valid JSON value and nothing else.")})
	}
	add := func(role string, blocks ...converseBlock) {
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			out.Messages[n-1].Content = append(out.Messages[n-1].Content, blocks...)
			return
		}
		out.Messages = append(out.Messages, converseMessage{Role: role, Content: blocks})
	}
	for i, m := range r.Messages {
		text := contentText(m.Content)
		switch m.Role {
		case "system", "developer":
			out.System = append(out.System, converseBlock{Text: strPtr(text)})
		case "user":
			add("user", converseBlock{Text: strPtr(text)})
		case "assistant":
			var blocks []converseBlock
			if text != "" {
				blocks = append(blocks, converseBlock{Text: strPtr(text)})
			}
			for j, tc := range m.ToolCalls {
				args, err := toolArgs(tc, i, j)
				if err != nil {
					return nil, err
				}
				blocks = append(blocks, converseBlock{ToolUse: &converseToolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: args}})
			}
			if len(blocks) == 0 {
				blocks = append(blocks, converseBlock{Text: strPtr("")})
			}
			add("assistant", blocks...)
		case "tool":
			b := converseBlock{ToolResult: &struct {
				ToolUseID string              `json:"toolUseId"`
				Content   []map[string]string `json:"content"`
			}{m.ToolCallID, []map[string]string{{"text": text}}}}
			add("user", b)
		}
	}
	if len(r.Tools) > 0 {
		out.ToolConfig = &struct {
			Tools []struct {
				ToolSpec converseToolSpec `json:"toolSpec"`
			} `json:"tools"`
		}{}
		for _, t := range r.Tools {
			var spec converseToolSpec
			spec.Name, spec.Description = t.Function.Name, t.Function.Description
			spec.InputSchema.JSON = t.Function.Parameters
			if len(spec.InputSchema.JSON) == 0 {
				spec.InputSchema.JSON = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			out.ToolConfig.Tools = append(out.ToolConfig.Tools, struct {
				ToolSpec converseToolSpec `json:"toolSpec"`
			}{spec})
		}
	}
	return out, nil
}

// fromConverse translates a Converse response to an OpenAI chat
// completion; id is the request's x-amzn-RequestId (Converse answers carry
// no ID of their own).
func fromConverse(c *converseResponse, id, model string, created int64) (*chatResponse, error) {
	if c.Output == nil || c.Output.Message == nil {
		return nil, fmt.Errorf("no output.message")
	}
	if c.Usage == nil {
		return nil, fmt.Errorf("no usage")
	}
	msg := chatMessage{Role: "assistant"}
	var text strings.Builder
	for _, b := range c.Output.Message.Content {
		if b.Text != nil {
			text.WriteString(*b.Text)
		}
		if tu := b.ToolUse; tu != nil {
			var tc toolCall
			tc.ID, tc.Type = tu.ToolUseID, "function"
			tc.Function.Name = tu.Name
			tc.Function.Arguments = string(tu.Input)
			if len(tu.Input) == 0 {
				tc.Function.Arguments = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, tc)
		}
	}
	msg.Content = textContent(text.String())
	finish := "stop"
	switch c.StopReason {
	case "tool_use":
		finish = "tool_calls"
	case "max_tokens":
		finish = "length"
	case "content_filtered", "guardrail_intervened":
		finish = "content_filter"
	}
	return &chatResponse{
		ID: "chatcmpl-" + id, Object: "chat.completion", Created: created, Model: model,
		Choices: []chatChoice{{Index: 0, Message: msg, FinishReason: finish}},
		Usage: &usage{PromptTokens: c.Usage.InputTokens, CompletionTokens: c.Usage.OutputTokens,
			TotalTokens: c.Usage.InputTokens + c.Usage.OutputTokens},
	}, nil
}

// bedrockURL is the Converse (or ConverseStream) URL of modelID under the
// Bedrock Runtime endpoint base.
func bedrockURL(base, modelID string, stream bool) string {
	u := strings.TrimRight(base, "/") + "/model/" + url.PathEscape(modelID) + "/converse"
	if stream {
		u += "-stream"
	}
	return u
}

// bedrockRegion is the region of a bedrock-runtime.{region}.amazonaws.com
// endpoint; any other host (a mock, a proxy) signs for us-east-1.
func bedrockRegion(base string) string {
	u, err := url.Parse(base)
	if err == nil {
		parts := strings.Split(u.Hostname(), ".")
		if len(parts) >= 4 && strings.HasPrefix(parts[0], "bedrock-runtime") && parts[len(parts)-2] == "amazonaws" {
			return parts[1]
		}
	}
	return "us-east-1"
}

// bedrockCredentials splits an api_key of the form
// ACCESS_KEY_ID:SECRET_ACCESS_KEY; ok is false for any other key, which is
// sent as a Bedrock API key (Authorization: Bearer).
func bedrockCredentials(key string) (aws.Credentials, bool) {
	id, secret, ok := strings.Cut(key, ":")
	if !ok || id == "" || secret == "" {
		return aws.Credentials{}, false
	}
	return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, Source: "drill gateway config"}, true
}

// authorizeBedrock signs hreq with SigV4 (service bedrock) when the key is
// a key pair, or sets it as a Bedrock API key.
func authorizeBedrock(ctx context.Context, hreq *http.Request, up *upstream, body []byte, now time.Time) error {
	creds, ok := bedrockCredentials(up.APIKey)
	if !ok {
		hreq.Header.Set("Authorization", "Bearer "+up.APIKey)
		return nil
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, creds, hreq, hex.EncodeToString(sum[:]), "bedrock", bedrockRegion(up.BaseURL), now)
}

// bedrockRetriable are the exceptions the AWS SDK retries, whatever their
// status.
var bedrockRetriable = map[string]bool{
	"ThrottlingException": true, "ServiceUnavailableException": true, "InternalServerException": true,
	"ModelTimeoutException": true, "ModelNotReadyException": true, "ServiceQuotaExceededException": false,
}

// bedrockErrorType is the exception name of an error answer, from
// x-amzn-ErrorType ("Name:namespace") or the body's __type.
func bedrockErrorType(h http.Header, body []byte) string {
	t := h.Get("X-Amzn-Errortype")
	if t == "" {
		var b struct {
			Type string `json:"__type"`
		}
		if json.Unmarshal(body, &b) == nil {
			t = b.Type
		}
	}
	if i := strings.IndexByte(t, ':'); i >= 0 {
		t = t[:i]
	}
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

// bedrockError is an error answer as the gateway's: the exception as the
// type, Bedrock's message.
func bedrockError(typ string, body []byte) *apiError {
	var b struct {
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	msg := b.Message
	if msg == "" {
		msg = b.MessageU
	}
	if msg == "" {
		return nil
	}
	if typ == "" {
		typ = "upstream_error"
	}
	return &apiError{Type: typ, Code: typ, Message: msg}
}

// providerError reads an error answer of a Gemini or Bedrock upstream
// into o: its error for the client, its retry hints.
func providerError(kind string, h http.Header, o *outcome) {
	switch kind {
	case KindGemini:
		e, delay := geminiError(o.body)
		o.err = e
		if delay > o.retryAfter {
			o.retryAfter = delay
		}
	case KindBedrock:
		typ := bedrockErrorType(h, o.body)
		o.err = bedrockError(typ, o.body)
		if bedrockRetriable[typ] {
			o.retriable = true
		}
	}
	if o.err != nil {
		o.err.status = o.status
	}
}

// parseAnswer translates a non-OpenAI upstream's 2xx body to an OpenAI
// chat completion.
func (s *Server) parseAnswer(res *upstreamCall) (*chatResponse, error) {
	created := s.cfg.Now().Unix()
	switch res.up.Kind {
	case KindAnthropic:
		var a anthropicResponse
		if err := json.Unmarshal(res.body, &a); err != nil {
			return nil, err
		}
		if a.Type != "message" {
			return nil, fmt.Errorf("type is %q, expected \"message\"", a.Type)
		}
		return fromAnthropic(&a, created), nil
	case KindGemini:
		var g geminiResponse
		if err := json.Unmarshal(res.body, &g); err != nil {
			return nil, err
		}
		return fromGemini(&g, res.up.Model, created)
	case KindBedrock:
		var c converseResponse
		if err := json.Unmarshal(res.body, &c); err != nil {
			return nil, err
		}
		id := res.resp.Header.Get("X-Amzn-Requestid")
		if id == "" {
			id = strconv.FormatInt(time.Now().UnixNano(), 36)
		}
		return fromConverse(&c, id, res.up.Model, created)
	}
	return nil, fmt.Errorf("unknown upstream kind %q", res.up.Kind)
}
