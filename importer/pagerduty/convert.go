package pagerduty

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Warning is something of the export drill cannot represent, or that the
// export lacks: File and Path name the PagerDuty object and field.
type Warning struct {
	File string
	Path string
	Msg  string
}

func (w Warning) String() string { return w.File + ": " + w.Path + ": " + w.Msg }

// Result is the drill escalation file an import makes, before Render.
type Result struct {
	Users     []User
	Teams     []Team
	Schedules []Schedule
	Policies  []Policy
	Routes    []Route
	Warnings  []Warning
	Sources   []string // the input files, in the order given

	finals []finalCheck // final_schedule answers, for Verify
}

// The drill objects, as docs/escalation.md writes them.
type (
	User struct {
		ID                string         `yaml:"id"`
		Name              string         `yaml:"name,omitempty"`
		Timezone          string         `yaml:"timezone,omitempty"`
		ContactMethods    []Contact      `yaml:"contact_methods,omitempty"`
		NotificationRules []Notification `yaml:"notification_rules,omitempty"`
	}
	Contact struct {
		Type    string `yaml:"type"`
		Address string `yaml:"address,omitempty"`
	}
	Notification struct {
		After string `yaml:"after"`
		Via   string `yaml:"via"`
	}
	Team struct {
		ID      string   `yaml:"id"`
		Name    string   `yaml:"name,omitempty"`
		Members []string `yaml:"members,flow"`
	}
	Schedule struct {
		ID        string     `yaml:"id"`
		Name      string     `yaml:"name,omitempty"`
		Timezone  string     `yaml:"timezone"`
		Layers    []Layer    `yaml:"layers"`
		Overrides []Override `yaml:"overrides,omitempty"`
	}
	Override struct {
		User  string `yaml:"user"`
		Start string `yaml:"start"`
		End   string `yaml:"end"`
	}
	Layer struct {
		Name          string        `yaml:"name,omitempty"`
		Start         string        `yaml:"start"`
		RotationStart string        `yaml:"rotation_start,omitempty"`
		End           string        `yaml:"end,omitempty"`
		Rotation      string        `yaml:"rotation"`
		Users         []string      `yaml:"users,flow"`
		Restrictions  []Restriction `yaml:"restrictions,omitempty"`
	}
	Restriction struct {
		Type string `yaml:"type"`
		From string `yaml:"from"`
		To   string `yaml:"to"`
	}
	Policy struct {
		ID    string       `yaml:"id"`
		Name  string       `yaml:"name,omitempty"`
		Team  string       `yaml:"team,omitempty"`
		Loops int          `yaml:"loops,omitempty"`
		Rules []PolicyRule `yaml:"rules"`
	}
	PolicyRule struct {
		EscalateAfter string   `yaml:"escalate_after"`
		Targets       []Target `yaml:"targets"`
		Assignment    string   `yaml:"assignment,omitempty"`
	}
	Target struct {
		Schedule string `yaml:"schedule,omitempty"`
		User     string `yaml:"user,omitempty"`
	}
	Route struct {
		Match  map[string]string `yaml:"match,flow"`
		Policy string            `yaml:"policy"`
	}
)

// located is a PagerDuty object with the file and JSON path it came from.
type located[T any] struct {
	file, path string
	obj        *T
}

type converter struct {
	now    time.Time
	res    *Result
	users  []located[pdUser]
	teams  []located[pdTeam]
	scheds []located[pdSchedule]
	pols   []located[pdPolicy]
	svcs   []located[pdService]

	userID  map[string]string // PD id → drill id
	teamID  map[string]string
	schedID map[string]string
	polID   map[string]string

	teamName map[string]string // PD team id → its name
}

// Convert maps the saved responses to one drill escalation file. now
// decides which layers have ended. An object given in two files (a
// schedule in GET /schedules and GET /schedules/{id}) is taken once: the
// copy with schedule layers, else the first.
func Convert(files []Input, now time.Time) (*Result, error) {
	c := &converter{now: now, res: &Result{}, userID: map[string]string{}, teamID: map[string]string{}, schedID: map[string]string{}, polID: map[string]string{}}
	if len(files) == 0 {
		return nil, &Error{Msg: "no input files; expected saved responses of GET /users, GET /schedules/{id} and GET /escalation_policies"}
	}
	for _, in := range files {
		c.res.Sources = append(c.res.Sources, in.Name)
		r, err := decode(in)
		if err != nil {
			return nil, err
		}
		if err := c.collect(in.Name, r); err != nil {
			return nil, err
		}
	}
	if n := len(c.users) + len(c.teams) + len(c.scheds) + len(c.pols) + len(c.svcs); n > MaxObjects {
		return nil, &Error{File: files[len(files)-1].Name, Msg: fmt.Sprintf("%d objects in the import; expected at most %d (MaxObjects)", n, MaxObjects)}
	}
	c.mapTeams()
	c.mapUsers()
	if err := c.mapSchedules(); err != nil {
		return nil, err
	}
	if err := c.mapPolicies(); err != nil {
		return nil, err
	}
	if err := c.mapServices(); err != nil {
		return nil, err
	}
	return c.res, nil
}

