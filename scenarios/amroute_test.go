package scenarios

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// A drill of a team routed by its alertmanager.yml: LLMProviderErrors
// {severity=page, service=llm-gateway} takes slack-ml (continue; no
// policy, a note) and the service=~"llm-.*" route to pd-ml-platform
// (mapped to policy ml-platform), whose group_wait is the root's 45s, not
// the engine's default 30s. The page goes to ml-platform exactly 45s of
// drill time after the alert fired.
func TestAlertmanagerRoutedDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real drill (several seconds); skipped with -short")
	}
	tm, err := team.Load("../team/testdata/amroute")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	card, err := Run(ctx, Options{Team: tm, Paths: []string{"features/provider-errors.feature"}, NoBuiltin: true, Speed: 60, Seed: 1})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 1)
	sc := card.Scenarios[0]
	if sc.Status != scoring.Passed {
		for _, e := range sc.Events {
			t.Log(e.String())
		}
	}
	require.Equal(t, scoring.Passed, sc.Status, "%s: %s", sc.Name, sc.Reason)

	var fired, paged time.Time
	var policies []string
	quiet := false
	for _, e := range sc.Events {
		switch {
		case e.Kind == timeline.AlertFiring && e.Subject == "LLMProviderErrors" && fired.IsZero():
			fired = e.At
		case e.Kind == timeline.Page:
			policies = append(policies, e.Attrs["policy"])
			if paged.IsZero() {
				paged = e.At
			}
		case e.Kind == timeline.Note && e.Attrs["reason"] == "receiver_no_policy" && e.Attrs["receiver"] == "slack-ml":
			quiet = true
		}
	}
	require.False(t, fired.IsZero(), "LLMProviderErrors fired")
	require.NotEmpty(t, policies)
	for _, p := range policies {
		require.Equal(t, "ml-platform", p)
	}
	require.Equal(t, 45*time.Second, paged.Sub(fired), "the group_wait the service route inherits from the root")
	require.True(t, quiet, "the slack-ml receiver's no-page is on the timeline")
	// The scorecard's route phase (expected alert firing → first page) is
	// the group_wait.
	require.NotNil(t, sc.Breakdown)
	var route *scoring.Phase
	for i := range sc.Breakdown.Phases {
		if sc.Breakdown.Phases[i].Name == "route" {
			route = &sc.Breakdown.Phases[i]
		}
	}
	require.NotNil(t, route, "phases %+v", sc.Breakdown.Phases)
	require.Equal(t, 45*time.Second, route.Seconds.Duration())
	t.Logf("fired %s, paged %s later", fired.Format(time.TimeOnly), paged.Sub(fired))
}
