package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/drillkit/drill/internal/faultmode"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

// faulted is the journal's entries a fault affected.
func faulted(s *Server, id string) []JournalEntry {
	var out []JournalEntry
	for _, e := range s.Journal() {
		if e.Fault == id {
			out = append(out, e)
		}
	}
	return out
}

// TestGeminiPromptFilter: on the Gemini API the prompt_filter fault is a
// 200 without candidates whose promptFeedback blocks the prompt for
// SAFETY, as genai surfaces it, whole, streamed as SSE and as a JSON
// array; countTokens, embeddings and the jailbreak category (which the
// Gemini API does not report) are neither affected nor counted.
func TestGeminiPromptFilter(t *testing.T) {
	s, _ := startTest(t, nil)
	c := geminiClient(t, s, "")
	ctx := context.Background()
	const prompt = "Tell me about queues"
	promptTokens := int32(CountTokens(prompt))

	id := addFault(t, s, Fault{Mode: ModePromptFilter, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{Category: FilterHate}})
	res, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
	require.NoError(t, err, "a blocked prompt is a 200, not an error")
	require.Empty(t, res.Candidates)
	require.Empty(t, res.Text())
	require.NotNil(t, res.PromptFeedback)
	require.Equal(t, genai.BlockedReasonSafety, res.PromptFeedback.BlockReason)
	ratings := map[genai.HarmCategory]genai.SafetyRating{}
	for _, r := range res.PromptFeedback.SafetyRatings {
		ratings[r.Category] = *r
	}
	require.Equal(t, map[genai.HarmCategory]genai.SafetyRating{
		genai.HarmCategoryHateSpeech:       {Category: genai.HarmCategoryHateSpeech, Probability: genai.HarmProbabilityHigh, Blocked: true},
		genai.HarmCategorySexuallyExplicit: {Category: genai.HarmCategorySexuallyExplicit, Probability: genai.HarmProbabilityNegligible},
		genai.HarmCategoryHarassment:       {Category: genai.HarmCategoryHarassment, Probability: genai.HarmProbabilityNegligible},
		genai.HarmCategoryDangerousContent: {Category: genai.HarmCategoryDangerousContent, Probability: genai.HarmProbabilityNegligible},
	}, ratings)
	require.Equal(t, promptTokens, res.UsageMetadata.PromptTokenCount)
	require.Zero(t, res.UsageMetadata.CandidatesTokenCount)
	require.Equal(t, promptTokens, res.UsageMetadata.TotalTokenCount)
	require.Equal(t, "gemini-2.5-flash", res.ModelVersion)

	// Streamed (SSE): one chunk, the same feedback, and the stream ends
	// without an error.
	var chunks []*genai.GenerateContentResponse
	for r, err := range c.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text(prompt), nil) {
		require.NoError(t, err)
		chunks = append(chunks, r)
	}
	require.Len(t, chunks, 1)
	require.Empty(t, chunks[0].Candidates)
	require.Equal(t, genai.BlockedReasonSafety, chunks[0].PromptFeedback.BlockReason)
	require.Equal(t, promptTokens, chunks[0].UsageMetadata.PromptTokenCount)

	// Without alt=sse: a JSON array of that one response.
	hres, body := post(t, s.URL()+"/v1beta/models/gemini-2.5-flash:streamGenerateContent",
		`{"contents":[{"role":"user","parts":[{"text":"`+prompt+`"}]}]}`, "x-goog-api-key", "k")
	require.Equal(t, 200, hres.StatusCode, body)
	require.Equal(t, id, hres.Header.Get(HeaderFault))
	var arr []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &arr), body)
	require.Len(t, arr, 1)
	require.NotContains(t, arr[0], "candidates")
	require.JSONEq(t, `{"blockReason":"SAFETY","safetyRatings":[
		{"category":"HARM_CATEGORY_SEXUALLY_EXPLICIT","probability":"NEGLIGIBLE"},
		{"category":"HARM_CATEGORY_HATE_SPEECH","probability":"HIGH","blocked":true},
		{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"},
		{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"NEGLIGIBLE"}]}`, string(arr[0]["promptFeedback"]))
	require.EqualValues(t, 3, s.Faults().Affected(id))

	// Not affected, not counted: countTokens and embeddings.
	ct, err := c.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
	require.NoError(t, err)
	require.Equal(t, promptTokens, ct.TotalTokens)
	_, err = c.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("x"), nil)
	require.NoError(t, err)
	require.EqualValues(t, 3, s.Faults().Affected(id))

	got := faulted(s, id)
	require.Len(t, got, 3)
	for i, e := range got {
		require.Equal(t, JournalEntry{Time: e.Time, Model: "gemini-2.5-flash", API: "generateContent", Stream: i > 0, Status: 200,
			InputTokens: int(promptTokens), CostUSD: e.CostUSD, Fault: id, FaultMode: ModePromptFilter, Outcome: outcomePromptBlocked, DurationMS: e.DurationMS}, e)
		require.InDelta(t, float64(promptTokens)*0.30/1e6, e.CostUSD, 1e-12, "the prompt is billed, nothing else")
	}
	s.Faults().Remove(id)

	// Violence and self-harm are rated as dangerous content.
	id = addFault(t, s, Fault{Mode: ModePromptFilter, Params: FaultParams{Category: FilterSelfHarm}})
	res, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
	require.NoError(t, err)
	for _, r := range res.PromptFeedback.SafetyRatings {
		require.Equal(t, r.Category == genai.HarmCategoryDangerousContent, r.Blocked, r.Category)
	}
	s.Faults().Remove(id)

	// A jailbreak is not the Gemini API's to report: answered, not counted,
	// configured or forced.
	id = addFault(t, s, Fault{Mode: ModePromptFilter, Params: FaultParams{Category: FilterJailbreak}})
	res, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text(prompt), nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Text())
	require.Nil(t, res.PromptFeedback)
	require.EqualValues(t, 0, s.Faults().Affected(id))
	s.Faults().Remove(id)
	force := []string{HeaderForceFault, ModePromptFilter, HeaderForceParams, `{"category":"jailbreak"}`, "x-goog-api-key", "k"}
	hres, body = post(t, s.URL()+"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`, force...)
	require.Equal(t, 200, hres.StatusCode, body)
	require.Contains(t, body, `"candidates"`)
	require.Empty(t, hres.Header.Get(HeaderFault))
	force[3] = `{"category":"sexual"}`
	hres, body = post(t, s.URL()+"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`, force...)
	require.Equal(t, 200, hres.StatusCode, body)
	require.Contains(t, body, `{"category":"HARM_CATEGORY_SEXUALLY_EXPLICIT","probability":"HIGH","blocked":true}`)
	require.Equal(t, "forced-"+ModePromptFilter, hres.Header.Get(HeaderFault))
	require.EqualValues(t, 1, s.Faults().Affected("forced-"+ModePromptFilter))
}

func guardrailConfig(trace types.GuardrailTrace) *types.GuardrailConfiguration {
	return &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr0abc123"), GuardrailVersion: aws.String("DRAFT"), Trace: trace}
}

// TestBedrockPromptFilter: on Bedrock, a prompt_filter is a guardrail
// blocking the prompt, so it affects Converse and ConverseStream requests
// that name a guardrail: stopReason guardrail_intervened, the blocked
// message, no tokens, and with trace enabled the content filter that
// blocked, as aws-sdk-go-v2 surfaces them. Requests naming no guardrail
// are neither affected nor counted (InvokeModel's guardrail:
// TestBedrockInvokeGuardrail).
func TestBedrockPromptFilter(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	ctx := context.Background()
	id := addFault(t, s, Fault{Mode: ModePromptFilter, Scope: faultmode.Scope{Target: bedrockHaiku}, Params: FaultParams{Category: FilterViolence}})

	// No guardrail: Bedrock filters nothing.
	out, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hello")})
	require.NoError(t, err)
	require.Equal(t, types.StopReasonEndTurn, out.StopReason)
	require.Nil(t, out.Trace)
	text, stop, _, err := converseStream(t, c, bedrockHaiku, "hello")
	require.NoError(t, err)
	require.NotEmpty(t, text)
	require.Equal(t, types.StopReasonEndTurn, stop)
	body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"hello"}]}`
	_, err = c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: []byte(body)})
	require.NoError(t, err)
	require.EqualValues(t, 0, s.Faults().Affected(id))

	// A guardrail with its trace.
	out, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hello"),
		GuardrailConfig: guardrailConfig(types.GuardrailTraceEnabled)})
	require.NoError(t, err)
	require.Equal(t, types.StopReasonGuardrailIntervened, out.StopReason)
	msg := out.Output.(*types.ConverseOutputMemberMessage).Value
	require.Len(t, msg.Content, 1)
	require.Equal(t, bedrockBlockedInput, msg.Content[0].(*types.ContentBlockMemberText).Value)
	require.Equal(t, types.TokenUsage{InputTokens: aws.Int32(0), OutputTokens: aws.Int32(0), TotalTokens: aws.Int32(0)}, *out.Usage)
	require.NotNil(t, out.Trace)
	requireGuardrailBlocked(t, out.Trace.Guardrail, "gr0abc123", types.GuardrailContentFilterTypeViolence)

	// Without trace: the same refusal, no trace.
	out, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hello"),
		GuardrailConfig: guardrailConfig(types.GuardrailTraceDisabled)})
	require.NoError(t, err)
	require.Equal(t, types.StopReasonGuardrailIntervened, out.StopReason)
	require.Nil(t, out.Trace)

	// Streamed: the blocked message as one block, messageStop
	// guardrail_intervened, and the metadata's trace.
	st, err := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hello"),
		GuardrailConfig: &types.GuardrailStreamConfiguration{GuardrailIdentifier: aws.String("arn:aws:bedrock:us-east-1:123456789012:guardrail/gr0abc123"),
			GuardrailVersion: aws.String("3"), Trace: types.GuardrailTraceEnabledFull, StreamProcessingMode: types.GuardrailStreamProcessingModeSync}})
	require.NoError(t, err)
	stream := st.GetStream()
	var kinds []string
	var streamed string
	var meta *types.ConverseStreamMetadataEvent
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			kinds = append(kinds, "start")
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			kinds = append(kinds, "delta")
			streamed += v.Value.Delta.(*types.ContentBlockDeltaMemberText).Value
		case *types.ConverseStreamOutputMemberContentBlockStop:
			kinds = append(kinds, "blockStop")
		case *types.ConverseStreamOutputMemberMessageStop:
			kinds = append(kinds, "stop")
			require.Equal(t, types.StopReasonGuardrailIntervened, v.Value.StopReason)
		case *types.ConverseStreamOutputMemberMetadata:
			kinds = append(kinds, "metadata")
			meta = &v.Value
		}
	}
	require.NoError(t, stream.Err())
	require.NoError(t, stream.Close())
	require.Equal(t, []string{"start", "delta", "blockStop", "stop", "metadata"}, kinds)
	require.Equal(t, bedrockBlockedInput, streamed)
	require.EqualValues(t, 0, *meta.Usage.InputTokens)
	requireGuardrailBlocked(t, meta.Trace.Guardrail, "gr0abc123", types.GuardrailContentFilterTypeViolence)
	require.EqualValues(t, 3, s.Faults().Affected(id))

	got := faulted(s, id)
	require.Len(t, got, 3)
	for i, e := range got {
		require.Equal(t, JournalEntry{Time: e.Time, Model: bedrockHaiku, API: "converse", Stream: i == 2, Status: 200,
			Fault: id, FaultMode: ModePromptFilter, Outcome: outcomePromptBlocked, DurationMS: e.DurationMS}, e, "no tokens, no cost")
	}
	s.Faults().Remove(id)

	// A jailbreak is a prompt attack.
	id = addFault(t, s, Fault{Mode: ModePromptFilter, Params: FaultParams{Category: FilterJailbreak}})
	out, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("amazon.nova-lite-v1:0"), Messages: userText("hello"),
		GuardrailConfig: guardrailConfig(types.GuardrailTraceEnabled)})
	require.NoError(t, err)
	requireGuardrailBlocked(t, out.Trace.Guardrail, "gr0abc123", types.GuardrailContentFilterTypePromptAttack)
	require.EqualValues(t, 1, s.Faults().Affected(id))
}

func requireGuardrailBlocked(t *testing.T, g *types.GuardrailTraceAssessment, id string, filter types.GuardrailContentFilterType) {
	t.Helper()
	require.NotNil(t, g)
	a, ok := g.InputAssessment[id]
	require.True(t, ok, "assessed under the guardrail's ID: %v", g.InputAssessment)
	require.NotNil(t, a.ContentPolicy)
	require.Equal(t, []types.GuardrailContentFilter{{Type: filter, Confidence: types.GuardrailContentFilterConfidenceHigh,
		FilterStrength: types.GuardrailContentFilterStrengthHigh, Action: types.GuardrailContentPolicyActionBlocked, Detected: aws.Bool(true)}}, a.ContentPolicy.Filters)
}

// TestBedrockInvokeGuardrail: InvokeModel names its guardrail in
// headers (the SDK's GuardrailIdentifier, GuardrailVersion and Trace).
// Under a prompt_filter the answer is still a 200: the model's message
// with the blocked-input text, no tokens, amazon-bedrock-guardrailAction
// INTERVENED and, with the trace, the guardrail's input assessment; a
// guardrail that lets a prompt through says NONE. The streamed call is
// not affected, and neither is a call naming no guardrail.
func TestBedrockInvokeGuardrail(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	ctx := context.Background()
	body := []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}`)
	invoke := func(trace types.Trace) (map[string]any, *bedrockruntime.InvokeModelOutput) {
		t.Helper()
		out, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body, ContentType: aws.String("application/json"),
			GuardrailIdentifier: aws.String("arn:aws:bedrock:us-east-1:123456789012:guardrail/gr0abc123"), GuardrailVersion: aws.String("2"), Trace: trace})
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(out.Body, &m))
		return m, out
	}

	// No fault: the model's answer, and the guardrail's action NONE.
	m, _ := invoke(types.TraceDisabled)
	require.Equal(t, "NONE", m["amazon-bedrock-guardrailAction"])
	require.NotEqual(t, bedrockBlockedInput, m["content"].([]any)[0].(map[string]any)["text"])
	require.Equal(t, "message", m["type"])

	id := addFault(t, s, Fault{Mode: ModePromptFilter, Scope: faultmode.Scope{Target: bedrockHaiku}, Params: FaultParams{Category: FilterHate}})
	m, out := invoke(types.TraceEnabled)
	require.Equal(t, "INTERVENED", m["amazon-bedrock-guardrailAction"])
	require.Equal(t, []any{map[string]any{"type": "text", "text": bedrockBlockedInput}}, m["content"])
	require.Equal(t, "end_turn", m["stop_reason"])
	require.Equal(t, map[string]any{"input_tokens": 0.0, "output_tokens": 0.0, "cache_creation_input_tokens": 0.0, "cache_read_input_tokens": 0.0}, m["usage"])
	filters := m["amazon-bedrock-trace"].(map[string]any)["guardrail"].(map[string]any)["inputAssessment"].(map[string]any)["gr0abc123"].(map[string]any)["contentPolicy"].(map[string]any)["filters"].([]any)
	require.Equal(t, "HATE", filters[0].(map[string]any)["type"])
	require.Equal(t, "BLOCKED", filters[0].(map[string]any)["action"])
	require.Equal(t, "application/json", aws.ToString(out.ContentType))

	m, _ = invoke(types.TraceDisabled)
	require.Equal(t, "INTERVENED", m["amazon-bedrock-guardrailAction"])
	require.NotContains(t, m, "amazon-bedrock-trace")
	require.EqualValues(t, 2, s.Faults().Affected(id))

	// No guardrail, or a stream: the model answers, nothing is counted.
	plain, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body})
	require.NoError(t, err)
	require.NotContains(t, string(plain.Body), "guardrail")
	st, err := c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(bedrockHaiku), Body: body, ContentType: aws.String("application/json"),
		GuardrailIdentifier: aws.String("gr0abc123"), GuardrailVersion: aws.String("DRAFT")})
	require.NoError(t, err)
	chunks := 0
	for range st.GetStream().Events() {
		chunks++
	}
	require.NoError(t, st.GetStream().Err())
	require.Greater(t, chunks, 3)
	require.EqualValues(t, 2, s.Faults().Affected(id))

	// What InvokeModel refuses: an identifier without a version, a
	// guardrail on a body not sent as JSON (the SDK's default type is
	// application/octet-stream), a body guardrail config without an
	// identifier, a trace out of its enum.
	for _, tc := range []struct {
		in   *bedrockruntime.InvokeModelInput
		want string
	}{
		{&bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body, GuardrailIdentifier: aws.String("gr0abc123")}, "guardrail version is missing"},
		{&bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body, GuardrailIdentifier: aws.String("gr0abc123"), GuardrailVersion: aws.String("1")},
			`contentType to be application/json, and it is "application/octet-stream"`},
		{&bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body, GuardrailIdentifier: aws.String("Bad-ID"), GuardrailVersion: aws.String("1")}, "Value 'Bad-ID' at 'guardrailIdentifier'"},
		{&bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body, GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("latest")}, "Value 'latest' at 'guardrailVersion'"},
		{&bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: body, Trace: types.Trace("on")}, "Value 'on' at 'trace'"},
		{&bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku),
			Body: []byte(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hi"}],"amazon-bedrock-guardrailConfig":{"tagSuffix":"x"}}`)}, "names no guardrail"},
	} {
		_, err := c.InvokeModel(ctx, tc.in)
		var ae smithy.APIError
		require.True(t, errors.As(err, &ae), "%v", err)
		require.Equal(t, "ValidationException", ae.ErrorCode())
		require.Contains(t, ae.ErrorMessage(), tc.want)
	}
}

