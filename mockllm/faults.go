package mockllm

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
)

// Fault modes. The names and their params are a contract with the fault
// catalog: add modes, never rename them.
const (
	ModeError            = "error"              // {status, type, code, message, retry_after}
	ModeQuota            = "quota"              // 429 insufficient_quota
	ModeGarbage          = "garbage"            // {kind}
	ModeStreamCut        = "stream_cut"         // {after_tokens}
	ModeStreamStall      = "stream_stall"       // {after_tokens, delay}
	ModeSlowFirstToken   = "slow_first_token"   // {delay}
	ModeSlowTokens       = "slow_tokens"        // {delay} per token
	ModeMalformedChunk   = "malformed_chunk"    // {after_tokens}
	ModeStreamErrorEvent = "stream_error_event" // {after_tokens}
	ModeRateLimit        = "rate_limit"         // {rpm, tpm}
	ModeBilling          = "billing"            // {factor, tokens}
	ModePrice            = "price"              // {factor}
	ModeRunawayTools     = "runaway_tools"
	// ModePromptFilter: the provider's content filter refuses the prompt,
	// on the surfaces whose provider has one (Azure OpenAI's 400
	// content_filter, Gemini's promptFeedback, a Bedrock guardrail's
	// guardrail_intervened; see promptfilter.go); {category}.
	ModePromptFilter = "prompt_filter"
)

// Prompt filter categories: Azure OpenAI's, the four harm categories
// judged by severity and the jailbreak (prompt shield) one judged as
// detected; the other surfaces map them to their own (promptfilter.go).
const (
	FilterHate      = "hate"
	FilterSelfHarm  = "self_harm"
	FilterSexual    = "sexual"
	FilterViolence  = "violence"
	FilterJailbreak = "jailbreak"
)

// FilterCategories are the prompt_filter fault's categories.
var FilterCategories = []string{FilterHate, FilterSelfHarm, FilterSexual, FilterViolence, FilterJailbreak}

// Garbage kinds.
const (
	GarbageRandomTokens  = "random_tokens"
	GarbageWrongLanguage = "wrong_language"
	GarbageInvalidJSON   = "invalid_json"
	GarbageRepeatLoop    = "repeat_loop"
	GarbageEmpty         = "empty"
	GarbageRefusal       = "refusal"
	GarbageBadToolArgs   = "bad_tool_args"
	// GarbageSchemaViolation: tool-call arguments are JSON that breaks the
	// tool's schema (a required property left out, or of the wrong type).
	GarbageSchemaViolation = "schema_violation"
	// GarbageUnknownTool: the model calls a tool that was not offered.
	GarbageUnknownTool = "unknown_tool"
	// GarbageToolLength: the answer stops for length in the middle of a
	// tool call's arguments.
	GarbageToolLength = "tool_length"
	// GarbageContentFilter: the answer stops part-way for the provider's
	// content filter.
	GarbageContentFilter = "content_filter"
	GarbageWrongAnswer   = "wrong_answer"
)

var garbageKinds = []string{GarbageRandomTokens, GarbageWrongLanguage, GarbageInvalidJSON, GarbageRepeatLoop,
	GarbageEmpty, GarbageRefusal, GarbageBadToolArgs, GarbageWrongAnswer,
	GarbageSchemaViolation, GarbageUnknownTool, GarbageToolLength, GarbageContentFilter}

// FaultParams are the parameters of every mode; each mode uses some of
// them (see the mode constants) and refuses the others.
type FaultParams struct {
	// error
	Status     int    `json:"status,omitempty" yaml:"status,omitempty"`
	Type       string `json:"type,omitempty" yaml:"type,omitempty"`
	Code       string `json:"code,omitempty" yaml:"code,omitempty"`
	Message    string `json:"message,omitempty" yaml:"message,omitempty"`
	RetryAfter int    `json:"retry_after,omitempty" yaml:"retry_after,omitempty"` // seconds
	// garbage
	Kind string `json:"kind,omitempty" yaml:"kind,omitempty"`
	// stream faults
	AfterTokens int                `json:"after_tokens,omitempty" yaml:"after_tokens,omitempty"`
	Delay       faultmode.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
	// rate_limit
	RPM int `json:"rpm,omitempty" yaml:"rpm,omitempty"`
	TPM int `json:"tpm,omitempty" yaml:"tpm,omitempty"`
	// billing, price
	Factor float64 `json:"factor,omitempty" yaml:"factor,omitempty"`
	Tokens string  `json:"tokens,omitempty" yaml:"tokens,omitempty"` // prompt|completion|both
	// prompt_filter
	Category string `json:"category,omitempty" yaml:"category,omitempty"`
}

// Fault is a fault of this server.
type Fault = faultmode.Fault[FaultParams]

var modeFields = map[string][]string{
	ModeError:            {"status", "type", "code", "message", "retry_after"},
	ModeQuota:            {},
	ModeGarbage:          {"kind"},
	ModeStreamCut:        {"after_tokens"},
	ModeStreamStall:      {"after_tokens", "delay"},
	ModeSlowFirstToken:   {"delay"},
	ModeSlowTokens:       {"delay"},
	ModeMalformedChunk:   {"after_tokens"},
	ModeStreamErrorEvent: {"after_tokens"},
	ModeRateLimit:        {"rpm", "tpm"},
	ModeBilling:          {"factor", "tokens"},
	ModePrice:            {"factor"},
	ModeRunawayTools:     {},
	ModePromptFilter:     {"category"},
}

