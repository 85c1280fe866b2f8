package mockllm

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Surfaces' answers rendered by hand for speed, held byte for byte to
// what encoding/json made of the same values before (json.Marshal, HTML
// escaping and all).

// appendFloat32 writes every float32 as json.Marshal does: the edges of
// the exponent form, zeros, denormals, the largest, and a million random
// bit patterns.
func TestAppendFloat32MatchesEncodingJSON(t *testing.T) {
	fs := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 1e-6, -1e-6, 1e21, -1e21, 1e20, 123456789,
		math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 3.4e-7, 0.025516287}
	for _, edge := range []float32{1e-6, 1e21} {
		fs = append(fs, math.Nextafter32(edge, 0), math.Nextafter32(edge, float32(math.Inf(1))))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		f := math.Float32frombits(r.Uint32())
		if !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) {
			fs = append(fs, f)
		}
	}
	for _, f := range fs {
		want, err := json.Marshal(f)
		require.NoError(t, err)
		if got := appendFloat32(nil, f); string(got) != string(want) {
			t.Fatalf("%g (bits %#x): got %s, want %s", f, math.Float32bits(f), got, want)
		}
	}
}

func TestAppendJSONStringHTMLMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "<tag>", "a & b", "é \u2028 \x01 \xff \"q\" back\\slash", "m>n"} {
		want, _ := json.Marshal(s)
		require.Equal(t, string(want), string(appendJSONStringHTML(nil, s)), "%q", s)
	}
}

// referenceOpenAIEmbeddings is the OpenAI embeddings list as encoding/json
// renders its documented shape.
func referenceOpenAIEmbeddings(vp *vectorPool, m Model, inputs []string, dims int, format string, p *plan) []byte {
	type item struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	out := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
		Usage  struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}{Object: "list", Model: m.Name}
	for i, in := range inputs {
		v := vp.vector(m, in, dims, true)
		var e any = v
		if format == "base64" {
			raw := make([]byte, 0, 4*len(v))
			for _, f := range v {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(f))
			}
			e = base64.StdEncoding.EncodeToString(raw)
		}
		out.Data = append(out.Data, item{Object: "embedding", Index: i, Embedding: e})
	}
	out.Usage.PromptTokens, out.Usage.TotalTokens = p.inTok, p.inTok
	b, _ := json.Marshal(out)
	return b
}

// referenceGeminiEmbeddings is Gemini's embedContent or
// batchEmbedContents answer as encoding/json renders it.
func referenceGeminiEmbeddings(vp *vectorPool, m Model, texts []string, dims []int, batch bool) []byte {
	type values struct {
		Values []float32 `json:"values"`
	}
	out := make([]values, len(texts))
	for i, t := range texts {
		out[i] = values{vp.vector(m, t, dims[i], false)}
	}
	var b []byte
	if !batch {
		b, _ = json.Marshal(map[string]values{"embedding": out[0]})
	} else {
		b, _ = json.Marshal(map[string][]values{"embeddings": out})
	}
	return b
}

func TestEmbeddingsMatchEncodingJSON(t *testing.T) {
	p := &plan{inTok: 42}
	vp := newVectorPool(7)
	for _, m := range []Model{
		{Name: "text-embedding-3-small", Dimensions: 1536},
		{Name: "awkward <&> \"name\" é", Dimensions: 64},
		{Name: "whole blocks and a part", Dimensions: 100},
	} {
		for _, inputs := range [][]string{{"summarise the incident"}, {"one", "two", "three"}, {"\x00 odd \xff"}} {
			// Whole blocks (the rendered path), a part block, one number.
			for _, dims := range []int{m.Dimensions, 48, 32, 8, 1} {
				for _, format := range []string{"", "float", "base64"} {
					want := referenceOpenAIEmbeddings(vp, m, inputs, dims, format, p)
					got := appendOpenAIEmbeddings([]byte("kept:"), vp, m, inputs, dims, format, p)
					require.Equal(t, "kept:", string(got[:5]), "appends to its buffer")
					require.Equal(t, string(want), string(got[5:]), "%s %q dims %d format %q", m.Name, inputs, dims, format)
				}
				dd := make([]int, len(inputs))
				for i := range dd {
					dd[i] = dims - i%2*(dims/2)
				}
				for _, batch := range []bool{false, true} {
					texts := inputs
					if !batch {
						texts = inputs[:1]
					}
					want := referenceGeminiEmbeddings(vp, m, texts, dd, batch)
					got := appendGeminiEmbeddings([]byte("kept:"), vp, m, texts, dd, batch)
					require.Equal(t, "kept:", string(got[:5]))
					require.Equal(t, string(want), string(got[5:]), "%s %q dims %v batch %v", m.Name, texts, dd, batch)
				}
			}
		}
	}
	// The vectors are the real ones, not a constant: two texts differ.
	a := appendOpenAIEmbeddings(nil, vp, Model{Name: "m", Dimensions: 8}, []string{"a"}, 8, "", p)
	b := appendOpenAIEmbeddings(nil, vp, Model{Name: "m", Dimensions: 8}, []string{"b"}, 8, "", p)
	require.NotEqual(t, string(a), string(b))
	require.True(t, strings.HasPrefix(string(a), `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[`), "%s", a)
}

