package response

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// Incident roles. When an incident's first page goes out, every role its
// alert's severity requires (escalation roles:, required_for) is claimed
// in drill time by an available candidate, after that person's sampled
// claim delay. In live mode nobody is simulated: people claim roles on
// the live endpoint (ClaimRole) and post status updates (PostNote).

// ErrUnknownRole is returned by ClaimRole for a role not in roles:.
var ErrUnknownRole = errors.New("unknown role")

// ErrNoIncident is returned by ClaimRole when no incident is open: a
// role is held for an incident, and a claim before any would be recorded
// as made 0s after a firing that never was.
var ErrNoIncident = errors.New("no incident is open")

// claim is one planned role assignment or status update.
type claim struct {
	at       time.Time
	user     string
	role     *team.Role
	conflict []string // exclusive roles the user also holds
	status   bool     // a status update rather than the claim
}

// planRoles decides, at the first page (at), who claims each required
// role and when. It is pure but for the availability lookups, so that
// tests can check it on a virtual clock.
func (in *incident) planRoles(at time.Time, rng *rand.Rand) (claims []claim, unfilled []string) {
	esc := in.e.esc
	held := map[string][]*team.Role{} // user → roles claimed so far
	// Roles with the fewest people who can fill them are settled first,
	// so that a role only one person can hold is not lost to an
	// exclusive role others could have taken.
	type need struct {
		r     *team.Role
		cands []string
		avail int
	}
	var needs []need
	for _, r := range esc.RolesFor(in.labels["severity"]) {
		cands, err := esc.RoleCandidates(r, at)
		if err != nil {
			in.emitAt(at, timeline.BrokenLink, r.ID, err.Error(), in.roleAttrs(r, "kind", "role", "reason", "missing_source"))
			unfilled = append(unfilled, r.ID)
			continue
		}
		n := 0
		for _, u := range cands {
			if in.e.available(u) {
				n++
			}
		}
		needs = append(needs, need{r, cands, n})
	}
	sort.SliceStable(needs, func(i, j int) bool { return needs[i].avail < needs[j].avail })
	for _, nd := range needs {
		r, cands := nd.r, nd.cands
		type offer struct {
			user string
			at   time.Time
		}
		var offers []offer
		var away []string
		for _, u := range cands {
			if !in.e.available(u) {
				away = append(away, u)
				continue
			}
			offers = append(offers, offer{u, at.Add(in.e.opt.Responders.For(u).claimDelay().Sample(rng))})
		}
		sort.SliceStable(offers, func(i, j int) bool {
			if !offers[i].at.Equal(offers[j].at) {
				return offers[i].at.Before(offers[j].at)
			}
			return offers[i].user < offers[j].user
		})
		conflicts := func(u string) []string {
			var out []string
			for _, h := range held[u] {
				if h.Exclusive(r) {
					out = append(out, h.ID)
				}
			}
			return out
		}
		// The first claimant who holds no exclusive role wins; only when
		// everyone available does, the first of them takes it anyway.
		pick := -1
		for i, o := range offers {
			if len(conflicts(o.user)) == 0 {
				pick = i
				break
			}
		}
		if pick < 0 && len(offers) > 0 {
			pick = 0
		}
		if pick < 0 {
			msg := fmt.Sprintf("nobody can fill role %s (%s) for %s: no active candidate", r.ID, r.From, in.alert)
			if len(away) > 0 {
				msg = fmt.Sprintf("nobody can fill role %s (%s) for %s: %s unavailable", r.ID, r.From, in.alert, strings.Join(away, ", "))
			}
			in.emitAt(at, timeline.BrokenLink, r.ID, msg, in.roleAttrs(r, "kind", "role", "reason", "unfilled"))
			unfilled = append(unfilled, r.ID)
			continue
		}
		o := offers[pick]
		c := claim{at: o.at, user: o.user, role: r, conflict: conflicts(o.user)}
		held[o.user] = append(held[o.user], r)
		claims = append(claims, c)
		if r.StatusUpdate > 0 {
			claims = append(claims, claim{at: o.at.Add(r.StatusUpdate.D()), user: o.user, role: r, status: true})
		}
	}
	sort.SliceStable(claims, func(i, j int) bool { return claims[i].at.Before(claims[j].at) })
	return claims, unfilled
}

