package lint

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/drillkit/drill/internal/textdist"
	"github.com/drillkit/drill/team"
)

// maxGapsPerSchedule bounds the findings one broken schedule produces.
const maxGapsPerSchedule = 10

// linter runs the checks of the team's own files: runbooks, escalation,
// ownership and roles, thresholds.
type linter struct {
	t    *team.Team
	opts Options
	cfg  *team.Config
	git  *gitTimes
	out  []Finding
}

// add records a finding of check id; its severity is set once, for every
// check alike, by finish.
func (l *linter) add(id, file string, line, col int, format string, args ...any) {
	l.out = append(l.out, Finding{ID: id, File: file, Line: line, Col: col, Message: fmt.Sprintf(format, args...)})
}

// teamFindings runs the checks of the team's own files (opts with its
// defaults applied), before severities apply.
func teamFindings(ctx context.Context, t *team.Team, opts Options) []Finding {
	var files []string // what the git check may ask about
	for _, rb := range t.Runbooks {
		files = append(files, rb.File)
	}
	for _, r := range t.Rules {
		files = append(files, r.File)
	}
	l := &linter{t: t, opts: opts, cfg: t.Config, git: newGitTimes(ctx, t.Dir, files)}
	l.runbooks()
	l.escalation()
	l.ownership()
	l.roles()
	l.thresholds()
	return l.out
}

func (l *linter) paging(r *team.AlertRule) bool {
	sev := r.Labels["severity"]
	for _, p := range l.cfg.Lint.PagingSeverities {
		if strings.EqualFold(sev, p) {
			return true
		}
	}
	return false
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// zoneOf is the schedule's timezone, UTC when it names none.
func zoneOf(s *team.Schedule) *time.Location {
	if loc := s.Location(); loc != nil {
		return loc
	}
	return time.UTC
}

// ---- runbooks ----

var (
	shellVarRe   = regexp.MustCompile(`\\?\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))`)
	shellAssign  = regexp.MustCompile(`(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?([A-Za-z_][A-Za-z0-9_]*)=`)
	shellLoopVar = regexp.MustCompile(`(?:\bfor\s+|\bread\s+(?:-\w+\s+)*)([A-Za-z_][A-Za-z0-9_]*)`)
	placeholder  = regexp.MustCompile(`\b(?:TODO|TBD|FIXME)\b|<[A-Za-z][A-Za-z0-9_.-]*>`)
	htmlTags     = map[string]bool{"<br>": true, "<b>": true, "<i>": true, "<em>": true, "<strong>": true, "<code>": true, "<kbd>": true, "<sub>": true, "<sup>": true, "<p>": true, "<details>": true, "<summary>": true}
)

// shellEnv are variables the shell or the environment always provides.
var shellEnv = map[string]bool{"HOME": true, "PATH": true, "PWD": true, "OLDPWD": true, "USER": true, "SHELL": true, "TMPDIR": true, "RANDOM": true, "LINENO": true, "HOSTNAME": true, "IFS": true, "UID": true, "EUID": true, "SECONDS": true, "BASH_SOURCE": true, "PPID": true}

// stripSingleQuoted blanks '...' spans outside double quotes, where the
// shell expands nothing.
func stripSingleQuoted(code string) string {
	b := []byte(code)
	inD, inS := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inS:
			if c == '\'' {
				inS = false
			} else if c != '\n' {
				b[i] = ' '
			}
		case c == '\\' && i+1 < len(b):
			i++
		case c == '"':
			inD = !inD
		case c == '\'' && !inD:
			inS = true
		}
	}
	return string(b)
}

