package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// demoWith extracts the demo team and rewrites its files: each edit maps
// a file of the team to a function of its text.
func demoWith(t *testing.T, edits map[string]func(string) string) *team.Team {
	t.Helper()
	dir, err := ExtractDemo(t.TempDir())
	require.NoError(t, err)
	for rel, edit := range edits {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			b, err = nil, nil
		}
		require.NoError(t, err)
		out := edit(string(b))
		require.NotEqual(t, string(b), out, "the edit of %s changed nothing", rel)
		require.NoError(t, os.WriteFile(p, []byte(out), 0o644))
	}
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

func replaceOnce(t *testing.T, old, new string) func(string) string {
	return func(s string) string {
		require.Equal(t, 1, strings.Count(s, old), "want %q once", old)
		return strings.Replace(s, old, new, 1)
	}
}

func alertOf(sc scoring.Scenario, name string) (scoring.Alert, bool) {
	for _, a := range sc.Alerts {
		if a.Name == name {
			return a, true
		}
	}
	return scoring.Alert{}, false
}

// noisyTeam is the demo team with its spend alert's threshold below the
// service's normal spend (about 0.2 USD a minute): LLMSpendSpike pages
// without any fault. forSpend replaces its `for: 2m` when not empty.
func noisyTeam(t *testing.T, forSpend string) *team.Team {
	rule := "expr: gateway:cost_usd_per_minute > 0.05\n"
	if forSpend != "" {
		rule += "        for: " + forSpend + "\n"
	} else {
		rule += "        for: 2m\n"
	}
	return demoWith(t, map[string]func(string) string{
		// 20 requests a second keep 40 requests in the [2m] windows at
		// ×60, so the noisy alert's expression never goes empty and its
		// episode never ends by lack of data before the fault.
		"drill.yaml":                    replaceOnce(t, "  rate: 5\n", "  rate: 20\n"),
		"alerts/llm-gateway.rules.yaml": replaceOnce(t, "expr: gateway:cost_usd_per_minute > 1\n        for: 2m\n", rule),
		"features/cost-spike.feature": func(string) string {
			return `@noisy
Feature: A billing spike, named
  Scenario: The spend alert detects a billing spike
    Given the team's environment is running
    And steady traffic of 20 requests per second
    When provider "primary" bills 10x tokens
    Then alert "LLMSpendSpike" fires within 10m
    And the fault provably fired
`
		},
	})
}

func runOnly(t *testing.T, tm *team.Team, control time.Duration, only ...string) *scoring.Scorecard {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	card, err := Run(ctx, Options{Team: tm, Only: only, Speed: 60, Seed: 1, Parallel: 1, ControlWindow: control})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, len(only))
	return card
}

// On the noisy team, with a control window too short to show its noise,
// LLMSpendSpike goes pending before the fault and fires after it. That
// firing detected nothing: neither "an alert fires" nor `alert
// "LLMSpendSpike" fires` is satisfied, and the false alarm says why. (Its
// for: is 5m here, so that at ×60, where request latency moves its
// pending by a minute of drill time, it is still pending when the fault
// goes on at +6m.)
func TestAlreadyPendingAlertIsNoDetection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real drills (about a minute); skipped with -short")
	}
	tm := noisyTeam(t, "5m")
	card := runOnly(t, tm, 6*time.Minute, "builtin/cost-spike.feature:7", "features/cost-spike.feature:3")
	for _, sc := range card.Scenarios {
		pend, ok := findEventOf(sc.Events, timeline.AlertPending, "LLMSpendSpike")
		require.True(t, ok, "the noisy alert never went pending: %v", sc.Events)
		fault, ok := findEvent(sc.Events, timeline.FaultOn)
		require.True(t, ok)
		require.True(t, pend.At.Before(fault.At), "the noisy alert went pending after the fault, at %s: %v", pend.At, sc.Events)

		require.Equal(t, scoring.Failed, sc.Status, "%s: %s\n%v", sc.Name, sc.Reason, sc.Events)
		pendAt := scoring.Offset(pend.At.Sub(scoring.StartOf(sc.Events)))
		require.Contains(t, sc.Reason, "LLMSpendSpike was already pending before the fault, at "+pendAt, "the step's offset is the scorecard's")
		require.Contains(t, sc.Reason, "is noise, not a detection")
		a, ok := alertOf(sc, "LLMSpendSpike")
		require.True(t, ok, "events: %v", sc.Events)
		require.True(t, a.FalseAlarm)
		require.Equal(t, "already pending before the fault, at "+pendAt, a.Why)
		require.True(t, a.FiredAt.After(fault.At))
		require.Nil(t, sc.Timings.TimeToDetect)
		warnings := strings.Join(sc.Warnings, "\n")
		require.Contains(t, warnings, "the control window of 6m (--control-window) is too short to show these rules' noise: ")
		require.Contains(t, warnings, "LLMSpendSpike needs 8m (for: 5m + range 2m + two 30s evaluations)")
	}
	require.Contains(t, card.Scenarios[0].Reason, "no alert fired within 10m of the fault: nothing detected it")
	require.NotContains(t, card.Scenarios[0].ExpectedAlerts, "LLMSpendSpike", `noise is not what "an alert fires" expected`)
	require.Contains(t, card.Scenarios[1].Reason, `alert "LLMSpendSpike" did not fire within 10m of the fault`)
	require.Equal(t, 1.0, card.Summary.FalseAlarmRate)
	require.Equal(t, exitcode.Failed, card.ExitCode())
}