// geminiCallFor builds the call and plan of a generateContent request
// body, as the handler would.
func geminiCallFor(t *testing.T, s *Server, body string, stream bool) (*call, *plan) {
	t.Helper()
	r := httptest.NewRequest("POST", "/v1beta/models/gemini-2.5-flash:generateContent", strings.NewReader(body))
	var req geminiRequest
	require.Nil(t, s.decodeBody(httptest.NewRecorder(), r, &req))
	c, e := s.geminiCall(r, "gemini-2.5-flash", &req)
	require.Nil(t, e)
	c.stream = stream
	c.answer, c.matched = s.answerFor(c.prompt)
	p := &plan{id: 7, start: time.Unix(1_790_000_000, 0), inTok: c.inputTokens}
	s.generate(c, p)
	return c, p
}

// awkwardServer answers "an awkward one" with every character JSON
// writers differ on.
func awkwardServer(t *testing.T) *Server {
	cfg := DefaultConfig()
	cfg.Answers = []Answer{{Prompt: "awkward", Answer: "Quotes \"q\", back\\slash, <tags> & amps,\nnew line, tab\t, é, 漢字, \u2028 and \x01."}}
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

func TestGeminiMatchesEncodingJSON(t *testing.T) {
	s := awkwardServer(t)
	tools := `,"tools":[{"functionDeclarations":[{"name":"lookup","parametersJsonSchema":{"type":"object","properties":{"q":{"type":"string"}}}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}`
	for name, tc := range map[string]struct{ prompt, extra string }{
		"text":       {"summarise the incident", ""},
		"awkward":    {"an awkward one", ""},
		"candidates": {"an awkward one", `,"generationConfig":{"candidateCount":3}`},
		"cut":        {"summarise the incident", `,"generationConfig":{"maxOutputTokens":4}`},
		"tools":      {"summarise the incident", tools},
	} {
		t.Run(name, func(t *testing.T) {
			body := `{"contents":[{"role":"user","parts":[{"text":` + string(appendJSONString(nil, tc.prompt)) + `}]}]` + tc.extra + `}`
			c, p := geminiCallFor(t, s, body, false)
			rd := &geminiRenderer{}
			got := rd.full([]byte("kept:"), c, p)
			require.Equal(t, "kept:", string(got[:5]), "full appends to its buffer")
			require.Equal(t, string(rd.geminiFullJSON(c, p)), string(got[5:]))
			if name == "awkward" {
				require.Contains(t, string(got), `\u003ctags\u003e \u0026 amps`, "HTML escaped, as json.Marshal does")
			}

			for _, sse := range []bool{true, false} {
				c, p := geminiCallFor(t, s, body, true)
				w := &flushRecorder{h: map[string][]string{}}
				sw := newSSE(w)
				rd := &geminiRenderer{sse: sse}
				rd.streamHead(sw, c, p)
				ref := &geminiRenderer{sse: sse}
				var want [][]byte
				emitted := 0
				for u := range units(p) {
					rd.streamUnit(sw, c, p, u)
					emitted++
					if u.ti >= 0 {
						continue // function calls: the same code as before
					}
					cand := map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": u.tok}}, "role": "model"}, "index": u.ci}
					m, _ := json.Marshal(ref.response(c, p, []map[string]any{cand}, emitted))
					pw := &flushRecorder{h: map[string][]string{}}
					ref.chunk(newSSE(pw), m)
					want = append(want, pw.pieces...)
				}
				rd.streamTail(sw, c, p)
				if len(want) == 0 {
					continue
				}
				require.Greater(t, len(w.pieces), len(want))
				require.Equal(t, toStrings(want), toStrings(w.pieces[:len(want)]), "sse %v", sse)
			}
		})
	}
}

func toStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// refResponses streams as the Responses renderer did with encoding/json
// maps for every event.
type refResponses struct{ responsesRenderer }

// response is the Response object as a map, the documented shape.
func (rd *responsesRenderer) referenceResponse(c *call, p *plan, status string, output []map[string]any, usage bool) map[string]any {
	if output == nil {
		output = []map[string]any{}
	}
	out := map[string]any{
		"id": p.idString("resp_"), "object": "response", "created_at": p.created(), "status": status,
		"error": nil, "incomplete_details": nil, "instructions": nil, "max_output_tokens": nil,
		"model": c.model.Name, "output": output, "parallel_tool_calls": true, "previous_response_id": nil,
		"reasoning": map[string]any{"effort": nil, "summary": nil}, "store": true, "temperature": 1.0,
		"text": map[string]any{"format": map[string]any{"type": "text"}}, "tool_choice": "auto", "tools": []any{},
		"top_p": 1.0, "truncation": "disabled", "usage": nil, "metadata": map[string]any{},
	}
	if c.maxTokens > 0 {
		out["max_output_tokens"] = c.maxTokens
	}
	if status == "incomplete" {
		reason := "max_output_tokens"
		if len(p.choices) > 0 && p.choices[0].finish == "content_filter" {
			reason = "content_filter"
		}
		out["incomplete_details"] = map[string]any{"reason": reason}
	}
	if usage {
		out["usage"] = map[string]any{"input_tokens": p.inTok, "input_tokens_details": map[string]int{"cached_tokens": 0},
			"output_tokens": p.outTok, "output_tokens_details": map[string]int{"reasoning_tokens": 0}, "total_tokens": totalTokens(p.inTok, p.outTok)}
	}
	return out
}

func (rd *refResponses) streamHead(sw *sseWriter, c *call, p *plan) {
	rd.ev(sw, "response.created", map[string]any{"response": rd.referenceResponse(c, p, "in_progress", nil, false)})
	rd.ev(sw, "response.in_progress", map[string]any{"response": rd.referenceResponse(c, p, "in_progress", nil, false)})
	if len(p.choices[0].toolCalls) == 0 {
		rd.open = rd.messageItem(p, "", "in_progress")
		rd.ev(sw, "response.output_item.added", map[string]any{"output_index": 0, "item": rd.open})
		rd.ev(sw, "response.content_part.added", map[string]any{"item_id": rd.open["id"], "output_index": 0, "content_index": 0,
			"part": map[string]any{"type": "output_text", "text": "", "annotations": []any{}, "logprobs": []any{}}})
	}
}

func (rd *refResponses) streamTail(sw *sseWriter, c *call, p *plan) {
	_, status := rd.finalItems(p)
	rd.closeOpen(sw, p, status)
	typ := "response.completed"
	if status == "incomplete" {
		typ = "response.incomplete"
	}
	rd.ev(sw, typ, map[string]any{"response": rd.referenceResponse(c, p, status, rd.items, true)})
}

func (rd *refResponses) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	if u.ti >= 0 && u.k == 0 {
		rd.closeOpen(sw, p, "completed")
		tc := p.choices[u.ci].toolCalls[u.ti]
		rd.open = rd.callItem(p, u.ti, tc, "", "in_progress")
		rd.ev(sw, "response.output_item.added", map[string]any{"output_index": len(rd.items), "item": rd.open})
	}
	rd.text.WriteString(u.tok)
	typ := "response.output_text.delta"
	fields := map[string]any{"item_id": rd.open["id"], "output_index": len(rd.items), "delta": u.tok}
	if u.ti < 0 {
		fields["content_index"], fields["logprobs"] = 0, []any{}
	} else {
		typ = "response.function_call_arguments.delta"
	}
	rd.ev(sw, typ, fields)
}

