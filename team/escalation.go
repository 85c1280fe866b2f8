package team

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
)

// Escalation is every file under escalation/, merged: who can be paged,
// who is on call when, how a page escalates, and which policy an alert
// takes. The shape is PagerDuty's; see docs/escalation.md.
type Escalation struct {
	Users     []*User     `yaml:"users"`
	Teams     []*Group    `yaml:"teams"`
	Schedules []*Schedule `yaml:"schedules"`
	Policies  []*Policy   `yaml:"policies"`
	Routes    []*Route    `yaml:"routes"` // first match wins
	Roles     []*Role     `yaml:"roles"`  // incident roles; see roles.go

	users     map[string]*User
	teams     map[string]*Group
	schedules map[string]*Schedule
	policies  map[string]*Policy
	roles     map[string]*Role
}

// User is a person who can be paged.
type User struct {
	ID                string             `yaml:"id" drill:"required"`
	Name              string             `yaml:"name"`
	Timezone          string             `yaml:"timezone"`
	Active            *bool              `yaml:"active"` // nil means true
	ContactMethods    []ContactMethod    `yaml:"contact_methods"`
	NotificationRules []NotificationRule `yaml:"notification_rules"`
	File              string             `yaml:"-"`
	Pos               Pos                `yaml:"-"`
}

// IsActive reports whether the user can be paged (active defaults to true).
func (u *User) IsActive() bool { return u.Active == nil || *u.Active }

// FirstNotification is when the user's earliest notification rule fires
// after a page; ok is false when the user has none.
func (u *User) FirstNotification() (after time.Duration, ok bool) {
	for i, r := range u.NotificationRules {
		if i == 0 || r.After.D() < after {
			after = r.After.D()
		}
		ok = true
	}
	return after, ok
}

// ContactMethod is a way to reach a user: push, sms, phone, email, slack.
type ContactMethod struct {
	Type    string `yaml:"type" drill:"required"`
	Address string `yaml:"address"`
}

// NotificationRule says when, after a page, a contact method fires.
type NotificationRule struct {
	After Duration `yaml:"after"`
	Via   string   `yaml:"via" drill:"required"`
	Pos   Pos      `yaml:"-"`
}

// Group is a team in escalation/ (named Group because Team is the whole
// ops directory).
type Group struct {
	ID      string   `yaml:"id" drill:"required"`
	Name    string   `yaml:"name"`
	Members []string `yaml:"members"`
	File    string   `yaml:"-"`
	Pos     Pos      `yaml:"-"`
}

// Schedule is an on-call rotation: layers (later layers win where they
// cover) and overrides, in the schedule's own timezone.
type Schedule struct {
	ID        string      `yaml:"id" drill:"required"`
	Name      string      `yaml:"name"`
	Timezone  string      `yaml:"timezone" drill:"required"`
	Layers    []*Layer    `yaml:"layers"`
	Overrides []*Override `yaml:"overrides"`
	File      string      `yaml:"-"`
	Pos       Pos         `yaml:"-"`

	loc *time.Location
}

// Location is the schedule's timezone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Layer is one rotation: users take turns of Rotation length counted
// from RotationStart (Start when absent), and the layer covers from Start
// until End (for ever when absent), only inside the restriction windows
// when there are any. All three are local times.
type Layer struct {
	Name          string         `yaml:"name"`
	Start         LocalTime      `yaml:"start" drill:"required"`
	End           LocalTime      `yaml:"end"`            // zero: the layer does not end
	RotationStart LocalTime      `yaml:"rotation_start"` // zero: Start; PagerDuty's rotation_virtual_start
	Rotation      Duration       `yaml:"rotation" drill:"required"`
	Users         []string       `yaml:"users"`
	Restrictions  []*Restriction `yaml:"restrictions"`
	Pos           Pos            `yaml:"-"`
}

// MaxRotationSpan bounds the distance between a layer's rotation_start
// and its start: a century, far inside what time.Duration holds, so that
// counting turns never overflows.
const MaxRotationSpan = 100 * 365 * 24 * time.Hour

