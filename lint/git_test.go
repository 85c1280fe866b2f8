package lint

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
)

// TestRunbookOlderThanRule builds a git repository with a runbook committed
// before its alert rule changed.
func TestRunbookOlderThanRule(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(cleanDir)))
	git := func(date string, args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	git("2026-01-10T10:00:00Z", "init", "-q")
	git("2026-01-10T10:00:00Z", "add", ".")
	git("2026-01-10T10:00:00Z", "commit", "-qm", "team")
	tm, err := team.Load(dir)
	require.NoError(t, err)
	require.Empty(t, checkTeam(tm, Options{Now: lintNow, ExposedMetrics: exposed}))

	p := filepath.Join(dir, "alerts", "llm.yaml")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), "> 2", "> 3", 1)), 0o644))
	git("2026-02-20T10:00:00Z", "commit", "-qam", "raise threshold")
	tm, err = team.Load(dir)
	require.NoError(t, err)
	fs := checkTeam(tm, Options{Now: lintNow, ExposedMetrics: exposed})
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	require.Equal(t, []string{
		"runbooks/llm-cost-spike.md:1:1: runbook-older-than-rule warning: runbook llm-cost-spike was last changed 2026-01-10, before alerts/llm.yaml (alert LLMSpendSpike) was changed 2026-02-20",
	}, got)
}
