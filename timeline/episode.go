package timeline

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// ActiveAt is the attribute of an alert event (pending, firing,
// resolved) that says when its episode began: the drill time its
// condition first held, Prometheus' ActiveAt, written in RFC 3339 with
// nanoseconds. An episode lasts from that instant to the alert's
// resolution; going pending again after a resolution starts a new one.
const ActiveAt = "active_at"

// EpisodeStart is when the episode of alert event e began (its ActiveAt
// attribute), or the event's own time when it has none.
func EpisodeStart(e Event) time.Time {
	if v := e.Attrs[ActiveAt]; v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	return e.At
}

// Detects reports whether alert event e can be the detection of a fault
// that went on at faultAt: its episode began after the fault. An alert
// already pending or firing when the first fault went on did not detect
// it; its firing, then or later in the same episode, is noise. With no
// fault (faultAt zero) nothing is detected.
func Detects(e Event, faultAt time.Time) bool {
	return !faultAt.IsZero() && EpisodeStart(e).After(faultAt)
}

// AlertInstance identifies the alert instance of an alert event: its
// name and labels, as Prometheus keys a rule's alerts.
func AlertInstance(e Event) string {
	var b strings.Builder
	b.WriteString(e.Subject)
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(e.Labels[k])
	}
	return b.String()
}

// AlertActive reports whether any instance of the alert named name was
// pending or firing at drill time t, from the alert events of events:
// each instance is in the state of its last event at or before t.
func AlertActive(events []Event, name string, t time.Time) bool {
	last := map[string]Kind{}
	for _, e := range events {
		if e.Subject != name || e.At.After(t) {
			continue
		}
		switch e.Kind {
		case AlertPending, AlertFiring, AlertResolved:
			k := AlertInstance(e)
			// Events of one instance come in order; a later event of
			// the same instant wins.
			last[k] = e.Kind
		}
	}
	for _, k := range last {
		if k != AlertResolved {
			return true
		}
	}
	return false
}
