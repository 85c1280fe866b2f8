package scenarios

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

// The demo team with its primary provider on the Gemini API and its
// secondary on Bedrock (testdata/gemini-bedrock) passes the demo's outage
// drill and the cost-spike drills. Each mock serves only its one surface
// (surfaces: [gemini], [bedrock]), so the gateway's traffic, the faults'
// evidence and the usage the spend alert is computed from are all the
// Gemini and Bedrock surfaces': an OpenAI-shaped request would be a 404.
func TestGeminiBedrockTeamPassesOutageAndCostSpike(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three real drills (about a minute); skipped with -short")
	}
	tm, err := team.Load(filepath.Join("testdata", "gemini-bedrock"))
	require.NoError(t, err)
	top, err := TopologyOf(tm)
	require.NoError(t, err)
	require.Equal(t, []string{"gemini"}, top.Providers[0].Surfaces)
	require.Equal(t, []string{"bedrock"}, top.Providers[1].Surfaces)
	require.Equal(t, "gemini", top.Service.Gateway.PrimaryKind)
	require.Equal(t, "bedrock", top.Service.Gateway.SecondaryKind)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	only := []string{"features/inference-outage.feature:8", "builtin/cost-spike.feature:7", "builtin/cost-spike.feature:16"}
	card, err := Run(ctx, Options{Team: tm, Only: only, Speed: 60, Seed: 1, Parallel: 3})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 3)
	for _, sc := range card.Scenarios {
		require.Equal(t, scoring.Passed, sc.Status, "%s: %s", sc.Name, sc.Reason)
		require.NotEmpty(t, sc.Evidence, "%s: the fault's evidence", sc.Name)
		for id, n := range sc.Evidence {
			require.Greater(t, n, int64(0), "%s: fault %s affected no request", sc.Name, id)
		}
		require.NotNil(t, sc.Timings.TimeToDetect, sc.Name)
		require.NotNil(t, sc.Timings.TimeToRecover, sc.Name)
	}
	require.Equal(t, 1.0, card.Summary.PassRate)
}
