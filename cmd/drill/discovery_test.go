package main

import (
	"path/filepath"
	"testing"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/stretchr/testify/require"
)

// drill run (and so up and ci, which load the team the same way) finds
// the team from a subdirectory, as drill lint does; --team naming a
// directory without drill.yaml is invalid input.
func TestRunFindsTeamUpward(t *testing.T) {
	dir := copyTeam(t)
	t.Chdir(filepath.Join(dir, "runbooks"))
	code, out, errs := runCLI(t, "run", "--plan", "--all", "--no-builtin")
	require.Equal(t, exitcode.OK, code, errs)
	require.NotContains(t, errs, "built-in demo team", "the team above the working directory is found")
	require.Contains(t, out, "features/cost-spike.feature:2", "the clean team's own drill is planned")

	code, _, errs = runCLI(t, "run", "--plan", "--team", filepath.Join(dir, "runbooks"))
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--team "+filepath.Join(dir, "runbooks")+": no drill.yaml there")
}
