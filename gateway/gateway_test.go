package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChatPassthroughAndCost(t *testing.T) {
	p := newFake(t, answer("hello there", 1000, 2000))
	s := start(t, testConfig(p.Server, nil))
	c := testClient(t)

	req := chat("hi")
	req["temperature"] = 0.2
	req["user"] = "u-1" // a field the gateway does not know passes through
	r := post(t, c, s.URL()+"/v1/chat/completions", req)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "prim", r.header.Get("X-Drill-Upstream"))
	m := r.json(t)
	require.Equal(t, "hello there", m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"])

	sent := p.lastRequest()
	require.Equal(t, "gpt-4o-mini", sent["model"], "the upstream's model replaces the client's")
	require.Equal(t, "u-1", sent["user"])
	require.Equal(t, 0.2, sent["temperature"])

	// gpt-4o-mini: 1000 in * 0.15/M + 2000 out * 0.60/M = 0.00135
	require.InDelta(t, 0.00135, metric(t, c, s, `drill_gateway_cost_usd_total{model="gpt-4o-mini",upstream="prim"}`), 1e-12)
	require.InDelta(t, 0.00135, s.State().SpendLastMinuteUSD, 1e-12)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_requests_total{route="chat",status="200"}`))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="200",upstream="prim"}`))
	require.Equal(t, 1.0, metric(t, c, s, `gen_ai_client_token_usage_count{gen_ai_request_model="gpt-4o-mini",gen_ai_system="openai",gen_ai_token_type="input"}`))
	require.Equal(t, 2000.0, metric(t, c, s, `gen_ai_client_token_usage_sum{gen_ai_request_model="gpt-4o-mini",gen_ai_system="openai",gen_ai_token_type="output"}`))

	r = post(t, c, s.URL()+"/v1/chat/completions", `{"messages":[]}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, string(r.body), "messages: expected at least one message")
	r = post(t, c, s.URL()+"/v1/chat/completions", `{"messages":[{"role":"robot","content":"x"}]}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Contains(t, string(r.body), `messages[0].role`)
	require.Equal(t, http.StatusOK, get(t, c, s.URL()+"/healthz").status)
}

func TestFallbackOnlyWithAutoFailover(t *testing.T) {
	prim := newFake(t, failWith(503))
	sec := newFake(t, answer("from secondary", 10, 10))
	cfg := testConfig(prim.Server, sec.Server)
	cfg.Breaker.Enabled = false
	s := start(t, cfg)
	c := testClient(t)

	// Default: auto failover off, the outage reaches the client.
	r := post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusBadGateway, r.status)
	require.Equal(t, "upstream_error", r.errType(t))
	require.EqualValues(t, 2, prim.calls.Load(), "two attempts on the primary")
	require.EqualValues(t, 0, sec.calls.Load(), "no fallback while auto failover is off")
	require.Equal(t, 0.0, metric(t, c, s, "drill_gateway_fallbacks_total"))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_requests_total{route="chat",status="502"}`))

	// The runbook lever: turn auto failover on.
	r = post(t, c, s.AdminURL()+"/auto-failover", `{"enabled": true}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "sec", r.header.Get("X-Drill-Upstream"))
	require.Equal(t, "gpt-4o", sec.lastRequest()["model"])
	require.Equal(t, 1.0, metric(t, c, s, "drill_gateway_fallbacks_total"))

	// 4xx other than 429 is the client's problem: no retry, no fallback.
	prim.reply = failWith(400)
	before := prim.calls.Load()
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusBadRequest, r.status)
	require.Equal(t, "injected 400", r.json(t)["error"].(map[string]any)["message"])
	require.EqualValues(t, before+1, prim.calls.Load())
	require.Equal(t, 1.0, metric(t, c, s, "drill_gateway_fallbacks_total"))

	// Manual failover routes to the secondary first.
	prim.reply = failWith(503)
	r = post(t, c, s.AdminURL()+"/failover", `{"to":"secondary"}`)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, 1.0, metric(t, c, s, "drill_gateway_active_upstream"))
	before = prim.calls.Load()
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, before, prim.calls.Load())
}