// streamAll streams p through rd and returns the pieces flushed.
func streamAll(c *call, p *plan, rd renderer) []string {
	w := &flushRecorder{h: map[string][]string{}}
	sw := newSSE(w)
	rd.streamHead(sw, c, p)
	for u := range units(p) {
		rd.streamUnit(sw, c, p, u)
	}
	rd.streamTail(sw, c, p)
	return toStrings(w.pieces)
}

func TestResponsesMatchEncodingJSON(t *testing.T) {
	s := awkwardServer(t)
	tools := `,"tools":[{"type":"function","name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}],"tool_choice":"required"`
	for name, tc := range map[string]struct{ prompt, extra string }{
		"text":           {"summarise the incident", ""},
		"awkward":        {"an awkward one", ""},
		"cut":            {"summarise the incident", `,"max_output_tokens":16`},
		"content filter": {"summarise the incident", ""},
		"tools":          {"summarise the incident", tools},
	} {
		t.Run(name, func(t *testing.T) {
			body := `{"model":"gpt-4o-mini","input":` + string(appendJSONString(nil, tc.prompt)) + tc.extra + `}`
			build := func(stream bool) (*call, *plan) {
				r := httptest.NewRequest("POST", "/v1/responses", strings.NewReader(body))
				var req responsesRequest
				require.Nil(t, s.decodeBody(httptest.NewRecorder(), r, &req))
				c, e := s.responsesCall(r, &req)
				require.Nil(t, e)
				c.stream = stream
				c.answer, c.matched = s.answerFor(c.prompt)
				p := &plan{id: 7, start: time.Unix(1_790_000_000, 0), inTok: c.inputTokens}
				s.generate(c, p)
				if name == "content filter" {
					p.choices[0].finish = "content_filter"
				}
				return c, p
			}
			c, p := build(false)
			rd := &responsesRenderer{}
			items, status := rd.finalItems(p)
			want, _ := json.Marshal(rd.referenceResponse(c, p, status, items, true))
			got := rd.full([]byte("kept:"), c, p)
			require.Equal(t, "kept:", string(got[:5]), "full appends to its buffer")
			require.Equal(t, string(want), string(got[5:]))

			c, p = build(true)
			wantStream := streamAll(c, p, &refResponses{})
			c, p = build(true)
			gotStream := streamAll(c, p, &responsesRenderer{})
			require.Greater(t, len(gotStream), 5)
			require.Equal(t, wantStream, gotStream)
		})
	}
}

