package pagerduty

import (
	"fmt"
	"slices"
	"time"
)

// MaxVerifyDays bounds how much of one schedule's final_schedule Verify
// compares, minute by minute: 400 days (576,000 minutes), more than the
// year a since/until range usually spans. Past it the rest is unchecked,
// with a warning.
const MaxVerifyDays = 400

// maxVerifyWarnings is how many disagreeing spans of one schedule are
// warned about one by one; the rest are counted in one more warning.
const maxVerifyWarnings = 10

// OnCallFunc says who drill has on call on a schedule (by drill id) at t:
// (*team.Escalation).OnCall of the rendered file.
type OnCallFunc func(schedule string, t time.Time) ([]string, error)

// Verification is what Verify compared.
type Verification struct {
	Schedules     int      // schedules with a final_schedule
	Entries       int      // their rendered entries
	Minutes       int      // minutes compared
	Disagreements int      // spans where drill and PagerDuty differ
	Reordered     []string // schedules imported with their layers the other way round
}

// finalCheck is one schedule's final_schedule, kept for Verify.
type finalCheck struct {
	schedule   int // index in Result.Schedules
	file, path string
	loc        *time.Location
	from       time.Time // the import's time: what ended before it is not compared
	entries    []entry
}

type span struct {
	from, to  time.Time
	pd, drill string
	path      string
}

// Verify compares, for every schedule whose input had a
// final_schedule.rendered_schedule_entries (GET /schedules/{id} with
// since and until), who drill has on call in the rendered file with who
// PagerDuty rendered, minute by minute over each entry and each gap
// between entries from the import's time on (what ended before it, like
// stale overrides and ended layers, is not imported), and warns of every span where they differ, naming the
// schedule and the window. load reads the rendered file and returns
// drill's OnCall for it.
//
// Where a schedule with two or more layers disagrees and taking its
// layers the other way round agrees everywhere, the import keeps that
// order and warns: PagerDuty's API has listed layers both ways.
func (r *Result) Verify(load func(data []byte) (OnCallFunc, error)) (Verification, error) {
	var v Verification
	onCall := func() (OnCallFunc, error) {
		data, err := r.Render(time.Time{})
		if err != nil {
			return nil, err
		}
		f, err := load(data)
		if err != nil {
			return nil, fmt.Errorf("pagerduty: drill cannot read the file the import wrote: %w", err)
		}
		return f, nil
	}
	for _, fc := range r.finals {
		s := &r.Schedules[fc.schedule]
		f, err := onCall()
		if err != nil {
			return v, err
		}
		spans, minutes, truncated, err := compare(f, s.ID, fc)
		if err != nil {
			return v, err
		}
		if len(spans) > 0 && len(s.Layers) >= 2 {
			slices.Reverse(s.Layers)
			g, err := onCall()
			if err != nil {
				return v, err
			}
			again, _, _, err := compare(g, s.ID, fc)
			if err != nil {
				return v, err
			}
			if len(again) == 0 {
				r.warn(fc.file, fc.path, "schedule %s: PagerDuty's final_schedule agrees with the layers only taken the other way round (the API's schedule_layers listed the winning layer last); imported that way", s.ID)
				v.Reordered = append(v.Reordered, s.ID)
				spans = nil
			} else {
				slices.Reverse(s.Layers)
			}
		}
		v.Schedules++
		v.Entries += len(fc.entries)
		v.Minutes += minutes
		v.Disagreements += len(spans)
		for i, sp := range spans {
			if i == maxVerifyWarnings {
				r.warn(fc.file, fc.path, "schedule %s: %d more spans where drill disagrees with PagerDuty's final_schedule", s.ID, len(spans)-i)
				break
			}
			r.warn(fc.file, sp.path, "schedule %s: PagerDuty's final_schedule has %s on call from %s to %s; drill has %s", s.ID, who(sp.pd), sp.from.In(fc.loc).Format(time.RFC3339), sp.to.In(fc.loc).Format(time.RFC3339), who(sp.drill))
		}
		if truncated {
			r.warn(fc.file, fc.path, "schedule %s: final_schedule spans more than %d days; only the first %d were compared (MaxVerifyDays)", s.ID, MaxVerifyDays, MaxVerifyDays)
		}
	}
	return v, nil
}

func (r *Result) warn(file, path, format string, args ...any) {
	r.Warnings = append(r.Warnings, Warning{File: file, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func who(u string) string {
	if u == "" {
		return "nobody"
	}
	return u
}

// compare walks fc's entries and the gaps between them a minute at a
// time and returns the spans where f disagrees.
func compare(f OnCallFunc, id string, fc finalCheck) (spans []span, minutes int, truncated bool, err error) {
	budget := MaxVerifyDays * 24 * 60
	type segment struct {
		from, to time.Time
		user     string
		path     string
	}
	var segs []segment
	for k, e := range fc.entries {
		if k > 0 && fc.entries[k-1].end.Before(e.start) {
			segs = append(segs, segment{fc.entries[k-1].end, e.start, "", e.path + " (the gap before it)"})
		}
		segs = append(segs, segment{e.start, e.end, e.user, e.path})
	}
	for _, sg := range segs {
		if sg.from.Before(fc.from) {
			sg.from = fc.from
		}
		for t := sg.from; t.Before(sg.to); t = t.Add(time.Minute) {
			if minutes == budget {
				return spans, minutes, true, nil
			}
			minutes++
			got, err := f(id, t)
			if err != nil {
				return nil, 0, false, fmt.Errorf("pagerduty: asking drill who is on call on %s: %w", id, err)
			}
			d := ""
			if len(got) > 0 {
				d = got[0]
			}
			if d == sg.user {
				continue
			}
			to := t.Add(time.Minute)
			if to.After(sg.to) {
				to = sg.to
			}
			if n := len(spans); n > 0 && spans[n-1].to.Equal(t) && spans[n-1].drill == d && spans[n-1].path == sg.path {
				spans[n-1].to = to
				continue
			}
			spans = append(spans, span{from: t, to: to, pd: sg.user, drill: d, path: sg.path})
		}
	}
	return spans, minutes, false, nil
}
