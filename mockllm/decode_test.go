package mockllm

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

// decodeCorpus are request bodies of every surface, the shapes SDKs
// send: each decodes into its request type.
var decodeCorpus = []struct {
	name string
	new  func() any
	body string
}{
	{"chat", func() any { return new(chatRequest) }, chatBody("gpt-4o", "hi", `"stream":true,"n":2,"max_tokens":3,"stream_options":{"include_usage":true},"temperature":0.5,"top_p":1`)},
	{"chat tools", func() any { return new(chatRequest) }, `{"model":"gpt-4o","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}],"tool_choice":{"type":"function","function":{"name":"f"}},"response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{"type":"object"}}}}`},
	{"chat escapes", func() any { return new(chatRequest) }, `{"model":"gpt-4o","messages":[{"role":"user","content":"caf\u00e9 \"quoted\" \\ tab\t \ud83d\ude00"}]}`},
	{"chat lone surrogate", func() any { return new(chatRequest) }, `{"model":"gpt-4o","messages":[{"role":"user","content":"broken \ud800 pair"}]}`},
	{"messages", func() any { return new(messagesRequest) }, `{"model":"claude-haiku-4-5","max_tokens":10,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"x","content":"y"}]}],"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"stream":true}`},
	{"responses", func() any { return new(responsesRequest) }, `{"model":"gpt-4o","input":[{"role":"user","content":"x"},{"type":"function_call_output","call_id":"c","output":"o"}],"text":{"format":{"type":"json_object"}},"max_output_tokens":16}`},
	{"embeddings", func() any { return new(embeddingRequest) }, `{"model":"text-embedding-3-small","input":[[1,2],[3]],"encoding_format":"base64","dimensions":8}`},
	{"completions", func() any { return new(completionRequest) }, `{"model":"gpt-4o","prompt":["a","b"],"n":2,"stream":true,"stream_options":{"include_usage":true}}`},
	{"gemini", func() any { return new(geminiRequest) }, `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"t","args":{"a":1}}}]},{"role":"user","parts":[{"functionResponse":{"name":"t","response":{"r":2}}}]}],"systemInstruction":{"parts":[{"text":"s"}]},"tools":[{"functionDeclarations":[{"name":"t","parameters":{"type":"OBJECT","properties":{"a":{"type":"INTEGER"}}}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["t"]}},"generationConfig":{"candidateCount":2,"maxOutputTokens":5,"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"type":"STRING"}}}}`},
	{"gemini embed", func() any { return new(geminiEmbedRequest) }, `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":3,"taskType":"CLUSTERING"}`},
	{"converse", func() any { return new(converseRequest) }, `{"messages":[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t","name":"f","input":{"a":1}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t","content":[{"json":{"r":1}}]}}]}],"system":[{"text":"s"}],"inferenceConfig":{"maxTokens":5,"temperature":0.1},"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}}}`},
	{"bedrock invoke", func() any { return new(bedrockAnthropicRequest) }, `{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`},
}

// TestDecodeMatchesEncodingJSONv1: every request type decodes a body
// exactly as encoding/json (v1) did before the decoder changed.
func TestDecodeMatchesEncodingJSONv1(t *testing.T) {
	for _, tc := range decodeCorpus {
		v1, v2 := tc.new(), tc.new()
		require.NoError(t, json.Unmarshal([]byte(tc.body), v1), tc.name)
		require.NoError(t, jsonv2.Unmarshal([]byte(tc.body), v2, decodeOptions), tc.name)
		require.Equal(t, v1, v2, tc.name)
		require.False(t, reflect.ValueOf(v2).Elem().IsZero(), "%s decoded nothing", tc.name)
	}
}

