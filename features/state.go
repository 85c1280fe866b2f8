package features

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// DefaultControlWindow is the shortest drill time a scenario runs before
// its first fault, so that alerts which fire without any fault show as
// false alarms. A run makes it longer when the team's alerting rules need
// more to show noise (see scenarios.ControlWindow).
const DefaultControlWindow = 5 * time.Minute

// State is one scenario's step state: its world and what its steps did.
type State struct {
	Env           Env
	ControlWindow time.Duration

	mu          sync.Mutex
	startedAt   time.Time
	controlDone bool
	lastFaultAt time.Time
	// firstFaultAt is when the first fault went on (its FaultOn event):
	// an alert already pending or firing then did not detect it.
	firstFaultAt time.Time
	faults       []string // IDs in the order injected
	expected     map[string]bool
	// tolerated are the expected alerts only a "may fire" step names: no
	// firing of theirs is the detection the scenario times.
	tolerated map[string]bool
	// subject is the firing the latest step about an alert waited for:
	// what a later "it" or "the alert" refers to.
	subject timeline.Event
}

// NewState returns the step state of one scenario whose steps expect the
// given alerts.
func NewState(env Env, expectedAlerts []string) *State {
	return &State{Env: env, ControlWindow: DefaultControlWindow, expected: setOf(expectedAlerts), tolerated: map[string]bool{}}
}

// setOf is the set of the alerts.
func setOf(alerts []string) map[string]bool {
	m := make(map[string]bool, len(alerts))
	for _, a := range alerts {
		m[a] = true
	}
	return m
}

// SetExpected replaces the alerts the scenario's steps expect.
func (s *State) SetExpected(alerts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expected = setOf(alerts)
}

// SetTolerated replaces the alerts the scenario only tolerates (see
// ToleratedAlerts).
func (s *State) SetTolerated(alerts []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tolerated = setOf(alerts)
}

// Tolerated returns the alerts the scenario only tolerates, sorted: those
// of its "may fire" steps that no step waited for.
func (s *State) Tolerated() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.tolerated))
}

// Faults returns the IDs of the faults injected so far.
func (s *State) Faults() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.faults...)
}

// Expected returns the alerts the scenario's steps expect, sorted.
func (s *State) Expected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.expected))
}

// ExpectedAlerts scans a scenario's step texts for the alerts it expects
// to fire (or tolerates), before any step runs: an alert is explained by
// the scenario even when the step naming it is never reached.
func ExpectedAlerts(stepTexts []string) []string {
	var out []string
	for _, t := range stepTexts {
		if m, ok := matchOne(t); ok && m.err == nil && catalog[m.step].expects {
			out = append(out, m.args[0])
		}
	}
	return out
}

// ToleratedAlerts are the alerts of ExpectedAlerts that only a step
// tolerating them names ("may fire"): the scenario does not wait for
// them, so their firings are no false alarms and no detection either.
func ToleratedAlerts(stepTexts []string) []string {
	var tolerated []string
	awaited := map[string]bool{}
	for _, t := range stepTexts {
		m, ok := matchOne(t)
		if !ok || m.err != nil || !catalog[m.step].expects {
			continue
		}
		if catalog[m.step].tolerates {
			if !slices.Contains(tolerated, m.args[0]) {
				tolerated = append(tolerated, m.args[0])
			}
		} else {
			awaited[m.args[0]] = true
		}
	}
	return slices.DeleteFunc(tolerated, func(a string) bool { return awaited[a] })
}

// waitsForFiring is whether a step of catalog index i waits for an alert
// to fire (the detection a scenario's time to detect measures): the steps
// whose wait rule establishes a firing, and the resolve steps, which
// wait for their alert to fire before it can resolve.
func waitsForFiring(i int) bool {
	f := catalog[i].Form
	return waits[f].sets == fromFiring || f == `the alert resolves[ within {duration}]` || f == `alert {alert} resolves within {duration}`
}

// ExpectsAlert reports whether a step of the scenario waits for an alert
// to fire. A scenario none of whose steps does (it checks that no alert
// fires, or that the service holds up, tolerating some with "may fire")
// has no detection to time: scoring.Scenario.NoAlertExpected.
func ExpectsAlert(stepTexts []string) bool {
	for _, t := range stepTexts {
		if i := stepIndex(t); i >= 0 && waitsForFiring(i) {
			return true
		}
	}
	return false
}

