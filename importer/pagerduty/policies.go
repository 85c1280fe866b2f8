package pagerduty

import (
	"fmt"
	"sort"
	"strings"
)

func (c *converter) mapPolicies() error {
	c.pols = dedupe(c.pols, func(p *pdPolicy) string { return p.ID }, func(a, b *pdPolicy) bool { return len(a.EscalationRules) == 0 && len(b.EscalationRules) > 0 })
	order := make([]int, len(c.pols))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return c.pols[order[a]].obj.ID < c.pols[order[b]].obj.ID })
	taken := ids{}
	for _, i := range order {
		p := c.pols[i].obj
		c.polID[p.ID] = taken.take(slug(p.Name), p.ID)
	}
	for _, l := range c.pols {
		p, file, path := l.obj, l.file, l.path
		out := Policy{ID: c.polID[p.ID], Name: p.Name, Rules: []PolicyRule{}}
		if len(p.Teams) > 0 {
			out.Team = c.teamID[p.Teams[0].ID]
			if len(p.Teams) > 1 {
				var rest []string
				for _, t := range p.Teams[1:] {
					rest = append(rest, c.teamID[t.ID])
				}
				c.warn(file, path+".teams", "a drill policy has one team; took %s, not %s", out.Team, strings.Join(rest, ", "))
			}
		}
		if p.NumLoops < 0 {
			return &Error{File: file, Path: path + ".num_loops", Msg: fmt.Sprintf("%d; expected 0 or more", p.NumLoops)}
		}
		if p.NumLoops > 0 {
			// PagerDuty's num_loops counts repeats after the first pass;
			// drill's loops counts passes.
			out.Loops = p.NumLoops + 1
		}
		if p.OnCallHandoffNotifications == "always" {
			c.warn(file, path+".on_call_handoff_notifications", "always: drill sends no hand-off notifications")
		}
		if len(p.EscalationRules) == 0 {
			c.warn(file, path+".escalation_rules", "none: the policy pages nobody")
		}
		for j, r := range p.EscalationRules {
			rp := fmt.Sprintf("%s.escalation_rules[%d]", path, j)
			if r.EscalationDelayInMinutes == nil || *r.EscalationDelayInMinutes < 0 {
				return &Error{File: file, Path: rp + ".escalation_delay_in_minutes", Msg: "missing or negative; expected the minutes before the next rule"}
			}
			rule := PolicyRule{EscalateAfter: fmt.Sprintf("%dm", *r.EscalationDelayInMinutes), Targets: []Target{}}
			for k, t := range r.Targets {
				tp := fmt.Sprintf("%s.targets[%d]", rp, k)
				switch t.Type {
				case "user_reference", "user":
					id, ok := c.userID[t.ID]
					if !ok {
						return &Error{File: file, Path: tp + ".id", Msg: fmt.Sprintf("unknown user %q; expected a user of the saved GET /users response (give that file too)", t.ID)}
					}
					rule.Targets = append(rule.Targets, Target{User: id})
				case "schedule_reference", "schedule":
					id, ok := c.schedID[t.ID]
					if !ok {
						return &Error{File: file, Path: tp + ".id", Msg: fmt.Sprintf("unknown schedule %q; expected a schedule of a saved GET /schedules/{id} response (give that file too)", t.ID)}
					}
					rule.Targets = append(rule.Targets, Target{Schedule: id})
				default:
					c.warn(file, tp+".type", "target type %q has no drill counterpart (user_reference, schedule_reference); not imported", t.Type)
				}
			}
			if len(rule.Targets) == 0 {
				c.warn(file, rp+".targets", "no target drill can page; the level pages nobody")
			}
			if s := r.EscalationRuleAssignmentStrategy; s != nil {
				switch s.Type {
				case "assign_to_everyone":
					rule.Assignment = "all"
				case "round_robin":
					rule.Assignment = "round_robin"
				default:
					c.warn(file, rp+".escalation_rule_assignment_strategy.type", "%q has no drill counterpart (assign_to_everyone, round_robin); left unspecified", s.Type)
				}
			}
			out.Rules = append(out.Rules, rule)
		}
		c.res.Policies = append(c.res.Policies, out)
	}
	return nil
}

// mapServices makes a route per service: alerts whose service label is
// the service's drill id take its escalation policy.
func (c *converter) mapServices() error {
	c.svcs = dedupe(c.svcs, func(s *pdService) string { return s.ID }, func(a, b *pdService) bool { return a.EscalationPolicy == nil && b.EscalationPolicy != nil })
	taken := ids{}
	for _, l := range c.svcs {
		s, file, path := l.obj, l.file, l.path
		name := taken.take(slug(s.Name), s.ID)
		if s.Status == "disabled" {
			c.warn(file, path+".status", "service %q is disabled; no route imported", s.Name)
			continue
		}
		if s.EscalationPolicy == nil || s.EscalationPolicy.ID == "" {
			c.warn(file, path+".escalation_policy", "service %q names no escalation policy; no route imported", s.Name)
			continue
		}
		pol, ok := c.polID[s.EscalationPolicy.ID]
		if !ok {
			return &Error{File: file, Path: path + ".escalation_policy.id", Msg: fmt.Sprintf("unknown escalation policy %q; expected a policy of a saved GET /escalation_policies response (give that file too)", s.EscalationPolicy.ID)}
		}
		c.res.Routes = append(c.res.Routes, Route{Match: map[string]string{"service": name}, Policy: pol})
	}
	return nil
}
