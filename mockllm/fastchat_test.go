package mockllm

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

// fastTaken are chat bodies the fast path decodes itself: the shapes
// services and agents send, in any member order and spacing, with
// members the request type does not have.
var fastTaken = []string{
	`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"summarise the incident"}]}`,
	`{"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o"}`,
	"{\n  \"model\": \"gpt-4o\",\r\n\t\"messages\": [ { \"role\": \"system\", \"content\": \"be brief\" } , {\"role\":\"user\",\"content\":\"x\"} ]\n}\n",
	`{"model":"gpt-4o","messages":[{"role":"user","content":"café ☕ 😀"}],"temperature":0.7,"top_p":1,"max_tokens":256,"n":2,"stream":false}`,
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream":true,"max_completion_tokens":16,"temperature":1e-3,"top_p":0.95E0}`,
	`{"model":"gpt-4o","messages":[{"role":"user","name":"ana","content":"x"},{"role":"assistant","content":"{}"}],"user":"u-1","seed":42,"logprobs":false,"store":null,"presence_penalty":-0.5}`,
	`{"model":"gpt-4o","messages":[{"role":"user","content":""}],"max_tokens":-3,"n":0,"temperature":-1}`,
	`{"model":"gpt-4o","messages":[]}`,
	`{"model":"gpt-4o","messages":[{}]}`,
	`{"model":"gpt-4o","messages":[{"role":"narrator","content":"x"}]}`,
	`{}`,
	` {"model":""} `,
	// Escapes, decoded as the full decoder decodes them.
	`{"model":"gpt-4o","messages":[{"role":"user","content":"caf\u00e9 \"quoted\"\n\t\\ \/ \b\f\r \u0000"}]}`,
	`{"model":"gpt\u002d4o","messages":[{"role":"\u0075ser","content":"x"}]}`,
	// Content parts, null content, unknown objects and arrays.
	`{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"} , {"type":"image_url","image_url":{"url":"data:,"}}]}]}`,
	`{"model":"gpt-4o","messages":[{"role":"assistant","content":null}],"metadata":{"a":"b","n":[1,{"x":[]}]},"logit_bias":{"50256":-100},"stop":["\n"]}`,
	// An agent's turns: tools, a tool choice, the call and its result.
	`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are the on-call assistant."},{"role":"user","content":"status?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_status","description":"Get a service status","parameters":{"type":"object","properties":{"service":{"type":"string"}},"required":["service"]},"strict":true}}],"tool_choice":"auto","temperature":0.2}`,
	`{"model":"gpt-4o-mini","messages":[{"role":"user","content":"status?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_status","arguments":"{\"service\":\"checkout\"}"}}]},` +
		`{"role":"tool","tool_call_id":"call_1","content":"{\"status\":\"degraded\"}"}],` +
		`"tools":[{"type":"function","function":{"name":"get_status","parameters":{"type":"object","properties":{"service":{"type":"string","description":"a \"name\""}}}}}],` +
		`"tool_choice":{"type":"function","function":{"name":"get_status"}},"parallel_tool_calls":false}`,
	`{"model":"gpt-4o","messages":[{"role":"assistant","tool_calls":[]}],"tools":[]}`,
	`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}`,
	// Response formats and stream options.
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"stream":true,"stream_options":{"include_usage":true}}`,
	`{"model":"gpt-4o","response_format":{"type":"json_schema","json_schema":{"name":"incident","strict":true,"schema":{"type":"object","properties":{"sev":{"type":"integer","minimum":1}}}}}}`,
	`{"model":"gpt-4o","stream_options":{}}`,
}

// fastDeclined are bodies it leaves to the full decoder, each for a
// reason named in fastchat.go.
var fastDeclined = []string{
	`{"model":"gpt-4o","messages":[{"role":"user","content":"\ud83d\ude00"}]}`,                                     // a surrogate escape
	`{"model":"gpt-4o","messages":[{"role":"user","content":"a\x"}]}`,                                              // not an escape
	`{"model":"gpt-4o","messages":[{"role":"user","content":"a\u00g0"}]}`,                                          // not an escape
	`{"model":"gpt-4o","messages":[{"role":"user","content":"a\u00"}]}`,                                            // cut short
	`{"mod\u0065l":"gpt-4o","messages":[]}`,                                                                        // an escaped name
	`{"model":"a","model":"b","messages":[]}`,                                                                      // a member twice
	`{"model":"gpt-4o","messages":[{"role":"user","role":"system","content":"x"}]}`,                                // a member twice
	`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"a","name":"b"}}]}`,                          // a member twice
	`{"model":"gpt-4o","tools":[{"function":{"name":"a"},"function":{"description":"b"}}]}`,                        // merged by the full decoder
	`{"model":"gpt-4o","messages":[{"tool_calls":[{"id":"a","id":"b"}]}]}`,                                         // a member twice
	`{"model":"gpt-4o","response_format":{"type":"json_schema","json_schema":{"schema":{},"schema":{}}}}`,          // a member twice
	`{"model":"gpt-4o","stream_options":{"include_usage":true,"include_usage":false}}`,                             // a member twice
	`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":"x"}}]}`,                    // a schema that is not an object
	`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":null}}]}`,                   // a null
	`{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"x","n":1e999}}}]}`, // a schema decodeSchema refuses
	`{"model":"gpt-4o","tools":null}`,                                                                              // a null
	`{"model":"gpt-4o","tools":{}}`,                                                                                // a wrong type
	`{"model":"gpt-4o","tool_choice":}`,                                                                            // a syntax error
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"response_format":"json"}`,                       // a wrong type
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream_options":null}`,                          // a null
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x","tool_calls":[{"function":{"arguments":{}}}]}]}`,   // a wrong type
	`{"model":"gpt-4o","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,                             // deeper than maxFastDepth
	`{"model":"gpt-4o","messages":null}`,
	`{"model":null}`,
	`{"model":"gpt-4o","max_tokens":1.0}`,                         // a fraction where an integer goes
	`{"model":"gpt-4o","max_tokens":1e2}`,                         // an exponent where an integer goes
	`{"model":"gpt-4o","max_tokens":1234567890123456}`,            // more digits than it holds exactly
	`{"model":"gpt-4o","max_tokens":"16"}`,                        // a wrong type: the full decoder's 400
	`{"model":"gpt-4o","temperature":1e400}`,                      // out of float64's range
	`{"model":"gpt-4o","stream":"yes"}`,                           // a wrong type
	`{"model":"gpt-4o","max_tokens":01}`,                          // a syntax error
	`{"model":"gpt-4o",}`,                                         // a syntax error
	`{"model":"gpt-4o","x":{"a":1,}}`,                             // a syntax error in a skipped value
	`{"model":"gpt-4o","x":[1 2]}`,                                // a syntax error in a skipped value
	`{"model":"gpt-4o"} x`,                                        // something after the object
	`{"model":"gpt-4o"}{}`,                                        // a second value
	`{"model":"gpt-4o"`,                                           // cut short
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}`, // cut short
	`["model"]`,
	``,
	`{"model":"tab	inside"}`,           // a control character in a string
	`{"Model":"gpt-4o","messages":[]}`, // a name of another case: ignored
	`{"model":"gpt-4o","x":tru}`,
	`{"model":"gpt-4o","x":-}`,
	`{"model":"gpt-4o","x":1.}`,
	`{"model":"gpt-4o","x":1e}`,
}

