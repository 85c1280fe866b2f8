package mockllm

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// Config is everything a mockllm server needs. Start it from DefaultConfig
// or LoadConfig; the zero value is not usable.
type Config struct {
	// Addr is the address to listen on; empty means "127.0.0.1:0".
	Addr string `yaml:"addr,omitempty"`
	// Seed makes generated content, embeddings, sampled latencies and fault
	// probabilities reproducible.
	Seed uint64 `yaml:"seed"`
	// Models served. A config file that lists models replaces the defaults.
	Models []Model `yaml:"models"`
	// Answers maps prompt patterns to fixed answers, checked in order
	// before the built-in canary entry (which is always last).
	Answers []Answer `yaml:"answers,omitempty"`
	// Faults active from the start.
	Faults []faultmode.Fault[FaultParams] `yaml:"faults,omitempty"`
	// JournalSize bounds the request journal (ring buffer).
	JournalSize int `yaml:"journal_size,omitempty"`
	// MaxBodyBytes bounds a request body; larger ones get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes,omitempty"`
	// RequireAPIKey answers 401 to requests without an API key, as real
	// providers do (Gemini: 403 PERMISSION_DENIED). Off by default so any
	// client works.
	RequireAPIKey bool `yaml:"require_api_key,omitempty"`
	// VLLM, when set, makes the server a self-hosted vLLM as its
	// monitoring sees it: vLLM's own metric set on /metrics and its load
	// model (see VLLM).
	VLLM *VLLM `yaml:"vllm,omitempty"`
	// Surfaces are the provider APIs the server answers (see
	// AllSurfaces); empty means all of them.
	Surfaces []string `yaml:"surfaces,omitempty"`
	// Deployments map Azure OpenAI deployment names to the openai models
	// they serve ({prod-gpt4o: gpt-4o}); with a map, those are the only
	// deployments there are. Without one (nil), a deployment is named
	// after its model.
	Deployments map[string]string `yaml:"deployments,omitempty"`

	// Sleeper is the clock latencies are waited on; nil means real time.
	// Tests inject one that does not sleep.
	Sleeper Sleeper `yaml:"-"`
	// Logger receives request errors worth knowing about; nil discards.
	Logger *slog.Logger `yaml:"-"`
}

// Model is one model the server answers for.
type Model struct {
	Name string `yaml:"name"`
	// Provider is "openai", "anthropic", "gemini" or "bedrock": which API
	// serves the model. Azure OpenAI deployments serve the openai models.
	Provider string `yaml:"provider"`
	// Kind is "chat" or "embedding".
	Kind string `yaml:"kind,omitempty"`
	// ContextWindow bounds prompt plus max output tokens.
	ContextWindow int `yaml:"context_window,omitempty"`
	// MaxOutputTokens bounds a completion.
	MaxOutputTokens int `yaml:"max_output_tokens,omitempty"`
	// Dimensions of an embedding model's vectors.
	Dimensions int `yaml:"dimensions,omitempty"`
	// Price in USD per million tokens.
	Price Price `yaml:"price"`
	// Latency model.
	Latency Latency `yaml:"latency"`
	// OutputTokens is the range of generated answer lengths (before
	// max_tokens caps them).
	OutputTokens TokenRange `yaml:"output_tokens,omitempty"`
	// RateLimit applies per API key to this model from the start.
	RateLimit RateLimit `yaml:"rate_limit,omitempty"`
}

// Price is USD per million tokens.
type Price struct {
	InputPerMTok  float64 `yaml:"input_per_mtok"`
	OutputPerMTok float64 `yaml:"output_per_mtok"`
}

// TokenRange is an inclusive range of token counts.
type TokenRange struct {
	Min int `yaml:"min"`
	Max int `yaml:"max"`
}

// RateLimit is requests and tokens per minute; 0 means unlimited.
type RateLimit struct {
	RPM int `yaml:"rpm,omitempty" json:"rpm,omitempty"`
	TPM int `yaml:"tpm,omitempty" json:"tpm,omitempty"`
}

