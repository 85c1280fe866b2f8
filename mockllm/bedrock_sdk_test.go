package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/drillkit/drill/internal/faultmode"
	"github.com/stretchr/testify/require"
)

const (
	bedrockHaiku = "anthropic.claude-haiku-4-5-20251001-v1:0"
	bedrockNova  = "amazon.nova-lite-v1:0"
)

// bedrockClient is the official SDK pointed at the server, signing with
// a made-up key and trying each request once.
//
// Its HTTP client hides the request body's WriteTo: smithy-go closes the
// request body as soon as the response headers arrive, and its closed
// body's WriteTo returns io.EOF, which net/http's check for extra body
// bytes (io.Copy to io.Discard, after the body is sent) takes for a
// write error, closing the connection under the response being read. A
// server that answers on loopback before that check (a virtual clock
// here) loses a few streams in a hundred to it; with any real latency
// the check is long done.
func bedrockClient(s *Server) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIADRILLEXAMPLE", "not-a-secret", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Transport: readOnlyBodies{http.DefaultTransport}},
	})
}

// readOnlyBodies sends request bodies through Read alone.
type readOnlyBodies struct{ rt http.RoundTripper }

func (t readOnlyBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r = r.Clone(r.Context())
		r.Body = struct{ io.ReadCloser }{r.Body}
	}
	return t.rt.RoundTrip(r)
}

func userText(text string) []types.Message {
	return []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}}
}

func TestBedrockConverse(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	ctx := context.Background()
	prompt := "Is the " + CanaryPrompt + " alive?"
	for _, id := range []string{bedrockHaiku, "us." + bedrockHaiku, "arn:aws:bedrock:us-east-1::foundation-model/" + bedrockHaiku} {
		out, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(id), Messages: userText(prompt),
			System: []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be brief"}}})
		require.NoError(t, err, id)
		msg := out.Output.(*types.ConverseOutputMemberMessage).Value
		require.Equal(t, types.ConversationRoleAssistant, msg.Role)
		require.Equal(t, CanaryAnswer, msg.Content[0].(*types.ContentBlockMemberText).Value)
		require.Equal(t, types.StopReasonEndTurn, out.StopReason)
		require.EqualValues(t, CountTokens(CanaryAnswer), *out.Usage.OutputTokens)
		require.EqualValues(t, CountTokens("be brief")+3+CountTokens(prompt), *out.Usage.InputTokens)
		require.Equal(t, *out.Usage.InputTokens+*out.Usage.OutputTokens, *out.Usage.TotalTokens)
		require.Positive(t, *out.Metrics.LatencyMs)
	}

	// maxTokens cuts the answer with stopReason max_tokens; bounds are
	// Bedrock's validation errors.
	out, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockNova), Messages: userText("Tell me a long story"),
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(5)}})
	require.NoError(t, err)
	require.Equal(t, types.StopReasonMaxTokens, out.StopReason)
	require.EqualValues(t, 5, *out.Usage.OutputTokens)
	_, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockNova), Messages: userText("hi"),
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(20000)}})
	var ve *types.ValidationException
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "The maximum tokens you requested exceeds the model limit of 10000. Try again with a maximum tokens value that is lower than 10000.", ve.ErrorMessage())
	_, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String("meta.llama9"), Messages: userText("hi")})
	require.ErrorAs(t, err, &ve)
	require.Contains(t, ve.ErrorMessage(), "The provided model identifier is invalid. Models served here: "+bedrockHaiku+", "+bedrockNova)

	j := s.Journal()
	require.Equal(t, "converse", j[0].API)
	require.Equal(t, 200, j[0].Status)
}

