package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
)

// Upstream kinds: the wire protocol the gateway speaks to a provider.
const (
	KindOpenAI    = "openai"
	KindAnthropic = "anthropic"
	KindGemini    = "gemini"  // the Gemini API's generateContent
	KindBedrock   = "bedrock" // Amazon Bedrock Runtime's Converse
)

// Kinds lists the upstream kinds, in the order messages name them.
var Kinds = []string{KindOpenAI, KindAnthropic, KindGemini, KindBedrock}

// Upstream is one LLM provider the gateway routes to.
type Upstream struct {
	Name string `yaml:"name" json:"name"`
	Kind string `yaml:"kind" json:"kind"` // openai | anthropic | gemini | bedrock
	// APIKey is sent as the provider expects it: Bearer (OpenAI),
	// x-api-key (Anthropic), x-goog-api-key (Gemini). For Bedrock, a key
	// of the form ACCESS_KEY_ID:SECRET_ACCESS_KEY signs the request with
	// SigV4 (service bedrock, the region of a
	// bedrock-runtime.{region}.amazonaws.com base URL, else us-east-1);
	// any other key is a Bedrock API key, sent as a Bearer token.
	BaseURL string `yaml:"base_url" json:"base_url"`
	Model   string `yaml:"model" json:"model"`
	APIKey  string `yaml:"api_key" json:"-"`
}

// configured reports whether any field of u is set: an all-empty secondary
// means "no secondary".
func (u Upstream) configured() bool {
	return u.Name != "" || u.Kind != "" || u.BaseURL != "" || u.Model != "" || u.APIKey != ""
}

// Price is what one million tokens of a model cost, in USD.
type Price struct {
	InputPerMTok  float64 `yaml:"input_per_mtok" json:"input_per_mtok"`
	OutputPerMTok float64 `yaml:"output_per_mtok" json:"output_per_mtok"`
}

// BreakerConfig sets the circuit breaker kept per upstream.
type BreakerConfig struct {
	Enabled bool `yaml:"enabled"`
	// FailureThreshold consecutive failures, each within Window of the
	// previous one, open the breaker.
	FailureThreshold int           `yaml:"failure_threshold"`
	Window           time.Duration `yaml:"window"`
	// Cooldown is how long an open breaker refuses calls before letting one
	// half-open probe through.
	Cooldown time.Duration `yaml:"cooldown"`
}

// Config configures a gateway. The zero values of the hook fields (yaml:"-")
// mean real time, real sleeps and real randomness; tests set them.
type Config struct {
	Addr      string   `yaml:"addr"`
	Primary   Upstream `yaml:"primary"`
	Secondary Upstream `yaml:"secondary"`

	AutoFailover     bool             `yaml:"auto_failover"`
	MaxAttempts      int              `yaml:"max_attempts"`
	BackoffBase      time.Duration    `yaml:"backoff_base"`
	BackoffMax       time.Duration    `yaml:"backoff_max"`
	AttemptTimeout   time.Duration    `yaml:"attempt_timeout"`
	Breaker          BreakerConfig    `yaml:"breaker"`
	BudgetUSDPerMin  float64          `yaml:"budget_usd_per_minute"`
	Prices           map[string]Price `yaml:"prices"`
	CanaryMarker     string           `yaml:"canary_marker"`
	CanaryAnswer     string           `yaml:"canary_answer"`
	StrictValidation bool             `yaml:"strict_validation"`
	DisabledModels   []string         `yaml:"disabled_models"`

	AgentMaxSteps int           `yaml:"agent_max_steps"`
	SearchURL     string        `yaml:"search_url"`
	ToolTimeout   time.Duration `yaml:"tool_timeout"`

	// Logger receives one line per upstream failure and admin change; nil
	// discards.
	Logger *slog.Logger `yaml:"-"`
	// Now is the clock for the budget window and the breaker; nil is
	// time.Now.
	Now func() time.Time `yaml:"-"`
	// Sleep waits between retries; nil waits in real time (and returns
	// early with the context's error).
	Sleep func(ctx context.Context, d time.Duration) error `yaml:"-"`
	// Jitter returns a number in [0,1) that spreads backoff delays; nil is
	// math/rand/v2.
	Jitter func() float64 `yaml:"-"`
}

// DefaultCanaryAnswer is what a canary prompt's answer must contain unless
// the config says otherwise: the answer drill's mock provider gives to a
// prompt containing "drill canary".
const DefaultCanaryAnswer = "The drill canary is alive: 4096."

