package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/drillkit/drill/internal/faultmode"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/require"
)

func openaiClient(s *Server, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(s.URL() + "/v1"), option.WithAPIKey("sk-test"), option.WithMaxRetries(0)}, opts...)...)
}

func anthropicClient(s *Server, opts ...aoption.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]aoption.RequestOption{aoption.WithBaseURL(s.URL()), aoption.WithAPIKey("sk-ant-test"), aoption.WithMaxRetries(0)}, opts...)...)
}

var weatherParams = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"city": map[string]any{"type": "string"},
		"unit": map[string]any{"type": "string", "enum": []any{"celsius", "fahrenheit"}},
		"days": map[string]any{"type": "integer", "minimum": 1, "maximum": 7},
	},
	"required":             []any{"city", "unit", "days"},
	"additionalProperties": false,
}

type weatherArgs struct {
	City string `json:"city"`
	Unit string `json:"unit"`
	Days int    `json:"days"`
}

func checkWeatherArgs(t *testing.T, args string) {
	t.Helper()
	var a weatherArgs
	dec := json.NewDecoder(strings.NewReader(args))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&a), args)
	require.NotEmpty(t, a.City)
	require.Contains(t, []string{"celsius", "fahrenheit"}, a.Unit)
	require.True(t, a.Days >= 1 && a.Days <= 7, args)
}

func TestOpenAIChat(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	ctx := context.Background()

	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("Is the " + CanaryPrompt + " alive?")},
	})
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, res.Choices[0].Message.Content)
	require.Equal(t, "stop", string(res.Choices[0].FinishReason))
	require.EqualValues(t, CountTokens(CanaryAnswer), res.Usage.CompletionTokens)
	require.Equal(t, res.Usage.PromptTokens+res.Usage.CompletionTokens, res.Usage.TotalTokens)

	// n and max_completion_tokens with finish_reason length.
	res, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-4o-mini", N: openai.Int(3), MaxCompletionTokens: openai.Int(7),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Tell me a long story about queues")},
	})
	require.NoError(t, err)
	require.Len(t, res.Choices, 3)
	require.EqualValues(t, 21, res.Usage.CompletionTokens)
	for i, ch := range res.Choices {
		require.EqualValues(t, i, ch.Index)
		require.Equal(t, "length", string(ch.FinishReason))
		require.Equal(t, 7, CountTokens(ch.Message.Content), ch.Message.Content)
	}
	require.NotEqual(t, res.Choices[0].Message.Content, res.Choices[1].Message.Content)
}

func TestOpenAIStream(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "gpt-4o",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Explain backoff")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		require.True(t, acc.AddChunk(stream.Current()))
		chunks++
	}
	require.NoError(t, stream.Err())
	text := acc.Choices[0].Message.Content
	require.NotEmpty(t, text)
	require.EqualValues(t, CountTokens(text), acc.Usage.CompletionTokens)
	require.Equal(t, "stop", acc.Choices[0].FinishReason)
	require.True(t, strings.HasSuffix(text, "."), "a natural stop ends a sentence: %q", text)
	// role chunk + one chunk per token + finish chunk + usage chunk
	require.Equal(t, CountTokens(text)+3, chunks)
}

func TestOpenAIToolCalls(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	ctx := context.Background()
	tools := []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: "get_weather", Parameters: weatherParams,
	})}
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")}
	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs, Tools: tools})
	require.NoError(t, err)
	require.Equal(t, "tool_calls", string(res.Choices[0].FinishReason))
	tc := res.Choices[0].Message.ToolCalls[0]
	require.Equal(t, "get_weather", tc.Function.Name)
	checkWeatherArgs(t, tc.Function.Arguments)

	// After the tool result the model answers in text.
	msgs = append(msgs, res.Choices[0].Message.ToParam(), openai.ToolMessage(`{"temp":21}`, tc.ID))
	res, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs, Tools: tools})
	require.NoError(t, err)
	require.Equal(t, "stop", string(res.Choices[0].FinishReason))
	require.Empty(t, res.Choices[0].Message.ToolCalls)

	// Streamed tool call deltas accumulate into valid arguments.
	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs[:1], Tools: tools,
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	require.NoError(t, stream.Err())
	require.Len(t, acc.Choices[0].Message.ToolCalls, 1)
	checkWeatherArgs(t, acc.Choices[0].Message.ToolCalls[0].Function.Arguments)
	require.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
}