// assignRoles plays the planned claims out in drill time until the
// incident resolves or the drill ends.
func (in *incident) assignRoles(ctx context.Context, at time.Time) {
	defer in.e.wg.Done()
	h := fnv.New64a()
	h.Write([]byte("roles/" + in.key))
	rng := rand.New(rand.NewPCG(in.e.opt.Seed, h.Sum64()^uint64(in.id)))
	claims, _ := in.planRoles(at, rng)
	for _, c := range claims {
		if !in.sleepUntil(ctx, c.at) {
			return
		}
		if c.status {
			in.emitAt(c.at, timeline.StatusUpdate, c.user,
				fmt.Sprintf("%s (%s): status update on %s: investigating, next update to follow", c.user, c.role.Title(), in.alert),
				in.roleAttrs(c.role, "via", "simulated"))
			continue
		}
		in.recordHolder(c.role.ID, c.user)
		kv := []string{"via", "simulated", "since_firing", c.at.Sub(in.start).String()}
		msg := fmt.Sprintf("%s claims %s for %s after %s", c.user, c.role.Title(), in.alert, c.at.Sub(at))
		if len(c.conflict) > 0 {
			kv = append(kv, "conflict", strings.Join(c.conflict, ","))
			msg += fmt.Sprintf(" (also holds %s: nobody else was available)", strings.Join(c.conflict, ", "))
		}
		in.emitAt(c.at, timeline.RoleAssigned, c.user, msg, in.roleAttrs(c.role, kv...))
	}
}

// sleepUntil waits for drill time t; false when the drill ended or the
// incident resolved first.
func (in *incident) sleepUntil(ctx context.Context, t time.Time) bool {
	select {
	case <-in.resolved:
		if !in.resolvedTime().After(t) {
			return false
		}
	default:
	}
	d := t.Sub(in.e.clock.Now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-in.e.clock.After(d):
		return true
	case <-in.resolved:
		return in.resolvedTime().After(t)
	}
}

