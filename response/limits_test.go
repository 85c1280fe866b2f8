package response

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// teamWithPolicies loads a team whose only escalation file is policies
// (users alice and ghost-free), routed by label route.
func teamWithPolicies(t *testing.T, policies string) *team.Team {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "escalation"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drill.yaml"), []byte("team:\n  id: acme\n"), 0o644))
	esc := `users:
  - id: alice
    contact_methods: [{type: push, address: alice-phone}, {type: sms, address: "+15550001"}]
    notification_rules: [{after: 0m, via: push}, {after: 0m, via: sms}]
policies:
` + policies + `
routes:
  - {match: {route: zero}, policy: zero}
  - {match: {route: slow}, policy: slow}
  - {match: {route: ghost}, policy: ghost}
  - {default: true, policy: slow}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "escalation", "loops.yaml"), []byte(esc), 0o644))
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

const runawayPolicies = `  - id: slow
    loops: 1000000000
    rules:
      - {escalate_after: 1m, targets: [{user: alice}]}
  - id: ghost
    loops: 1000000000
    rules:
      - {escalate_after: 1m, targets: [{user: zed}]}`

// The reproduction of issue 16: loops: 1000000000 with escalate_after 0m
// pages without end in no drill time. It is refused before any world
// starts, with the file, line and field, and by New.
func TestZeroDelayLoopIsRefused(t *testing.T) {
	tm := teamWithPolicies(t, runawayPolicies+`
  - id: zero
    loops: 1000000000
    rules:
      - {escalate_after: 0m, targets: [{user: alice}]}
      - {escalate_after: 0s, targets: [{user: alice}]}
  - id: once
    rules:
      - {escalate_after: 0m, targets: [{user: alice}]}`)
	err := CheckPolicies(tm.Escalation)
	require.Error(t, err)
	require.Regexp(t, `^escalation/loops\.yaml:\d+:\d+: policies\[2\]\.loops: policy zero repeats its rules 1000000000 times and every rule's escalate_after is 0`, err.Error())
	require.NotContains(t, err.Error(), "policy once", "a policy that runs once is no loop")
	require.NotContains(t, err.Error(), "policy slow", "a loop that takes drill time ends with the drill")

	clk := timeline.NewVirtual(time.Unix(0, 0))
	_, err = New(Options{Clock: clk, Log: timeline.NewLog(clk), Escalation: tm.Escalation})
	require.ErrorContains(t, err, "policy zero repeats its rules 1000000000 times")
}

// A policy that loops a billion times, a minute per loop, reaches the
// page limit of its incident: the incident stops with a harness error
// naming the policy, on the timeline and on Err, and sends nothing more.
func TestIncidentStopsAtItsPageLimit(t *testing.T) {
	tm := teamWithPolicies(t, runawayPolicies)
	h := newHarness(t, time.Unix(0, 0).UTC(), Options{Escalation: tm.Escalation, Limits: Limits{Pages: 5},
		Responders: responders(t, "default: {available: false}\n")})
	h.fire("storm", map[string]string{"route": "slow"}, nil)
	h.clock.Advance(1000 * time.Hour)
	var err error
	select {
	case err = <-h.engine.Err():
	case <-time.After(10 * time.Second):
		t.Fatal("no harness error from an incident past its page limit")
	}
	require.ErrorContains(t, err, "policy slow (escalation/loops.yaml:")
	require.Regexp(t, `policy slow \(escalation/loops\.yaml:\d+, loops: 1000000000\) reached 5 pages`, err.Error())
	require.ErrorContains(t, err, "reached 5 pages, the most one incident may send")
	require.Eventually(t, func() bool { return h.engine.openGroups() == 1 && incidentDone(h.engine) }, 5*time.Second, time.Millisecond)
	ev, ok := h.log.Find(timeline.OfKind(timeline.HarnessError, "slow"))
	require.True(t, ok, "the harness error is on the timeline")
	require.Equal(t, err.Error(), ev.Message)
	require.Equal(t, "incident_limit", ev.Attrs["reason"])
	require.Len(t, h.engine.Pages(), 5)
	pages := 0
	for _, e := range h.log.Events() {
		if e.Kind == timeline.Page {
			pages++
		}
	}
	require.Equal(t, 5, pages)
}