// FuzzDecodeMatchesEncodingJSONv1: for any body, the two decoders
// accept or refuse alike and, accepting, agree on the value; the two
// differences on purpose are skipped: member names that match only
// ignoring case (v1 takes them, the providers do not) and invalid UTF-8
// (refused before decoding).
func FuzzDecodeMatchesEncodingJSONv1(f *testing.F) {
	for i, tc := range decodeCorpus {
		f.Add(i, tc.body)
	}
	f.Fuzz(func(t *testing.T, i int, body string) {
		if i < 0 {
			i = -i
		}
		tc := decodeCorpus[i%len(decodeCorpus)]
		if !strings.Contains(body, "{") || len(body) > 4096 {
			return
		}
		v1, v2 := tc.new(), tc.new()
		e1 := json.Unmarshal([]byte(body), v1)
		e2 := jsonv2.Unmarshal([]byte(body), v2, decodeOptions)
		if e1 == nil && e2 == nil {
			if !reflect.DeepEqual(v1, v2) && !caseFolded(body) {
				t.Fatalf("%s: v1 %+v, v2 %+v", tc.name, v1, v2)
			}
			return
		}
		if (e1 == nil) != (e2 == nil) && !caseFolded(body) {
			t.Fatalf("%s %q: v1 %v, v2 %v", tc.name, body, e1, e2)
		}
	})
}

// caseFolded says whether body has a member name that is not all lower
// case ASCII letters, digits, '_' and '-' as the request types' names are
// not: one that v1 might match ignoring case.
func caseFolded(body string) bool {
	for _, c := range body {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// TestDecodeErrors: what a body that does not decode gets, in the
// providers' words.
func TestDecodeErrors(t *testing.T) {
	cases := []struct{ body, param, msg string }{
		{`{"model":"gpt-4o","max_tokens":"lots"}`, "max_tokens", "Invalid type for 'max_tokens': expected an integer, but got a string instead."},
		{`{"model":"gpt-4o","messages":[{"role":7}]}`, "messages[0].role", "Invalid type for 'messages[0].role': expected a string, but got a number instead."},
		{`{"model":"gpt-4o","temperature":true}`, "temperature", "Invalid type for 'temperature': expected a number, but got a boolean instead."},
		{`{"model":"gpt-4o","messages":{}}`, "messages", "Invalid type for 'messages': expected an array, but got an object instead."},
		{`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":"x"}}]}`, "tools[0].function.parameters", "Invalid type for 'tools[0].function.parameters': expected an object, but got a string instead."},
		{`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":{"a":1}}},{"type":"function","function":{"name":"g","parameters":[1]}}]}`, "tools[1].function.parameters", "Invalid type for 'tools[1].function.parameters': expected an object, but got an array instead."},
		{`{"model":"gpt-4o","response_format":{"type":"json_schema","json_schema":{"name":"n","schema":7}}}`, "response_format.json_schema.schema", "Invalid type for 'response_format.json_schema.schema': expected an object, but got a number instead."},
		{`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":{"a":1e999}}}]}`, "tools[0].function.parameters.a", "Invalid value for 'tools[0].function.parameters.a': the number is out of range."},
		{`{"model":"gpt-4o","temperature":-1e400}`, "temperature", "Invalid value for 'temperature': the number is out of range."},
		{`{"model":`, "", "We could not parse the JSON body of your request: unexpected end of JSON input. The body must be a JSON object."},
		{`[1,2]`, "", "We could not parse the JSON body of your request: got an array where the body must be an object. The body must be a JSON object."},
		{`{"model":"gpt-4o"} x`, "", "We could not parse the JSON body of your request: invalid character 'x' after top-level value at offset 19. The body must be a JSON object."},
	}
	for _, tc := range cases {
		var req chatRequest
		err := jsonv2.Unmarshal([]byte(tc.body), &req, decodeOptions)
		require.Error(t, err, tc.body)
		e := decodeError(err)
		require.Equal(t, 400, e.status, tc.body)
		require.Equal(t, tc.param, e.param, tc.body)
		require.Equal(t, tc.msg, e.msg, tc.body)
	}
	// A name given twice keeps the last value; names match exactly.
	var req chatRequest
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"model":"a","model":"b","Stream":true}`), &req, decodeOptions))
	require.Equal(t, "b", req.Model)
	require.False(t, req.Stream, "Stream is not stream")
}
