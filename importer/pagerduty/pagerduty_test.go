package pagerduty

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
)

var update = flag.Bool("update", false, "rewrite the golden file")

// importNow is when the fixtures are imported: after the "Old nights"
// layer ended, before the EU daylight-saving change of 2026-03-29.
var importNow = time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)

var fixtures = []string{"users.json", "teams.json", "schedule.json", "escalation_policies.json", "services.json"}

func readInputs(t *testing.T, names ...string) []Input {
	t.Helper()
	var in []Input
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		require.NoError(t, err)
		in = append(in, Input{Name: n, Data: data})
	}
	return in
}

func render(t *testing.T, in []Input) (*Result, []byte) {
	t.Helper()
	res, err := Convert(in, importNow)
	require.NoError(t, err)
	out, err := res.Render(importNow)
	require.NoError(t, err)
	return res, out
}

// The fixtures give the golden file; run with -update after a deliberate
// change and read the diff.
func TestGolden(t *testing.T) {
	_, out := render(t, readInputs(t, fixtures...))
	golden := filepath.Join("testdata", "pagerduty.golden.yaml")
	if *update {
		require.NoError(t, os.WriteFile(golden, out, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), string(out))
}

// The same account in another file order gives the same ids.
func TestIDsStableAcrossFileOrder(t *testing.T) {
	a, _ := render(t, readInputs(t, fixtures...))
	b, _ := render(t, readInputs(t, "services.json", "escalation_policies.json", "schedule.json", "users.json"))
	ids := func(r *Result) []string {
		var out []string
		for _, u := range r.Users {
			out = append(out, u.ID)
		}
		for _, s := range r.Schedules {
			out = append(out, s.ID)
		}
		return out
	}
	require.ElementsMatch(t, ids(a), ids(b))
	require.Equal(t, a.Policies, b.Policies)
}

// Everything drill cannot represent is a warning naming the object and
// field.
func TestWarningsNameObjectAndField(t *testing.T) {
	res, out := render(t, readInputs(t, fixtures...))
	var got []string
	for _, w := range res.Warnings {
		got = append(got, w.File+": "+w.Path)
		require.Contains(t, string(out), "#   "+w.String()+"\n", "the header lists every warning")
	}
	require.ElementsMatch(t, []string{
		"users.json: users[0].notification_rules[2].urgency",                      // low urgency
		"users.json: users[2].contact_methods[1]",                                 // a reference without address
		"schedule.json: schedule.teams",                                           // schedules have no team in drill
		"schedule.json: schedule.schedule_layers[2].end",                          // ended layer
		"schedule.json: schedule.overrides_subschedule.rendered_schedule_entries", // a stale override
		"escalation_policies.json: escalation_policies[0].teams",                  // two teams
	}, got)
}

// The imported file loads as a team's escalation file, and who is on call
// at a few instants is what PagerDuty's layer semantics give (Berlin
// local times; CET is UTC+1 until 2026-03-29, CEST UTC+2 after).
//
// Weekly (base, users alice, bob, carol): turns of a week from Mon
// 2026-01-05 09:00; turn n is users[n mod 3].
// Weekdays (wins where it covers): daily turns counted from its
// rotation_virtual_start Mon 2026-01-26 08:00, users erin, bob (turn n is
// users[n mod 2]); it shows from its start Mon 2026-02-02 09:00, only
// inside its weekly restriction Mon 09:00 + 105h = Fri 18:00.
func TestOnCallMatchesPagerDutyLayers(t *testing.T) {
	_, out := render(t, readInputs(t, fixtures...))
	fsys := fstest.MapFS{
		"drill.yaml":                {Data: []byte("team:\n  id: ml-platform\n  name: ML Platform\n")},
		"escalation/pagerduty.yaml": {Data: out},
	}
	tm, err := team.LoadFS(fsys, ".")
	require.NoError(t, err)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	for _, c := range []struct {
		at   string
		want string
		why  string
	}{
		{"2026-01-05T08:59", "", "before any layer starts (the ended night layer is not imported)"},
		{"2026-01-26T10:00", "alice.chen", "Weekdays has not started; Weekly turn 3 (21d1h) -> alice"},
		{"2026-02-04T12:00", "bob", "Wed inside Mon 09:00-Fri 18:00; Weekdays turn 9 from Jan 26 08:00 (9d4h) -> bob"},
		{"2026-02-05T10:00", "erin.novak", "Thu; Weekdays turn 10 (10d2h) -> erin"},
		{"2026-02-13T17:30", "erin.novak", "Fri before 18:00; Weekdays turn 18 (18d9h30m) -> erin"},
		{"2026-02-13T18:30", "carol", "Fri after 18:00, Weekdays off; Weekly turn 5 (39d9h30m) -> carol"},
		{"2026-02-14T12:00", "carol", "Sat; Weekly turn 5 (40d3h) -> carol"},
		{"2026-02-16T08:30", "carol", "Mon before 09:00; Weekly turn 5 (41d23h30m) -> carol"},
		{"2026-02-16T09:30", "bob", "Mon 09:30; Weekly hands to alice (turn 6) but Weekdays wins: turn 21 (21d1h30m) -> bob"},
		{"2026-04-04T12:00", "alice.chen", "Sat after the DST change; Weekly turn 12 (89d3h, handoffs stay at 09:00 local) -> alice"},
	} {
		at, err := time.ParseInLocation("2006-01-02T15:04", c.at, berlin)
		require.NoError(t, err)
		got, err := tm.Escalation.OnCall("ml-platform-primary", at)
		require.NoError(t, err)
		want := []string(nil)
		if c.want != "" {
			want = []string{c.want}
		}
		require.Equal(t, want, got, "%s: %s", c.at, c.why)
	}
	p, ok := tm.Escalation.Policy("ml-platform")
	require.True(t, ok)
	require.Equal(t, 3, p.Runs(), "num_loops 2 repeats the rules twice after the first pass")
	require.Len(t, p.Rules, 2)
	require.Equal(t, 10*time.Minute, p.Rules[0].EscalateAfter.D())
	require.Equal(t, "all", p.Rules[0].Assignment)
	require.Equal(t, "round_robin", p.Rules[1].Assignment)
	require.Equal(t, "ml-platform", p.Team)
	pol, ok := tm.Escalation.Route(map[string]string{"service": "llm-gateway"})
	require.True(t, ok)
	require.Equal(t, "ml-platform", pol)
	u, ok := tm.Escalation.User("alice.chen")
	require.True(t, ok)
	require.Equal(t, []team.ContactMethod{{Type: "email", Address: "alice.chen@example.com"}, {Type: "sms", Address: "+49 301234567"}, {Type: "push"}}, u.ContactMethods)
	first, ok := u.FirstNotification()
	require.True(t, ok)
	require.Equal(t, time.Duration(0), first)
	g, ok := tm.Escalation.Team("ml-platform")
	require.True(t, ok)
	require.Equal(t, []string{"alice.chen", "bob", "carol", "erin.novak"}, g.Members)
}

func TestBadInput(t *testing.T) {
	users := readInputs(t, "users.json")[0]
	sched := readInputs(t, "schedule.json")[0]
	for _, c := range []struct {
		name string
		in   []Input
		want string
	}{
		{"not JSON", []Input{{Name: "x.json", Data: []byte("users:\n  - alice\n")}}, "x.json:1: not valid JSON"},
		{"not PD", []Input{{Name: "x.json", Data: []byte(`{"groups": []}`)}}, "x.json: not a PagerDuty REST API v2 response: expected a top-level object with one of users, user, schedules"},
		{"array", []Input{{Name: "x.json", Data: []byte(`[1, 2]`)}}, "x.json:1: a JSON array; expected a JSON object"},
		{"wrong type", []Input{{Name: "x.json", Data: []byte("{\"users\": [\n {\"id\": 7}]}")}}, "x.json:2: users.id: a JSON number; expected string"},
		{"too large", []Input{{Name: "big.json", Data: make([]byte, MaxFileBytes+1)}}, "big.json: 16777217 bytes; expected at most 16 MiB (MaxFileBytes)"},
		{"unknown user", []Input{sched}, `schedule.json: schedule.schedule_layers[2].users[0].user.id: unknown user "PAL1CE0"; expected a user of the saved GET /users response`},
		{"bad zone", []Input{users, {Name: "s.json", Data: []byte(`{"schedule": {"id": "PS1", "name": "x", "time_zone": "Mars/Olympus"}}`)}}, `s.json: schedule.time_zone: time zone "Mars/Olympus"; expected an IANA name`},
		{"bad restriction", []Input{users, {Name: "s.json", Data: []byte(strings.Replace(string(sched.Data), `"weekly_restriction"`, `"monthly_restriction"`, 1))}}, `s.json: schedule.schedule_layers[0].restrictions[0].type: "monthly_restriction"; expected daily_restriction or weekly_restriction`},
		{"bad day", []Input{users, {Name: "s.json", Data: []byte(strings.Replace(string(sched.Data), `"start_day_of_week": 1`, `"start_day_of_week": 0`, 1))}}, `s.json: schedule.schedule_layers[0].restrictions[0].start_day_of_week: expected 1 (Monday) to 7 (Sunday)`},
		{"no turn", []Input{users, {Name: "s.json", Data: []byte(strings.Replace(string(sched.Data), `86400,`, `0,`, 1))}}, `s.json: schedule.schedule_layers[0].rotation_turn_length_seconds: 0; expected a positive number of seconds`},
		{"turn too long", []Input{users, {Name: "s.json", Data: []byte(strings.Replace(string(sched.Data), `86400,`, `9300000000000,`, 1))}}, `s.json: schedule.schedule_layers[0].rotation_turn_length_seconds: 9300000000000; expected a positive number of seconds, at most 31622400 (a year`},
		{"unknown schedule", []Input{users, readInputs(t, "escalation_policies.json")[0]}, `escalation_policies.json: escalation_policies[0].escalation_rules[0].targets[0].id: unknown schedule "PSCH0P1"`},
		{"unknown policy", []Input{readInputs(t, "services.json")[0]}, `services.json: services[0].escalation_policy.id: unknown escalation policy "PEP0ML1"`},
		{"none", nil, "no input files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Convert(c.in, importNow)
			require.Error(t, err)
			var e *Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// A list response with more pages is imported with a warning, never as if
// it were the whole account.
func TestMorePagesWarns(t *testing.T) {
	in := readInputs(t, "users.json")
	in[0].Data = []byte(strings.Replace(string(in[0].Data), `"more": false`, `"more": true`, 1))
	res, err := Convert(in, importNow)
	require.NoError(t, err)
	require.Equal(t, "users.json", res.Warnings[0].File)
	require.Equal(t, "more", res.Warnings[0].Path)
}

// Restrictions map to drill windows: PD's ISO day numbers (7 is Sunday),
// wrap-around, whole days and weeks.
func TestRestrictions(t *testing.T) {
	c := &converter{res: &Result{}}
	d := func(n int) *int { return &n }
	s := func(n int64) *int64 { return &n }
	for _, tc := range []struct {
		in   pdRestriction
		want Restriction
	}{
		{pdRestriction{Type: "daily_restriction", StartTimeOfDay: "09:00:00", DurationSeconds: s(9 * 3600)}, Restriction{"daily", "09:00", "18:00"}},
		{pdRestriction{Type: "daily_restriction", StartTimeOfDay: "22:00:00", DurationSeconds: s(8 * 3600)}, Restriction{"daily", "22:00", "06:00"}},
		{pdRestriction{Type: "daily_restriction", StartTimeOfDay: "00:00:00", DurationSeconds: s(86400)}, Restriction{"daily", "00:00", "00:00"}},
		{pdRestriction{Type: "weekly_restriction", StartTimeOfDay: "18:00:00", StartDayOfWeek: d(5), DurationSeconds: s(63 * 3600)}, Restriction{"weekly", "Fri 18:00", "Mon 09:00"}},
		{pdRestriction{Type: "weekly_restriction", StartTimeOfDay: "08:00:00", StartDayOfWeek: d(7), DurationSeconds: s(604800)}, Restriction{"weekly", "Sun 08:00", "Sun 08:00"}},
	} {
		got, err := c.restriction("f", "p", tc.in)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
	}
	require.Empty(t, c.res.Warnings)
	_, err := c.restriction("f", "p", pdRestriction{Type: "daily_restriction", StartTimeOfDay: "09:00:30", DurationSeconds: s(90)})
	require.NoError(t, err)
	require.Len(t, c.res.Warnings, 2, "seconds are warned, not dropped silently")
	_, err = c.restriction("f", "p", pdRestriction{Type: "daily_restriction", StartTimeOfDay: "9am", DurationSeconds: s(60)})
	require.ErrorContains(t, err, `f: p.start_time_of_day: "9am"; expected HH:MM:SS`)
}

func usersJSON(n int, name string) []byte {
	var b strings.Builder
	b.WriteString(`{"users": [`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id": "PU%07d", "name": %q, "email": "u%d@example.com"}`, i, name, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// The documented limits: MaxObjects objects per import, and a written
// file drill can read back (teamfile.MaxYAML).
func TestLimits(t *testing.T) {
	_, err := Convert([]Input{{Name: "u.json", Data: usersJSON(MaxObjects+1, "x")}}, importNow)
	require.ErrorContains(t, err, "u.json: 10001 objects in the import; expected at most 10000 (MaxObjects)")

	res, err := Convert([]Input{{Name: "u.json", Data: usersJSON(MaxObjects, strings.Repeat("n", 100))}}, importNow)
	require.NoError(t, err)
	_, err = res.Render(importNow)
	require.ErrorContains(t, err, "drill reads escalation files of at most 1 MiB")

	sched := readInputs(t, "users.json", "schedule.json")
	sched[1].Data = []byte(strings.Replace(string(sched[1].Data), `"rotation_virtual_start": "2026-01-26T08:00:00+01:00"`, `"rotation_virtual_start": "1826-01-26T08:00:00+01:00"`, 1))
	_, err = Convert(sched, importNow)
	require.ErrorContains(t, err, "schedule.json: schedule.schedule_layers[0].rotation_virtual_start: 1826-01-26T08:00:00+01:00 is more than a century from the layer's start")
}

// A single-object response (GET /escalation_policies/{id}) is named by
// its own key in messages.
// A user's time zone drill cannot load is warned about and left out, so
// the file still loads.
func TestUserTimeZoneWarns(t *testing.T) {
	res, err := Convert([]Input{{Name: "u.json", Data: []byte(`{"user": {"id": "PU1", "name": "Ann", "time_zone": "Pacific Time (US & Canada)"}}`)}}, importNow)
	require.NoError(t, err)
	require.Equal(t, []Warning{{File: "u.json", Path: "user.time_zone", Msg: `"Pacific Time (US & Canada)" is no IANA time zone name; the user is imported without a timezone`}}, res.Warnings)
	require.Empty(t, res.Users[0].Timezone)
}

func TestSingleObjectResponse(t *testing.T) {
	in := readInputs(t, "users.json")
	in = append(in, Input{Name: "ep.json", Data: []byte(`{"escalation_policy": {"id": "PEP1", "name": "Solo", "escalation_rules": [{"escalation_delay_in_minutes": 5, "targets": [{"id": "PNOPE", "type": "user_reference"}]}]}}`)})
	_, err := Convert(in, importNow)
	require.ErrorContains(t, err, `ep.json: escalation_policy.escalation_rules[0].targets[0].id: unknown user "PNOPE"`)
}

// No input makes Convert or Render panic or hang: every byte string is a
// result or an *Error. Seeds are the fixtures; go test -fuzz explores.
func FuzzConvert(f *testing.F) {
	for _, n := range fixtures {
		data, err := os.ReadFile(filepath.Join("testdata", n))
		require.NoError(f, err)
		f.Add(data)
	}
	users, err := os.ReadFile(filepath.Join("testdata", "users.json"))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Convert([]Input{{Name: "users.json", Data: users}, {Name: "f.json", Data: data}}, importNow)
		if err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			return
		}
		if _, err := res.Render(importNow); err != nil {
			var e *Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
		}
	})
}
