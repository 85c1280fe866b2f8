package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scenarios"
)

// gitTeam puts the demo team in a fresh git repository with one commit.
func gitTeam(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir, err := scenarios.ExtractDemo(t.TempDir())
	require.NoError(t, err)
	for _, args := range [][]string{
		{"init", "-q"}, {"add", "."},
		{"-c", "user.name=drill", "-c", "user.email=drill@example.com", "commit", "-qm", "team"},
	} {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		require.NoError(t, err, string(out))
	}
	return dir
}

func TestCIRunsNothingWhenNoDrillIsTouched(t *testing.T) {
	dir := gitTeam(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("notes\n"), 0o644))
	code, out, errs := runCLI(t, "ci", "--team", dir, "--base", "HEAD")
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "drill ci: lint clean")
	require.Contains(t, out, "1 file(s) changed since HEAD; none touches a drill")
}

func TestCIStopsOnLintErrors(t *testing.T) {
	dir := gitTeam(t)
	f := filepath.Join(dir, "features", "inference-outage.feature")
	b, err := os.ReadFile(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(f, append(b, []byte("\n  Scenario: typo\n    When provider \"primary\" bills lots\n")...), 0o644))
	code, out, _ := runCLI(t, "ci", "--team", dir, "--base", "HEAD")
	require.Equal(t, exitLint, code)
	require.Contains(t, out, "feature-undefined-step error: undefined step: When provider \"primary\" bills lots")
}

func TestCIBadBase(t *testing.T) {
	dir := gitTeam(t)
	code, _, errs := runCLI(t, "ci", "--team", dir, "--base", "no-such-rev")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "--base no-such-rev")
}

func TestCIOutsideGit(t *testing.T) {
	dir, err := scenarios.ExtractDemo(t.TempDir())
	require.NoError(t, err)
	code, _, errs := runCLI(t, "ci", "--team", dir, "--base", "HEAD")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "is not in a git repository; drill ci asks git what changed")
}

// drill's own state in the team directory is never a change of the team.
func TestCIIgnoresDrillState(t *testing.T) {
	dir := gitTeam(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".drill"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".drill", "history.db"), []byte("x"), 0o644))
	code, out, errs := runCLI(t, "ci", "--team", dir, "--base", "HEAD")
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "0 file(s) changed since HEAD; none touches a drill")
}

func TestRunUndefinedStepIsInvalidInput(t *testing.T) {
	dir := gitTeam(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "typo.feature"),
		[]byte("@typo\nFeature: t\n  Scenario: s\n    When provider \"primary\" bills lots\n"), 0o644))
	code, _, errs := runCLI(t, "run", "--team", dir, "--no-history", "typo")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "features/typo.feature:4: undefined step")
}
