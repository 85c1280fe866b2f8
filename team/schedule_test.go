package team

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const dstSchedules = `
users: [{id: a}, {id: b}, {id: c}, {id: d}]
schedules:
  - id: berlin
    timezone: Europe/Berlin
    layers:
      - name: weekly
        start: 2026-01-05T09:00:00
        rotation: 1w
        users: [a, b, c]
  - id: berlin-days
    timezone: Europe/Berlin
    layers:
      - {name: days, start: 2026-01-01T00:00:00, rotation: 1d, users: [a, b], restrictions: [{type: daily, from: "09:00", to: "17:00"}]}
  - id: ny-days
    timezone: America/New_York
    layers:
      - {name: days, start: 2026-01-01T00:00:00, rotation: 1d, users: [c, d], restrictions: [{type: daily, from: "09:00", to: "17:00"}]}
  - id: layered
    timezone: UTC
    layers:
      - {name: base, start: 2026-01-01T00:00:00, rotation: 1w, users: [a]}
      - {name: weekdays, start: 2026-01-01T00:00:00, rotation: 1w, users: [b], restrictions: [{type: weekly, from: "Mon 09:00", to: "Fri 17:00"}]}
      - {name: weekend-nights, start: 2026-01-01T00:00:00, rotation: 1w, users: [c], restrictions: [{type: weekly, from: "Sat 22:00", to: "Mon 06:00"}]}
    overrides:
      - {user: d, start: 2026-03-10T12:00:00, end: 2026-03-10T14:00:00}
`

func loadSchedules(t *testing.T) *Escalation {
	t.Helper()
	e, err := ParseEscalation("oncall.yaml", []byte(dstSchedules))
	require.NoError(t, err)
	require.Empty(t, e.index())
	return e
}

func onCall(t *testing.T, e *Escalation, id string, at string) []string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, at)
	require.NoError(t, err)
	got, err := e.OnCall(id, ts)
	require.NoError(t, err)
	return got
}

// A weekly handoff at Monday 09:00 local stays at 09:00 local when Berlin
// moves to summer time (2026-03-29): 08:00Z before, 07:00Z after.
func TestOnCallHandoffKeepsLocalHourAcrossDST(t *testing.T) {
	e := loadSchedules(t)
	require.Equal(t, []string{"b"}, onCall(t, e, "berlin", "2026-03-23T07:59:00Z")) // week 10
	require.Equal(t, []string{"c"}, onCall(t, e, "berlin", "2026-03-23T08:00:00Z")) // week 11, 09:00 CET
	require.Equal(t, []string{"c"}, onCall(t, e, "berlin", "2026-03-30T06:59:00Z"))
	require.Equal(t, []string{"a"}, onCall(t, e, "berlin", "2026-03-30T07:00:00Z")) // week 12, 09:00 CEST
	require.Empty(t, onCall(t, e, "berlin", "2026-01-05T07:59:00Z"))                // before the layer starts
	_, err := e.OnCall("nope", time.Now())
	require.EqualError(t, err, `team: unknown schedule "nope"`)
}

func TestOnCallLayersRestrictionsOverrides(t *testing.T) {
	e := loadSchedules(t)
	require.Equal(t, []string{"b"}, onCall(t, e, "layered", "2026-03-10T10:00:00Z")) // Tue: weekdays layer wins
	require.Equal(t, []string{"d"}, onCall(t, e, "layered", "2026-03-10T12:30:00Z")) // override wins
	require.Equal(t, []string{"b"}, onCall(t, e, "layered", "2026-03-10T14:00:00Z")) // override ended
	require.Equal(t, []string{"b"}, onCall(t, e, "layered", "2026-03-10T20:00:00Z")) // a weekly window is continuous
	require.Equal(t, []string{"a"}, onCall(t, e, "layered", "2026-03-14T12:00:00Z")) // Sat noon: base layer
	require.Equal(t, []string{"c"}, onCall(t, e, "layered", "2026-03-14T23:00:00Z")) // Sat night, wraps into Monday
	require.Equal(t, []string{"c"}, onCall(t, e, "layered", "2026-03-16T05:59:00Z"))
	require.Equal(t, []string{"a"}, onCall(t, e, "layered", "2026-03-16T06:00:00Z"))
}

// Coverage of a 09:00-17:00 daily schedule in two zones over 28 days that
// include both zones' spring-forward: every gap runs 17:00 to 09:00 local,
// which is 16h of real time except the one night that loses an hour.
func TestCoverageAcrossDSTInTwoZones(t *testing.T) {
	e := loadSchedules(t)
	from := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		id, zone, shortNight string
	}{
		{"berlin-days", "Europe/Berlin", "2026-03-28"},
		{"ny-days", "America/New_York", "2026-03-07"},
	} {
		s, ok := e.Schedule(c.id)
		require.True(t, ok)
		require.Equal(t, c.zone, s.Location().String())
		gaps, covered := s.Coverage(from, 28)
		require.Len(t, gaps, 29, c.id) // 27 full nights plus a partial one at each end
		var short []string
		for _, g := range gaps[1 : len(gaps)-1] {
			start, end := g.Start.In(s.Location()), g.End.In(s.Location())
			require.Equal(t, "17:00", start.Format("15:04"), c.id)
			require.Equal(t, "09:00", end.Format("15:04"), c.id)
			switch d := g.End.Sub(g.Start); d {
			case 16 * time.Hour:
			case 15 * time.Hour:
				short = append(short, start.Format(time.DateOnly))
			default:
				t.Fatalf("%s: gap %v of %v", c.id, g, d)
			}
		}
		require.Equal(t, []string{c.shortNight}, short, c.id)
		require.InDelta(t, 8.0/24, covered, 0.01, c.id)
	}
}

