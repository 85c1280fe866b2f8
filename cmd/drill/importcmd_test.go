package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
)

func pdFixtures() []string {
	var out []string
	for _, f := range []string{"users.json", "schedule.json", "escalation_policies.json", "services.json"} {
		out = append(out, filepath.Join("..", "..", "importer", "pagerduty", "testdata", f))
	}
	return out
}

// An import into a small team is accepted by drill lint: no errors, and
// the one warning is the PagerDuty team SRE, which no policy has as its
// (first) team.
func TestImportPagerDutyLints(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drill.yaml"), []byte("team:\n  id: ml-platform\n  name: ML Platform\n"), 0o644))
	out := filepath.Join(dir, "escalation", "pagerduty.yaml")
	args := append([]string{"import", "pagerduty", "--now", "2026-03-05", "--out", out}, pdFixtures()...)
	code, stdout, stderr := runCLI(t, args...)
	require.Equal(t, exitcode.OK, code, stderr)
	require.Contains(t, stdout, "4 users, 2 teams, 1 schedules, 1 policies, 1 routes, 6 warnings")
	require.Equal(t, 6, strings.Count(stderr, "warning: "), stderr)
	// The fixture's final_schedule agrees with drill from --now (01:00
	// Berlin) to its until (2026-03-09 00:00): 95 hours.
	require.Contains(t, stdout, "checked against PagerDuty's final_schedule: 1 schedules, 10 entries, 5700 minutes from --now on, 0 disagreements, 0 schedules with their layer order corrected")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "# Imported from PagerDuty by drill import pagerduty at 2026-03-05T00:00:00Z\n"))

	code, stdout, stderr = runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code, stdout+stderr)
	require.Contains(t, stdout, "0 errors, 1 warning")
	require.Contains(t, stdout, "escalation-team-no-policy warning: team sre has no escalation policy")

	// An existing file is refused, and kept, unless --force.
	code, _, stderr = runCLI(t, args[:len(args)-1]...)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, stderr, "exists; expected a new file (--force overwrites it)")
	after, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, data, after)
	code, _, stderr = runCLI(t, append([]string{"import", "pagerduty", "--force", "--now", "2026-03-05", "--out", out}, pdFixtures()...)...)
	require.Equal(t, exitcode.OK, code, stderr)
}

func TestImportPagerDutyBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "alerts.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"alerts": []}`), 0o644))
	out := filepath.Join(dir, "out.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "pagerduty", "--out", out, bad}, bad + ": not a PagerDuty REST API v2 response"},
		{[]string{"import", "pagerduty", "--out", out, pdFixtures()[1]}, `schedule.json: schedule.schedule_layers[2].users[0].user.id: unknown user "PAL1CE0"`},
		{[]string{"import", "pagerduty", "--out", out, filepath.Join(dir, "missing.json")}, "missing.json"},
		{[]string{"import", "opsgenie", "x.json"}, "pagerduty is the one source drill imports"},
		{[]string{"import", "pagerduty"}, "needs the saved API responses"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		require.Equal(t, exitcode.Usage, code, stderr)
		require.Contains(t, stderr, c.want)
		require.NoFileExists(t, out)
	}
}
