package scenarios

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

// supportBotTeam copies testdata/supportbot, whose service is a support
// bot with an API of its own (POST /api/ask, GET /search), and builds the
// bot into its bin/.
func supportBotTeam(t *testing.T) *team.Team {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH to build the support bot")
	}
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "supportbot"))))
	out, err := exec.Command(goTool, "build", "-o", filepath.Join(dir, "bin", "supportbot"), "./testdata/supportbot/bot").CombinedOutput()
	require.NoError(t, err, "%s", out)
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

// A team whose service is not an OpenAI-compatible gateway but a support
// bot with its own request kinds in traffic: passes an outage and a cost
// drill from its drill.yaml, its rules, runbooks and escalation alone; the
// traffic generator counted each of its kinds under its own name.
func TestSupportBotTeamPassesOutageAndCostDrills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two real drills; skipped with -short")
	}
	tm := supportBotTeam(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	card, err := Run(ctx, Options{Team: tm, Tags: "@supportbot", NoBuiltin: true, Speed: 120, Seed: 1, Parallel: 2})
	require.NoError(t, err)
	require.Len(t, card.Scenarios, 2)
	for _, sc := range card.Scenarios {
		require.Equal(t, scoring.Passed, sc.Status, "%s: %s\n%v", sc.Name, sc.Reason, sc.Events)
		require.NotNil(t, sc.Timings.TimeToDetect, sc.Name)
		require.NotNil(t, sc.Timings.TimeToRecover, sc.Name)
	}
	outage, cost := card.Scenarios[0], card.Scenarios[1]
	_, ok := alertOf(outage, "SupportBotErrors")
	require.True(t, ok)
	_, ok = alertOf(cost, "SupportBotSpend")
	require.True(t, ok)
	require.Zero(t, card.ExitCode())
}