// DefaultConfig returns a configuration with the defaults described in the
// package documentation. Upstream URLs are left empty: the caller must set
// at least Primary.BaseURL.
func DefaultConfig() Config {
	return Config{
		Addr:           "127.0.0.1:0",
		Primary:        Upstream{Name: "primary", Kind: KindOpenAI, Model: "gpt-4o-mini"},
		MaxAttempts:    2,
		BackoffBase:    100 * time.Millisecond,
		BackoffMax:     2 * time.Second,
		AttemptTimeout: 10 * time.Second,
		Breaker: BreakerConfig{
			Enabled:          true,
			FailureThreshold: 20,
			Window:           10 * time.Second,
			Cooldown:         30 * time.Second,
		},
		// The list prices drill's mock provider also uses, so the gateway's
		// cost and the provider's agree.
		Prices: map[string]Price{
			"gpt-4o-mini":       {InputPerMTok: 0.15, OutputPerMTok: 0.60},
			"gpt-4o":            {InputPerMTok: 2.50, OutputPerMTok: 10},
			"claude-haiku-4-5":  {InputPerMTok: 1, OutputPerMTok: 5},
			"claude-sonnet-4-5": {InputPerMTok: 3, OutputPerMTok: 15},
			"gemini-2.5-flash":  {InputPerMTok: 0.30, OutputPerMTok: 2.50},
			"anthropic.claude-haiku-4-5-20251001-v1:0": {InputPerMTok: 1, OutputPerMTok: 5},
			"amazon.nova-lite-v1:0":                    {InputPerMTok: 0.06, OutputPerMTok: 0.24},
		},
		CanaryMarker:  "drill canary",
		CanaryAnswer:  DefaultCanaryAnswer,
		AgentMaxSteps: 25,
		ToolTimeout:   10 * time.Second,
	}
}

// FieldError is one problem with one configuration field; Field is the
// YAML path (for example "primary.base_url") so a loader can point at the
// line.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// ParseConfig decodes a gateway YAML config file on top of DefaultConfig
// and validates it. It is the one decoding of gateway.Config: strict (the
// decoder every YAML file of drill goes through, which the testbed also
// uses for drill.yaml's service.gateway), and every problem, of decoding
// or of Validate, names file:line:col and the field (the error is a
// strictyaml.Problems). file is only used in messages.
func ParseConfig(file string, data []byte) (Config, error) {
	cfg := DefaultConfig()
	doc, probs := strictyaml.Decode(file, data, &cfg)
	if len(probs) > 0 {
		return Config{}, probs.Err()
	}
	err := cfg.Validate()
	if err == nil {
		return cfg, nil
	}
	for _, one := range err.(interface{ Unwrap() []error }).Unwrap() {
		fe := one.(*FieldError) // Validate's errors are all FieldErrors
		probs = append(probs, doc.Problemf(fe.Field, "%s", fe.Problem))
	}
	return Config{}, probs.Err()
}

// Validate checks every field and returns all problems joined; each is a
// *FieldError.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if c.Addr == "" {
		bad("addr", "expected host:port, got an empty string")
	}
	c.validateUpstream("primary", c.Primary, bad)
	if c.Secondary.configured() {
		c.validateUpstream("secondary", c.Secondary, bad)
		if c.Secondary.Name != "" && c.Secondary.Name == c.Primary.Name {
			bad("secondary.name", "must differ from primary.name %q", c.Primary.Name)
		}
	}
	if c.MaxAttempts < 1 {
		bad("max_attempts", "expected an integer >= 1, got %d", c.MaxAttempts)
	}
	if c.BackoffBase < 0 {
		bad("backoff_base", "expected a duration >= 0, got %s", c.BackoffBase)
	}
	if c.BackoffMax < c.BackoffBase {
		bad("backoff_max", "expected a duration >= backoff_base (%s), got %s", c.BackoffBase, c.BackoffMax)
	}
	if c.AttemptTimeout <= 0 {
		bad("attempt_timeout", "expected a duration > 0, got %s", c.AttemptTimeout)
	}
	if c.Breaker.Enabled {
		if c.Breaker.FailureThreshold < 1 {
			bad("breaker.failure_threshold", "expected an integer >= 1, got %d", c.Breaker.FailureThreshold)
		}
		if c.Breaker.Window <= 0 {
			bad("breaker.window", "expected a duration > 0, got %s", c.Breaker.Window)
		}
		if c.Breaker.Cooldown <= 0 {
			bad("breaker.cooldown", "expected a duration > 0, got %s", c.Breaker.Cooldown)
		}
	}
	if c.BudgetUSDPerMin < 0 {
		bad("budget_usd_per_minute", "expected a number >= 0 (0 = unlimited), got %g", c.BudgetUSDPerMin)
	}
	for _, m := range sortedKeys(c.Prices) {
		p := c.Prices[m]
		if p.InputPerMTok < 0 || p.OutputPerMTok < 0 {
			bad("prices."+m, "expected prices >= 0, got input %g, output %g", p.InputPerMTok, p.OutputPerMTok)
		}
	}
	if c.CanaryMarker == "" {
		bad("canary_marker", "expected the phrase that marks a canary prompt, got an empty string")
	}
	if c.CanaryAnswer == "" {
		bad("canary_answer", "expected the text a canary answer must contain, got an empty string")
	}
	models := c.models()
	for i, m := range c.DisabledModels {
		if !contains(models, m) {
			bad(fmt.Sprintf("disabled_models[%d]", i), "unknown model %q; upstream models are: %s", m, strings.Join(models, ", "))
		}
	}
	if c.AgentMaxSteps < 1 {
		bad("agent_max_steps", "expected an integer >= 1, got %d", c.AgentMaxSteps)
	}
	if c.SearchURL != "" {
		if err := checkURL(c.SearchURL); err != nil {
			bad("search_url", "%v", err)
		}
	}
	if c.ToolTimeout <= 0 {
		bad("tool_timeout", "expected a duration > 0, got %s", c.ToolTimeout)
	}
	return errors.Join(errs...)
}

