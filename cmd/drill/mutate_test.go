package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/mutate"
)

const mutateTeam = "../../mutate/testdata/no-recovery"

func TestMutatePlanListsMutantsAndTime(t *testing.T) {
	code, out, errs := runCLI(t, "mutate", "--team", mutateTeam, "--plan", "--no-builtin", "runbooks/")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "6 of 6 mutant(s); baseline: 1 drill(s) on the unchanged plan")
	require.Contains(t, out, "  baseline features/outage.feature:4  about ")
	require.Contains(t, out, "runbooks/llm-provider-down.md:mitigation-command-noop:mitigation/failover\n  runbook llm-provider-down: Mitigation step failover's command turned into a no-op (true)\n  1 drill(s), about ")
	require.Contains(t, out, "of real time in all, plus setup")

	// the same seed, the same sample
	_, a, _ := runCLI(t, "mutate", "--team", mutateTeam, "--plan", "--no-builtin", "--mutants", "3", "--seed", "5")
	_, b, _ := runCLI(t, "mutate", "--team", mutateTeam, "--plan", "--no-builtin", "--mutants", "3", "--seed", "5")
	require.Equal(t, a, b)
	require.Contains(t, a, "3 of 27 mutant(s)")
}

func TestMutateRefusesBadUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--mutants", "0"}, `--mutants "0": want a number of mutants from 1, or all`},
		{[]string{"--format", "xml"}, `--format "xml": want text, json or md`},
		{[]string{"--gate", "pass_rate >= 0.9"}, `unknown metric "pass_rate"; drill mutate's gates take mutation_score, survived, killed, invalid`},
		{[]string{"--shard", "3/2"}, "--shard"},
		{[]string{"--speed", "0"}, "--speed"},
		{[]string{"nowhere/"}, "nowhere/: no mutant of the team's files is in it or named so"},
	} {
		code, _, errs := runCLI(t, append([]string{"mutate", "--team", mutateTeam, "--plan"}, c.args...)...)
		require.Equal(t, exitcode.Usage, code, c.args)
		require.Contains(t, errs, c.msg, c.args)
	}
}

func TestMutateStopsWhenTheUnchangedTeamFailsLint(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, mutateTeam, dir)
	f := filepath.Join(dir, "runbooks", "llm-provider-down.md")
	b, err := os.ReadFile(f)
	require.NoError(t, err)
	// no Mitigation section: a lint error
	require.NoError(t, os.WriteFile(f, []byte(string(b[:len(b)/2])), 0o644))
	code, _, errs := runCLI(t, "mutate", "--team", dir, "--no-history", "--no-builtin", "--quiet", "drill.yaml")
	require.Equal(t, exitcode.Lint, code, errs)
	require.Contains(t, errs, "the unchanged team has")
}

// A survivor misses the gate (exit 1), the run is in the history, and
// drill report shows the score.
func TestMutateGateAndHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two drills at ×60; skipped with -short")
	}
	hist := filepath.Join(t.TempDir(), "history.db")
	out := filepath.Join(t.TempDir(), "mutate.md")
	code, _, errs := runCLI(t, "mutate", "--team", mutateTeam, "--no-builtin", "--speed", "60", "--control-window", "2m",
		"--history", hist, "--gate", "mutation_score >= 0.8", "--format", "md", "--out", out,
		"runbooks/llm-provider-down.md:mitigation-command-noop:mitigation/failover")
	require.Equal(t, exitcode.Failed, code, errs)
	md, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(md), "## drill mutate: 0% of 1 mutant(s) killed (team No recovery check)")
	require.Contains(t, string(md), "| `runbooks/llm-provider-down.md:mitigation-command-noop:mitigation/failover` | runbook llm-provider-down: Mitigation step failover's command turned into a no-op (true) | no drill checks recovery after the runbook | And following the runbook brings \"gateway:error_ratio <= 0.2\" true within 10m |")
	require.Contains(t, string(md), "| `mutation_score >= 0.8` | **failed**: mutation_score is 0 |")

	code, rep, errs := runCLI(t, "report", "--history", hist)
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, rep, "Mutation score (drill mutate), 1 run(s), oldest first:")
	require.Contains(t, rep, "No recovery check    0%  0 killed of 1 counted, 0 invalid, seed 1, 0 equivalent left out")
	_ = mutate.Killed
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
}
