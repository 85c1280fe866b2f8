package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
)

// Mechanism says how a fault kind acts on the world.
type Mechanism string

// The three mechanisms.
const (
	// Network kinds are toxiproxy toxics (or a disabled proxy) on a named proxy.
	Network Mechanism = "network"
	// App kinds are fault modes of mockllm or a stub, set through its
	// control API.
	App Mechanism = "app"
	// Traffic kinds change the traffic generator through a callback.
	Traffic Mechanism = "traffic"
)

// TargetType is what a kind is applied to.
type TargetType string

// Target types.
const (
	TargetProxy    TargetType = "proxy"    // a toxiproxy proxy, by name
	TargetProvider TargetType = "provider" // a mockllm provider, by name
	TargetStub     TargetType = "stub"     // a third-party API stub, by name
	TargetTraffic  TargetType = "traffic"  // the traffic generator
)

// ParamType is how a parameter's text is read.
type ParamType string

// Parameter types.
const (
	Int         ParamType = "int"         // a whole number in Range, in Unit
	Float       ParamType = "float"       // a number in Range
	Probability ParamType = "probability" // a number from 0 to 1
	Duration    ParamType = "duration"    // a Go duration in Range: 500ms, 2s, 1m
	Enum        ParamType = "enum"        // one of Enum
	String      ParamType = "string"      // free text
	Pairs       ParamType = "pairs"       // old=new,old2=new2
	List        ParamType = "list"        // a,b,c
)

// Param describes one parameter of a fault kind.
type Param struct {
	Name     string    `json:"name"`
	Type     ParamType `json:"type"`
	Unit     string    `json:"unit,omitempty"`
	Default  string    `json:"default,omitempty"`
	Required bool      `json:"required,omitempty"`
	Enum     []string  `json:"enum,omitempty"`
	// Range is what a numeric parameter (Int, Float, Probability,
	// Duration) accepts: a faultmode.Range of int64, float64 or
	// time.Duration. The ranges of app kinds are the mocks' own
	// (faultmode), so a step and a control API accept the same values.
	// JSON lists it as min, max and min_exclusive.
	Range faultmode.Bounds `json:"-"`
	Help  string           `json:"help"`
}

// MarshalJSON writes the parameter with its range as min and max
// (numbers, or duration text) and min_exclusive.
func (p Param) MarshalJSON() ([]byte, error) {
	type plain Param
	out := struct {
		plain
		Min          any  `json:"min,omitempty"`
		Max          any  `json:"max,omitempty"`
		MinExclusive bool `json:"min_exclusive,omitempty"`
	}{plain: plain(p)}
	if p.Range != nil {
		out.Min, out.Max, out.MinExclusive = p.Range.Bounds()
		if out.Min == int64(0) || out.Min == 0.0 {
			out.Min = json.Number("0") // omitempty would drop a zero
		}
	}
	return json.Marshal(out)
}

// Kind is one named fault kind of the catalog.
type Kind struct {
	Name      string     `json:"name"`
	Summary   string     `json:"summary"`
	Mechanism Mechanism  `json:"mechanism"`
	Target    TargetType `json:"target"`
	// Toxic is the toxiproxy toxic type (network kinds; empty for outage,
	// which disables the proxy) and Stream its direction.
	Toxic  string `json:"toxic,omitempty"`
	Stream string `json:"stream,omitempty"`
	// Mode is the mock's fault mode (app kinds); Fixed are mode parameters
	// the kind sets itself (quality-drift is garbage with kind wrong_answer).
	Mode   string            `json:"mode,omitempty"`
	Fixed  map[string]string `json:"fixed,omitempty"`
	Params []Param           `json:"params"`
	// Ramp names the parameter a ramp steps up ("" when the kind cannot ramp).
	Ramp string `json:"ramp,omitempty"`
	// Rule says in words what the parameters must satisfy together, and
	// check enforces it; empty when each parameter stands alone.
	Rule  string            `json:"rule,omitempty"`
	check func(Spec) string // "" when the rule holds
}

