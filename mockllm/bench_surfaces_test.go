package mockllm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkSurfaces measures every generating surface of one mockllm
// server against a bare net/http handler sending that surface's exact
// sampled answer, in one run: each sub-benchmark samples its surface
// once, then serves the sample from the bare handler with the same
// headers (less Date and Content-Length, which net/http writes, as
// cmd/benchpair does) and, for a stream, the same pieces flushed one by
// one as mockllm flushes them. Each b.N iteration is one round: a fixed
// batch to the bare handler, then the same batch to mockllm, over 64
// keep-alive connections to each; ratio is the median over rounds of
// bare time / mock time (pairedRatio). A round takes some tens of
// milliseconds, so the default -benchtime of 1s gives each surface 10 to
// 30 rounds and the whole set runs in about 35 seconds:
//
//	go test -run '^$' -bench Surfaces ./mockllm
//	go test -run '^$' -bench 'Surfaces/gemini' ./mockllm   # one family
func BenchmarkSurfaces(b *testing.B) {
	s := startBench(b, benchConfig(0, 0))
	for _, sc := range benchSurfaces {
		b.Run(sc.name, func(b *testing.B) { runSurface(b, s, sc) })
	}
}

// benchSurface is one surface's request: path (query included), body,
// and for a stream the substring every output token's piece holds, with
// how many there must be (100 tokens: benchConfig's output).
type benchSurface struct {
	name, path, body string
	stream           bool
	marker           string
	markers          int
	want             string // what a whole answer holds (a tool call)
}

// benchToolsBody is an agent's request: a system prompt, a question and
// two tools with JSON Schema parameters, as agents send on every turn.
const benchToolsBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are the on-call assistant."},{"role":"user","content":"what is the status of the checkout service?"}],` +
	`"tools":[{"type":"function","function":{"name":"get_status","description":"Get a service's status","parameters":{"type":"object","properties":{"service":{"type":"string"},"region":{"type":"string","enum":["eu","us"]}},"required":["service"]}}},` +
	`{"type":"function","function":{"name":"page_oncall","description":"Page the on-call","parameters":{"type":"object","properties":{"team":{"type":"string"},"urgency":{"type":"string"}},"required":["team"]}}}],"temperature":0.2}`

// The same agent's request on the other providers' surfaces, each with
// its tools in that provider's own shape.
const (
	benchToolParams1    = `{"type":"object","properties":{"service":{"type":"string"},"region":{"type":"string","enum":["eu","us"]}},"required":["service"]}`
	benchToolParams2    = `{"type":"object","properties":{"team":{"type":"string"},"urgency":{"type":"string"}},"required":["team"]}`
	benchAnthropicTools = `{"model":"claude-haiku-4-5","max_tokens":1024,"system":"You are the on-call assistant.","messages":[{"role":"user","content":"what is the status of the checkout service?"}],` +
		`"tools":[{"name":"get_status","description":"Get a service's status","input_schema":` + benchToolParams1 + `},{"name":"page_oncall","description":"Page the on-call","input_schema":` + benchToolParams2 + `}]}`
	benchGeminiTools = `{"systemInstruction":{"parts":[{"text":"You are the on-call assistant."}]},"contents":[{"role":"user","parts":[{"text":"what is the status of the checkout service?"}]}],` +
		`"tools":[{"functionDeclarations":[{"name":"get_status","description":"Get a service's status","parametersJsonSchema":` + benchToolParams1 + `},{"name":"page_oncall","description":"Page the on-call","parametersJsonSchema":` + benchToolParams2 + `}]}]}`
	benchConverseTools = `{"system":[{"text":"You are the on-call assistant."}],"messages":[{"role":"user","content":[{"text":"what is the status of the checkout service?"}]}],` +
		`"toolConfig":{"tools":[{"toolSpec":{"name":"get_status","description":"Get a service's status","inputSchema":{"json":` + benchToolParams1 + `}}},{"toolSpec":{"name":"page_oncall","description":"Page the on-call","inputSchema":{"json":` + benchToolParams2 + `}}}]}}`
)

