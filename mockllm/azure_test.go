package mockllm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"
)

// azureDeploymentsConfig is a config whose Azure deployments are named
// apart from their models, as a team's Azure resource names them.
const azureDeploymentsConfig = `deployments:
  prod-gpt4o: gpt-4o
  cheap.chat_v2: gpt-4o-mini
  embed: text-embedding-3-small
`

// azureAnswers asks through c for a chat answer from deployment chat,
// a streamed one from stream and an embedding from embed, checks them,
// and returns the models the three answers name.
func azureAnswers(t *testing.T, c openai.Client, chat, stream, embed string) []string {
	t.Helper()
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Is the " + CanaryPrompt + " alive?")}
	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: chat, Messages: msgs})
	require.NoError(t, err)
	require.Equal(t, CanaryAnswer, res.Choices[0].Message.Content)

	st := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: stream, Messages: msgs})
	var acc openai.ChatCompletionAccumulator
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	require.NoError(t, st.Err())
	require.Equal(t, CanaryAnswer, acc.Choices[0].Message.Content)

	emb, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: embed, Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")}})
	require.NoError(t, err)
	require.Len(t, emb.Data[0].Embedding, 1536)
	return []string{res.Model, acc.Model, emb.Model}
}

// TestAzureDeploymentsMap: with a deployments map, the SDK's deployment
// (its model parameter, which the azure option moves into the path, or
// the v1 API's body) finds the mapped model, which the answer names;
// deployments named after a model no longer exist.
func TestAzureDeploymentsMap(t *testing.T) {
	cfg, err := ParseConfig("azure.yaml", []byte(azureDeploymentsConfig))
	require.NoError(t, err)
	s, _ := startTest(t, func(c *Config) { c.Deployments = cfg.Deployments })
	c := azureClient(s)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Is the " + CanaryPrompt + " alive?")}

	require.Equal(t, []string{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"}, azureAnswers(t, c, "prod-gpt4o", "cheap.chat_v2", "embed"),
		"Azure answers with the model's name, not the deployment's")

	var oe *openai.Error
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 404, oe.StatusCode, "with a map, a deployment named after a model is not one")
	require.Equal(t, "DeploymentNotFound", oe.Code)
	require.Contains(t, oe.Message, "The API deployment gpt-4o for this resource does not exist.")

	_, err = c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "prod-gpt4o", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 400, oe.StatusCode)
	require.Equal(t, "OperationNotSupported", oe.Code)
	require.Contains(t, oe.Message, "The embeddings operation does not work with the specified model, gpt-4o.")
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "embed", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, "OperationNotSupported", oe.Code)
	require.Contains(t, oe.Message, "The chatCompletion operation does not work with the specified model, text-embedding-3-small.")

	// Azure's v1 API: the body's model is the deployment.
	v1 := openai.NewClient(option.WithBaseURL(s.URL()+"/openai/v1"), option.WithHeader("api-key", "az-test"), option.WithMaxRetries(0))
	res, err := v1.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "prod-gpt4o", Messages: msgs})
	require.NoError(t, err)
	require.Equal(t, "gpt-4o", res.Model)
	_, err = v1.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, "DeploymentNotFound", oe.Code)

	// The OpenAI surface still names models, not deployments.
	oc := openaiClient(s)
	_, err = oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.NoError(t, err)

	// A fault targets the model, whatever deployment serves it; the
	// journal names the model.
	id := addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{Status: 503}})
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "prod-gpt4o", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 503, oe.StatusCode)
	require.EqualValues(t, 1, s.Faults().Affected(id))
	j := s.Journal()
	last := j[len(j)-1]
	require.Equal(t, "gpt-4o", last.Model)
	require.Equal(t, id, last.Fault)
}

