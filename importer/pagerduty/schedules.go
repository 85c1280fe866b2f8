package pagerduty

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxSpan bounds the distance between a layer's start and its
// rotation_virtual_start: a century, far inside what time.Duration holds.
const maxSpan = 100 * 365 * 24 * time.Hour

// maxTurnSeconds is the longest turn PagerDuty accepts: a year.
const maxTurnSeconds = 366 * 86400

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// civil is t's wall-clock reading in loc, held as a UTC time so that
// arithmetic on it is wall-clock arithmetic, as drill counts turns.
func civil(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

const localLayout = "2006-01-02T15:04:05"

// duration writes seconds the way drill reads them: 1w, 7d, 12h, 30m, 90s.
func duration(sec int64) string {
	for _, u := range []struct {
		n    int64
		unit string
	}{{604800, "w"}, {86400, "d"}, {3600, "h"}, {60, "m"}} {
		if sec%u.n == 0 {
			return strconv.FormatInt(sec/u.n, 10) + u.unit
		}
	}
	return strconv.FormatInt(sec, 10) + "s"
}

var dayNames = []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

func (c *converter) mapSchedules() error {
	c.scheds = dedupe(c.scheds, func(s *pdSchedule) string { return s.ID }, func(a, b *pdSchedule) bool { return len(a.ScheduleLayers) == 0 && len(b.ScheduleLayers) > 0 })
	order := make([]int, len(c.scheds))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return c.scheds[order[a]].obj.ID < c.scheds[order[b]].obj.ID })
	taken := ids{}
	for _, i := range order {
		s := c.scheds[i].obj
		c.schedID[s.ID] = taken.take(slug(s.Name), s.ID)
	}
	for _, l := range c.scheds {
		s, file, path := l.obj, l.file, l.path
		loc, err := time.LoadLocation(s.TimeZone)
		if s.TimeZone == "" || s.TimeZone == "Local" || err != nil {
			return &Error{File: file, Path: path + ".time_zone", Msg: fmt.Sprintf("time zone %q; expected an IANA name like Europe/Berlin", s.TimeZone)}
		}
		out := Schedule{ID: c.schedID[s.ID], Name: s.Name, Timezone: s.TimeZone, Layers: []Layer{}}
		if len(s.ScheduleLayers) == 0 {
			c.warn(file, path+".schedule_layers", "none: GET /schedules lists schedules without their layers; save GET /schedules/%s", s.ID)
		}
		if len(s.Teams) > 0 {
			c.warn(file, path+".teams", "drill schedules belong to no team; the schedule's teams are not imported (its policies' team is)")
		}
		// PagerDuty lists a schedule's layers with the one that wins first
		// (the highest-numbered layer of its web UI); drill lists them with
		// the one that wins last.
		for j := len(s.ScheduleLayers) - 1; j >= 0; j-- {
			lay, ok, err := c.layer(file, fmt.Sprintf("%s.schedule_layers[%d]", path, j), &s.ScheduleLayers[j], loc)
			if err != nil {
				return err
			}
			if ok {
				out.Layers = append(out.Layers, lay)
			}
		}
		if err := c.overrides(file, path, s, loc, &out); err != nil {
			return err
		}
		if err := c.final(file, path, s, loc, len(c.res.Schedules)); err != nil {
			return err
		}
		c.res.Schedules = append(c.res.Schedules, out)
	}
	return nil
}