func TestMessagesMatchEncodingJSON(t *testing.T) {
	s := awkwardServer(t)
	m, e := s.bedrockModel("anthropic.claude-haiku-4-5-20251001-v1:0")
	require.Nil(t, e)
	tools := `,"tools":[{"name":"lookup","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}}],"tool_choice":{"type":"any"}`
	for name, tc := range map[string]struct{ prompt, extra string }{
		"text":    {"summarise the incident", ""},
		"awkward": {"an awkward one", ""},
		"cut":     {"summarise the incident", ""},
		"tools":   {"summarise the incident", tools},
	} {
		t.Run(name, func(t *testing.T) {
			maxTokens := "1024"
			if name == "cut" {
				maxTokens = "5"
			}
			body := `{"model":"claude-haiku-4-5","max_tokens":` + maxTokens + `,"messages":[{"role":"user","content":` + string(appendJSONString(nil, tc.prompt)) + `}]` + tc.extra + `}`
			for _, invoke := range []bool{false, true} {
				r := httptest.NewRequest("POST", "/v1/messages", strings.NewReader(body))
				var req messagesRequest
				require.Nil(t, s.decodeBody(httptest.NewRecorder(), r, &req))
				var c *call
				if invoke { // Bedrock's InvokeModel renders Anthropic's body
					c, e = messagesCallFor(m, "", &req)
				} else {
					c, e = s.messagesCall(r, &req)
				}
				require.Nil(t, e)
				c.answer, c.matched = s.answerFor(c.prompt)
				p := &plan{id: 7, start: time.Unix(1_790_000_000, 0), inTok: c.inputTokens}
				s.generate(c, p)
				rd := messagesRenderer{}
				got := rd.full([]byte("kept:"), c, p)
				require.Equal(t, "kept:", string(got[:5]), "full appends to its buffer")
				require.Equal(t, string(rd.messageFullJSON(c, p)), string(got[5:]))
				if name == "cut" {
					require.Contains(t, string(got), `"stop_reason":"max_tokens"`)
				}
			}
		})
	}
}