func (s *State) ensureStarted(ctx context.Context) error {
	if s.Env.Started() {
		return nil
	}
	if err := s.Env.Start(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.startedAt = s.Env.Clock().Now()
	s.mu.Unlock()
	return nil
}

// beforeFault ends the control window: it waits until the window has
// passed since the world started, then records its end.
func (s *State) beforeFault(ctx context.Context) error {
	if err := s.ensureStarted(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	done, start := s.controlDone, s.startedAt
	s.mu.Unlock()
	if done {
		return nil
	}
	c := s.Env.Clock()
	if wait := start.Add(s.ControlWindow).Sub(c.Now()); wait > 0 {
		if err := timeline.Sleep(ctx, c, wait); err != nil {
			return err
		}
	}
	s.Env.Log().Append(timeline.Event{Kind: timeline.ControlEnd, Message: fmt.Sprintf("control window of %s ended", s.ControlWindow)})
	s.mu.Lock()
	s.controlDone = true
	s.mu.Unlock()
	return nil
}

func (s *State) inject(ctx context.Context, kind, target string, params map[string]string, d time.Duration) error {
	if err := s.beforeFault(ctx); err != nil {
		return err
	}
	id, err := s.Env.Inject(ctx, kind, target, params, d)
	if err != nil {
		return err
	}
	now := s.Env.Clock().Now()
	s.mu.Lock()
	first := s.firstFaultAt.IsZero()
	s.mu.Unlock()
	if first {
		// The scorecard judges detection from the first FaultOn event;
		// the steps use the same instant.
		if e, ok := s.Env.Log().Find(timeline.OfKind(timeline.FaultOn, "")); ok {
			now = e.At
		}
	}
	s.mu.Lock()
	s.faults = append(s.faults, id)
	s.lastFaultAt = s.Env.Clock().Now()
	if first {
		s.firstFaultAt = now
	}
	s.mu.Unlock()
	return nil
}

// detection matches a firing of alert (of any alert when alert is "")
// that can be the detection of the scenario's fault: its episode began
// after the first fault went on (timeline.Detects). A firing of an
// episode already under way then is noise, and detects nothing. Before
// any fault, every firing matches.
func (s *State) detection(alert string) timeline.Match {
	s.mu.Lock()
	fault := s.firstFaultAt
	s.mu.Unlock()
	return func(e timeline.Event) bool {
		return e.Kind == timeline.AlertFiring && (alert == "" || e.Subject == alert) &&
			(fault.IsZero() || timeline.Detects(e, fault))
	}
}

// noise returns the firings of alert (any alert when "") stamped at or
// after from whose episode was already under way when the first fault
// went on, and when each began.
func (s *State) noise(alert string, from time.Time) []timeline.Event {
	s.mu.Lock()
	fault := s.firstFaultAt
	s.mu.Unlock()
	if fault.IsZero() {
		return nil
	}
	var out []timeline.Event
	for _, e := range s.Env.Log().Sorted() {
		if e.Kind == timeline.AlertFiring && (alert == "" || e.Subject == alert) && !e.At.Before(from) && !timeline.Detects(e, fault) {
			out = append(out, e)
		}
	}
	return out
}

// noiseNote explains a firing that is noise, for a failure message.
func (s *State) noiseNote(e timeline.Event) string {
	return fmt.Sprintf("%s was already pending before the fault, at %s: its firing at %s is noise, not a detection; only a new episode, after it resolved, could detect the fault",
		e.Subject, s.at(timeline.EpisodeStart(e)), s.at(e.At))
}

// at writes a drill time for a step's message as the scorecard writes
// it: its offset from the scenario's start ("+02:30", scoring.Offset
// from scoring.StartOf), so that a failure and the timeline it points
// at read alike.
func (s *State) at(t time.Time) string {
	return scoring.Offset(t.Sub(scoring.StartOf(s.Env.Log().Events())))
}

// sinceWhat names the instant sinceFault returns, for messages.
func (s *State) sinceWhat() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastFaultAt.IsZero() {
		return "this step (no fault was injected before it)"
	}
	return "the fault"
}

// since returns the reference instant for a deadline: the latest fault,
// or now when no fault was injected.
func (s *State) sinceFault() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastFaultAt.IsZero() {
		return s.Env.Clock().Now()
	}
	return s.lastFaultAt
}

// waitFrom waits for an event matching m stamped at or after from, with a
// deadline of d after from.
func (s *State) waitFrom(ctx context.Context, from time.Time, d time.Duration, m timeline.Match) (timeline.Event, error) {
	within := from.Add(d).Sub(s.Env.Clock().Now())
	return s.Env.Log().Wait(ctx, func(e timeline.Event) bool { return !e.At.Before(from) && m(e) }, within)
}

// maxStepDuration bounds a step's drill durations: a drill that waits
// longer than a year is a typo, and larger values overflow.
const maxStepDuration = 365 * 24 * time.Hour

func fmtDays(d time.Duration) string { return strconv.Itoa(int(d/(24*time.Hour))) + "d" }

// fmtDur renders a drill duration briefly: 4m30s, not 4m30.000s.
func fmtDur(d time.Duration) string { return d.Round(time.Second).String() }

// setSubject records the firing a step waited for as the subject of the
// steps after it.
func (s *State) setSubject(e timeline.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subject = e
}

// subjectFiring is the firing of the latest step about an alert, when it
// came after the latest fault.
func (s *State) subjectFiring() (timeline.Event, error) {
	s.mu.Lock()
	e, fault := s.subject, s.lastFaultAt
	s.mu.Unlock()
	if e.Kind == "" || e.At.Before(fault) {
		return e, errors.New("no step before names an alert that fired")
	}
	return e, nil
}
