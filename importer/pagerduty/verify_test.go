package pagerduty

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
)

// drillOnCall is what drill import pagerduty passes Verify: team's own
// OnCall of the rendered file.
func drillOnCall(data []byte) (OnCallFunc, error) {
	e, err := team.ParseStandalone("pagerduty.yaml", data)
	if err != nil {
		return nil, err
	}
	return e.OnCall, nil
}

// onCallAt loads the rendered result with team and asks who is on call.
func onCallAt(t *testing.T, res *Result, schedule, at string) string {
	t.Helper()
	out, err := res.Render(importNow)
	require.NoError(t, err)
	f, err := drillOnCall(out)
	require.NoError(t, err)
	ts, err := time.Parse(time.RFC3339, at)
	require.NoError(t, err)
	got, err := f(schedule, ts)
	require.NoError(t, err)
	if len(got) == 0 {
		return ""
	}
	require.Len(t, got, 1)
	return got[0]
}

func warningsAt(res *Result, path string) []string {
	var out []string
	for _, w := range res.Warnings {
		if strings.HasPrefix(w.Path, path) {
			out = append(out, w.Msg)
		}
	}
	return out
}

// editJSON decodes a fixture, lets edit change it and encodes it again.
func editJSON(t *testing.T, in Input, edit func(s map[string]any)) Input {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal(in.Data, &doc))
	edit(doc["schedule"].(map[string]any))
	data, err := json.Marshal(doc)
	require.NoError(t, err)
	return Input{Name: in.Name, Data: data}
}

// The main fixture's final_schedule (since 2026-03-02, until 2026-03-09,
// Berlin) was worked out by hand from its layers and overrides; drill
// agrees with it minute by minute from the import's time on (2026-03-05
// 01:00 local: the stale override of 2026-03-02 is not compared).
func TestVerifyAgreesWithFinalSchedule(t *testing.T) {
	res, err := Convert(readInputs(t, fixtures...), importNow)
	require.NoError(t, err)
	n := len(res.Warnings)
	v, err := res.Verify(drillOnCall)
	require.NoError(t, err)
	require.Equal(t, Verification{Schedules: 1, Entries: 10, Minutes: 95 * 60}, v) // 03-05 01:00 to 03-09 00:00
	require.Len(t, res.Warnings, n, "no disagreement, no warning")
	require.Equal(t, "alice.chen", onCallAt(t, res, "ml-platform-primary", "2026-03-05T11:30:00Z"), "the override, 12:30 local")
	require.Equal(t, "erin.novak", onCallAt(t, res, "ml-platform-primary", "2026-03-05T13:00:00Z"), "override over: Weekdays turn 38")
}

// The New York fixture, by hand (EST is UTC-5 until 2026-03-08 02:00,
// EDT UTC-4 after). API order, winning first: Holiday cover (carol, from
// Sat 03-07 00:00 to Sun 03-08 00:00), Days (daily turns from Mon 03-02
// 09:00 of erin, bob, only 09:00-17:00), Base (weekly turns from Mon 03-02
// 09:00 of alice, carol).
func TestLayersRestrictionsEndAndDST(t *testing.T) {
	res, err := Convert(readInputs(t, "users.json", "schedule_ny.json"), importNow)
	require.NoError(t, err)
	for _, c := range []struct{ at, want, why string }{
		{"2026-03-02T13:59:00Z", "", "08:59 EST Mon: before every layer's start"},
		{"2026-03-02T14:00:00Z", "erin.novak", "09:00 EST: Days turn 0 inside 09:00-17:00"},
		{"2026-03-06T14:30:00Z", "erin.novak", "09:30 EST Fri: Days turn 4 wins over Base"},
		{"2026-03-06T22:00:00Z", "alice.chen", "17:00 EST: the daily window is over, Base turn 0"},
		{"2026-03-07T15:00:00Z", "carol", "10:00 EST Sat: Holiday cover wins over Days turn 5"},
		{"2026-03-08T04:59:00Z", "carol", "23:59 EST Sat: Holiday cover's last minute"},
		{"2026-03-08T05:00:00Z", "alice.chen", "00:00 EST Sun: Holiday cover ended (end is not covered)"},
		{"2026-03-08T13:00:00Z", "erin.novak", "09:00 EDT Sun: Days turn 6, the window keeps its local hour"},
		{"2026-03-09T12:59:00Z", "alice.chen", "08:59 EDT Mon: Base turn 0 still (6d23h59m local)"},
		{"2026-03-09T13:00:00Z", "bob", "09:00 EDT Mon: Days turn 7 (7d local; 6d23h elapsed would give erin)"},
		{"2026-03-09T21:00:00Z", "carol", "17:00 EDT: Base handed to carol at 09:00 EDT (elapsed seconds would give 10:00 EDT)"},
	} {
		require.Equal(t, c.want, onCallAt(t, res, "inference-secondary", c.at), "%s: %s", c.at, c.why)
	}
	out, err := res.Render(importNow)
	require.NoError(t, err)
	require.Contains(t, string(out), "        start: 2026-03-07T00:00:00\n        end: 2026-03-08T00:00:00\n")
	v, err := res.Verify(drillOnCall)
	require.NoError(t, err)
	require.Equal(t, 0, v.Disagreements)
	require.Equal(t, 11, v.Entries)
}