// appendFraction32, the fast path of embeddings' numbers, agrees with
// strconv on a million random float32s of its range [2^-19, 1), and
// on both ends of every binade of it.
func TestAppendFraction32MatchesStrconv(t *testing.T) {
	lo, hi := math.Float32bits(0x1p-19), math.Float32bits(1)
	check := func(fb uint32) {
		for _, f := range []float32{math.Float32frombits(fb), -math.Float32frombits(fb)} {
			want := strconv.AppendFloat(nil, float64(f), 'f', -1, 32)
			if got := appendFraction32(nil, f); string(got) != string(want) {
				t.Fatalf("%g (bits %#x): got %s, want %s", f, math.Float32bits(f), got, want)
			}
		}
	}
	for fb := lo; fb < hi; fb += 1 << 23 {
		for _, d := range []uint32{0, 1, 2, 3, 1<<23 - 2, 1<<23 - 1} {
			check(fb + d)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1_000_000 {
		check(lo + r.Uint32N(hi-lo))
	}
}

// TestAppendFraction32Exhaustive checks every float32 of the range, 160
// million of them (15 seconds or so): MOCKLLM_EXHAUSTIVE=1 go test -run
// Exhaustive ./mockllm.
func TestAppendFraction32Exhaustive(t *testing.T) {
	if os.Getenv("MOCKLLM_EXHAUSTIVE") == "" {
		t.Skip("MOCKLLM_EXHAUSTIVE=1 to check every float32 in [2^-19, 1)")
	}
	var want, got []byte
	for fb := math.Float32bits(0x1p-19); fb < math.Float32bits(1); fb++ {
		f := math.Float32frombits(fb)
		want = strconv.AppendFloat(want[:0], float64(f), 'f', -1, 32)
		if got = appendFraction32(got[:0], f); string(got) != string(want) {
			t.Fatalf("%g (bits %#x): got %s, want %s", f, fb, got, want)
		}
	}
}

// BenchmarkFloat32s: one embedding's 1,536 numbers written by
// appendFloat32, by strconv as before, and copied from their blocks'
// renderings as a request does.
func BenchmarkFloat32s(b *testing.B) {
	vp := newVectorPool(1)
	m := Model{Name: "text-embedding-3-small", Dimensions: 1536}
	v := vp.vector(m, "summarise the incident", 1536, true)
	buf := make([]byte, 0, 32<<10)
	b.Run("append", func(b *testing.B) {
		for range b.N {
			buf = buf[:0]
			for _, f := range v {
				buf = appendFloat32(buf, f)
			}
		}
	})
	b.Run("blocks", func(b *testing.B) {
		for range b.N {
			var ref vectorRef
			vp.resolve(&ref, m, "summarise the incident", 1536, true)
			buf = vp.appendJSON(buf[:0], &ref)
		}
	})
	b.Run("strconv", func(b *testing.B) {
		for range b.N {
			buf = buf[:0]
			for _, f := range v {
				buf = strconv.AppendFloat(buf, float64(f), 'f', -1, 32)
			}
		}
	})
}

// The reference renderings the hand-written full renderers are held to:
// each response built of maps and encoded by encoding/json.

// geminiFullJSON is a GenerateContentResponse as encoding/json renders it.
func (rd *geminiRenderer) geminiFullJSON(c *call, p *plan) []byte {
	cands := make([]map[string]any, len(p.choices))
	for i, ch := range p.choices {
		parts := []map[string]any{}
		if len(ch.toolCalls) == 0 {
			parts = append(parts, map[string]any{"text": ch.text()})
		}
		for _, tc := range ch.toolCalls {
			parts = append(parts, functionCallPart(tc))
		}
		cands[i] = map[string]any{"content": map[string]any{"parts": parts, "role": "model"}, "finishReason": geminiFinish(ch.finish), "index": i}
	}
	m, _ := json.Marshal(rd.response(c, p, cands, p.outTok))
	return m
}

// converseFullJSON is a ConverseResponse as encoding/json renders it.
func converseFullJSON(p *plan) []byte {
	ch := p.choices[0]
	content := []any{}
	if len(ch.toolCalls) == 0 {
		content = append(content, map[string]string{"text": ch.text()})
	}
	for _, tc := range ch.toolCalls {
		content = append(content, map[string]any{"toolUse": map[string]any{"toolUseId": bedrockToolID(tc.id), "name": tc.name, "input": toolArgsJSON(tc, true)}})
	}
	m, _ := json.Marshal(map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": content}},
		"stopReason": converseStop(ch.finish),
		"usage":      bedrockUsageOf(p),
		"metrics":    map[string]int64{"latencyMs": p.latencyMS()},
	})
	return m
}

// messageFullJSON is a Message as encoding/json renders it.
func (rd messagesRenderer) messageFullJSON(c *call, p *plan) []byte {
	ch := p.choices[0]
	content := []any{}
	if len(ch.toolCalls) == 0 {
		content = append(content, map[string]any{"type": "text", "text": ch.text()})
	}
	for _, tc := range ch.toolCalls {
		content = append(content, map[string]any{"type": "tool_use", "id": strings.Replace(tc.id, "call_", "toolu_", 1), "name": tc.name, "input": toolArgsJSON(tc, false)})
	}
	m, _ := json.Marshal(rd.message(c, p, content, stopReason(ch.finish), p.outTok))
	return m
}