// TestChatFastPath: the fast path takes the common bodies, giving what
// the full decoder gives, and declines the rest, leaving the request
// empty for the full decoder.
func TestChatFastPath(t *testing.T) {
	for _, body := range fastTaken {
		var fast, full chatRequest
		require.True(t, fast.decodeFast([]byte(body)), "fast path declined %s", body)
		require.NoError(t, jsonv2.Unmarshal([]byte(body), &full, decodeOptions), body)
		require.Equal(t, full, fast, body)
	}
	for _, body := range fastDeclined {
		var fast chatRequest
		if strings.HasPrefix(body, `{"Model"`) {
			// Ignored as an unknown scalar: taken.
			require.True(t, fast.decodeFast([]byte(body)), body)
			continue
		}
		require.False(t, fast.decodeFast([]byte(body)), "fast path took %s", body)
		require.True(t, reflect.ValueOf(fast).IsZero(), "declining %s left %+v", body, fast)
	}
}

// TestChatFastPathSameAnswers: through the server, a body the fast
// path takes and one it declines for an escape get the same answer
// when they mean the same request, and a wrong type still gets the full
// decoder's 400 in OpenAI's words.
func TestChatFastPathSameAnswers(t *testing.T) {
	s, _ := startTest(t, nil)
	plain := serve(s.Handler(), "POST", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi there"}]}`, nil)
	escaped := serve(s.Handler(), "POST", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi\u0020there"}]}`, nil)
	require.Equal(t, 200, plain.Code, plain.Body.String())
	require.Equal(t, 200, escaped.Code, escaped.Body.String())
	choices := func(body string) string { return body[strings.Index(body, `"choices"`):] }
	require.Equal(t, choices(plain.Body.String()), choices(escaped.Body.String()))

	bad := serve(s.Handler(), "POST", "/v1/chat/completions", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"max_tokens":"16"}`, nil)
	require.Equal(t, 400, bad.Code)
	require.Contains(t, bad.Body.String(), "Invalid type for 'max_tokens': expected an integer, but got a string instead.")
}

// FuzzChatFastPath: for any body the fast path takes, the full decoder
// takes it too and decodes the same value.
//
//	go test ./mockllm -run '^$' -fuzz FuzzChatFastPath -fuzztime 60s
func FuzzChatFastPath(f *testing.F) {
	for _, b := range fastTaken {
		f.Add(b)
	}
	for _, b := range fastDeclined {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > 4096 || !utf8.ValidString(body) {
			return // invalid UTF-8 is refused before decoding
		}
		data := []byte(body)
		var fast chatRequest
		if !fast.decodeFast(data) {
			if !reflect.ValueOf(fast).IsZero() {
				t.Fatalf("declined %q but left %+v", body, fast)
			}
			return
		}
		var full chatRequest
		if err := jsonv2.Unmarshal(data, &full, decodeOptions); err != nil {
			t.Fatalf("fast path took %q, the full decoder refuses it: %v", body, err)
		}
		if !reflect.DeepEqual(fast, full) {
			t.Fatalf("%q: fast %+v, full %+v", body, fast, full)
		}
	})
}

// TestFastPathKnowsEveryMember: a body with every member of the request
// types set (found by reflection, so a member added to them later is in
// it too) is taken by the fast path and decoded as the full decoder
// decodes it. A member the fast path did not know would be skipped as
// unknown, and the two values would differ.
func TestFastPathKnowsEveryMember(t *testing.T) {
	var req chatRequest
	fillSample(t, reflect.ValueOf(&req).Elem())
	body, err := json.Marshal(req)
	require.NoError(t, err)
	for _, name := range []string{`"tool_calls"`, `"parameters"`, `"include_usage"`, `"json_schema"`} {
		require.Contains(t, string(body), name) // the filler reached the nested types
	}
	var fast, full chatRequest
	require.True(t, fast.decodeFast(body), "fast path declined %s", body)
	require.NoError(t, jsonv2.Unmarshal(body, &full, decodeOptions))
	require.Equal(t, full, fast, string(body))
	require.Equal(t, req.Tools[0].Function.Parameters.value(), fast.Tools[0].Function.Parameters.value())
}

// fillSample sets every field of v, one element in every slice.
func fillSample(t *testing.T, v reflect.Value) {
	switch v.Type() {
	case reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`"auto"`))
		return
	case reflect.TypeFor[*schemaDoc]():
		doc, err := decodeSchema([]byte(`{"type":"object","properties":{"a":{"type":"string"}}}`))
		require.NoError(t, err)
		v.Set(reflect.ValueOf(&doc))
		return
	}
	switch v.Kind() {
	case reflect.Map:
		v.Set(reflect.ValueOf(map[string]any{"k": "v", "n": 1.5}))
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int:
		v.SetInt(3)
	case reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillSample(t, v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fillSample(t, v.Index(0))
	case reflect.Struct:
		for i := range v.NumField() {
			fillSample(t, v.Field(i))
		}
	default:
		t.Fatalf("fillSample: a %s field: teach the fast path and this test its kind", v.Type())
	}
}
