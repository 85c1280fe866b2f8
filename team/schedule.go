package team

import (
	"fmt"
	"time"
)

// OnCall returns who is on call on the schedule at t: the latest override
// covering t, else the user of the latest layer covering t. Layers rotate
// in wall-clock time of the schedule's zone, so handoffs keep their local
// hour across daylight-saving changes. An empty result is a coverage gap.
func (e *Escalation) OnCall(scheduleID string, t time.Time) ([]string, error) {
	s, ok := e.schedules[scheduleID]
	if !ok {
		return nil, fmt.Errorf("team: unknown schedule %q", scheduleID)
	}
	if u := s.onCall(t); u != "" {
		return []string{u}, nil
	}
	return nil, nil
}

func (s *Schedule) zone() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

func (s *Schedule) onCall(t time.Time) string {
	c := civil(t, s.zone())
	for i := len(s.Overrides) - 1; i >= 0; i-- {
		o := s.Overrides[i]
		if !c.Before(o.Start.Time) && c.Before(o.End.Time) {
			return o.User
		}
	}
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if u := s.Layers[i].at(c); u != "" {
			return u
		}
	}
	return ""
}

// at returns the layer's user at wall-clock time c, or "" where the layer
// does not cover c.
func (l *Layer) at(c time.Time) string {
	if len(l.Users) == 0 || l.Rotation <= 0 || c.Before(l.Start.Time) || (!l.End.IsZero() && !c.Before(l.End.Time)) {
		return ""
	}
	if len(l.Restrictions) > 0 {
		in := false
		for _, r := range l.Restrictions {
			if r.contains(c) {
				in = true
				break
			}
		}
		if !in {
			return ""
		}
	}
	from := l.Start.Time
	if !l.RotationStart.IsZero() {
		from = l.RotationStart.Time
	}
	// Turns before the rotation start count backwards: floor, not
	// truncation, so the turn ending at from is the last user's.
	d, rot := c.Sub(from), l.Rotation.D()
	turn := int64(d / rot)
	if d%rot != 0 && d < 0 {
		turn--
	}
	n := int64(len(l.Users))
	return l.Users[((turn%n)+n)%n]
}

func (r *Restriction) contains(c time.Time) bool {
	m := c.Hour()*60 + c.Minute()
	if r.Type == "weekly" {
		m += int(c.Weekday()) * 1440
	}
	switch {
	case r.from < r.to:
		return m >= r.from && m < r.to
	case r.from > r.to: // wraps midnight or the week's end
		return m >= r.from || m < r.to
	}
	return true // from == to: the whole day or week
}

// Gap is a span with nobody on call.
type Gap struct{ Start, End time.Time }

// Coverage walks the schedule minute by minute from from for days days and
// returns its gaps and the covered fraction.
func (s *Schedule) Coverage(from time.Time, days int) (gaps []Gap, covered float64) {
	start := from.Truncate(time.Minute)
	total := days * 24 * 60
	if total <= 0 {
		return nil, 1
	}
	var n int
	var open bool
	var gapStart time.Time
	for i := 0; i < total; i++ {
		t := start.Add(time.Duration(i) * time.Minute)
		if s.onCall(t) != "" {
			n++
			if open {
				gaps = append(gaps, Gap{gapStart, t})
				open = false
			}
			continue
		}
		if !open {
			open, gapStart = true, t
		}
	}
	if open {
		gaps = append(gaps, Gap{gapStart, start.Add(time.Duration(total) * time.Minute)})
	}
	return gaps, float64(n) / float64(total)
}