// Param returns the parameter with the given name.
func (k *Kind) Param(name string) (Param, bool) {
	for _, p := range k.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

const perConnection = " Toxicity is rolled per connection, not per request; for a per-request probability use the app kinds."

// Ranges of the network and traffic kinds' parameters; those of app kinds
// are the mocks' own, in faultmode. Toxiproxy takes larger numbers, but
// none of these is a fault a drill can observe beyond its limit, and some
// overflow inside toxiproxy (a jitter near 2^62 ms, a rate near 2^63).
var (
	msRange        = faultmode.Range[int64]{Min: 0, Max: 3_600_000} // an hour
	bandwidthRange = faultmode.Range[int64]{Min: 1, Max: 10_000_000}
	sliceRange     = faultmode.Range[int64]{Min: 1, Max: 1 << 20}
	variationRange = faultmode.Range[int64]{Min: 0, Max: 1 << 20}
	sliceGapRange  = faultmode.Range[int64]{Min: 0, Max: 60_000_000} // a minute
	limitDataRange = faultmode.Range[int64]{Min: 1, Max: 1 << 30}
	surgeRange     = faultmode.Range[float64]{Min: 0, Max: 100, AboveMin: true}
)

// Parameters shared by kinds of one mechanism.
var (
	toxicityParam = Param{Name: "toxicity", Type: Probability, Default: "1", Range: faultmode.ProbabilityRange, Help: "share of connections the toxic applies to, rolled per connection"}
	appScope      = []Param{
		{Name: "probability", Type: Probability, Default: "1", Range: faultmode.ProbabilityRange, Help: "share of matching requests affected, rolled per request"},
		{Name: "target", Type: String, Help: "glob over the model (providers) or route name (stubs); empty matches all"},
		{Name: "count", Type: Int, Default: "0", Range: faultmode.CountRange, Help: "affect only the first N matching requests; 0 is no limit"},
	}
)

func network(name, toxic, stream, summary string, params ...Param) *Kind {
	k := &Kind{Name: name, Summary: summary, Mechanism: Network, Target: TargetProxy, Toxic: toxic, Stream: stream}
	k.Params = append(params, toxicityParam)
	k.Ramp = "toxicity"
	return k
}

func app(name string, target TargetType, mode string, fixed map[string]string, summary string, params ...Param) *Kind {
	return &Kind{Name: name, Summary: summary, Mechanism: App, Target: target, Mode: mode, Fixed: fixed,
		Params: append(params, appScope...), Ramp: "probability"}
}

func afterTokens(def string) Param {
	return Param{Name: "after_tokens", Type: Int, Unit: "tokens", Range: faultmode.AfterTokensRange, Default: def, Help: "tokens streamed before the fault strikes"}
}

func delay(def, help string) Param {
	return Param{Name: "delay", Type: Duration, Default: def, Range: faultmode.DelayRange, Help: help}
}

func status(help string) Param {
	return Param{Name: "status", Type: Int, Unit: "HTTP status", Range: faultmode.ErrorStatusRange, Default: "500", Help: help}
}

func retryAfter(def, help string) Param {
	return Param{Name: "retry_after", Type: Duration, Default: def, Range: faultmode.RetryAfterRange, Help: help}
}

// catalog is the registry of fault kinds, built in one place.
var catalog = buildCatalog()

func buildCatalog() map[string]*Kind {
	kinds := []*Kind{
		// Network kinds: toxiproxy on the proxy in front of a provider or stub.
		network("latency", "latency", "downstream", "Delay the responses through a proxy by latency ± jitter."+perConnection,
			Param{Name: "latency", Type: Int, Unit: "ms", Range: msRange, Default: "1000", Help: "delay added to each chunk of the response"},
			Param{Name: "jitter", Type: Int, Unit: "ms", Range: msRange, Default: "0", Help: "random ± variation of the delay"}),
		{Name: "outage", Summary: "Take a proxy down: it stops listening and cuts its open connections (connection refused).",
			Mechanism: Network, Target: TargetProxy},
		network("blackhole", "timeout", "upstream", "Accept connections but let no request through and never answer (timeout toxic, timeout 0)."+perConnection),
		network("reset", "reset_peer", "downstream", "Reset connections (TCP RST, connection reset by peer) after an optional timeout."+perConnection,
			Param{Name: "timeout", Type: Int, Unit: "ms", Range: msRange, Default: "0", Help: "time before the reset; 0 resets as soon as data flows"}),
		network("bandwidth", "bandwidth", "downstream", "Throttle responses through a proxy to a rate."+perConnection,
			Param{Name: "rate", Type: Int, Unit: "KB/s", Range: bandwidthRange, Default: "10", Help: "bandwidth of each connection's responses"}),
		network("slicer", "slicer", "downstream", "Slice responses into small packets with a delay between them."+perConnection,
			Param{Name: "average_size", Type: Int, Unit: "bytes", Range: sliceRange, Default: "64", Help: "average packet size"},
			Param{Name: "size_variation", Type: Int, Unit: "bytes", Range: variationRange, Default: "32", Help: "variation of the packet size"},
			Param{Name: "delay", Type: Int, Unit: "µs", Range: sliceGapRange, Default: "1000", Help: "pause between packets"}),
		network("limit_data", "limit_data", "downstream", "Close each connection after it carried a number of response bytes (truncated bodies)."+perConnection,
			Param{Name: "bytes", Type: Int, Unit: "bytes", Range: limitDataRange, Default: "1024", Help: "bytes a connection may carry before it is closed"}),

		// mockllm fault modes.
		app("provider-error", TargetProvider, "error", nil, "The provider answers requests with an API error (5xx, 4xx) in its own error format.",
			status("HTTP status of the error"),
			Param{Name: "type", Type: String, Help: "provider error type; empty picks the one matching the status"},
			Param{Name: "code", Type: String, Help: "provider error code"},
			Param{Name: "message", Type: String, Help: "error message"},
			retryAfter("", "Retry-After sent with the error; empty sends none")),
		app("provider-quota", TargetProvider, "quota", nil, "The provider refuses requests with 429 insufficient_quota (the account ran out of credit)."),
		app("rate-limit", TargetProvider, "rate_limit", nil, "The provider enforces a lower rate limit and answers 429 with Retry-After above it.",
			Param{Name: "rpm", Type: Int, Unit: "requests/min", Range: faultmode.PerMinuteRange, Default: "0", Help: "requests per minute allowed; 0 is no request limit"},
			Param{Name: "tpm", Type: Int, Unit: "tokens/min", Range: faultmode.PerMinuteRange, Default: "0", Help: "tokens per minute allowed; 0 is no token limit"}),
		app("garbage-output", TargetProvider, "garbage", nil, "The provider answers 200 with bad content: random tokens, wrong language, invalid JSON, loops, refusals, tool calls that break their schema or name no offered tool, length and content-filter stops.",
			Param{Name: "kind", Type: Enum, Default: "random_tokens", Enum: []string{"random_tokens", "wrong_language", "invalid_json", "repeat_loop", "empty", "refusal", "bad_tool_args", "wrong_answer",
				"schema_violation", "unknown_tool", "tool_length", "content_filter"}, Help: "what the bad content looks like"}),
		app("quality-drift", TargetProvider, "garbage", map[string]string{"kind": "wrong_answer"}, "The provider answers fluently but wrongly (canary prompts get wrong answers)."),
		app("stream-cut", TargetProvider, "stream_cut", nil, "Streaming responses stop mid-way: the connection closes without a final event.",
			afterTokens("20")),
		app("stream-stall", TargetProvider, "stream_stall", nil, "Streaming responses stall mid-way for a long pause.",
			afterTokens("20"), delay("30s", "length of the stall")),
		app("slow-first-token", TargetProvider, "slow_first_token", nil, "The provider takes long before the first token (time to first token rises).",
			delay("5s", "extra time before the first token")),
		app("slow-tokens", TargetProvider, "slow_tokens", nil, "The provider streams tokens slowly (output throughput drops).",
			delay("200ms", "extra time between tokens")),
		app("malformed-chunk", TargetProvider, "malformed_chunk", nil, "A streamed chunk is not valid JSON.",
			afterTokens("5")),
		app("stream-error-event", TargetProvider, "stream_error_event", nil, "The stream carries an error event mid-way.",
			afterTokens("5")),
		app("billing-spike", TargetProvider, "billing", nil, "The provider reports inflated token usage, so spend rises with the same traffic.",
			Param{Name: "factor", Type: Float, Default: "10", Range: faultmode.BillingFactorRange, Help: "multiplier on the reported tokens"},
			Param{Name: "tokens", Type: Enum, Default: "both", Enum: []string{"prompt", "completion", "both"}, Help: "which token counts are inflated"}),
		app("price-spike", TargetProvider, "price", nil, "The provider's price per token rises, so cost rises with the same usage.",
			Param{Name: "factor", Type: Float, Default: "10", Range: faultmode.PriceFactorRange, Help: "multiplier on the price"}),
		app("runaway-tools", TargetProvider, "runaway_tools", nil, "The model keeps calling tools and never gives a final answer (agent loops run away)."),
		app("prompt-filter", TargetProvider, "prompt_filter", nil, "The provider's content filter refuses prompts, on each surface whose provider has one: Azure OpenAI answers chat requests 400 content_filter (ResponsibleAIPolicyViolation) naming the category; the Gemini API answers 200 with no candidates and promptFeedback blockReason SAFETY (the category's HARM_CATEGORY_* rated HIGH, blocked; jailbreak is not reported by the Gemini API); Bedrock Converse requests that name a guardrail get stopReason guardrail_intervened, the blocked-input message and no tokens (the guardrail's content filter in the trace), InvokeModel requests that name one (its headers) amazon-bedrock-guardrailAction INTERVENED with that message. OpenAI's and Anthropic's own APIs, embeddings, Bedrock calls naming no guardrail and InvokeModelWithResponseStream are not affected.",
			Param{Name: "category", Type: Enum, Default: "violence", Enum: []string{"hate", "self_harm", "sexual", "violence", "jailbreak"}, Help: "the content filter category that flags the prompt"}),

		// Stub fault modes.
		app("stub-error", TargetStub, "error", nil, "A third-party API answers with an error status.",
			status("HTTP status of the error"),
			Param{Name: "body", Type: String, Help: "response body; empty uses the stub's error body"}),
		app("stub-rate-limit", TargetStub, "rate_limit", nil, "A third-party API answers 429 with Retry-After.",
			retryAfter("30s", "Retry-After sent with the 429")),
		app("stub-expired-credentials", TargetStub, "expired_credentials", nil, "A third-party API rejects the credentials as expired (401)."),
		app("stub-malformed", TargetStub, "malformed", nil, "A third-party API answers 200 with a body that does not parse."),
		app("stub-schema-change", TargetStub, "schema_change", nil, "A third-party API renames or drops fields of its responses.",
			Param{Name: "rename", Type: Pairs, Help: "fields to rename, old=new,old2=new2"},
			Param{Name: "drop", Type: List, Help: "fields to drop, a,b,c"}),
		app("stub-slow", TargetStub, "slow", nil, "A third-party API answers slowly.",
			delay("5s", "extra time before the answer")),
		app("stub-outage", TargetStub, "outage", nil, "A third-party API (or the routes matching target) is down: every request's connection is cut with no answer."),
		app("stub-empty", TargetStub, "empty", nil, "A third-party API answers 200 with empty results."),

		// Traffic.
		{Name: "traffic-surge", Summary: "Multiply the request rate of the traffic generator (a load surge).",
			Mechanism: Traffic, Target: TargetTraffic, Ramp: "factor",
			Params: []Param{{Name: "factor", Type: Float, Default: "3", Range: surgeRange, Help: "multiplier on the scenario's request rate"}}},
	}
	// Rules over several parameters.
	rule := func(name, words string, check func(Spec) string) {
		for _, k := range kinds {
			if k.Name == name {
				k.Rule, k.check = words, check
			}
		}
	}
	rule("slicer", "size_variation must be smaller than average_size (toxiproxy splits packets out of bounds otherwise)",
		func(s Spec) string {
			if s.Int("size_variation") >= s.Int("average_size") {
				return fmt.Sprintf("size_variation must be smaller than average_size, got %d and %d", s.Int("size_variation"), s.Int("average_size"))
			}
			return ""
		})
	rule("rate-limit", "rpm or tpm must be above 0 (a limit of nothing is no fault)",
		func(s Spec) string {
			if s.Int("rpm") == 0 && s.Int("tpm") == 0 {
				return "rpm or tpm must be above 0, got neither"
			}
			return ""
		})
	m := make(map[string]*Kind, len(kinds))
	for _, k := range kinds {
		if _, dup := m[k.Name]; dup {
			panic("faults: duplicate kind " + k.Name) // a programming error in this file
		}
		m[k.Name] = k
	}
	return m
}

// Kinds returns the catalog sorted by mechanism, then name.
func Kinds() []*Kind {
	out := make([]*Kind, 0, len(catalog))
	for _, k := range catalog {
		out = append(out, k)
	}
	order := map[Mechanism]int{Network: 0, App: 1, Traffic: 2}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Mechanism != out[j].Mechanism {
			return order[out[i].Mechanism] < order[out[j].Mechanism]
		}
		if out[i].Target != out[j].Target {
			return out[i].Target < out[j].Target
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Lookup returns the kind with the given name.
func Lookup(name string) (*Kind, bool) {
	k, ok := catalog[name]
	return k, ok
}

func kindNames() string {
	names := make([]string, 0, len(catalog))
	for n := range catalog {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Spec is a parsed fault: a kind and every one of its parameters, with
// defaults filled in. Values are int64, float64, time.Duration, string,
// map[string]string (pairs) or []string (list).
type Spec struct {
	Kind   string
	Params map[string]any
}

// kind returns the spec's catalog entry.
func (s Spec) kind() (*Kind, error) {
	k, ok := catalog[s.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown fault kind %q; known kinds: %s", s.Kind, kindNames())
	}
	return k, nil
}

// Int returns an Int parameter.
func (s Spec) Int(name string) int64 { v, _ := s.Params[name].(int64); return v }

// Float returns a Float or Probability parameter.
func (s Spec) Float(name string) float64 { v, _ := s.Params[name].(float64); return v }

// String renders the spec as kind(name=value, ...) with parameters sorted.
func (s Spec) String() string {
	names := make([]string, 0, len(s.Params))
	for n := range s.Params {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+"="+formatValue(s.Params[n]))
	}
	return s.Kind + "(" + strings.Join(parts, ", ") + ")"
}

func formatValue(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case time.Duration:
		return v.String()
	case map[string]string:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+v[k])
		}
		return strings.Join(parts, ",")
	case []string:
		return strings.Join(v, ",")
	default:
		return fmt.Sprint(v)
	}
}

// Parse checks a fault kind and its parameters (as text, the way a
// feature file or the command line gives them) against the catalog and
// returns the spec with defaults filled in. Errors list what is valid.
func Parse(kind string, params map[string]string) (Spec, error) {
	k, ok := catalog[kind]
	if !ok {
		return Spec{}, fmt.Errorf("unknown fault kind %q; known kinds: %s", kind, kindNames())
	}
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := k.Param(n); !ok {
			return Spec{}, fmt.Errorf("%s: unknown parameter %q; %s", kind, n, paramList(k))
		}
	}
	spec := Spec{Kind: kind, Params: make(map[string]any, len(k.Params))}
	for _, p := range k.Params {
		text, given := params[p.Name]
		if !given || text == "" {
			if p.Required {
				return Spec{}, fmt.Errorf("%s: parameter %q is required (%s)", kind, p.Name, want(p))
			}
			if p.Default == "" {
				continue
			}
			text = p.Default
		}
		v, err := parseValue(p, text)
		if err != nil {
			return Spec{}, fmt.Errorf("%s: parameter %q: %s, got %s", kind, p.Name, want(p), faultmode.Quote(text))
		}
		spec.Params[p.Name] = v
	}
	if k.check != nil {
		if msg := k.check(spec); msg != "" {
			return Spec{}, fmt.Errorf("%s: %s", kind, msg)
		}
	}
	return spec, nil
}