const (
	benchPrompt     = `"summarise the incident"`
	benchAzureQuery = "?api-version=2024-10-21"
	geminiBody      = `{"contents":[{"role":"user","parts":[{"text":` + benchPrompt + `}]}]}`
	converseBody    = `{"messages":[{"role":"user","content":[{"text":` + benchPrompt + `}]}]}`
	anthropicBody   = `{"model":"claude-haiku-4-5","max_tokens":1024,"messages":[{"role":"user","content":` + benchPrompt + `}]`
	invokeBody      = `{"anthropic_version":"bedrock-2023-05-31","max_tokens":1024,"messages":[{"role":"user","content":` + benchPrompt + `}]}`
	responsesBody   = `{"model":"gpt-4o-mini","input":` + benchPrompt
	completionsBody = `{"model":"gpt-4o-mini","prompt":` + benchPrompt + `,"max_tokens":100`
)

// benchSurfaces are the surfaces measured: every generating API, whole
// and streamed where it streams, and Gemini's countTokens.
var benchSurfaces = []benchSurface{
	{name: "openai-chat", path: "/v1/chat/completions", body: chatBody("gpt-4o-mini", "summarise the incident", "")},
	{name: "openai-chat-tools", path: "/v1/chat/completions", body: benchToolsBody, want: `"tool_calls":[{`},
	{name: "anthropic-messages-tools", path: "/v1/messages", body: benchAnthropicTools, want: `"type":"tool_use"`},
	{name: "gemini-generate-tools", path: "/v1beta/models/gemini-2.5-flash:generateContent", body: benchGeminiTools, want: `"functionCall":{`},
	{name: "bedrock-converse-tools", path: "/model/amazon.nova-lite-v1:0/converse", body: benchConverseTools, want: `"toolUse":{`},
	{name: "openai-chat-stream", path: "/v1/chat/completions", body: chatBody("gpt-4o-mini", "summarise the incident", `"stream":true`),
		stream: true, marker: `"delta":{"content":"`, markers: 100},
	{name: "openai-responses", path: "/v1/responses", body: responsesBody + "}"},
	{name: "openai-responses-stream", path: "/v1/responses", body: responsesBody + `,"stream":true}`,
		stream: true, marker: "event: response.output_text.delta\n", markers: 100},
	{name: "openai-completions", path: "/v1/completions", body: completionsBody + "}"},
	{name: "openai-completions-stream", path: "/v1/completions", body: completionsBody + `,"stream":true}`,
		stream: true, marker: `"finish_reason":null`, markers: 100},
	{name: "openai-embeddings", path: "/v1/embeddings", body: `{"model":"text-embedding-3-small","input":` + benchPrompt + `}`},
	// What the openai SDKs for Python and JavaScript ask for by default.
	{name: "openai-embeddings-base64", path: "/v1/embeddings", body: `{"model":"text-embedding-3-small","input":` + benchPrompt + `,"encoding_format":"base64"}`},
	{name: "anthropic-messages", path: "/v1/messages", body: anthropicBody + "}"},
	{name: "anthropic-messages-stream", path: "/v1/messages", body: anthropicBody + `,"stream":true}`,
		stream: true, marker: `"type":"text_delta"`, markers: 100},
	{name: "gemini-generate", path: "/v1beta/models/gemini-2.5-flash:generateContent", body: geminiBody},
	{name: "gemini-stream-sse", path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body: geminiBody,
		stream: true, marker: `"parts":[{"text":"`, markers: 101}, // and the last chunk's empty text
	{name: "gemini-stream-array", path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", body: geminiBody,
		stream: true, marker: `"parts":[{"text":"`, markers: 101},
	{name: "gemini-count-tokens", path: "/v1beta/models/gemini-2.5-flash:countTokens", body: geminiBody},
	{name: "gemini-embed", path: "/v1beta/models/gemini-embedding-001:embedContent", body: `{"content":{"parts":[{"text":` + benchPrompt + `}]}}`},
	{name: "bedrock-converse", path: "/model/amazon.nova-lite-v1:0/converse", body: converseBody},
	{name: "bedrock-converse-stream", path: "/model/amazon.nova-lite-v1:0/converse-stream", body: converseBody,
		stream: true, marker: "contentBlockDelta", markers: 100},
	{name: "bedrock-invoke", path: "/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke", body: invokeBody},
	{name: "bedrock-invoke-stream", path: "/model/anthropic.claude-haiku-4-5-20251001-v1:0/invoke-with-response-stream", body: invokeBody,
		stream: true, marker: ":event-type\x07\x00\x05chunk", markers: 105}, // message start, block start, 100 deltas, block stop, message delta and stop: Bedrock drops the ping
	{name: "azure-chat", path: "/openai/deployments/gpt-4o-mini/chat/completions" + benchAzureQuery, body: chatBody("", "summarise the incident", "")},
	{name: "azure-chat-stream", path: "/openai/deployments/gpt-4o-mini/chat/completions" + benchAzureQuery, body: chatBody("", "summarise the incident", `"stream":true`),
		stream: true, marker: `"delta":{"content":"`, markers: 100},
	{name: "azure-embeddings", path: "/openai/deployments/text-embedding-3-small/embeddings" + benchAzureQuery, body: `{"input":` + benchPrompt + `}`},
}