// Restriction limits a layer to a weekly window ("Mon 09:00" to
// "Fri 18:00") or a daily one ("09:00" to "18:00"), in local time. A window
// whose end is not after its start wraps around.
type Restriction struct {
	Type string `yaml:"type" drill:"required"` // weekly | daily
	From string `yaml:"from" drill:"required"`
	To   string `yaml:"to" drill:"required"`
	Pos  Pos    `yaml:"-"`

	from, to int // minutes into the week (weekly) or day (daily)
}

// Override puts User on call from Start to End (local times).
type Override struct {
	User  string    `yaml:"user" drill:"required"`
	Start LocalTime `yaml:"start" drill:"required"`
	End   LocalTime `yaml:"end" drill:"required"`
	Pos   Pos       `yaml:"-"`
}

// Policy is an escalation policy: levels (rules) tried in order, the whole
// list repeated Loops times.
type Policy struct {
	ID    string        `yaml:"id" drill:"required"`
	Name  string        `yaml:"name"`
	Team  string        `yaml:"team"`
	Loops int           `yaml:"loops"` // times the rule list runs; 0 means 1
	Rules []*PolicyRule `yaml:"rules"`
	File  string        `yaml:"-"`
	Pos   Pos           `yaml:"-"`
}

// Runs is how many times the rule list runs (at least 1).
func (p *Policy) Runs() int { return max(p.Loops, 1) }

// PolicyRule is one escalation level: page Targets, and escalate to the
// next level after EscalateAfter without an acknowledgement.
type PolicyRule struct {
	EscalateAfter Duration `yaml:"escalate_after" drill:"required"`
	Targets       []Target `yaml:"targets"`
	// Assignment says how a level with several people on call assigns the
	// page: "all" pages everyone, "round_robin" one at a time. Empty means
	// unspecified.
	Assignment string `yaml:"assignment"`
	Pos        Pos    `yaml:"-"`
}

// Target is exactly one of a schedule, a user or a team.
type Target struct {
	Schedule string `yaml:"schedule"`
	User     string `yaml:"user"`
	Team     string `yaml:"team"`
	Pos      Pos    `yaml:"-"`
}

// String is the target as written: schedule:x, user:x or team:x.
func (t Target) String() string {
	switch {
	case t.Schedule != "":
		return "schedule " + t.Schedule
	case t.User != "":
		return "user " + t.User
	}
	return "team " + t.Team
}

// Route sends alerts whose labels match to a policy.
type Route struct {
	Match   map[string]string `yaml:"match"`    // exact label values
	MatchRE map[string]string `yaml:"match_re"` // anchored RE2, as Alertmanager
	Default bool              `yaml:"default"`
	Policy  string            `yaml:"policy" drill:"required"`
	File    string            `yaml:"-"`
	Pos     Pos               `yaml:"-"`

	re map[string]*regexp.Regexp
}

// Matches reports whether an alert with these labels takes this route.
func (r *Route) Matches(labels map[string]string) bool {
	if r.Default {
		return true
	}
	for k, v := range r.Match {
		if labels[k] != v {
			return false
		}
	}
	for k, re := range r.re {
		if !re.MatchString(labels[k]) {
			return false
		}
	}
	return true
}

// Route returns the policy of the first route matching labels.
func (e *Escalation) Route(labels map[string]string) (policyID string, ok bool) {
	for _, r := range e.Routes {
		if r.Matches(labels) {
			return r.Policy, true
		}
	}
	return "", false
}

// User, Team, Schedule and Policy look up by ID.
func (e *Escalation) User(id string) (*User, bool)         { u, ok := e.users[id]; return u, ok }
func (e *Escalation) Team(id string) (*Group, bool)        { g, ok := e.teams[id]; return g, ok }
func (e *Escalation) Schedule(id string) (*Schedule, bool) { s, ok := e.schedules[id]; return s, ok }
func (e *Escalation) Policy(id string) (*Policy, bool)     { p, ok := e.policies[id]; return p, ok }

// ParseEscalation decodes one escalation file strictly.
func ParseEscalation(file string, data []byte) (*Escalation, error) {
	e := &Escalation{}
	doc, probs := strictyaml.Decode(file, data, e)
	e.stamp(file)
	bad := map[string]bool{}
	for _, p := range probs {
		bad[p.Field] = true
	}
	shapes := e.validateShapes(file, bad)
	if len(shapes) > 0 {
		// Point at the field itself, not at the item holding it.
		for i := range shapes {
			if k := doc.Key(shapes[i].Field); k != nil {
				shapes[i].Line, shapes[i].Col = k.Line, k.Column
			}
		}
	}
	probs = append(probs, shapes...)
	if len(probs) > 0 {
		probs.Sort()
		return e, probs
	}
	return e, nil
}