// TestAzureDeploymentsConfigErrors: a bad map is refused naming file,
// line, field and what was expected.
func TestAzureDeploymentsConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown model", "deployments:\n  prod: gpt-5\n",
			`x.yaml:2:3: deployments.prod: want an openai model of this server (gpt-4o, gpt-4o-mini, text-embedding-3-small), got "gpt-5"`},
		{"another provider's model", "deployments:\n  ok: gpt-4o\n  claude: claude-haiku-4-5\n",
			`x.yaml:3:3: deployments.claude: want an openai model of this server (gpt-4o, gpt-4o-mini, text-embedding-3-small), got "claude-haiku-4-5"`},
		{"the file's own models", "models:\n  - {name: m1, provider: anthropic}\ndeployments:\n  d: m1\n",
			`x.yaml:4:3: deployments.d: want an openai model of this server, got "m1"; the server has no openai models`},
		{"bad name", "deployments:\n  \"prod/gpt\": gpt-4o\n",
			`x.yaml:2:3: deployments.prod/gpt: deployment name: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, got "prod/gpt"`},
		{"dot name", "deployments:\n  ..: gpt-4o\n",
			`x.yaml:2:3: deployments...: deployment name: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, got ".."`},
		{"too long", "deployments:\n  " + strings.Repeat("d", MaxDeploymentName+1) + ": gpt-4o\n",
			`x.yaml:2:3: deployments.` + strings.Repeat("d", MaxDeploymentName+1) + `: deployment name: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, got "` + strings.Repeat("d", MaxDeploymentName+1) + `"`},
		{"empty", "deployments: {}\n",
			`x.yaml:1:1: deployments: want at least one deployment (name: model), or no deployments key, which names each deployment after its model`},
		{"not a map", "deployments: [gpt-4o]\n",
			`x.yaml:1:14: deployments: expected a mapping, got a list`},
		{"not a name", "deployments:\n  prod: [gpt-4o]\n",
			`x.yaml:2:9: deployments.prod: expected a string, got a list`},
	} {
		_, err := ParseConfig("x.yaml", []byte(tc.yaml))
		require.EqualError(t, err, tc.want, tc.name)
	}
	cfg, err := ParseConfig("x.yaml", []byte("deployments:\n  "+strings.Repeat("d", MaxDeploymentName)+": gpt-4o\n"))
	require.NoError(t, err, "a name of the longest length")
	require.Len(t, cfg.Deployments, 1)

	// A config built in code is checked the same way.
	c := DefaultConfig()
	c.Deployments = map[string]string{"prod": "claude-sonnet-4-5"}
	require.EqualError(t, c.Validate(), `config: deployments.prod: want an openai model of this server (gpt-4o, gpt-4o-mini, text-embedding-3-small), got "claude-sonnet-4-5"`)
}

// azureFilterError is the content filter detail of Azure's refusal, as
// the SDK hands it over: the innererror beside the fields it types.
type azureFilterError struct {
	Code   string                    `json:"code"`
	Result map[string]map[string]any `json:"content_filter_result"`
}

func innerError(t *testing.T, oe *openai.Error) azureFilterError {
	t.Helper()
	f, ok := oe.JSON.ExtraFields["innererror"]
	require.True(t, ok, "the SDK keeps innererror among the error's extra fields: %s", oe.RawJSON())
	var ie azureFilterError
	require.NoError(t, json.Unmarshal([]byte(f.Raw()), &ie))
	return ie
}