func (c *converter) warn(file, path, format string, args ...any) {
	c.res.Warnings = append(c.res.Warnings, Warning{File: file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func addAll[T any](dst *[]located[T], file, key, single string, list []T, one *T) {
	for i := range list {
		*dst = append(*dst, located[T]{file, fmt.Sprintf("%s[%d]", key, i), &list[i]})
	}
	if one != nil {
		*dst = append(*dst, located[T]{file, single, one})
	}
}

func (c *converter) collect(file string, r *response) error {
	if r.More {
		c.warn(file, "more", "the response has more pages (more: true); only this page is imported: save every page (offset=...) and give them all")
	}
	if len(r.Overrides) > 0 {
		c.warnOverrides(file, r.Overrides)
	}
	addAll(&c.users, file, "users", "user", r.Users, r.User)
	addAll(&c.teams, file, "teams", "team", r.Teams, r.Team)
	addAll(&c.scheds, file, "schedules", "schedule", r.Schedules, r.Schedule)
	addAll(&c.pols, file, "escalation_policies", "escalation_policy", r.EscalationPolicies, r.EscalationPolicy)
	addAll(&c.svcs, file, "services", "service", r.Services, r.Service)
	check := func(kind, id, file, path string) error {
		if id == "" {
			return &Error{File: file, Path: path + ".id", Msg: "missing; expected the " + kind + "'s PagerDuty ID"}
		}
		return nil
	}
	for _, u := range c.users {
		if err := check("user", u.obj.ID, u.file, u.path); err != nil {
			return err
		}
	}
	for _, s := range c.scheds {
		if err := check("schedule", s.obj.ID, s.file, s.path); err != nil {
			return err
		}
	}
	for _, p := range c.pols {
		if err := check("escalation policy", p.obj.ID, p.file, p.path); err != nil {
			return err
		}
	}
	return nil
}

// dedupe keeps one copy per PagerDuty id: better(a, b) says b should
// replace a.
func dedupe[T any](in []located[T], id func(*T) string, better func(a, b *T) bool) []located[T] {
	at := map[string]int{}
	var out []located[T]
	for _, l := range in {
		k := id(l.obj)
		if i, ok := at[k]; ok {
			if better(out[i].obj, l.obj) {
				out[i] = l
			}
			continue
		}
		at[k] = len(out)
		out = append(out, l)
	}
	return out
}

// slug makes a drill id: lower case letters, digits, '-', '_' and '.'.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	return strings.Trim(b.String(), "-.")
}

// ids hands out unique drill ids: the first to ask for a name gets it,
// later ones get name-2, name-3.
type ids map[string]bool

func (u ids) take(want, fallback string) string {
	if want == "" {
		want = strings.ToLower(fallback)
	}
	id := want
	for n := 2; u[id]; n++ {
		id = want + "-" + strconv.Itoa(n)
	}
	u[id] = true
	return id
}

func (c *converter) mapTeams() {
	c.teams = dedupe(c.teams, func(t *pdTeam) string { return t.ID }, func(a, b *pdTeam) bool { return a.Name == "" && b.Name != "" })
	// Teams named only in users' and policies' references count too.
	names := map[string]string{}
	var order []string
	note := func(id, name string) {
		if id == "" {
			return
		}
		if _, ok := names[id]; !ok {
			order = append(order, id)
			names[id] = ""
		}
		if names[id] == "" {
			names[id] = name
		}
	}
	for _, t := range c.teams {
		note(t.obj.ID, firstNonEmpty(t.obj.Name, t.obj.Summary))
	}
	for _, u := range c.users {
		for _, t := range u.obj.Teams {
			note(t.ID, t.Summary)
		}
	}
	for _, p := range c.pols {
		for _, t := range p.obj.Teams {
			note(t.ID, t.Summary)
		}
	}
	c.teamName = names
	sort.Strings(order) // stable ids whatever the file order
	taken := ids{}
	for _, id := range order {
		c.teamID[id] = taken.take(slug(names[id]), id)
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// contactTypes maps PagerDuty's contact method types to drill's.
var contactTypes = map[string]string{
	"email_contact_method":             "email",
	"phone_contact_method":             "phone",
	"sms_contact_method":               "sms",
	"push_notification_contact_method": "push",
}

func (c *converter) mapUsers() {
	c.users = dedupe(c.users, func(u *pdUser) string { return u.ID }, func(a, b *pdUser) bool { return len(a.ContactMethods) == 0 && len(b.ContactMethods) > 0 })
	// Ids are handed out in PagerDuty id order, so the same account gives
	// the same ids whatever order its files come in.
	order := make([]int, len(c.users))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return c.users[order[a]].obj.ID < c.users[order[b]].obj.ID })
	taken := ids{}
	for _, i := range order {
		u := c.users[i].obj
		local, _, _ := strings.Cut(u.Email, "@")
		c.userID[u.ID] = taken.take(firstNonEmpty(slug(local), slug(u.Name)), u.ID)
	}
	members := map[string][]string{}
	for _, l := range c.users {
		u, file, path := l.obj, l.file, l.path
		out := User{ID: c.userID[u.ID], Name: u.Name, Timezone: u.TimeZone}
		if _, err := time.LoadLocation(u.TimeZone); err != nil || u.TimeZone == "Local" {
			c.warn(file, path+".time_zone", "%q is no IANA time zone name; the user is imported without a timezone", u.TimeZone)
			out.Timezone = ""
		}
		byID := map[string]string{}
		for j, m := range u.ContactMethods {
			p := fmt.Sprintf("%s.contact_methods[%d]", path, j)
			if strings.HasSuffix(m.Type, "_reference") {
				t, ok := contactTypes[strings.TrimSuffix(m.Type, "_reference")]
				if !ok {
					c.warn(file, p+".type", "contact method type %q has no drill counterpart (push, sms, phone, email); not imported", m.Type)
					continue
				}
				c.warn(file, p, "contact method %s is a reference without its address (imported as %s without one): save GET /users with include[]=contact_methods", m.ID, t)
				byID[m.ID] = t
				out.ContactMethods = append(out.ContactMethods, Contact{Type: t})
				continue
			}
			t, ok := contactTypes[m.Type]
			if !ok {
				c.warn(file, p+".type", "contact method type %q has no drill counterpart (push, sms, phone, email); not imported", m.Type)
				continue
			}
			addr := m.Address
			if (t == "sms" || t == "phone") && m.CountryCode != 0 {
				addr = fmt.Sprintf("+%d %s", m.CountryCode, m.Address)
			}
			if t == "push" {
				addr = "" // a device label, not an address
			}
			byID[m.ID] = t
			out.ContactMethods = append(out.ContactMethods, Contact{Type: t, Address: addr})
		}
		for j, r := range u.NotificationRules {
			p := fmt.Sprintf("%s.notification_rules[%d]", path, j)
			if r.Urgency == "low" {
				c.warn(file, p+".urgency", "a low-urgency rule; drill pages at one urgency and imports the high-urgency rules only")
				continue
			}
			via, ok := byID[r.ContactMethod.ID]
			if !ok {
				via, ok = contactTypes[strings.TrimSuffix(r.ContactMethod.Type, "_reference")]
			}
			if !ok {
				c.warn(file, p+".contact_method", "contact method %s (%s) is not among the user's importable ones; rule not imported", r.ContactMethod.ID, r.ContactMethod.Type)
				continue
			}
			if r.StartDelayInMinutes == nil || *r.StartDelayInMinutes < 0 {
				c.warn(file, p+".start_delay_in_minutes", "missing or negative; rule not imported")
				continue
			}
			out.NotificationRules = append(out.NotificationRules, Notification{After: fmt.Sprintf("%dm", *r.StartDelayInMinutes), Via: via})
		}
		c.res.Users = append(c.res.Users, out)
		for _, t := range u.Teams {
			members[t.ID] = append(members[t.ID], out.ID)
		}
	}
	var teamIDs []string
	for id := range c.teamID {
		teamIDs = append(teamIDs, id)
	}
	sort.Slice(teamIDs, func(a, b int) bool { return c.teamID[teamIDs[a]] < c.teamID[teamIDs[b]] })
	for _, id := range teamIDs {
		m := members[id]
		if m == nil {
			m = []string{}
		}
		c.res.Teams = append(c.res.Teams, Team{ID: c.teamID[id], Name: c.teamName[id], Members: m})
	}
}
