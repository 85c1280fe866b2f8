package lint

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/testfs"
)

// With an alertmanager.yml, escalation-unrouted-alert judges the route
// Alertmanager's tree gives the rule's static labels.
func TestAlertmanagerUnroutedAlert(t *testing.T) {
	m := testfs.Copy(t, amDir)
	require.Empty(t, lintFS(t, m), "the alertmanager team lints clean")

	// The alert now takes only slack-ml: a child matched (with continue),
	// so, as in Alertmanager, the root's receiver sre is not taken.
	replace(t, m, "alerts/provider.yaml", "service: llm-gateway", "service: gateway")
	fs := lintFS(t, m)
	require.Len(t, fs, 1, "%v", fs)
	require.Equal(t, "escalation-unrouted-alert", fs[0].ID)
	require.Equal(t, "alerts/provider.yaml", fs[0].File)
	require.Contains(t, fs[0].Message, "Alertmanager's tree in alertmanager.yml")
	require.Contains(t, fs[0].Message, "receivers slack-ml)")
}

// An alert owned by one team that Alertmanager routes (among others) to
// another team's policy is an ownership mismatch.
func TestAlertmanagerOwnershipMismatch(t *testing.T) {
	m := testfs.Copy(t, amDir)
	replace(t, m, "alertmanager.yml", "  routes:\n", "  routes:\n    - matchers: ['team=\"ml-platform\"']\n      receiver: sre\n      continue: true\n")
	fs := lintFS(t, m)
	require.Len(t, fs, 1, "%v", fs)
	require.Equal(t, "ownership-team-mismatch", fs[0].ID)
	require.Contains(t, fs[0].Message, "routes to policy sre")
}

// A PagerDuty receiver mapped to no policy is flagged where its name is
// written; Slack and null receivers page nobody by design and are not.
func TestAlertmanagerReceiverNoPolicy(t *testing.T) {
	m := testfs.Copy(t, amDir)
	replace(t, m, "alertmanager.yml", "  - name: blackhole\n", "  - name: blackhole\n  - name: pd-legacy\n    pagerduty_configs:\n      - routing_key: drill-test-not-a-real-key\n")
	fs := lintFS(t, m)
	require.Len(t, fs, 1, "%v", fs)
	require.Equal(t, "escalation-receiver-no-policy", fs[0].ID)
	require.Equal(t, "alertmanager.yml", fs[0].File)
	require.Equal(t, 32, fs[0].Line)
	require.Equal(t, 11, fs[0].Col)
	require.Contains(t, fs[0].Message, "receiver pd-legacy sends to PagerDuty")
}

// An inhibit rule no alert rule can take as its source (a typo in the
// alertname) or as its target (no rule has the label value) is flagged at
// the rule; a matcher on a label no rule sets statically (one of the
// series, or an external label) may match and is not.
func TestAlertmanagerInhibitRuleDead(t *testing.T) {
	m := testfs.Copy(t, amDir)
	m["alertmanager.yml"].Data = append(append([]byte{}, m["alertmanager.yml"].Data...), `inhibit_rules:
  - source_matchers: ['alertname="LLMSpendSpike"']
    target_matchers: ['severity="page"']
  - source_matchers: ['alertname="LLMSpendSpik"']
    target_matchers: ['severity="page"']
  - source_match: {provider: openai}
    target_match: {severity: warning}
  - source_matchers: ['cluster="prod"', 'alertname=~"LLM.*"']
    target_matchers: ['service=~"llm-.+"']
    equal: [cluster]
`...)
	fs := lintFS(t, m)
	require.Len(t, fs, 2, "%v", fs)
	for _, f := range fs {
		require.Equal(t, "escalation-inhibit-rule-dead", f.ID)
		require.Equal(t, "alertmanager.yml", f.File)
		require.Equal(t, 5, f.Col)
	}
	require.Equal(t, 35, fs[0].Line)
	require.Contains(t, fs[0].Message, "inhibit_rules[1] never mutes anything: no alert rule of alerts can match its source matchers")
	require.Equal(t, 37, fs[1].Line)
	require.Contains(t, fs[1].Message, "inhibit_rules[2] never mutes anything: no alert rule of alerts can match its target matchers")
}