func paramList(k *Kind) string {
	if len(k.Params) == 0 {
		return "it takes no parameters"
	}
	names := make([]string, 0, len(k.Params))
	for _, p := range k.Params {
		names = append(names, p.Name)
	}
	return "parameters are: " + strings.Join(names, ", ")
}

var unitWords = map[string]string{"ms": "milliseconds", "µs": "microseconds"}

// want says in words what a parameter accepts.
func want(p Param) string {
	in := ""
	if p.Range != nil {
		in = " " + p.Range.String()
	}
	switch p.Type {
	case Int:
		u := p.Unit
		if w, ok := unitWords[u]; ok {
			u = w
		}
		if u == "" {
			u = "a whole number"
		}
		return "want " + u + in
	case Float, Probability:
		return "want a number" + in
	case Duration:
		if in != "" {
			in = "," + in
		}
		return "want a duration such as 500ms, 2s or 1m" + in
	case Enum:
		return "want one of " + strings.Join(p.Enum, ", ")
	case Pairs:
		return "want old=new pairs separated by commas"
	case List:
		return "want names separated by commas"
	default:
		return "want text"
	}
}

var errBadValue = errors.New("bad value")

// inRange checks a parsed value against the parameter's range.
func inRange(p Param, v any) (any, error) {
	if p.Range != nil && !p.Range.Allows(v) {
		return nil, errBadValue
	}
	return v, nil
}

func parseValue(p Param, text string) (any, error) {
	bad := errBadValue
	switch p.Type {
	case Int:
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil {
			return nil, bad
		}
		return inRange(p, n)
	case Float, Probability:
		f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if err != nil {
			return nil, bad
		}
		return inRange(p, f)
	case Duration:
		d, err := time.ParseDuration(strings.TrimSpace(text))
		if err != nil {
			return nil, bad
		}
		return inRange(p, d)
	case Enum:
		for _, e := range p.Enum {
			if e == text {
				return text, nil
			}
		}
		return nil, bad
	case Pairs:
		m := map[string]string{}
		for _, part := range strings.Split(text, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || k == "" || v == "" {
				return nil, bad
			}
			m[k] = v
		}
		return m, nil
	case List:
		var out []string
		for _, part := range strings.Split(text, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				return nil, bad
			}
			out = append(out, part)
		}
		return out, nil
	default:
		return text, nil
	}
}