// TestBedrockGuardrailConfigInvalid: a guardrailConfig Converse would
// refuse is a ValidationException naming the field and the constraint.
func TestBedrockGuardrailConfigInvalid(t *testing.T) {
	s, _ := startTest(t, nil)
	url := s.URL() + "/model/" + bedrockHaiku + "/converse"
	msgs := `"messages":[{"role":"user","content":[{"text":"hi"}]}]`
	for _, tc := range []struct{ config, want string }{
		{`{"guardrailVersion":"1"}`, `1 validation error detected: Value '' at 'guardrailConfig.guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))`},
		{`{"guardrailIdentifier":"Bad-ID","guardrailVersion":"1"}`, `Value 'Bad-ID' at 'guardrailConfig.guardrailIdentifier'`},
		{`{"guardrailIdentifier":"gr1","guardrailVersion":"0"}`, `Value '0' at 'guardrailConfig.guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (([1-9][0-9]{0,7})|(DRAFT))`},
		{`{"guardrailIdentifier":"gr1"}`, `at 'guardrailConfig.guardrailVersion'`},
		{`{"guardrailIdentifier":"gr1","guardrailVersion":"DRAFT","trace":"on"}`, `Value 'on' at 'guardrailConfig.trace' failed to satisfy constraint: Member must satisfy enum value set: [enabled, disabled, enabled_full]`},
		{`{"guardrailIdentifier":"gr1","guardrailVersion":"DRAFT","streamProcessingMode":"batch"}`, `Value 'batch' at 'guardrailConfig.streamProcessingMode' failed to satisfy constraint: Member must satisfy enum value set: [sync, async]`},
	} {
		res, body := post(t, url, `{`+msgs+`,"guardrailConfig":`+tc.config+`}`)
		require.Equal(t, 400, res.StatusCode, tc.config)
		require.Contains(t, res.Header.Get("X-Amzn-Errortype"), "ValidationException")
		require.Contains(t, body, tc.want, tc.config)
	}
	long := make([]byte, maxGuardrailIdentifier+1)
	for i := range long {
		long[i] = 'a'
	}
	res, body := post(t, url, `{`+msgs+`,"guardrailConfig":{"guardrailIdentifier":"`+string(long)+`","guardrailVersion":"1"}}`)
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, "Member must have length less than or equal to 2048")

	// Through the SDK, the error is the ValidationException.
	_, err := bedrockClient(s).Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi"),
		GuardrailConfig: &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("latest")}})
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "ValidationException", ae.ErrorCode())
	require.Empty(t, s.Faults().List())
}

