package mockllm

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// genSchemas are schemas of the kinds tools and structured outputs send,
// edge cases of their bounds included; every generated value must pass
// a real JSON Schema validator.
var genSchemas = []string{
	`{"type":"object","properties":{"service":{"type":"string"},"region":{"type":"string","enum":["eu","us"]}},"required":["service"]}`,
	`{"type":"object","properties":{"a":{"type":"integer","minimum":3,"maximum":9},"b":{"type":"number"},"c":{"type":"boolean"},"d":{"type":"array","items":{"type":"string","format":"email"}},"e":{"type":"null"},"f":{"type":["null","integer"]}}}`,
	`{"$defs":{"p":{"type":"object","properties":{"x":{"type":"number","minimum":-5.5,"maximum":1e7}}}},"type":"object","properties":{"p":{"$ref":"#/$defs/p"},"q":{"anyOf":[{"type":"null"},{"type":"string","maxLength":3}]},"r":{"const":{"k":[1,2,"<a>"]}},"s":{"type":"string","minLength":40},"t":{"enum":[1.5,"x&y",true,null]}}}`,
	`{"type":"object","properties":{"items":{"type":"array","items":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":1000000},"minItems":2,"maxItems":5}}}`,
	`{"type":"number","minimum":1e-9,"maximum":2e-9}`,
	`{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.001}`,
	`{"type":"number","minimum":1e22,"maximum":1e23}`,
	`{"type":"number","minimum":-1.7e308,"maximum":1.7e308}`,
	`{"type":"integer","minimum":-1e300,"maximum":1e300}`,
	`{"type":"integer","minimum":1e20}`,
	`{"type":"integer","minimum":-9007199254740993,"maximum":-9007199254740000}`,
	`{"type":"string","maxLength":0}`,
	`{"type":"string","minLength":3000}`,
	`{"type":"string","format":"date-time"}`,
	`{"type":"string","format":"date"}`,
	`{"type":"string","format":"uuid"}`,
	`{"type":"string","format":"uri"}`,
	`{"type":"object","properties":{"<k>":{"const":"\u00e9t\u00e9 \u2028"},"n":{"enum":[1e-7,1e21,-0.5]}}}`,
	`{"oneOf":[{"type":"object","properties":{"kind":{"const":"page"}}},{"type":"null"}]}`,
	`{}`,
}

// oddSchemas are not valid JSON Schemas (a validator refuses them), but a
// body may carry them: each still generates whole JSON.
var oddSchemas = []string{
	`{"type":"array","minItems":-5,"items":{"type":"boolean"}}`,
	`{"type":"string","maxLength":-1,"minLength":-3}`,
	`{"type":"array","minItems":4,"maxItems":2}`,
	`{"type":"integer","minimum":10,"maximum":1}`,
	`{"type":"object","properties":{"a":7,"b":[1]},"items":"x"}`,
	`{"type":["null"],"enum":[]}`,
	`{"$ref":"#/nowhere"}`,
	`{"$ref":"http://example.com/x"}`,
}

func TestGenJSONOddSchemas(t *testing.T) {
	for _, src := range oddSchemas {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(src), &m))
		text, complete := genJSONText(rand.New(rand.NewPCG(5, 5)), m)
		require.True(t, complete, src)
		require.True(t, json.Valid([]byte(text)), "%s: %s", src, text)
	}
}

func compileGenSchema(t *testing.T, src string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("schema.json", doc))
	sch, err := c.Compile("schema.json")
	require.NoError(t, err)
	return sch
}

func TestGenJSONMatchesSchema(t *testing.T) {
	for _, src := range genSchemas {
		sch := compileGenSchema(t, src)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(src), &m))
		for seed := range uint64(40) {
			text, complete := genJSONText(rand.New(rand.NewPCG(seed, 1)), m)
			require.True(t, complete, "%s: %s", src, text)
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
			require.NoError(t, err, "%s: %s", src, text)
			require.NoError(t, sch.Validate(doc), "%s: %s", src, text)
			// encoding/json writes the same value the same way.
			var v any
			require.NoError(t, json.Unmarshal([]byte(text), &v))
			again, err := json.Marshal(v)
			require.NoError(t, err)
			if !strings.Contains(src, "1e20") && !strings.Contains(src, "1e300") && !strings.Contains(src, "9007199254740993") {
				// (integers beyond float64's exact range are read back as
				// floats, which encoding/json writes in its float form)
				require.Equal(t, string(again), text, src)
			}
		}
	}
}