// Batches of one round: a whole answer is a request, a stream 100 of
// them or more (each token a write and a flush).
const (
	benchWholeBatch  = 512
	benchStreamBatch = 64
)

// benchSample is an answer as a bare handler replays it: mockllm's
// headers, less those net/http writes itself, and its pieces.
type benchSample struct {
	header http.Header
	pieces [][]byte
	size   int
}

// sampleSurface sends the surface's request to mockllm once and returns
// the answer cut into the pieces mockllm flushed.
func sampleSurface(tb testing.TB, base string, sc benchSurface) benchSample {
	tb.Helper()
	res, body := post(tb, base+sc.path, sc.body)
	if res.StatusCode != http.StatusOK {
		tb.Fatalf("%s: status %d: %s", sc.name, res.StatusCode, body)
	}
	if !strings.Contains(body, sc.want) {
		tb.Fatalf("%s: no %s in %s", sc.name, sc.want, body)
	}
	h := res.Header.Clone()
	h.Del("Date")
	h.Del("Content-Length")
	pieces := [][]byte{[]byte(body)}
	if sc.stream {
		var err error
		if pieces, err = splitFlushes(h.Get("Content-Type"), []byte(body)); err != nil {
			tb.Fatalf("%s: %v", sc.name, err)
		}
		if n := strings.Count(body, sc.marker); n != sc.markers {
			tb.Fatalf("%s: want %d pieces with %q (100 tokens), got %d in %q", sc.name, sc.markers, sc.marker, n, body)
		}
	}
	return benchSample{header: h, pieces: pieces, size: len(body)}
}

// splitFlushes cuts a streamed answer into the pieces mockllm writes and
// flushes one at a time: SSE events, AWS event stream messages, or the
// elements of Gemini's JSON array ("[" and the first element, ",\r\n"
// and each next one, then "]"). TestSplitFlushesIsMockllmsFlushes holds
// it to the flushes of every streaming surface.
func splitFlushes(contentType string, b []byte) ([][]byte, error) {
	var out [][]byte
	switch {
	case strings.HasPrefix(contentType, "text/event-stream"):
		for len(b) > 0 {
			i := bytes.Index(b, []byte("\n\n"))
			if i < 0 {
				return nil, fmt.Errorf("SSE: %d bytes after the last event end no event", len(b))
			}
			out, b = append(out, b[:i+2]), b[i+2:]
		}
	case contentType == bedrockStreamType:
		for len(b) > 0 {
			if len(b) < 16 {
				return nil, fmt.Errorf("event stream: %d bytes left, less than a message's prelude and CRC", len(b))
			}
			n := int(binary.BigEndian.Uint32(b[:4])) // the prelude's total length
			if n < 16 || n > len(b) {
				return nil, fmt.Errorf("event stream: a message of %d bytes with %d left", n, len(b))
			}
			out, b = append(out, b[:n]), b[n:]
		}
	case strings.HasPrefix(contentType, "application/json"):
		if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
			return nil, fmt.Errorf("JSON array stream: want [ ... ], got %.40q", b)
		}
		// An element is compact JSON, which has no raw CR: ",\r\n" only
		// separates elements.
		body := b[:len(b)-1]
		for len(body) > 0 {
			i := bytes.Index(body[1:], []byte(",\r\n"))
			if i < 0 {
				out = append(out, body)
				break
			}
			out, body = append(out, body[:i+1]), body[i+1:]
		}
		out = append(out, b[len(b)-1:])
	default:
		return nil, fmt.Errorf("a stream of type %q", contentType)
	}
	return out, nil
}

