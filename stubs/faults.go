package stubs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
)

// Params are the parameters of a stub fault. Which ones a mode takes is
// listed in its ModeSpec; the JSON names are a contract with the fault
// catalog and the control API.
type Params struct {
	// Status is the HTTP status of an error fault (400-599, required), or
	// of an outage that answers instead of dropping the connection
	// (500-599).
	Status int `json:"status,omitempty" yaml:"status,omitempty"`
	// Body replaces the default body of an error fault.
	Body string `json:"body,omitempty" yaml:"body,omitempty"`
	// RetryAfter is the Retry-After of a rate_limit fault, in seconds;
	// 0 sends DefaultRetryAfter.
	RetryAfter int `json:"retry_after,omitempty" yaml:"retry_after,omitempty"`
	// Rename renames JSON object keys, at any depth, in a schema_change.
	Rename map[string]string `json:"rename,omitempty" yaml:"rename,omitempty"`
	// Drop removes JSON object keys, at any depth, in a schema_change.
	Drop []string `json:"drop,omitempty" yaml:"drop,omitempty"`
	// Delay is added before a slow fault's normal answer.
	Delay faultmode.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
}

// DefaultRetryAfter is the Retry-After, in seconds, of a rate_limit fault
// that sets no retry_after.
const DefaultRetryAfter = 1

// The fault modes a stub understands.
const (
	ModeError              = "error"
	ModeRateLimit          = "rate_limit"
	ModeExpiredCredentials = "expired_credentials"
	ModeMalformed          = "malformed"
	ModeSchemaChange       = "schema_change"
	ModeSlow               = "slow"
	ModeOutage             = "outage"
	ModeEmpty              = "empty"
)

// ModeSpec is one fault mode: the parameters it takes and what it does to
// a matched request. docs/stubs.md's table of fault modes is generated
// from these (go test ./stubs -run TestDocs -update).
type ModeSpec struct {
	Mode   string
	Params []ModeParam
	Effect string // Markdown
}

// ModeParam is one parameter of a fault mode.
type ModeParam struct {
	Name     string // its JSON and YAML name in params
	Type     string // what it takes, in words: "seconds", "HTTP status 400-599"
	Required bool
	Default  string // what an absent one means; empty when absence means none
}

// modeSpecs are the fault modes, in documentation order.
var modeSpecs = []ModeSpec{
	{ModeError, []ModeParam{{Name: "status", Type: "HTTP status " + faultmode.ErrorStatusRange.String(), Required: true}, {Name: "body", Type: "string"}},
		"that status; a JSON error body unless `body` is given"},
	{ModeRateLimit, []ModeParam{{Name: "retry_after", Type: "whole seconds " + faultmode.RetryAfterRange.String(), Default: strconv.Itoa(DefaultRetryAfter)}},
		"429 with `Retry-After`"},
	{ModeExpiredCredentials, nil,
		"401, `WWW-Authenticate: Bearer error=\"invalid_token\"`, a token-expired body"},
	{ModeMalformed, nil,
		"the normal status and headers, the body cut in half (no longer valid JSON)"},
	{ModeSchemaChange, []ModeParam{{Name: "rename", Type: "{old: new}"}, {Name: "drop", Type: "[field, ...]"}},
		"JSON object keys renamed / removed at any depth (one of the two is required); not applied (and not counted) to non-JSON bodies"},
	{ModeSlow, []ModeParam{{Name: "delay", Type: "duration " + faultmode.DelayRange.String(), Required: true}},
		"the normal answer after `delay` on top of the route's latency"},
	{ModeOutage, []ModeParam{{Name: "status", Type: "HTTP status " + faultmode.OutageStatusRange.String()}},
		"without `status`: the connection is closed with no response (RST); with it: that status"},
	{ModeEmpty, nil,
		"200 with an empty body"},
}

// ModeSpecs returns every fault mode, in documentation order.
func ModeSpecs() []ModeSpec { return slices.Clone(modeSpecs) }

// Modes lists the fault modes, in documentation order.
var Modes = func() []string {
	out := make([]string, len(modeSpecs))
	for i, m := range modeSpecs {
		out[i] = m.Mode
	}
	return out
}()

// modeParams is which parameters each mode takes.
var modeParams = func() map[string][]string {
	out := make(map[string][]string, len(modeSpecs))
	for _, m := range modeSpecs {
		out[m.Mode] = []string{}
		for _, p := range m.Params {
			out[m.Mode] = append(out[m.Mode], p.Name)
		}
	}
	return out
}()

