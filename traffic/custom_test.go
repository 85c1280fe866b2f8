package traffic

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// teamAPI is a team's own, non-OpenAI service: a support bot, a RAG
// search and a streaming endpoint, answering right unless told not to.
type teamAPI struct {
	mu        sync.Mutex
	questions []string
	queries   []string
	ids       []string
	breakIt   string // "status", "equals", "nojson", "regexp", "nomarker": answer wrong that way
}

func (a *teamAPI) set(b string) { a.mu.Lock(); a.breakIt = b; a.mu.Unlock() }

func (a *teamAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	broken := a.breakIt
	a.mu.Unlock()
	if broken == "status" {
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/ask":
		var q struct {
			Question string `json:"question"`
		}
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil || q.Question == "" {
			http.Error(w, "want {question}", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.questions = append(a.questions, q.Question)
		a.ids = append(a.ids, r.Header.Get("X-Request-Id"))
		a.mu.Unlock()
		status := "answered"
		if broken == "equals" {
			status = "escalated"
		}
		if broken == "nojson" {
			_, _ = fmt.Fprint(w, "<html>oops</html>")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"answer": "Refunds take 5 days.", "status": status, "sources": []any{map[string]any{"id": 7}},
			"usage": map[string]any{"input_tokens": 12, "output_tokens": 4}, "cost_usd": 0.002})
	case r.Method == http.MethodGet && r.URL.Path == "/search":
		a.mu.Lock()
		a.queries = append(a.queries, r.URL.Query().Get("q"))
		a.mu.Unlock()
		hits := `{"hits": [{"doc": "refunds.md", "score": 0.9}]}`
		if broken == "regexp" {
			hits = `{"hits": []}`
		}
		_, _ = fmt.Fprint(w, hits)
	case r.Method == http.MethodPost && r.URL.Path == "/api/stream":
		w.Header().Set("Content-Type", "text/event-stream")
		for _, tok := range []string{"Refunds", " take", " 5 days."} {
			_, _ = fmt.Fprintf(w, "data: %s\n\n", tok)
			w.(http.Flusher).Flush()
		}
		if broken != "nomarker" {
			_, _ = fmt.Fprint(w, "data: [END]\n\n")
		}
	default:
		http.NotFound(w, r)
	}
}

func teamRequests() map[string]Request {
	return map[string]Request{
		"ask": {
			Method:  "POST",
			Path:    "/api/ask",
			Headers: map[string]string{"X-Request-Id": "{{ .RequestID }}"},
			Body:    `{"question": {{ json .Prompt }}, "channel": "{{ .Choice "web" "mail" }}"}`,
			Prompts: []string{"How long do refunds take?", `Where is my "order"?`, "Can I change my address?"},
			Check: Check{Status: []int{200}, JSON: []JSONCheck{
				{Path: "answer"}, {Path: "status", Equals: ptr("answered")}, {Path: "sources[0].id", Equals: ptr("7")},
			}},
		},
		"search": {
			Path:    "/search?q={{ .Prompt | urlquery }}",
			Prompts: []string{"refund policy", "delivery & returns"},
			Check:   Check{Match: `"hits": \[\{`},
		},
		"answer-stream": {
			Method: "POST",
			Path:   "/api/stream",
			Body:   `{"question": "refunds?"}`,
			Check:  Check{StreamEnd: "data: [END]"},
		},
	}
}

func ptr(s string) *string { return &s }

func teamConfig(rate float64, mix map[string]float64) Config {
	c := cfgFor(rate, mix)
	c.Requests = teamRequests()
	return c
}

func TestTeamKindsPerKindMetrics(t *testing.T) {
	api := &teamAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	g := run(t, teamConfig(150, map[string]float64{"ask": 3, "search": 1, "answer-stream": 1}), srv.URL)
	require.Eventually(t, func() bool {
		st := g.Stats()
		return st.ByKind["ask"][OutcomeOK] >= 5 && st.ByKind["search"][OutcomeOK] >= 2 && st.ByKind["answer-stream"][OutcomeOK] >= 2
	}, 10*time.Second, 5*time.Millisecond)
	body := scrape(t, g)
	for _, want := range []string{
		`drill_traffic_requests_total{kind="ask",outcome="ok"}`,
		`drill_traffic_requests_total{kind="search",outcome="invalid"} 0`,
		`drill_traffic_responses_total{kind="ask",status="200"}`,
		`drill_traffic_responses_total{kind="answer-stream",status="200"}`,
		`drill_traffic_request_duration_seconds_bucket{kind="search",le=`,
		`drill_traffic_time_to_first_token_seconds_count`,
	} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, `kind="chat"`, "built-in kinds outside the mix have no series")
	g.Stop()
	st := g.Stats()
	require.InDelta(t, 1, st.SuccessRatio(), 1e-9, "%+v", st.ByKind)

	api.mu.Lock()
	defer api.mu.Unlock()
	corpus := teamRequests()
	for _, q := range api.questions {
		require.Contains(t, corpus["ask"].Prompts, q, "the body's question is a prompt of the corpus, JSON-quoted")
	}
	for _, q := range api.queries {
		require.Contains(t, corpus["search"].Prompts, q, "the query is a prompt of the corpus, URL-escaped")
	}
	seen := map[string]bool{}
	for _, id := range api.ids {
		require.Regexp(t, `^drill-1-\d+$`, id)
		require.False(t, seen[id], "request IDs are unique: %s twice", id)
		seen[id] = true
	}
}

