package scenarios

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// planLine is a step line of the plan: its time ("+02:00" exact, or
// "≤+12:00" at most) and its text.
var planLine = regexp.MustCompile(`^\s+(≤?)(\+[0-9:]+)\s+(Given|When|Then|And) (.*)$`)

// parseOffset reads "+04:30" or "+1:02:03".
func parseOffset(t *testing.T, s string) time.Duration {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(s, "+"), ":")
	var d time.Duration
	for _, p := range parts {
		var n int
		for _, c := range p {
			n = n*10 + int(c-'0')
		}
		d = d*60 + time.Duration(n)
	}
	return d * time.Second
}

// The plan agrees with the run: on a small drill of the demo team, the
// control window its step sets ends when the plan says, the fault goes
// on then, every event a step waited for came by the step's deadline in
// the plan, and the scenario ended by the plan's end.
func TestPlanAgreesWithTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real drill (about 15s); skipped with -short")
	}
	tm := demoTeam(t)
	tm.Features["features/plan.feature"] = `@plancheck
Feature: plan and run
  Scenario: The plan bounds the run
    Given the team's environment is running
    And steady traffic of 5 requests per second
    And a control window of 3m
    When provider "primary" is down
    Then alert "LLMGatewayErrors" fires within 10m
    And the page is acknowledged within 15m
    And "sum(up) > 0" holds for 1m
    And the fault provably fired
`
	obs := &observed{}
	opts := Options{Team: tm, Names: []string{"plancheck"}, Speed: 120, Seed: 1, Parallel: 1, ControlWindow: 20 * time.Minute, Console: obs}
	sel, top, err := Prepare(opts)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WritePlan(&b, sel, top, opts))
	plan := b.String()
	require.Contains(t, plan, "control window 3m (the step at features/plan.feature:6)", "the step's window, not the flag's")
	require.Contains(t, plan, "  +03:00  control window ends")
	bounds := map[string]time.Duration{}
	exact := map[string]bool{}
	for _, line := range strings.Split(plan, "\n") {
		if m := planLine.FindStringSubmatch(line); m != nil {
			bounds[m[4]] = parseOffset(t, m[2])
			exact[m[4]] = m[1] == ""
		}
	}
	require.Equal(t, 3*time.Minute, bounds[`provider "primary" is down`])
	require.True(t, exact[`provider "primary" is down`])
	require.Equal(t, 13*time.Minute, bounds[`alert "LLMGatewayErrors" fires within 10m`])
	require.Equal(t, 43*time.Minute, bounds[`the page is acknowledged within 15m`], "paged within 15m of the firing, then acknowledged within 15m")
	end := regexp.MustCompile(`at most (\+[0-9:]+) of drill time`).FindStringSubmatch(plan)
	require.NotNil(t, end, plan)
	require.Equal(t, 44*time.Minute, parseOffset(t, end[1]), "its latest deadline")

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	card, err := Run(ctx, opts)
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 1)
	sc := card.Scenarios[0]
	require.Equal(t, scoring.Passed, sc.Status, "%s: %v", sc.Reason, sc.Steps)
	obs.check(t, "The plan bounds the run", "features/plan.feature:3", 8, sc.Events)
	start := scoring.StartOf(sc.Events)
	first := func(k timeline.Kind) time.Duration {
		for _, e := range sc.Events {
			if e.Kind == k {
				return e.At.Sub(start)
			}
		}
		t.Fatalf("no %s event: %v", k, sc.Events)
		return 0
	}
	// The control window is measured from the world's start; the fault
	// goes on as it ends, within ten drill seconds: at the test's ×120
	// a busy machine's scheduling delay of tens of milliseconds is that.
	require.InDelta(t, (3 * time.Minute).Seconds(), first(timeline.ControlEnd).Seconds(), 10)
	require.InDelta(t, (3 * time.Minute).Seconds(), first(timeline.FaultOn).Seconds(), 10)
	require.LessOrEqual(t, first(timeline.AlertFiring), bounds[`alert "LLMGatewayErrors" fires within 10m`])
	require.LessOrEqual(t, first(timeline.Ack), bounds[`the page is acknowledged within 15m`])
	var last time.Duration
	for _, e := range sc.Events {
		last = max(last, e.At.Sub(start))
	}
	require.LessOrEqual(t, last, parseOffset(t, end[1])+time.Minute, "the scenario ended by the plan's end (teardown events within a minute of drill time)")
	// The condition held for 1m from the acknowledgement step's end: the
	// scenario lasted at least that.
	require.GreaterOrEqual(t, last, first(timeline.Ack)+time.Minute)
}
