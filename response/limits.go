package response

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// Limits bound the work of one incident. An incident that would send more
// pages or notifications, or write more events to the timeline, than its
// limit stops at the limit with a harness error that names its policy (on
// the timeline and on Engine.Err): a policy that pages without end is a
// defect of the team's escalation, and a drill must end, not fill memory.
type Limits struct {
	// Pages is the most pages one incident sends, over every level and
	// loop of its policy.
	Pages int
	// Notifications is the most notifications (a contact method firing
	// for a paged user) one incident sends.
	Notifications int
	// Events is the most events one incident writes to the timeline:
	// pages, notifications, escalations, broken links, role claims,
	// runbook steps.
	Events int
}

// DefaultLimits are the limits of an Engine whose Options leave them
// zero: far above what any real policy sends in one incident (nine loops
// of a five-level policy paging ten people each is 450 pages).
var DefaultLimits = Limits{Pages: 1000, Notifications: 5000, Events: 20000}

func (l Limits) withDefaults() Limits {
	if l.Pages <= 0 {
		l.Pages = DefaultLimits.Pages
	}
	if l.Notifications <= 0 {
		l.Notifications = DefaultLimits.Notifications
	}
	if l.Events <= 0 {
		l.Events = DefaultLimits.Events
	}
	return l
}

// CheckPolicies refuses escalation policies the engine cannot run to an
// end: a policy that repeats its rules (loops above 1) while every rule
// escalates after 0 would page again and again in no drill time at all.
// Each problem names the policy's file, line and field. A run, `drill run
// --plan` and `drill lint` call it (scenarios.Validate) before any world
// starts; New refuses the same.
func CheckPolicies(esc *team.Escalation) error {
	if esc == nil {
		return nil
	}
	var errs []error
	index := map[string]int{} // the policy's index in its own file
	for _, p := range esc.Policies {
		i := index[p.File]
		index[p.File]++
		if msg := ZeroDelayLoop(p); msg != "" {
			errs = append(errs, fmt.Errorf("%s:%d:%d: policies[%d].loops: %s", p.File, p.Pos.Line, p.Pos.Col, i, msg))
		}
	}
	return errors.Join(errs...)
}

// ZeroDelayLoop says why p is a zero-delay loop (loops above 1, every
// rule's escalate_after 0), or "" when it is not: the one predicate a
// check of escalation files shares with CheckPolicies.
func ZeroDelayLoop(p *team.Policy) string {
	if p.Runs() < 2 || len(p.Rules) == 0 {
		return ""
	}
	for _, r := range p.Rules {
		if r.EscalateAfter.D() > 0 {
			return ""
		}
	}
	return fmt.Sprintf("policy %s repeats its rules %d times and every rule's escalate_after is 0, so each loop pages again "+
		"in no drill time; give a rule an escalate_after above 0, or set loops to 1", p.ID, p.Runs())
}

// budget counts what one incident sent and wrote, against its limits. The
// incident's goroutine and its role goroutine share it.
type budget struct {
	limits Limits
	cancel context.CancelFunc // stops the incident's goroutines

	mu           sync.Mutex
	pages, notes int
	events       int
	exceeded     error // set once, when a limit is reached
}

// spend counts one event of kind and reports whether it may be written.
// The first event over a limit sets exceeded and cancels the incident.
func (b *budget) spend(kind timeline.Kind) (ok bool, first error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.exceeded != nil {
		return false, nil
	}
	var what string
	var n, limit int
	switch kind {
	case timeline.Page:
		b.pages++
		what, n, limit = "pages", b.pages, b.limits.Pages
	case timeline.Notify:
		b.notes++
		what, n, limit = "notifications", b.notes, b.limits.Notifications
	}
	b.events++
	if what == "" || n <= limit {
		what, n, limit = "events", b.events, b.limits.Events
	}
	if n <= limit {
		return true, nil
	}
	b.exceeded = fmt.Errorf("%d %s, the most one incident may send (response.Limits); "+
		"its levels page without an acknowledgement for longer than a drill can follow: lower loops or raise escalate_after", limit, what)
	if what == "events" {
		b.exceeded = fmt.Errorf("%d events on the timeline, the most one incident may write (response.Limits): "+
			"its loops, broken links, role claims and runbook steps together are more than a drill can follow", limit)
	}
	b.cancel()
	return false, b.exceeded
}

// write appends an event of the incident to the timeline unless the
// incident reached one of its limits; it reports whether it did. The event
// that reaches a limit is replaced by the incident's harness error.
func (in *incident) write(ev timeline.Event) bool {
	ok, first := in.budget.spend(ev.Kind)
	if first != nil {
		in.overLimit(ev.At, first)
	}
	if ok {
		in.e.emit(ev)
	}
	return ok
}

// overLimit writes the harness error of an incident that reached a limit
// and reports it to the engine. It names the policy and where it is
// written, which is what a team has to fix. It reads only fields that
// never change: either of the incident's goroutines may call it.
func (in *incident) overLimit(at time.Time, reason error) {
	var about []string
	if p, ok := in.e.esc.Policy(in.policyID); ok {
		if p.File != "" {
			about = append(about, fmt.Sprintf("%s:%d", p.File, p.Pos.Line))
		}
		if p.Runs() > 1 {
			about = append(about, fmt.Sprintf("loops: %d", p.Runs()))
		}
	}
	where := ""
	if len(about) > 0 {
		where = " (" + strings.Join(about, ", ") + ")"
	}
	err := fmt.Errorf("response: incident %s of alert %s stopped: policy %s%s reached %v",
		in.key, in.alert, in.policyID, where, reason)
	in.e.emit(timeline.Event{At: at, Kind: timeline.HarnessError, Subject: in.policyID, Labels: in.labels,
		Attrs:   map[string]string{"alert": in.alert, "policy": in.policyID, "group": in.key, "reason": "incident_limit"},
		Message: err.Error()})
	in.e.fail(err)
}

// fail records the first harness failure of the engine for Err.
func (e *Engine) fail(err error) {
	e.failOnce.Do(func() {
		e.failure <- err
	})
	e.logger.Warn("response", "error", err.Error())
}

// Err delivers the first harness failure of the engine while it runs: an
// incident that reached one of its Limits. The engine goes on with its
// other incidents; a drill that gets one is a harness error.
func (e *Engine) Err() <-chan error { return e.failure }
