package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestImpact(t *testing.T) {
	tm := demoTeam(t)
	sel, err := Select(Options{Team: tm, All: true})
	require.NoError(t, err)
	names := func(changed ...string) []string {
		var out []string
		for _, h := range Impact(tm, sel.Scenarios, changed) {
			out = append(out, h.Scenario.Name)
		}
		return out
	}
	require.Equal(t, []string{
		"A billing spike is detected, paged and capped by the runbook",
		"A runaway agent loop is capped by the same runbook",
	}, names("runbooks/llm-cost-spike.md"), "a runbook touches the scenarios expecting its alerts")
	require.Len(t, names("escalation/policies.yaml"), 8, "escalation reaches every drill")
	require.Len(t, names("drill.yaml"), 8)
	require.Equal(t, []string{"The search API answers 503", "The search API changes its schema"},
		names("features/third-party-failure.feature"))
	require.Empty(t, names("README.md", "runbooks/unrelated.md"))
	require.Len(t, names("alerts/llm-gateway.rules.yaml"), 8, "every scenario expects (or tolerates) one of its alerts")

	hits := Impact(tm, sel.Scenarios, []string{"runbooks/llm-cost-spike.md"})
	require.Equal(t, "expects LLMSpendSpike (runbook runbooks/llm-cost-spike.md changed)", hits[0].Why)
}
