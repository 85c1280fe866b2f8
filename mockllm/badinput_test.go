package mockllm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBadInputGetsProviderErrors(t *testing.T) {
	s, _ := startTest(t, func(c *Config) { c.MaxBodyBytes = 4096 })
	big := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 5000) + `"}]}`
	cases := []struct {
		path, body string
		status     int
		want       string
	}{
		{"/v1/chat/completions", `{"model":`, 400, `"type":"invalid_request_error"`},
		{"/v1/chat/completions", `{"model":"gpt-5-ultra","messages":[{"role":"user","content":"x"}]}`, 404, `"code":"model_not_found"`},
		{"/v1/chat/completions", `{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]}`, 404, "Models served here: gpt-4o, gpt-4o-mini"},
		{"/v1/chat/completions", `{"model":"gpt-4o","messages":[]}`, 400, `"param":"messages"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "x", `"n":0`), 400, `"param":"n"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "x", `"max_tokens":-1`), 400, `"param":"max_tokens"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "x", `"max_tokens":"lots"`), 400, `"param":"max_tokens"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "x", `"temperature":3`), 400, `"param":"temperature"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "x", `"tool_choice":"required"`), 400, `"param":"tool_choice"`},
		{"/v1/chat/completions", chatBody("gpt-4o", "x", `"response_format":{"type":"yaml"}`), 400, `"param":"response_format.type"`},
		{"/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"robot","content":"x"}]}`, 400, `"param":"messages[0].role"`},
		{"/v1/chat/completions", big, 413, `"code":"request_too_large"`},
		{"/v1/embeddings", `{"model":"gpt-4o","input":"x"}`, 404, `"code":"model_not_found"`},
		{"/v1/embeddings", `{"model":"text-embedding-3-small","input":""}`, 400, `"param":"input"`},
		{"/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","dimensions":99999}`, 400, `"param":"dimensions"`},
		{"/v1/responses", `{"model":"gpt-4o"}`, 400, `"param":"input"`},
		{"/v1/messages", `{"model":"claude-haiku-4-5","messages":[{"role":"user","content":"x"}]}`, 400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}`},
		{"/v1/messages", `not json`, 400, `{"type":"error","error":{"type":"invalid_request_error"`},
		{"/v1/messages", `{"model":"gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`, 404, `"type":"not_found_error"`},
		{"/v1/messages", strings.Replace(big, `"gpt-4o"`, `"claude-haiku-4-5","max_tokens":5`, 1), 413, `"type":"request_too_large"`},
		{"/v1/nothing", `{}`, 404, `"code":"unknown_url"`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":`, 400, `{"message":"Malformed input request: We could not parse the JSON body`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[]}`, 400, `{"message":"1 validation error detected: Value '[]' at 'messages' failed to satisfy constraint: Member must have length greater than or equal to 1"}`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokens":0}}`, 400, `at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"assistant","content":[{"text":"x"}]}]}`, 400, `A conversation must start with a user message.`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"user","content":[]}]}`, 400, `The content field in the Message object at messages.0 is empty.`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"x"}]}],"toolConfig":{"tools":[]}}`, 400, `at 'toolConfig.tools' failed`},
		{"/model/amazon.nova-lite-v1:0/chat", `{}`, 404, `Unknown operation \"chat\"`},
		{"/model/amazon.nova-lite-v1:0/converse", strings.Replace(big, `"model":"gpt-4o",`, ``, 1), 413, `Request body too large`},
	}
	for _, tc := range cases {
		res, body := post(t, s.URL()+tc.path, tc.body)
		require.Equal(t, tc.status, res.StatusCode, "%s %s: %s", tc.path, tc.body[:min(len(tc.body), 80)], body)
		require.Contains(t, body, tc.want)
		require.True(t, json.Valid([]byte(body)), body)
	}
	// At the limit: a body of exactly MaxBodyBytes is read, one byte more
	// is the 413, whether its Content-Length says so (refused unread) or
	// it comes chunked (bounded as it is read).
	sized := func(n int) string {
		b := chatBody("gpt-4o", "", "")
		return chatBody("gpt-4o", strings.Repeat("a", n-len(b)), "")
	}
	for _, chunked := range []bool{false, true} {
		for _, tc := range []struct {
			size, status int
		}{{4096, 200}, {4097, 413}} {
			body := sized(tc.size)
			require.Len(t, body, tc.size)
			var rd io.Reader = strings.NewReader(body)
			if chunked {
				rd = io.MultiReader(rd) // of no known length: the transport sends it chunked
			}
			req, err := http.NewRequest("POST", s.URL()+"/v1/chat/completions", rd)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			require.Equal(t, tc.status, res.StatusCode, "chunked %v, %d bytes: %s", chunked, tc.size, b)
			if tc.status == 413 {
				require.Contains(t, string(b), `"code":"request_too_large"`)
				require.Contains(t, string(b), "the limit is 4096 bytes")
			}
		}
	}
	// Context window.
	res, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "x", `"max_tokens":16384`), "X-Ignore", "1")
	require.Equal(t, 200, res.StatusCode, body)
}

