package faultmode

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Number is what a Range bounds: whole numbers, ratios and durations.
type Number interface{ ~int64 | ~float64 }

// Range is the interval a numeric fault parameter accepts: from Min to
// Max, both included, or above Min when AboveMin is set ("a factor above
// 1"). NaN is in no range.
type Range[T Number] struct {
	Min, Max T
	AboveMin bool
}

// Contains reports whether v is in the range.
func (r Range[T]) Contains(v T) bool {
	if v != v { // NaN
		return false
	}
	if r.AboveMin && !(v > r.Min) || !r.AboveMin && !(v >= r.Min) {
		return false
	}
	return v <= r.Max
}

// Allows reports whether v, a value of the range's type, is in the range;
// a value of another type is not.
func (r Range[T]) Allows(v any) bool {
	x, ok := v.(T)
	return ok && r.Contains(x)
}

// String says the range in words: "from 400 to 599", "above 1 and at
// most 1000", "from 0s to 24h".
func (r Range[T]) String() string {
	if r.AboveMin {
		return "above " + formatNumber(r.Min) + " and at most " + formatNumber(r.Max)
	}
	return "from " + formatNumber(r.Min) + " to " + formatNumber(r.Max)
}

// Bounds returns the ends as JSON-friendly values (numbers, or duration
// text such as "1h" for durations), for catalogs that list ranges.
func (r Range[T]) Bounds() (lo, hi any, aboveMin bool) {
	return jsonNumber(r.Min), jsonNumber(r.Max), r.AboveMin
}

// Bounds is any Range, whatever its type: what a catalog of parameters of
// several types holds.
type Bounds interface {
	fmt.Stringer
	Allows(v any) bool
	Bounds() (lo, hi any, aboveMin bool)
}

var (
	_ Bounds = Range[int64]{}
	_ Bounds = Range[float64]{}
	_ Bounds = Range[time.Duration]{}
)

func formatNumber[T Number](v T) string {
	switch x := any(v).(type) {
	case time.Duration:
		return FormatDuration(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatInt(int64(v), 10)
}

func jsonNumber[T Number](v T) any {
	switch x := any(v).(type) {
	case time.Duration:
		return FormatDuration(x)
	case float64:
		return x
	}
	return int64(v)
}

// FormatDuration writes d as a person would: 1h, 24h, 1m30s, 500ms.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Seconds is n whole seconds as a duration, saturating at the largest
// duration (and its negative) instead of wrapping: a Retry-After of 10^18
// seconds is out of every range, not a negative duration.
func Seconds(n int) time.Duration {
	const most = math.MaxInt64 / int64(time.Second)
	switch {
	case int64(n) > most:
		return time.Duration(math.MaxInt64)
	case int64(n) < -most:
		return time.Duration(math.MinInt64)
	}
	return time.Duration(n) * time.Second
}

// The ranges of the mocks' fault parameters. Each is declared once, here,
// for the fault catalog (package faults), which checks what a feature
// file, `drill inject` and `drill run --plan` give, and for the control
// APIs of mockllm and the stubs, which check what reaches them: a value a
// step may write is one a mock takes, and the reverse. docs/faults.md
// lists them.
var (
	// ProbabilityRange: the share of matching requests a fault affects.
	ProbabilityRange = Range[float64]{Min: 0, Max: 1}
	// CountRange: a fault that affects only the first N requests; 0 is
	// no limit.
	CountRange = Range[int64]{Min: 0, Max: 1_000_000_000}
	// ErrorStatusRange: the HTTP status of an error fault.
	ErrorStatusRange = Range[int64]{Min: 400, Max: 599}
	// OutageStatusRange: the status of a stub outage that answers instead
	// of cutting the connection.
	OutageStatusRange = Range[int64]{Min: 500, Max: 599}
	// RetryAfterRange: a Retry-After the mocks send, whole seconds on
	// the wire.
	RetryAfterRange = Range[time.Duration]{Min: 0, Max: 24 * time.Hour}
	// AfterTokensRange: the tokens a stream carries before a stream
	// fault strikes.
	AfterTokensRange = Range[int64]{Min: 0, Max: 1_000_000}
	// DelayRange: an injected delay (stall, slow first token, per token,
	// slow stub answer). Delays run in real time, at any drill speed.
	DelayRange = Range[time.Duration]{Min: 0, Max: time.Hour, AboveMin: true}
	// PerMinuteRange: a rate limit's requests or tokens per minute; 0 is
	// no limit of that kind.
	PerMinuteRange = Range[int64]{Min: 0, Max: 1_000_000_000}
	// BillingFactorRange: the multiplier on the token usage a provider
	// reports.
	BillingFactorRange = Range[float64]{Min: 1, Max: 1000, AboveMin: true}
	// PriceFactorRange: the multiplier on a provider's price per token.
	PriceFactorRange = Range[float64]{Min: 0, Max: 1000, AboveMin: true}
)

// Control API limits: what one server's fault set holds and what one
// request may carry. They keep a careless or hostile client of the
// loopback control API from growing a mock without end.
const (
	// MaxFaults is the most faults a server holds at once; adding one
	// more is refused until one is removed.
	MaxFaults = 100
	// MaxEvidence is the most fault IDs a server keeps evidence for,
	// removed faults included; adding a fault with a new ID beyond it is
	// refused (a drill's worlds are fresh servers: this is a bound on a
	// long `drill up`).
	MaxEvidence = 10_000
	// MaxIDBytes bounds a fault's ID.
	MaxIDBytes = 128
	// MaxModeBytes bounds a fault's mode name.
	MaxModeBytes = 64
	// MaxTargetBytes bounds a fault's target glob.
	MaxTargetBytes = 256
	// MaxControlBody bounds the body of a control request, in bytes.
	MaxControlBody = 64 << 10
	// MaxEchoBytes bounds how much of a value a client sent an error quotes.
	MaxEchoBytes = 64
)

// Quote quotes s for an error message, cut to its first MaxEchoBytes (at a
// rune boundary) with the length it had: an error never echoes more of
// what a client sent than that.
func Quote(s string) string {
	if len(s) <= MaxEchoBytes {
		return strconv.Quote(s)
	}
	cut := MaxEchoBytes
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