func TestCoverageFullSchedule(t *testing.T) {
	e := loadSchedules(t)
	s, _ := e.Schedule("berlin")
	gaps, covered := s.Coverage(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), 28)
	require.Empty(t, gaps)
	require.Equal(t, 1.0, covered)
}

// A layer that starts at a wall-clock time the spring-forward skips
// (02:30 on 2026-03-08 in New York; 02:15 on 2026-10-04 at Lord Howe,
// whose clocks move 30 minutes) starts at the first instant after the
// skipped span, and from then on nobody is missing: no gap of the
// skipped minutes, and none at later handoffs at the same hour.
func TestLayerStartingInTheDSTGap(t *testing.T) {
	e, err := ParseEscalation("x.yaml", []byte(`
users: [{id: a}, {id: b}]
schedules:
  - id: ny
    timezone: America/New_York
    layers:
      - {name: l, start: 2026-03-08T02:30:00, rotation: 1d, users: [a, b]}
  - id: lordhowe
    timezone: Australia/Lord_Howe
    layers:
      - {name: l, start: 2026-10-04T02:15:00, rotation: 1d, users: [a, b]}
`))
	require.NoError(t, err)
	require.Empty(t, e.index())
	for id, first := range map[string]time.Time{
		"ny":       time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC),    // 03:00 EDT
		"lordhowe": time.Date(2026, 10, 3, 15, 30, 0, 0, time.UTC), // 02:30 +11
	} {
		s, ok := e.Schedule(id)
		require.True(t, ok)
		gaps, covered := s.Coverage(first, 14)
		require.Empty(t, gaps, id)
		require.Equal(t, 1.0, covered, id)
		// From before: one gap, ending exactly where the layer starts.
		gaps, _ = s.Coverage(first.Add(-24*time.Hour), 14)
		require.Len(t, gaps, 1, id)
		require.Equal(t, first, gaps[0].End, id)
		require.Equal(t, []string{"a"}, mustOnCall(t, e, id, first))
		require.Equal(t, []string{"b"}, mustOnCall(t, e, id, first.Add(24*time.Hour)))
	}
}

func mustOnCall(t *testing.T, e *Escalation, id string, at time.Time) []string {
	t.Helper()
	got, err := e.OnCall(id, at)
	require.NoError(t, err)
	return got
}

// rotation_start counts turns from another instant than start (before or
// after it), and end stops the layer. Hand-computed in UTC: turn n counted
// from rotation_start is users[n mod 3] of [a, b, c], n negative before it
// (floor division, then a non-negative remainder).
func TestLayerRotationStartAndEnd(t *testing.T) {
	e, err := ParseStandalone("x.yaml", []byte(`
users: [{id: a}, {id: b}, {id: c}, {id: z}]
schedules:
  - id: s
    timezone: UTC
    layers:
      - {name: base, start: 2026-01-01T00:00:00, rotation: 1w, users: [z]}
      - name: days
        start: 2026-01-10T09:00:00
        rotation_start: 2026-01-01T09:00:00
        end: 2026-01-20T09:00:00
        rotation: 1d
        users: [a, b, c]
  - id: later
    timezone: UTC
    layers:
      - {name: l, start: 2026-01-01T09:00:00, rotation_start: 2026-01-05T09:00:00, rotation: 1d, users: [a, b, c]}
`))
	require.NoError(t, err)
	for _, c := range []struct{ id, at, want string }{
		{"s", "2026-01-10T08:59:00Z", "z"},     // days has not started: base
		{"s", "2026-01-10T09:00:00Z", "a"},     // 9d after rotation_start: turn 9, 9 mod 3 = 0
		{"s", "2026-01-11T09:00:00Z", "b"},     // turn 10
		{"s", "2026-01-20T08:59:00Z", "a"},     // 18d23h59m: turn 18
		{"s", "2026-01-20T09:00:00Z", "z"},     // days ended: base again
		{"later", "2026-01-01T08:59:00Z", ""},  // before start
		{"later", "2026-01-01T09:00:00Z", "c"}, // -4d: turn -4, -4 mod 3 = 2
		{"later", "2026-01-05T08:59:00Z", "c"}, // -1m: turn -1, -1 mod 3 = 2
		{"later", "2026-01-05T09:00:00Z", "a"}, // turn 0
	} {
		var want []string
		if c.want != "" {
			want = []string{c.want}
		}
		require.Equal(t, want, onCall(t, e, c.id, c.at), "%s at %s", c.id, c.at)
	}
}

func TestLayerEndAndRotationStartRefused(t *testing.T) {
	_, err := ParseStandalone("x.yaml", []byte(`
schedules:
  - id: s
    timezone: UTC
    layers:
      - {start: 2026-01-10T09:00:00, end: 2026-01-10T09:00:00, rotation: 1d, users: [a]}
      - {start: 2026-01-10T09:00:00, rotation_start: 1900-01-01T00:00:00, rotation: 1d, users: [a]}
`))
	require.ErrorContains(t, err, "x.yaml:6:")
	require.ErrorContains(t, err, "schedules[0].layers[0].end: expected an end after start 2026-01-10T09:00")
	require.ErrorContains(t, err, "schedules[0].layers[1].rotation_start: expected a time within a century of start 2026-01-10T09:00")
	_, err = ParseStandalone("x.yaml", []byte("users: [{id: a}, {id: a}]\n"))
	require.ErrorContains(t, err, "duplicate id")
}
