package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// degradedRule is a second alert on the same error ratio: faster (for
// 1m) and routed to the staging blackhole of alertmanager.yml, so it
// pages nobody itself.
const degradedRule = `        - alert: LLMProviderDegraded
          expr: |
            sum(rate(gen_ai_client_operation_duration_seconds_count{error_type!=""}[5m]))
              / sum(rate(gen_ai_client_operation_duration_seconds_count[5m])) > 0.05
          for: 1m
          labels:
            team: ml-platform
            env: staging
            service: llm-gateway
          annotations:
            summary: LLM provider degraded (staging notice)
            description: More than 5% of LLM calls fail; a notice for the staging channel.
            runbook_url: runbooks/provider-errors.md
`

// inhibitingRule makes the staging notice mute every paging alert of the
// same service: the kind of rule a team writes meaning "production alerts
// while staging is known broken", which here silences production.
const inhibitingRule = `inhibit_rules:
  - source_matchers: ['alertname="LLMProviderDegraded"']
    target_matchers: ['severity="page"']
    equal: [service]
`

const inhibitFeature = `Feature: provider errors, with an inhibit rule in alertmanager.yml
  Scenario: the provider fails a fifth of the calls
    Given the team's environment is running
    And a control window of 1m
    When provider openai returns 500 for 50% of requests
    Then alert "LLMProviderErrors" fires within 15m
    And alert "LLMProviderDegraded" may fire
    And the page reaches an on-call responder of team ml-platform within 5m
`

// inhibitTeamDir copies team/testdata/amroute with the degraded rule and
// the feature, and with the inhibit rule when inhibit is set.
func inhibitTeamDir(t *testing.T, inhibit bool) *team.Team {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "team", "testdata", "amroute"))))
	rules := filepath.Join(dir, "alerts", "provider.yaml")
	data, err := os.ReadFile(rules)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(rules, append(data, degradedRule...), 0o644))
	if inhibit {
		am := filepath.Join(dir, "alertmanager.yml")
		data, err := os.ReadFile(am)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(am, append(data, inhibitingRule...), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "inhibit.feature"), []byte(inhibitFeature), 0o644))
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

// The same drill passes without the inhibit rule and fails with it: the
// staging notice fires first and inhibits LLMProviderErrors, so the page
// production would send never goes out. The failure names the inhibition;
// the alert still counts as detected (it fired).
func TestInhibitRuleChangesDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real drills (several seconds each); skipped with -short")
	}
	run := func(t *testing.T, inhibit bool) scoring.Scenario {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		card, err := Run(ctx, Options{Team: inhibitTeamDir(t, inhibit), Paths: []string{"features/inhibit.feature"}, NoBuiltin: true, Speed: 60, Seed: 1})
		require.NoError(t, err)
		require.Len(t, card.Scenarios, 1)
		return card.Scenarios[0]
	}
	logEvents := func(t *testing.T, sc scoring.Scenario) {
		for _, e := range sc.Events {
			t.Log(e.String())
		}
	}

	t.Run("without the inhibit rule: paged, passes", func(t *testing.T) {
		sc := run(t, false)
		if sc.Status != scoring.Passed {
			logEvents(t, sc)
		}
		require.Equal(t, scoring.Passed, sc.Status, "%s: %s", sc.Name, sc.Reason)
	})
	t.Run("with it: inhibited, fails naming the rule", func(t *testing.T) {
		sc := run(t, true)
		if sc.Status != scoring.Failed {
			logEvents(t, sc)
		}
		require.Equal(t, scoring.Failed, sc.Status, "%s: %s", sc.Name, sc.Reason)
		require.Contains(t, sc.Reason, "alert LLMProviderErrors inhibited by LLMProviderDegraded (inhibit_rules[0] in alertmanager.yml, line 33)")
		var fired, degraded, note bool
		for _, e := range sc.Events {
			switch {
			case e.Kind == timeline.AlertFiring && e.Subject == "LLMProviderErrors":
				fired = true
			case e.Kind == timeline.AlertFiring && e.Subject == "LLMProviderDegraded":
				degraded = true
			case e.Kind == timeline.Note && e.Attrs[timeline.Reason] == timeline.Inhibited:
				note = true
				require.Equal(t, "LLMProviderErrors", e.Subject)
				require.Equal(t, "LLMProviderDegraded", e.Attrs[timeline.InhibitedBy])
			case e.Kind == timeline.Page:
				t.Fatalf("nobody may be paged: %s", e.String())
			}
		}
		require.True(t, fired && degraded && note, "fired %v, degraded %v, note %v", fired, degraded, note)
		require.NotNil(t, sc.Timings.TimeToDetect, "the expected alert fired: it was detected")
		require.NotNil(t, sc.Breakdown)
		var route *scoring.Phase
		for i := range sc.Breakdown.Phases {
			if sc.Breakdown.Phases[i].Name == "route" {
				route = &sc.Breakdown.Phases[i]
			}
		}
		require.NotNil(t, route, "phases %+v", sc.Breakdown.Phases)
		require.True(t, route.Open, "nobody was paged: the route phase never ended")
		require.True(t, strings.Contains(route.Evidence, "inhibited by LLMProviderDegraded"), route.Evidence)
		t.Logf("reason: %s\nroute phase: %s", sc.Reason, route.Evidence)
	})
}