// ParseStandalone decodes one escalation file and indexes it on its own,
// so that OnCall and the lookups answer from it alone; references to other
// files are not checked (LoadFS does that). The PagerDuty import uses it
// to ask drill who is on call in the file it wrote.
func ParseStandalone(file string, data []byte) (*Escalation, error) {
	e, err := ParseEscalation(file, data)
	if err != nil {
		return nil, err
	}
	if probs := e.index(); len(probs) > 0 {
		probs.Sort()
		return nil, probs
	}
	return e, nil
}

func (e *Escalation) stamp(file string) {
	for _, u := range e.Users {
		u.File = file
	}
	for _, g := range e.Teams {
		g.File = file
	}
	for _, s := range e.Schedules {
		s.File = file
	}
	for _, p := range e.Policies {
		p.File = file
	}
	for _, r := range e.Routes {
		r.File = file
	}
	for _, r := range e.Roles {
		r.File = file
	}
}

var weekdays = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) || len(m) != 2 {
		return 0, false
	}
	return hh*60 + mm, true
}

func (r *Restriction) parse() (string, bool) {
	switch r.Type {
	case "daily":
		f, ok1 := parseClock(r.From)
		t, ok2 := parseClock(r.To)
		if !ok1 || !ok2 {
			return `a daily window like from: "09:00", to: "18:00"`, false
		}
		r.from, r.to = f, t
	case "weekly":
		parse := func(s string) (int, bool) {
			d, c, ok := strings.Cut(strings.TrimSpace(s), " ")
			wd, ok2 := weekdays[strings.ToLower(d)]
			m, ok3 := parseClock(strings.TrimSpace(c))
			return wd*1440 + m, ok && ok2 && ok3
		}
		f, ok1 := parse(r.From)
		t, ok2 := parse(r.To)
		if !ok1 || !ok2 {
			return `a weekly window like from: "Mon 09:00", to: "Fri 18:00"`, false
		}
		r.from, r.to = f, t
	default:
		return "type weekly or daily", false
	}
	return "", true
}

