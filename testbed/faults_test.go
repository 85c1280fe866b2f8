package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/mockllm"
	"github.com/stretchr/testify/require"
)

// prober sends real requests to the service (or, for what the gateway
// cannot show, reads what the service received) and says whether it is
// hurt, and how.
type prober func(t *testing.T, tb *Testbed) (hurt bool, detail string)

func chatProbe(slower time.Duration) prober {
	return func(t *testing.T, tb *Testbed) (bool, string) {
		r := chat(tb.Endpoints().Service.URL, "hello", map[string]any{"max_tokens": 10})
		return r.err != nil || r.status != 200 || r.took >= slower, fmt.Sprintf("status %d in %v: %.120s", r.status, r.took, r.body)
	}
}

func streamProbe(slower time.Duration) prober {
	return func(t *testing.T, tb *Testbed) (bool, string) {
		r := chat(tb.Endpoints().Service.URL, "tell me a story", map[string]any{"stream": true, "max_tokens": 10})
		broken := streamBroken(r.body)
		return r.err != nil || r.status != 200 || broken || r.took >= slower,
			fmt.Sprintf("status %d in %v, broken %v: …%s", r.status, r.took, broken, tail(r.body, 160))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// streamBroken reports an SSE stream that does not end with [DONE], or
// carries a chunk that is not JSON or is an error.
func streamBroken(body string) bool {
	done := false
	for _, line := range strings.Split(body, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			done = true
			continue
		}
		var v map[string]any
		if json.Unmarshal([]byte(data), &v) != nil || v["error"] != nil {
			return true
		}
	}
	return !done
}

func canaryProbe(t *testing.T, tb *Testbed) (bool, string) {
	r := chat(tb.Endpoints().Service.URL, "drill canary: are you there?", nil)
	return r.status != 200 || !strings.Contains(r.body, mockllm.CanaryAnswer), fmt.Sprintf("status %d: %.200s", r.status, r.body)
}

// jsonProbe asks for JSON mode and checks the answer parses.
func jsonProbe(t *testing.T, tb *Testbed) (bool, string) {
	r := chat(tb.Endpoints().Service.URL, "list three colours as JSON", map[string]any{"response_format": map[string]string{"type": "json_object"}})
	var v struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	_ = json.Unmarshal([]byte(r.body), &v)
	if r.status != 200 || len(v.Choices) == 0 {
		return true, fmt.Sprintf("status %d: %.160s", r.status, r.body)
	}
	var x any
	err := json.Unmarshal([]byte(v.Choices[0].Message.Content), &x)
	return err != nil, fmt.Sprintf("content %.80q", v.Choices[0].Message.Content)
}

func usageProbe(t *testing.T, tb *Testbed) (bool, string) {
	r := chat(tb.Endpoints().Service.URL, "hello", map[string]any{"max_tokens": 10})
	var v struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	_ = json.Unmarshal([]byte(r.body), &v)
	return r.status != 200 || v.Usage.CompletionTokens > 20, fmt.Sprintf("status %d, completion tokens %d (max_tokens 10)", r.status, v.Usage.CompletionTokens)
}

// costProbe reads what one small request cost at the provider: a price
// spike shows on the bill, not in the answer.
func costProbe(t *testing.T, tb *Testbed) (bool, string) {
	m := tb.Endpoints().Providers["primary"].Metrics
	before := metric(t, m, "drill_mockllm_cost_usd_total")
	r := chat(tb.Endpoints().Service.URL, "hello", map[string]any{"max_tokens": 10})
	cost := metric(t, m, "drill_mockllm_cost_usd_total") - before
	return r.status != 200 || cost > 4e-5, fmt.Sprintf("status %d, cost %.2g USD", r.status, cost)
}

func agentProbe(t *testing.T, tb *Testbed) (bool, string) {
	r := post(tb.Endpoints().Service.URL+"/v1/agent/run", map[string]any{"task": "find facts about toxiproxy"})
	return r.status != 200, fmt.Sprintf("status %d: %.160s", r.status, r.body)
}

// azureProbe asks the primary provider on its Azure OpenAI surface, as
// a service on Azure would: the gateway speaks OpenAI, whose own API has
// no prompt filter, so the probe asks where the filter refuses.
func azureProbe(t *testing.T, tb *Testbed) (bool, string) {
	r := post(tb.Endpoints().Providers["primary"].URL+"/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
		map[string]any{"messages": []map[string]string{{"role": "user", "content": "hello"}}, "max_tokens": 10})
	return r.err != nil || r.status != 200, fmt.Sprintf("status %d: %.200s", r.status, r.body)
}

// toolProbe runs an agent task and reads the gateway's tool call metric:
// a failing search API shows as web_search calls that did not get a 200.
func toolProbe(t *testing.T, tb *Testbed) (bool, string) {
	m := tb.Endpoints().Service.Metrics
	failed := func() float64 {
		return metric(t, m, "drill_gateway_tool_calls_total", `tool="web_search"`) - metric(t, m, "drill_gateway_tool_calls_total", `tool="web_search"`, `status="200"`)
	}
	before := failed()
	r := post(tb.Endpoints().Service.URL+"/v1/agent/run", map[string]any{"task": "find facts about toxiproxy"})
	n := failed() - before
	return n > 0, fmt.Sprintf("agent status %d, %v failed web_search calls", r.status, n)
}

// searchProbe reads the search API through its proxy, as the gateway's
// tool does, for faults the gateway passes on to the model unchecked.
func searchProbe(check func(status int, body string) bool) prober {
	return func(t *testing.T, tb *Testbed) (bool, string) {
		r := get(tb.Endpoints().Stubs["search"].URL + "/search?q=chaos")
		return r.err != nil || check(r.status, r.body), fmt.Sprintf("status %d: %.160s", r.status, r.body)
	}
}

func TestEveryFaultKindHurtsAndGoes(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	tb := startTestbed(t, top, Options{})
	ctx := context.Background()

	notJSON := func(_ int, body string) bool { var v any; return json.Unmarshal([]byte(body), &v) != nil }
	cases := []struct {
		kind   string
		target string
		params map[string]string
		probe  prober
		heavy  bool
	}{
		{kind: "latency", params: map[string]string{"latency": "300"}, probe: chatProbe(300 * time.Millisecond)},
		{kind: "outage", probe: chatProbe(time.Hour)},
		{kind: "blackhole", probe: chatProbe(time.Hour)},
		{kind: "reset", probe: chatProbe(time.Hour)},
		{kind: "bandwidth", params: map[string]string{"rate": "5"}, probe: streamProbe(200 * time.Millisecond), heavy: true},
		{kind: "slicer", params: map[string]string{"average_size": "32", "size_variation": "0", "delay": "5000"}, probe: streamProbe(200 * time.Millisecond), heavy: true},
		{kind: "limit_data", params: map[string]string{"bytes": "512"}, probe: streamProbe(time.Hour)},
		{kind: "provider-error", params: map[string]string{"status": "503"}, probe: chatProbe(time.Hour)},
		{kind: "provider-quota", probe: chatProbe(time.Hour)},
		{kind: "rate-limit", params: map[string]string{"rpm": "1"}, probe: func(t *testing.T, tb *Testbed) (bool, string) {
			for range 3 {
				if hurt, d := chatProbe(time.Hour)(t, tb); hurt {
					return true, d
				}
			}
			return false, "3 requests passed"
		}},
		{kind: "garbage-output", params: map[string]string{"kind": "invalid_json"}, probe: jsonProbe},
		{kind: "quality-drift", probe: canaryProbe},
		{kind: "stream-cut", params: map[string]string{"after_tokens": "3"}, probe: streamProbe(time.Hour)},
		{kind: "stream-stall", params: map[string]string{"after_tokens": "2", "delay": "400ms"}, probe: streamProbe(400 * time.Millisecond), heavy: true},
		{kind: "slow-first-token", params: map[string]string{"delay": "300ms"}, probe: chatProbe(300 * time.Millisecond)},
		{kind: "slow-tokens", params: map[string]string{"delay": "30ms"}, probe: streamProbe(200 * time.Millisecond)},
		{kind: "malformed-chunk", params: map[string]string{"after_tokens": "2"}, probe: streamProbe(time.Hour)},
		{kind: "stream-error-event", params: map[string]string{"after_tokens": "2"}, probe: streamProbe(time.Hour)},
		{kind: "billing-spike", probe: usageProbe},
		{kind: "price-spike", probe: costProbe},
		{kind: "runaway-tools", probe: agentProbe},
		{kind: "prompt-filter", params: map[string]string{"category": "hate"}, probe: azureProbe},
		{kind: "stub-error", target: "search", probe: toolProbe},
		{kind: "stub-rate-limit", target: "search", probe: toolProbe},
		{kind: "stub-expired-credentials", target: "search", probe: toolProbe},
		{kind: "stub-outage", target: "search", probe: toolProbe},
		{kind: "stub-slow", target: "search", params: map[string]string{"delay": "1s"}, probe: toolProbe, heavy: true},
		{kind: "stub-malformed", target: "search", probe: searchProbe(notJSON)},
		{kind: "stub-schema-change", target: "search", params: map[string]string{"drop": "results"}, probe: searchProbe(func(_ int, b string) bool { return !strings.Contains(b, `"results"`) })},
		{kind: "stub-empty", target: "search", probe: searchProbe(func(_ int, b string) bool { return strings.Contains(b, "wikipedia") == false })},
		{kind: "traffic-surge", params: map[string]string{"factor": "4"}, probe: func(t *testing.T, tb *Testbed) (bool, string) {
			g := tb.Traffic()
			return g != nil && g.Multiplier() == 4, fmt.Sprintf("multiplier %v", g.Multiplier())
		}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.kind] = true
	}
	for _, k := range faults.Kinds() {
		require.True(t, covered[k.Name], "fault kind %s has no case in this table", k.Name)
	}

	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			if c.heavy && testing.Short() {
				t.Skip("slow fault; runs without -short")
			}
			if c.kind == "traffic-surge" {
				cfg := *top.Traffic
				cfg.Rate = 20
				require.NoError(t, tb.StartTraffic(ctx, cfg))
				defer func() { require.NoError(t, tb.StopTraffic()) }()
			}
			// A failed case must not leave its fault on for the next.
			t.Cleanup(func() { _ = tb.ClearFaults(ctx) })
			hurt, detail := c.probe(t, tb)
			require.False(t, hurt, "hurt before the fault: %s", detail)

			a, err := tb.Inject(ctx, c.kind, c.target, c.params, faults.Schedule{})
			require.NoError(t, err)
			require.Eventually(t, func() bool { hurt, detail = c.probe(t, tb); return hurt }, 10*time.Second, 50*time.Millisecond,
				"%s did not hurt the service: %s", c.kind, detail)
			t.Logf("%s: %s", c.kind, detail)
			require.Eventually(t, func() bool { n, err := a.Affected(ctx); return err == nil && n > 0 }, 5*time.Second, 50*time.Millisecond,
				"%s counted no evidence", c.kind)

			require.NoError(t, tb.ClearFaults(ctx))
			require.False(t, a.On())
			ev := tb.Evidence(ctx)
			last := ev[len(ev)-1]
			require.Equal(t, a.ID, last.ID)
			require.False(t, last.On)
			require.Positive(t, last.Affected, "%+v", last)
			if c.kind != "traffic-surge" {
				require.Eventually(t, func() bool { hurt, detail = c.probe(t, tb); return !hurt }, 10*time.Second, 50*time.Millisecond,
					"still hurt after removal: %s", detail)
			} else {
				require.Equal(t, 1.0, tb.Traffic().Multiplier())
			}
		})
	}
}
