package mutate

import (
	"fmt"

	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/team"
)

// The operators on escalation files and drill.yaml's variables.
const (
	OpLevelRemoved  = "level-removed"
	OpInactive      = "target-inactive"
	OpNotifyDelayed = "notification-delayed"
	OpRouteRemoved  = "route-removed"
	OpScheduleGap   = "schedule-gap"
	OpWrongPath     = "endpoint-wrong-path"
)

// InactiveUser is the user a target-inactive mutant pages instead: added
// to the policy's file, with active: false.
const InactiveUser = "drill-mutant-inactive"

const inactiveUserYAML = `id: ` + InactiveUser + `
name: Inactive user (drill mutate)
active: false
contact_methods: [{type: push}]
notification_rules: [{after: 0m, via: push}]
`

// byID is the item of the sequence at key in n whose id is id.
func byID(n *yaml.Node, key, id string) (int, *yaml.Node) {
	for i, it := range items(n, key) {
		if str(it, "id") == id {
			return i, it
		}
	}
	return -1, nil
}

func escalationMutants(t *team.Team, opts GenOptions) ([]*Mutant, error) {
	e := t.Escalation
	if e == nil {
		return nil, nil
	}
	var out []*Mutant
	var ferr error
	mk := func(file, op, target, desc string, change func(body *yaml.Node) bool) {
		if ferr != nil {
			return
		}
		m := newMutant(file, Escalation, op, target)
		m.Description = desc
		m.content, ferr = mutateYAML(t, file, change)
		out = append(out, m)
	}
	longest := time.Duration(0)
	for _, p := range e.Policies {
		for _, r := range p.Rules {
			longest = max(longest, r.EscalateAfter.D())
		}
	}
	for _, p := range e.Policies {
		for i, r := range p.Rules {
			mk(p.File, OpLevelRemoved, fmt.Sprintf("%s/%d", p.ID, i+1),
				fmt.Sprintf("policy %s: level %d (%s) removed", p.ID, i+1, targetsString(r.Targets)),
				func(body *yaml.Node) bool {
					_, pn := byID(body, "policies", p.ID)
					return pn != nil && remove(pn, "rules", i)
				})
			for j, tg := range r.Targets {
				mk(p.File, OpInactive, fmt.Sprintf("%s/%d/%s", p.ID, i+1, strings.ReplaceAll(tg.String(), " ", ":")),
					fmt.Sprintf("policy %s level %d: target %s replaced by an inactive user", p.ID, i+1, tg),
					func(body *yaml.Node) bool {
						_, pn := byID(body, "policies", p.ID)
						rules := items(pn, "rules")
						if i >= len(rules) {
							return false
						}
						ts := items(rules[i], "targets")
						if j >= len(ts) || ts[j].Kind != yaml.MappingNode {
							return false
						}
						if len(ts[j].Content) < 2 {
							return false
						}
						ts[j].Content = ts[j].Content[:2] // one kind of target
						ts[j].Content[0].Value, ts[j].Content[1].Value = "user", InactiveUser
						return addInactiveUser(body)
					})
			}
		}
	}
	for _, u := range e.Users {
		if len(u.NotificationRules) == 0 || longest == 0 {
			continue
		}
		first, _ := u.FirstNotification()
		delay := longest - first + time.Minute
		mk(u.File, OpNotifyDelayed, u.ID,
			fmt.Sprintf("user %s: every notification rule delayed by %s, past the longest escalation (%s)", u.ID, model.Duration(delay), model.Duration(longest)),
			func(body *yaml.Node) bool {
				_, un := byID(body, "users", u.ID)
				rules := items(un, "notification_rules")
				if len(rules) != len(u.NotificationRules) {
					return false
				}
				for k, rn := range rules {
					set(rn, "after", model.Duration(u.NotificationRules[k].After.D()+delay).String())
				}
				return true
			})
	}
	routeN := map[string]int{}
	for _, r := range e.Routes {
		i := routeN[r.File]
		routeN[r.File]++
		what := "default"
		if !r.Default {
			what = matchString(r)
		}
		mk(r.File, OpRouteRemoved, fmt.Sprintf("%d", i+1),
			fmt.Sprintf("route %d (%s → policy %s) removed: its alerts go to a later route, or to no policy", i+1, what, r.Policy),
			func(body *yaml.Node) bool { return remove(body, "routes", i) })
	}
	for _, s := range e.Schedules {
		loc := s.Location()
		if loc == nil {
			loc = time.UTC
		}
		at := opts.At.In(loc)
		from, to := at.Add(6*time.Hour).Format("15:04"), at.Add(7*time.Hour).Format("15:04")
		for li, l := range s.Layers {
			name := l.Name
			if name == "" {
				name = fmt.Sprint(li + 1)
			}
			mk(s.File, OpScheduleGap, s.ID+"/"+name,
				fmt.Sprintf("schedule %s layer %s restricted to %s–%s daily (%s): nobody of it on call at drill time (%s)", s.ID, name, from, to, loc, at.Format("15:04")),
				func(body *yaml.Node) bool {
					_, sn := byID(body, "schedules", s.ID)
					ls := items(sn, "layers")
					if li >= len(ls) {
						return false
					}
					var r yaml.Node
					if err := yaml.Unmarshal([]byte(fmt.Sprintf("[{type: daily, from: %q, to: %q}]", from, to)), &r); err != nil {
						return false
					}
					clearPos(&r)
					setNode(ls[li], "restrictions", r.Content[0])
					return true
				})
		}
	}
	return out, ferr
}