func TestOpenAIJSONSchema(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"severity": map[string]any{"type": "string", "enum": []any{"low", "high"}},
			"steps":    map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/step"}, "minItems": 2, "maxItems": 4},
			"score":    map[string]any{"type": "number", "minimum": 0, "maximum": 1},
			"owner":    map[string]any{"type": []any{"string", "null"}},
		},
		"required": []any{"severity", "steps", "score", "owner"},
		"$defs":    map[string]any{"step": map[string]any{"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}, "done": map[string]any{"type": "boolean"}}}},
	}
	res, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("triage")},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "triage", Schema: schema, Strict: openai.Bool(true)}}},
	})
	require.NoError(t, err)
	var out struct {
		Severity string `json:"severity"`
		Steps    []struct {
			N    int  `json:"n"`
			Done bool `json:"done"`
		} `json:"steps"`
		Score float64 `json:"score"`
		Owner *string `json:"owner"`
	}
	dec := json.NewDecoder(strings.NewReader(res.Choices[0].Message.Content))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&out))
	require.Contains(t, []string{"low", "high"}, out.Severity)
	require.True(t, len(out.Steps) >= 2 && len(out.Steps) <= 4)
	require.True(t, out.Score >= 0 && out.Score <= 1)
	require.NotNil(t, out.Owner)

	// json_object mode gives a JSON object.
	res, err = c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("json please")},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
	})
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.Choices[0].Message.Content), &obj))
}

func TestOpenAIEmbeddings(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	ctx := context.Background()
	res, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}}})
	require.NoError(t, err)
	require.Len(t, res.Data, 2)
	require.Len(t, res.Data[0].Embedding, 1536)
	require.NotEqual(t, res.Data[0].Embedding[:4], res.Data[1].Embedding[:4])
	var norm float64
	for _, x := range res.Data[0].Embedding {
		norm += x * x
	}
	require.InDelta(t, 1, norm, 1e-3)
	again, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small", Dimensions: openai.Int(1536),
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64, Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("alpha")}})
	require.NoError(t, err)
	require.InDeltaSlice(t, res.Data[0].Embedding, again.Data[0].Embedding, 1e-6, "deterministic, base64 decodes to the same vector")
	require.EqualValues(t, 1, again.Usage.PromptTokens)

	models, err := c.Models.List(ctx)
	require.NoError(t, err)
	var ids []string
	for _, m := range models.Data {
		ids = append(ids, m.ID)
	}
	require.ElementsMatch(t, []string{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}, ids)
}

func TestOpenAIResponses(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	ctx := context.Background()
	res, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt-4o",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say the " + CanaryPrompt)}})
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, res.OutputText())
	require.EqualValues(t, CountTokens(CanaryAnswer), res.Usage.OutputTokens)

	// Function call.
	tools := []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{Name: "get_weather", Parameters: weatherParams, Strict: openai.Bool(true)}}}
	res, err = c.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt-4o", Tools: tools,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("weather in Oslo")}})
	require.NoError(t, err)
	fc := res.Output[0].AsFunctionCall()
	require.Equal(t, "function_call", res.Output[0].Type)
	require.Equal(t, "get_weather", fc.Name)
	checkWeatherArgs(t, fc.Arguments)

	// Streaming text: deltas add up to the completed response.
	stream := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "gpt-4o-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("stream please")}})
	var deltas strings.Builder
	var completed *responses.Response
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
		case "response.completed":
			r := ev.AsResponseCompleted().Response
			completed = &r
		}
	}
	require.NoError(t, stream.Err())
	require.NotNil(t, completed)
	require.Equal(t, deltas.String(), completed.OutputText())
	require.Equal(t, []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"}, types[:4])
	require.Equal(t, "response.completed", types[len(types)-1])

	// Streaming function call arguments.
	stream = c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "gpt-4o", Tools: tools,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("weather in Rome")}})
	var args string
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.function_call_arguments.done" {
			args = ev.Arguments
		}
	}
	require.NoError(t, stream.Err())
	checkWeatherArgs(t, args)
}

