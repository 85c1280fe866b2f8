package traffic

import (
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

// fake is an OpenAI-shaped service whose misbehaviour a test chooses.
type fake struct {
	badJSON, wrongCanary, cutStream, noDone atomic.Bool
	status                                  atomic.Int64 // non-zero: answer this status
	block                                   chan struct{}
	stall                                   atomic.Bool // never answer (until the client gives up)

	mu          sync.Mutex
	kinds       map[string]int
	cur, maxCur int
}

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{kinds: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.cur++
	f.maxCur = max(f.maxCur, f.cur)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.cur--; f.mu.Unlock() }()
	// Read the body first: only then does the server notice a client
	// that hangs up, and cancel r.Context().
	var req map[string]any
	_ = json.NewDecoder(r.Body).Decode(&req)
	_, _ = io.Copy(io.Discard, r.Body)
	if f.block != nil {
		select {
		case <-f.block:
		case <-r.Context().Done():
			return
		}
	}
	if f.stall.Load() {
		<-r.Context().Done()
		return
	}
	kind := classify(r.URL.Path, req)
	f.mu.Lock()
	f.kinds[kind]++
	f.mu.Unlock()
	if s := f.status.Load(); s != 0 {
		http.Error(w, `{"error":"injected"}`, int(s))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	usage := map[string]any{"prompt_tokens": 10, "completion_tokens": 5}
	switch kind {
	case KindAgent:
		_ = json.NewEncoder(w).Encode(map[string]any{"answer": "done", "steps": 2, "tool_calls": 1, "cost_usd": 0.25})
		return
	case KindStream:
		w.Header().Set("Content-Type", "text/event-stream")
		for i, word := range []string{"Hello", " there", "."} {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", word)
			w.(http.Flusher).Flush()
			if i == 1 && f.cutStream.Load() {
				panic(http.ErrAbortHandler) // the connection drops mid-stream
			}
		}
		fmt.Fprintf(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":3}}\n\n")
		if !f.noDone.Load() {
			fmt.Fprint(w, "data: [DONE]\n\n")
		}
		return
	}
	content := "A fine answer."
	switch kind {
	case KindJSON:
		content = `{"city":"Paris","country":"France"}`
		if f.badJSON.Load() {
			content = `{"city":"Paris",`
		}
	case KindCanary:
		content = DefaultCanaryAnswer
		if f.wrongCanary.Load() {
			content = "The drill canary is alive: 4069."
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}}},
		"usage":   usage,
	})
}

func classify(path string, req map[string]any) string {
	if path == "/v1/agent/run" {
		return KindAgent
	}
	if req["stream"] == true {
		return KindStream
	}
	if _, ok := req["response_format"]; ok {
		return KindJSON
	}
	if msgs, ok := req["messages"].([]any); ok && len(msgs) > 0 {
		if m, ok := msgs[0].(map[string]any); ok && strings.Contains(fmt.Sprint(m["content"]), "drill canary") {
			return KindCanary
		}
	}
	return KindChat
}

func cfgFor(rate float64, mix map[string]float64) Config {
	c := DefaultConfig()
	c.Rate = rate
	c.Mix = mix
	c.Timeout = 5 * time.Second
	c.MaxInFlight = 1000 // a slow, shared CI machine must not drop
	return c
}

func run(t *testing.T, cfg Config, target string) *Generator {
	t.Helper()
	g, err := New(cfg, target)
	require.NoError(t, err)
	require.NoError(t, g.Start(context.Background()))
	t.Cleanup(g.Stop)
	return g
}

// window lets the generator run for d: the measurement window itself.
func window(d time.Duration) { <-time.After(d) }

func TestRateHonoured(t *testing.T) {
	for _, arrivals := range []string{"uniform", "poisson"} {
		t.Run(arrivals, func(t *testing.T) {
			_, srv := newFake(t)
			cfg := cfgFor(200, map[string]float64{KindChat: 1})
			cfg.Arrivals = arrivals
			g := run(t, cfg, srv.URL)
			window(600 * time.Millisecond)
			g.Stop()
			st := g.Stats()
			got := float64(st.Arrivals) / st.Elapsed.Seconds()
			t.Logf("arrivals %d over %v", st.Arrivals, st.Elapsed)
			require.InDelta(t, 200, got, 80, "arrivals %d over %v", st.Arrivals, st.Elapsed)
			require.Zero(t, st.InFlight)
			require.Equal(t, st.Arrivals, st.Outcomes[OutcomeOK], "%v", st.Outcomes)
		})
	}
}