// sendOne sends request seq of kind once, without the arrival loop.
func sendOne(t *testing.T, g *Generator, kind string, seq int64) Result {
	t.Helper()
	c := g.kinds[kind]
	require.NotNil(t, c, kind)
	return g.sendCustom(c, seq)
}

func TestTeamKindChecks(t *testing.T) {
	api := &teamAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	reqs := teamRequests()
	budget := reqs["ask"]
	budget.Check.Within = time.Nanosecond // no answer comes back this fast
	reqs["slow"] = budget
	big := reqs["ask"]
	// The first prompt is what Validate renders; a later one is too big.
	big.Prompts = []string{"small", strings.Repeat("x", MaxRendered/2+1)}
	big.Body = `{{ .Prompt }}{{ .Prompt }}`
	reqs["big"] = big
	cfg := cfgFor(1, map[string]float64{"ask": 1})
	cfg.Requests = reqs
	g, err := New(cfg, srv.URL)
	require.NoError(t, err)
	defer g.Stop()

	for kind, seq := range map[string]int64{"ask": 1, "search": 2, "answer-stream": 3} {
		r := sendOne(t, g, kind, seq)
		require.Equal(t, OutcomeOK, r.Outcome, "%s: %s", kind, r.Detail)
		require.Equal(t, 200, r.Status)
	}
	require.Positive(t, sendOne(t, g, "answer-stream", 4).TTFT)
	r := sendOne(t, g, "ask", 6)
	require.Equal(t, [3]any{int64(12), int64(4), 0.002}, [3]any{r.InputTokens, r.OutputTokens, r.CostUSD}, "usage and cost_usd of a JSON answer are counted")

	for _, tc := range []struct{ breakIt, kind, outcome, detail string }{
		{"status", "ask", OutcomeError, "HTTP 503"},
		{"status", "search", OutcomeError, "HTTP 503"},
		{"equals", "ask", OutcomeInvalid, `status is "escalated", want "answered"`},
		{"nojson", "ask", OutcomeInvalid, "response is not JSON"},
		{"regexp", "search", OutcomeInvalid, `does not match "\"hits\": \\[\\{"`},
		{"nomarker", "answer-stream", OutcomeInvalid, `stream ended without its end marker "data: [END]"`},
		{"", "slow", OutcomeTimeout, "over its time budget of 1ns"},
	} {
		api.set(tc.breakIt)
		r := sendOne(t, g, tc.kind, 5)
		require.Equal(t, tc.outcome, r.Outcome, "%s/%s: %s", tc.breakIt, tc.kind, r.Detail)
		require.Contains(t, r.Detail, tc.detail)
	}

	// A body past MaxRendered fails its request, never grows unbounded.
	api.set("")
	capped := 0
	for seq := int64(1); seq <= 40; seq++ {
		r := sendOne(t, g, "big", seq)
		if strings.HasPrefix(r.Detail, "body:") {
			require.Equal(t, OutcomeError, r.Outcome)
			require.Equal(t, fmt.Sprintf("body: renders more than %d bytes", MaxRendered), r.Detail)
			capped++
		}
	}
	require.Positive(t, capped)

	// A missing JSON path, and paths through lists.
	for _, tc := range []struct {
		path string
		ok   bool
	}{{"sources[0].id", true}, {"sources[1].id", false}, {"answer.text", false}, {"missing", false}} {
		p, err := parsePath(tc.path)
		require.NoError(t, err)
		var doc any
		require.NoError(t, json.Unmarshal([]byte(`{"answer": "x", "sources": [{"id": 7}]}`), &doc))
		_, ok := lookup(doc, p)
		require.Equal(t, tc.ok, ok, tc.path)
	}
}

