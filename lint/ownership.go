package lint

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/common/model"

	"github.com/drillkit/drill/team"
)

// ---- ownership, roles, runbook references and decisions ----

// onSchedule is every user on some schedule's rotation or override.
func (l *linter) onSchedule() map[string]bool {
	out := map[string]bool{}
	for _, s := range l.t.Escalation.Schedules {
		for _, ly := range s.Layers {
			for _, u := range ly.Users {
				out[u] = true
			}
		}
		for _, o := range s.Overrides {
			out[o.User] = true
		}
	}
	return out
}

// ownerReach says why an owner (a team or user id) cannot be reached
// through any schedule, or "" when it can.
func (l *linter) ownerReach(owner string, scheduled map[string]bool) string {
	e := l.t.Escalation
	if u, ok := e.User(owner); ok {
		switch {
		case !u.IsActive():
			return fmt.Sprintf("user %s is inactive", owner)
		case !scheduled[owner]:
			return fmt.Sprintf("user %s is on no schedule", owner)
		}
		return ""
	}
	g, ok := e.Team(owner)
	if !ok {
		return fmt.Sprintf("%q is no team or user in %s/", owner, l.cfg.Paths.Escalation)
	}
	for _, m := range g.Members {
		if u, ok := e.User(m); ok && u.IsActive() && scheduled[m] {
			return ""
		}
	}
	return fmt.Sprintf("no active member of team %s (%s) is on any schedule", owner, strings.Join(g.Members, ", "))
}

// sameOwner reports whether owner (a team or a user) is the team group,
// or a member of it.
func (l *linter) sameOwner(group, owner string) bool {
	if strings.EqualFold(group, owner) {
		return true
	}
	if g, ok := l.t.Escalation.Team(group); ok && slices.Contains(g.Members, owner) {
		return true
	}
	return false
}

func (l *linter) ownership() {
	t, e := l.t, l.t.Escalation
	label := l.cfg.Lint.OwnerLabel
	scheduled := l.onSchedule()
	for _, r := range t.Alerts() {
		if !l.paging(r) {
			continue
		}
		owner := r.Labels[label]
		rb, hasRB := t.RunbookForAlert(r)
		if owner != "" {
			lbls := map[string]string{"alertname": r.Alert}
			for k, v := range r.Labels {
				lbls[k] = v
			}
			for _, pid := range l.routePolicies(lbls) {
				if p, ok := e.Policy(pid); ok && p.Team != "" && !l.sameOwner(owner, p.Team) {
					l.add("ownership-team-mismatch", r.File, r.Line, r.Col, "alert %s is owned by %s (label %s) but routes to policy %s of team %s: the page wakes people who do not own the alert", r.Alert, owner, label, p.ID, p.Team)
				}
			}
			if hasRB && rb.Owner != "" && !l.sameOwner(owner, rb.Owner) {
				l.add("ownership-team-mismatch", r.File, r.Line, r.Col, "alert %s is owned by %s (label %s) but its runbook %s is owned by %s", r.Alert, owner, label, rb.ID, rb.Owner)
			}
			if why := l.ownerReach(owner, scheduled); why != "" {
				l.add("ownership-unreachable", r.File, r.Line, r.Col, "alert %s: its owner %s (label %s) cannot be reached through any schedule: %s", r.Alert, owner, label, why)
			}
		}
		// Without the label the runbook's owner stands for the alert's:
		// runbook-missing, runbook-no-owner and the runbook loop below
		// report it, once.
	}
	for _, rb := range t.Runbooks {
		if rb.Owner == "" {
			continue // runbook-no-owner
		}
		_, isUser := e.User(rb.Owner)
		_, isTeam := e.Team(rb.Owner)
		if !isUser && !isTeam {
			continue // runbook-owner-unknown
		}
		if why := l.ownerReach(rb.Owner, scheduled); why != "" {
			l.add("ownership-unreachable", rb.File, rb.LineOf("owner"), 1, "runbook %s: its owner %s cannot be reached through any schedule: %s", rb.ID, rb.Owner, why)
		}
	}
}