// Latency is a model's latency: time to first token, inter-token latency,
// and how many requests it serves at once before the rest queue.
type Latency struct {
	TTFT Dist `yaml:"ttft"`
	ITL  Dist `yaml:"itl"`
	// Capacity is the number of concurrent requests served; more wait in a
	// queue (their time to first token grows). 0 means unlimited.
	Capacity int `yaml:"capacity,omitempty"`
}

// Dist is a distribution of durations. In YAML it is either a duration
// ("300ms", constant) or {dist: constant|normal|lognormal, mean, stddev}.
type Dist struct {
	Kind   string        `yaml:"dist"`
	Mean   time.Duration `yaml:"mean"`
	Stddev time.Duration `yaml:"stddev,omitempty"`
}

// Distribution kinds.
const (
	DistConstant  = "constant"
	DistNormal    = "normal"
	DistLognormal = "lognormal"
)

// Constant returns a distribution that is always d.
func Constant(d time.Duration) Dist { return Dist{Kind: DistConstant, Mean: d} }

// distExpected is what a Dist accepts, in messages.
const distExpected = "a duration such as 300ms or {dist: lognormal, mean: 300ms, stddev: 80ms}"

// DecodeYAML makes Dist a strictyaml.Decodable: a bare duration is a
// constant, a mapping is {dist, mean, stddev} (dist defaults to
// constant).
func (d *Dist) DecodeYAML(c *strictyaml.Cursor) {
	switch n := c.Node(); {
	case c.IsNull():
	case n.Kind == yaml.MappingNode:
		type plain Dist // without this method
		var p plain
		if c.Decode(&p) {
			if p.Kind == "" {
				p.Kind = DistConstant
			}
			*d = Dist(p)
		}
	case n.Kind == yaml.ScalarNode:
		v, err := time.ParseDuration(n.Value)
		if err != nil {
			c.Expected(distExpected)
			return
		}
		*d = Constant(v)
	default:
		c.Expected(distExpected)
	}
}

// Answer is one entry of the answer table: a prompt matching Prompt (a Go
// regular expression, matched against the last user message) gets Answer.
type Answer struct {
	Prompt string `yaml:"prompt"`
	Answer string `yaml:"answer"`

	re     *regexp.Regexp
	canary bool // the built-in canary entry
}