// TestAzurePromptFilter: the prompt_filter fault refuses Azure chat
// requests with Azure's 400 content_filter, as openai-go's azure option
// surfaces it, streamed or not; evidence and the journal count it, and
// requests it cannot affect (embeddings, other surfaces) are neither
// refused nor counted.
func TestAzurePromptFilter(t *testing.T) {
	s, _ := startTest(t, nil)
	c := azureClient(s)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")}

	id := addFault(t, s, Fault{Mode: ModePromptFilter, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{Category: FilterSelfHarm}})
	_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	var oe *openai.Error
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 400, oe.StatusCode)
	require.Equal(t, "content_filter", oe.Code)
	require.Equal(t, "prompt", oe.Param)
	require.Contains(t, oe.Message, "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.")
	require.Equal(t, id, oe.Response.Header.Get(HeaderFault))
	ie := innerError(t, oe)
	require.Equal(t, "ResponsibleAIPolicyViolation", ie.Code)
	require.Equal(t, map[string]map[string]any{
		"hate":      {"filtered": false, "severity": "safe"},
		"jailbreak": {"filtered": false, "detected": false},
		"self_harm": {"filtered": true, "severity": "medium"},
		"sexual":    {"filtered": false, "severity": "safe"},
		"violence":  {"filtered": false, "severity": "safe"},
	}, ie.Result)

	// A streamed request is refused before its stream starts.
	st := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.False(t, st.Next())
	require.True(t, errors.As(st.Err(), &oe), "%v", st.Err())
	require.Equal(t, 400, oe.StatusCode)
	require.Equal(t, "content_filter", oe.Code)
	require.NoError(t, st.Close())
	require.EqualValues(t, 2, s.Faults().Affected(id))

	// Not affected, not counted: embeddings, the OpenAI surface, another model.
	_, err = c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	require.NoError(t, err)
	oc := openaiClient(s)
	res, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o", Messages: msgs})
	require.NoError(t, err)
	require.NotEmpty(t, res.Choices[0].Message.Content)
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: msgs})
	require.NoError(t, err)
	require.EqualValues(t, 2, s.Faults().Affected(id))

	var refused []JournalEntry
	for _, e := range s.Journal() {
		if e.Fault != "" {
			refused = append(refused, e)
		}
	}
	require.Len(t, refused, 2)
	for _, e := range refused {
		require.Equal(t, JournalEntry{Time: e.Time, Model: "gpt-4o", API: "chat.completions", Stream: e.Stream, Status: 400,
			Fault: id, FaultMode: ModePromptFilter, DurationMS: e.DurationMS}, e)
	}
	require.True(t, refused[1].Stream)
	s.Faults().Remove(id)

	// A jailbreak is detected, not rated.
	id = addFault(t, s, Fault{Mode: ModePromptFilter, Params: FaultParams{Category: FilterJailbreak}})
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o-mini", Messages: msgs})
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, map[string]any{"filtered": true, "detected": true}, innerError(t, oe).Result["jailbreak"])
	require.Equal(t, map[string]any{"filtered": false, "severity": "safe"}, innerError(t, oe).Result["violence"])
	require.EqualValues(t, 1, s.Faults().Affected(id))

	s.Faults().Remove(id)

	// Forced by header, the same: applied and counted where it applies.
	force := []string{HeaderForceFault, ModePromptFilter, HeaderForceParams, `{"category":"sexual"}`}
	hres, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""), force...)
	require.Equal(t, 200, hres.StatusCode, body)
	require.Empty(t, hres.Header.Get(HeaderFault))
	hres, body = post(t, s.URL()+"/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21", `{"input":"x"}`, force...)
	require.Equal(t, 200, hres.StatusCode, body)
	require.EqualValues(t, 0, s.Faults().Affected("forced-"+ModePromptFilter), "not counted where it cannot apply")
	hres, body = post(t, s.URL()+"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", chatBody("gpt-4o", "hi", ""), force...)
	require.Equal(t, 400, hres.StatusCode)
	require.Contains(t, body, `"sexual":{"filtered":true,"severity":"medium"}`)
	require.Equal(t, "forced-"+ModePromptFilter, hres.Header.Get(HeaderFault))
	require.EqualValues(t, 1, s.Faults().Affected("forced-"+ModePromptFilter))

	// The control API refuses a category Azure has not.
	_, err = s.Faults().Add(Fault{Mode: ModePromptFilter, Params: FaultParams{Category: "profanity"}})
	require.EqualError(t, err, `params.category: want one of hate, self_harm, sexual, violence, jailbreak, got "profanity"`)
	_, err = s.Faults().Add(Fault{Mode: ModePromptFilter})
	require.ErrorContains(t, err, `params.category: want one of`)
}

