package mockllm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/stretchr/testify/require"
)

var trickySchemas = []string{
	`{"type":"object","properties":{"service":{"type":"string","description":"a <b> & 'c' ü 😀 \u2028"},"n":{"type":"integer","minimum":-1.5e3,"maximum":12345678901234567890}},"required":["service"]}`,
	`{"b":1,"c":[true,false,null,{"z":{}}],"a":"first","a":"dup, last wins"}`,
	`{}`,
	`{"$ref":"#/$defs/x","$defs":{"x":{"type":"string","enum":["a\"b","c\\d"]}}}`,
}

// TestSchemaCache: a schema decoded from the cache is what a fresh
// decode gives, encodes as json.Marshal encodes its map, and counts the
// tokens of that encoding; the cache stays within its bounds.
func TestSchemaCache(t *testing.T) {
	for _, raw := range trickySchemas {
		var want map[string]any
		require.NoError(t, jsonv2.Unmarshal([]byte(raw), &want, decodeOptions))
		wantJS, err := json.Marshal(want)
		require.NoError(t, err)
		for range 2 { // a fresh decode, then from the cache
			var v struct {
				S *schemaDoc `json:"s"`
			}
			require.NoError(t, jsonv2.Unmarshal([]byte(`{"s":`+raw+`}`), &v, decodeOptions))
			require.Equal(t, want, v.S.value(), raw)
			require.Equal(t, string(wantJS), string(v.S.js), raw)
			require.Equal(t, CountTokens(string(wantJS)), v.S.tokenCount(), raw)
		}
	}
	var none *schemaDoc
	require.Nil(t, none.value())
	require.Equal(t, CountTokens("null"), none.tokenCount())

	// Bounded: many distinct schemas leave at most maxCachedSchemas, and
	// one above maxCachedSchemaBytes is decoded but not kept.
	for i := range maxCachedSchemas + 10 {
		_, err := decodeSchema(fmt.Appendf(nil, `{"i":%d}`, i))
		require.NoError(t, err)
	}
	schemaCache.RLock()
	require.LessOrEqual(t, len(schemaCache.m), maxCachedSchemas)
	schemaCache.RUnlock()
	big := `{"description":"` + strings.Repeat("x", maxCachedSchemaBytes) + `"}`
	doc, err := decodeSchema([]byte(big))
	require.NoError(t, err)
	require.Len(t, doc.m["description"], maxCachedSchemaBytes)
	schemaCache.RLock()
	_, kept := schemaCache.m[big]
	schemaCache.RUnlock()
	require.False(t, kept, "a schema above the size limit is not cached")
	atLimit := `{"description":"` + strings.Repeat("y", maxCachedSchemaBytes-18) + `"}`
	require.Len(t, atLimit, maxCachedSchemaBytes)
	_, err = decodeSchema([]byte(atLimit))
	require.NoError(t, err)
	schemaCache.RLock()
	_, kept = schemaCache.m[atLimit]
	schemaCache.RUnlock()
	require.True(t, kept, "a schema of exactly the size limit is cached")
}