func (c *converter) layer(file, p string, l *pdLayer, loc *time.Location) (Layer, bool, error) {
	bad := func(field, msg string) (Layer, bool, error) {
		return Layer{}, false, &Error{File: file, Path: p + "." + field, Msg: msg}
	}
	const iso = "expected an ISO 8601 time like 2026-01-05T09:00:00+01:00"
	start, ok := parseTime(l.Start)
	if !ok {
		return bad("start", fmt.Sprintf("%q; %s", l.Start, iso))
	}
	vs, ok := parseTime(l.RotationVirtualStart)
	if !ok {
		return bad("rotation_virtual_start", fmt.Sprintf("%q; %s", l.RotationVirtualStart, iso))
	}
	if l.RotationTurnLengthSeconds <= 0 || l.RotationTurnLengthSeconds > maxTurnSeconds {
		return bad("rotation_turn_length_seconds", fmt.Sprintf("%d; expected a positive number of seconds, at most %d (a year, PagerDuty's own limit)", l.RotationTurnLengthSeconds, maxTurnSeconds))
	}
	users := make([]string, 0, len(l.Users))
	for k, u := range l.Users {
		id, ok := c.userID[u.User.ID]
		if !ok {
			return bad(fmt.Sprintf("users[%d].user.id", k), fmt.Sprintf("unknown user %q; expected a user of the saved GET /users response (give that file too)", u.User.ID))
		}
		users = append(users, id)
	}
	name := l.Name
	if name == "" {
		name = l.ID
	}
	var end time.Time
	if l.End != nil && *l.End != "" {
		var ok bool
		end, ok = parseTime(*l.End)
		if !ok {
			return bad("end", fmt.Sprintf("%q; %s or null", *l.End, iso))
		}
		if !end.After(c.now) {
			c.warn(file, p+".end", "layer %q ended %s; not imported", name, end.Format(time.RFC3339))
			return Layer{}, false, nil
		}
		if !civil(end, loc).After(civil(start, loc)) {
			c.warn(file, p+".end", "layer %q ends %s, not after its start %s: it covers nothing; not imported", name, *l.End, l.Start)
			return Layer{}, false, nil
		}
	}
	if len(users) == 0 {
		c.warn(file, p+".users", "layer %q has no users and covers nothing; not imported", name)
		return Layer{}, false, nil
	}
	s, v := civil(start, loc), civil(vs, loc)
	if d := s.Sub(v); d > maxSpan || d < -maxSpan {
		return bad("rotation_virtual_start", fmt.Sprintf("%s is more than a century from the layer's start %s; expected a time near it", l.RotationVirtualStart, l.Start))
	}
	// PagerDuty counts turns from rotation_virtual_start and shows the
	// layer from start to end; drill's rotation_start, start and end say
	// the same in the schedule's local time.
	out := Layer{Name: name, Start: s.Format(localLayout), Rotation: duration(l.RotationTurnLengthSeconds), Users: users}
	if !v.Equal(s) {
		out.RotationStart = v.Format(localLayout)
	}
	if !end.IsZero() {
		out.End = civil(end, loc).Format(localLayout)
	}
	for k, r := range l.Restrictions {
		rr, err := c.restriction(file, fmt.Sprintf("%s.restrictions[%d]", p, k), r)
		if err != nil {
			return Layer{}, false, err
		}
		out.Restrictions = append(out.Restrictions, rr)
	}
	return out, true, nil
}

func (c *converter) restriction(file, p string, r pdRestriction) (Restriction, error) {
	bad := func(field, msg string) (Restriction, error) {
		return Restriction{}, &Error{File: file, Path: p + "." + field, Msg: msg}
	}
	h, rest, ok1 := strings.Cut(r.StartTimeOfDay, ":")
	m, sec, hasSec := strings.Cut(rest, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	ss := 0
	var err3 error
	if hasSec {
		ss, err3 = strconv.Atoi(sec)
	}
	if !ok1 || err1 != nil || err2 != nil || err3 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59 {
		return bad("start_time_of_day", fmt.Sprintf("%q; expected HH:MM:SS like 09:00:00", r.StartTimeOfDay))
	}
	if ss != 0 {
		c.warn(file, p+".start_time_of_day", "%s: drill windows start on the minute; taken as %02d:%02d", r.StartTimeOfDay, hh, mm)
	}
	if r.DurationSeconds == nil || *r.DurationSeconds < 60 {
		return bad("duration_seconds", "expected at least 60 seconds")
	}
	dur := *r.DurationSeconds
	if dur%60 != 0 {
		c.warn(file, p+".duration_seconds", "%d: drill windows are whole minutes; taken as %d", dur, dur/60*60)
	}
	from := hh*60 + mm
	switch r.Type {
	case "daily_restriction":
		if dur > 86400 {
			return bad("duration_seconds", fmt.Sprintf("%d; expected at most 86400 (a day) for a daily restriction", dur))
		}
		to := (from + int(dur/60)) % 1440
		return Restriction{Type: "daily", From: clock(from), To: clock(to)}, nil
	case "weekly_restriction":
		if r.StartDayOfWeek == nil || *r.StartDayOfWeek < 1 || *r.StartDayOfWeek > 7 {
			return bad("start_day_of_week", "expected 1 (Monday) to 7 (Sunday), as ISO 8601 numbers days")
		}
		if dur > 604800 {
			return bad("duration_seconds", fmt.Sprintf("%d; expected at most 604800 (a week) for a weekly restriction", dur))
		}
		f := (*r.StartDayOfWeek%7)*1440 + from
		t := (f + int(dur/60)) % 10080
		return Restriction{Type: "weekly", From: dayNames[f/1440] + " " + clock(f%1440), To: dayNames[t/1440] + " " + clock(t%1440)}, nil
	}
	return bad("type", fmt.Sprintf("%q; expected daily_restriction or weekly_restriction", r.Type))
}
