package mockllm

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

// fastTaken are chat bodies the fast path decodes itself: the shapes
// services send most, in any member order and spacing, with members the
// request type does not have.
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
}

// fastDeclined are bodies it leaves to the full decoder, each for a
// reason named in fastchat.go.
var fastDeclined = []string{
	`{"model":"gpt-4o","messages":[{"role":"user","content":"caf\u00e9"}]}`,                                 // an escape
	`{"model":"gpt-4o","messages":[{"role":"user","content":"a\"b"}]}`,                                      // an escape
	`{"model":"a","model":"b","messages":[]}`,                                                               // a member twice
	`{"model":"gpt-4o","messages":[{"role":"user","role":"system","content":"x"}]}`,                         // a member twice
	`{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`,               // content parts
	`{"model":"gpt-4o","messages":[{"role":"assistant","content":null,"tool_calls":[]}]}`,                   // null, tool calls
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[]}`,                              // tools
	`{"model":"gpt-4o","messages":[{"role":"tool","tool_call_id":"call_1","content":"{}"}]}`,                // a tool result
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, // a member it leaves
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}}`,
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tool_choice":"none"}`,
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":{"a":"b"}}`, // an unknown object
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
	`{"model":"gpt-4o"} x`,                                        // something after the object
	`{"model":"gpt-4o"}{}`,                                        // a second value
	`{"model":"gpt-4o"`,                                           // cut short
	`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}`, // cut short
	`["model"]`,
	``,
	`{"model":"tab	inside"}`,           // a control character in a string
	`{"Model":"gpt-4o","messages":[]}`, // a name of another case: ignored, unless it holds an object
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