func (l *linter) roles() {
	e := l.t.Escalation
	severities := map[string]bool{}
	var known []string
	templated := false // a severity set by a template may be any value
	for _, a := range l.t.Alerts() {
		sev := strings.ToLower(a.Labels["severity"])
		templated = templated || strings.Contains(sev, "{{")
		if sev != "" && !severities[sev] {
			severities[sev] = true
			known = append(known, sev)
		}
	}
	sort.Strings(known)
	for _, r := range e.Roles {
		if len(known) == 0 || templated {
			break
		}
		var unknown, used []string
		for _, sev := range r.RequiredFor {
			switch s := strings.ToLower(sev); {
			case severities[s]:
				used = append(used, sev)
			case !slices.Contains(unknown, sev):
				unknown = append(unknown, sev)
			}
		}
		if len(unknown) == 0 {
			continue
		}
		quoted := make([]string, len(unknown))
		for i, u := range unknown {
			quoted[i] = strconv.Quote(u)
		}
		effect := "so no incident requires the role"
		if len(used) > 0 {
			effect = "so only " + strings.Join(used, ", ") + " incidents require it"
		}
		l.add("role-severity-unknown", r.File, r.Pos.Line, r.Pos.Col,
			"role %s: required_for names %s, which no alert rule's severity label carries, %s; the rules' severities are %s",
			r.ID, strings.Join(quoted, ", "), effect, strings.Join(known, ", "))
	}
	for _, r := range e.Roles {
		what := "role " + r.ID
		if len(r.RequiredFor) > 0 {
			what += fmt.Sprintf(" (required for %s)", strings.Join(r.RequiredFor, ", "))
		}
		pos := r.From.Pos
		if pos.Line == 0 {
			pos = r.Pos
		}
		unfillable := func(format string, args ...any) {
			l.add("role-unfillable", r.File, pos.Line, pos.Col, "%s: nobody can fill it: %s", what, fmt.Sprintf(format, args...))
		}
		describeUsers := func(ids []string) (active int, bad []string) {
			for _, id := range ids {
				u, ok := e.User(id)
				switch {
				case !ok:
					bad = append(bad, id+" (unknown)")
				case !u.IsActive():
					bad = append(bad, id+" (inactive)")
				default:
					active++
				}
			}
			return active, bad
		}
		switch {
		case r.From.Schedule != "":
			s, ok := e.Schedule(r.From.Schedule)
			if !ok {
				unfillable("schedule %s does not exist", r.From.Schedule)
				continue
			}
			var ids []string
			for _, ly := range s.Layers {
				ids = append(ids, ly.Users...)
			}
			if len(ids) == 0 {
				unfillable("schedule %s has no layer with users", s.ID)
				continue
			}
			if active, bad := describeUsers(ids); active == 0 {
				unfillable("every user of schedule %s is inactive or unknown: %s", s.ID, strings.Join(bad, ", "))
				continue
			}
			gaps, covered := s.Coverage(l.opts.Now, l.opts.Days)
			if len(gaps) > 0 {
				const f = "Mon 2006-01-02 15:04 MST"
				loc := zoneOf(s)
				g := gaps[0]
				more := ""
				if len(gaps) > 1 {
					more = fmt.Sprintf(" and %d more gaps", len(gaps)-1)
				}
				unfillable("schedule %s has nobody on call from %s to %s (%s)%s; covered %.1f%% of the next %d days",
					s.ID, g.Start.In(loc).Format(f), g.End.In(loc).Format(f), model.Duration(g.End.Sub(g.Start)), more, covered*100, l.opts.Days)
			}
		case r.From.Team != "":
			g, ok := e.Team(r.From.Team)
			if !ok {
				unfillable("team %s does not exist", r.From.Team)
				continue
			}
			if len(g.Members) == 0 {
				unfillable("team %s has no members", g.ID)
				continue
			}
			if active, bad := describeUsers(g.Members); active == 0 {
				unfillable("every member of team %s is inactive or unknown: %s", g.ID, strings.Join(bad, ", "))
			}
		case len(r.From.Users) > 0:
			if active, bad := describeUsers(r.From.Users); active == 0 {
				unfillable("every listed user is inactive or unknown: %s", strings.Join(bad, ", "))
			}
		}
	}
}

// refName is a code span that reads as a name (an id), not a command.
var refName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// escalationRefs checks that the names in a runbook's Escalation section
// (inline code spans such as `sre` or `incident_commander`) exist as a
// team, policy, schedule, user or role.
func (l *linter) escalationRefs(rb *team.Runbook) {
	e := l.t.Escalation
	sec, ok := rb.Section(l.cfg.Lint.Sections.Escalation)
	if !ok {
		return
	}
	for _, ref := range sec.Refs {
		if !refName.MatchString(ref.Text) {
			continue
		}
		id := ref.Text
		_, a := e.Team(id)
		_, b := e.Policy(id)
		_, c := e.Schedule(id)
		_, d := e.User(id)
		_, f := e.Role(id)
		if a || b || c || d || f {
			continue
		}
		line := ref.Line
		if line == 0 {
			line = sec.Line
		}
		l.add("runbook-escalation-reference-unknown", rb.File, line, 1, "runbook %s, section %s: `%s` is no team, policy, schedule, user or role in %s/", rb.ID, sec.Name, id, l.cfg.Paths.Escalation)
	}
}

var (
	conditionWord = regexp.MustCompile(`(?i)\b(?:if|when|unless|whether)\b`)
	hasNumber     = regexp.MustCompile(`\d`)
)

// decisions flags runbook steps that ask the responder to decide (if,
// when, unless, whether) without a number to decide by.
func (l *linter) decisions(rb *team.Runbook) {
	for _, s := range rb.Sections {
		for _, st := range s.Steps {
			for i, line := range strings.Split(st.Text, "\n") {
				m := conditionWord.FindString(line)
				if m == "" || hasNumber.MatchString(st.Text) {
					continue
				}
				l.add("runbook-decision-no-criterion", rb.File, st.Line+i, 1, "runbook %s, step %d of %s: %q is a decision (%q) with no number to decide by; state the threshold (\"if the error ratio is above 5%%\")", rb.ID, st.Index, s.Name, firstWords(line, 60), strings.ToLower(m))
				break
			}
		}
	}
}

func firstWords(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
	}
	return s[:cut] + "…"
}