func TestSurgeMultiplier(t *testing.T) {
	_, srv := newFake(t)
	cfg := cfgFor(30, map[string]float64{KindChat: 1})
	cfg.Arrivals = "uniform"
	cfg.MaxInFlight = 1000
	g := run(t, cfg, srv.URL)
	window(400 * time.Millisecond)
	before := g.Stats().Arrivals
	g.SetMultiplier(10)
	require.Equal(t, 10.0, g.Multiplier())
	window(400 * time.Millisecond)
	surge := g.Stats().Arrivals - before
	require.Greater(t, surge, 4*before, "x10 surge: %d arrivals before, %d during", before, surge)
	g.SetMultiplier(-1)
	require.Equal(t, 0.0, g.Multiplier(), "negative multipliers pause traffic")
}

func TestMixIsSeededAndProportional(t *testing.T) {
	mix := map[string]float64{KindChat: 5, KindStream: 2, KindJSON: 1, KindAgent: 1, KindCanary: 1}
	draw := func(seed uint64) ([]string, map[string]int) {
		p := newPicker(Kinds, mix, seed)
		var seq []string
		counts := map[string]int{}
		for range 20000 {
			k := p.next()
			seq = append(seq, k)
			counts[k]++
		}
		return seq, counts
	}
	a, counts := draw(9)
	b, _ := draw(9)
	c, _ := draw(10)
	require.Equal(t, a, b, "same seed, same kinds")
	require.NotEqual(t, a, c)
	for k, w := range mix {
		require.InDelta(t, w/10, float64(counts[k])/20000, 0.015, k)
	}

	// Live: arrivals follow the mix, and the service saw exactly the
	// requests sent.
	f, srv := newFake(t)
	cfg := cfgFor(400, mix)
	cfg.MaxInFlight = 1000
	g := run(t, cfg, srv.URL)
	require.Eventually(t, func() bool { return g.Stats().Arrivals >= 400 }, 10*time.Second, 5*time.Millisecond)
	g.Stop()
	st := g.Stats()
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, w := range mix {
		var n int64
		for _, c := range st.ByKind[k] {
			n += c
		}
		require.InDelta(t, w/10, float64(n)/float64(st.Arrivals), 0.08, "%s: %v", k, st.ByKind)
		require.GreaterOrEqual(t, int64(f.kinds[k]), st.ByKind[k][OutcomeOK], "every ok %s reached the service", k)
		require.Positive(t, st.ByKind[k][OutcomeOK], k)
	}
}

func TestValidityChecks(t *testing.T) {
	cases := []struct {
		name    string
		kind    string
		break_  func(f *fake)
		outcome string
		detail  string
	}{
		{"json ok", KindJSON, func(*fake) {}, OutcomeOK, ""},
		{"invalid json", KindJSON, func(f *fake) { f.badJSON.Store(true) }, OutcomeInvalid, "does not parse as JSON"},
		{"canary ok", KindCanary, func(*fake) {}, OutcomeOK, ""},
		{"wrong canary", KindCanary, func(f *fake) { f.wrongCanary.Store(true) }, OutcomeInvalid, "does not contain"},
		{"stream ok", KindStream, func(*fake) {}, OutcomeOK, ""},
		{"cut stream", KindStream, func(f *fake) { f.cutStream.Store(true) }, OutcomeInvalid, "stream"},
		{"stream without DONE", KindStream, func(f *fake) { f.noDone.Store(true) }, OutcomeInvalid, `without its end marker "data: [DONE]"`},
		{"agent ok", KindAgent, func(*fake) {}, OutcomeOK, ""},
		{"server error", KindChat, func(f *fake) { f.status.Store(503) }, OutcomeError, "HTTP 503"},
		{"timeout", KindChat, func(f *fake) { f.stall.Store(true) }, OutcomeTimeout, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFake(t)
			tc.break_(f)
			cfg := cfgFor(200, map[string]float64{tc.kind: 1})
			if tc.outcome == OutcomeTimeout {
				cfg.Timeout = 150 * time.Millisecond
			}
			var mu sync.Mutex
			var results []Result
			cfg.OnResult = func(r Result) { mu.Lock(); results = append(results, r); mu.Unlock() }
			g := run(t, cfg, srv.URL)
			require.Eventually(t, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(results) >= 5
			}, 10*time.Second, 5*time.Millisecond)
			g.Stop()
			mu.Lock()
			defer mu.Unlock()
			for _, r := range results {
				require.Equal(t, tc.kind, r.Kind)
				require.Equal(t, tc.outcome, r.Outcome, r.Detail)
				require.Contains(t, r.Detail, tc.detail)
				if tc.kind == KindStream && r.Outcome == OutcomeOK {
					require.Positive(t, r.TTFT)
					require.LessOrEqual(t, r.TTFT, r.Latency)
				}
			}
			st := g.Stats()
			require.Equal(t, int64(len(results)), st.ByKind[tc.kind][tc.outcome])
		})
	}
}