// Modes returns the fault modes, sorted.
func Modes() []string {
	out := make([]string, 0, len(modeFields))
	for m := range modeFields {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// validateFault is the faultmode.Validator of mockllm.
func validateFault(mode string, p FaultParams) error {
	allowed, ok := modeFields[mode]
	if !ok {
		return faultmode.UnknownMode(mode, Modes())
	}
	set := map[string]bool{
		"status": p.Status != 0, "type": p.Type != "", "code": p.Code != "", "message": p.Message != "",
		"retry_after": p.RetryAfter != 0, "kind": p.Kind != "", "after_tokens": p.AfterTokens != 0,
		"delay": p.Delay != 0, "rpm": p.RPM != 0, "tpm": p.TPM != 0, "factor": p.Factor != 0, "tokens": p.Tokens != "",
		"category": p.Category != "",
	}
	for _, f := range allowed {
		delete(set, f)
	}
	var errs []error
	var unused []string
	for f, isSet := range set {
		if isSet {
			unused = append(unused, f)
		}
	}
	sort.Strings(unused)
	for _, f := range unused {
		errs = append(errs, fmt.Errorf("params.%s: not used by mode %s (it takes: %s)", f, mode, orNone(allowed)))
	}
	in := func(field string, r faultmode.Range[int64], v int, what string) {
		if !r.Contains(int64(v)) {
			errs = append(errs, fmt.Errorf("params.%s: want %s %s, got %d", field, what, r, v))
		}
	}
	switch mode {
	case ModeError:
		if !faultmode.ErrorStatusRange.Contains(int64(p.Status)) {
			errs = append(errs, fmt.Errorf("params.status: required, want an HTTP error status %s, got %d", faultmode.ErrorStatusRange, p.Status))
		}
		if !faultmode.RetryAfterRange.Contains(faultmode.Seconds(p.RetryAfter)) {
			errs = append(errs, fmt.Errorf("params.retry_after: want whole seconds %s, got %d", faultmode.RetryAfterRange, p.RetryAfter))
		}
	case ModeGarbage:
		if !contains(garbageKinds, p.Kind) {
			errs = append(errs, fmt.Errorf("params.kind: want one of %s, got %s", strings.Join(garbageKinds, ", "), faultmode.Quote(p.Kind)))
		}
	case ModePromptFilter:
		if !contains(FilterCategories, p.Category) {
			errs = append(errs, fmt.Errorf("params.category: want one of %s, got %s", strings.Join(FilterCategories, ", "), faultmode.Quote(p.Category)))
		}
	case ModeStreamCut, ModeMalformedChunk, ModeStreamErrorEvent, ModeStreamStall:
		in("after_tokens", faultmode.AfterTokensRange, p.AfterTokens, "tokens")
		if mode == ModeStreamStall {
			errs = checkDelay(errs, p.Delay, "30s")
		}
	case ModeSlowFirstToken, ModeSlowTokens:
		errs = checkDelay(errs, p.Delay, "2s")
	case ModeRateLimit:
		in("rpm", faultmode.PerMinuteRange, p.RPM, "requests per minute")
		in("tpm", faultmode.PerMinuteRange, p.TPM, "tokens per minute")
		if p.RPM == 0 && p.TPM == 0 {
			errs = append(errs, errors.New("params.rpm, params.tpm: want at least one above 0, got neither"))
		}
	case ModeBilling:
		if p.Factor == 0 {
			errs = append(errs, fmt.Errorf("params.factor: required, want a number %s", faultmode.BillingFactorRange))
		} else if !faultmode.BillingFactorRange.Contains(p.Factor) {
			errs = append(errs, fmt.Errorf("params.factor: want a number %s, got %v", faultmode.BillingFactorRange, p.Factor))
		}
		if !contains([]string{"prompt", "completion", "both"}, p.Tokens) {
			errs = append(errs, fmt.Errorf("params.tokens: want prompt, completion or both, got %s", faultmode.Quote(p.Tokens)))
		}
	case ModePrice:
		if p.Factor == 0 {
			errs = append(errs, fmt.Errorf("params.factor: required, want a number %s", faultmode.PriceFactorRange))
		} else if !faultmode.PriceFactorRange.Contains(p.Factor) {
			errs = append(errs, fmt.Errorf("params.factor: want a number %s, got %v", faultmode.PriceFactorRange, p.Factor))
		}
	}
	return errors.Join(errs...)
}

// checkDelay checks a mode's required delay against faultmode.DelayRange.
func checkDelay(errs []error, d faultmode.Duration, example string) []error {
	switch {
	case d == 0:
		return append(errs, fmt.Errorf("params.delay: required, want a duration such as %s, %s", example, faultmode.DelayRange))
	case !faultmode.DelayRange.Contains(time.Duration(d)):
		return append(errs, fmt.Errorf("params.delay: want a duration %s, got %s", faultmode.DelayRange, time.Duration(d)))
	}
	return errs
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no params"
	}
	return strings.Join(s, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p FaultParams) delay() time.Duration { return time.Duration(p.Delay) }