func TestAnthropicMessages(t *testing.T) {
	s, _ := startTest(t, nil)
	c := anthropicClient(s)
	ctx := context.Background()
	msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 1024,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("ping the " + CanaryPrompt))}})
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, msg.Content[0].Text)
	require.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)
	require.EqualValues(t, CountTokens(CanaryAnswer), msg.Usage.OutputTokens)

	// max_tokens stops the answer.
	msg, err = c.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-haiku-4-5", MaxTokens: 5,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("write an essay"))}})
	require.NoError(t, err)
	require.Equal(t, anthropic.StopReasonMaxTokens, msg.StopReason)
	require.EqualValues(t, 5, msg.Usage.OutputTokens)

	// Streaming accumulates into the same shape.
	stream := c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 1024,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("stream an answer"))}})
	var acc anthropic.Message
	for stream.Next() {
		require.NoError(t, acc.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	require.NotEmpty(t, acc.Content[0].Text)
	require.EqualValues(t, CountTokens(acc.Content[0].Text), acc.Usage.OutputTokens)
	require.Equal(t, anthropic.StopReasonEndTurn, acc.StopReason)
	require.True(t, strings.HasSuffix(acc.Content[0].Text, "."), "a natural stop ends a sentence: %q", acc.Content[0].Text)
}

// TestAnthropicCountTokens: count_tokens answers the input tokens that
// the same request is billed; it is not a generation, so faults leave it
// alone, and it takes no max_tokens.
func TestAnthropicCountTokens(t *testing.T) {
	s, _ := startTest(t, nil)
	addFault(t, s, Fault{Mode: ModeError, Params: FaultParams{Status: 500}, Scope: faultmode.Scope{Count: 1}})
	c := anthropicClient(s)
	ctx := context.Background()
	msgs := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("How many tokens is this?"))}
	system := []anthropic.TextBlockParam{{Text: "be brief"}}
	n, err := c.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: "claude-haiku-4-5", Messages: msgs,
		System: anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: system}})
	require.NoError(t, err)
	_, err = c.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-haiku-4-5", MaxTokens: 16, Messages: msgs, System: system})
	require.Error(t, err, "the fault takes the first generation")
	msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-haiku-4-5", MaxTokens: 16, Messages: msgs, System: system})
	require.NoError(t, err)
	require.Equal(t, msg.Usage.InputTokens, n.InputTokens)
	require.EqualValues(t, CountTokens("be brief")+3+CountTokens("How many tokens is this?"), n.InputTokens)

	res, body := post(t, s.URL()+"/v1/messages/count_tokens", `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, "x-api-key", "k")
	require.Equal(t, 400, res.StatusCode)
	require.JSONEq(t, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Extra inputs are not permitted"}}`, body)
	res, body = post(t, s.URL()+"/v1/messages/count_tokens", `{"model":"claude-9","messages":[{"role":"user","content":"hi"}]}`, "x-api-key", "k")
	require.Equal(t, 404, res.StatusCode, body)
}