func (c Config) validateUpstream(field string, u Upstream, bad func(string, string, ...any)) {
	if u.Name == "" {
		bad(field+".name", "expected a name, got an empty string")
	}
	if !contains(Kinds, u.Kind) {
		bad(field+".kind", "expected one of %s, got %q", strings.Join(Kinds, ", "), u.Kind)
	}
	if u.BaseURL == "" {
		bad(field+".base_url", "expected an http(s) URL, got an empty string")
	} else if err := checkURL(u.BaseURL); err != nil {
		bad(field+".base_url", "%v", err)
	}
	if u.Model == "" {
		bad(field+".model", "expected a model name, got an empty string")
	} else if _, ok := c.Prices[u.Model]; !ok {
		bad(field+".model", "model %q has no entry in prices (needed to compute cost); priced models are: %s",
			u.Model, strings.Join(sortedKeys(c.Prices), ", "))
	}
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("expected an http(s) URL with a host, got %q", s)
	}
	return nil
}

// models lists the configured upstreams' models.
func (c Config) models() []string {
	ms := []string{c.Primary.Model}
	if c.Secondary.configured() && c.Secondary.Model != c.Primary.Model {
		ms = append(ms, c.Secondary.Model)
	}
	return ms
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// EnvVars documents the environment ConfigFromEnv reads, in order.
var EnvVars = []struct{ Name, Meaning string }{
	{"DRILL_ADDR", "listen address (host:port)"},
	{"DRILL_PRIMARY_NAME", "primary upstream name (default primary)"},
	{"DRILL_PRIMARY_KIND", "openai | anthropic | gemini | bedrock"},
	{"DRILL_PRIMARY_URL", "primary provider base URL (required)"},
	{"DRILL_PRIMARY_MODEL", "model sent to the primary"},
	{"DRILL_PRIMARY_API_KEY", "API key sent to the primary"},
	{"DRILL_SECONDARY_NAME", "secondary upstream name (default secondary)"},
	{"DRILL_SECONDARY_KIND", "openai | anthropic | gemini | bedrock"},
	{"DRILL_SECONDARY_URL", "secondary provider base URL (unset: no secondary)"},
	{"DRILL_SECONDARY_MODEL", "model sent to the secondary"},
	{"DRILL_SECONDARY_API_KEY", "API key sent to the secondary"},
	{"DRILL_SEARCH_URL", "base URL of the web search API behind the agent's web_search tool"},
	{"DRILL_CANARY_ANSWER", "text a canary prompt's answer must contain"},
	{"DRILL_AUTO_FAILOVER", "true | false"},
	{"DRILL_BUDGET_USD_PER_MINUTE", "spend cap in USD per rolling minute (0 = unlimited)"},
	{"DRILL_AGENT_MAX_STEPS", "agent step cap"},
	{"DRILL_MAX_ATTEMPTS", "attempts per upstream (1 = no retry)"},
	{"DRILL_ATTEMPT_TIMEOUT", "per-attempt timeout (Go duration, e.g. 10s)"},
	{"DRILL_STRICT_VALIDATION", "true | false: answer 502 to responses failing validation"},
	{"DRILL_PRICES", "extra prices, model=input:output per million tokens, comma-separated"},
}

// ConfigFromEnv builds a configuration from DefaultConfig and the variables
// in EnvVars, for running the gateway as a child process (the testbed's
// `command:` form). Empty variables keep the default. Bad values are errors
// naming the variable; the result is validated.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := DefaultConfig()
	if err := c.ApplyEnv(getenv); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// ApplyEnv overrides c with the variables in EnvVars that are set, so a
// config file and the environment combine (the environment wins). It does
// not validate.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
	}
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	boolean := func(name string, dst *bool) {
		if v := getenv(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(name, "expected true or false, got %q", v)
				return
			}
			*dst = b
		}
	}
	integer := func(name string, dst *int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad(name, "expected an integer, got %q", v)
				return
			}
			*dst = n
		}
	}
	str("DRILL_ADDR", &c.Addr)
	str("DRILL_PRIMARY_NAME", &c.Primary.Name)
	str("DRILL_PRIMARY_KIND", &c.Primary.Kind)
	str("DRILL_PRIMARY_URL", &c.Primary.BaseURL)
	str("DRILL_PRIMARY_MODEL", &c.Primary.Model)
	str("DRILL_PRIMARY_API_KEY", &c.Primary.APIKey)
	secondaryVars := []string{"DRILL_SECONDARY_NAME", "DRILL_SECONDARY_KIND", "DRILL_SECONDARY_MODEL", "DRILL_SECONDARY_API_KEY"}
	switch {
	case getenv("DRILL_SECONDARY_URL") != "" || c.Secondary.configured():
		if !c.Secondary.configured() {
			c.Secondary = Upstream{Name: "secondary", Kind: KindOpenAI, Model: c.Primary.Model}
		}
		str("DRILL_SECONDARY_NAME", &c.Secondary.Name)
		str("DRILL_SECONDARY_KIND", &c.Secondary.Kind)
		str("DRILL_SECONDARY_URL", &c.Secondary.BaseURL)
		str("DRILL_SECONDARY_MODEL", &c.Secondary.Model)
		str("DRILL_SECONDARY_API_KEY", &c.Secondary.APIKey)
	default:
		for _, n := range secondaryVars {
			if getenv(n) != "" {
				bad(n, "set without DRILL_SECONDARY_URL; set the URL too or unset it")
			}
		}
	}
	str("DRILL_SEARCH_URL", &c.SearchURL)
	str("DRILL_CANARY_ANSWER", &c.CanaryAnswer)
	boolean("DRILL_AUTO_FAILOVER", &c.AutoFailover)
	boolean("DRILL_STRICT_VALIDATION", &c.StrictValidation)
	if v := getenv("DRILL_BUDGET_USD_PER_MINUTE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad("DRILL_BUDGET_USD_PER_MINUTE", "expected a number of USD, got %q", v)
		} else {
			c.BudgetUSDPerMin = f
		}
	}
	integer("DRILL_AGENT_MAX_STEPS", &c.AgentMaxSteps)
	integer("DRILL_MAX_ATTEMPTS", &c.MaxAttempts)
	if v := getenv("DRILL_ATTEMPT_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			bad("DRILL_ATTEMPT_TIMEOUT", "expected a Go duration such as 10s, got %q", v)
		} else {
			c.AttemptTimeout = d
		}
	}
	if v := getenv("DRILL_PRICES"); v != "" {
		prices := make(map[string]Price, len(c.Prices))
		for k, p := range c.Prices {
			prices[k] = p // never write into a map the caller may share
		}
		for _, item := range strings.Split(v, ",") {
			model, p, ok := parsePrice(strings.TrimSpace(item))
			if !ok {
				bad("DRILL_PRICES", "expected model=input:output (USD per million tokens), got %q", item)
				continue
			}
			prices[model] = p
		}
		c.Prices = prices
	}
	return errors.Join(errs...)
}

func parsePrice(s string) (string, Price, bool) {
	model, rest, ok := strings.Cut(s, "=")
	if !ok || model == "" {
		return "", Price{}, false
	}
	in, out, ok := strings.Cut(rest, ":")
	if !ok {
		return "", Price{}, false
	}
	fi, err1 := strconv.ParseFloat(in, 64)
	fo, err2 := strconv.ParseFloat(out, 64)
	if err1 != nil || err2 != nil || fi < 0 || fo < 0 {
		return "", Price{}, false
	}
	return model, Price{InputPerMTok: fi, OutputPerMTok: fo}, true
}

// hooks fills the nil hook fields with the real thing.
func (c *Config) hooks() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
}