func TestBedrockConverseTools(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	ctx := context.Background()
	schema := map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}}
	tools := &types.ToolConfiguration{
		Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("get_weather"),
			InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(schema)}}}},
		ToolChoice: &types.ToolChoiceMemberTool{Value: types.SpecificToolChoice{Name: aws.String("get_weather")}},
	}
	out, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("Weather in Paris?"), ToolConfig: tools})
	require.NoError(t, err)
	require.Equal(t, types.StopReasonToolUse, out.StopReason)
	tu := out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberToolUse).Value
	require.Equal(t, "get_weather", *tu.Name)
	require.True(t, strings.HasPrefix(*tu.ToolUseId, "tooluse_"), *tu.ToolUseId)
	var args map[string]any
	require.NoError(t, tu.Input.UnmarshalSmithyDocument(&args))
	require.IsType(t, "", args["city"])

	// The tool's result answered: the model answers in text.
	msgs := append(userText("Weather in Paris?"),
		types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberToolUse{Value: tu}}},
		types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{
			ToolUseId: tu.ToolUseId, Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "sunny"}}}}}})
	tools.ToolChoice = &types.ToolChoiceMemberAuto{}
	out, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: msgs, ToolConfig: tools})
	require.NoError(t, err)
	require.Equal(t, types.StopReasonEndTurn, out.StopReason)

	// Streamed: a contentBlockStart names the tool, the deltas join into
	// its JSON input.
	st, err := c.ConverseStream(ctx, &bedrockruntime.ConverseStreamInput{ModelId: aws.String(bedrockHaiku), Messages: userText("Weather in Paris?"),
		ToolConfig: &types.ToolConfiguration{Tools: tools.Tools, ToolChoice: &types.ToolChoiceMemberAny{}}})
	require.NoError(t, err)
	var name, input string
	var stop types.StopReason
	for ev := range st.GetStream().Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockStart:
			name = *v.Value.Start.(*types.ContentBlockStartMemberToolUse).Value.Name
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			input += *v.Value.Delta.(*types.ContentBlockDeltaMemberToolUse).Value.Input
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = v.Value.StopReason
		}
	}
	require.NoError(t, st.GetStream().Err())
	require.NoError(t, st.GetStream().Close())
	require.Equal(t, "get_weather", name)
	require.Equal(t, types.StopReasonToolUse, stop)
	require.NoError(t, json.Unmarshal([]byte(input), &args), input)
}

// converseStream reads a ConverseStream to its end: the text, the stop
// reason, the usage of its metadata event (nil without one) and the
// stream's error.
func converseStream(t *testing.T, c *bedrockruntime.Client, model, prompt string) (string, types.StopReason, *types.TokenUsage, error) {
	t.Helper()
	out, err := c.ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model), Messages: userText(prompt)})
	require.NoError(t, err)
	st := out.GetStream()
	defer st.Close()
	var text strings.Builder
	var stop types.StopReason
	var usage *types.TokenUsage
	first := true
	for ev := range st.Events() {
		if first {
			require.IsType(t, &types.ConverseStreamOutputMemberMessageStart{}, ev)
			first = false
		}
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			text.WriteString(v.Value.Delta.(*types.ContentBlockDeltaMemberText).Value)
		case *types.ConverseStreamOutputMemberMessageStop:
			stop = v.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			usage = v.Value.Usage
		}
	}
	return text.String(), stop, usage, st.Err()
}

func TestBedrockConverseStream(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	text, stop, usage, err := converseStream(t, c, bedrockHaiku, "Is the "+CanaryPrompt+" alive?")
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, text)
	require.Equal(t, types.StopReasonEndTurn, stop)
	require.EqualValues(t, CountTokens(CanaryAnswer), *usage.OutputTokens)
	j := s.Journal()
	require.True(t, j[0].Stream)
	require.Equal(t, "converse", j[0].API)
}

