package stubs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
)

// Params are the parameters of a stub fault. Which ones a mode takes is
// listed in modeParams; the JSON names are a contract with the fault
// catalog and the control API.
type Params struct {
	// Status is the HTTP status of an error fault (400-599, required), or
	// of an outage that answers instead of dropping the connection
	// (500-599).
	Status int `json:"status,omitempty" yaml:"status,omitempty"`
	// Body replaces the default body of an error fault.
	Body string `json:"body,omitempty" yaml:"body,omitempty"`
	// RetryAfter is the Retry-After of a rate_limit fault, in seconds;
	// 0 sends 1.
	RetryAfter int `json:"retry_after,omitempty" yaml:"retry_after,omitempty"`
	// Rename renames JSON object keys, at any depth, in a schema_change.
	Rename map[string]string `json:"rename,omitempty" yaml:"rename,omitempty"`
	// Drop removes JSON object keys, at any depth, in a schema_change.
	Drop []string `json:"drop,omitempty" yaml:"drop,omitempty"`
	// Delay is added before a slow fault's normal answer.
	Delay faultmode.Duration `json:"delay,omitempty" yaml:"delay,omitempty"`
}

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

// Modes lists the fault modes, in documentation order.
var Modes = []string{ModeError, ModeRateLimit, ModeExpiredCredentials, ModeMalformed, ModeSchemaChange, ModeSlow, ModeOutage, ModeEmpty}

// modeParams is which parameters each mode takes.
var modeParams = map[string][]string{
	ModeError:              {"status", "body"},
	ModeRateLimit:          {"retry_after"},
	ModeExpiredCredentials: nil,
	ModeMalformed:          nil,
	ModeSchemaChange:       {"rename", "drop"},
	ModeSlow:               {"delay"},
	ModeOutage:             {"status"},
	ModeEmpty:              nil,
}

// Validate is the faultmode.Validator for stub faults.
func Validate(mode string, p Params) error { return validateParams(mode, p) }

func validateParams(mode string, p Params) error {
	takes, ok := modeParams[mode]
	if !ok {
		return fmt.Errorf("mode: unknown %s; valid modes: %s", faultmode.Quote(mode), strings.Join(Modes, ", "))
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
		if set[k] && !contains(takes, k) {
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
