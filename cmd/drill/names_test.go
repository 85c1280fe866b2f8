package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/stretchr/testify/require"
)

// demoWith copies the demo team at demo and replaces old with new in one
// of its files.
func demoWith(t *testing.T, demo, file, old, new string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(demo)))
	p := filepath.Join(dst, file)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(b), old)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
	return dst
}

// A misspelt alert or team in a feature file is invalid input: `drill run
// --plan` and `drill run` refuse it before any world starts (exit 2, no
// scorecard), naming file:line and the closest names, and the refused run
// is not in the history.
func TestMisspeltNamesAreRefusedBeforeAnyWorld(t *testing.T) {
	demo, err := filepath.Abs(filepath.Join("..", "..", "examples", "acme-ml"))
	require.NoError(t, err)
	t.Chdir(t.TempDir())
	dir := demoWith(t, demo, "features/inference-outage.feature",
		"Then alert \"LLMGatewayErrors\" fires within 5m\n    And the page reaches an on-call responder of team \"ml-platform\" within 5m",
		"Then alert \"LLMGatewayErors\" fires within 5m\n    And the page reaches an on-call responder of team \"ml-platfrom\" within 5m")
	hist := filepath.Join(t.TempDir(), "history.db")
	for _, args := range [][]string{
		{"run", "--plan", "--team", dir, "inference-outage"},
		{"run", "--team", dir, "--history", hist, "inference-outage"},
	} {
		code, out, errs := runCLI(t, args...)
		require.Equal(t, exitcode.Usage, code, "%v\nstdout: %s\nstderr: %s", args, out, errs)
		require.Contains(t, errs, `features/inference-outage.feature:12: Then alert "LLMGatewayErors" fires within 5m: unknown alert "LLMGatewayErors"; closest: LLMGatewayErrors`, args)
		require.Contains(t, errs, `features/inference-outage.feature:13: And the page reaches an on-call responder of team "ml-platfrom" within 5m: unknown team "ml-platfrom"; closest: ml-platform`, args)
		require.Empty(t, out, "%v: nothing ran, so there is no plan or scorecard", args)
	}
	_, err = os.Stat(hist)
	require.ErrorIs(t, err, os.ErrNotExist, "a refused run is not recorded")
	_, err = os.Stat(".drill")
	require.ErrorIs(t, err, os.ErrNotExist, "nor in the default history")

	// The same team, spelt right, plans.
	code, out, errs := runCLI(t, "run", "--plan", "--team", demoWith(t, demo, "drill.yaml", "team:", "team:"), "inference-outage")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "LLMGatewayErrors")
}