func (l *linter) runbooks() {
	t := l.t
	alerts := map[string]bool{}
	for _, r := range t.Alerts() {
		alerts[r.Alert] = true
	}
	served := map[*team.Runbook]bool{}
	for _, r := range t.Alerts() {
		link := t.RunbookLink(r)
		ann := l.cfg.Lint.RunbookAnnotation
		if link != "" {
			if rb, ok := t.RunbookByLink(link); ok {
				served[rb] = true
			} else {
				l.add("runbook-link-broken", r.File, r.Line, r.Col, "alert %s: %s %q resolves to no runbook (matched case-insensitively against runbook ids and file names under %s/)", r.Alert, ann, link, l.cfg.Paths.Runbooks)
			}
		}
		for _, rb := range t.RunbooksListing(r.Alert) {
			served[rb] = true
		}
		if link == "" && l.paging(r) {
			if rbs := t.RunbooksListing(r.Alert); len(rbs) > 0 {
				l.add("runbook-link-missing", r.File, r.Line, r.Col, "paging alert %s has no %s annotation; runbook %s lists it, so add %s: pointing at %s", r.Alert, ann, rbs[0].ID, ann, rbs[0].File)
			} else {
				l.add("runbook-missing", r.File, r.Line, r.Col, "paging alert %s has no runbook: no %s annotation and no runbook lists it in alerts:", r.Alert, ann)
			}
		}
	}
	git := l.git
	for _, rb := range t.Runbooks {
		if !served[rb] {
			l.add("runbook-orphan", rb.File, rb.LineOf("id"), 1, "runbook %s is not linked from any alert and lists no existing alert", rb.ID)
		}
		for _, a := range rb.Alerts {
			if !alerts[a] {
				l.add("runbook-unknown-alert", rb.File, rb.LineOf("alerts"), 1, "runbook %s lists alert %s, which no alert rule defines", rb.ID, a)
			}
		}
		if rb.Owner == "" {
			l.add("runbook-no-owner", rb.File, rb.Line, 1, "runbook %s has no owner; expected owner: naming a team or user from %s/", rb.ID, l.cfg.Paths.Escalation)
		} else if _, isUser := t.Escalation.User(rb.Owner); !isUser {
			if _, isTeam := t.Escalation.Team(rb.Owner); !isTeam {
				l.add("runbook-owner-unknown", rb.File, rb.LineOf("owner"), 1, "runbook %s: owner %q is no user or team in %s/", rb.ID, rb.Owner, l.cfg.Paths.Escalation)
			}
		}
		if rb.Escalation != "" {
			_, isPolicy := t.Escalation.Policy(rb.Escalation)
			_, isSched := t.Escalation.Schedule(rb.Escalation)
			if !isPolicy && !isSched {
				l.add("runbook-escalation-unknown", rb.File, rb.LineOf("escalation"), 1, "runbook %s: escalation %q is no policy or schedule in %s/", rb.ID, rb.Escalation, l.cfg.Paths.Escalation)
			}
		}
		if rb.LastReviewed.IsZero() {
			l.add("runbook-no-review-date", rb.File, rb.Line, 1, "runbook %s has no last_reviewed date; expected last_reviewed: YYYY-MM-DD", rb.ID)
		} else {
			every := rb.ReviewEvery
			if every == 0 {
				every = l.cfg.Lint.Review.Every
			}
			due := rb.LastReviewed.Add(every.D())
			if l.opts.Now.After(due) {
				overdue := int(l.opts.Now.Sub(due).Hours() / 24)
				l.add("runbook-stale", rb.File, rb.LineOf("last_reviewed"), 1, "runbook %s was last reviewed %s and was due for review %s (every %s): %d days overdue", rb.ID, day(rb.LastReviewed.Time), day(due), every, overdue)
			}
		}
		l.sections(rb)
		l.commands(rb)
		l.escalationRefs(rb)
		l.decisions(rb)
		for _, r := range alertsIf(git.ok, t) {
			if got, ok := t.RunbookForAlert(r); !ok || got != rb {
				continue
			}
			rbT, ok1 := git.lastChange(rb.File)
			rT, ok2 := git.lastChange(r.File)
			if ok1 && ok2 && rbT.Before(rT) {
				l.add("runbook-older-than-rule", rb.File, rb.Line, 1, "runbook %s was last changed %s, before %s (alert %s) was changed %s", rb.ID, day(rbT), r.File, r.Alert, day(rT))
			}
		}
	}
}

// alertsIf returns the team's alerts when cond holds (the git check's
// pairing of runbooks and rules is skipped without git).
func alertsIf(cond bool, t *team.Team) []*team.AlertRule {
	if !cond {
		return nil
	}
	return t.Alerts()
}

func (l *linter) sections(rb *team.Runbook) {
	var missing []string
	for _, name := range l.cfg.Lint.Sections.Required() {
		if _, ok := rb.Section(name); !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		l.add("runbook-section-missing", rb.File, rb.Line, 1, "runbook %s lacks section(s) %s; expected level-2 headings (## %s)", rb.ID, strings.Join(missing, ", "), missing[0])
	}
	name := l.cfg.Lint.Sections.Mitigation
	if s, ok := rb.Section(name); ok {
		actionable := false
		for _, st := range s.Steps {
			if !st.Manual || st.Concrete {
				actionable = true
				break
			}
		}
		if !actionable {
			l.add("runbook-mitigation-not-actionable", rb.File, s.Line, 1, "runbook %s: section %s has no executable step (a fenced sh or bash block) and no concrete manual step (one naming a `command` or a link)", rb.ID, name)
		}
	}
}

