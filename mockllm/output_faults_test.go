package mockllm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOutputFaultsOnEverySurface forces each of the output garbage
// kinds on every generating surface and reads the answer as that
// provider's client would: the stop reason in its terms, the tool call's
// name and arguments.
func TestOutputFaultsOnEverySurface(t *testing.T) {
	s, _ := startTest(t, nil)
	schema := `{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}`
	type answer struct {
		finish, tool, args string
		text               string
	}
	surfaces := []struct {
		name, path, plain, tools string
		read                     func(t *testing.T, body string) answer
	}{
		{"openai", "/v1/chat/completions",
			chatBody("gpt-4o", "Tell me about queues", ""),
			chatBody("gpt-4o", "Weather in Paris?", `"tools":[{"type":"function","function":{"name":"get_weather","parameters":`+schema+`}}]`),
			func(t *testing.T, body string) answer {
				var r struct {
					Choices []struct {
						FinishReason string `json:"finish_reason"`
						Message      struct {
							Content   string
							ToolCalls []struct {
								Function struct{ Name, Arguments string }
							} `json:"tool_calls"`
						}
					}
				}
				require.NoError(t, json.Unmarshal([]byte(body), &r), body)
				a := answer{finish: r.Choices[0].FinishReason, text: r.Choices[0].Message.Content}
				if tc := r.Choices[0].Message.ToolCalls; len(tc) > 0 {
					a.tool, a.args = tc[0].Function.Name, tc[0].Function.Arguments
				}
				return a
			}},
		{"anthropic", "/v1/messages",
			`{"model":"claude-haiku-4-5","max_tokens":500,"messages":[{"role":"user","content":"Tell me about queues"}]}`,
			`{"model":"claude-haiku-4-5","max_tokens":500,"messages":[{"role":"user","content":"Weather in Paris?"}],"tools":[{"name":"get_weather","input_schema":` + schema + `}]}`,
			func(t *testing.T, body string) answer {
				var r struct {
					StopReason string `json:"stop_reason"`
					Content    []struct {
						Type, Text, Name string
						Input            json.RawMessage
					}
				}
				require.NoError(t, json.Unmarshal([]byte(body), &r), body)
				a := answer{finish: r.StopReason}
				for _, b := range r.Content {
					a.text += b.Text
					if b.Type == "tool_use" {
						a.tool, a.args = b.Name, string(b.Input)
					}
				}
				return a
			}},
		{"gemini", "/v1beta/models/gemini-2.5-flash:generateContent",
			`{"contents":[{"parts":[{"text":"Tell me about queues"}]}]}`,
			`{"contents":[{"parts":[{"text":"Weather in Paris?"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather","parametersJsonSchema":` + schema + `}]}]}`,
			func(t *testing.T, body string) answer {
				var r struct {
					Candidates []struct {
						FinishReason string
						Content      struct {
							Parts []struct {
								Text         string
								FunctionCall *struct {
									Name string
									Args json.RawMessage
								}
							}
						}
					}
				}
				require.NoError(t, json.Unmarshal([]byte(body), &r), body)
				a := answer{finish: r.Candidates[0].FinishReason}
				for _, p := range r.Candidates[0].Content.Parts {
					a.text += p.Text
					if p.FunctionCall != nil {
						a.tool, a.args = p.FunctionCall.Name, string(p.FunctionCall.Args)
					}
				}
				return a
			}},
		{"bedrock", "/model/amazon.nova-lite-v1:0/converse",
			`{"messages":[{"role":"user","content":[{"text":"Tell me about queues"}]}]}`,
			`{"messages":[{"role":"user","content":[{"text":"Weather in Paris?"}]}],"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","inputSchema":{"json":` + schema + `}}}]}}`,
			func(t *testing.T, body string) answer {
				var r struct {
					StopReason string
					Output     struct {
						Message struct {
							Content []struct {
								Text    string
								ToolUse *struct {
									Name  string
									Input json.RawMessage
								}
							}
						}
					}
				}
				require.NoError(t, json.Unmarshal([]byte(body), &r), body)
				a := answer{finish: r.StopReason}
				for _, b := range r.Output.Message.Content {
					a.text += b.Text
					if b.ToolUse != nil {
						a.tool, a.args = b.ToolUse.Name, string(b.ToolUse.Input)
					}
				}
				return a
			}},
	}
	filterStop := map[string]string{"openai": "content_filter", "anthropic": "refusal", "gemini": "SAFETY", "bedrock": "content_filtered"}
	lengthStop := map[string]string{"openai": "length", "anthropic": "max_tokens", "gemini": "MAX_TOKENS", "bedrock": "max_tokens"}
	force := func(kind string) []string {
		return []string{HeaderForceFault, ModeGarbage, HeaderForceParams, `{"kind":"` + kind + `"}`}
	}
	for _, sf := range surfaces {
		_, body := post(t, s.URL()+sf.path, sf.plain)
		clean := sf.read(t, body)
		_, body = post(t, s.URL()+sf.path, sf.tools)
		call := sf.read(t, body)
		require.Equal(t, "get_weather", call.tool, sf.name)
		var args map[string]any
		require.NoError(t, json.Unmarshal([]byte(call.args), &args), sf.name)
		require.IsType(t, "", args["city"], "%s: the clean call fits the schema", sf.name)

		// A content-filter stop: part of the answer, the filter's reason.
		res, body := post(t, s.URL()+sf.path, sf.plain, force(GarbageContentFilter)...)
		require.Equal(t, "forced-garbage", res.Header.Get(HeaderFault), sf.name)
		a := sf.read(t, body)
		require.Equal(t, filterStop[sf.name], a.finish, sf.name)
		require.True(t, strings.HasPrefix(clean.text, a.text) && len(a.text) < len(clean.text), "%s: %q is the start of %q", sf.name, a.text, clean.text)

		// Arguments that break the schema: valid JSON, city left out.
		_, body = post(t, s.URL()+sf.path, sf.tools, force(GarbageSchemaViolation)...)
		a = sf.read(t, body)
		require.Equal(t, "get_weather", a.tool, sf.name)
		args = nil
		require.NoError(t, json.Unmarshal([]byte(a.args), &args), sf.name)
		require.NotContains(t, args, "city", sf.name)

		// A tool that was not offered.
		_, body = post(t, s.URL()+sf.path, sf.tools, force(GarbageUnknownTool)...)
		a = sf.read(t, body)
		require.Equal(t, "get_weather_v2", a.tool, sf.name)

		// A length stop in the middle of the call's arguments.
		_, body = post(t, s.URL()+sf.path, sf.tools, force(GarbageToolLength)...)
		a = sf.read(t, body)
		require.Equal(t, lengthStop[sf.name], a.finish, sf.name)
		require.Equal(t, "get_weather", a.tool, sf.name)
		require.False(t, json.Valid([]byte(a.args)) && !strings.Contains(a.args, "_raw"), "%s: cut arguments %s", sf.name, a.args)
	}

	// Without tools offered, the tool kinds change nothing and are not
	// counted as evidence.
	id := addFault(t, s, Fault{Mode: ModeGarbage, Params: FaultParams{Kind: GarbageUnknownTool}})
	res, _ := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""))
	require.Empty(t, res.Header.Get(HeaderFault))
	require.EqualValues(t, 0, s.Faults().Affected(id))
}