// TestPromptFilterIgnoredWithoutAFilter: OpenAI's and Anthropic's own
// APIs have no prompt filter that refuses a prompt, so a prompt_filter
// fault on every model leaves their chat, Responses, legacy completions
// and messages answered, and counts none of them.
func TestPromptFilterIgnoredWithoutAFilter(t *testing.T) {
	s, _ := startTest(t, nil)
	ctx := context.Background()
	id := addFault(t, s, Fault{Mode: ModePromptFilter, Params: FaultParams{Category: FilterViolence}})

	oc := openaiClient(s)
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")}
	chat, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.NoError(t, err)
	require.Equal(t, "stop", chat.Choices[0].FinishReason)
	st := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	for st.Next() {
	}
	require.NoError(t, st.Err())
	require.NoError(t, st.Close())
	r, err := oc.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt-4o", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hello")}})
	require.NoError(t, err)
	require.NotEmpty(t, r.OutputText())
	comp, err := oc.Completions.New(ctx, openai.CompletionNewParams{Model: "gpt-4o", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("hello")}})
	require.NoError(t, err)
	require.NotEmpty(t, comp.Choices[0].Text)

	ac := anthropicClient(s)
	m, err := ac.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 4096,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))}})
	require.NoError(t, err)
	require.Equal(t, anthropic.StopReasonEndTurn, m.StopReason)

	require.EqualValues(t, 0, s.Faults().Affected(id))
	require.Empty(t, faulted(s, id))
	require.Len(t, s.Journal(), 5)
}
