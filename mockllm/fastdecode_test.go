package mockllm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

// TestFastDecodeKnowsEveryMember: every type of fastRequestTypes has a
// fast path, and a body with every member of it set (found by
// reflection) is taken and decoded as the full decoder decodes it.
func TestFastDecodeKnowsEveryMember(t *testing.T) {
	for _, typ := range fastRequestTypes {
		rt := reflect.TypeOf(typ).Elem()
		t.Run(rt.Name(), func(t *testing.T) {
			require.NotNil(t, fastPlans[rt], "%s has no fast path", rt)
			sample := reflect.New(rt)
			fillSample(t, sample.Elem())
			body, err := json.Marshal(sample.Interface())
			require.NoError(t, err)
			fast, full := reflect.New(rt), reflect.New(rt)
			require.True(t, fastDecode(body, fast.Interface()), "fast path declined %s", body)
			require.NoError(t, jsonv2.Unmarshal(body, full.Interface(), decodeOptions))
			require.Equal(t, full.Interface(), fast.Interface(), string(body))
		})
	}
}

// fastDecodeBodies are bodies of each surface, taken or declined.
var fastDecodeBodies = map[string][]string{
	"messagesRequest": {
		benchAnthropicTools,
		`{"model":"claude-haiku-4-5","max_tokens":100,"system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{"q":"x"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}],"tool_choice":{"type":"tool","name":"f"},"stream":true,"temperature":0.5,"metadata":{"user_id":"u"}}`,
		`{"model":"m","max_tokens":1.5}`,
		`{"model":"m","tools":[{"name":"f","input_schema":null}]}`,
		`{"model":"m","model":"n"}`,
	},
	"geminiRequest": {
		benchGeminiTools,
		`{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{"q":"x","n":[1,2]}}}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"ok":true}}}]}],"generationConfig":{"maxOutputTokens":10,"candidateCount":2,"temperature":0.1,"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"a":{"type":"STRING"}}}},"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}}`,
		`{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]}]}`,
		`{"contents":null}`,
	},
	"converseRequest": {
		benchConverseTools,
		`{"messages":[{"role":"user","content":[{"text":"hi"}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":{"q":"x"}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"t1","content":[{"text":"ok"}]}}]}],"inferenceConfig":{"maxTokens":5,"temperature":0.5,"topP":0.9,"stopSequences":["\n"]},"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}},"guardrailConfig":{"guardrailIdentifier":"g1","guardrailVersion":"1"}}`,
		`{"messages":[],"toolConfig":{"toolChoice":{"auto":{},"auto":{}}}}`,
	},
	"responsesRequest": {
		`{"model":"gpt-4o-mini","input":"summarise the incident","instructions":"be brief","max_output_tokens":50,"stream":true,"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"text":{"format":{"type":"json_schema","name":"x","schema":{"type":"object"}}}}`,
		`{"model":"gpt-4o-mini","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}]}`,
	},
	"completionRequest": {
		`{"model":"gpt-4o-mini","prompt":"say \"hi\"","max_tokens":16,"n":2,"stream":true,"stream_options":{"include_usage":true},"echo":false}`,
		`{"model":"gpt-4o-mini","prompt":["a","b"]}`,
	},
	"embeddingRequest": {
		`{"model":"text-embedding-3-small","input":"hello","encoding_format":"base64","dimensions":256}`,
		`{"model":"text-embedding-3-small","input":[[1,2,3]]}`,
	},
	"bedrockAnthropicRequest": {
		`{"anthropic_version":"bedrock-2023-05-31","max_tokens":1024,"messages":[{"role":"user","content":"summarise the incident"}],"amazon-bedrock-guardrailConfig":{"tagSuffix":"x"}}`,
		`{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"system":"s","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}]}`,
	},
	"geminiEmbedRequest": {
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hello"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":768}`,
	},
}

// TestFastDecodeBodies: each body is decoded as the full decoder
// decodes it, or declined and left zero.
func TestFastDecodeBodies(t *testing.T) {
	taken := 0
	for _, typ := range fastRequestTypes {
		rt := reflect.TypeOf(typ).Elem()
		bodies := fastDecodeBodies[rt.Name()]
		require.NotEmpty(t, bodies, "no bodies for %s", rt)
		for _, body := range bodies {
			if checkFastDecode(t, rt, []byte(body)) {
				taken++
			}
		}
	}
	require.Greater(t, taken, 10, "the fast path took most of the bodies")
}

// checkFastDecode decodes body both ways and reports whether the fast
// path took it.
func checkFastDecode(t *testing.T, rt reflect.Type, body []byte) bool {
	t.Helper()
	fast := reflect.New(rt)
	if !fastDecode(body, fast.Interface()) {
		require.True(t, fast.Elem().IsZero(), "declining %s left %+v", body, fast.Elem())
		return false
	}
	full := reflect.New(rt)
	require.NoError(t, jsonv2.Unmarshal(body, full.Interface(), decodeOptions), "fast path took %s, the full decoder refuses it", body)
	require.True(t, reflect.DeepEqual(full.Interface(), fast.Interface()), "%s %s:\nfast %+v\nfull %+v", rt, body, fast.Elem(), full.Elem())
	return true
}

// FuzzFastDecode: for any body the fast path takes, of any type of
// fastRequestTypes, the full decoder takes it too and decodes the same
// value.
//
//	go test ./mockllm -run '^$' -fuzz FuzzFastDecode -fuzztime 60s
func FuzzFastDecode(f *testing.F) {
	for i, typ := range fastRequestTypes {
		for _, b := range fastDecodeBodies[reflect.TypeOf(typ).Elem().Name()] {
			f.Add(uint8(i), b)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		if len(body) > 4096 || !utf8.ValidString(body) {
			return
		}
		rt := reflect.TypeOf(fastRequestTypes[int(which)%len(fastRequestTypes)]).Elem()
		checkFastDecode(t, rt, []byte(body))
	})
}

var toolIDs = regexp.MustCompile(`tool(u|use)_[0-9a-f]+`)

// Through the server, a body the fast path takes and the same body
// with an escape it declines get the same answer.
func TestFastDecodeSameAnswers(t *testing.T) {
	s, _ := startTest(t, nil)
	for _, tc := range []struct{ path, plain, escaped string }{
		{"/v1/messages", benchAnthropicTools, `{"model":"claude-haiku-4-5","max_tokens":1024,"system":"You are the on-call assistant.","messages":[{"role":"user","content":"what is the status of the checkout service?"}],` +
			`"tools":[{"name":"get_status","description":"Get a service's status","input_schema":` + benchToolParams1 + `},{"name":"page_oncall","description":"Page the on-call","input_schema":` + benchToolParams2 + `}],"x":"\ud83d\ude00"}`},
		{"/model/amazon.nova-lite-v1:0/converse", benchConverseTools, benchConverseTools[:len(benchConverseTools)-1] + `,"x":"\ud83d\ude00"}`},
	} {
		var req any = &messagesRequest{}
		if tc.path != "/v1/messages" {
			req = &converseRequest{}
		}
		require.True(t, fastDecode([]byte(tc.plain), req), tc.plain)
		plain := serve(s.Handler(), "POST", tc.path, tc.plain, nil)
		escaped := serve(s.Handler(), "POST", tc.path, tc.escaped, nil)
		require.Equal(t, 200, plain.Code, plain.Body.String())
		require.Equal(t, 200, escaped.Code, escaped.Body.String())
		strip := func(b string) string { // the ids and latency differ
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(b), &v))
			return toolIDs.ReplaceAllString(fmt.Sprint(v["content"], v["output"], v["usage"]), "ID")
		}
		require.Equal(t, strip(plain.Body.String()), strip(escaped.Body.String()))
	}
}