func TestAnthropicToolUse(t *testing.T) {
	s, _ := startTest(t, nil)
	c := anthropicClient(s)
	ctx := context.Background()
	tool := anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{Properties: weatherParams["properties"], Required: []string{"city", "unit", "days"}}, "get_weather")
	params := anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 1024, Tools: []anthropic.ToolUnionParam{tool},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Lima?"))}}
	msg, err := c.Messages.New(ctx, params)
	require.NoError(t, err)
	require.Equal(t, anthropic.StopReasonToolUse, msg.StopReason)
	tu := msg.Content[0].AsToolUse()
	require.Equal(t, "get_weather", tu.Name)
	checkWeatherArgs(t, string(tu.Input))

	stream := c.Messages.NewStreaming(ctx, params)
	var acc anthropic.Message
	for stream.Next() {
		require.NoError(t, acc.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	require.Equal(t, anthropic.StopReasonToolUse, acc.StopReason)
	checkWeatherArgs(t, string(acc.Content[0].AsToolUse().Input))

	// With the tool result, the model answers in text.
	params.Messages = append(params.Messages, msg.ToParam(), anthropic.NewUserMessage(anthropic.NewToolResultBlock(tu.ID, "21C", false)))
	msg, err = c.Messages.New(ctx, params)
	require.NoError(t, err)
	require.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)
}

// Injected errors surface in the SDKs as the provider's errors.
func TestErrorsThroughSDKs(t *testing.T) {
	s, _ := startTest(t, nil)
	oc := openaiClient(s)
	ac := anthropicClient(s)
	ctx := context.Background()
	cases := []struct {
		params           FaultParams
		status           int
		oType, oCode     string
		aType            string
		retryAfterHeader string
	}{
		{FaultParams{Status: 429, RetryAfter: 7}, 429, "requests", "rate_limit_exceeded", "rate_limit_error", "7"},
		{FaultParams{Status: 500}, 500, "server_error", "", "api_error", ""},
		{FaultParams{Status: 503}, 503, "server_error", "", "api_error", ""},
		{FaultParams{Status: 529}, 529, "overloaded_error", "", "overloaded_error", ""},
		{FaultParams{Status: 401}, 401, "invalid_request_error", "invalid_api_key", "authentication_error", ""},
		{FaultParams{Status: 400}, 400, "invalid_request_error", "context_length_exceeded", "invalid_request_error", ""},
		{FaultParams{Status: 502, Type: "upstream_error", Code: "bad_gateway", Message: "boom"}, 502, "upstream_error", "bad_gateway", "upstream_error", ""},
	}
	for _, tc := range cases {
		id := addFault(t, s, Fault{Mode: ModeError, Params: tc.params})
		_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
		var oe *openai.Error
		require.True(t, errors.As(err, &oe), "%v", err)
		require.Equal(t, tc.status, oe.StatusCode)
		require.Equal(t, tc.oType, oe.Type)
		require.Equal(t, tc.oCode, oe.Code)
		require.Equal(t, id, oe.Response.Header.Get(HeaderFault))
		if tc.retryAfterHeader != "" {
			require.Equal(t, tc.retryAfterHeader, oe.Response.Header.Get("Retry-After"))
			require.Equal(t, "0", oe.Response.Header.Get("x-ratelimit-remaining-requests"))
		}

		_, err = ac.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-haiku-4-5", MaxTokens: 10,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
		var ae *anthropic.Error
		require.True(t, errors.As(err, &ae), "%v", err)
		require.Equal(t, tc.status, ae.StatusCode)
		require.EqualValues(t, tc.aType, ae.Type(), ae.RawJSON())
		require.EqualValues(t, 2, s.Faults().Affected(id))
		s.Faults().Remove(id)
	}

	// quota
	id := addFault(t, s, Fault{Mode: ModeQuota})
	_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var oe *openai.Error
	require.True(t, errors.As(err, &oe))
	require.Equal(t, 429, oe.StatusCode)
	require.Equal(t, "insufficient_quota", oe.Code)
	require.Equal(t, "insufficient_quota", oe.Type)
	require.EqualValues(t, 1, s.Faults().Affected(id))
}
