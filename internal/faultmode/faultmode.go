package faultmode

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/drillkit/drill/internal/strictyaml"
)

// Duration is a time.Duration written as "30s" or "5m" in JSON and YAML.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as 30s or 5m, got %q", b)
	}
	if v < 0 {
		return fmt.Errorf("want a non-negative duration, got %q", b)
	}
	*d = Duration(v)
	return nil
}

// ParseScalar and Expected make Duration a strictyaml.Scalar, for the
// YAML files faults are written in.
func (d *Duration) ParseScalar(s string) error { return d.UnmarshalText([]byte(s)) }

// Expected says what a Duration accepts.
func (*Duration) Expected() string { return strictyaml.ExpectedDuration }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Scope says which requests a fault applies to.
type Scope struct {
	// Target is a glob over what the server routes by (a model for mockllm,
	// a route name for stubs); empty matches everything.
	Target string `json:"target,omitempty" yaml:"target,omitempty"`
	// Probability that a matching request is affected, from 0 to 1;
	// unset means every matching request.
	Probability *float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	// Count limits the fault to the first Count affected requests; 0 means
	// no limit.
	Count int `json:"count,omitempty" yaml:"count,omitempty"`
	// Duration ends the fault this long after it was added; 0 means until
	// removed.
	Duration Duration `json:"duration,omitempty" yaml:"duration,omitempty"`
}

// Fault is one fault of mode Mode with the server's parameters P.
type Fault[P any] struct {
	ID     string `json:"id,omitempty" yaml:"id,omitempty"`
	Mode   string `json:"mode" yaml:"mode"`
	Scope  `yaml:",inline"`
	Params P `json:"params" yaml:"params,omitempty"`
}

// Status is a fault as the control API lists it.
type Status[P any] struct {
	Fault[P]
	Added    time.Time `json:"added"`
	Affected int64     `json:"affected"` // requests this fault changed
	Active   bool      `json:"active"`   // false once its count or duration is spent
}

// Validator checks a fault's mode and parameters; the error names the bad
// field and what was expected.
type Validator[P any] func(mode string, params P) error

// Set holds the active faults of one server. The zero value is not usable;
// call NewSet.
type Set[P any] struct {
	validate Validator[P]
	now      func() time.Time
	seed     uint64

	mu       sync.Mutex
	faults   []*entry[P] // in the order added; the first that applies wins
	evidence map[string]int64
	nextID   int
	// count is len(faults), readable without mu: a server with no fault
	// on, the usual case, picks none without reading the clock or
	// taking the lock on every request.
	count atomic.Int64
}

type entry[P any] struct {
	fault Fault[P]
	added time.Time
	rng   *rand.Rand
	hits  int64
}

// NewSet returns an empty set whose faults are checked by validate and
// whose probabilities are drawn from seed. now may be nil for time.Now.
func NewSet[P any](seed uint64, validate Validator[P], now func() time.Time) *Set[P] {
	if now == nil {
		now = time.Now
	}
	return &Set[P]{validate: validate, now: now, seed: seed, evidence: map[string]int64{}}
}

// Add validates f and activates it. It returns the fault's ID, generated
// when f has none.
func (s *Set[P]) Add(f Fault[P]) (string, error) {
	if err := s.check(f); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) >= MaxFaults {
		return "", fmt.Errorf("the server holds %d faults, the most it takes (faultmode.MaxFaults); remove one first", len(s.faults))
	}
	if f.ID == "" {
		s.nextID++
		f.ID = fmt.Sprintf("%s-%d", f.Mode, s.nextID)
	}
	for _, e := range s.faults {
		if e.fault.ID == f.ID {
			return "", fmt.Errorf("fault %q already exists; remove it first or choose another id", f.ID)
		}
	}
	if _, known := s.evidence[f.ID]; !known && len(s.evidence) >= MaxEvidence {
		return "", fmt.Errorf("the server keeps evidence for %d fault IDs, the most it takes (faultmode.MaxEvidence); reuse an ID or start a new server", len(s.evidence))
	}
	h := fnv.New64a()
	h.Write([]byte(f.ID))
	s.faults = append(s.faults, &entry[P]{
		fault: f,
		added: s.now(),
		rng:   rand.New(rand.NewPCG(s.seed, h.Sum64())),
	})
	s.count.Store(int64(len(s.faults)))
	if _, ok := s.evidence[f.ID]; !ok {
		s.evidence[f.ID] = 0
	}
	return f.ID, nil
}

func (s *Set[P]) check(f Fault[P]) error {
	var errs []error
	modeOK := true
	switch {
	case f.Mode == "":
		errs, modeOK = append(errs, errors.New("mode: required")), false
	case len(f.Mode) > MaxModeBytes:
		errs, modeOK = append(errs, fmt.Errorf("mode: want at most %d bytes, got %d", MaxModeBytes, len(f.Mode))), false
	}
	if p := f.Probability; p != nil && !ProbabilityRange.Contains(*p) {
		errs = append(errs, fmt.Errorf("probability: want a number %s, got %v", ProbabilityRange, *p))
	}
	if !CountRange.Contains(int64(f.Count)) {
		errs = append(errs, fmt.Errorf("count: want a whole number %s (0 is no limit), got %d", CountRange, f.Count))
	}
	switch {
	case len(f.Target) > MaxTargetBytes:
		errs = append(errs, fmt.Errorf("target: want a glob of at most %d bytes, got %d", MaxTargetBytes, len(f.Target)))
	case f.Target != "":
		if _, err := path.Match(f.Target, ""); err != nil {
			errs = append(errs, fmt.Errorf("target: bad glob %s: %v", Quote(f.Target), err))
		}
	}
	switch {
	case len(f.ID) > MaxIDBytes:
		errs = append(errs, fmt.Errorf("id: want at most %d bytes, got %d", MaxIDBytes, len(f.ID)))
	case strings.IndexFunc(f.ID, badIDRune) >= 0:
		errs = append(errs, fmt.Errorf("id: must be UTF-8 text without '/', spaces or control characters, got %s", Quote(f.ID)))
	}
	if modeOK && s.validate != nil {
		if err := s.validate(f.Mode, f.Params); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// badIDRune is a character a fault ID must not hold: a '/' (IDs are path
// segments of the control API), a space, a control character or a byte
// that is not UTF-8.
func badIDRune(r rune) bool {
	return r == '/' || unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
}

// Remove deactivates the fault with the given ID. Its evidence stays.
func (s *Set[P]) Remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.faults {
		if e.fault.ID == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			s.count.Store(int64(len(s.faults)))
			return true
		}
	}
	return false
}

