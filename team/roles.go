package team

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is an incident role (incident commander, operations lead,
// communications lead, scribe, ...): who may fill it, for which alert
// severities it is required, how soon, and which roles the same person
// must not also hold. The IDs are the team's own; drill gives none of
// them a special meaning except that the trainer step "an incident
// commander is assigned" looks for incident_commander.
type Role struct {
	ID   string     `yaml:"id" drill:"required"`
	Name string     `yaml:"name"`
	From RoleSource `yaml:"from" drill:"required"`
	// RequiredFor are the alert severities (label values, compared
	// case-insensitively) whose incidents need this role filled.
	RequiredFor []string `yaml:"required_for"`
	// Within is how soon after the incident starts (the first firing of
	// its alert group) the role must be filled; 0 means no bound.
	Within Duration `yaml:"within"`
	// ExclusiveWith are roles the holder of this one must not also hold
	// (the commander should not be the one typing commands).
	ExclusiveWith []string `yaml:"exclusive_with"`
	// StatusUpdate, when set, is how long after claiming the role a
	// simulated holder posts the first status update.
	StatusUpdate Duration `yaml:"status_update"`
	File         string   `yaml:"-"`
	Pos          Pos      `yaml:"-"`
}

// RoleSource is exactly one of a schedule (whoever is on call), a team
// (any active member) or a list of users.
type RoleSource struct {
	Schedule string   `yaml:"schedule"`
	Team     string   `yaml:"team"`
	Users    []string `yaml:"users"`
	Pos      Pos      `yaml:"-"`
}

// String is the source as written: schedule x, team x or users a, b.
func (s RoleSource) String() string {
	switch {
	case s.Schedule != "":
		return "schedule " + s.Schedule
	case s.Team != "":
		return "team " + s.Team
	}
	return "users " + strings.Join(s.Users, ", ")
}

// Title is the role's name, or its ID when it has none.
func (r *Role) Title() string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// Required reports whether an incident of this severity needs the role.
func (r *Role) Required(severity string) bool {
	for _, s := range r.RequiredFor {
		if strings.EqualFold(s, severity) {
			return true
		}
	}
	return false
}

// Exclusive reports whether the holder of r must not also hold other.
// Exclusion is symmetric: either role may declare it.
func (r *Role) Exclusive(other *Role) bool {
	return slices.Contains(r.ExclusiveWith, other.ID) || slices.Contains(other.ExclusiveWith, r.ID)
}

// Role looks a role up by ID.
func (e *Escalation) Role(id string) (*Role, bool) { r, ok := e.roles[id]; return r, ok }

// RoleCandidates returns the active users who can fill the role at t: the
// one on call for a schedule source, the active members of a team, the
// active listed users. An error names a source that does not exist.
func (e *Escalation) RoleCandidates(r *Role, t time.Time) ([]string, error) {
	var ids []string
	switch {
	case r.From.Schedule != "":
		on, err := e.OnCall(r.From.Schedule, t)
		if err != nil {
			return nil, fmt.Errorf("role %s is filled from schedule %s, which does not exist", r.ID, r.From.Schedule)
		}
		ids = on
	case r.From.Team != "":
		g, ok := e.teams[r.From.Team]
		if !ok {
			return nil, fmt.Errorf("role %s is filled from team %s, which does not exist", r.ID, r.From.Team)
		}
		ids = g.Members
	default:
		ids = r.From.Users
	}
	var out []string
	for _, id := range ids {
		if u, ok := e.users[id]; ok && u.IsActive() && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// RolesFor returns the roles an incident of this severity requires, in
// file order.
func (e *Escalation) RolesFor(severity string) []*Role {
	var out []*Role
	for _, r := range e.Roles {
		if r.Required(severity) {
			out = append(out, r)
		}
	}
	return out
}

func (e *Escalation) validateRoles(add func(p Pos, field, format string, args ...any)) {
	for i, r := range e.Roles {
		n := 0
		for _, set := range []bool{r.From.Schedule != "", r.From.Team != "", len(r.From.Users) > 0} {
			if set {
				n++
			}
		}
		if n != 1 && r.From.Pos.Line > 0 {
			add(r.From.Pos, fmt.Sprintf("roles[%d].from", i), "expected exactly one of schedule, team, users")
		}
		if r.Within < 0 {
			add(r.Pos, fmt.Sprintf("roles[%d].within", i), "expected a positive duration")
		}
		if r.StatusUpdate < 0 {
			add(r.Pos, fmt.Sprintf("roles[%d].status_update", i), "expected a positive duration")
		}
		if slices.Contains(r.ExclusiveWith, r.ID) {
			add(r.Pos, fmt.Sprintf("roles[%d].exclusive_with", i), "role %s cannot exclude itself; expected other role ids", r.ID)
		}
	}
}

// indexRoles builds the role lookup after merging and reports duplicate
// IDs and exclusive_with naming no role.
func (e *Escalation) indexRoles() Problems {
	var probs Problems
	e.roles = indexByID("role", e.Roles, func(r *Role) (string, string, Pos) { return r.ID, r.File, r.Pos }, &probs)
	for _, r := range e.Roles {
		for _, x := range r.ExclusiveWith {
			if _, ok := e.roles[x]; !ok && x != r.ID {
				probs = append(probs, Problem{File: r.File, Line: r.Pos.Line, Col: r.Pos.Col, Field: "role " + r.ID + ".exclusive_with",
					Msg: fmt.Sprintf("names role %q, which is not in roles:; expected one of %s", x, strings.Join(e.roleIDs(), ", "))})
			}
		}
	}
	return probs
}

func (e *Escalation) roleIDs() []string {
	var ids []string
	for _, r := range e.Roles {
		ids = append(ids, r.ID)
	}
	return ids
}