// With the default control window, long enough for every rule to show
// noise, the noisy team's alert (the demo's for: 2m, its threshold
// lowered) fires in the window itself: a false alarm there, and the drill
// fails.
func TestDefaultControlWindowShowsNoise(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real drill (half a minute); skipped with -short")
	}
	card := runOnly(t, noisyTeam(t, ""), 0, "builtin/cost-spike.feature:7")
	sc := card.Scenarios[0]
	require.Equal(t, scoring.Failed, sc.Status, sc.Reason)
	a, ok := alertOf(sc, "LLMSpendSpike")
	require.True(t, ok)
	require.True(t, a.FalseAlarm)
	require.Equal(t, "fired in the control window, before any fault", a.Why)
	end, ok := findEvent(sc.Events, timeline.ControlEnd)
	require.True(t, ok)
	require.Equal(t, "control window of 13m0s ended", end.Message)
	for _, w := range sc.Warnings {
		require.NotContains(t, w, "control window", "the default window shows every rule's noise")
	}
}

func findEventOf(events []timeline.Event, k timeline.Kind, subject string) (timeline.Event, bool) {
	for _, e := range events {
		if e.Kind == k && e.Subject == subject {
			return e, true
		}
	}
	return timeline.Event{}, false
}

func findEvent(events []timeline.Event, k timeline.Kind) (timeline.Event, bool) {
	for _, e := range events {
		if e.Kind == k {
			return e, true
		}
	}
	return timeline.Event{}, false
}

// commandService runs this test binary as the demo team's service, as the
// reference gateway behind a wrapper that outlives it (see
// serveTestService).
func commandService(t *testing.T) func(string) string {
	exe, err := os.Executable()
	require.NoError(t, err)
	return func(s string) string {
		start := strings.Index(s, "service:\n")
		end := strings.Index(s, "\ntraffic:")
		require.True(t, start >= 0 && end > start, "drill.yaml has a service section before traffic")
		return s[:start] + `service:
  command: ["sh", "-c", "'` + exe + `' & sleep 1000"]
  env:
    ` + testServiceEnv + `: "1"
    DRILL_ADDR: "127.0.0.1:{{ .Port }}"
    DRILL_PRIMARY_URL: "{{ .Providers.primary.URL }}"
    DRILL_PRIMARY_MODEL: gpt-4o
    DRILL_SECONDARY_URL: "{{ .Providers.secondary.URL }}"
    DRILL_SECONDARY_MODEL: gpt-4o-mini
    DRILL_SEARCH_URL: "{{ .Stubs.search.URL }}"
  health: /healthz
  metrics: /metrics
  admin: /admin
` + s[end:]
	}
}

// spendRunbook is the demo's spend runbook with its fix replaced by fix.
func spendRunbook(fix string) func(string) string {
	return func(s string) string {
		i := strings.Index(s, "## Mitigation")
		return s[:i] + "## Mitigation\n\n1. Apply the fix.\n\n   ```sh {\"name\":\"fix\"}\n   " + fix + "\n   ```\n\n## Escalation\n\nPage `sre`.\n"
	}
}

// A runbook whose fix kills the service (its wrapper lives on) or breaks
// its /metrics: the spend alert resolves because its series vanished,
// and that is no recovery. The drill ends as an error of the harness or
// a failed recovery, never a pass.
func TestNoDataIsNoRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real drills (about a minute); skipped with -short")
	}
	cases := map[string]struct {
		fix    string
		status scoring.Verdict
		exit   exitcode.Code
		reason []string
		event  timeline.Kind
	}{
		"dead service": {
			fix: `curl -sS -X POST "$GATEWAY_ADMIN/test/crash" || true`, status: scoring.Error, exit: exitcode.Harness,
			reason: []string{"service under test crashed: process ", "of the service's process group exited, and the service no longer answers"},
			event:  timeline.ServiceExit,
		},
		"failing metrics": {
			fix: `curl -fsS -X POST "$GATEWAY_ADMIN/test/break-metrics"`, status: scoring.Failed, exit: exitcode.Failed,
			reason: []string{`alert "LLMSpendSpike" never read good on data within 15m0s of the acknowledgement`, "no data: scraping ", "(job service) fails", "no data is not recovery"},
			event:  timeline.ScrapeFailed,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tm := demoWith(t, map[string]func(string) string{
				"drill.yaml":                 commandService(t),
				"runbooks/llm-cost-spike.md": spendRunbook(c.fix),
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			card, err := Run(ctx, Options{Team: tm, Only: []string{"builtin/cost-spike.feature:7"}, Speed: 60, Seed: 1, Parallel: 1})
			require.NoError(t, err)
			require.Len(t, card.Scenarios, 1)
			sc := card.Scenarios[0]
			require.NotEqual(t, scoring.Passed, sc.Status, "a drill whose fix killed the service or its metrics passed: %v", sc.Events)
			require.Equal(t, c.status, sc.Status, sc.Reason)
			for _, r := range c.reason {
				require.Contains(t, sc.Reason, r)
			}
			_, ok := findEvent(sc.Events, c.event)
			require.True(t, ok, "no %s event", c.event)
			require.Nil(t, sc.Timings.TimeToRecover)
			require.Equal(t, c.exit, card.ExitCode())
		})
	}
}