func TestRetriesWithBackoffAndJitter(t *testing.T) {
	p := newFake(t, func(n int, req map[string]any, w http.ResponseWriter) {
		if n <= 3 {
			if n == 3 {
				w.Header().Set("Retry-After", "1")
				failWith(429)(n, req, w)
				return
			}
			failWith(500)(n, req, w)
			return
		}
		answer("ok", 1, 1)(n, req, w)
	})
	cfg := testConfig(p.Server, nil)
	cfg.MaxAttempts = 4
	cfg.BackoffBase = 100 * time.Millisecond
	cfg.BackoffMax = 700 * time.Millisecond
	var mu sync.Mutex
	var slept []time.Duration
	cfg.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		slept = append(slept, d)
		mu.Unlock()
		return nil
	}
	cfg.Jitter = func() float64 { return 0.5 }
	s := start(t, cfg)
	c := testClient(t)

	r := post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.EqualValues(t, 4, p.calls.Load())
	// Equal jitter: d/2 + 0.5*d/2 of 100ms, 200ms; then Retry-After 1s,
	// capped at backoff_max.
	require.Equal(t, []time.Duration{75 * time.Millisecond, 150 * time.Millisecond, 700 * time.Millisecond}, slept)
	require.Equal(t, 2.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="500",upstream="prim"}`))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="429",upstream="prim"}`))
	require.Equal(t, 2.0, metric(t, c, s, `gen_ai_client_operation_duration_seconds_count{error_type="500",gen_ai_request_model="gpt-4o-mini",gen_ai_system="openai"}`))

	// The retries lever: one attempt only.
	r = post(t, c, s.AdminURL()+"/retries", `{"max_attempts": 1}`)
	require.Equal(t, http.StatusOK, r.status)
	p.reply = failWith(502)
	before := p.calls.Load()
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusBadGateway, r.status)
	require.EqualValues(t, before+1, p.calls.Load())
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	s := &Server{cfg: Config{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second, Jitter: func() float64 { return 0.999999 }}}
	prev := time.Duration(0)
	for n := 1; n <= 4; n++ {
		d := s.backoff(n, 0)
		require.Greater(t, d, prev)
		prev = d
	}
	require.LessOrEqual(t, s.backoff(10, 0), time.Second)
	s.cfg.Jitter = func() float64 { return 0 }
	require.Equal(t, 50*time.Millisecond, s.backoff(1, 0), "jitter never goes below half the delay")
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	p := newFake(t, func(n int, req map[string]any, w http.ResponseWriter) {
		<-release
	})
	defer close(release)
	cfg := testConfig(p.Server, nil)
	cfg.AttemptTimeout = 50 * time.Millisecond
	cfg.MaxAttempts = 1
	s := start(t, cfg)
	c := testClient(t)
	r := post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusGatewayTimeout, r.status)
	require.Equal(t, "upstream_timeout", r.errType(t))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="timeout",upstream="prim"}`))
}

func TestBreakerOpensProbesAndCloses(t *testing.T) {
	p := newFake(t, failWith(500))
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	cfg := testConfig(p.Server, nil)
	cfg.MaxAttempts = 1
	cfg.Now = clock.Now
	cfg.Breaker = BreakerConfig{Enabled: true, FailureThreshold: 3, Window: 10 * time.Second, Cooldown: 30 * time.Second}
	s := start(t, cfg)
	c := testClient(t)
	state := func() string { return s.State().Upstreams[0].Breaker }

	for range 3 {
		require.Equal(t, http.StatusBadGateway, post(t, c, s.URL()+"/v1/chat/completions", chat("hi")).status)
	}
	require.Equal(t, "open", state())
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_breaker_state{upstream="prim"}`))
	r := post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, "circuit_open", r.errType(t))
	require.EqualValues(t, 3, p.calls.Load(), "an open breaker fails fast")

	// After the cooldown one probe goes out; it fails, the breaker reopens.
	clock.Advance(31 * time.Second)
	require.Equal(t, "half-open", state())
	require.Equal(t, http.StatusBadGateway, post(t, c, s.URL()+"/v1/chat/completions", chat("hi")).status)
	require.EqualValues(t, 4, p.calls.Load())
	require.Equal(t, "open", state())

	// Next probe succeeds: closed again.
	p.reply = answer("ok", 1, 1)
	clock.Advance(31 * time.Second)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("hi")).status)
	require.Equal(t, "closed", state())
	require.Equal(t, 0.0, metric(t, c, s, `drill_gateway_breaker_state{upstream="prim"}`))

	// Failures spread wider than the window never open it.
	p.reply = failWith(500)
	for range 5 {
		post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
		clock.Advance(11 * time.Second)
	}
	require.Equal(t, "closed", state())

	// Operator levers: forced open stays open past any cooldown; close resets.
	p.reply = answer("ok", 1, 1)
	r = post(t, c, s.AdminURL()+"/breaker/prim/open", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	clock.Advance(time.Hour)
	require.Equal(t, http.StatusServiceUnavailable, post(t, c, s.URL()+"/v1/chat/completions", chat("hi")).status)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_breaker_state{upstream="prim"}`))
	require.Equal(t, http.StatusOK, post(t, c, s.AdminURL()+"/breaker/primary/close", "").status)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("hi")).status)
}

func TestBreakerOpenFailsOverWhenAutoFailover(t *testing.T) {
	prim := newFake(t, answer("prim", 1, 1))
	sec := newFake(t, answer("sec", 1, 1))
	cfg := testConfig(prim.Server, sec.Server)
	cfg.AutoFailover = true
	s := start(t, cfg)
	c := testClient(t)
	require.Equal(t, http.StatusOK, post(t, c, s.AdminURL()+"/breaker/prim/open", "").status)
	r := post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "sec", r.header.Get("X-Drill-Upstream"))
	require.EqualValues(t, 0, prim.calls.Load())
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_upstream_requests_total{status="circuit_open",upstream="prim"}`))
}