// Clear removes every fault. Evidence stays.
func (s *Set[P]) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.count.Store(0)
}

// Pick returns the first active fault that applies to a request for
// target, and counts the request as affected by it. Expired faults (count
// or duration spent) never apply.
func (s *Set[P]) Pick(target string) (Fault[P], bool) {
	return s.pick(target, func(Fault[P]) bool { return true })
}

// PickMode is Pick restricted to faults for which keep returns true, for
// servers that consult faults at several points of a request (before it
// starts, while it streams).
func (s *Set[P]) PickMode(target string, keep func(Fault[P]) bool) (Fault[P], bool) {
	return s.pick(target, keep)
}

func (s *Set[P]) pick(target string, keep func(Fault[P]) bool) (Fault[P], bool) {
	if s.count.Load() == 0 {
		var zero Fault[P]
		return zero, false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.faults {
		if !e.live(now) || !keep(e.fault) {
			continue
		}
		if e.fault.Target != "" {
			if ok, _ := path.Match(e.fault.Target, target); !ok {
				continue
			}
		}
		if p := e.fault.Probability; p != nil && e.rng.Float64() >= *p {
			continue
		}
		e.hits++
		s.evidence[e.fault.ID]++
		return e.fault, true
	}
	var zero Fault[P]
	return zero, false
}

// Record counts one request as affected by the fault with the given ID;
// servers use it for faults they apply outside Pick (a forced fault from a
// request header).
func (s *Set[P]) Record(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evidence[id]++
}

func (e *entry[P]) live(now time.Time) bool {
	if e.fault.Count > 0 && e.hits >= int64(e.fault.Count) {
		return false
	}
	if d := time.Duration(e.fault.Duration); d > 0 && now.Sub(e.added) >= d {
		return false
	}
	return true
}

// List returns every fault still in the set, active or spent, in the
// order added.
func (s *Set[P]) List() []Status[P] {
	if s.count.Load() == 0 {
		return []Status[P]{}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status[P], 0, len(s.faults))
	for _, e := range s.faults {
		out = append(out, Status[P]{Fault: e.fault, Added: e.added, Affected: s.evidence[e.fault.ID], Active: e.live(now)})
	}
	return out
}

// Evidence returns, for every fault ever added (removed ones too), how
// many requests it affected.
func (s *Set[P]) Evidence() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.evidence))
	for k, v := range s.evidence {
		out[k] = v
	}
	return out
}

// Affected returns how many requests the fault with the given ID affected.
func (s *Set[P]) Affected(id string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evidence[id]
}

// IDs returns the IDs of the faults in the set, sorted.
func (s *Set[P]) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.faults))
	for _, e := range s.faults {
		ids = append(ids, e.fault.ID)
	}
	sort.Strings(ids)
	return ids
}

// FormatProbability renders a probability for messages: "30%".
func FormatProbability(p *float64) string {
	if p == nil {
		return "100%"
	}
	return strconv.FormatFloat(*p*100, 'f', -1, 64) + "%"
}

// UnknownMode is the control API's error for a mode it does not have:
// the valid modes, and, when mode is written as one of drill's fault
// kinds ("provider-quota", "rate-limit", "stub-slow"), the mode it
// likely means. The catalog names kinds with hyphens and a target
// prefix; the control API takes the mock's own mode names, which
// docs/faults.md gives for each kind.
func UnknownMode(mode string, valid []string) error {
	msg := fmt.Sprintf("mode: unknown %s; valid modes: %s", Quote(mode), strings.Join(valid, ", "))
	switch m := SuggestMode(mode, valid); {
	case m != "":
		msg += fmt.Sprintf("; did you mean %s? The control API takes a mock's mode names, not drill's fault kinds (docs/faults.md gives each kind's mode)", Quote(m))
	case strings.Contains(mode, "-"):
		msg += "; the control API takes a mock's mode names, not drill's fault kinds (docs/faults.md gives each kind's mode)"
	}
	return errors.New(msg)
}

// SuggestMode is the mode of valid that a fault kind written as mode
// names, or "" when none: the kind without its target prefix
// ("provider-", "stub-"), hyphens as underscores, or its first word
// ("billing-spike" is mode billing).
func SuggestMode(mode string, valid []string) string {
	if len(mode) > MaxModeBytes || !strings.Contains(mode, "-") {
		return ""
	}
	name := mode
	for _, prefix := range []string{"provider-", "stub-"} {
		name = strings.TrimPrefix(name, prefix)
	}
	first, _, _ := strings.Cut(name, "-")
	for _, cand := range []string{strings.ReplaceAll(name, "-", "_"), first} {
		if slices.Contains(valid, cand) {
			return cand
		}
	}
	return ""
}