func TestGenJSONNilSchemaIsAnAnswerObject(t *testing.T) {
	text, complete := genJSONText(rand.New(rand.NewPCG(1, 1)), nil)
	require.True(t, complete)
	var v map[string]string
	require.NoError(t, json.Unmarshal([]byte(text), &v))
	require.NotEmpty(t, v["answer"])
	require.Len(t, v, 1)
}

// A schema asking for more than any answer holds stops at the limit:
// the text is cut there, valid UTF-8, and reported incomplete.
func TestGenJSONStopsAtItsLimit(t *testing.T) {
	for _, src := range []string{
		`{"type":"string","minLength":30000000}`,
		`{"type":"string","minLength":1e300}`,
		`{"type":"array","minItems":1e9,"items":{"type":"integer"}}`,
		`{"type":"array","maxItems":1e300,"minItems":1e300}`,
		`{"type":"object","properties":{"a":{"type":"array","minItems":100000,"items":{"type":"array","minItems":1000,"items":{"type":"string"}}}}}`,
		`{"type":"array","minItems":70000,"items":{"const":"\u00e9\u00e9\u00e9"}}`,
	} {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(src), &m))
		text, complete := genJSONText(rand.New(rand.NewPCG(3, 3)), m)
		require.False(t, complete, src)
		require.LessOrEqual(t, len(text), maxGenJSONBytes, src)
		require.Greater(t, len(text), maxGenJSONBytes-16, src)
		require.True(t, utf8.ValidString(text), src)
	}
	// Just inside the limit is whole.
	m := map[string]any{"type": "string", "minLength": float64(maxGenJSONBytes - 2)}
	text, complete := genJSONText(rand.New(rand.NewPCG(3, 3)), m)
	require.True(t, complete)
	require.Len(t, text, maxGenJSONBytes)
	require.True(t, json.Valid([]byte(text)))
}

// Schemas nest at most maxGenJSONDepth deep; a $ref to itself ends in null.
func TestGenJSONDepth(t *testing.T) {
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"$defs":{"n":{"type":"object","properties":{"next":{"$ref":"#/$defs/n"}}}},"$ref":"#/$defs/n"}`), &m))
	text, complete := genJSONText(rand.New(rand.NewPCG(1, 2)), m)
	require.True(t, complete)
	// Each level is two steps (the $ref, then the object); the object at
	// depth 9 is past the limit.
	require.Equal(t, `{"next":{"next":{"next":{"next":null}}}}`, text)
}

func TestAppendJSONFloatMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	fs := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789e13, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1.5e-10}
	for range 2000 {
		fs = append(fs, math.Float64frombits(r.Uint64()))
	}
	for _, f := range fs {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		want, err := json.Marshal(f)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendJSONFloat(nil, f)), "%v", f)
	}
}

// A tool whose parameters ask for more than an answer holds gets a call
// cut at the limit and a length stop, on the wire.
func TestToolCallPastTheLimitIsALengthStop(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Sleeper = newFakeSleeper()
	s, err := New(cfg)
	require.NoError(t, err)
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"x"}],"tool_choice":"required",` +
		`"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"array","minItems":1000000000,"items":{"type":"string"}}}}}}]}`
	rec := serve(s.Handler(), "POST", "/v1/chat/completions", body, nil)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var resp struct {
		Choices []struct {
			FinishReason string `json:"finish_reason"`
			Message      struct {
				ToolCalls []struct {
					Function struct {
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &resp))
	require.Equal(t, "length", resp.Choices[0].FinishReason)
	args := resp.Choices[0].Message.ToolCalls[0].Function.Arguments
	require.True(t, strings.HasPrefix(args, `{"a":["`), args[:20])
	require.False(t, json.Valid([]byte(args)))
	require.LessOrEqual(t, len(args), maxGenJSONBytes)
}

// FuzzGenJSON: any schema a body can carry generates without a panic,
// within the limit, and valid JSON whenever it says it is complete.
func FuzzGenJSON(f *testing.F) {
	for _, s := range append(genSchemas, oddSchemas...) {
		f.Add(s, uint64(1))
	}
	f.Fuzz(func(t *testing.T, src string, seed uint64) {
		var m map[string]any
		if json.Unmarshal([]byte(src), &m) != nil {
			return
		}
		text, complete := genJSONText(rand.New(rand.NewPCG(seed, 0)), m)
		if len(text) > maxGenJSONBytes {
			t.Fatalf("%d bytes generated", len(text))
		}
		if !utf8.ValidString(text) {
			t.Fatalf("not UTF-8: %q", text)
		}
		if complete && !json.Valid([]byte(text)) {
			t.Fatalf("complete but not JSON: %s", text)
		}
	})
}