func runSurface(b *testing.B, s *Server, sc benchSurface) {
	smp := sampleSurface(b, s.URL(), sc)
	bare := bareServer(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		for k, v := range smp.header {
			h[k] = v
		}
		if len(smp.pieces) == 1 {
			_, _ = w.Write(smp.pieces[0])
			return
		}
		rc := http.NewResponseController(w)
		for _, p := range smp.pieces {
			_, _ = w.Write(p)
			_ = rc.Flush()
		}
	})
	client := benchClient(benchConns)
	b.Cleanup(client.CloseIdleConnections)
	batch := benchWholeBatch
	if sc.stream {
		batch = benchStreamBatch
	}
	mockURL, bareURL := s.URL()+sc.path, bare+sc.path
	// Open both sides' connections before the clock starts.
	load(b, client, bareURL, sc.body, benchConns)
	load(b, client, mockURL, sc.body, benchConns)
	var mockLat, bareLat []time.Duration
	var mockRounds, bareRounds []time.Duration
	b.ResetTimer()
	for range b.N {
		l, d := load(b, client, bareURL, sc.body, batch)
		bareLat, bareRounds = append(bareLat, l...), append(bareRounds, d)
		l, d = load(b, client, mockURL, sc.body, batch)
		mockLat, mockRounds = append(mockLat, l...), append(mockRounds, d)
	}
	b.StopTimer()
	n := float64(len(mockLat))
	if sc.stream {
		b.ReportMetric(n*100/sum(mockRounds).Seconds(), "mock_tokens/s")
		b.ReportMetric(n*100/sum(bareRounds).Seconds(), "bare_tokens/s")
	} else {
		b.ReportMetric(n/sum(mockRounds).Seconds(), "mock_req/s")
		b.ReportMetric(n/sum(bareRounds).Seconds(), "bare_req/s")
	}
	b.ReportMetric(pairedRatio(bareRounds, mockRounds), "ratio")
	b.ReportMetric(float64(pct(mockLat, 0.5).Microseconds()), "mock_p50_us")
	b.ReportMetric(float64(pct(bareLat, 0.5).Microseconds()), "bare_p50_us")
	b.ReportMetric(float64(smp.size), "body_bytes")
	b.ReportMetric(float64(len(mockRounds)), "rounds")
}

// flushRecorder is a ResponseWriter that keeps what is written between
// flushes as one piece.
type flushRecorder struct {
	h      http.Header
	status int
	pieces [][]byte
	cur    []byte
}

func (w *flushRecorder) Header() http.Header { return w.h }
func (w *flushRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *flushRecorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.cur = append(w.cur, b...)
	return len(b), nil
}

func (w *flushRecorder) Flush() {
	if len(w.cur) > 0 {
		w.pieces = append(w.pieces, w.cur)
		w.cur = nil
	}
}

// The bare handler of BenchmarkSurfaces flushes a stream where mockllm
// does: splitFlushes, given the whole stream, finds exactly the pieces
// mockllm wrote between its flushes, on every streaming surface; and
// every surface answers its benchmark request with a 200.
func TestSplitFlushesIsMockllmsFlushes(t *testing.T) {
	s, err := New(benchConfig(0, 0))
	require.NoError(t, err)
	for _, sc := range benchSurfaces {
		t.Run(sc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, sc.path, strings.NewReader(sc.body))
			r.Header.Set("Content-Type", "application/json")
			w := &flushRecorder{h: http.Header{}}
			s.Handler().ServeHTTP(w, r)
			w.Flush()
			whole := bytes.Join(w.pieces, nil)
			require.Equal(t, http.StatusOK, w.status, "%s", whole)
			if !sc.stream {
				require.Len(t, w.pieces, 1, "a whole answer is one write")
				return
			}
			require.Greater(t, len(w.pieces), 100, "a piece a token at least")
			got, err := splitFlushes(w.h.Get("Content-Type"), whole)
			require.NoError(t, err)
			require.True(t, slices.EqualFunc(w.pieces, got, bytes.Equal), "flushed %q\nsplit   %q", w.pieces, got)
			require.Equal(t, sc.markers, strings.Count(string(whole), sc.marker))
		})
	}
}

func TestSplitFlushesRefusesWhatIsNoStream(t *testing.T) {
	for _, tc := range []struct{ ct, body, want string }{
		{"text/event-stream", "data: x\n\ndata: y\n", "SSE: 8 bytes"},
		{bedrockStreamType, "\x00\x00\x00\x10", "less than a message's prelude"},
		{bedrockStreamType, "\x00\x00\x01\x00" + strings.Repeat("x", 20), "a message of 256 bytes with 24 left"},
		{"application/json", `{"a":1}`, "want [ ... ]"},
		{"text/plain", "x", `a stream of type "text/plain"`},
	} {
		_, err := splitFlushes(tc.ct, []byte(tc.body))
		require.ErrorContains(t, err, tc.want, tc.ct)
	}
}
