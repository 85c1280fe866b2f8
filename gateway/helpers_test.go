package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeProvider is a small OpenAI-shaped provider whose answers a test
// scripts; it records the requests it got.
type fakeProvider struct {
	*httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	reqs  []map[string]any
	reply func(n int, req map[string]any, w http.ResponseWriter) // n is 1-based
}

func newFake(t testing.TB, reply func(n int, req map[string]any, w http.ResponseWriter)) *fakeProvider {
	f := &fakeProvider{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "unexpected path "+r.URL.Path, http.StatusNotFound)
			return
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := int(f.calls.Add(1))
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		f.mu.Unlock()
		f.reply(n, req, w)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProvider) lastRequest() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reqs[len(f.reqs)-1]
}

// completionJSON is an OpenAI chat completion with the given text and usage.
func completionJSON(model, text string, in, out int) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": text}}},
		"usage": map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
	return string(b)
}

func answer(text string, in, out int) func(int, map[string]any, http.ResponseWriter) {
	return func(_ int, req map[string]any, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, completionJSON(fmt.Sprint(req["model"]), text, in, out))
	}
}

func failWith(status int) func(int, map[string]any, http.ResponseWriter) {
	return func(_ int, _ map[string]any, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"injected %d","type":"server_error"}}`, status)
	}
}

// testConfig points a config at primary (and secondary when non-nil) with
// instant, recorded backoff sleeps.
func testConfig(primary, secondary *httptest.Server) Config {
	c := DefaultConfig()
	c.Primary = Upstream{Name: "prim", Kind: KindOpenAI, BaseURL: primary.URL, Model: "gpt-4o-mini", APIKey: "k1"}
	if secondary != nil {
		c.Secondary = Upstream{Name: "sec", Kind: KindOpenAI, BaseURL: secondary.URL, Model: "gpt-4o", APIKey: "k2"}
	}
	c.Sleep = func(context.Context, time.Duration) error { return nil }
	return c
}

func start(t testing.TB, c Config) *Server {
	t.Helper()
	s, err := Start(c)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// testClient has its own transport so no idle connection outlives a test.
func testClient(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// errType is the error.type of an OpenAI-shaped error answer.
func (r reply) errType(t testing.TB) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", r.body)
	return fmt.Sprint(e["type"])
}

func post(t testing.TB, c *http.Client, url string, body any) reply {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		b, err = json.Marshal(v)
		require.NoError(t, err)
	}
	resp, err := c.Post(url, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: out}
}

func get(t testing.TB, c *http.Client, url string) reply {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: out}
}

func chat(text string) map[string]any {
	return map[string]any{"model": "any", "messages": []any{map[string]any{"role": "user", "content": text}}}
}

// metric returns the value of one sample line of the exposition, e.g.
// `drill_gateway_fallbacks_total` or `drill_gateway_requests_total{route="chat",status="200"}`;
// 0 when absent.
func metric(t testing.TB, c *http.Client, s *Server, series string) float64 {
	t.Helper()
	r := get(t, c, s.URL()+"/metrics")
	require.Equal(t, http.StatusOK, r.status)
	for _, line := range strings.Split(string(r.body), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			_, err := fmt.Sscan(rest, &v)
			require.NoError(t, err)
			return v
		}
	}
	return 0
}

// fakeClock is a settable clock for the budget window and the breaker.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
