package timeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind names what an event records.
type Kind string

// The kinds of event a drill records. Their string values appear in
// scorecards and are stable.
const (
	ScenarioStart Kind = "scenario.start"
	ScenarioEnd   Kind = "scenario.end"
	ControlEnd    Kind = "control.end" // end of the control window before the first fault

	FaultOn  Kind = "fault.on"
	FaultOff Kind = "fault.off"

	AlertPending  Kind = "alert.pending"
	AlertFiring   Kind = "alert.firing"
	AlertResolved Kind = "alert.resolved"

	Page            Kind = "page"     // a policy paged a target
	Notify          Kind = "notify"   // a notification went out through a contact method
	Ack             Kind = "ack"      // a responder acknowledged
	Escalate        Kind = "escalate" // the policy moved to its next rule
	PolicyExhausted Kind = "policy.exhausted"
	BrokenLink      Kind = "broken.link" // an escalation link that cannot reach a human
	RoleAssigned    Kind = "role.assigned"
	StatusUpdate    Kind = "status.update"

	RunbookStart Kind = "runbook.start"
	StepStart    Kind = "step.start"
	StepEnd      Kind = "step.end"
	RunbookEnd   Kind = "runbook.end"

	ConditionMet Kind = "condition.met" // a PromQL condition a step waited for became true
	Recovered    Kind = "recovered"
	// RecoveryUnproven is an alert that resolved, or a condition that
	// came true, without evidence of health: its expression had no data,
	// still read bad, or its target's scrapes failed. A recovery step
	// keeps waiting; the message says why.
	RecoveryUnproven Kind = "recovery.unproven"

	// ScrapeFailed is a metrics target whose scrape failed after it had
	// succeeded (or at its first scrape): its series go stale, and
	// whatever alerts read them see no data. ScrapeRestored is its next
	// good scrape. Subject is the target's job.
	ScrapeFailed   Kind = "scrape.failed"
	ScrapeRestored Kind = "scrape.restored"
	// ServiceExit is a process of the service under test's process group
	// that exited while the service ran (the direct child's exit is a
	// harness error of its own).
	ServiceExit Kind = "service.exit"

	HarnessError Kind = "harness.error"
	// HarnessLag is the harness falling behind the drill clock: the
	// drill goes on, with times less precise than usual.
	HarnessLag Kind = "harness.lag"
	// HarnessWarning is a condition of the drill that made its times
	// less exact than usual, or its false alarms less certain to show,
	// without changing its verdict (at this speed, traffic too thin for a
	// rule's window, or requests spanning more than an evaluation
	// interval; a control window too short for a rule's noise); the
	// message says what and why.
	HarnessWarning Kind = "harness.warning"
	Note           Kind = "note"
)

// SpeedWarning is the subject of the harness.warning that the drill's
// speed made its alert and recovery times approximate; its SteadySpeed
// attribute is the highest speed at which they would not have been.
// ControlWindowWarning is the subject of the harness.warning that the
// control window was too short for some alerting rule to show noise in it.
const (
	SpeedWarning         = "speed"
	SteadySpeed          = "steady_speed"
	ControlWindowWarning = "control-window"
)

// The notes that the team's alertmanager.yml held an alert's page back
// (response writes them, features and scoring read them; HeldBack tells
// them). An inhibit_rules entry: the Reason attribute is Inhibited,
// InhibitedBy names the inhibiting alert and InhibitRule is the rule's
// index in inhibit_rules, from 0. The route's time intervals: Reason is
// TimeMuted and TimeIntervals lists the deciding interval names.
const (
	Reason        = "reason"
	Inhibited     = "inhibited"
	InhibitedBy   = "inhibited_by"
	InhibitRule   = "inhibit_rule"
	TimeMuted     = "time_muted"
	TimeIntervals = "time_intervals"
)

// HeldBack reports whether e is a note that Alertmanager's inhibition
// or a route's time intervals held an alert's page back.
func HeldBack(e Event) bool {
	return e.Kind == Note && (e.Attrs[Reason] == Inhibited || e.Attrs[Reason] == TimeMuted)
}

// Event is one thing that happened in a drill, stamped in drill time.
type Event struct {
	Seq     int64             `json:"seq"`
	At      time.Time         `json:"at"`
	Kind    Kind              `json:"kind"`
	Subject string            `json:"subject,omitempty"` // alert name, fault ID, user ID, step name...
	Labels  map[string]string `json:"labels,omitempty"`
	Attrs   map[string]string `json:"attrs,omitempty"` // annotations, exit code, evidence counts...
	Message string            `json:"message,omitempty"`
}