// Layer precedence: the same layers in the other order give another
// answer; a final_schedule that agrees only with the other order makes
// Verify keep that order, and says so.
func TestLayerOrderFromFinalSchedule(t *testing.T) {
	users, ny := readInputs(t, "users.json")[0], readInputs(t, "schedule_ny.json")[0]
	reversed := editJSON(t, ny, func(s map[string]any) {
		l := s["schedule_layers"].([]any)
		s["schedule_layers"] = []any{l[2], l[1], l[0]}
	})
	res, err := Convert([]Input{users, reversed}, importNow)
	require.NoError(t, err)
	require.Equal(t, "alice.chen", onCallAt(t, res, "inference-secondary", "2026-03-06T14:30:00Z"), "Base listed first now wins everywhere")
	v, err := res.Verify(drillOnCall)
	require.NoError(t, err)
	require.Equal(t, []string{"inference-secondary"}, v.Reordered)
	require.Equal(t, 0, v.Disagreements)
	require.Equal(t, []string{"schedule inference-secondary: PagerDuty's final_schedule agrees with the layers only taken the other way round (the API's schedule_layers listed the winning layer last); imported that way"}, warningsAt(res, "schedule.final_schedule"))
	require.Equal(t, "erin.novak", onCallAt(t, res, "inference-secondary", "2026-03-06T14:30:00Z"))
}

// A final_schedule drill disagrees with is warned about span by span,
// naming the schedule, the entry and the window; a gap between entries is
// PagerDuty saying nobody is on call.
func TestVerifyWarnsWhereDrillDisagrees(t *testing.T) {
	users, ny := readInputs(t, "users.json")[0], readInputs(t, "schedule_ny.json")[0]
	tampered := editJSON(t, ny, func(s map[string]any) {
		entries := s["final_schedule"].(map[string]any)["rendered_schedule_entries"].([]any)
		entries[3].(map[string]any)["user"].(map[string]any)["id"] = "PB0B000"                                    // erin's Friday 09:00-17:00 said to be bob's
		s["final_schedule"].(map[string]any)["rendered_schedule_entries"] = append(entries[:5:5], entries[6:]...) // no holiday cover
	})
	res, err := Convert([]Input{users, tampered}, importNow)
	require.NoError(t, err)
	v, err := res.Verify(drillOnCall)
	require.NoError(t, err)
	require.Empty(t, v.Reordered, "the other order does not agree either")
	require.Equal(t, 2, v.Disagreements)
	require.Equal(t, []string{
		"schedule inference-secondary: PagerDuty's final_schedule has bob on call from 2026-03-06T09:00:00-05:00 to 2026-03-06T17:00:00-05:00; drill has erin.novak",
	}, warningsAt(res, "schedule.final_schedule.rendered_schedule_entries[3]"))
	require.Equal(t, []string{
		"schedule inference-secondary: PagerDuty's final_schedule has nobody on call from 2026-03-07T00:00:00-05:00 to 2026-03-08T00:00:00-05:00; drill has carol",
	}, warningsAt(res, "schedule.final_schedule.rendered_schedule_entries[5] (the gap before it)"))
	require.Equal(t, "erin.novak", onCallAt(t, res, "inference-secondary", "2026-03-06T14:30:00Z"), "the API's order is kept")
}

