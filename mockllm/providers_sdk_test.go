package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

func geminiClient(t *testing.T, s *Server, version string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: "gk-test", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL() + "/", APIVersion: version}})
	require.NoError(t, err)
	return c
}

func TestGeminiGenerateContent(t *testing.T) {
	s, _ := startTest(t, nil)
	ctx := context.Background()
	for _, v := range []string{"v1beta", "v1"} {
		c := geminiClient(t, s, v)
		res, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Is the "+CanaryPrompt+" alive?"),
			&genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("be brief", genai.RoleUser)})
		require.NoError(t, err, v)
		require.Equal(t, CanaryAnswer, res.Text())
		require.Equal(t, genai.FinishReasonStop, res.Candidates[0].FinishReason)
		require.EqualValues(t, CountTokens(CanaryAnswer), res.UsageMetadata.CandidatesTokenCount)
		require.EqualValues(t, CountTokens("be brief")+CountTokens("Is the "+CanaryPrompt+" alive?"), res.UsageMetadata.PromptTokenCount)
		require.Equal(t, res.UsageMetadata.PromptTokenCount+res.UsageMetadata.CandidatesTokenCount, res.UsageMetadata.TotalTokenCount)
		require.Equal(t, "gemini-2.5-flash", res.ModelVersion)
		require.NotEmpty(t, res.ResponseID)
	}
	c := geminiClient(t, s, "")

	// candidateCount and maxOutputTokens, with finishReason MAX_TOKENS;
	// the same request gets the same content.
	cfg := &genai.GenerateContentConfig{CandidateCount: 3, MaxOutputTokens: 7}
	res, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Tell me a long story about queues"), cfg)
	require.NoError(t, err)
	require.Len(t, res.Candidates, 3)
	require.EqualValues(t, 21, res.UsageMetadata.CandidatesTokenCount)
	for i, cand := range res.Candidates {
		require.EqualValues(t, i, cand.Index)
		require.Equal(t, genai.FinishReasonMaxTokens, cand.FinishReason)
		require.Equal(t, genai.RoleModel, cand.Content.Role)
	}
	again, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Tell me a long story about queues"), cfg)
	require.NoError(t, err)
	require.Equal(t, res.Text(), again.Text())

	// JSON mode with a schema.
	res, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("weather"), &genai.GenerateContentConfig{
		ResponseMIMEType: "application/json", ResponseJsonSchema: weatherParams})
	require.NoError(t, err)
	checkWeatherArgs(t, res.Text())

	// Function calling, in the SDK's OpenAPI schema types.
	res, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("weather in Paris?"), &genai.GenerateContentConfig{
		Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: "get_weather", Parameters: &genai.Schema{
			Type: genai.TypeObject, Required: []string{"city", "unit", "days"},
			Properties: map[string]*genai.Schema{"city": {Type: genai.TypeString}, "unit": {Type: genai.TypeString, Enum: []string{"celsius", "fahrenheit"}},
				"days": {Type: genai.TypeInteger, Minimum: genai.Ptr(1.0), Maximum: genai.Ptr(7.0)}}}}}}}})
	require.NoError(t, err)
	calls := res.FunctionCalls()
	require.Len(t, calls, 1)
	require.Equal(t, "get_weather", calls[0].Name)
	args, _ := json.Marshal(calls[0].Args)
	checkWeatherArgs(t, string(args))

	// countTokens and the models list.
	ct, err := c.Models.CountTokens(ctx, "gemini-2.5-flash", genai.Text("hello there world"), nil)
	require.NoError(t, err)
	require.EqualValues(t, CountTokens("hello there world"), ct.TotalTokens)
	var names []string
	for m, err := range c.Models.All(ctx) {
		require.NoError(t, err)
		names = append(names, m.Name)
		want := "generateContent"
		if strings.Contains(m.Name, "embedding") {
			want = "batchEmbedContents"
		}
		require.Contains(t, m.SupportedActions, want)
	}
	require.Equal(t, []string{"models/gemini-2.5-flash", "models/gemini-embedding-001"}, names)
	m, err := c.Models.Get(ctx, "gemini-2.5-flash", nil)
	require.NoError(t, err)
	require.EqualValues(t, 65536, m.OutputTokenLimit)

	// An unknown model is the API's 404 NOT_FOUND.
	_, err = c.Models.GenerateContent(ctx, "gemini-0", genai.Text("hi"), nil)
	var ae genai.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, 404, ae.Code)
	require.Equal(t, "NOT_FOUND", ae.Status)
	require.Contains(t, ae.Message, "models/gemini-0 is not found")
}

