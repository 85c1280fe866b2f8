package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// The reproductions through drill lint: a link to /dev/zero, a
// FIFO (which once hung lint past SIGINT), a link to the process
// environment and to a secret outside the team. Each is named with what
// was expected; nothing of them is printed, and lint returns.
func TestLintRefusesFilesThatAreNotTeamFiles(t *testing.T) {
	dir := copyTeam(t)
	secret := filepath.Join(t.TempDir(), "shadow")
	require.NoError(t, os.WriteFile(secret, []byte("root:$6$s3cr3tHASH:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"), 0o600))
	t.Setenv("DRILL_TEST_CANARY", "c4n4ry-in-env")
	f := func(p string) string { return filepath.Join(dir, p) }
	require.NoError(t, os.Symlink("/dev/zero", f("features/zero.feature")))
	require.NoError(t, syscall.Mkfifo(f("features/pipe.feature"), 0o644))
	require.NoError(t, os.Symlink("/proc/self/environ", f("features/env.feature")))
	require.NoError(t, os.Symlink(secret, f("features/shadow.feature")))
	require.NoError(t, os.Symlink(secret, f("runbooks/shadow.md")))

	code, out, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	all := out + errs
	require.NotEqual(t, 0, int(code), all)
	for _, leak := range []string{"s3cr3t", "bin:*", "c4n4ry", "PATH="} {
		require.NotContains(t, all, leak)
	}
	realSecret, err := filepath.EvalSymlinks(secret)
	require.NoError(t, err)
	for file, want := range map[string]string{
		"features/zero.feature":   `a symbolic link to "/dev/zero", outside the team directory; expected a file inside it`,
		"features/pipe.feature":   "not a regular file but a named pipe (FIFO); expected a regular file",
		"features/env.feature":    "outside the team directory; expected a file inside it",
		"features/shadow.feature": `a symbolic link to "` + realSecret + `", outside the team directory`,
		"runbooks/shadow.md":      `a symbolic link to "` + realSecret + `", outside the team directory`,
	} {
		line := ""
		for _, l := range strings.Split(all, "\n") {
			if strings.Contains(l, file) && strings.Contains(l, want) {
				line = l
			}
		}
		require.NotEmpty(t, line, "%s: want %q in\n%s", file, want, all)
	}
}

// A directory named drill.yaml is the team's drill.yaml, refused as not
// a file; lint does not go on to lint the built-in demo team.
func TestLintDirectoryNamedDrillYAML(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "drill.yaml"), 0o755))
	t.Chdir(dir)
	code, out, errs := runCLI(t, "lint", "--now", "2026-03-05")
	require.NotEqual(t, 0, int(code))
	require.Contains(t, out+errs, "drill.yaml: not a regular file but a directory; expected a regular file")
	require.NotContains(t, out+errs, "demo team")
	code, out, errs = runCLI(t, "lint", "--team", dir)
	require.NotEqual(t, 0, int(code))
	require.Contains(t, out+errs, "drill.yaml: not a regular file but a directory; expected a regular file")
}