func TestTeamKindsMixAndSeed(t *testing.T) {
	cfg := teamConfig(1, map[string]float64{"ask": 6, "search": 3, KindChat: 1})
	require.Equal(t, []string{"chat", "stream", "json", "agent", "canary", "answer-stream", "ask", "search"}, cfg.kinds())
	p := newPicker(cfg.kinds(), cfg.Mix, 7)
	counts := map[string]int{}
	for range 20000 {
		counts[p.next()]++
	}
	require.Len(t, counts, 3)
	require.InDelta(t, 0.6, float64(counts["ask"])/20000, 0.02)
	require.InDelta(t, 0.3, float64(counts["search"])/20000, 0.02)
	require.InDelta(t, 0.1, float64(counts[KindChat])/20000, 0.02)

	// The same seed and sequence number render the same request.
	bodies := func(seed uint64) []string {
		api := &teamAPI{}
		srv := httptest.NewServer(api)
		defer srv.Close()
		c := teamConfig(1, map[string]float64{"ask": 1})
		c.Seed = seed
		g, err := New(c, srv.URL)
		require.NoError(t, err)
		defer g.Stop()
		for seq := int64(1); seq <= 20; seq++ {
			require.Equal(t, OutcomeOK, sendOne(t, g, "ask", seq).Outcome)
		}
		return append(api.questions, api.ids...)
	}
	a, b, other := bodies(3), bodies(3), bodies(4)
	require.Equal(t, a, b)
	require.NotEqual(t, a, other)
}

func TestTeamKindsValidate(t *testing.T) {
	c := cfgFor(1, map[string]float64{"ask": 1, "nope": 1})
	c.Requests = map[string]Request{
		"ask":      {Path: "/api/ask", Body: `{"q": {{ .Promt }}}`},
		"chat":     {Path: "/x"},
		"loop":     {Path: "/x", Body: `{{ range 1000000000 }}{{ end }}`},
		"parse":    {Path: "/x", Body: `{{ .Prompt `},
		"checks":   {Method: "BREW", Path: "api", Check: Check{Status: []int{700}, JSON: []JSONCheck{{Path: "a..b"}}, Match: "(", Within: -time.Second}},
		"Bad Name": {Path: "/x"},
	}
	err := c.Validate()
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`traffic: requests.Bad Name: a kind's name is lowercase letters`,
		`traffic: requests.ask.body: template: 1:9: executing "ask.body" at <.Promt>: can't evaluate field Promt in type traffic.TemplateData`,
		`traffic: requests.chat: "chat" is a built-in kind (chat, stream, json, agent, canary); choose another name`,
		`traffic: requests.checks.method: want GET, HEAD, POST, PUT, PATCH or DELETE, got "BREW"`,
		`traffic: requests.checks.path: want a path starting with /, such as /api/ask, got "api"`,
		`traffic: requests.checks.check.status: want HTTP statuses 100 to 599, got 700`,
		`traffic: requests.checks.check.json[0].path: want names separated by dots`,
		`traffic: requests.checks.check.match: not a regular expression`,
		`traffic: requests.checks.check.within: want a positive duration such as 2s, got -1s`,
		`traffic: requests.loop.body: template: range is not supported`,
		`traffic: requests.parse.body: template: 1: unclosed action`,
		`traffic: mix.nope: unknown kind; kinds are chat, stream, json, agent, canary, Bad Name, ask, checks, loop, parse`,
	} {
		require.Contains(t, msg, want)
	}
	require.NoError(t, teamConfig(1, map[string]float64{"ask": 1}).Validate())

	// printf cannot pad past the cap before the capped writer sees it.
	for format, ok := range map[string]bool{
		`%d`: true, `%05.2f %-8s %[1]d %%`: true, `%065536d`: true,
		`%065537d`: false, `%*d`: false, `%.99999999999999999999d`: false, `%40000d%40000d`: false,
	} {
		require.Equal(t, ok, boundedFormat(format) == nil, format)
	}
	c = cfgFor(1, map[string]float64{"p": 1})
	c.Requests = map[string]Request{"p": {Path: "/", Body: `{{ printf "%0999999d" 1 }}`}}
	require.EqualError(t, c.Validate(), `traffic: requests.p.body: template: 1:3: executing "p.body" at <printf "%0999999d" 1>: error calling printf: printf: widths and precisions add up to more than 65536`)

	// The limits.
	c = cfgFor(1, map[string]float64{"k0": 1})
	c.Requests = map[string]Request{}
	for i := range MaxRequestKinds + 1 {
		c.Requests[fmt.Sprintf("k%d", i)] = Request{Path: "/"}
	}
	require.ErrorContains(t, c.Validate(), fmt.Sprintf("traffic: requests: %d request kinds; at most %d", MaxRequestKinds+1, MaxRequestKinds))
	c.Requests = map[string]Request{"k0": {Path: "/", Prompts: make([]string, MaxPrompts+1)}}
	require.EqualError(t, c.Validate(), fmt.Sprintf("traffic: requests.k0.prompts: %d prompts; at most %d", MaxPrompts+1, MaxPrompts))
	_, err = ParsePrompts([]byte(strings.Repeat("p\n", MaxPrompts)))
	require.NoError(t, err)
	_, err = ParsePrompts([]byte(strings.Repeat("p\n", MaxPrompts+1)))
	require.EqualError(t, err, fmt.Sprintf("more than %d prompts", MaxPrompts))
}

