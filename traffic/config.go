package traffic

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"
)

// The request kinds a mix may weigh.
const (
	KindChat   = "chat"   // POST /v1/chat/completions
	KindStream = "stream" // the same, streamed over SSE
	KindJSON   = "json"   // JSON mode: response_format json_object
	KindAgent  = "agent"  // POST /v1/agent/run
	KindCanary = "canary" // a chat prompt with a known answer
)

// Kinds lists the request kinds.
var Kinds = []string{KindChat, KindStream, KindJSON, KindAgent, KindCanary}

// The outcomes a request is counted under.
const (
	OutcomeOK      = "ok"
	OutcomeError   = "error"   // transport error or non-2xx status
	OutcomeInvalid = "invalid" // 2xx, but the answer failed its check
	OutcomeTimeout = "timeout" // no complete answer within the timeout
	OutcomeDropped = "dropped" // not sent: max_in_flight was reached
)

// Outcomes lists the outcomes.
var Outcomes = []string{OutcomeOK, OutcomeError, OutcomeInvalid, OutcomeTimeout, OutcomeDropped}

// The shapes of the base rate over time.
const (
	ShapeConstant = "constant"
	ShapeRamp     = "ramp"
	ShapeSteps    = "steps"
)

// DefaultCanaryAnswer is the answer mockllm gives a prompt containing
// "drill canary" (mockllm.CanaryAnswer; traffic may not import mockllm).
const DefaultCanaryAnswer = "The drill canary is alive: 4096."

// Config is a traffic generator's configuration, as drill.yaml's
// traffic: section spells it.
type Config struct {
	// Rate is the base rate in requests per second for shape constant, and
	// before the first step of shape steps.
	Rate float64 `yaml:"rate" json:"rate"`
	// Shape changes the base rate over time; empty means constant.
	Shape Shape `yaml:"shape,omitempty" json:"shape,omitempty"`
	// Arrivals is poisson (exponential gaps, the default) or uniform.
	Arrivals string `yaml:"arrivals,omitempty" json:"arrivals,omitempty"`
	// Mix weighs the request kinds, built-in (Kinds, the OpenAI presets)
	// and the team's own (Requests); weights need not sum to 1.
	Mix map[string]float64 `yaml:"mix" json:"mix"`
	// Requests are the team's own request kinds, by name; the mix weighs
	// them like the built-in kinds.
	Requests map[string]Request `yaml:"requests,omitempty" json:"requests,omitempty"`
	// Model is sent in every chat request.
	Model string `yaml:"model" json:"model"`
	// Timeout bounds each request, streams included.
	Timeout time.Duration `yaml:"timeout" json:"timeout"`
	// MaxInFlight bounds concurrent requests; arrivals beyond it are
	// dropped and counted, never queued.
	MaxInFlight int `yaml:"max_in_flight" json:"max_in_flight"`
	// Seed makes arrival gaps, the kind sequence and prompts repeatable.
	Seed uint64 `yaml:"seed" json:"seed"`
	// CanaryAnswer is what a canary answer must contain.
	CanaryAnswer string `yaml:"canary_answer" json:"canary_answer"`
	// APIKey, when set, is sent as a bearer token.
	APIKey string `yaml:"api_key,omitempty" json:"api_key,omitempty"`
	// MetricsAddr is where /metrics listens; empty means 127.0.0.1:0.
	MetricsAddr string `yaml:"metrics_addr,omitempty" json:"metrics_addr,omitempty"`

	// Logger receives per-request failures at debug level; nil discards.
	Logger *slog.Logger `yaml:"-" json:"-"`
	// OnResult, when set, is called with every request's result, from
	// the request's goroutine.
	OnResult func(Result) `yaml:"-" json:"-"`
}

// Shape is how the base rate changes over the run.
type Shape struct {
	// Kind is constant, ramp or steps; empty means constant.
	Kind string `yaml:"kind" json:"kind"`
	// From and To are the ramp's rates (req/s) at its start and after Over.
	From float64       `yaml:"from,omitempty" json:"from,omitempty"`
	To   float64       `yaml:"to,omitempty" json:"to,omitempty"`
	Over time.Duration `yaml:"over,omitempty" json:"over,omitempty"`
	// Steps set the rate from their At (since start) on, in order.
	Steps []Step `yaml:"steps,omitempty" json:"steps,omitempty"`
}

// Step is one rate change of a steps shape.
type Step struct {
	At   time.Duration `yaml:"at" json:"at"`
	Rate float64       `yaml:"rate" json:"rate"`
}

// DefaultConfig is steady, modest traffic with every kind in the mix.
func DefaultConfig() Config {
	return Config{
		Rate:         5,
		Shape:        Shape{Kind: ShapeConstant},
		Arrivals:     "poisson",
		Mix:          map[string]float64{KindChat: 0.55, KindStream: 0.2, KindJSON: 0.1, KindAgent: 0.1, KindCanary: 0.05},
		Model:        "gpt-4o-mini",
		Timeout:      30 * time.Second,
		MaxInFlight:  64,
		Seed:         1,
		CanaryAnswer: DefaultCanaryAnswer,
	}
}