// TestAzureRateLimitHeaders: Azure's 429 carries retry-after (whole
// seconds), retry-after-ms (the wait, rounded up) and what remains of
// the limits (x-ratelimit-remaining-requests and -tokens), and none of
// OpenAI's limit and reset headers; and openai-go retries after
// retry-after-ms. The server runs on real time with no latency, so the
// bucket refills while the SDK waits; the limit is set so that the
// second request is short of tokens by about 300 ms of refill.
func TestAzureRateLimitHeaders(t *testing.T) {
	s, _ := startTest(t, func(c *Config) {
		c.Sleeper = nil
		for i := range c.Models {
			c.Models[i].Latency = Latency{}
		}
	})
	ctx := context.Background()
	const maxTokens = 16000
	params := openai.ChatCompletionNewParams{Model: "gpt-4o", MaxTokens: openai.Int(maxTokens),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello")}}

	// What one request takes of a token limit: its prompt and max_tokens,
	// read back from x-ratelimit-remaining-tokens under a large limit.
	big := 1_000_000
	id := addFault(t, s, Fault{Mode: ModeRateLimit, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{TPM: big}})
	var hres *http.Response
	ac := azureClient(s)
	_, err := ac.Chat.Completions.New(ctx, params, option.WithResponseInto(&hres))
	require.NoError(t, err)
	left, err := strconv.Atoi(hres.Header.Get("x-ratelimit-remaining-tokens"))
	require.NoError(t, err)
	want := big - left
	require.Greater(t, want, maxTokens)
	s.Faults().Remove(id)

	// A limit two requests overdraw by 160 tokens: the second waits for
	// their refill, 160·60/tpm s (about 300 ms, long enough that a slow
	// machine does not refill it between two requests).
	const short = 160
	tpm := 2*want - short
	wait := time.Duration(short * 60 * float64(time.Second) / float64(tpm))
	limit := func() string {
		return addFault(t, s, Fault{Mode: ModeRateLimit, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{TPM: tpm, RPM: 1000}})
	}

	id = limit()
	c := azureClient(s) // no retries
	_, err = c.Chat.Completions.New(ctx, params, option.WithResponseInto(&hres))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(tpm-want), hres.Header.Get("x-ratelimit-remaining-tokens"), "sent on answers too")
	require.Equal(t, "999", hres.Header.Get("x-ratelimit-remaining-requests"))
	_, err = c.Chat.Completions.New(ctx, params)
	var oe *openai.Error
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 429, oe.StatusCode)
	require.Equal(t, "429", oe.Code)
	require.Contains(t, oe.Message, "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 1 seconds.")
	h := oe.Response.Header
	require.Equal(t, "1", h.Get("Retry-After"))
	ms, err := strconv.Atoi(h.Get("Retry-After-Ms"))
	require.NoError(t, err)
	require.True(t, ms > 0 && time.Duration(ms)*time.Millisecond <= wait+time.Millisecond, "retry-after-ms %d, the wait at most %v", ms, wait)
	left, err = strconv.Atoi(h.Get("x-ratelimit-remaining-tokens"))
	require.NoError(t, err)
	require.True(t, left >= tpm-want && left < want, "remaining %d: a refusal takes nothing (what remains has only refilled since, %d), and it is short of %d", left, tpm-want, want)
	reqLeft, err := strconv.Atoi(h.Get("x-ratelimit-remaining-requests"))
	require.NoError(t, err)
	require.True(t, reqLeft >= 999 && reqLeft <= 1000, "remaining requests %d: one of 1000 taken, refilling since", reqLeft)
	for _, name := range []string{"x-ratelimit-limit-requests", "x-ratelimit-limit-tokens", "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"} {
		require.Empty(t, h.Get(name), "Azure does not send %s", name)
	}
	require.EqualValues(t, 1, s.Faults().Affected(id))
	s.Faults().Remove(id)

	// A 429 error fault carries the same headers.
	id = addFault(t, s, Fault{Mode: ModeError, Scope: faultmode.Scope{Target: "gpt-4o"}, Params: FaultParams{Status: 429, RetryAfter: 7}})
	_, err = c.Chat.Completions.New(ctx, params)
	require.True(t, errors.As(err, &oe), "%v", err)
	require.Equal(t, 429, oe.StatusCode)
	require.Equal(t, "429", oe.Code)
	h = oe.Response.Header
	require.Equal(t, "7", h.Get("Retry-After"))
	require.Equal(t, "7000", h.Get("Retry-After-Ms"))
	require.Equal(t, "0", h.Get("x-ratelimit-remaining-requests"))
	require.Empty(t, h.Get("x-ratelimit-reset-requests"))
	s.Faults().Remove(id)

	// openai-go waits retry-after-ms and retries. With a longest wait of
	// 900 ms it could not have taken Retry-After's second: without
	// retry-after-ms (the control, which strips it) it does not retry.
	retrying := func(extra ...option.RequestOption) openai.Client {
		return openai.NewClient(append([]option.RequestOption{azure.WithEndpoint(s.URL(), "2024-10-21"), azure.WithAPIKey("az-test"),
			azure.WithUnsafeAllowHTTP(), option.WithMaxRetries(1), option.WithMaxRetryDelay(900 * time.Millisecond)}, extra...)...)
	}
	for _, strip := range []bool{false, true} {
		id = limit()
		var mw []option.RequestOption
		if strip {
			mw = append(mw, option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
				res, err := next(r)
				if res != nil {
					res.Header.Del("Retry-After-Ms")
				}
				return res, err
			}))
		}
		rc := retrying(mw...)
		_, err = rc.Chat.Completions.New(ctx, params)
		require.NoError(t, err)
		n := len(s.Journal())
		_, err = rc.Chat.Completions.New(ctx, params)
		tries := s.Journal()[n:]
		if strip {
			require.True(t, errors.As(err, &oe), "%v", err)
			require.Equal(t, 429, oe.StatusCode)
			require.Len(t, tries, 1, "without retry-after-ms the SDK does not wait Retry-After's second")
		} else {
			require.NoError(t, err, "the SDK retried after retry-after-ms")
			require.Len(t, tries, 2)
			require.Equal(t, 429, tries[0].Status)
			require.Equal(t, 200, tries[1].Status)
		}
		require.EqualValues(t, 1, s.Faults().Affected(id))
		s.Faults().Remove(id)
	}
}