// String renders the event on one line, for terminals and logs.
func (e Event) String() string {
	return e.At.UTC().Format("15:04:05") + " " + e.Describe()
}

// Describe renders the event without its time, for timelines that show
// offsets instead; a message longer than one line is cut to its first.
func (e Event) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %s", e.Kind, e.Subject)
	if e.Message != "" {
		msg := e.Message
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i] + " …"
		}
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return strings.TrimSpace(b.String())
}

// Match reports whether an event is the one a waiter looks for.
type Match func(Event) bool

// OfKind matches events of kind k whose subject is subject, or any subject
// when subject is empty.
func OfKind(k Kind, subject string) Match {
	return func(e Event) bool { return e.Kind == k && (subject == "" || e.Subject == subject) }
}

// ErrDeadline is returned by Wait when the drill-time deadline passes
// before a matching event.
var ErrDeadline = errors.New("deadline passed")

// Log is the append-only event log of one scenario. It stamps events with
// its clock, keeps them in order and wakes followers and waiters.
type Log struct {
	clock Clock

	mu     sync.Mutex
	events []Event
	change chan struct{} // closed and replaced on every append
}

// NewLog returns an empty log on clock c.
func NewLog(c Clock) *Log {
	return &Log{clock: c, change: make(chan struct{})}
}

// Clock returns the log's clock.
func (l *Log) Clock() Clock { return l.clock }

// Append stamps e with the drill time (unless At is set), gives it a
// sequence number and records it. It returns the recorded event.
func (l *Log) Append(e Event) Event {
	if e.At.IsZero() {
		e.At = l.clock.Now()
	}
	l.mu.Lock()
	e.Seq = int64(len(l.events) + 1)
	l.events = append(l.events, e)
	close(l.change)
	l.change = make(chan struct{})
	l.mu.Unlock()
	return e
}

// Events returns a copy of every event so far, in the order recorded.
func (l *Log) Events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

// Sorted returns the events ordered by drill time, then sequence.
func (l *Log) Sorted() []Event {
	ev := l.Events()
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}

// Find returns the first recorded event that matches, if any.
func (l *Log) Find(m Match) (Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.events {
		if m(e) {
			return e, true
		}
	}
	return Event{}, false
}

// Follower reads a log's events in order, each exactly once, from the
// moment it was made. It never misses an event, however far it falls
// behind: the log keeps them all.
type Follower struct {
	l    *Log
	next int // index of the next event to return
}

// Follow returns a follower of the events appended from now on.
func (l *Log) Follow() *Follower {
	l.mu.Lock()
	defer l.mu.Unlock()
	return &Follower{l: l, next: len(l.events)}
}

// Next returns the events appended since the previous call (or since
// Follow), in order, waiting until there is at least one. It returns
// ctx's error when ctx ends first.
func (f *Follower) Next(ctx context.Context) ([]Event, error) {
	l := f.l
	for {
		l.mu.Lock()
		if f.next < len(l.events) {
			ev := append([]Event(nil), l.events[f.next:]...)
			f.next = len(l.events)
			l.mu.Unlock()
			return ev, nil
		}
		change := l.change
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-change:
		}
	}
}

// Wait returns the first event, already recorded or still to come, that
// matches m and is stamped no later than within of drill time from now.
// It returns ErrDeadline when the deadline passes first and ctx's error
// when ctx ends first.
func (l *Log) Wait(ctx context.Context, m Match, within time.Duration) (Event, error) {
	deadline := l.clock.Now().Add(within)
	// The timer is made only when Wait has to block: a wait that an
	// existing event answers leaves no timer behind on the clock.
	var timer <-chan time.Time
	seen := 0
	for {
		l.mu.Lock()
		for ; seen < len(l.events); seen++ {
			if e := l.events[seen]; m(e) {
				l.mu.Unlock()
				if e.At.After(deadline) {
					return e, fmt.Errorf("%w: the event came at %s, after the deadline %s", ErrDeadline, e.At.Format(time.TimeOnly), deadline.Format(time.TimeOnly))
				}
				return e, nil
			}
		}
		change := l.change
		l.mu.Unlock()
		if timer == nil {
			timer = l.clock.After(deadline.Sub(l.clock.Now()))
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-timer:
			// One last look: an event may have landed with the deadline.
			if e, ok := l.Find(m); ok && !e.At.After(deadline) {
				return e, nil
			}
			return Event{}, ErrDeadline
		case <-change:
		}
	}
}