// roleAttrs are the attributes of a role event: the alert, the role and
// what the scorecard needs to judge it (its deadline and exclusions).
// It reads only fields that never change, so any goroutine may call it.
func (in *incident) roleAttrs(r *team.Role, kv ...string) map[string]string {
	m := map[string]string{"alert": in.alert, "policy": in.policyID, "group": in.key, "role": r.ID, "role_name": r.Title()}
	if r.Within > 0 {
		m["within"] = r.Within.D().String()
	}
	if len(r.ExclusiveWith) > 0 {
		m["exclusive_with"] = strings.Join(r.ExclusiveWith, ",")
	}
	if len(r.RequiredFor) > 0 {
		m["required"] = "true"
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func (in *incident) emitAt(at time.Time, kind timeline.Kind, subject, msg string, attrs map[string]string) bool {
	return in.write(timeline.Event{At: at, Kind: kind, Subject: subject, Labels: in.labels, Attrs: attrs, Message: msg})
}

func (in *incident) recordHolder(role, user string) {
	in.e.mu.Lock()
	defer in.e.mu.Unlock()
	if in.holders == nil {
		in.holders = map[string]string{}
	}
	in.holders[role] = user
}

// RoleClaim is the outcome of a live role claim.
type RoleClaim struct {
	Role     string   `json:"role"`
	User     string   `json:"user"`
	Alert    string   `json:"alert,omitempty"`    // the open incident the claim is for
	Previous string   `json:"previous,omitempty"` // who held the role before (a handover)
	Conflict []string `json:"conflict,omitempty"` // exclusive roles the user also holds
	Already  bool     `json:"already,omitempty"`  // the user held the role already: nothing changed
}

// ClaimRole records, as user, the claim of an incident role for the most
// recent open incident. A role not in roles: is ErrUnknownRole; a claim
// while no incident is open is ErrNoIncident.
func (e *Engine) ClaimRole(user, roleID string) (RoleClaim, error) {
	if user == "" {
		return RoleClaim{}, errors.New("response: a role claim needs a user")
	}
	r, ok := e.esc.Role(roleID)
	if !ok {
		var ids []string
		for _, x := range e.esc.Roles {
			ids = append(ids, x.ID)
		}
		known := "none are defined (escalation roles:)"
		if len(ids) > 0 {
			known = "expected one of " + strings.Join(ids, ", ")
		}
		return RoleClaim{}, fmt.Errorf("%w %q: %s", ErrUnknownRole, roleID, known)
	}
	if _, ok := e.esc.User(user); !ok {
		// Other errors are 400s: a role held by nobody drill knows could
		// never be paged or escalated to.
		return RoleClaim{}, fmt.Errorf("unknown user %q: expected a user id from escalation/", user)
	}
	now := e.clock.Now()
	e.mu.Lock()
	in := e.latestOpen()
	if in == nil {
		e.mu.Unlock()
		return RoleClaim{}, fmt.Errorf("%w: a role is claimed for an incident, and no alert has fired yet; claim %s once the page arrives (drill ack --list shows the pages)", ErrNoIncident, r.ID)
	}
	out := RoleClaim{Role: r.ID, User: user}
	if in.holders == nil {
		in.holders = map[string]string{}
	}
	holders := in.holders
	out.Alert = in.alert
	if prev := holders[r.ID]; prev == user {
		// Claiming a role one already holds changes nothing: no second
		// record of the same assignment.
		e.mu.Unlock()
		out.Already = true
		return out, nil
	} else if prev != "" {
		out.Previous = prev
	}
	for role, u := range holders {
		if x, ok := e.esc.Role(role); ok && u == user && role != r.ID && x.Exclusive(r) {
			out.Conflict = append(out.Conflict, role)
		}
	}
	sort.Strings(out.Conflict)
	holders[r.ID] = user
	e.mu.Unlock()

	attrs := map[string]string{"alert": out.Alert, "role": r.ID, "role_name": r.Title(), "via": "live",
		"since_firing": now.Sub(in.start).String(), "policy": in.policyID, "group": in.key}
	labels := in.labels
	if r.Within > 0 {
		attrs["within"] = r.Within.D().String()
	}
	if len(r.ExclusiveWith) > 0 {
		attrs["exclusive_with"] = strings.Join(r.ExclusiveWith, ",")
	}
	msg := fmt.Sprintf("%s claims %s", user, r.Title())
	if out.Previous != "" {
		attrs["previous"] = out.Previous
		msg += " from " + out.Previous
	}
	if len(out.Conflict) > 0 {
		attrs["conflict"] = strings.Join(out.Conflict, ",")
		msg += " (also holds " + strings.Join(out.Conflict, ", ") + ")"
	}
	e.emit(timeline.Event{At: now, Kind: timeline.RoleAssigned, Subject: user, Labels: labels, Attrs: attrs, Message: msg})
	return out, nil
}

// PostNote records a status update by user for the most recent open
// incident.
func (e *Engine) PostNote(user, text string) (timeline.Event, error) {
	text = strings.TrimSpace(text)
	if user == "" || text == "" {
		return timeline.Event{}, errors.New("response: a status update needs a user and a text")
	}
	e.mu.Lock()
	in := e.latestOpen()
	e.mu.Unlock()
	attrs := map[string]string{"via": "live"}
	var labels map[string]string
	if in != nil {
		attrs["alert"], attrs["policy"], attrs["group"] = in.alert, in.policyID, in.key
		labels = in.labels
	}
	ev := e.log.Append(timeline.Event{At: e.clock.Now(), Kind: timeline.StatusUpdate, Subject: user, Labels: labels, Attrs: attrs, Message: text})
	e.logger.Debug("response", "event", ev.String())
	return ev, nil
}

// latestOpen is the most recently opened incident still open; e.mu held.
func (e *Engine) latestOpen() *incident {
	var best *incident
	for _, in := range e.groups {
		if best == nil || in.id > best.id {
			best = in
		}
	}
	return best
}