func TestMaxInFlightBound(t *testing.T) {
	f := &fake{kinds: map[string]int{}, block: make(chan struct{})}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := cfgFor(500, map[string]float64{KindChat: 1})
	cfg.MaxInFlight = 3
	g, err := New(cfg, srv.URL)
	require.NoError(t, err)
	require.NoError(t, g.Start(context.Background()))
	require.Eventually(t, func() bool { return g.Stats().Outcomes[OutcomeDropped] >= 30 }, 10*time.Second, 5*time.Millisecond)
	f.mu.Lock()
	require.LessOrEqual(t, f.maxCur, 3)
	f.mu.Unlock()
	require.Contains(t, scrape(t, g), "drill_traffic_in_flight_requests 3")
	close(f.block)
	g.Stop()
	st := g.Stats()
	require.Equal(t, st.Arrivals, st.Outcomes[OutcomeOK]+st.Outcomes[OutcomeDropped])
	require.Positive(t, st.Outcomes[OutcomeOK])
	g.Stop() // safe twice
	require.NoError(t, g.Close())
}

func TestMetricsAndStats(t *testing.T) {
	_, srv := newFake(t)
	cfg := cfgFor(150, map[string]float64{KindChat: 1, KindStream: 1, KindAgent: 1})
	cfg.MaxInFlight = 1000
	g := run(t, cfg, srv.URL)
	require.Eventually(t, func() bool {
		st := g.Stats()
		return st.ByKind[KindStream][OutcomeOK] >= 3 && st.ByKind[KindAgent][OutcomeOK] >= 3 && st.ByKind[KindChat][OutcomeOK] >= 3
	}, 10*time.Second, 5*time.Millisecond)
	body := scrape(t, g)
	for _, want := range []string{
		`drill_traffic_requests_total{kind="chat",outcome="ok"}`,
		`drill_traffic_requests_total{kind="agent",outcome="timeout"} 0`,
		`drill_traffic_request_duration_seconds_bucket{kind="stream",le=`,
		`drill_traffic_time_to_first_token_seconds_count`,
		`drill_traffic_tokens_total{type="input"}`,
		`drill_traffic_tokens_total{type="output"}`,
		`drill_traffic_cost_usd_total`,
		`drill_traffic_target_rate 150`,
	} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, `kind="json"`, "kinds outside the mix have no series")
	g.Stop()
	st := g.Stats()
	chat, stream, agent := st.ByKind[KindChat][OutcomeOK], st.ByKind[KindStream][OutcomeOK], st.ByKind[KindAgent][OutcomeOK]
	require.Equal(t, 10*(chat+stream), st.InputTokens)
	require.Equal(t, 5*chat+3*stream, st.OutputTokens)
	require.InDelta(t, 0.25*float64(agent), st.CostUSD, 1e-9)
	require.Positive(t, st.LatencyP50)
	require.GreaterOrEqual(t, st.LatencyP99, st.LatencyP50)
	require.Positive(t, st.TTFTP50)
	require.InDelta(t, 1, st.SuccessRatio(), 1e-9)
}

func scrape(t *testing.T, g *Generator) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Get(g.MetricsURL())
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

func TestShapes(t *testing.T) {
	ramp := Config{Shape: Shape{Kind: ShapeRamp, From: 10, To: 30, Over: 10 * time.Second}}
	require.Equal(t, 10.0, ramp.baseRate(0))
	require.Equal(t, 20.0, ramp.baseRate(5*time.Second))
	require.Equal(t, 30.0, ramp.baseRate(time.Minute))
	steps := Config{Rate: 1, Shape: Shape{Kind: ShapeSteps, Steps: []Step{{At: time.Second, Rate: 5}, {At: 3 * time.Second, Rate: 0}}}}
	require.Equal(t, 1.0, steps.baseRate(0))
	require.Equal(t, 5.0, steps.baseRate(time.Second))
	require.Equal(t, 0.0, steps.baseRate(4*time.Second))

	// The lowest level a shape sets, pauses at 0 aside.
	require.Equal(t, 10.0, ramp.LowestRate())
	require.Equal(t, 1.0, steps.LowestRate())
	require.Equal(t, 30.0, Config{Shape: Shape{Kind: ShapeRamp, From: 0, To: 30}}.LowestRate())
	require.Equal(t, 5.0, Config{Rate: 5}.LowestRate())

	// A live ramp from 0: nothing at first, then traffic.
	_, srv := newFake(t)
	cfg := cfgFor(0, map[string]float64{KindChat: 1})
	cfg.Shape = Shape{Kind: ShapeRamp, From: 0, To: 400, Over: 300 * time.Millisecond}
	g := run(t, cfg, srv.URL)
	require.Eventually(t, func() bool { return g.Stats().Arrivals >= 20 }, 10*time.Second, 5*time.Millisecond)
}