// TestBedrockFaults holds every fault of the catalog to what the SDK
// makes of it: the exception type, the HTTP status and whether the SDK's
// standard retryer would retry it.
func TestBedrockFaults(t *testing.T) {
	ctx := context.Background()
	retryer := retry.NewStandard()
	cases := []struct {
		name      string
		fault     Fault
		code      string
		status    int
		retryable bool
		msg       string
	}{
		{"429", Fault{Mode: ModeError, Params: FaultParams{Status: 429}}, "ThrottlingException", 429, true, "Too many requests, please wait before trying again."},
		{"503", Fault{Mode: ModeError, Params: FaultParams{Status: 503}}, "ServiceUnavailableException", 503, true, "Bedrock is unable to process your request."},
		{"529 is Bedrock's 503", Fault{Mode: ModeError, Params: FaultParams{Status: 529}}, "ServiceUnavailableException", 503, true, ""},
		{"500", Fault{Mode: ModeError, Params: FaultParams{Status: 500}}, "InternalServerException", 500, true, ""},
		{"424", Fault{Mode: ModeError, Params: FaultParams{Status: 424}}, "ModelErrorException", 424, false, ""},
		{"504 is a model timeout", Fault{Mode: ModeError, Params: FaultParams{Status: 504}}, "ModelTimeoutException", 408, false, ""},
		{"400", Fault{Mode: ModeError, Params: FaultParams{Status: 400}}, "ValidationException", 400, false, "Input is too long for requested model."},
		{"403", Fault{Mode: ModeError, Params: FaultParams{Status: 403}}, "AccessDeniedException", 403, false, ""},
		{"401 is an unrecognized client", Fault{Mode: ModeError, Params: FaultParams{Status: 401}}, "UnrecognizedClientException", 403, false, "The security token included in the request is invalid."},
		{"type named", Fault{Mode: ModeError, Params: FaultParams{Status: 429, Type: "ModelNotReadyException", Message: "warming up"}}, "ModelNotReadyException", 429, false, "warming up"}, // the Go SDK's retryer knows no retryable trait
		{"quota", Fault{Mode: ModeQuota}, "ThrottlingException", 429, true, "Too many tokens per day, please wait before trying again."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := startTest(t, nil)
			tc.fault.Target = "*haiku*"
			id := addFault(t, s, tc.fault)
			_, err := bedrockClient(s).Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi")})
			var api smithy.APIError
			require.ErrorAs(t, err, &api)
			require.Equal(t, tc.code, api.ErrorCode())
			if tc.msg != "" {
				require.Equal(t, tc.msg, api.ErrorMessage())
			}
			var re *awshttp.ResponseError
			require.ErrorAs(t, err, &re)
			require.Equal(t, tc.status, re.HTTPStatusCode())
			require.Equal(t, tc.retryable, retryer.IsErrorRetryable(err), "retryable")
			require.EqualValues(t, 1, s.Faults().Affected(id))
		})
	}

	t.Run("typed exceptions", func(t *testing.T) {
		s, _ := startTest(t, nil)
		addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "*haiku*", Count: 1}, Params: FaultParams{Status: 429}})
		_, err := bedrockClient(s).Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi")})
		var te *types.ThrottlingException
		require.ErrorAs(t, err, &te)
		addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "*haiku*", Count: 1}, Params: FaultParams{Status: 424}})
		_, err = bedrockClient(s).Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi")})
		var me *types.ModelErrorException
		require.ErrorAs(t, err, &me)
	})

	t.Run("rate limit", func(t *testing.T) {
		s, _ := startTest(t, nil)
		addFault(t, s, Fault{Mode: ModeRateLimit, Scope: faultmode.Scope{Target: "*haiku*"}, Params: FaultParams{RPM: 1}})
		c := bedrockClient(s)
		_, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi")})
		require.NoError(t, err)
		_, err = c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi")})
		var te *types.ThrottlingException
		require.ErrorAs(t, err, &te)
		require.Equal(t, "Too many requests, please wait before trying again.", te.ErrorMessage())
		require.True(t, retryer.IsErrorRetryable(err))
	})

	t.Run("billing", func(t *testing.T) {
		s, _ := startTest(t, nil)
		c := bedrockClient(s)
		in := &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("Is the " + CanaryPrompt + " alive?")}
		base, err := c.Converse(ctx, in)
		require.NoError(t, err)
		addFault(t, s, Fault{Mode: ModeBilling, Scope: faultmode.Scope{Target: "*haiku*"}, Params: FaultParams{Factor: 10, Tokens: "both"}})
		out, err := c.Converse(ctx, in)
		require.NoError(t, err)
		require.Equal(t, 10**base.Usage.InputTokens, *out.Usage.InputTokens)
		require.Equal(t, 10**base.Usage.OutputTokens, *out.Usage.OutputTokens)
		_, _, usage, err := converseStream(t, c, bedrockHaiku, "Is the "+CanaryPrompt+" alive?")
		require.NoError(t, err)
		require.Equal(t, 10**base.Usage.OutputTokens, *usage.OutputTokens)
	})

	t.Run("stream faults", func(t *testing.T) {
		s, _ := startTest(t, nil)
		c := bedrockClient(s)
		prompt := "Tell me about queues"

		// An exception event mid-stream: the SDK's reader returns it.
		addFault(t, s, Fault{Mode: ModeStreamErrorEvent, Scope: faultmode.Scope{Target: "*haiku*", Count: 1}, Params: FaultParams{AfterTokens: 3}})
		text, _, usage, err := converseStream(t, c, bedrockHaiku, prompt)
		var mse *types.ModelStreamErrorException
		require.ErrorAs(t, err, &mse)
		require.EqualValues(t, 503, *mse.OriginalStatusCode)
		require.Nil(t, usage)
		require.NotEmpty(t, text)

		// A chunk that is not JSON: the reader fails to deserialize it.
		addFault(t, s, Fault{Mode: ModeMalformedChunk, Scope: faultmode.Scope{Target: "*haiku*", Count: 1}, Params: FaultParams{AfterTokens: 3}})
		_, _, _, err = converseStream(t, c, bedrockHaiku, prompt)
		require.ErrorContains(t, err, "contentBlockDelta")

		// A cut connection: the SDK's reader takes the early end as the
		// stream's end, so the client sees neither messageStop nor
		// metadata.
		addFault(t, s, Fault{Mode: ModeStreamCut, Scope: faultmode.Scope{Target: "*haiku*", Count: 1}, Params: FaultParams{AfterTokens: 3}})
		text, stop, usage, err := converseStream(t, c, bedrockHaiku, prompt)
		require.NoError(t, err)
		require.Empty(t, stop)
		require.Nil(t, usage)
		require.Len(t, SplitTokens(text), 3)
	})
}