// Validate is the faultmode.Validator for stub faults.
func Validate(mode string, p Params) error { return validateParams(mode, p) }

func validateParams(mode string, p Params) error {
	takes, ok := modeParams[mode]
	if !ok {
		return faultmode.UnknownMode(mode, Modes)
	}
	var errs []error
	set := map[string]bool{
		"status":      p.Status != 0,
		"body":        p.Body != "",
		"retry_after": p.RetryAfter != 0,
		"rename":      len(p.Rename) > 0,
		"drop":        len(p.Drop) > 0,
		"delay":       p.Delay != 0,
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if set[k] && !slices.Contains(takes, k) {
			what := "no parameters"
			if len(takes) > 0 {
				what = strings.Join(takes, ", ")
			}
			errs = append(errs, fmt.Errorf("params.%s: mode %s does not take %s; it takes %s", k, mode, k, what))
		}
	}
	switch mode {
	case ModeError:
		if !faultmode.ErrorStatusRange.Contains(int64(p.Status)) {
			errs = append(errs, fmt.Errorf("params.status: required for mode error; want an HTTP error status %s, got %d", faultmode.ErrorStatusRange, p.Status))
		}
	case ModeRateLimit:
		if !faultmode.RetryAfterRange.Contains(faultmode.Seconds(p.RetryAfter)) {
			errs = append(errs, fmt.Errorf("params.retry_after: want whole seconds %s, got %d", faultmode.RetryAfterRange, p.RetryAfter))
		}
	case ModeSchemaChange:
		if len(p.Rename) == 0 && len(p.Drop) == 0 {
			errs = append(errs, errors.New("params: mode schema_change needs rename ({old: new}) or drop ([field, ...])"))
		}
		for k, v := range p.Rename {
			if k == "" || v == "" {
				errs = append(errs, fmt.Errorf("params.rename: want non-empty names, got %s: %s", faultmode.Quote(k), faultmode.Quote(v)))
			}
		}
	case ModeSlow:
		switch {
		case p.Delay == 0:
			errs = append(errs, fmt.Errorf("params.delay: required for mode slow; want a duration such as 2s, %s", faultmode.DelayRange))
		case !faultmode.DelayRange.Contains(time.Duration(p.Delay)):
			errs = append(errs, fmt.Errorf("params.delay: want a duration %s, got %s", faultmode.DelayRange, time.Duration(p.Delay)))
		}
	case ModeOutage:
		if p.Status != 0 && !faultmode.OutageStatusRange.Contains(int64(p.Status)) {
			errs = append(errs, fmt.Errorf("params.status: want a 5xx status (%s) for an outage that answers, or none to drop connections, got %d", faultmode.OutageStatusRange, p.Status))
		}
	}
	return errors.Join(errs...)
}

// splitErrors flattens a joined error into its messages.
func splitErrors(err error) []string {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []string{err.Error()}
}

// expiredBody mimics what OAuth-style APIs answer for a stale token.
const expiredBody = `{"error":{"type":"authentication_error","code":"token_expired","message":"The access token provided has expired. Refresh your credentials and retry."}}`

// malform cuts a body in half so it no longer parses as JSON.
func malform(body []byte) []byte {
	cut := append([]byte(nil), body[:len(body)/2]...)
	if len(cut) == 0 || json.Valid(cut) {
		cut = append(cut, []byte(`{"truncated":`)...)
	}
	return cut
}

// reshape applies a schema_change to a JSON body. ok is false when the
// body is not JSON, so the fault has nothing to change.
func reshape(body []byte, p Params) ([]byte, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		return body, false
	}
	drop := map[string]bool{}
	for _, d := range p.Drop {
		drop[d] = true
	}
	v = reshapeValue(v, p.Rename, drop)
	out, err := json.Marshal(v)
	if err != nil {
		return body, false
	}
	return out, true
}

func reshapeValue(v any, rename map[string]string, drop map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if drop[k] {
				continue
			}
			if nk, ok := rename[k]; ok {
				k = nk
			}
			out[k] = reshapeValue(e, rename, drop)
		}
		return out
	case []any:
		for i := range x {
			x[i] = reshapeValue(x[i], rename, drop)
		}
		return x
	}
	return v
}
