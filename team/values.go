package team

import (
	"fmt"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/prometheus/common/model"
)

// Duration is written 90s, 10m, 12h, 7d or 1w (Prometheus' syntax, so
// compound forms like 1h30m work too).
type Duration time.Duration

// ParseScalar and Expected make Duration a strictyaml.Scalar; so for the
// other value types below.
func (d *Duration) ParseScalar(s string) error {
	v, err := model.ParseDuration(s)
	if err != nil {
		if strings.Contains(err.Error(), "out of range") { // well formed, too large to hold
			return errTooLarge
		}
		return err
	}
	*d = Duration(v)
	return nil
}
func (*Duration) Expected() string { return "a duration like 90s, 10m, 12h, 7d or 1w" }

// errTooLarge is a well-formed duration that a time.Duration cannot hold;
// the problem shows why it is refused.
var errTooLarge = strictyaml.Because("out of range: a duration holds at most about 292 years")

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String prints the duration the way it is written.
func (d Duration) String() string { return model.Duration(d).String() }

// Date is a calendar day, written 2026-10-01.
type Date struct{ time.Time }

func (d *Date) ParseScalar(s string) error {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}
func (*Date) Expected() string { return "a date like 2026-10-01" }

// LocalTime is a wall-clock time without zone, written 2026-01-05T09:00:00
// (or 2026-01-05 09:00); its zone is the schedule's. It is held as a UTC
// time so that comparisons are wall-clock comparisons.
type LocalTime struct{ time.Time }

var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", time.DateOnly}

func (l *LocalTime) ParseScalar(s string) error {
	for _, layout := range localLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			l.Time = t
			return nil
		}
	}
	return fmt.Errorf("bad local time %q", s)
}
func (*LocalTime) Expected() string {
	return "a local time like 2026-01-05T09:00:00 (no zone; the schedule's timezone applies)"
}

// Severity is a lint finding's level.
type Severity string

// Severities, most severe first. Off disables a check.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
	SeverityOff     Severity = "off"
)

func (s *Severity) ParseScalar(v string) error {
	switch Severity(strings.ToLower(v)) {
	case SeverityError, SeverityWarning, SeverityInfo, SeverityOff:
		*s = Severity(strings.ToLower(v))
		return nil
	}
	return fmt.Errorf("bad severity %q", v)
}
func (*Severity) Expected() string { return "one of error, warning, info, off" }

// civil returns t's wall-clock reading in loc as a UTC time, so that
// arithmetic on it is wall-clock arithmetic (a 1w rotation hands off at the
// same local hour across a daylight-saving change).
func civil(t time.Time, loc *time.Location) time.Time {
	_, off := t.In(loc).Zone()
	return t.UTC().Add(time.Duration(off) * time.Second)
}