func TestBudgetRejectsAndAdminLeverFixes(t *testing.T) {
	p := newFake(t, answer("pricey", 1_000_000, 0)) // $1 a call at the price below
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	cfg := testConfig(p.Server, nil)
	cfg.Prices["gpt-4o-mini"] = Price{InputPerMTok: 1, OutputPerMTok: 1}
	cfg.BudgetUSDPerMin = 1.5
	cfg.Now = clock.Now
	s := start(t, cfg)
	c := testClient(t)

	require.Equal(t, 1.5, metric(t, c, s, "drill_gateway_budget_usd_per_minute"))
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("a")).status) // $1
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("b")).status) // $2 spent
	r := post(t, c, s.URL()+"/v1/chat/completions", chat("c"))
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "budget_exceeded", r.errType(t))
	require.EqualValues(t, 2, p.calls.Load(), "a rejected call never reaches the provider")
	require.Equal(t, 1.0, metric(t, c, s, "drill_gateway_budget_rejections_total"))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_requests_total{route="chat",status="429"}`))

	// The minute rolls on: spend older than 60 s no longer counts.
	clock.Advance(61 * time.Second)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("d")).status)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("e")).status)
	require.Equal(t, http.StatusTooManyRequests, post(t, c, s.URL()+"/v1/chat/completions", chat("f")).status)

	// Raising the budget lets traffic through again; 0 means unlimited.
	r = post(t, c, s.AdminURL()+"/budget", `{"usd_per_minute": 0}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, 0.0, metric(t, c, s, "drill_gateway_budget_usd_per_minute"))
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("g")).status)
	require.InDelta(t, 3.0, s.State().SpendLastMinuteUSD, 1e-9)
}