func TestBedrockAuth(t *testing.T) {
	s, _ := startTest(t, func(c *Config) { c.RequireAPIKey = true })
	url := s.URL() + "/model/" + bedrockHaiku + "/converse"
	body := `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`
	sig := strings.Repeat("ab", 32)
	cases := []struct {
		name, auth, date, typ string
		status                int
	}{
		{"SigV4 with any key", "AWS4-HMAC-SHA256 Credential=AKIAANY/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig, "20261201T000000Z", "", 200},
		{"Bedrock API key", "Bearer ABSKdrill", "", "", 200},
		{"none", "", "", "MissingAuthenticationTokenException", 403},
		{"no signature", "AWS4-HMAC-SHA256 Credential=AKIAANY/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host", "20261201T000000Z", "IncompleteSignatureException", 403},
		{"no date", "AWS4-HMAC-SHA256 Credential=AKIAANY/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=" + sig, "", "IncompleteSignatureException", 403},
		{"wrong service", "AWS4-HMAC-SHA256 Credential=AKIAANY/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=" + sig, "20261201T000000Z", "IncompleteSignatureException", 403},
		{"not hex", "AWS4-HMAC-SHA256 Credential=AKIAANY/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=xyz", "20261201T000000Z", "InvalidSignatureException", 403},
		{"other scheme", "Basic dXNlcjpwdw==", "", "IncompleteSignatureException", 403},
	}
	for _, tc := range cases {
		var h []string
		if tc.auth != "" {
			h = append(h, "Authorization", tc.auth)
		}
		if tc.date != "" {
			h = append(h, "X-Amz-Date", tc.date)
		}
		res, got := post(t, url, body, h...)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, got)
		if tc.typ != "" {
			require.Equal(t, tc.typ+":http://internal.amazon.com/coral/com.amazon.bedrock/", res.Header.Get("X-Amzn-ErrorType"), tc.name)
			var e struct{ Message string }
			require.NoError(t, json.Unmarshal([]byte(got), &e))
			require.NotEmpty(t, e.Message, tc.name)
		}
	}

	// The SDK's own signature is accepted.
	_, err := bedrockClient(s).Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockHaiku), Messages: userText("hi")})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, s.Journal()[len(s.Journal())-1].Status)
}

func TestBedrockInvokeAnthropic(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	ctx := context.Background()
	body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Is the ` + CanaryPrompt + ` alive?"}]}`
	out, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: []byte(body), ContentType: aws.String("application/json")})
	require.NoError(t, err)
	var msg struct {
		Type    string
		Content []struct{ Type, Text string }
		Usage   struct {
			InputTokens  int `json:"input_tokens"`
			OutputTokens int `json:"output_tokens"`
		}
		StopReason string `json:"stop_reason"`
	}
	require.NoError(t, json.Unmarshal(out.Body, &msg), string(out.Body))
	require.Equal(t, "message", msg.Type)
	require.Equal(t, CanaryAnswer, msg.Content[0].Text)
	require.Equal(t, "end_turn", msg.StopReason)
	require.Equal(t, CountTokens(CanaryAnswer), msg.Usage.OutputTokens)

	// The stream: every chunk's bytes are one Anthropic event, the last
	// with Bedrock's invocation metrics.
	st, err := c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String("us." + bedrockHaiku), Body: []byte(body)})
	require.NoError(t, err)
	var text strings.Builder
	var last map[string]any
	for ev := range st.GetStream().Events() {
		chunk := ev.(*types.ResponseStreamMemberChunk).Value.Bytes
		var e struct {
			Type  string
			Delta struct{ Text string }
		}
		require.NoError(t, json.Unmarshal(chunk, &e), string(chunk))
		require.NoError(t, json.Unmarshal(chunk, &last))
		if e.Type == "content_block_delta" {
			text.WriteString(e.Delta.Text)
		}
	}
	require.NoError(t, st.GetStream().Err())
	require.NoError(t, st.GetStream().Close())
	require.Equal(t, CanaryAnswer, text.String())
	require.Equal(t, "message_stop", last["type"])
	metrics := last["amazon-bedrock-invocationMetrics"].(map[string]any)
	require.EqualValues(t, CountTokens(CanaryAnswer), metrics["outputTokenCount"])

	// Mid-stream, the exception event.
	addFault(t, s, Fault{Mode: ModeStreamErrorEvent, Scope: faultmode.Scope{Target: "*haiku*", Count: 1}, Params: FaultParams{AfterTokens: 2}})
	st, err = c.InvokeModelWithResponseStream(ctx, &bedrockruntime.InvokeModelWithResponseStreamInput{ModelId: aws.String(bedrockHaiku), Body: []byte(body)})
	require.NoError(t, err)
	for range st.GetStream().Events() {
	}
	var mse *types.ModelStreamErrorException
	require.ErrorAs(t, st.GetStream().Err(), &mse)
	require.ErrorAs(t, st.GetStream().Close(), &mse)

	// Bodies Bedrock refuses.
	for _, tc := range []struct{ body, msg string }{
		{`{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again."},
		{`{"anthropic_version":"bedrock-2023-05-31","model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, "Malformed input request: #: extraneous key [model] is not permitted, please reformat your input and try again."},
		{`{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"hi"}]}`, "max_tokens: Field required"},
	} {
		_, err := c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockHaiku), Body: []byte(tc.body)})
		var ve *types.ValidationException
		require.ErrorAs(t, err, &ve, tc.body)
		require.Equal(t, tc.msg, ve.ErrorMessage())
	}
	_, err = c.InvokeModel(ctx, &bedrockruntime.InvokeModelInput{ModelId: aws.String(bedrockNova), Body: []byte(body)})
	var ve *types.ValidationException
	require.ErrorAs(t, err, &ve)
	require.Contains(t, ve.ErrorMessage(), "call Converse for "+bedrockNova)
	require.False(t, errors.Is(err, context.Canceled))
}

