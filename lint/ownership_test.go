package lint

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoleUnfillableThroughCoverageGap(t *testing.T) {
	m := cleanFS(t)
	replace(t, m, "escalation/roles.yaml", "from: {schedule: ml-platform-primary}", "from: {schedule: sre-primary}")
	replace(t, m, "escalation/people.yaml", "start: 2026-01-01T08:00:00", "start: 2026-03-20T08:00:00")
	var got []Finding
	for _, f := range lintFS(t, m) {
		if f.ID == "role-unfillable" {
			got = append(got, f)
		}
	}
	require.Len(t, got, 1)
	require.Contains(t, got[0].Message, "role operations_lead (required for critical): nobody can fill it: schedule sre-primary has nobody on call from Wed 2026-03-04 19:00 EST")
}

func TestOwnershipMismatchWithPolicy(t *testing.T) {
	m := cleanFS(t)
	// Owned by sre, but the service route sends it to ml-platform's policy.
	replace(t, m, "alerts/provider.yaml", "service: llm-gateway", "service: llm-gateway\n            team: sre")
	var msgs []string
	for _, f := range lintFS(t, m) {
		require.Equal(t, "ownership-team-mismatch", f.ID, f.String())
		msgs = append(msgs, f.Message)
	}
	require.Equal(t, []string{"alert LLMProviderErrors is owned by sre (label team) but routes to policy ml-platform of team ml-platform: the page wakes people who do not own the alert"}, msgs)

	m = cleanFS(t)
	replace(t, m, "drill.yaml", "coverage_days: 28", "coverage_days: 28\n  owner_label: owner")
	replace(t, m, "alerts/provider.yaml", "service: llm-gateway", "service: llm-gateway\n            owner: sre\n            team: ml-platform")
	fs := lintFS(t, m)
	require.Len(t, fs, 1, "the configured label is read, not team")
	require.Contains(t, fs[0].Message, "owned by sre (label owner)")
}
