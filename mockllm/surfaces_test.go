package mockllm

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSurfaces(t *testing.T) {
	s, _ := startTest(t, func(c *Config) { c.Surfaces = []string{SurfaceGemini, SurfaceBedrock} })
	require.Equal(t, []string{"gemini", "bedrock"}, s.Surfaces())
	cases := []struct {
		path, body string
		headers    []string
		status     int
		want       string
	}{
		{"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`, nil, 200, `"candidates"`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, nil, 200, `"stopReason"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "hi", ""), nil, 404,
			`{"error":{"message":"This server does not serve the openai API (POST /v1/chat/completions): its surfaces are gemini, bedrock.","type":"invalid_request_error","param":null,"code":"unknown_url"}}`},
		{"/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, nil, 404,
			`{"type":"error","error":{"type":"not_found_error","message":"This server does not serve the anthropic API (POST /v1/messages): its surfaces are gemini, bedrock."}}`},
		{"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", chatBody("gpt-4o", "hi", ""), nil, 404, `"code":"unknown_url"`},
	}
	for _, tc := range cases {
		res, body := post(t, s.URL()+tc.path, tc.body, tc.headers...)
		require.Equal(t, tc.status, res.StatusCode, "%s: %s", tc.path, body)
		if tc.status == 200 {
			require.Contains(t, body, tc.want, tc.path)
		} else if tc.want[0] == '{' {
			require.JSONEq(t, tc.want, body, tc.path)
		} else {
			require.Contains(t, body, tc.want, tc.path)
		}
	}
	for _, p := range []string{"/metrics", "/_drill/faults", "/_drill/journal"} {
		res, err := http.Get(s.URL() + p)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, 200, res.StatusCode, p)
	}

	_, err := ParseConfig("p.yaml", []byte("surfaces: [gemini, vertex, gemini]\n"))
	require.EqualError(t, err, "p.yaml:1:20: surfaces[1]: want one of openai, azure, anthropic, gemini, bedrock, got \"vertex\"\n"+
		"p.yaml:1:28: surfaces[2]: duplicate \"gemini\"")

	require.Equal(t, []SurfaceURL{
		{"openai", "http://h:1/v1", "OPENAI_BASE_URL"},
		{"azure", "http://h:1", "AZURE_OPENAI_ENDPOINT"},
		{"anthropic", "http://h:1", "ANTHROPIC_BASE_URL"},
		{"gemini", "http://h:1", "GOOGLE_GEMINI_BASE_URL"},
		{"bedrock", "http://h:1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"},
	}, BaseURLs("http://h:1/", nil))
	require.Equal(t, []SurfaceURL{{"bedrock", "http://h:1", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"}}, BaseURLs("http://h:1", []string{"bedrock"}))
}