// The checks the presets are made of work for a team's kinds too: an
// answer at a JSON path (blank, not JSON, without a text), and a
// server-sent event stream whose events carry the answer's pieces and the
// usage; bad settings of them are refused by Validate.
func TestTeamKindAnswerAndEventChecks(t *testing.T) {
	var mode atomicString
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/answer":
			answer := map[string]string{"ok": `{"refund": "5 days"}`, "blank": "  ", "notjson": "five days", "missing": ""}[mode.get()]
			if mode.get() == "missing" {
				fmt.Fprint(w, `{"data": {}}`)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"text": answer}})
		case "/events":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, ": a comment\n\nevent: delta\ndata: {\"delta\": {\"text\": \"Refunds \"}}\n\n")
			if mode.get() == "badevent" {
				fmt.Fprint(w, "data: {oops\n\n")
			}
			fmt.Fprint(w, "data: {\"delta\": {\"text\": \"take 5 days\"}}\n\ndata: {\"usage\": {\"input_tokens\": 9, \"output_tokens\": 4}, \"cost_usd\": 0.01}\n\n")
			if mode.get() != "noend" {
				fmt.Fprint(w, "data: [END]\n\n")
			}
		}
	}))
	t.Cleanup(srv.Close)
	cfg := cfgFor(1, map[string]float64{"answer": 1, "events": 1})
	cfg.Requests = map[string]Request{
		"answer": {Path: "/answer", Check: Check{Answer: "data.text", AnswerJSON: true}},
		"events": {Path: "/events", Check: Check{SSE: true, StreamEnd: "data: [END]", Answer: "delta.text", AnswerContains: "5 days"}},
	}
	g, err := New(cfg, srv.URL)
	require.NoError(t, err)
	cases := []struct{ mode, kind, outcome, detail string }{
		{"ok", "answer", OutcomeOK, ""},
		{"blank", "answer", OutcomeInvalid, "empty answer (data.text)"},
		{"notjson", "answer", OutcomeInvalid, "answer does not parse as JSON"},
		{"missing", "answer", OutcomeInvalid, "no data.text in the response (a string)"},
		{"ok", "events", OutcomeOK, ""},
		{"badevent", "events", OutcomeInvalid, "stream event is not JSON"},
		{"noend", "events", OutcomeInvalid, `stream ended without its end marker "data: [END]"`},
	}
	for _, c := range cases {
		mode.set(c.mode)
		r := sendOne(t, g, c.kind, 1)
		require.Equal(t, c.outcome, r.Outcome, "%s %s: %s", c.kind, c.mode, r.Detail)
		require.Contains(t, r.Detail, c.detail, c.kind+" "+c.mode)
		if c.kind == "events" && c.mode == "ok" {
			require.Positive(t, r.TTFT)
			require.Equal(t, int64(9), r.InputTokens)
			require.Equal(t, int64(4), r.OutputTokens)
			require.Equal(t, 0.01, r.CostUSD)
		}
	}
	mode.set("ok")
	cfg.Requests["events"] = Request{Path: "/events", Check: Check{SSE: true, Answer: "delta.text", AnswerContains: "Refunds take"}}
	require.ErrorContains(t, cfg.Validate(), `traffic: requests.events.check.sse: needs stream_end`)
	cfg.Requests["events"] = Request{Path: "/events", Check: Check{AnswerJSON: true}}
	require.ErrorContains(t, cfg.Validate(), `traffic: requests.events.check.answer: answer_json and answer_contains check the answer: set answer, its JSON path`)
	cfg.Requests["events"] = Request{Path: "/events", Check: Check{Answer: "a..b"}}
	require.ErrorContains(t, cfg.Validate(), `traffic: requests.events.check.answer: want names separated by dots`)
}

// The presets are Requests of the one mechanism, and each compiles.
func TestPresetsAreRequests(t *testing.T) {
	ps := Presets(DefaultConfig())
	require.Len(t, ps, len(Kinds))
	for _, k := range Kinds {
		_, errs := compileKind(k, ps[k], true)
		require.Empty(t, errs, k)
	}
	require.Equal(t, DefaultCanaryAnswer, ps[KindCanary].Check.AnswerContains)
	require.True(t, ps[KindStream].Check.SSE)
}

type atomicString struct {
	mu sync.Mutex
	s  string
}

func (a *atomicString) set(s string) { a.mu.Lock(); a.s = s; a.mu.Unlock() }
func (a *atomicString) get() string  { a.mu.Lock(); defer a.mu.Unlock(); return a.s }