// TestToolTokensAsMarshal: each surface counts a tool's tokens as
// CountTokens of json.Marshal of its declaration with the schema as a
// map, as before the cache: the input tokens a request is billed do not
// change.
func TestToolTokensAsMarshal(t *testing.T) {
	for _, raw := range trickySchemas {
		var m map[string]any
		require.NoError(t, jsonv2.Unmarshal([]byte(raw), &m, decodeOptions))
		doc, err := decodeSchema([]byte(raw))
		require.NoError(t, err)
		for _, name := range []string{"get_status", "a<b>&c", "naïve 😀", "", " lead", "trail ", "tab\there", "q\"uote", "back\\slash", "line\u2028sep", "  two  spaces  ", "日本"} {
			// OpenAI chat's function, as decoded before.
			old, _ := json.Marshal(struct {
				Name        string         `json:"name"`
				Description string         `json:"description"`
				Parameters  map[string]any `json:"parameters"`
			}{name, "Get " + name + " status", m})
			var req chatRequest
			desc, _ := json.Marshal("Get " + name + " status")
			nameJS, _ := json.Marshal(name)
			body := fmt.Sprintf(`{"tools":[{"type":"function","function":{"name":%s,"description":%s,"parameters":%s}}]}`, nameJS, desc, raw)
			require.NoError(t, jsonv2.Unmarshal([]byte(body), &req, decodeOptions))
			f := req.Tools[0].Function
			f.Parameters = nil
			require.Equal(t, CountTokens(string(old)), toolTokens(f, req.Tools[0].Function.Parameters), "%s %s", name, raw)
			// And whole, with the schema encoded by MarshalJSON.
			whole, _ := json.Marshal(req.Tools[0].Function)
			require.Equal(t, string(old), string(whole))
		}
		// Gemini's declaration has two schemas.
		old, _ := json.Marshal(struct {
			Name                 string         `json:"name"`
			Parameters           map[string]any `json:"parameters"`
			ParametersJSONSchema map[string]any `json:"parametersJsonSchema"`
		}{"f", m, nil})
		require.Equal(t, CountTokens(string(old)), toolTokens(struct {
			Name                 string     `json:"name"`
			Parameters           *schemaDoc `json:"parameters"`
			ParametersJSONSchema *schemaDoc `json:"parametersJsonSchema"`
		}{"f", nil, nil}, &doc, nil), raw)
	}
}

// A request type's schema field refuses a value that is not an object
// as a map did, naming the member; that is in TestDecodeErrors.

// TestDeclTokensAsMarshal: for every surface's tool declaration, the
// tokens declTokens counts are those of json.Marshal of it, for strings
// that escape or not; plain ones are counted without encoding.
func TestDeclTokensAsMarshal(t *testing.T) {
	decls := []reflect.Type{
		reflect.TypeFor[chatReqFunction](),
		reflect.TypeFor[messagesRequest]().Field(mustField(t, reflect.TypeFor[messagesRequest](), "Tools")).Type.Elem(),
		reflect.TypeFor[geminiRequest]().Field(mustField(t, reflect.TypeFor[geminiRequest](), "Tools")).Type.Elem().Field(0).Type.Elem(),
		reflect.TypeFor[converseRequest]().Field(mustField(t, reflect.TypeFor[converseRequest](), "ToolConfig")).Type.Elem().Field(0).Type.Elem().Field(0).Type.Elem(),
		reflect.TypeFor[responsesRequest]().Field(mustField(t, reflect.TypeFor[responsesRequest](), "Tools")).Type.Elem(),
	}
	strs := []string{"get_status", "", " lead", "trail ", "Get a service's status", "naïve 😀", "a<b>&c", "q\"uote", "tab\there", "line\u2028sep", "日本語"}
	for _, dt := range decls {
		for k := range strs {
			v := reflect.New(dt).Elem()
			i := k
			var fill func(v reflect.Value)
			fill = func(v reflect.Value) {
				for f := range v.NumField() {
					switch fv := v.Field(f); fv.Kind() {
					case reflect.String:
						fv.SetString(strs[i%len(strs)])
						i++
					case reflect.Struct:
						fill(fv)
					}
				}
			}
			fill(v)
			b, err := json.Marshal(v.Interface())
			require.NoError(t, err)
			require.Equal(t, CountTokens(string(b)), toolTokens(v.Interface()), "%s: %s", dt, b)
			if n, ok := declTokens(v.Interface()); ok {
				require.Equal(t, CountTokens(string(b)), n, string(b))
			} else {
				require.False(t, json.Valid(b) && !strings.ContainsAny(string(b), `<>&\`) && !strings.Contains(string(b), "\u2028"), "%s: counted by encoding %s", dt, b)
			}
		}
		_, ok := declTokens(reflect.New(dt).Elem().Interface())
		require.True(t, ok, "%s is counted without encoding", dt)
	}
}

func mustField(t *testing.T, typ reflect.Type, name string) int {
	f, ok := typ.FieldByName(name)
	require.True(t, ok, "%s has no %s", typ, name)
	return f.Index[0]
}
