package scenarios

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/alerting"
)

// By default the control window is long enough for every alerting rule
// of the team to show noise: the longest for: plus the longest range plus
// two evaluation intervals, or 5m when that is shorter.
func TestControlWindowDefault(t *testing.T) {
	ws, err := noiseWindows(demoTeam(t))
	require.NoError(t, err)
	d, why := controlDefault(ws)
	require.Equal(t, 13*time.Minute, d, "the demo: for: 2m (LLMSpendSpike) + [10m] (LLMQualityDegraded) + 2 × 30s")
	require.Equal(t, "the default, long enough for every alerting rule to show noise: the longest for: 2m (LLMSpendSpike) + "+
		"the longest range 10m (LLMQualityDegraded) + two 30s evaluation intervals = 13m", why)
	require.Empty(t, controlWarning(d, "the default", ws, d), "the default shows every rule's noise")

	d, why = controlDefault([]alerting.NoiseWindow{{Alert: "Quick", For: time.Minute, Interval: 15 * time.Second}})
	require.Equal(t, 5*time.Minute, d)
	require.Equal(t, "the default, at least 5m (the longest for: 1m (Quick) + two 15s evaluation intervals = 1m30s)", why)
	d, why = controlDefault(nil)
	require.Equal(t, 5*time.Minute, d)
	require.Contains(t, why, "the team has no alerting rule")
}

// A window set shorter than a rule needs is warned of, naming the rules
// that cannot show noise in it, the longest need first.
func TestControlWindowWarning(t *testing.T) {
	ws, err := noiseWindows(demoTeam(t))
	require.NoError(t, err)
	msg := controlWarning(6*time.Minute, "the step at features/x.feature:4", ws, 13*time.Minute)
	require.Equal(t, "the control window of 6m (the step at features/x.feature:4) is too short to show these rules' noise: "+
		"LLMQualityDegraded needs 12m (for: 1m + range 10m + two 30s evaluations); LLMGatewayErrors needs 8m (for: 2m + range 5m + two 30s evaluations). "+
		"An alert that would page without any fault may go pending before the fault and fire after it, where drill can only call it noise; "+
		"without the setting the window is 13m", msg)
	msg = controlWarning(time.Minute, "--control-window", ws, 13*time.Minute)
	require.Contains(t, msg, "LLMSpendSpike needs 5m (for: 2m + range 2m + two 30s evaluations); 1 more.")
	require.Empty(t, controlWarning(12*time.Minute, "--control-window", ws, 13*time.Minute), "every rule fits: no warning")
}

// The plan shows the window each scenario will use and why, and warns of
// one set too short, by a flag or by the scenario's own step.
func TestPlanShowsTheControlWindow(t *testing.T) {
	tm := demoTeam(t)
	tm.Features["features/short.feature"] = `@short
Feature: short
  Scenario: a short window
    Given a control window of 3m
    When provider "primary" is down
    Then alert "LLMGatewayErrors" fires within 5m
`
	plan := func(opts Options) string {
		opts.Team, opts.Speed = tm, 60
		sel, top, err := Prepare(opts)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, WritePlan(&b, sel, top, opts))
		return b.String()
	}
	out := plan(Options{Names: []string{"cost-spike"}})
	require.Contains(t, out, "  control window 13m: the default, long enough for every alerting rule to show noise: ")
	require.Contains(t, out, "  +13:00  control window ends; alerts before this are false alarms")
	require.NotContains(t, out, "too short")

	out = plan(Options{Names: []string{"cost-spike"}, ControlWindow: 5 * time.Minute})
	require.Contains(t, out, "  control window 5m (--control-window)\n  warning: the control window of 5m (--control-window) is too short to show these rules' noise: LLMQualityDegraded needs 12m")
	require.Contains(t, out, "  +05:00  control window ends")

	out = plan(Options{Names: []string{"short"}, ControlWindow: 20 * time.Minute})
	require.Contains(t, out, "  control window 3m (the step at features/short.feature:4)\n  warning: the control window of 3m (the step at features/short.feature:4)")
	require.Contains(t, out, "  +03:00  control window ends", "the step's window, not the flag's")
	require.Equal(t, 1, strings.Count(out, "control window 3m ("))
}
