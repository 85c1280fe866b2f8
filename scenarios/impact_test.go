package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
)

func TestImpact(t *testing.T) {
	tm := demoTeam(t)
	sel, err := Select(Options{Team: tm, All: true})
	require.NoError(t, err)
	names := func(changed ...string) (team, builtin []string) {
		for _, h := range Impact(tm, sel.Scenarios, changed) {
			if strings.HasPrefix(h.Scenario.File, "builtin/") {
				builtin = append(builtin, h.Scenario.Name)
			} else {
				team = append(team, h.Scenario.Name)
			}
		}
		return team, builtin
	}
	own, builtin := names("runbooks/llm-quality-degraded.md")
	require.Equal(t, []string{"The primary model drifts and canaries catch it", "The on-call engineer is unreachable and the policy escalates"}, own,
		"a runbook touches the team's scenarios expecting its alerts")
	require.Len(t, builtin, 8, "and the built-in library, which uses whichever alert fires")

	own, builtin = names("escalation/policies.yaml")
	require.Len(t, own, 5, "escalation reaches every drill")
	require.Len(t, builtin, 8)

	own, builtin = names("features/third-party-failure.feature")
	require.Equal(t, []string{"The search API answers 503", "The search API changes its schema"}, own)
	require.Empty(t, builtin, "a team feature touches only itself")

	own, builtin = names("README.md", "docs/notes.md")
	require.Empty(t, own)
	require.Empty(t, builtin)

	hits := Impact(tm, sel.Scenarios, []string{"runbooks/llm-quality-degraded.md"})
	var whys []string
	for _, h := range hits {
		whys = append(whys, h.Why)
	}
	require.Contains(t, whys, "expects LLMQualityDegraded (runbook runbooks/llm-quality-degraded.md changed)")
}

// The alertmanager.yml drill.yaml names routes every drill's pages.
func TestImpactAlertmanager(t *testing.T) {
	tm, err := team.Load("../team/testdata/amroute")
	require.NoError(t, err)
	sel, err := Select(Options{Team: tm, All: true, NoBuiltin: true})
	require.NoError(t, err)
	hits := Impact(tm, sel.Scenarios, []string{"alertmanager.yml"})
	require.Len(t, hits, len(sel.Scenarios))
	require.Equal(t, "alertmanager.yml changed (Alertmanager's routing reaches every drill)", hits[0].Why)
	require.Empty(t, Impact(tm, sel.Scenarios, []string{"other.yml"}))
}