// geminiStreamText collects a stream's text and its last chunk.
func geminiStreamText(t *testing.T, c *genai.Client, prompt string) (string, *genai.GenerateContentResponse, error) {
	t.Helper()
	var b strings.Builder
	var last *genai.GenerateContentResponse
	for r, err := range c.Models.GenerateContentStream(context.Background(), "gemini-2.5-flash", genai.Text(prompt), nil) {
		if err != nil {
			return b.String(), last, err
		}
		b.WriteString(r.Text())
		last = r
	}
	return b.String(), last, nil
}

func TestGeminiStream(t *testing.T) {
	s, _ := startTest(t, nil)
	c := geminiClient(t, s, "")
	full, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("Tell me about queues"), nil)
	require.NoError(t, err)
	text, last, err := geminiStreamText(t, c, "Tell me about queues")
	require.NoError(t, err)
	require.Equal(t, full.Text(), text)
	require.Equal(t, genai.FinishReasonStop, last.Candidates[0].FinishReason)
	require.Equal(t, full.UsageMetadata.CandidatesTokenCount, last.UsageMetadata.CandidatesTokenCount)
	require.Equal(t, full.UsageMetadata.PromptTokenCount, last.UsageMetadata.PromptTokenCount)

	// Without alt=sse the stream is one JSON array of the same responses,
	// and the key may come in the query.
	res, body := post(t, s.URL()+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=gk-test",
		`{"contents":[{"role":"user","parts":[{"text":"Tell me about queues"}]}]}`)
	require.Equal(t, 200, res.StatusCode, body)
	require.Equal(t, "application/json; charset=UTF-8", res.Header.Get("Content-Type"))
	var chunks []struct {
		Candidates []struct {
			Content struct {
				Parts []struct{ Text string } `json:"parts"`
			} `json:"content"`
			FinishReason string `json:"finishReason"`
		} `json:"candidates"`
		UsageMetadata geminiUsage `json:"usageMetadata"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &chunks), body)
	require.Greater(t, len(chunks), 2)
	var b strings.Builder
	for _, ch := range chunks {
		b.WriteString(ch.Candidates[0].Content.Parts[0].Text)
	}
	require.Equal(t, text, b.String())
	require.Equal(t, "STOP", chunks[len(chunks)-1].Candidates[0].FinishReason)
	require.EqualValues(t, full.UsageMetadata.TotalTokenCount, chunks[len(chunks)-1].UsageMetadata.TotalTokenCount)
}

func TestGeminiFaultsThroughSDK(t *testing.T) {
	s, _ := startTest(t, nil)
	c := geminiClient(t, s, "")
	ctx := context.Background()
	hi := genai.Text("hi")

	cases := []struct {
		params FaultParams
		status string
		retry  string // RetryInfo's retryDelay
	}{
		{FaultParams{Status: 429, RetryAfter: 7}, "RESOURCE_EXHAUSTED", "7s"},
		{FaultParams{Status: 500}, "INTERNAL", ""},
		{FaultParams{Status: 503}, "UNAVAILABLE", ""},
		{FaultParams{Status: 504}, "DEADLINE_EXCEEDED", ""},
		{FaultParams{Status: 401}, "UNAUTHENTICATED", ""},
		{FaultParams{Status: 403}, "PERMISSION_DENIED", ""},
		{FaultParams{Status: 400}, "INVALID_ARGUMENT", ""},
	}
	for _, tc := range cases {
		id := addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "gemini-*"}, Params: tc.params})
		_, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", hi, nil)
		var ae genai.APIError
		require.True(t, errors.As(err, &ae), "%v", err)
		require.Equal(t, tc.params.Status, ae.Code)
		require.Equal(t, tc.status, ae.Status)
		require.NotEmpty(t, ae.Message)
		require.Equal(t, tc.retry, retryDelay(ae), "%v", ae.Details)
		require.EqualValues(t, 1, s.Faults().Affected(id))
		s.Faults().Remove(id)
	}

	// Quota, and a rate limit the limiter enforces, both RESOURCE_EXHAUSTED
	// with a RetryInfo.
	id := addFault(t, s, Fault{Mode: ModeQuota, Scope: faultmode.Scope{Target: "gemini-*"}})
	_, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", hi, nil)
	var ae genai.APIError
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, 429, ae.Code)
	require.Equal(t, "RESOURCE_EXHAUSTED", ae.Status)
	require.Contains(t, ae.Message, "exceeded your current quota")
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	id = addFault(t, s, Fault{Mode: ModeRateLimit, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{RPM: 1}})
	_, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", hi, nil)
	require.NoError(t, err)
	_, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", hi, nil)
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "RESOURCE_EXHAUSTED", ae.Status)
	require.Equal(t, "60s", retryDelay(ae), "%v", ae.Details)
	require.Contains(t, ae.Message, "Please retry in 60s")
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	// Stream faults: an error event is the SDK's APIError mid-stream, a
	// cut and a malformed chunk are errors too, after some text.
	id = addFault(t, s, Fault{Mode: ModeStreamErrorEvent, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{AfterTokens: 3}})
	text, _, err := geminiStreamText(t, c, "Tell me about queues")
	require.True(t, errors.As(err, &ae), "%v", err)
	require.Equal(t, "UNAVAILABLE", ae.Status)
	require.NotEmpty(t, text)
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)
	for _, mode := range []string{ModeStreamCut, ModeMalformedChunk} {
		id = addFault(t, s, Fault{Mode: mode, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{AfterTokens: 3}})
		text, _, err = geminiStreamText(t, c, "Tell me about queues")
		require.Error(t, err, mode)
		require.NotEmpty(t, text, mode)
		require.EqualValues(t, 1, s.Faults().Affected(id), mode)
		s.Faults().Remove(id)
	}

	// Garbage and billing faults reach the content and usageMetadata.
	clean, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Is the "+CanaryPrompt+" alive?"), nil)
	require.NoError(t, err)
	id = addFault(t, s, Fault{Mode: ModeGarbage, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{Kind: GarbageWrongAnswer}})
	res, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Is the "+CanaryPrompt+" alive?"), nil)
	require.NoError(t, err)
	require.Equal(t, CanaryWrongAnswer, res.Text())
	require.Equal(t, id, res.SDKHTTPResponse.Headers.Get(HeaderFault))
	s.Faults().Remove(id)
	id = addFault(t, s, Fault{Mode: ModeBilling, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{Factor: 10, Tokens: "both"}})
	res, err = c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Is the "+CanaryPrompt+" alive?"), nil)
	require.NoError(t, err)
	require.Equal(t, 10*clean.UsageMetadata.PromptTokenCount, res.UsageMetadata.PromptTokenCount)
	require.Equal(t, 10*clean.UsageMetadata.CandidatesTokenCount, res.UsageMetadata.CandidatesTokenCount)
	s.Faults().Remove(id)

	// Metrics and the journal name the provider.
	mres, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	mb, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	require.Contains(t, string(mb), `gen_ai_provider_name="gemini"`)
	j := s.Journal()
	require.Equal(t, "generateContent", j[len(j)-1].API)
}

// retryDelay is the retryDelay of an error's RetryInfo detail, or "".
func retryDelay(e genai.APIError) string {
	for _, d := range e.Details {
		if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo" {
			s, _ := d["retryDelay"].(string)
			return s
		}
	}
	return ""
}

func azureClient(s *Server) openai.Client {
	return openai.NewClient(azure.WithEndpoint(s.URL(), "2024-10-21"), azure.WithAPIKey("az-test"), azure.WithUnsafeAllowHTTP(), option.WithMaxRetries(0))
}

func TestAzureOpenAI(t *testing.T) {
	s, _ := startTest(t, nil)
	c := azureClient(s)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Is the " + CanaryPrompt + " alive?")}

	require.Equal(t, []string{"gpt-4o", "gpt-4o", "text-embedding-3-small"}, azureAnswers(t, c, "gpt-4o", "gpt-4o", "text-embedding-3-small"))

	// An unknown deployment is Azure's DeploymentNotFound.
	_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-0", Messages: msgs})
	var oe *openai.Error
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 404, oe.StatusCode)
	require.Equal(t, "DeploymentNotFound", oe.Code)

	// An error fault is typed by the SDK; a rate limit carries Azure's
	// retry-after-ms.
	id := addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{Status: 503}})
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 503, oe.StatusCode)
	require.Equal(t, "503", oe.Code)
	require.Equal(t, id, oe.Response.Header.Get(HeaderFault))
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	id = addFault(t, s, Fault{Mode: ModeRateLimit, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{RPM: 1}})
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.NoError(t, err)
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 429, oe.StatusCode)
	require.Equal(t, "429", oe.Code, "Azure names the status in code")
	require.Equal(t, "60", oe.Response.Header.Get("Retry-After"))
	ms, err := strconv.Atoi(oe.Response.Header.Get("Retry-After-Ms"))
	require.NoError(t, err)
	require.True(t, ms > 59000 && ms <= 60000, "retry-after-ms %d: within the minute's refill, as Retry-After's 60 s", ms)
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	// The api-version parameter is required.
	hres, body := post(t, s.URL()+"/openai/deployments/gpt-4o/chat/completions", chatBody("gpt-4o", "hi", ""), "api-key", "k")
	require.Equal(t, 400, hres.StatusCode)
	require.Contains(t, body, `"code":"MissingApiVersionParameter"`)

	// Azure's v1 API: the plain OpenAI client, the deployment in model.
	v1 := openai.NewClient(option.WithBaseURL(s.URL()+"/openai/v1"), option.WithHeader("api-key", "az-test"), option.WithMaxRetries(0))
	res, err := v1.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, res.Choices[0].Message.Content)
	_, err = v1.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "gpt-4o", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 400, oe.StatusCode)
	require.Equal(t, "OperationNotSupported", oe.Code, "a chat deployment asked for embeddings")

	mres, err := http.Get(s.URL() + "/metrics")
	require.NoError(t, err)
	mb, _ := io.ReadAll(mres.Body)
	mres.Body.Close()
	require.Contains(t, string(mb), `gen_ai_provider_name="azure"`)
	// Four answered chat requests (plain, streamed, the one the rate limit
	// let through, Azure v1), one 503, one 429, one embedding.
	for _, line := range []string{
		`gen_ai_server_request_duration_seconds_count{error_type="",gen_ai_operation_name="chat",gen_ai_provider_name="azure",gen_ai_request_model="gpt-4o"} 4`,
		`gen_ai_server_request_duration_seconds_count{error_type="503",gen_ai_operation_name="chat",gen_ai_provider_name="azure",gen_ai_request_model="gpt-4o"} 1`,
		`gen_ai_server_request_duration_seconds_count{error_type="429",gen_ai_operation_name="chat",gen_ai_provider_name="azure",gen_ai_request_model="gpt-4o"} 1`,
		`gen_ai_server_request_duration_seconds_count{error_type="",gen_ai_operation_name="embeddings",gen_ai_provider_name="azure",gen_ai_request_model="text-embedding-3-small"} 1`,
	} {
		require.Contains(t, string(mb), line+"\n")
	}
}

func TestLegacyCompletions(t *testing.T) {
	s, _ := startTest(t, nil)
	c := openaiClient(s)
	ctx := context.Background()
	prompt := openai.CompletionNewParamsPromptUnion{OfString: openai.String("Is the " + CanaryPrompt + " alive?")}

	res, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "gpt-4o-mini", Prompt: prompt, MaxTokens: openai.Int(100)})
	require.NoError(t, err)
	require.Equal(t, "text_completion", string(res.Object))
	require.Equal(t, CanaryAnswer, res.Choices[0].Text)
	require.Equal(t, "stop", string(res.Choices[0].FinishReason))
	require.EqualValues(t, CountTokens(CanaryAnswer), res.Usage.CompletionTokens)

	// The API's default max_tokens is 16.
	res, err = c.Completions.New(ctx, openai.CompletionNewParams{Model: "gpt-4o-mini", N: openai.Int(2),
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Tell me a long story")}})
	require.NoError(t, err)
	require.Len(t, res.Choices, 2)
	require.Equal(t, "length", string(res.Choices[1].FinishReason))
	require.EqualValues(t, 32, res.Usage.CompletionTokens)

	st := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: "gpt-4o-mini", Prompt: prompt, MaxTokens: openai.Int(100),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}})
	var b strings.Builder
	var finish string
	var usage int64
	for st.Next() {
		ch := st.Current()
		for _, cc := range ch.Choices {
			b.WriteString(cc.Text)
			if cc.FinishReason != "" {
				finish = string(cc.FinishReason)
			}
		}
		usage = max(usage, ch.Usage.CompletionTokens)
	}
	require.NoError(t, st.Err())
	require.Equal(t, CanaryAnswer, b.String())
	require.Equal(t, "stop", finish)
	require.EqualValues(t, CountTokens(CanaryAnswer), usage)

	id := addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "gpt-4o-mini"}, Params: FaultParams{Status: 500}})
	_, err = c.Completions.New(ctx, openai.CompletionNewParams{Model: "gpt-4o-mini", Prompt: prompt})
	var oe *openai.Error
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 500, oe.StatusCode)
	require.Equal(t, "server_error", oe.Type)
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	id = addFault(t, s, Fault{Mode: ModeStreamCut, Scope: faultmode.Scope{Target: "gpt-4o-mini"}, Params: FaultParams{AfterTokens: 2}})
	st = c.Completions.NewStreaming(ctx, openai.CompletionNewParams{Model: "gpt-4o-mini", Prompt: prompt})
	for st.Next() {
	}
	require.Error(t, st.Err())
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	hres, body := post(t, s.URL()+"/v1/completions", `{"model":"gpt-4o-mini","prompt":"x","n":1000}`)
	require.Equal(t, 400, hres.StatusCode)
	require.Contains(t, body, "above maximum value")
}

// TestGeminiStreamFaultsJSONArray: without alt=sse a stream fault still
// ends in a valid array whose last element is Google's error, and a
// streamed function call comes whole in one chunk.
func TestGeminiStreamFaultsJSONArray(t *testing.T) {
	s, _ := startTest(t, nil)
	url := s.URL() + "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
	id := addFault(t, s, Fault{Mode: ModeStreamErrorEvent, Scope: faultmode.Scope{Target: "gemini-*"}, Params: FaultParams{AfterTokens: 2}})
	res, body := post(t, url, `{"contents":[{"parts":[{"text":"Tell me about queues"}]}]}`)
	require.Equal(t, 200, res.StatusCode)
	var elems []map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &elems), body)
	require.Len(t, elems, 3, body)
	require.Equal(t, map[string]any{"code": 503.0, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}, elems[2]["error"])
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	c := geminiClient(t, s, "")
	tools := []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{Name: "get_weather", ParametersJsonSchema: weatherParams}}}}
	var calls []*genai.FunctionCall
	for r, err := range c.Models.GenerateContentStream(context.Background(), "gemini-2.5-flash", genai.Text("weather?"), &genai.GenerateContentConfig{Tools: tools}) {
		require.NoError(t, err)
		calls = append(calls, r.FunctionCalls()...)
	}
	require.Len(t, calls, 1)
	require.Equal(t, "get_weather", calls[0].Name)
	args, _ := json.Marshal(calls[0].Args)
	checkWeatherArgs(t, string(args))
}

func TestGeminiEmbeddings(t *testing.T) {
	s, _ := startTest(t, nil)
	c := geminiClient(t, s, "")
	ctx := context.Background()
	contents := []*genai.Content{genai.NewContentFromText("first text", genai.RoleUser), genai.NewContentFromText("second", genai.RoleUser)}
	res, err := c.Models.EmbedContent(ctx, "gemini-embedding-001", contents, &genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](256), TaskType: "RETRIEVAL_DOCUMENT"})
	require.NoError(t, err)
	require.Len(t, res.Embeddings, 2)
	for _, e := range res.Embeddings {
		require.Len(t, e.Values, 256)
		// Only the full vector is normalised, as Gemini documents: a
		// shorter one is its prefix, about 256/3072 of the norm.
		require.InDelta(t, 256.0/3072, norm2(e.Values), 0.03, "not renormalised")
	}
	require.NotEqual(t, res.Embeddings[0].Values, res.Embeddings[1].Values)
	again, err := c.Models.EmbedContent(ctx, "gemini-embedding-001", contents[:1], nil)
	require.NoError(t, err)
	require.Len(t, again.Embeddings[0].Values, 3072)
	require.InDelta(t, 1, norm2(again.Embeddings[0].Values), 1e-5)
	require.Equal(t, again.Embeddings[0].Values[:256], res.Embeddings[0].Values, "the shorter vector is the full one's prefix")
	require.Equal(t, again.Embeddings[0].Values, s.vectors().vector(s.models["gemini-embedding-001"].Model, "first text", 3072, false))
	j := s.Journal()
	require.Equal(t, "embedContent", j[len(j)-1].API)
	require.Equal(t, CountTokens("first text"), j[len(j)-1].InputTokens)

	_, err = c.Models.EmbedContent(ctx, "gemini-embedding-001", contents, &genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](5000)})
	var ae genai.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 400, ae.Code)
	require.Equal(t, "INVALID_ARGUMENT", ae.Status)
	require.Contains(t, ae.Message, "output_dimensionality: must be between 1 and 3072, got 5000")
	_, err = c.Models.EmbedContent(ctx, "gemini-2.5-flash", contents, nil)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 404, ae.Code)

	// The single embedContent method, and a fault on it in Google's shape.
	res2, body := post(t, s.URL()+"/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"first text"}]},"outputDimensionality":8}`)
	require.Equal(t, 200, res2.StatusCode, body)
	var one struct{ Embedding struct{ Values []float32 } }
	require.NoError(t, json.Unmarshal([]byte(body), &one))
	require.Len(t, one.Embedding.Values, 8)
	id := addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "gemini-embedding-*"}, Params: FaultParams{Status: 503}})
	_, err = c.Models.EmbedContent(ctx, "gemini-embedding-001", contents, nil)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "UNAVAILABLE", ae.Status)
	require.EqualValues(t, 1, s.Faults().Affected(id))
}
