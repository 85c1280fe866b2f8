package response

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// incident is one alert group from its first firing until it resolves: the
// policy run, the responders, the runbook. Its goroutine keeps a logical
// drill time (now) that moves from deadline to deadline, so events carry
// exact drill instants even when a virtual clock is advanced in one jump.
type incident struct {
	e         *Engine
	id        int
	key       string
	policyID  string
	groupWait time.Duration // before the first page (the route's group_wait)
	// groupInterval is the route's group_interval: the next flushes of a
	// group whose alerts were all inhibited at its first.
	groupInterval time.Duration
	// route is Alertmanager's key of the matched route; muteIntervals
	// and activeIntervals its time interval names.
	route                          string
	muteIntervals, activeIntervals []string
	alert                          string
	labels                         map[string]string
	annotations                    map[string]string
	start                          time.Time
	rng                            *rand.Rand
	budget                         *budget // what it may still send and write

	// guarded by e.mu
	firing     map[string]map[string]string // the group's firing alerts: fingerprint → labels
	names      map[string]bool              // alert names in the group
	paged      bool
	acked      bool
	done       bool // the goroutine ended: nobody listens for acks
	resolvedAt time.Time
	holders    map[string]string // role id → user holding it

	acks     chan ackReq   // live or Engine.Ack acknowledgements
	resolved chan struct{} // closed when every alert of the group resolved

	held *ackReq   // an ack taken from acks that is later than the deadline waited for
	now  time.Time // logical drill time of this goroutine
	rule int       // current 1-based policy level
	loop int       // current 1-based loop
}

// ackReq is an acknowledgement from outside the simulation, stamped when
// it was given.
type ackReq struct {
	user string
	at   time.Time
}

type wake int

const (
	wakeTime wake = iota
	wakeAck
	wakeResolved
	wakeDone
)