// MaxVerifyDays bounds the comparison; a stub stands in for drill so the
// 576,000 minutes take no time.
func TestVerifyBound(t *testing.T) {
	users, ny := readInputs(t, "users.json")[0], readInputs(t, "schedule_ny.json")[0]
	long := editJSON(t, ny, func(s map[string]any) {
		s["final_schedule"] = map[string]any{"rendered_schedule_entries": []any{map[string]any{
			"start": "2026-03-05T00:00:00Z", "end": "2027-06-01T00:00:00Z", "user": map[string]any{"id": "PAL1CE0", "type": "user_reference"},
		}}}
	})
	res, err := Convert([]Input{users, long}, importNow)
	require.NoError(t, err)
	calls := 0
	v, err := res.Verify(func([]byte) (OnCallFunc, error) {
		return func(string, time.Time) ([]string, error) { calls++; return []string{"alice.chen"}, nil }, nil
	})
	require.NoError(t, err)
	require.Equal(t, MaxVerifyDays*24*60, v.Minutes)
	require.Equal(t, MaxVerifyDays*24*60, calls)
	require.Equal(t, []string{fmt.Sprintf("schedule inference-secondary: final_schedule spans more than %d days; only the first %d were compared (MaxVerifyDays)", MaxVerifyDays, MaxVerifyDays)}, warningsAt(res, "schedule.final_schedule"))
}

func TestOverridesResponseWarnsCountAndWindow(t *testing.T) {
	res, err := Convert([]Input{readInputs(t, "users.json")[0], {Name: "ov.json", Data: []byte(`{"overrides": [
		{"id": "PQ1", "start": "2026-03-01T09:00:00+01:00", "end": "2026-03-02T09:00:00+01:00", "user": {"id": "PB0B000", "type": "user_reference"}},
		{"id": "PQ2", "start": "2026-03-10T09:00:00+01:00", "end": "2026-03-11T09:00:00+01:00", "user": {"id": "PB0B000", "type": "user_reference"}}]}`)}}, importNow)
	require.NoError(t, err)
	require.Equal(t, []Warning{{File: "ov.json", Path: "overrides", Msg: "2 overrides from 2026-03-01T08:00:00Z to 2026-03-11T08:00:00Z (1 ended before the import's time, 0 with unreadable times) not imported: a GET /schedules/{id}/overrides response does not say its schedule; save GET /schedules/{id}?since=...&until=... instead, whose overrides_subschedule is imported"}}, res.Warnings[:1])
}

func TestBadRenderedEntries(t *testing.T) {
	users, sched := readInputs(t, "users.json")[0], readInputs(t, "schedule.json")[0]
	for _, c := range []struct {
		name string
		edit func(fin, ov []any)
		want string
	}{
		{"unknown user", func(fin, _ []any) { fin[0].(map[string]any)["user"].(map[string]any)["id"] = "PNOPE" }, `schedule.final_schedule.rendered_schedule_entries[0].user.id: unknown user "PNOPE"`},
		{"no user", func(_, ov []any) { delete(ov[1].(map[string]any), "user") }, `schedule.overrides_subschedule.rendered_schedule_entries[1].user: missing; expected the user on call`},
		{"bad time", func(fin, _ []any) { fin[2].(map[string]any)["start"] = "noon" }, `schedule.final_schedule.rendered_schedule_entries[2].start: "noon"; expected an ISO 8601 time`},
		{"backwards", func(_, ov []any) { ov[0].(map[string]any)["end"] = "2026-03-02T09:00:00+01:00" }, `schedule.overrides_subschedule.rendered_schedule_entries[0].end: 2026-03-02T09:00:00+01:00; expected a time after the entry's start 2026-03-02T10:00:00+01:00`},
		{"overlap", func(fin, _ []any) { fin[1].(map[string]any)["start"] = "2026-03-02T09:00:00+01:00" }, `schedule.final_schedule.rendered_schedule_entries[1].start: 2026-03-02T09:00:00+01:00 overlaps the entry before, which ends 2026-03-02T10:00:00+01:00`},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := editJSON(t, sched, func(s map[string]any) {
				c.edit(s["final_schedule"].(map[string]any)["rendered_schedule_entries"].([]any), s["overrides_subschedule"].(map[string]any)["rendered_schedule_entries"].([]any))
			})
			_, err := Convert([]Input{users, in}, importNow)
			require.ErrorContains(t, err, "schedule.json: "+c.want)
		})
	}
}