// matches reports whether a prompt gets this entry's answer. The canary
// entry, tried on every request, answers ASCII prompts without the
// regexp engine: for ASCII text, (?i) folds exactly as ASCII case does.
func (a *Answer) matches(prompt string) bool {
	if a.re == nil {
		return false
	}
	if a.canary && isASCII(prompt) {
		return containsFoldASCII(prompt, CanaryPrompt)
	}
	return a.re.MatchString(prompt)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII reports whether s contains sub, ASCII letters
// compared without case; sub is lower case.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// The canary entry, always present at the end of the answer table: a
// prompt containing "drill canary" (any case) is answered with exactly
// CanaryAnswer, unless the garbage fault of kind wrong_answer is active, in
// which case it gets CanaryWrongAnswer. Traffic generators and the
// reference gateway use it to check answer quality.
const (
	CanaryPrompt      = "drill canary"
	CanaryAnswer      = "The drill canary is alive: 4096."
	CanaryWrongAnswer = "The drill canary is alive: 4069."
	canaryPattern     = "(?i)drill canary"
)

// Provider names.
const (
	ProviderOpenAI    = "openai"
	ProviderAnthropic = "anthropic"
	// ProviderGemini models are served by the Gemini API
	// (/v1beta/models/{model}:generateContent).
	ProviderGemini = "gemini"
	// ProviderAzure is not a model's provider but a surface: Azure OpenAI
	// (/openai/deployments/{deployment}/...) serves the openai models, by
	// the deployment names of Config.Deployments, or, without them, by
	// their own names.
	ProviderAzure = "azure"
	// ProviderBedrock models are served by the Amazon Bedrock Runtime API
	// (/model/{modelId}/converse, /invoke and their streams), named by
	// their Bedrock model IDs; an inference profile ("us.", "eu.", ...)
	// or an ARN ending in the ID finds the model too.
	ProviderBedrock = "bedrock"
)

// Model kinds.
const (
	KindChat      = "chat"
	KindEmbedding = "embedding"
)

// DefaultConfig returns a server with realistic OpenAI, Anthropic and Gemini chat
// models and an embedding model, at list prices and typical latencies.
func DefaultConfig() Config {
	out := TokenRange{Min: 40, Max: 160}
	logn := func(mean, sd time.Duration) Dist { return Dist{Kind: DistLognormal, Mean: mean, Stddev: sd} }
	norm := func(mean, sd time.Duration) Dist { return Dist{Kind: DistNormal, Mean: mean, Stddev: sd} }
	ms := time.Millisecond
	return Config{
		Addr: "127.0.0.1:0",
		Seed: 1,
		Models: []Model{
			{Name: "gpt-4o", Provider: ProviderOpenAI, Kind: KindChat, ContextWindow: 128000, MaxOutputTokens: 16384,
				Price: Price{2.50, 10.00}, Latency: Latency{TTFT: logn(450*ms, 150*ms), ITL: norm(12*ms, 3*ms), Capacity: 256}, OutputTokens: out},
			{Name: "gpt-4o-mini", Provider: ProviderOpenAI, Kind: KindChat, ContextWindow: 128000, MaxOutputTokens: 16384,
				Price: Price{0.15, 0.60}, Latency: Latency{TTFT: logn(350*ms, 100*ms), ITL: norm(8*ms, 2*ms), Capacity: 256}, OutputTokens: out},
			{Name: "claude-sonnet-4-5", Provider: ProviderAnthropic, Kind: KindChat, ContextWindow: 200000, MaxOutputTokens: 64000,
				Price: Price{3.00, 15.00}, Latency: Latency{TTFT: logn(800*ms, 250*ms), ITL: norm(14*ms, 3*ms), Capacity: 256}, OutputTokens: out},
			{Name: "claude-haiku-4-5", Provider: ProviderAnthropic, Kind: KindChat, ContextWindow: 200000, MaxOutputTokens: 64000,
				Price: Price{1.00, 5.00}, Latency: Latency{TTFT: logn(500*ms, 150*ms), ITL: norm(7*ms, 2*ms), Capacity: 256}, OutputTokens: out},
			{Name: "gemini-2.5-flash", Provider: ProviderGemini, Kind: KindChat, ContextWindow: 1048576, MaxOutputTokens: 65536,
				Price: Price{0.30, 2.50}, Latency: Latency{TTFT: logn(400*ms, 120*ms), ITL: norm(5*ms, 1*ms), Capacity: 256}, OutputTokens: out},
			{Name: "gemini-embedding-001", Provider: ProviderGemini, Kind: KindEmbedding, ContextWindow: 2048, Dimensions: 3072,
				Price: Price{0.15, 0}, Latency: Latency{TTFT: logn(90*ms, 30*ms), Capacity: 512}},
			{Name: "anthropic.claude-haiku-4-5-20251001-v1:0", Provider: ProviderBedrock, Kind: KindChat, ContextWindow: 200000, MaxOutputTokens: 64000,
				Price: Price{1.00, 5.00}, Latency: Latency{TTFT: logn(600*ms, 180*ms), ITL: norm(8*ms, 2*ms), Capacity: 256}, OutputTokens: out},
			{Name: "amazon.nova-lite-v1:0", Provider: ProviderBedrock, Kind: KindChat, ContextWindow: 300000, MaxOutputTokens: 10000,
				Price: Price{0.06, 0.24}, Latency: Latency{TTFT: logn(350*ms, 100*ms), ITL: norm(6*ms, 2*ms), Capacity: 256}, OutputTokens: out},
			{Name: "text-embedding-3-small", Provider: ProviderOpenAI, Kind: KindEmbedding, ContextWindow: 8191, Dimensions: 1536,
				Price: Price{0.02, 0}, Latency: Latency{TTFT: logn(80*ms, 30*ms), Capacity: 512}},
		},
		JournalSize:  1000,
		MaxBodyBytes: 8 << 20,
	}
}

// LoadConfig reads a YAML config file on top of DefaultConfig.
func LoadConfig(path string) (Config, error) {
	data, err := strictyaml.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes YAML config data on top of DefaultConfig, strictly,
// and validates it: every problem names file:line:col and the field (the
// error is a strictyaml.Problems). file is only used in messages.
func ParseConfig(file string, data []byte) (Config, error) {
	cfg := DefaultConfig()
	doc, probs := strictyaml.Decode(file, data, &cfg)
	if len(probs) > 0 {
		return Config{}, probs.Err()
	}
	cfg.validate(func(field, format string, args ...any) {
		probs = append(probs, doc.Problemf(field, format, args...))
	})
	if len(probs) > 0 {
		return Config{}, probs.Err()
	}
	return cfg, nil
}

// Validate checks a config built in code; errors name the field.
func (c *Config) Validate() error {
	var errs []error
	c.validate(func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", field, fmt.Sprintf(format, args...)))
	})
	return errors.Join(errs...)
}

// validate calls bad for every problem, with its field path.
func (c *Config) validate(bad func(field, format string, args ...any)) {
	if len(c.Models) == 0 {
		bad("models", "want at least one model")
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		f := func(field string) string { return fmt.Sprintf("models[%d].%s", i, field) }
		if m.Name == "" {
			bad(f("name"), "required")
		} else if seen[m.Name] {
			bad(f("name"), "duplicate model %q", m.Name)
		}
		seen[m.Name] = true
		if m.Provider != ProviderOpenAI && m.Provider != ProviderAnthropic && m.Provider != ProviderGemini && m.Provider != ProviderBedrock {
			bad(f("provider"), "want openai, anthropic, gemini or bedrock, got %q", m.Provider)
		}
		switch m.Kind {
		case "", KindChat:
		case KindEmbedding:
			if m.Provider != ProviderOpenAI && m.Provider != ProviderGemini {
				bad(f("kind"), "embedding models are served by the openai and gemini APIs only")
			}
			if m.Dimensions < 1 || m.Dimensions > 8192 {
				bad(f("dimensions"), "want 1 to 8192 for an embedding model, got %d", m.Dimensions)
			}
		default:
			bad(f("kind"), "want chat or embedding, got %q", m.Kind)
		}
		if m.ContextWindow < 0 || m.MaxOutputTokens < 0 {
			bad(f("context_window"), "context_window and max_output_tokens must not be negative")
		}
		if !(m.Price.InputPerMTok >= 0 && m.Price.OutputPerMTok >= 0) || math.IsInf(m.Price.InputPerMTok+m.Price.OutputPerMTok, 0) {
			bad(f("price"), "prices must be finite numbers, 0 or more")
		}
		if m.OutputTokens.Min < 0 || m.OutputTokens.Max < m.OutputTokens.Min {
			bad(f("output_tokens"), "want 0 <= min <= max, got min %d max %d", m.OutputTokens.Min, m.OutputTokens.Max)
		}
		if m.RateLimit.RPM < 0 || m.RateLimit.TPM < 0 {
			bad(f("rate_limit"), "rpm and tpm must be 0 (unlimited) or more")
		}
		if m.Latency.Capacity < 0 {
			bad(f("latency.capacity"), "want 0 (unlimited) or more, got %d", m.Latency.Capacity)
		}
		for _, d := range []struct {
			name string
			d    Dist
		}{{"ttft", m.Latency.TTFT}, {"itl", m.Latency.ITL}} {
			if err := d.d.check(); err != nil {
				bad(f("latency."+d.name), "%v", err)
			}
		}
	}
	for i := range c.Answers {
		a := &c.Answers[i]
		re, err := regexp.Compile(a.Prompt)
		if err != nil {
			bad(fmt.Sprintf("answers[%d].prompt", i), "bad regular expression: %v", err)
			continue
		}
		if a.Prompt == "" {
			bad(fmt.Sprintf("answers[%d].prompt", i), "required")
		}
		a.re = re
	}
	if v := c.VLLM; v != nil {
		if v.KVCacheTokens < 0 {
			bad("vllm.kv_cache_tokens", "want 0 (default %d) or more, got %d", DefaultKVCacheTokens, v.KVCacheTokens)
		}
		if !(v.BatchSlowdown >= 0 && v.BatchSlowdown <= MaxBatchSlowdown) {
			bad("vllm.batch_slowdown", "want 0 (default %v) to %v, got %v", DefaultBatchSlowdown, MaxBatchSlowdown, v.BatchSlowdown)
		}
	}
	seenSurface := map[string]bool{}
	for i, sf := range c.Surfaces {
		switch {
		case !slices.Contains(AllSurfaces, sf):
			bad(fmt.Sprintf("surfaces[%d]", i), "want one of %s, got %q", strings.Join(AllSurfaces, ", "), sf)
		case seenSurface[sf]:
			bad(fmt.Sprintf("surfaces[%d]", i), "duplicate %q", sf)
		}
		seenSurface[sf] = true
	}
	c.validateDeployments(bad)
	if c.JournalSize < 0 {
		bad("journal_size", "want 0 or more, got %d", c.JournalSize)
	}
	if c.MaxBodyBytes < 0 {
		bad("max_body_bytes", "want 0 (default) or more, got %d", c.MaxBodyBytes)
	}
	ids := map[string]bool{}
	for i, f := range c.Faults {
		if f.ID != "" && ids[f.ID] {
			bad(fmt.Sprintf("faults[%d].id", i), "duplicate %q", f.ID)
		}
		ids[f.ID] = true
		if err := validateFault(f.Mode, f.Params); err != nil {
			bad(fmt.Sprintf("faults[%d]", i), "%v", err)
		}
	}
}

// MaxDeploymentName is the longest Azure deployment name, as Azure
// allows.
const MaxDeploymentName = 64

// deploymentRE is an Azure deployment name: letters, digits, '.', '_'
// and '-', starting with a letter or digit.
var deploymentRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// validateDeployments checks the deployments map: valid names, each
// mapped to an openai model the server serves.
func (c *Config) validateDeployments(bad func(field, format string, args ...any)) {
	if c.Deployments == nil {
		return
	}
	if len(c.Deployments) == 0 {
		bad("deployments", "want at least one deployment (name: model), or no deployments key, which names each deployment after its model")
		return
	}
	var served []string
	for _, m := range c.Models {
		if m.Provider == ProviderOpenAI {
			served = append(served, m.Name)
		}
	}
	names := make([]string, 0, len(c.Deployments))
	for d := range c.Deployments {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		field := strictyaml.Join("deployments", d)
		if len(d) > MaxDeploymentName || !deploymentRE.MatchString(d) {
			bad(field, "deployment name: want 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit, got %q", MaxDeploymentName, d)
		}
		if m := c.Deployments[d]; !slices.Contains(served, m) {
			if len(served) == 0 {
				bad(field, "want an openai model of this server, got %q; the server has no openai models", m)
			} else {
				bad(field, "want an openai model of this server (%s), got %q", strings.Join(served, ", "), m)
			}
		}
	}
}

func (d Dist) check() error {
	switch d.Kind {
	case "", DistConstant, DistNormal, DistLognormal:
	default:
		return fmt.Errorf("dist: want constant, normal or lognormal, got %q", d.Kind)
	}
	if d.Mean < 0 || d.Stddev < 0 {
		return fmt.Errorf("mean and stddev must not be negative")
	}
	if d.Kind == DistLognormal && d.Mean == 0 && d.Stddev > 0 {
		return fmt.Errorf("a lognormal distribution needs a mean above 0")
	}
	return nil
}