// Notifications and events have their own limits: a user with two
// contact methods reaches the notification limit first; a policy whose
// only target is missing pages nobody and reaches the event limit with
// its broken links.
func TestIncidentStopsAtNotificationAndEventLimits(t *testing.T) {
	tm := teamWithPolicies(t, runawayPolicies)
	for _, tc := range []struct {
		route  string
		limits Limits
		want   string
	}{
		{"slow", Limits{Notifications: 7}, "reached 7 notifications, the most one incident may send"},
		{"ghost", Limits{Events: 9}, "reached 9 events on the timeline, the most one incident may write"},
	} {
		t.Run(tc.route, func(t *testing.T) {
			h := newHarness(t, time.Unix(0, 0).UTC(), Options{Escalation: tm.Escalation, Limits: tc.limits,
				Responders: responders(t, "default: {available: false}\n")})
			h.fire("storm", map[string]string{"route": tc.route}, nil)
			h.clock.Advance(1000 * time.Hour)
			select {
			case err := <-h.engine.Err():
				require.ErrorContains(t, err, "policy "+tc.route+" (escalation/loops.yaml:")
				require.ErrorContains(t, err, tc.want)
			case <-time.After(10 * time.Second):
				t.Fatal("no harness error")
			}
			require.Eventually(t, func() bool { return incidentDone(h.engine) }, 5*time.Second, time.Millisecond)
			n := 0
			for _, e := range h.log.Events() {
				if e.Kind != timeline.AlertFiring && e.Kind != timeline.HarnessError {
					n++
				}
			}
			if tc.limits.Events > 0 {
				require.Equal(t, tc.limits.Events, n, "exactly the limit, then the harness error")
			}
		})
	}
}

// Every engine loop checks its context. A zero-delay loop that got past
// CheckPolicies (here, edited after New) never blocks on the clock: with
// no limit to stop it, it still ends when the drill does, and Run
// returns; with the default limits it stops at the page limit.
func TestZeroDelayLoopPastTheChecksStillEnds(t *testing.T) {
	zero := func(tm *team.Team) {
		p, ok := tm.Escalation.Policy("slow")
		require.True(t, ok)
		p.Rules[0].EscalateAfter = 0
	}
	t.Run("with its context", func(t *testing.T) {
		tm := teamWithPolicies(t, runawayPolicies)
		clock := timeline.NewVirtual(time.Unix(0, 0).UTC())
		log := timeline.NewLog(clock)
		huge := 1 << 40
		e, err := New(Options{Clock: clock, Log: log, Escalation: tm.Escalation, GroupWait: time.Second,
			Limits:     Limits{Pages: huge, Notifications: huge, Events: huge},
			Responders: responders(t, "default: {available: false}\n")})
		require.NoError(t, err)
		zero(tm)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- e.Run(ctx) }()
		log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "storm", Labels: map[string]string{"alertname": "storm", "route": "slow"}})
		require.Eventually(t, func() bool { return clock.Pending() == 1 }, 5*time.Second, time.Millisecond) // the group wait
		clock.Advance(time.Second)
		require.Eventually(t, func() bool { return len(e.Pages()) > 100 }, 10*time.Second, time.Millisecond, "the incident is paging")
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		require.NoError(t, e.Close())
	})
	t.Run("with the default limits", func(t *testing.T) {
		tm := teamWithPolicies(t, runawayPolicies)
		h := newHarness(t, time.Unix(0, 0).UTC(), Options{Escalation: tm.Escalation, Responders: responders(t, "default: {available: false}\n")})
		zero(tm)
		h.fire("storm", map[string]string{"route": "slow"}, nil)
		h.clock.Advance(time.Minute)
		select {
		case err := <-h.engine.Err():
			require.ErrorContains(t, err, "policy slow")
			require.ErrorContains(t, err, "reached 1000 pages")
		case <-time.After(10 * time.Second):
			t.Fatal("no harness error")
		}
		require.Len(t, h.engine.Pages(), DefaultLimits.Pages)
	})
}

// incidentDone reports whether every incident goroutine has ended.
func incidentDone(e *Engine) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, in := range e.groups {
		if !in.done {
			return false
		}
	}
	return true
}
