package features

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// responseBound is how long, in drill time after the first expected
// firing, a step without its own deadline waits for the response (a page,
// a runbook run) to happen, so that a drill still ends.
const responseBound = time.Hour

// incidentCommander is the role the "incident commander" steps look for:
// the role with this ID, or one named "Incident Commander".
const incidentCommander = "incident_commander"

// role finds a role of the team's escalation roles: by ID, or by name
// case-insensitively.
func (s *State) role(name string) (*team.Role, error) {
	t := s.Env.Team()
	if t == nil || t.Escalation == nil {
		return nil, errors.New("the team has no escalation files")
	}
	e := t.Escalation
	if r, ok := FindRole(e, name); ok {
		return r, nil
	}
	var ids []string
	for _, r := range e.Roles {
		ids = append(ids, r.ID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no role %q: the escalation files define no roles: section", name)
	}
	return nil, fmt.Errorf("no role %q in the escalation roles:; roles: %s", name, strings.Join(ids, ", "))
}

// FindRole finds an incident role of the escalation roles: as the role
// steps name it: by ID, or by name case-insensitively, "_" read as a
// space (incident_commander finds "Incident Commander").
func FindRole(e *team.Escalation, name string) (*team.Role, bool) {
	if e == nil {
		return nil, false
	}
	if r, ok := e.Role(name); ok {
		return r, true
	}
	spaced := strings.ReplaceAll(name, "_", " ")
	for _, r := range e.Roles {
		if strings.EqualFold(r.Name, name) || strings.EqualFold(r.Name, spaced) {
			return r, true
		}
	}
	return nil, false
}

func roleIs(id string) timeline.Match {
	return func(e timeline.Event) bool { return e.Kind == timeline.RoleAssigned && e.Attrs["role"] == id }
}

// roleAssigned waits until the role is claimed, at most d after the first
// expected alert fired.
func (s *State) roleAssigned(ctx context.Context, name string, d time.Duration) error {
	r, err := s.role(name)
	if err != nil {
		return err
	}
	from, err := s.firstExpectedFiring()
	if err != nil {
		return err
	}
	s.tell("waiting for someone to claim %s: drill role claim %s --user ID; judged within %s of the alert firing (until %s)",
		r.Title(), r.ID, fmtDur(d), from.Add(d).Format("15:04:05"))
	_, err = s.waitFrom(ctx, from, d, roleIs(r.ID))
	if errors.Is(err, timeline.ErrDeadline) {
		return fmt.Errorf("nobody was assigned %s within %s of the alert firing%s", r.Title(), fmtDur(d), s.roleContext(r.ID))
	}
	return err
}

// roleContext says what happened to a role, for a failure message.
func (s *State) roleContext(id string) string {
	var notes []string
	for _, e := range s.Env.Log().Sorted() {
		switch {
		case e.Kind == timeline.BrokenLink && e.Attrs["kind"] == "role" && e.Subject == id:
			notes = append(notes, e.Message)
		case roleIs(id)(e):
			notes = append(notes, fmt.Sprintf("%s claimed it at %s", e.Subject, s.at(e.At)))
		}
	}
	if len(notes) == 0 {
		return " (nobody claimed it)"
	}
	return " (" + strings.Join(notes, "; ") + ")"
}

// commanderNotExecutor fails when the incident commander is the person
// who runs the runbook.
func (s *State) commanderNotExecutor(ctx context.Context) error {
	r, err := s.role(incidentCommander)
	if err != nil {
		return err
	}
	from, err := s.firstExpectedFiring()
	if err != nil {
		return err
	}
	rb, err := s.waitFrom(ctx, from, responseBound, timeline.OfKind(timeline.RunbookStart, ""))
	if err != nil {
		if errors.Is(err, timeline.ErrDeadline) {
			return fmt.Errorf("nobody ran a runbook within %s of the alert firing%s", fmtDur(responseBound), s.pageContext())
		}
		return err
	}
	executor := rb.Attrs["user"]
	ic, err := s.waitFrom(ctx, from, responseBound, roleIs(r.ID))
	if err != nil {
		if errors.Is(err, timeline.ErrDeadline) {
			return fmt.Errorf("nobody was assigned %s, so %s ran the runbook without one%s", r.Title(), executor, s.roleContext(r.ID))
		}
		return err
	}
	// A later handover counts: the commander is whoever holds the role
	// when the check runs.
	for _, e := range s.Env.Log().Sorted() {
		if roleIs(r.ID)(e) && !e.At.Before(ic.At) {
			ic = e
		}
	}
	if ic.Subject == executor {
		return fmt.Errorf("%s is %s and also runs runbook %s: nobody keeps the overview while commands are typed", executor, r.Title(), rb.Subject)
	}
	return nil
}

// statusUpdate waits for a status update, at most d after the first
// expected alert fired.
func (s *State) statusUpdate(ctx context.Context, d time.Duration) error {
	from, err := s.firstExpectedFiring()
	if err != nil {
		return err
	}
	s.tell("waiting for a status update: drill note TEXT; judged within %s of the alert firing (until %s)", fmtDur(d), from.Add(d).Format("15:04:05"))
	_, err = s.waitFrom(ctx, from, d, timeline.OfKind(timeline.StatusUpdate, ""))
	if errors.Is(err, timeline.ErrDeadline) {
		return fmt.Errorf("no status update was posted within %s of the alert firing (live: drill note TEXT)", fmtDur(d))
	}
	return err
}

// ownerPaged checks that the owner of the runbook of an expected alert
// (a user, or any member of the owning team) is paged before the page is
// acknowledged or the policy gives up.
func (s *State) ownerPaged(ctx context.Context) error {
	t := s.Env.Team()
	if t == nil || t.Escalation == nil {
		return errors.New("the team has no escalation files")
	}
	owners := map[string]bool{}
	var names []string
	for _, alert := range s.Expected() {
		for _, r := range t.Alerts() {
			if r.Name() != alert {
				continue
			}
			rb, ok := t.RunbookForAlert(r)
			if !ok || rb.Owner == "" {
				continue
			}
			if !slices.Contains(names, rb.Owner) {
				names = append(names, rb.Owner)
			}
			if g, ok := t.Escalation.Team(rb.Owner); ok {
				for _, m := range g.Members {
					owners[m] = true
				}
			} else {
				owners[rb.Owner] = true
			}
		}
	}
	if len(owners) == 0 {
		return fmt.Errorf("no runbook with an owner serves the expected alerts (%s)", strings.Join(s.Expected(), ", "))
	}
	from, err := s.firstExpectedFiring()
	if err != nil {
		return err
	}
	e, err := s.waitFrom(ctx, from, responseBound, func(e timeline.Event) bool {
		return (e.Kind == timeline.Page && owners[e.Subject]) || e.Kind == timeline.Ack || e.Kind == timeline.PolicyExhausted
	})
	if err != nil && !errors.Is(err, timeline.ErrDeadline) {
		return err
	}
	if err == nil && e.Kind == timeline.Page {
		return nil
	}
	var paged []string
	for _, p := range s.Env.Log().Sorted() {
		if p.Kind == timeline.Page && !p.At.Before(from) && !slices.Contains(paged, p.Subject) {
			paged = append(paged, p.Subject)
		}
	}
	who := make([]string, 0, len(owners))
	for u := range owners {
		who = append(who, u)
	}
	sort.Strings(who)
	got := "nobody was paged"
	if len(paged) > 0 {
		got = "the page went to " + strings.Join(paged, ", ")
	}
	return fmt.Errorf("the runbook owner %s (%s) was never paged: %s%s", strings.Join(names, ", "), strings.Join(who, ", "), got, s.pageContext())
}
