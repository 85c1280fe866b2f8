package pagerduty

import (
	"fmt"
	"sort"
	"time"
)

// entry is a rendered schedule entry: user (a drill id; "" for nobody)
// on call from start to end.
type entry struct {
	start, end time.Time
	user       string
	path       string // JSON path of the entry
}

// entries parses a sub-schedule's rendered_schedule_entries.
func (c *converter) entries(file, p string, list []pdEntry) ([]entry, error) {
	const iso = "expected an ISO 8601 time like 2026-01-05T09:00:00+01:00"
	var out []entry
	for k, e := range list {
		ep := fmt.Sprintf("%s[%d]", p, k)
		start, ok := parseTime(e.Start)
		if !ok {
			return nil, &Error{File: file, Path: ep + ".start", Msg: fmt.Sprintf("%q; %s", e.Start, iso)}
		}
		end, ok := parseTime(e.End)
		if !ok {
			return nil, &Error{File: file, Path: ep + ".end", Msg: fmt.Sprintf("%q; %s", e.End, iso)}
		}
		if !end.After(start) {
			return nil, &Error{File: file, Path: ep + ".end", Msg: fmt.Sprintf("%s; expected a time after the entry's start %s", e.End, e.Start)}
		}
		if e.User == nil || e.User.ID == "" {
			return nil, &Error{File: file, Path: ep + ".user", Msg: "missing; expected the user on call (a user_reference)"}
		}
		id, ok := c.userID[e.User.ID]
		if !ok {
			return nil, &Error{File: file, Path: ep + ".user.id", Msg: fmt.Sprintf("unknown user %q; expected a user of the saved GET /users response (give that file too)", e.User.ID)}
		}
		out = append(out, entry{start: start, end: end, user: id, path: ep})
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].start.Before(out[b].start) })
	return out, nil
}

// overrides imports the schedule's overrides_subschedule (GET
// /schedules/{id} with since and until renders it): each entry is an
// override in drill. Those that ended at or before now are left out.
func (c *converter) overrides(file, path string, s *pdSchedule, loc *time.Location, out *Schedule) error {
	if s.OverridesSubschedule == nil {
		return nil
	}
	p := path + ".overrides_subschedule.rendered_schedule_entries"
	list, err := c.entries(file, p, s.OverridesSubschedule.RenderedScheduleEntries)
	if err != nil {
		return err
	}
	stale := 0
	for _, e := range list {
		if !e.end.After(c.now) {
			stale++
			continue
		}
		start, end := civil(e.start, loc), civil(e.end, loc)
		if !end.After(start) { // an hour repeated by a daylight-saving change
			c.warn(file, e.path, "override of %s from %s to %s is empty in local time (%s to %s); not imported", e.user, e.start.Format(time.RFC3339), e.end.Format(time.RFC3339), start.Format(localLayout), end.Format(localLayout))
			continue
		}
		out.Overrides = append(out.Overrides, Override{User: e.user, Start: start.Format(localLayout), End: end.Format(localLayout)})
	}
	if stale > 0 {
		c.warn(file, p, "%d of %d overrides ended before the import's time %s; not imported", stale, len(list), c.now.Format(time.RFC3339))
	}
	return nil
}

// warnOverrides names what a GET /schedules/{id}/overrides response holds:
// it does not say its schedule, so it cannot be imported.
func (c *converter) warnOverrides(file string, list []pdEntry) {
	var first, last time.Time
	stale, bad := 0, 0
	for _, o := range list {
		start, ok1 := parseTime(o.Start)
		end, ok2 := parseTime(o.End)
		if !ok1 || !ok2 {
			bad++
			continue
		}
		if first.IsZero() || start.Before(first) {
			first = start
		}
		if end.After(last) {
			last = end
		}
		if !end.After(c.now) {
			stale++
		}
	}
	window := ""
	if !first.IsZero() {
		window = fmt.Sprintf(" from %s to %s", first.UTC().Format(time.RFC3339), last.UTC().Format(time.RFC3339))
	}
	c.warn(file, "overrides", "%d overrides%s (%d ended before the import's time, %d with unreadable times) not imported: a GET /schedules/{id}/overrides response does not say its schedule; save GET /schedules/{id}?since=...&until=... instead, whose overrides_subschedule is imported", len(list), window, stale, bad)
}

// final keeps the schedule's final_schedule entries for Verify.
func (c *converter) final(file, path string, s *pdSchedule, loc *time.Location, index int) error {
	if s.FinalSchedule == nil || len(s.FinalSchedule.RenderedScheduleEntries) == 0 {
		return nil
	}
	p := path + ".final_schedule.rendered_schedule_entries"
	list, err := c.entries(file, p, s.FinalSchedule.RenderedScheduleEntries)
	if err != nil {
		return err
	}
	for k := 1; k < len(list); k++ {
		if list[k].start.Before(list[k-1].end) {
			return &Error{File: file, Path: list[k].path + ".start", Msg: fmt.Sprintf("%s overlaps the entry before, which ends %s; expected final_schedule entries one after another, as PagerDuty renders them", list[k].start.Format(time.RFC3339), list[k-1].end.Format(time.RFC3339))}
		}
	}
	c.res.finals = append(c.res.finals, finalCheck{schedule: index, file: file, path: p, loc: loc, from: c.now, entries: list})
	return nil
}