func TestBedrockCountTokens(t *testing.T) {
	s, _ := startTest(t, nil)
	c := bedrockClient(s)
	ctx := context.Background()
	prompt := "Is the " + CanaryPrompt + " alive?"
	out, err := c.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(bedrockNova),
		Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: userText(prompt)}}})
	require.NoError(t, err)
	conv, err := c.Converse(ctx, &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockNova), Messages: userText(prompt)})
	require.NoError(t, err)
	require.Equal(t, *conv.Usage.InputTokens, *out.InputTokens, "what Converse bills")

	body := `{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"` + prompt + `"}]}`
	out, err = c.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(bedrockHaiku),
		Input: &types.CountTokensInputMemberInvokeModel{Value: types.InvokeModelTokensRequest{Body: []byte(body)}}})
	require.NoError(t, err)
	require.EqualValues(t, 3+CountTokens(prompt), *out.InputTokens)

	// Not a generation: an error fault does not touch it.
	addFault(t, s, Fault{Mode: ModeError, Params: FaultParams{Status: 503}})
	_, err = c.CountTokens(ctx, &bedrockruntime.CountTokensInput{ModelId: aws.String(bedrockNova),
		Input: &types.CountTokensInputMemberConverse{Value: types.ConverseTokensRequest{Messages: userText(prompt)}}})
	require.NoError(t, err)
	res, got := post(t, s.URL()+"/model/"+bedrockNova+"/count-tokens", `{"input":{}}`)
	require.Equal(t, 400, res.StatusCode)
	require.JSONEq(t, `{"message":"The input must name exactly one of converse or invokeModel."}`, got)
}

// TestBedrockOverHTTP2: the AWS SDK for JavaScript sends every Bedrock
// Runtime call over HTTP/2, with prior knowledge on a plain-HTTP
// endpoint; the Go SDK on an HTTP/2-only transport stands in for it here,
// answers and event streams alike.
func TestBedrockOverHTTP2(t *testing.T) {
	s, _ := startTest(t, nil)
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p}
	t.Cleanup(tr.CloseIdleConnections)
	var protos []string
	c := bedrockruntime.New(bedrockruntime.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider("AKIADRILLEXAMPLE", "not-a-secret", ""),
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			res, err := tr.RoundTrip(r)
			if err == nil {
				protos = append(protos, res.Proto)
			}
			return res, err
		})},
	})
	out, err := c.Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(bedrockNova), Messages: userText("Is the " + CanaryPrompt + " alive?")})
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, out.Output.(*types.ConverseOutputMemberMessage).Value.Content[0].(*types.ContentBlockMemberText).Value)
	text, stop, usage, err := converseStream(t, c, bedrockNova, "Explain backoff")
	require.NoError(t, err)
	require.Equal(t, types.StopReasonEndTurn, stop)
	require.EqualValues(t, CountTokens(text), *usage.OutputTokens)
	require.Equal(t, []string{"HTTP/2.0", "HTTP/2.0"}, protos)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