// attributes reports the Runme attributes of an executable step that
// drill does not honour, so that the drill runs the step otherwise than
// the team does by hand and its verdict may not hold: interactive (a
// drill types nothing), a cwd naming a directory of the host (absolute,
// or above the runbook's directory), an interpreter other than those
// drill runs (team.Interpreters). cwd, interpreter, excludeFromRunAll,
// background, promptEnv, ignoreErrors and continueOnError are honoured
// (team.StepRun).
func (l *linter) attributes(rb *team.Runbook, where string, st team.Step) {
	ignored := func(attr, effect, instead string) {
		l.add("runbook-attribute-ignored", rb.File, st.Line, 1,
			"runbook %s, %s: Runme attribute %q %s; drill ignores it and %s", rb.ID, where, attr, effect, instead)
	}
	if v, ok := st.Attrs["cwd"].(string); ok && strings.TrimSpace(v) != "" && st.Run.Cwd == "" && path.Clean(v) != "." {
		ignored("cwd", fmt.Sprintf("names %s, a directory of the host the runbook is written for", v),
			"runs the block in its sandbox directory (a cwd relative to the runbook, inside it, is honoured)")
	}
	if v, ok := st.Attrs["interpreter"].(string); ok && strings.TrimSpace(v) != "" && st.Run.Interpreter == "" {
		ignored("interpreter", fmt.Sprintf("runs the block with %s", v),
			fmt.Sprintf("runs it with bash (drill runs %s)", strings.Join(team.Interpreters, ", ")))
	}
	if v, ok := st.Attrs["interactive"]; ok && v != false && v != "" && v != "false" {
		ignored("interactive", "gives the block a terminal to type into", "runs it with no terminal and no stdin")
	}
}

