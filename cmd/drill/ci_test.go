package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
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
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "drill ci: lint clean")
	require.Contains(t, out, "1 file(s) changed since HEAD; none touches a drill")
}

func TestCIStopsOnLintErrors(t *testing.T) {
	dir := gitTeam(t)
	f := filepath.Join(dir, "features", "inference-outage.feature")
	b, err := os.ReadFile(f)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(f, append(b, []byte("\n  Scenario: typo\n    When provider \"primary\" bills lots\n")...), 0o644))
	outDir := filepath.Join(t.TempDir(), "ci-out")
	code, out, _ := runCLI(t, "ci", "--team", dir, "--base", "HEAD", "--out", outDir)
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, "feature-undefined-step error: undefined step: When provider \"primary\" bills lots")

	// The pull request's comment says lint stopped the run, with the
	// findings that did, and that no drill ran.
	require.Contains(t, out, "drill ci: summary.md written to "+outDir)
	md, err := os.ReadFile(filepath.Join(outDir, "summary.md"))
	require.NoError(t, err)
	require.Contains(t, string(md), "## drill scorecard — ")
	require.Contains(t, string(md), "**Lint failed: no drill ran.** 1 finding(s) at error level")
	require.Contains(t, string(md), "### Lint findings that stopped the run (1)\n\n- `"+filepath.ToSlash(dir)+"/features/inference-outage.feature:")
	require.Contains(t, string(md), "feature-undefined-step error: undefined step: When provider \"primary\" bills lots")
	_, err = os.Stat(filepath.Join(outDir, "junit.xml"))
	require.True(t, os.IsNotExist(err), "no drill ran: no JUnit")
}

func TestCIBadBase(t *testing.T) {
	dir := gitTeam(t)
	code, _, errs := runCLI(t, "ci", "--team", dir, "--base", "no-such-rev")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--base no-such-rev")
}

func TestCIOutsideGit(t *testing.T) {
	dir, err := scenarios.ExtractDemo(t.TempDir())
	require.NoError(t, err)
	code, _, errs := runCLI(t, "ci", "--team", dir, "--base", "HEAD")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "is not in a git repository; drill ci asks git what changed")
}

// drill's own state in the team directory is never a change of the team.
func TestCIIgnoresDrillState(t *testing.T) {
	dir := gitTeam(t)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".drill"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".drill", "history.db"), []byte("x"), 0o644))
	code, out, errs := runCLI(t, "ci", "--team", dir, "--base", "HEAD")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "0 file(s) changed since HEAD; none touches a drill")
}

func TestRunUndefinedStepIsInvalidInput(t *testing.T) {
	dir := gitTeam(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "typo.feature"),
		[]byte("@typo\nFeature: t\n  Scenario: s\n    When provider \"primary\" bills lots\n"), 0o644))
	code, _, errs := runCLI(t, "run", "--team", dir, "--no-history", "typo")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "features/typo.feature:4: undefined step")
}

// drill lint and drill ci lint alike: for the same team and reference
// date, drill ci prints exactly drill lint's text output (the same
// findings, in the same order, with the same summary) before deciding, and
// both exit 3 on the same findings.
func TestLintAndCIFindTheSame(t *testing.T) {
	for _, c := range []struct {
		name  string
		edits [][3]string // file, old, new
		lines int         // finding lines expected
		code  exitcode.Code
	}{
		{"demo", nil, 0, exitcode.OK},
		{"planted warnings", [][3]string{
			{"alerts/llm-gateway.rules.yaml", "for: 2m", "for: 30s"},
			{"runbooks/llm-provider-down.md", "last_reviewed: 2026-11-26\n", ""},
		}, 2, exitcode.OK},
		{"planted errors", [][3]string{
			{"alerts/llm-gateway.rules.yaml", "for: 2m", "for: 30s"},
			{"runbooks/llm-cost-spike.md", "owner: ml-platform\n", ""},
			{"features/inference-outage.feature", "Given the team's environment is running", "Given the team's environment is runing"},
			{"alerts/tests/llm-spend_test.yaml", "summary: LLM spend is 2.00 USD per minute", "summary: LLM spend is 3.00 USD per minute"},
		}, 4, exitcode.Lint},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := gitTeam(t)
			for _, e := range c.edits {
				p := filepath.Join(dir, e[0])
				b, err := os.ReadFile(p)
				require.NoError(t, err)
				require.Contains(t, string(b), e[1], e[0])
				require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), e[1], e[2], 1)), 0o644))
			}
			// Committed, so that no drill is touched and ci stops after lint.
			out, err := exec.Command("git", "-C", dir, "-c", "user.name=drill", "-c", "user.email=drill@example.com", "commit", "-qam", "plant", "--allow-empty").CombinedOutput()
			require.NoError(t, err, string(out))

			lintCode, lintOut, lintErrs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
			ciCode, ciOut, ciErrs := runCLI(t, "ci", "--team", dir, "--now", "2026-03-05", "--base", "HEAD")
			require.Equal(t, c.code, lintCode, lintErrs)
			require.Equal(t, c.code, ciCode, ciErrs)
			require.True(t, strings.HasPrefix(ciOut, lintOut), "ci prints lint's findings:\n--- lint\n%s--- ci\n%s", lintOut, ciOut)
			require.Equal(t, c.lines, strings.Count(lintOut, " error: ")+strings.Count(lintOut, " warning: ")+strings.Count(lintOut, " info: "), lintOut)
			if c.code == exitcode.OK {
				require.Contains(t, ciOut, "drill ci: lint clean")
				require.Contains(t, ciOut, "none touches a drill")
			} else {
				require.Contains(t, ciOut, "lint error(s); no drill runs until they are fixed")
			}

			// With --strict, warnings fail both alike.
			lintCode, _, _ = runCLI(t, "lint", "--team", dir, "--now", "2026-03-05", "--strict")
			ciCode, _, _ = runCLI(t, "ci", "--team", dir, "--now", "2026-03-05", "--base", "HEAD", "--strict")
			require.Equal(t, lintCode, ciCode)
			require.Equal(t, c.lines > 0, lintCode == exitcode.Lint)
		})
	}
}
