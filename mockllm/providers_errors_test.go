package mockllm

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestErrorShapes holds every surface's error body to its provider's
// documented shape: OpenAI's and Azure's {"error": {message, type, param,
// code}}, Anthropic's {"type": "error", "error": {type, message}} and
// Google's {"error": {code, message, status, details}}.
func TestErrorShapes(t *testing.T) {
	s, _ := startTest(t, func(c *Config) { c.RequireAPIKey = true })
	force := func(params string) []string {
		return []string{HeaderForceFault, ModeError, HeaderForceParams, params}
	}
	gem := `{"contents":[{"parts":[{"text":"hi"}]}]}`
	azure := "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
	cases := []struct {
		name, path, body string
		headers          []string
		status           int
		want             string
	}{
		{"openai 429", "/v1/chat/completions", chatBody("gpt-4o", "hi", ""), append(force(`{"status":429,"retry_after":7}`), "Authorization", "Bearer k"), 429,
			`{"error":{"message":"Rate limit reached for gpt-4o in organization org-drill on requests per min (RPM). Please try again in 7s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`},
		{"completions 500", "/v1/completions", `{"model":"gpt-4o","prompt":"hi"}`, append(force(`{"status":500}`), "Authorization", "Bearer k"), 500,
			`{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`},
		{"anthropic 529", "/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, append(force(`{"status":529}`), "x-api-key", "k"), 529,
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		{"azure 429", azure, chatBody("gpt-4o", "hi", ""), append(force(`{"status":429,"retry_after":7}`), "api-key", "k"), 429,
			`{"error":{"message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 7 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.","type":null,"param":null,"code":"429"}}`},
		{"azure embeddings 429", "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-06-01", `{"input":"x"}`, append(force(`{"status":429}`), "api-key", "k"), 429,
			`{"error":{"message":"Requests to the Embeddings_Create Operation under Azure OpenAI API version 2024-06-01 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.","type":null,"param":null,"code":"429"}}`},
		{"azure v1 429", "/openai/v1/chat/completions", chatBody("gpt-4o", "hi", ""), append(force(`{"status":429}`), "api-key", "k"), 429,
			`{"error":{"message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version v1 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.","type":null,"param":null,"code":"429"}}`},
		{"azure prompt filter", azure, chatBody("gpt-4o", "hi", ""), []string{HeaderForceFault, ModePromptFilter, HeaderForceParams, `{"category":"hate"}`, "api-key", "k"}, 400,
			`{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766","type":null,"param":"prompt","code":"content_filter","status":400,
				"innererror":{"code":"ResponsibleAIPolicyViolation","content_filter_result":{"hate":{"filtered":true,"severity":"medium"},"jailbreak":{"filtered":false,"detected":false},
					"self_harm":{"filtered":false,"severity":"safe"},"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}}}}`},
		{"azure v1 chat model for embeddings", "/openai/v1/embeddings", `{"model":"gpt-4o","input":"x"}`, []string{"api-key", "k"}, 400,
			`{"error":{"message":"The embeddings operation does not work with the specified model, gpt-4o. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.","type":null,"param":null,"code":"OperationNotSupported"}}`},
		{"azure 503", azure, chatBody("gpt-4o", "hi", ""), append(force(`{"status":503}`), "api-key", "k"), 503,
			`{"error":{"message":"The engine is currently overloaded, please try again later.","type":"server_error","param":null,"code":"503"}}`},
		{"azure no deployment", "/openai/deployments/nope/embeddings?api-version=2024-10-21", `{"input":"x"}`, []string{"api-key", "k"}, 404,
			`{"error":{"message":"The API deployment nope for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.","type":null,"param":null,"code":"DeploymentNotFound"}}`},
		{"gemini 429", "/v1beta/models/gemini-2.5-flash:generateContent", gem, append(force(`{"status":429,"retry_after":7}`), "x-goog-api-key", "k"), 429,
			`{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[
				{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},
				{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`},
		{"gemini 503 (v1, key in query)", "/v1/models/gemini-2.5-flash:generateContent?key=k", gem, force(`{"status":503}`), 503,
			`{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`},
		{"gemini bad field", "/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":9}}`, nil, 400,
			`{"error":{"code":400,"message":"* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8, got 9.","status":"INVALID_ARGUMENT","details":[
				{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"generation_config.candidate_count","description":"* GenerateContentRequest.generation_config.candidate_count: must be between 1 and 8, got 9."}]}]}}`},
		{"gemini bad JSON", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", `{"contents":`, nil, 400,
			`{"error":{"code":400,"message":"Invalid JSON payload received. We could not parse the JSON body of your request: unexpected end of JSON input. The body must be a JSON object.","status":"INVALID_ARGUMENT"}}`},
		{"gemini unknown method", "/v1beta/models/gemini-2.5-flash:embedText", gem, nil, 404,
			`{"error":{"code":404,"message":"Method \"embedText\" is not served here: want generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents.","status":"NOT_FOUND"}}`},
		{"gemini no key", "/v1beta/models/gemini-2.5-flash:generateContent", gem, nil, 403,
			`{"error":{"code":403,"message":"Method doesn't allow unregistered callers (callers without established identity). Please use API key or other form of API consumer identity to call this API.","status":"PERMISSION_DENIED"}}`},
		{"azure no key", azure, chatBody("gpt-4o", "hi", ""), nil, 401,
			`{"error":{"message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.","type":null,"param":null,"code":"401"}}`},
	}
	for _, tc := range cases {
		res, body := post(t, s.URL()+tc.path, tc.body, tc.headers...)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.name, body)
		require.Equal(t, "application/json", res.Header.Get("Content-Type"), tc.name)
		require.JSONEq(t, tc.want, body, tc.name)
	}
}

// TestErrorRequestIDs: an error names its request as the answer would,
// in the header each SDK reads onto its error (openai's and Anthropic's
// requestID, the AWS SDK's $metadata.requestId).
func TestErrorRequestIDs(t *testing.T) {
	s, _ := startTest(t, nil)
	force := []string{HeaderForceFault, ModeError, HeaderForceParams, `{"status":500}`}
	cases := []struct{ path, body, header string }{
		{"/v1/chat/completions", chatBody("gpt-4o", "hi", ""), "X-Request-Id"},
		{"/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, "Request-Id"},
		{"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", chatBody("gpt-4o", "hi", ""), "Apim-Request-Id"},
		{"/model/" + bedrockNova + "/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, "X-Amzn-Requestid"},
	}
	seen := map[string]string{}
	for _, tc := range cases {
		// The same request, answered and refused, twice each: every answer
		// has a request ID of its own (a service's logs join on them).
		for i := range 4 {
			var headers []string
			if i%2 == 1 {
				headers = force
			}
			res, body := post(t, s.URL()+tc.path, tc.body, headers...)
			require.Equal(t, []int{200, 500}[i%2], res.StatusCode, "%s: %s", tc.path, body)
			id := res.Header.Get(tc.header)
			require.Regexp(t, `^req_[0-9a-f]{16}$`, id, tc.path)
			require.NotContains(t, seen, id, "%s: request %d has the ID of %s", tc.path, i, seen[id])
			seen[id] = fmt.Sprintf("%s request %d", tc.path, i)
		}
	}
}