func TestValidationCanaryAndJSONMode(t *testing.T) {
	p := newFake(t, answer("the sky is green", 5, 5))
	cfg := testConfig(p.Server, nil)
	cfg.CanaryAnswer = "ALPHA-7"
	s := start(t, cfg)
	c := testClient(t)

	// Every kind is exported at 0 before its first failure, so that
	// increase() over the series sees that first failure as a rise.
	body := string(get(t, c, s.URL()+"/metrics").body)
	for _, kind := range []string{"json", "canary", "malformed"} {
		require.Contains(t, body, `drill_gateway_validation_failures_total{kind="`+kind+`"} 0`+"\n")
	}

	r := post(t, c, s.URL()+"/v1/chat/completions", chat("This is a Drill Canary: reply with the code"))
	require.Equal(t, http.StatusOK, r.status, "lenient by default: counted, not refused")
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="canary"}`))

	p.reply = answer("code alpha-7, all good", 5, 5)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("drill canary")).status)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="canary"}`), "a right answer is not a failure")
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("not a canary")).status)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="canary"}`))

	jsonReq := chat("give me json")
	jsonReq["response_format"] = map[string]string{"type": "json_object"}
	p.reply = answer(`{"ok": true}`, 5, 5)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", jsonReq).status)
	require.Equal(t, map[string]any{"type": "json_object"}, p.lastRequest()["response_format"], "JSON mode passes through")
	require.Equal(t, 0.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="json"}`))
	p.reply = answer(`{"ok": tru`, 5, 5)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", jsonReq).status)
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="json"}`))

	// Garbage at HTTP 200 is malformed, and always a 502.
	p.reply = func(_ int, _ map[string]any, w http.ResponseWriter) { fmt.Fprint(w, "<html>oops") }
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("x"))
	require.Equal(t, http.StatusBadGateway, r.status)
	require.Equal(t, "bad_upstream_response", r.errType(t))
	require.Equal(t, 1.0, metric(t, c, s, `drill_gateway_validation_failures_total{kind="malformed"}`))
}

func TestStrictValidationRefuses(t *testing.T) {
	p := newFake(t, answer("wrong", 5, 5))
	cfg := testConfig(p.Server, nil)
	cfg.StrictValidation = true
	s := start(t, cfg)
	c := testClient(t)
	r := post(t, c, s.URL()+"/v1/chat/completions", chat("drill canary"))
	require.Equal(t, http.StatusBadGateway, r.status)
	require.Equal(t, "validation_failed", r.errType(t))
	require.Contains(t, string(r.body), DefaultCanaryAnswer)
}

func TestDisableModelMovesTraffic(t *testing.T) {
	prim := newFake(t, answer("prim", 1, 1))
	sec := newFake(t, answer("sec", 1, 1))
	s := start(t, testConfig(prim.Server, sec.Server))
	c := testClient(t)

	r := post(t, c, s.AdminURL()+"/models/gpt-4o-mini/disable", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, []string{"gpt-4o-mini"}, s.State().DisabledModels)
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "sec", r.header.Get("X-Drill-Upstream"))

	require.Equal(t, http.StatusOK, post(t, c, s.AdminURL()+"/models/gpt-4o/disable", "").status)
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Equal(t, "model_disabled", r.errType(t))

	require.Equal(t, http.StatusOK, post(t, c, s.AdminURL()+"/models/gpt-4o-mini/enable", "").status)
	r = post(t, c, s.URL()+"/v1/chat/completions", chat("hi"))
	require.Equal(t, "prim", r.header.Get("X-Drill-Upstream"))
	require.EqualValues(t, 0, prim.calls.Load()-1)
}

func TestAdminBadInput(t *testing.T) {
	p := newFake(t, answer("x", 1, 1))
	s := start(t, testConfig(p.Server, nil))
	c := testClient(t)
	cases := []struct {
		path, body string
		status     int
		field      string
	}{
		{"/failover", `{"to":"tertiary"}`, 400, "to"},
		{"/failover", `{}`, 400, "to"},
		{"/failover", `{"to": 3}`, 400, "to"},
		{"/auto-failover", `{"enabled":"yes"}`, 400, "enabled"},
		{"/auto-failover", `not json`, 400, "enabled"},
		{"/budget", `{"usd_per_minute": -1}`, 400, "usd_per_minute"},
		{"/budget", `{"usd": 2}`, 400, "usd"},
		{"/agent", `{"max_steps": 0}`, 400, "max_steps"},
		{"/agent", `{"max_steps": 2.5}`, 400, "max_steps"},
		{"/retries", `{"max_attempts": 0}`, 400, "max_attempts"},
		{"/retries", `{"max_attempts": 99}`, 400, "max_attempts"},
		{"/models/gpt-9/disable", ``, 404, "name"},
		{"/models/gpt-4o-mini/explode", ``, 404, "action"},
		{"/breaker/nope/open", ``, 404, "upstream"},
		{"/breaker/prim/jiggle", ``, 404, "action"},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/")+" "+tc.body, func(t *testing.T) {
			r := post(t, c, s.AdminURL()+tc.path, tc.body)
			require.Equal(t, tc.status, r.status, "%s", r.body)
			e := r.json(t)["error"].(map[string]any)
			require.Equal(t, tc.field, e["field"], "%s", r.body)
			require.Contains(t, e["message"], "expected")
		})
	}
	// Nothing changed.
	st := s.State()
	require.Equal(t, "primary", st.Active)
	require.Equal(t, 25, st.AgentMaxSteps)
	require.Equal(t, 2, st.MaxAttempts)
	require.Equal(t, 0.0, st.BudgetUSDPerMinute)

	r := get(t, c, s.AdminURL()+"/state")
	require.Equal(t, http.StatusOK, r.status)
	var got State
	require.NoError(t, json.Unmarshal(r.body, &got))
	require.Equal(t, st, got)
	require.NotContains(t, string(r.body), "k1", "API keys never leave the gateway")
}

func TestMetricNames(t *testing.T) {
	p := newFake(t, answer("x", 1, 1))
	s := start(t, testConfig(p.Server, nil))
	c := testClient(t)
	require.Equal(t, http.StatusOK, post(t, c, s.URL()+"/v1/chat/completions", chat("hi")).status)
	post(t, c, s.URL()+"/v1/agent/run", `{"task":"t","max_steps":1}`)
	body := string(get(t, c, s.URL()+"/metrics").body)
	for name, typ := range map[string]string{
		"gen_ai_client_operation_duration_seconds": "histogram",
		"gen_ai_client_token_usage":                "histogram",
		"drill_gateway_requests_total":             "counter",
		"drill_gateway_cost_usd_total":             "counter",
		"drill_gateway_upstream_requests_total":    "counter",
		"drill_gateway_breaker_state":              "gauge",
		"drill_gateway_agent_steps":                "histogram",
		"drill_gateway_budget_usd_per_minute":      "gauge",
		"drill_gateway_active_upstream":            "gauge",
		"drill_gateway_fallbacks_total":            "counter",
		"drill_gateway_budget_rejections_total":    "counter",
	} {
		require.Contains(t, body, fmt.Sprintf("# TYPE %s %s\n", name, typ))
	}
	// Vectors without samples yet are not exposed; after a failure they are.
	p.reply = answer("bad", 1, 1)
	post(t, c, s.URL()+"/v1/chat/completions", chat("drill canary"))
	body = string(get(t, c, s.URL()+"/metrics").body)
	require.Contains(t, body, "# TYPE drill_gateway_validation_failures_total counter\n")
	require.Contains(t, body, `gen_ai_client_operation_duration_seconds_bucket{error_type="",gen_ai_request_model="gpt-4o-mini",gen_ai_system="openai",le="0.01"}`)
}

func TestCloseIsSafeTwiceAndStopsServing(t *testing.T) {
	p := newFake(t, answer("x", 1, 1))
	s, err := Start(testConfig(p.Server, nil))
	require.NoError(t, err)
	u := s.URL()
	require.True(t, strings.HasPrefix(u, "http://127.0.0.1:"))
	require.Equal(t, u+"/admin", s.AdminURL())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	c := testClient(t)
	_, err = c.Get(u + "/healthz")
	require.Error(t, err)
}