func TestViolateSchema(t *testing.T) {
	obj := map[string]any{"type": "object", "properties": map[string]any{"b": map[string]any{"type": "string"}, "a": map[string]any{"type": "integer"}}}
	require.Equal(t, `{"a":"not a integer","b":"x"}`, violateSchema(`{"a":1,"b":"x"}`, obj))
	obj["required"] = []any{"b"}
	require.Equal(t, `{"a":1}`, violateSchema(`{"a":1,"b":"x"}`, obj))
	require.Equal(t, `["not","an","object"]`, violateSchema(`{}`, map[string]any{"type": "object"}))
	require.Equal(t, "f_v2_v2", unknownTool([]tool{{name: "f"}, {name: "f_v2"}}, "f"))
}

// TestAzureContentFilterResults: Azure's answers carry the prompt's and
// every choice's content filter results, whole and streamed; a
// content_filter stop is violence filtered. OpenAI's carry none.
func TestAzureContentFilterResults(t *testing.T) {
	s, _ := startTest(t, nil)
	azure := s.URL() + "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
	type filter struct {
		Filtered bool
		Severity string
	}
	var r struct {
		PromptFilterResults []struct {
			PromptIndex          int               `json:"prompt_index"`
			ContentFilterResults map[string]filter `json:"content_filter_results"`
		} `json:"prompt_filter_results"`
		Choices []struct {
			FinishReason         string            `json:"finish_reason"`
			ContentFilterResults map[string]filter `json:"content_filter_results"`
		}
	}
	_, body := post(t, azure, chatBody("gpt-4o", "hi", ""))
	require.NoError(t, json.Unmarshal([]byte(body), &r), body)
	require.Equal(t, filter{false, "safe"}, r.PromptFilterResults[0].ContentFilterResults["hate"])
	require.Equal(t, filter{false, "safe"}, r.Choices[0].ContentFilterResults["violence"])
	require.Len(t, r.Choices[0].ContentFilterResults, 4)

	_, body = post(t, azure, chatBody("gpt-4o", "hi", ""), HeaderForceFault, ModeGarbage, HeaderForceParams, `{"kind":"content_filter"}`)
	r.Choices = nil
	require.NoError(t, json.Unmarshal([]byte(body), &r), body)
	require.Equal(t, "content_filter", r.Choices[0].FinishReason)
	require.Equal(t, filter{true, "medium"}, r.Choices[0].ContentFilterResults["violence"])

	_, data, err := streamLines(t, azure, chatBody("gpt-4o", "hi", `"stream":true`))
	require.NoError(t, err)
	require.Contains(t, data[0], `"choices":[],`)
	require.Contains(t, data[0], `"prompt_filter_results":[{"prompt_index":0`)
	require.Contains(t, data[len(data)-2], `"content_filter_results":{"hate":{"filtered":false`)

	_, body = post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "hi", ""))
	require.NotContains(t, body, "filter_results")
}