// FuzzDecode feeds arbitrary bodies to every API: the answer is always a
// well-formed response or a provider error, never a panic or a 5xx.
func FuzzDecode(f *testing.F) {
	f.Add("/v1/chat/completions", chatBody("gpt-4o", "hi", `"stream":true,"n":2,"max_tokens":3`))
	f.Add("/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"$ref":"#/$defs/x"}},"$defs":{"x":{"type":"array","items":{"anyOf":[{"type":"null"},{"type":"integer","minimum":5,"maximum":1}]}}}}}}],"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object","properties":{"z":{"type":["string","null"],"minLength":3,"maxLength":1}}}}}}`)
	f.Add("/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":10,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":"y"}]}],"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}`)
	f.Add("/v1/responses", `{"model":"gpt-4o","input":[{"role":"user","content":"x"},{"type":"function_call_output","call_id":"c","output":"o"}],"text":{"format":{"type":"json_object"}},"max_output_tokens":16}`)
	f.Add("/v1/embeddings", `{"model":"text-embedding-3-small","input":[[1,2],[3]],"encoding_format":"base64"}`)
	f.Add("/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"t","args":{"a":1}}}]},{"role":"user","parts":[{"functionResponse":{"name":"t","response":{"r":2}}}]}],"systemInstruction":{"parts":[{"text":"s"}]},"tools":[{"functionDeclarations":[{"name":"t","parameters":{"type":"OBJECT","properties":{"a":{"type":"INTEGER"}}}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["t"]}},"generationConfig":{"candidateCount":2,"maxOutputTokens":5}}`)
	f.Add("/v1beta/models/gemini-2.5-flash:streamGenerateContent", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"type":"STRING"}}}}`)
	f.Add("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":3}}`)
	f.Add("/v1beta/models/gemini-2.5-flash:countTokens", `{"generateContentRequest":{"contents":[{"parts":[{"text":"hi"}]}]}}`)
	f.Add("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", chatBody("gpt-4o", "hi", `"stream":true`))
	f.Add("/v1/completions", `{"model":"gpt-4o","prompt":["a","b"],"n":2,"stream":true,"stream_options":{"include_usage":true}}`)
	f.Add("/model/anthropic.claude-haiku-4-5-20251001-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"f","input":{"a":1}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"json":{"r":1}}]}}]}],"system":[{"text":"s"}],"inferenceConfig":{"maxTokens":5},"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}}`)
	f.Add("/v1beta/models/gemini-embedding-001:batchEmbedContents", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":3},{"content":{"parts":[{"text":"b"}]},"taskType":"CLUSTERING"}]}`)
	f.Add("/model/amazon.nova-lite-v1:0/count-tokens", `{"input":{"invokeModel":{"body":"eyJhbnRocm9waWNfdmVyc2lvbiI6IngifQ=="}}}`)
	f.Add("/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse-stream", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
	f.Add("/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream", `{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	cfg := DefaultConfig()
	cfg.Sleeper = newFakeSleeper()
	cfg.JournalSize = 10
	s, err := New(cfg)
	require.NoError(f, err)
	h := s.Handler()
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/embeddings", "/v1/completions",
			"/v1beta/models/gemini-2.5-flash:generateContent", "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
			"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "/v1beta/models/gemini-2.5-flash:countTokens",
			"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
			"/model/anthropic.claude-haiku-4-5-20251001-v1:0/converse", "/model/us.anthropic.claude-haiku-4-5-20251001-v1:0/converse-stream",
			"/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream",
			"/v1beta/models/gemini-embedding-001:batchEmbedContents", "/model/amazon.nova-lite-v1:0/count-tokens":
		default:
			path = "/v1/chat/completions"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Less(t, rec.Code, 500, rec.Body.String())
		if rec.Code != 200 {
			require.True(t, json.Valid(rec.Body.Bytes()), rec.Body.String())
		} else if rec.Header().Get("Content-Type") == bedrockStreamType {
			requireEventStream(t, rec.Body.Bytes())
		} else if !bytes.HasPrefix(rec.Body.Bytes(), []byte("data: ")) && !bytes.HasPrefix(rec.Body.Bytes(), []byte("event: ")) {
			require.True(t, json.Valid(rec.Body.Bytes()), rec.Body.String())
		}
	})
}

// TestBodyFidelity: a body that is not UTF-8, or sent under a type that
// is not JSON's, gets the surface's 400 in its own error shape on every
// surface, never a 200 decoded with replacement characters.
func TestBodyFidelity(t *testing.T) {
	s, _ := startTest(t, nil)
	bad := "\xff\xfe"
	surfaces := []struct {
		path, body, shape string
	}{
		{"/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"` + bad + `"}]}`, `"type":"invalid_request_error"`},
		{"/v1/completions", `{"model":"gpt-4o","prompt":"` + bad + `"}`, `"type":"invalid_request_error"`},
		{"/v1/responses", `{"model":"gpt-4o","input":"` + bad + `"}`, `"type":"invalid_request_error"`},
		{"/v1/embeddings", `{"model":"text-embedding-3-small","input":"` + bad + `"}`, `"type":"invalid_request_error"`},
		{"/v1/messages", `{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"` + bad + `"}]}`, `{"type":"error","error":{"type":"invalid_request_error"`},
		{"/v1beta/models/gemini-2.5-flash:generateContent", `{"contents":[{"parts":[{"text":"` + bad + `"}]}]}`, `"status":"INVALID_ARGUMENT"`},
		{"/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"` + bad + `"}]}}`, `"status":"INVALID_ARGUMENT"`},
		{"/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", `{"messages":[{"role":"user","content":"` + bad + `"}]}`, `"code":"400"`},
		{"/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"` + bad + `"}]}]}`, `{"message":"Malformed input request: We could not parse`},
	}
	for _, sf := range surfaces {
		res, body := post(t, s.URL()+sf.path, sf.body)
		require.Equal(t, 400, res.StatusCode, "%s: %s", sf.path, body)
		require.Contains(t, body, "not valid UTF-8 (first bad byte at offset", sf.path)
		require.Contains(t, body, sf.shape, sf.path)
		require.True(t, json.Valid([]byte(body)), body)

		valid := strings.ReplaceAll(sf.body, bad, "hi")
		res, body = post(t, s.URL()+sf.path, valid, "Content-Type", "text/plain")
		require.Equal(t, 400, res.StatusCode, "%s: %s", sf.path, body)
		require.Contains(t, body, "Unsupported content type: 'text/plain'", sf.path)
		require.Contains(t, body, sf.shape[:10], sf.path)

		res, body = post(t, s.URL()+sf.path, valid, "Content-Type", "application/json; charset=utf-8")
		require.Equal(t, 200, res.StatusCode, "%s: %s", sf.path, body)
	}
	if res, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "x", `"n":129`)); true {
		require.Equal(t, 400, res.StatusCode)
		require.Contains(t, body, "Invalid 'n': integer above maximum value. Expected a value <= 128, but got 129 instead.")
	}
	res, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "x", `"n":0`))
	require.Equal(t, 400, res.StatusCode)
	require.Contains(t, body, "Invalid 'n': integer below minimum value. Expected a value >= 1, but got 0 instead.")
}