// addInactiveUser adds InactiveUser to the file's users.
func addInactiveUser(body *yaml.Node) bool {
	var u yaml.Node
	if err := yaml.Unmarshal([]byte(inactiveUserYAML), &u); err != nil {
		return false
	}
	clearPos(&u)
	users := get(body, "users")
	if users == nil {
		users = &yaml.Node{Kind: yaml.SequenceNode}
		setNode(body, "users", users)
	}
	if users.Kind != yaml.SequenceNode {
		return false
	}
	users.Content = append(users.Content, u.Content[0])
	return true
}

// clearPos marks a tree parsed from drill's own text as new: no node of
// it has a place in the team's file.
func clearPos(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		clearPos(c)
	}
}

// setNode gives key the value v in the mapping n.
func setNode(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

func targetsString(ts []team.Target) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.String())
	}
	return strings.Join(s, ", ")
}

func matchString(r *team.Route) string {
	var s []string
	for k, v := range r.Match {
		s = append(s, k+"="+v)
	}
	for k, v := range r.MatchRE {
		s = append(s, k+"=~"+v)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// endpointVar says whether a drill.yaml variable names an endpoint: a
// URL, or a template of a part's address.
func endpointVar(name, value string) bool {
	v := strings.ToLower(value)
	n := strings.ToUpper(name)
	return strings.Contains(v, "://") || strings.Contains(value, ".Service") || strings.Contains(value, ".Stub") ||
		strings.Contains(value, ".Provider") || strings.HasSuffix(n, "_URL") || strings.HasSuffix(n, "_ADMIN") || strings.HasSuffix(n, "_ENDPOINT")
}

func variableMutants(t *team.Team, _ GenOptions) ([]*Mutant, error) {
	var names []string
	for k, v := range t.Config.Variables {
		if endpointVar(k, v) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []*Mutant
	for _, k := range names {
		m := newMutant(team.ConfigFile, Variables, OpWrongPath, k)
		m.Description = fmt.Sprintf("variable %s pointed at a wrong path (%s/drill-mutant-wrong-path)", k, t.Config.Variables[k])
		var err error
		m.content, err = mutateYAML(t, team.ConfigFile, func(body *yaml.Node) bool {
			vars := get(body, "variables")
			if str(vars, k) == "" {
				return false
			}
			set(vars, k, strings.TrimRight(str(vars, k), "/")+"/drill-mutant-wrong-path")
			return true
		})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