// wait blocks until drill time until (zero: no deadline), an external ack,
// the group's resolution or ctx's end. Deadlines already passed return at
// once, which is how the goroutine catches up after a large Advance.
func (in *incident) wait(ctx context.Context, until time.Time, interruptible bool) (wake, string) {
	acks, resolved := in.acks, in.resolved
	if !interruptible {
		acks, resolved = nil, nil
	}
	select {
	case <-ctx.Done():
		return wakeDone, ""
	default:
	}
	// A resolution or an ack that came before the deadline wins over it,
	// even when the clock has since passed the deadline (a large
	// Advance): the alert resolved, or the responder acknowledged, before
	// the next notification went out. Of the two, the earlier wins.
	if acks != nil && in.held == nil {
		select {
		case a := <-acks:
			in.held = &a
		default:
		}
	}
	var held *ackReq
	if acks != nil && in.held != nil && (until.IsZero() || !in.held.at.After(until)) {
		held = in.held
	}
	if resolved != nil {
		select {
		case <-resolved:
			if ra := in.resolvedTime(); (until.IsZero() || !ra.After(until)) && (held == nil || ra.Before(held.at)) {
				in.now = later(in.now, ra)
				return wakeResolved, ""
			}
		default:
		}
	}
	if held != nil {
		in.held = nil
		in.now = later(in.now, held.at)
		return wakeAck, held.user
	}
	if in.held != nil {
		acks = nil // held until a later deadline
	}
	var timer <-chan time.Time
	if !until.IsZero() {
		d := until.Sub(in.e.clock.Now())
		if d <= 0 {
			in.now = later(in.now, until)
			return wakeTime, ""
		}
		timer = in.e.clock.After(d)
	}
	select {
	case <-ctx.Done():
		return wakeDone, ""
	case <-timer:
		in.now = later(in.now, until)
		return wakeTime, ""
	case a := <-acks:
		in.now = later(in.now, a.at)
		return wakeAck, a.user
	case <-resolved:
		in.now = later(in.now, in.resolvedTime())
		return wakeResolved, ""
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (in *incident) resolvedTime() time.Time {
	in.e.mu.Lock()
	defer in.e.mu.Unlock()
	return in.resolvedAt
}

func (in *incident) attrs(kv ...string) map[string]string {
	m := map[string]string{"alert": in.alert, "policy": in.policyID, "group": in.key}
	if in.rule > 0 {
		m["rule"] = strconv.Itoa(in.rule)
		m["loop"] = strconv.Itoa(in.loop)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// emit writes an event of the incident at its drill time; false when the
// incident reached a limit and stops.
func (in *incident) emit(kind timeline.Kind, subject, msg string, attrs map[string]string) bool {
	return in.write(timeline.Event{At: in.now, Kind: kind, Subject: subject, Labels: in.labels, Attrs: attrs, Message: msg})
}

func (in *incident) broken(subject, kind, reason, msg string, kv ...string) {
	in.emit(timeline.BrokenLink, subject, msg, in.attrs(append([]string{"kind", kind, "reason", reason}, kv...)...))
}

func (in *incident) run(ctx context.Context) {
	defer in.e.wg.Done()
	defer func() {
		in.e.mu.Lock()
		in.done = true
		in.e.mu.Unlock()
	}()
	if !in.groupFlush(ctx) {
		return
	}
	pol, ok := in.e.esc.Policy(in.policyID)
	if !ok {
		in.broken(in.policyID, "policy", "missing", fmt.Sprintf("alert %s routes to policy %s, which does not exist: nobody is paged", in.alert, in.policyID))
		return
	}
	in.e.mu.Lock()
	in.paged = true
	in.e.mu.Unlock()
	if !in.e.opt.Live && len(in.e.esc.RolesFor(in.labels["severity"])) > 0 {
		in.e.wg.Add(1)
		go in.assignRoles(ctx, in.now)
	}
	pending := map[string]time.Time{} // user → when their simulated ack lands
	for loop := 1; loop <= pol.Runs(); loop++ {
		for ri, rule := range pol.Rules {
			// Deadlines already passed do not block (a large Advance, a
			// level with escalate_after 0): the loop itself looks for the
			// drill's end, or the incident's limit.
			if ctx.Err() != nil {
				return
			}
			prev := in.rule
			in.rule, in.loop = ri+1, loop
			if loop > 1 || ri > 0 {
				in.emit(timeline.Escalate, in.alert, fmt.Sprintf("not acknowledged within %s; escalating to rule %d (loop %d)", pol.Rules[max(prev-1, 0)].EscalateAfter, in.rule, loop),
					in.attrs("from_rule", strconv.Itoa(prev), "reason", "not acknowledged"))
			}
			users := in.targets(rule)
			notes := in.page(users)
			out, by := in.watch(ctx, notes, pending, in.now.Add(rule.EscalateAfter.D()))
			switch out {
			case wakeAck:
				in.acknowledged(ctx, by, pol)
				return
			case wakeResolved, wakeDone:
				return
			}
		}
	}
	if ctx.Err() != nil {
		return
	}
	in.emit(timeline.PolicyExhausted, in.alert, fmt.Sprintf("policy %s ran %d time(s) without an acknowledgement", pol.ID, pol.Runs()),
		in.attrs("loops", strconv.Itoa(pol.Runs())))
	// Nobody is paged again, but a slow responder may still answer, and in
	// live mode a human may acknowledge at any time.
	if out, by := in.watch(ctx, nil, pending, time.Time{}); out == wakeAck {
		in.acknowledged(ctx, by, pol)
	}
}

// targets resolves a policy level to the active users it reaches now,
// emitting a BrokenLink for every link that cannot reach a human.
func (in *incident) targets(rule *team.PolicyRule) []reach {
	esc := in.e.esc
	var users []reach
	seen := map[string]bool{}
	add := func(id, via string) {
		u, ok := esc.User(id)
		switch {
		case !ok:
			in.broken(id, "user", "missing", fmt.Sprintf("%s names user %s, who does not exist", via, id), "target", via)
		case !u.IsActive():
			in.broken(id, "user", "inactive", fmt.Sprintf("%s reaches user %s, who is inactive", via, id), "target", via)
		case !seen[id]:
			seen[id] = true
			users = append(users, reach{id, via})
		}
	}
	for _, t := range rule.Targets {
		via := t.String()
		switch {
		case t.Schedule != "":
			on, err := esc.OnCall(t.Schedule, in.now)
			if err != nil {
				in.broken(t.Schedule, "schedule", "missing", fmt.Sprintf("policy %s names schedule %s, which does not exist", in.policyID, t.Schedule), "target", via)
				continue
			}
			if len(on) == 0 {
				local := in.now
				if s, ok := esc.Schedule(t.Schedule); ok && s.Location() != nil {
					local = in.now.In(s.Location())
				}
				in.broken(t.Schedule, "schedule", "empty_slot", fmt.Sprintf("nobody is on call on schedule %s at %s", t.Schedule, local.Format("Mon 2006-01-02 15:04 MST")), "target", via)
				continue
			}
			for _, u := range on {
				add(u, via)
			}
		case t.User != "":
			add(t.User, via)
		default:
			g, ok := esc.Team(t.Team)
			if !ok {
				in.broken(t.Team, "team", "missing", fmt.Sprintf("policy %s names team %s, which does not exist", in.policyID, t.Team), "target", via)
				continue
			}
			if len(g.Members) == 0 {
				in.broken(t.Team, "team", "no_members", fmt.Sprintf("team %s has no members", t.Team), "target", via)
				continue
			}
			for _, u := range g.Members {
				add(u, via+" ("+t.Team+")")
			}
		}
	}
	if len(users) == 0 {
		in.broken(fmt.Sprintf("%s/rule %d", in.policyID, in.rule), "rule", "nobody", fmt.Sprintf("rule %d of policy %s reaches nobody", in.rule, in.policyID))
	}
	return users
}

// reach is a user a level reaches, and through which target.
type reach struct{ user, via string }

// notification is one contact method firing for a paged user.
type notification struct {
	at      time.Time
	user    string
	method  string
	address string
}

// page records a Page per user and returns their notifications in time
// order, from their notification rules.
func (in *incident) page(users []reach) []notification {
	var notes []notification
	for _, p := range users {
		id := p.user
		u, _ := in.e.esc.User(id)
		if !in.emit(timeline.Page, id, fmt.Sprintf("paged for %s via %s (policy %s, rule %d)", in.alert, p.via, in.policyID, in.rule), in.attrs("target", p.via)) {
			return nil // the incident reached a limit and stops
		}
		in.e.mu.Lock()
		in.e.pages = append(in.e.pages, Page{Alert: in.alert, Group: in.key, Policy: in.policyID, Rule: in.rule, Loop: in.loop, Target: p.via, User: id, At: in.now})
		in.e.mu.Unlock()
		if in.e.opt.Live && in.e.opt.Pager != nil {
			in.e.showPage(in, id)
		}
		if len(u.NotificationRules) == 0 {
			in.broken(id, "user", "no_notification_rules", fmt.Sprintf("user %s has no notification rules: the page reaches no device", id))
			continue
		}
		for _, r := range u.NotificationRules {
			addr := ""
			found := false
			for _, c := range u.ContactMethods {
				if c.Type == r.Via {
					addr, found = c.Address, true
					break
				}
			}
			if !found {
				in.broken(id, "contact_method", "missing", fmt.Sprintf("user %s's notification rule uses %s, but the user has no %s contact method", id, r.Via, r.Via))
				continue
			}
			notes = append(notes, notification{at: in.now.Add(r.After.D()), user: id, method: r.Via, address: addr})
		}
	}
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].at.Before(notes[j].at) })
	return notes
}

// watch delivers notifications and acknowledgements until deadline (zero:
// none). It returns wakeAck with the user who acknowledged, wakeTime at
// the deadline (or when nothing is left to wait for), wakeResolved or
// wakeDone.
func (in *incident) watch(ctx context.Context, notes []notification, pending map[string]time.Time, deadline time.Time) (wake, string) {
	i := 0
	for {
		if ctx.Err() != nil {
			return wakeDone, ""
		}
		for ; i < len(notes) && !notes[i].at.After(in.now); i++ {
			n := notes[i]
			if !in.emit(timeline.Notify, n.user, fmt.Sprintf("%s via %s", in.alert, n.method), in.attrs("method", n.method, "address", n.address)) {
				return wakeDone, "" // the incident reached a limit and stops
			}
			if _, waiting := pending[n.user]; !waiting && !in.e.opt.Live && in.e.available(n.user) {
				pending[n.user] = in.now.Add(in.e.opt.Responders.For(n.user).AckDelay.Sample(in.rng))
			}
		}
		// Acks due now, earliest first; the first reachable one wins.
		var due []string
		for u, at := range pending {
			if !at.After(in.now) {
				due = append(due, u)
			}
		}
		sort.Slice(due, func(a, b int) bool {
			if !pending[due[a]].Equal(pending[due[b]]) {
				return pending[due[a]].Before(pending[due[b]])
			}
			return due[a] < due[b]
		})
		for _, u := range due {
			at := pending[u]
			delete(pending, u)
			if in.e.available(u) {
				in.now = later(in.now, at)
				in.ack(u, "simulated")
				return wakeAck, u
			}
		}
		if !deadline.IsZero() && !in.now.Before(deadline) {
			return wakeTime, ""
		}
		next := deadline
		if i < len(notes) && (next.IsZero() || notes[i].at.Before(next)) {
			next = notes[i].at
		}
		for _, at := range pending {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		if next.IsZero() && !in.e.opt.Live {
			return wakeTime, "" // nothing left that could acknowledge
		}
		switch w, u := in.wait(ctx, next, true); w {
		case wakeAck:
			in.ack(u, "live")
			return wakeAck, u
		case wakeResolved, wakeDone:
			return w, ""
		}
	}
}

func (in *incident) ack(user, how string) {
	in.e.mu.Lock()
	in.acked = true
	at := in.now
	for i := range in.e.pages {
		if p := &in.e.pages[i]; p.Group == in.key && p.AckedBy == "" && !p.At.Before(in.start) {
			p.AckedBy, p.AckedAt = user, &at
		}
	}
	in.e.mu.Unlock()
	in.emit(timeline.Ack, user, fmt.Sprintf("acknowledged %s after %s", in.alert, in.now.Sub(in.start).Round(time.Second)),
		in.attrs("via", how, "since_firing", in.now.Sub(in.start).String()))
}