func (l *linter) commands(rb *team.Runbook) {
	assigned := map[string]bool{}
	reported := map[string]bool{}
	for _, s := range rb.Sections {
		for _, st := range s.Steps {
			where := fmt.Sprintf("step %d of %s", st.Index, s.Name)
			if st.Name != "" {
				where += fmt.Sprintf(" (%s)", st.Name)
			}
			for _, src := range []struct {
				text string
				line int
			}{{st.Text, st.Line}, {st.Code, st.Line + 1}} {
				for i, line := range strings.Split(src.text, "\n") {
					for _, m := range placeholder.FindAllString(line, -1) {
						if htmlTags[strings.ToLower(m)] {
							continue
						}
						l.add("runbook-placeholder", rb.File, src.line+i, 1, "runbook %s, %s: placeholder %q left in the step", rb.ID, where, m)
						break
					}
				}
			}
			if st.Manual {
				continue
			}
			l.attributes(rb, where, st)
			code := stripSingleQuoted(st.Code)
			for i, line := range strings.Split(code, "\n") {
				for _, m := range shellAssign.FindAllStringSubmatch(line, -1) {
					assigned[m[1]] = true
				}
				for _, m := range shellLoopVar.FindAllStringSubmatch(line, -1) {
					assigned[m[1]] = true
				}
				for _, m := range shellVarRe.FindAllStringSubmatch(line, -1) {
					if strings.HasPrefix(m[0], `\`) {
						continue
					}
					name := m[1] + m[2]
					if _, ok := l.cfg.Variables[name]; ok || assigned[name] || shellEnv[name] || reported[name] {
						continue
					}
					reported[name] = true
					l.add("runbook-unbound-variable", rb.File, st.Line+1+i, 1, "runbook %s, %s: $%s is not bound in %s variables (nor set earlier in the runbook)", rb.ID, where, name, team.ConfigFile)
				}
			}
		}
	}
}

// ---- escalation ----

// routePolicies are the policies an alert with these labels pages: those
// of the receivers Alertmanager's tree matches when the team has an
// alertmanager.yml, else the first escalation route's.
func (l *linter) routePolicies(lbls map[string]string) []string {
	if am := l.t.Alertmanager; am != nil {
		var out []string
		for _, m := range am.Route(lbls) {
			if m.Policy != "" && !slices.Contains(out, m.Policy) {
				out = append(out, m.Policy)
			}
		}
		return out
	}
	if pid, ok := l.t.Escalation.Route(lbls); ok {
		return []string{pid}
	}
	return nil
}

// inhibitRules flags an inhibit rule that no alert rule of the team can
// take as its source, or as its target: judged on each rule's alertname
// and static labels (a templated value, or a label the rule's series or
// Prometheus' external labels bring, may match anything).
func (l *linter) inhibitRules(am *team.Alertmanager) {
	alerts := l.t.Alerts()
	if len(alerts) == 0 {
		return
	}
	for i := 0; i < am.InhibitRules(); i++ {
		var source, target bool
		for _, r := range alerts {
			known := map[string]string{"alertname": r.Alert}
			for k, v := range r.Labels {
				if !strings.Contains(v, "{{") {
					known[k] = v
				}
			}
			s, t := am.InhibitRuleMayMatch(i, known)
			source, target = source || s, target || t
		}
		var dead []string
		if !source {
			dead = append(dead, "source")
		}
		if !target {
			dead = append(dead, "target")
		}
		if len(dead) == 0 {
			continue
		}
		p := am.InhibitRulePos(i)
		l.add("escalation-inhibit-rule-dead", am.File, p.Line, p.Col, "inhibit_rules[%d] never mutes anything: no alert rule of %s can match its %s matchers (by alertname and static labels); check the matchers against the rules' names and labels", i, l.cfg.Paths.Alerts, strings.Join(dead, " and "))
	}
}

func (l *linter) escalation() {
	e := l.t.Escalation
	for _, r := range l.t.Alerts() {
		if !l.paging(r) {
			continue
		}
		lbls := map[string]string{"alertname": r.Alert}
		for k, v := range r.Labels {
			lbls[k] = v
		}
		if am := l.t.Alertmanager; am != nil {
			if len(l.routePolicies(lbls)) == 0 {
				var recv []string
				for _, m := range am.Route(lbls) {
					recv = append(recv, m.Receiver)
				}
				l.add("escalation-unrouted-alert", r.File, r.Line, r.Col, "paging alert %s takes no route of Alertmanager's tree in %s whose receiver pages an escalation policy (labels %s; receivers %s); route it to a receiver named after a policy or map one in %s alertmanager.receivers", r.Alert, am.File, labelString(r.Labels), strings.Join(recv, ", "), team.ConfigFile)
			}
		} else if _, ok := e.Route(lbls); !ok {
			l.add("escalation-unrouted-alert", r.File, r.Line, r.Col, "paging alert %s matches no route in %s/ (labels %s); add a route or a default: true route", r.Alert, l.cfg.Paths.Escalation, labelString(r.Labels))
		}
	}
	if am := l.t.Alertmanager; am != nil {
		for _, r := range am.Config.Receivers {
			if len(r.PagerdutyConfigs) > 0 && am.ReceiverPolicy(r.Name) == "" {
				p := am.ReceiverPos(r.Name)
				l.add("escalation-receiver-no-policy", am.File, p.Line, p.Col, "receiver %s sends to PagerDuty but pages no escalation policy: a drill pages nobody through it where production pages someone; name it after a policy in %s/ or map it in %s alertmanager.receivers", r.Name, l.cfg.Paths.Escalation, team.ConfigFile)
			}
		}
	}
	if am := l.t.Alertmanager; am != nil {
		l.inhibitRules(am)
	}
	if am := l.t.Alertmanager; am != nil && len(e.Routes) > 0 {
		r := e.Routes[0]
		l.add("escalation-routes-ignored", r.File, r.Pos.Line, r.Pos.Col, "%d routes: in %s/ are not used: %s names %s, whose route tree routes alerts", len(e.Routes), l.cfg.Paths.Escalation, team.ConfigFile, am.File)
	}
	for _, r := range e.Roles {
		l.users(r.File, r.Pos, "role "+r.ID+" from.users", r.From.Users)
	}
	for _, u := range e.Users {
		has := map[string]bool{}
		for _, cm := range u.ContactMethods {
			has[cm.Type] = true
			if !contactTypes[cm.Type] {
				l.add("escalation-contact-unknown", u.File, u.Pos.Line, u.Pos.Col, "user %s has a contact method of type %q; expected one of push, sms, phone, email, slack", u.ID, cm.Type)
			}
		}
		for _, nr := range u.NotificationRules {
			if !has[nr.Via] {
				pos := nr.Pos
				if pos.Line == 0 {
					pos = u.Pos
				}
				l.add("escalation-contact-unknown", u.File, pos.Line, pos.Col, "user %s is notified via %q, which is none of their contact methods", u.ID, nr.Via)
			}
		}
	}
	for _, r := range e.Routes {
		if _, ok := e.Policy(r.Policy); !ok {
			l.add("escalation-route-no-policy", r.File, r.Pos.Line, r.Pos.Col, "route to policy %q: no such policy", r.Policy)
		}
	}
	hasPolicy := map[string]bool{}
	for _, p := range e.Policies {
		hasPolicy[p.Team] = true
	}
	for _, g := range e.Teams {
		if !hasPolicy[g.ID] {
			l.add("escalation-team-no-policy", g.File, g.Pos.Line, g.Pos.Col, "team %s has no escalation policy (no policy says team: %s)", g.ID, g.ID)
		}
		if len(g.Members) == 0 {
			l.add("escalation-target-empty", g.File, g.Pos.Line, g.Pos.Col, "team %s has no members", g.ID)
		}
		l.users(g.File, g.Pos, "team "+g.ID, g.Members)
	}
	for _, s := range e.Schedules {
		users := 0
		for _, ly := range s.Layers {
			users += len(ly.Users)
			l.users(s.File, ly.Pos, fmt.Sprintf("schedule %s layer %s", s.ID, layerName(ly)), ly.Users)
		}
		for _, o := range s.Overrides {
			l.users(s.File, o.Pos, fmt.Sprintf("schedule %s override", s.ID), []string{o.User})
		}
		if users == 0 {
			l.add("escalation-target-empty", s.File, s.Pos.Line, s.Pos.Col, "schedule %s has no layer with users", s.ID)
			continue
		}
		l.coverage(s)
	}
	for _, p := range e.Policies {
		l.policy(p)
	}
}

func layerName(ly *team.Layer) string {
	if ly.Name != "" {
		return ly.Name
	}
	return fmt.Sprintf("at line %d", ly.Pos.Line)
}

func labelString(m map[string]string) string {
	return toLabelSet(m).String()
}

func toLabelSet(m map[string]string) model.LabelSet {
	ls := model.LabelSet{}
	for k, v := range m {
		ls[model.LabelName(k)] = model.LabelValue(v)
	}
	return ls
}

// contactTypes are the contact methods drill simulates.
var contactTypes = map[string]bool{"push": true, "sms": true, "phone": true, "email": true, "slack": true}

// users reports unknown and inactive users of a team, layer or override.
func (l *linter) users(file string, pos team.Pos, what string, ids []string) {
	for _, id := range ids {
		u, ok := l.t.Escalation.User(id)
		switch {
		case !ok:
			l.add("escalation-target-missing", file, pos.Line, pos.Col, "%s names user %q, who is not in users:", what, id)
		case !u.IsActive():
			l.add("escalation-target-inactive", file, pos.Line, pos.Col, "%s names user %s, who is inactive", what, id)
		}
	}
}

func (l *linter) coverage(s *team.Schedule) {
	gaps, covered := s.Coverage(l.opts.Now, l.opts.Days)
	loc := zoneOf(s)
	for i, g := range gaps {
		if i == maxGapsPerSchedule {
			l.add("escalation-coverage-gap", s.File, s.Pos.Line, s.Pos.Col, "schedule %s has %d more gaps in the next %d days", s.ID, len(gaps)-i, l.opts.Days)
			break
		}
		const f = "Mon 2006-01-02 15:04 MST"
		l.add("escalation-coverage-gap", s.File, s.Pos.Line, s.Pos.Col, "schedule %s has nobody on call from %s to %s (%s, %s); covered %.1f%% of the next %d days",
			s.ID, g.Start.In(loc).Format(f), g.End.In(loc).Format(f), model.Duration(g.End.Sub(g.Start)), loc, math.Floor(covered*1000)/10, l.opts.Days)
	}
}

// humans resolves a target to the people it could page, ignoring who is
// on call right now; for a schedule that is everyone on its rotation.
func (l *linter) humans(t team.Target) []string {
	e := l.t.Escalation
	switch {
	case t.User != "":
		return []string{t.User}
	case t.Team != "":
		if g, ok := e.Team(t.Team); ok {
			return g.Members
		}
	case t.Schedule != "":
		if s, ok := e.Schedule(t.Schedule); ok {
			var out []string
			for _, ly := range s.Layers {
				out = append(out, ly.Users...)
			}
			for _, o := range s.Overrides {
				out = append(out, o.User)
			}
			return out
		}
	}
	return nil
}

func (l *linter) policy(p *team.Policy) {
	e := l.t.Escalation
	if len(p.Rules) == 0 {
		l.add("escalation-target-empty", p.File, p.Pos.Line, p.Pos.Col, "policy %s has no rules", p.ID)
	}
	if len(p.Rules) == 1 && p.Runs() == 1 {
		l.add("escalation-no-final-responder", p.File, p.Pos.Line, p.Pos.Col, "policy %s has one level and no loop: when its target does not acknowledge, nobody else is paged", p.ID)
	}
	reachable := false
	slow := map[string]bool{}
	for i, r := range p.Rules {
		level := i + 1
		if len(r.Targets) == 0 {
			l.add("escalation-target-empty", p.File, r.Pos.Line, r.Pos.Col, "policy %s level %d has no targets", p.ID, level)
		}
		var people []string
		for _, t := range r.Targets {
			missing := false
			switch {
			case t.User != "":
				_, ok := e.User(t.User)
				missing = !ok
			case t.Team != "":
				_, ok := e.Team(t.Team)
				missing = !ok
			case t.Schedule != "":
				_, ok := e.Schedule(t.Schedule)
				missing = !ok
			}
			if missing {
				l.add("escalation-target-missing", p.File, t.Pos.Line, t.Pos.Col, "policy %s level %d targets %s, which does not exist", p.ID, level, t)
				continue
			}
			hs := l.humans(t)
			if t.User != "" {
				if u, _ := e.User(t.User); !u.IsActive() {
					l.add("escalation-target-inactive", p.File, t.Pos.Line, t.Pos.Col, "policy %s level %d targets user %s, who is inactive", p.ID, level, t.User)
				}
			}
			active := 0
			for _, h := range hs {
				u, ok := e.User(h)
				if !ok || !u.IsActive() {
					continue
				}
				active++
				reachable = true
				after, has := u.FirstNotification()
				key := fmt.Sprintf("%d/%s", level, h)
				if slow[key] || r.EscalateAfter <= 0 {
					continue
				}
				if !has {
					slow[key] = true
					l.add("escalation-notification-slow", p.File, r.Pos.Line, r.Pos.Col, "policy %s level %d pages user %s, who has no notification_rules, so the page never reaches them before the level escalates after %s", p.ID, level, h, r.EscalateAfter)
				} else if after >= r.EscalateAfter.D() {
					slow[key] = true
					l.add("escalation-notification-slow", p.File, r.Pos.Line, r.Pos.Col, "policy %s level %d escalates after %s, but user %s is first notified %s after a page", p.ID, level, r.EscalateAfter, h, model.Duration(after))
				}
			}
			if t.Team != "" && len(hs) > 0 && active == 0 {
				l.add("escalation-target-inactive", p.File, t.Pos.Line, t.Pos.Col, "policy %s level %d targets team %s, whose members are all inactive or unknown", p.ID, level, t.Team)
			}
			if t.Schedule != "" {
				people = append(people, "schedule "+t.Schedule) // one person on call at a time
			} else {
				for _, h := range hs {
					if u, ok := e.User(h); ok && u.IsActive() && !slices.Contains(people, h) {
						people = append(people, h)
					}
				}
			}
		}
		if len(people) > 1 && r.Assignment == "" {
			l.add("escalation-no-assignment", p.File, r.Pos.Line, r.Pos.Col, "policy %s level %d pages %d people at once (%s) with no assignment; set assignment: all or round_robin", p.ID, level, len(people), strings.Join(people, ", "))
		}
	}
	if len(p.Rules) > 0 && !reachable {
		loop := ""
		if p.Runs() > 1 {
			loop = fmt.Sprintf(", however many times loops: %d repeats them", p.Loops)
		}
		l.add("escalation-unreachable", p.File, p.Pos.Line, p.Pos.Col, "policy %s can never reach a human: every level's targets are missing, empty or inactive%s", p.ID, loop)
	}
}

// ---- thresholds ----

func (l *linter) thresholds() {
	exposed := map[string]bool{}
	if l.opts.ExposedMetrics != nil {
		for _, m := range l.opts.ExposedMetrics {
			exposed[m] = true
		}
		for _, r := range l.t.Rules {
			if r.Record != "" {
				exposed[r.Record] = true
			}
		}
		for _, m := range []string{"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped"} {
			exposed[m] = true
		}
	}
	tested := map[string]bool{}
	for _, pt := range l.t.PromtoolTests {
		for a := range pt.Alerts() {
			tested[a] = true
		}
	}
	defined := map[string]bool{}
	for _, r := range l.t.Alerts() {
		defined[r.Alert] = true
	}
	for _, pt := range l.t.PromtoolTests {
		alerts := pt.Alerts()
		for _, a := range slices.Sorted(maps.Keys(alerts)) {
			if !defined[a] {
				pos := alerts[a]
				l.add("promtool-test-unknown-alert", pt.File, pos.Line, pos.Col,
					"promtool test names alert %s, which no rule defines: it asserts nothing (was the alert renamed?)", a)
			}
		}
	}
	if l.opts.ExposedMetrics != nil {
		fed := l.feedsDrills()
		for _, r := range l.t.Rules {
			if e := r.ParsedExpr(); r.Record != "" && e != nil {
				l.unexposed(exposed, r, "recording rule "+r.Record, e, fed[r.Record])
			}
		}
	}
	for _, r := range l.t.Alerts() {
		interval := r.GroupInterval
		if interval == 0 {
			interval = l.cfg.Lint.EvaluationInterval.D()
		}
		expr := r.ParsedExpr()
		if expr != nil && !hasComparison(expr) {
			l.add("alert-no-comparison", r.File, r.Line, r.Col, "alert %s: expression %q has no comparison, so it fires on any value; expected a threshold like > 0.05", r.Alert, r.Expr)
		}
		min := 2 * interval
		switch {
		case !r.ForSet:
			l.add("alert-for-missing", r.File, r.Line, r.Col, "alert %s has no for:, so one evaluation pages; expected for: %s or more (two evaluation intervals of %s)", r.Alert, model.Duration(min), model.Duration(interval))
		case r.For < min:
			l.add("alert-for-short", r.File, r.Line, r.Col, "alert %s: for: %s is shorter than two evaluation intervals (%s); expected %s or more", r.Alert, model.Duration(r.For), model.Duration(interval), model.Duration(min))
		}
		if r.Labels["severity"] == "" {
			l.add("alert-no-severity", r.File, r.Line, r.Col, "alert %s has no severity label", r.Alert)
		}
		if strings.TrimSpace(r.Annotations["summary"]) == "" {
			l.add("alert-no-summary", r.File, r.Line, r.Col, "alert %s has no summary annotation", r.Alert)
		}
		desc := r.Annotations["description"]
		if strings.TrimSpace(desc) == "" {
			l.add("alert-no-description", r.File, r.Line, r.Col, "alert %s has no description annotation", r.Alert)
		} else if expr != nil && !statesThreshold(desc, thresholdsOf(expr)) {
			l.add("alert-description-vague", r.File, r.Line, r.Col, "alert %s: description states neither the threshold (%s) nor {{ $value }}", r.Alert, strings.Join(formatThresholds(thresholdsOf(expr)), ", "))
		}
		if l.opts.ExposedMetrics != nil && expr != nil {
			l.unexposed(exposed, r, "alert "+r.Alert, expr, l.inFeatures(r.Alert))
		}
		if !tested[r.Alert] && !l.inFeatures(r.Alert) {
			l.add("alert-untested", r.File, r.Line, r.Col, "alert %s is exercised by no drill in %s/ and no promtool test (alert_rule_test alertname)", r.Alert, l.cfg.Paths.Features)
		}
	}
}

// unexposed reports the metrics a rule reads that nothing in the drill
// world exposes and no rule records. Such a rule never has data in a
// drill. It is alert-metric-unexposed (an error) when it is likely a
// mistake: a name within a typo of one the world exposes, or an alert the
// team's own drills name (they will wait on an alert that cannot fire);
// otherwise alert-metric-outside-drill (a warning): a metric production
// may have (a node or cluster exporter) that drill's world does not, so
// drill cannot rehearse that rule. A recording rule is checked the same
// way, as the alerts over it read what it records.
func (l *linter) unexposed(exposed map[string]bool, r *team.AlertRule, what string, expr parser.Expr, drilled bool) {
	var missing, near []string
	typo := false
	known := slices.Sorted(maps.Keys(exposed))
	for _, m := range metricNames(expr) {
		if exposedName(exposed, m) {
			continue
		}
		missing = append(missing, m)
		if c := closeNames(m, known); len(c) > 0 {
			typo = true
			near = append(near, c...)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("%s reads %s, which nothing in the drill world exposes and no rule records", what, strings.Join(missing, ", "))
	if len(near) > 0 {
		msg += " (did you mean " + strings.Join(near, ", ") + "?)"
	}
	switch {
	case typo:
		l.add("alert-metric-unexposed", r.File, r.Line, r.Col, "%s: it never has data", msg)
	case drilled && r.Record != "":
		l.add("alert-metric-unexposed", r.File, r.Line, r.Col, "%s: it never has data, and alerts the team's drills wait on read it", msg)
	case drilled:
		l.add("alert-metric-unexposed", r.File, r.Line, r.Col, "%s: the team's drills wait on it, and it can never fire in them", msg)
	default:
		l.add("alert-metric-outside-drill", r.File, r.Line, r.Col, "%s: it has no data in a drill; if production exposes it, drill does not rehearse it", msg)
	}
}

// feedsDrills are the recording rules (by the name they record) that an
// alert the team's drills name reads, directly or through other
// recording rules.
func (l *linter) feedsDrills() map[string]bool {
	fed := map[string]bool{}
	var frontier []string
	for _, r := range l.t.Alerts() {
		if e := r.ParsedExpr(); e != nil && l.inFeatures(r.Alert) {
			frontier = append(frontier, metricNames(e)...)
		}
	}
	records := map[string][]parser.Expr{}
	for _, r := range l.t.Rules {
		if e := r.ParsedExpr(); r.Record != "" && e != nil {
			records[r.Record] = append(records[r.Record], e)
		}
	}
	for len(frontier) > 0 { // each name enters once: bounded by the rules
		n := frontier[len(frontier)-1]
		frontier = frontier[:len(frontier)-1]
		if fed[n] || records[n] == nil {
			continue
		}
		fed[n] = true
		for _, e := range records[n] {
			frontier = append(frontier, metricNames(e)...)
		}
	}
	return fed
}

// closeNames are the exposed names a metric is one or two edits from,
// counting its suffixes (_total, _count, ...) as the exposure check does:
// a likely typo.
func closeNames(m string, known []string) []string {
	var out []string
	for _, k := range known {
		for _, suf := range []string{"", "_bucket", "_sum", "_count", "_total"} {
			if d := textdist.Levenshtein([]byte(m), []byte(k+suf)); d > 0 && d <= 2 {
				out = append(out, k+suf)
				break
			}
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

func (l *linter) inFeatures(alert string) bool {
	for _, txt := range l.t.Features {
		for i := 0; ; {
			j := strings.Index(txt[i:], alert)
			if j < 0 {
				break
			}
			j += i
			end := j + len(alert)
			if (j == 0 || !isWord(txt[j-1])) && (end == len(txt) || !isWord(txt[end])) {
				return true
			}
			i = end
		}
	}
	return false
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func exposedName(exposed map[string]bool, m string) bool {
	if exposed[m] {
		return true
	}
	for _, suf := range []string{"_bucket", "_sum", "_count", "_total", "_created"} {
		if base, ok := strings.CutSuffix(m, suf); ok && exposed[base] {
			return true
		}
	}
	return false
}

// hasComparison reports whether an alert expression filters on a
// threshold: a comparison (without bool), absent(), or a set operation
// whose filtering side has one.
func hasComparison(e parser.Expr) bool {
	switch e := e.(type) {
	case *parser.ParenExpr:
		return hasComparison(e.Expr)
	case *parser.BinaryExpr:
		if e.Op.IsComparisonOperator() {
			return !e.ReturnBool
		}
		switch e.Op {
		case parser.LAND, parser.LUNLESS:
			return hasComparison(e.LHS) || hasComparison(e.RHS)
		case parser.LOR:
			return hasComparison(e.LHS) && hasComparison(e.RHS)
		}
	case *parser.Call:
		return e.Func.Name == "absent" || e.Func.Name == "absent_over_time"
	}
	return false
}

// thresholdsOf collects the number literals compared against.
func thresholdsOf(e parser.Expr) []float64 {
	var out []float64
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		b, ok := n.(*parser.BinaryExpr)
		if !ok || !b.Op.IsComparisonOperator() {
			return nil
		}
		for _, side := range []parser.Expr{b.LHS, b.RHS} {
			for {
				p, ok := side.(*parser.ParenExpr)
				if !ok {
					break
				}
				side = p.Expr
			}
			if nl, ok := side.(*parser.NumberLiteral); ok {
				out = append(out, nl.Val)
			}
		}
		return nil
	})
	return out
}

func formatThresholds(ts []float64) []string {
	var out []string
	for _, t := range ts {
		out = append(out, strconv.FormatFloat(t, 'f', -1, 64))
	}
	if len(out) == 0 {
		out = []string{"none in the expression"}
	}
	return out
}

var valueRef = regexp.MustCompile(`\$value|\.Value\b`)

// statesThreshold reports whether a description shows {{ $value }} or
// one of the thresholds (as written, or as a percentage).
func statesThreshold(desc string, ts []float64) bool {
	if valueRef.MatchString(desc) {
		return true
	}
	for _, t := range ts {
		forms := []string{strconv.FormatFloat(t, 'f', -1, 64), strconv.FormatFloat(t, 'g', -1, 64)}
		if t != 0 && math.Abs(t) < 1 {
			forms = append(forms, strconv.FormatFloat(t*100, 'f', -1, 64)+"%")
		}
		for _, f := range forms {
			for i := 0; ; {
				j := strings.Index(desc[i:], f)
				if j < 0 {
					break
				}
				j += i
				end := j + len(f)
				before := j == 0 || !(desc[j-1] >= '0' && desc[j-1] <= '9' || desc[j-1] == '.')
				after := end == len(desc) || !(desc[end] >= '0' && desc[end] <= '9') && !(desc[end] == '.' && end+1 < len(desc) && desc[end+1] >= '0' && desc[end+1] <= '9')
				if before && after {
					return true
				}
				i = end
			}
		}
	}
	return false
}

// metricNames lists the metric names an expression selects, sorted.
func metricNames(e parser.Expr) []string {
	set := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel && m.Type.String() == "=" {
					name = m.Value
				}
			}
		}
		if name != "" {
			set[name] = true
		}
		return nil
	})
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