func TestValidateNamesFields(t *testing.T) {
	c := DefaultConfig()
	c.Rate = -1
	c.Arrivals = "bursty"
	c.Mix = map[string]float64{"chat": -1, "images": 1}
	c.Timeout = 0
	c.MaxInFlight = 0
	c.Model = ""
	err := c.Validate()
	require.Error(t, err)
	require.Equal(t, strings.Join([]string{
		"traffic: rate: want a positive number of requests per second, got -1",
		`traffic: arrivals: want poisson or uniform, got "bursty"`,
		"traffic: mix.chat: want a weight of 0 or more, got -1",
		"traffic: mix.images: unknown kind; kinds are chat, stream, json, agent, canary",
		"traffic: mix: want at least one positive weight",
		"traffic: timeout: want a positive duration such as 30s, got 0s",
		"traffic: max_in_flight: want a positive bound on concurrent requests, got 0",
	}, "\n"), err.Error())

	c = DefaultConfig()
	c.Shape = Shape{Kind: ShapeSteps, Steps: []Step{{At: 2 * time.Second, Rate: 1}, {At: time.Second, Rate: -2}}}
	c.CanaryAnswer = " "
	err = c.Validate()
	require.ErrorContains(t, err, "traffic: shape.steps[1].at: want a time after the previous step's 2s, got 1s")
	require.ErrorContains(t, err, "traffic: shape.steps[1].rate: want 0 or more requests per second, got -2")
	require.ErrorContains(t, err, "traffic: canary_answer: required when the mix has canary requests")

	c = DefaultConfig()
	c.Shape = Shape{Kind: "wave"}
	require.EqualError(t, c.Validate(), `traffic: shape.kind: want one of constant, ramp, steps, got "wave"`)
	c.Shape = Shape{Kind: ShapeRamp}
	require.ErrorContains(t, c.Validate(), "traffic: shape.over: want a positive duration")

	require.NoError(t, DefaultConfig().Validate())
	_, err = New(DefaultConfig(), "localhost:8080")
	require.EqualError(t, err, `traffic: target: want a base URL such as http://127.0.0.1:8080, got "localhost:8080"`)
}

func TestLifecycle(t *testing.T) {
	_, srv := newFake(t)
	g, err := New(cfgFor(50, map[string]float64{KindChat: 1}), srv.URL)
	require.NoError(t, err)
	require.Empty(t, g.MetricsURL())
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, g.Start(ctx))
	require.ErrorContains(t, g.Start(ctx), "Start called twice")
	require.True(t, strings.HasPrefix(g.MetricsURL(), "http://127.0.0.1:"))
	cancel() // ends arrivals; Stop still releases the listener
	g.Stop()
	g.Stop()

	never, err := New(DefaultConfig(), srv.URL)
	require.NoError(t, err)
	never.Stop()
	require.Error(t, never.Start(context.Background()))
}

// BenchmarkArrival is the scheduler's own cost per arrival (kind draw,
// bound check, accounting), on the dropped path so no network is involved.
func BenchmarkArrival(b *testing.B) {
	cfg := cfgFor(1, map[string]float64{KindChat: 5, KindStream: 2, KindJSON: 1, KindAgent: 1, KindCanary: 1})
	cfg.MaxInFlight = 1
	g, err := New(cfg, "http://127.0.0.1:9")
	require.NoError(b, err)
	g.inFlight.Store(1) // full: every arrival is dropped
	p := newPicker(Kinds, cfg.Mix, 1)
	b.ReportAllocs()
	for b.Loop() {
		g.arrive(p.next())
	}
}

// BenchmarkSendStream is the client-side cost of one streamed request
// (build, send, parse SSE, check) against a local service.
func BenchmarkSendStream(b *testing.B) {
	f := &fake{kinds: map[string]int{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	g, err := New(cfgFor(1, map[string]float64{KindStream: 1}), srv.URL)
	require.NoError(b, err)
	defer g.transport.CloseIdleConnections()
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		i++
		if r := g.sendCustom(g.kinds[KindStream], i); r.Outcome != OutcomeOK {
			b.Fatal(r.Detail)
		}
	}
}