func (e *Escalation) validateShapes(file string, bad map[string]bool) Problems {
	var probs Problems
	add := func(p Pos, field, format string, args ...any) {
		if bad[field] {
			return // already reported by the decoder
		}
		probs = append(probs, Problem{File: file, Line: p.Line, Col: p.Col, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	for i, u := range e.Users {
		if u.Timezone == "" {
			continue
		}
		if _, err := time.LoadLocation(u.Timezone); err != nil || u.Timezone == "Local" {
			add(u.Pos, fmt.Sprintf("users[%d].timezone", i), "unknown timezone %s; expected an IANA name like Europe/Berlin", teamfile.Excerpt(u.Timezone))
		}
	}
	for i, s := range e.Schedules {
		if s.Timezone != "" {
			loc, err := time.LoadLocation(s.Timezone)
			if err != nil {
				add(s.Pos, fmt.Sprintf("schedules[%d].timezone", i), "unknown timezone %q; expected an IANA name like Europe/Berlin", s.Timezone)
			}
			s.loc = loc
		}
		for j, l := range s.Layers {
			if l.Rotation <= 0 && l.Pos.Line > 0 {
				add(l.Pos, fmt.Sprintf("schedules[%d].layers[%d].rotation", i, j), "expected a positive duration")
			}
			if !l.End.IsZero() && !l.Start.IsZero() && !l.End.After(l.Start.Time) {
				add(l.Pos, fmt.Sprintf("schedules[%d].layers[%d].end", i, j), "expected an end after start %s", l.Start.Format("2006-01-02T15:04"))
			}
			if !l.RotationStart.IsZero() && !l.Start.IsZero() {
				if d := l.Start.Sub(l.RotationStart.Time); d > MaxRotationSpan || d < -MaxRotationSpan {
					add(l.Pos, fmt.Sprintf("schedules[%d].layers[%d].rotation_start", i, j), "expected a time within a century of start %s", l.Start.Format("2006-01-02T15:04"))
				}
			}
			for k, r := range l.Restrictions {
				if want, ok := r.parse(); !ok {
					add(r.Pos, fmt.Sprintf("schedules[%d].layers[%d].restrictions[%d]", i, j, k), "expected %s, got type %q from %q to %q", want, r.Type, r.From, r.To)
				}
			}
		}
		for j, o := range s.Overrides {
			if !o.End.After(o.Start.Time) && !o.Start.IsZero() {
				add(o.Pos, fmt.Sprintf("schedules[%d].overrides[%d].end", i, j), "expected an end after start %s", o.Start.Format("2006-01-02T15:04"))
			}
		}
	}
	for i, p := range e.Policies {
		if p.Loops < 0 {
			add(p.Pos, fmt.Sprintf("policies[%d].loops", i), "expected 0 or more (0 and 1 both run the rule list once)")
		}
		for j, r := range p.Rules {
			for k, t := range r.Targets {
				n := 0
				for _, v := range []string{t.Schedule, t.User, t.Team} {
					if v != "" {
						n++
					}
				}
				if n != 1 {
					add(t.Pos, fmt.Sprintf("policies[%d].rules[%d].targets[%d]", i, j, k), "expected exactly one of schedule, user, team")
				}
			}
			switch r.Assignment {
			case "", "all", "round_robin":
			default:
				add(r.Pos, fmt.Sprintf("policies[%d].rules[%d].assignment", i, j), "expected all or round_robin, got %q", r.Assignment)
			}
		}
	}
	e.validateRoles(add)
	for i, r := range e.Routes {
		if !r.Default && len(r.Match) == 0 && len(r.MatchRE) == 0 {
			add(r.Pos, fmt.Sprintf("routes[%d]", i), "expected match, match_re or default: true")
		}
		r.re = map[string]*regexp.Regexp{}
		for k, v := range r.MatchRE {
			if _, err := regexp.Compile(v); err != nil { // the error quotes what the user wrote
				add(r.Pos, fmt.Sprintf("routes[%d].match_re.%s", i, k), "expected a regular expression: %v", err)
				continue
			}
			re, err := regexp.Compile("^(?:" + v + ")$")
			if err != nil {
				add(r.Pos, fmt.Sprintf("routes[%d].match_re.%s", i, k), "expected a regular expression: %v", err)
				continue
			}
			r.re[k] = re
		}
	}
	return probs
}

// merge appends o into e; index builds the lookups and reports duplicate
// IDs across files.
func (e *Escalation) merge(o *Escalation) {
	e.Users = append(e.Users, o.Users...)
	e.Teams = append(e.Teams, o.Teams...)
	e.Schedules = append(e.Schedules, o.Schedules...)
	e.Policies = append(e.Policies, o.Policies...)
	e.Routes = append(e.Routes, o.Routes...)
	e.Roles = append(e.Roles, o.Roles...)
}

func (e *Escalation) index() Problems {
	var probs Problems
	e.users = indexByID("user", e.Users, func(u *User) (string, string, Pos) { return u.ID, u.File, u.Pos }, &probs)
	e.teams = indexByID("team", e.Teams, func(g *Group) (string, string, Pos) { return g.ID, g.File, g.Pos }, &probs)
	e.schedules = indexByID("schedule", e.Schedules, func(s *Schedule) (string, string, Pos) { return s.ID, s.File, s.Pos }, &probs)
	e.policies = indexByID("policy", e.Policies, func(p *Policy) (string, string, Pos) { return p.ID, p.File, p.Pos }, &probs)
	probs = append(probs, e.indexRoles()...)
	return probs
}

// indexByID maps items by id, keeping the first of a duplicated id and
// reporting the others where they are defined.
func indexByID[T any](kind string, items []*T, key func(*T) (id, file string, at Pos), probs *Problems) map[string]*T {
	byID := make(map[string]*T, len(items))
	firstFile := make(map[string]string, len(items))
	for _, it := range items {
		id, file, at := key(it)
		if prev, ok := firstFile[id]; ok {
			*probs = append(*probs, Problem{File: file, Line: at.Line, Col: at.Col, Field: kind + " " + id, Msg: "duplicate id; first defined in " + prev})
			continue
		}
		byID[id], firstFile[id] = it, file
	}
	return byID
}
