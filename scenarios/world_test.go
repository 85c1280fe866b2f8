package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/timeline"
)

// An engine that stops while the world runs leaves the drill without
// alerts: that is a harness failure, recorded on the log, never a drill
// the team failed.
func TestEngineStoppingIsAHarnessFailure(t *testing.T) {
	tm := demoTeam(t)
	top, err := TopologyOf(tm)
	require.NoError(t, err)
	opts := &Options{Team: tm, Speed: 60, Start: time.Now().UTC()}
	w := newWorld(opts, tm, top, 1)
	require.NoError(t, w.Start(context.Background()))
	defer func() { require.NoError(t, w.Close()) }()
	require.NoError(t, w.Harness())

	require.NoError(t, w.alerts.Close()) // its next tick fails
	require.Eventually(t, func() bool { return w.Harness() != nil }, 10*time.Second, 10*time.Millisecond)
	require.ErrorContains(t, w.Harness(), "alerting stopped")
	_, ok := w.Log().Find(timeline.OfKind(timeline.HarnessError, ""))
	require.True(t, ok, "the failure is on the timeline")
}

// Two runs started in the same second with the same seed get different
// IDs: a shared history keeps both.
func TestRunIDsDifferWithinASecond(t *testing.T) {
	at := time.Date(2026, 11, 27, 2, 15, 34, 0, time.UTC)
	a, b := newRunID(at, 1), newRunID(at, 1)
	require.NotEqual(t, a, b)
	require.Regexp(t, `^20261127T021534-1-[0-9a-f]{6}$`, a)
}

// Fault steps are checked against the catalog and the topology before any
// world starts; the demo team's and the built-in library's all pass.
func TestCheckFaults(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	sel, err := Select(Options{Team: tm, All: true})
	require.NoError(t, err)
	require.NoError(t, CheckFaults(sel, top))

	src := `Feature: f
  Scenario: s
    When provider "primry" is down
    And the "search" API returns 200
    And provider "primary" slows down by 300ms for 2m
`
	scs, err := features.Parse("features/f.feature", []byte(src))
	require.NoError(t, err)
	err = CheckFaults(&Selection{Scenarios: scs}, top)
	require.ErrorContains(t, err, `features/f.feature:3: When provider "primry" is down:`)
	require.ErrorContains(t, err, `outage: no target "primry"; proxies (providers and stubs) are: primary, secondary, search`)
	require.ErrorContains(t, err, `features/f.feature:4: And the "search" API returns 200: stub-error: parameter "status"`)
	require.NotContains(t, err.Error(), ":5:", "a good step is not reported")

	// A faults table is checked row by row, each at its own line; a
	// correlated outage, provider by provider.
	src = `Feature: f
  Scenario: s
    When these faults start at once:
      | fault          | target  | with       |
      | outage         | primary |            |
      | stub-error     | search  | status=200 |
      | provider-erorr | primary |            |
    And providers "primary" and "tertiary" go down
`
	scs, err = features.Parse("features/f.feature", []byte(src))
	require.NoError(t, err)
	err = CheckFaults(&Selection{Scenarios: scs}, top)
	require.ErrorContains(t, err, `features/f.feature:6: When these faults start at once: stub-error: parameter "status"`)
	require.ErrorContains(t, err, `features/f.feature:7: When these faults start at once: `)
	require.ErrorContains(t, err, `provider-erorr`)
	require.ErrorContains(t, err, `features/f.feature:8: And providers "primary" and "tertiary" go down: outage: no target "tertiary"`)
	require.NotContains(t, err.Error(), ":5:", "a good row is not reported")
}

// An incident that reaches its limits (response.Limits) is a harness
// failure of the world: the drill is an error naming the policy, never
// one the team failed, and never one that runs until memory runs out.
// The policy turns into a zero-delay loop after the checks that refuse
// one, as no team file can make it.
func TestIncidentLimitIsAHarnessFailure(t *testing.T) {
	tm := demoTeam(t)
	top, err := TopologyOf(tm)
	require.NoError(t, err)
	opts := &Options{Team: tm, Speed: 60, Start: time.Now().UTC()}
	w := newWorld(opts, tm, top, 1)
	require.NoError(t, w.Start(context.Background()))
	defer func() { require.NoError(t, w.Close()) }()
	p, ok := tm.Escalation.Policy("ml-platform")
	require.True(t, ok)
	p.Loops = 1_000_000_000
	for _, r := range p.Rules {
		r.EscalateAfter = 0
	}
	w.Log().Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "Runaway",
		Labels: map[string]string{"alertname": "Runaway", "team": "ml-platform", "severity": "warning"}})
	require.Eventually(t, func() bool { return w.Harness() != nil }, 10*time.Second, 10*time.Millisecond)
	require.ErrorContains(t, w.Harness(), "policy ml-platform (escalation/policies.yaml:")
	require.ErrorContains(t, w.Harness(), "reached 1000 pages, the most one incident may send")
	ev, ok := w.Log().Find(timeline.OfKind(timeline.HarnessError, "ml-platform"))
	require.True(t, ok, "the failure is on the timeline")
	require.Equal(t, "incident_limit", ev.Attrs["reason"])
}