// Validate reports every problem, each naming its field.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("traffic: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch c.Shape.Kind {
	case "", ShapeConstant:
		if !(c.Rate > 0) || !finite(c.Rate) {
			bad("rate", "want a positive number of requests per second, got %v", c.Rate)
		}
		if c.Shape.From != 0 || c.Shape.To != 0 || c.Shape.Over != 0 || len(c.Shape.Steps) > 0 {
			bad("shape", "a constant shape takes no from, to, over or steps; set kind: ramp or kind: steps")
		}
	case ShapeRamp:
		if c.Shape.From < 0 || !finite(c.Shape.From) {
			bad("shape.from", "want a rate of 0 or more requests per second, got %v", c.Shape.From)
		}
		if c.Shape.To < 0 || !finite(c.Shape.To) {
			bad("shape.to", "want a rate of 0 or more requests per second, got %v", c.Shape.To)
		}
		if c.Shape.From == 0 && c.Shape.To == 0 {
			bad("shape", "a ramp needs from or to above 0")
		}
		if c.Shape.Over <= 0 {
			bad("shape.over", "want a positive duration such as 1m, got %v", c.Shape.Over)
		}
		if len(c.Shape.Steps) > 0 {
			bad("shape.steps", "a ramp takes no steps; set kind: steps")
		}
	case ShapeSteps:
		if len(c.Shape.Steps) == 0 {
			bad("shape.steps", "want at least one step {at, rate}")
		}
		if c.Rate < 0 || !finite(c.Rate) {
			bad("rate", "want 0 or more requests per second (the rate before the first step), got %v", c.Rate)
		}
		for i, s := range c.Shape.Steps {
			if s.At < 0 {
				bad(fmt.Sprintf("shape.steps[%d].at", i), "want a non-negative duration, got %v", s.At)
			}
			if i > 0 && s.At <= c.Shape.Steps[i-1].At {
				bad(fmt.Sprintf("shape.steps[%d].at", i), "want a time after the previous step's %v, got %v", c.Shape.Steps[i-1].At, s.At)
			}
			if s.Rate < 0 || !finite(s.Rate) {
				bad(fmt.Sprintf("shape.steps[%d].rate", i), "want 0 or more requests per second, got %v", s.Rate)
			}
		}
	default:
		bad("shape.kind", "want one of constant, ramp, steps, got %q", c.Shape.Kind)
	}
	switch c.Arrivals {
	case "", "poisson", "uniform":
	default:
		bad("arrivals", "want poisson or uniform, got %q", c.Arrivals)
	}
	if len(c.Requests) > MaxRequestKinds {
		bad("requests", "%d request kinds; at most %d", len(c.Requests), MaxRequestKinds)
	}
	for _, name := range sortedKeys(c.Requests) {
		if _, problems := compile(name, c.Requests[name]); len(problems) > 0 {
			errs = append(errs, prefixed(problems)...)
		}
	}
	known := c.kinds()
	if len(c.Mix) == 0 {
		bad("mix", "want weights over %s", strings.Join(known, ", "))
	}
	var sum float64
	keys := make([]string, 0, len(c.Mix))
	for k := range c.Mix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := c.Mix[k]
		if !contains(known, k) {
			bad("mix."+k, "unknown kind; kinds are %s", strings.Join(known, ", "))
			continue
		}
		if w < 0 || !finite(w) {
			bad("mix."+k, "want a weight of 0 or more, got %v", w)
			continue
		}
		sum += w
	}
	if len(c.Mix) > 0 && sum <= 0 {
		bad("mix", "want at least one positive weight")
	}
	if c.Model == "" && (c.Mix[KindChat] > 0 || c.Mix[KindStream] > 0 || c.Mix[KindJSON] > 0 || c.Mix[KindCanary] > 0) {
		bad("model", "required for chat requests; want a model name such as gpt-4o-mini")
	}
	if c.Timeout <= 0 {
		bad("timeout", "want a positive duration such as 30s, got %v", c.Timeout)
	}
	if c.MaxInFlight <= 0 {
		bad("max_in_flight", "want a positive bound on concurrent requests, got %d", c.MaxInFlight)
	}
	if c.Mix[KindCanary] > 0 && strings.TrimSpace(c.CanaryAnswer) == "" {
		bad("canary_answer", "required when the mix has canary requests; want the text a correct answer contains")
	}
	return errors.Join(errs...)
}

// kinds are the built-in kinds, then the team's own, sorted: the order
// the mix is drawn in.
func (c Config) kinds() []string {
	out := append([]string(nil), Kinds...)
	for _, k := range sortedKeys(c.Requests) {
		if !contains(Kinds, k) {
			out = append(out, k)
		}
	}
	return out
}

func prefixed(errs []error) []error {
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = fmt.Errorf("traffic: %w", e)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// baseRate is the shape's rate (req/s) at elapsed since start.
func (c *Config) baseRate(elapsed time.Duration) float64 {
	switch c.Shape.Kind {
	case ShapeRamp:
		if elapsed >= c.Shape.Over {
			return c.Shape.To
		}
		f := float64(elapsed) / float64(c.Shape.Over)
		return c.Shape.From + (c.Shape.To-c.Shape.From)*f
	case ShapeSteps:
		r := c.Rate
		for _, s := range c.Shape.Steps {
			if elapsed < s.At {
				break
			}
			r = s.Rate
		}
		return r
	}
	return c.Rate
}

// LowestRate is the lowest rate above 0 that the shape sets: the rate
// for a constant shape, the lower end of a ramp (or its other end when it
// starts or ends at 0), the lowest step. It is what a rule window can
// count on: drills use it to tell whether their traffic is thick enough
// for the rules' windows at the drill's speed.
func (c Config) LowestRate() float64 {
	var levels []float64
	switch c.Shape.Kind {
	case ShapeRamp:
		levels = []float64{c.Shape.From, c.Shape.To}
	case ShapeSteps:
		levels = []float64{c.Rate}
		for _, s := range c.Shape.Steps {
			levels = append(levels, s.Rate)
		}
	default:
		levels = []float64{c.Rate}
	}
	lowest := 0.0
	for _, r := range levels {
		if r > 0 && (lowest == 0 || r < lowest) {
			lowest = r
		}
	}
	return lowest
}
