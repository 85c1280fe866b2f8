package tempdir

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMakeNamesItsOwner(t *testing.T) {
	dir := t.TempDir()
	p, err := Make(dir, "step")
	require.NoError(t, err)
	st, err := os.Stat(p)
	require.NoError(t, err)
	require.True(t, st.IsDir())
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	kind, o, ok := Parse(filepath.Base(p))
	require.True(t, ok, p)
	require.Equal(t, "step", kind)
	require.Equal(t, Self(), o)
	require.Equal(t, os.Getpid(), o.PID)
	if runtime.GOOS == "linux" {
		require.NotZero(t, o.Start, "a start time tells a reused process ID from the owner")
		require.NotZero(t, o.NS)
	}

	for _, bad := range []string{"", "Step", "step/../x", "-x", "a--b", "a b"} {
		_, err := Make(dir, bad)
		require.ErrorContains(t, err, "want lower-case words joined by '-'", bad)
	}
	for _, bad := range []string{"drill-step-p1.s2.n3", "drill-step-p0.s2.n3-1", "drill-step-pX.s2.n3-1", "x-step-p1.s2.n3-1", "drill-step-p1.s99999999999999999999999.n3-1"} {
		_, _, ok := Parse(bad)
		require.False(t, ok, bad)
	}
}

// deadPID is the ID of a process that ran and was reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if runtime.GOOS == "windows" {
		t.Skip("tempdir: no sweep where a process's liveness cannot be read")
	}
	require.NoError(t, cmd.Run())
	return cmd.Process.Pid
}

func TestSweepRemovesOnlyWhatDeadOwnersLeft(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("tempdir: start times and PID namespaces are read from /proc; this test needs Linux")
	}
	dir := t.TempDir()
	me := Self()
	mk := func(name string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.Mkdir(p, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(p, "f"), []byte("x"), 0o600))
		return p
	}
	live, err := Make(dir, "testbed")
	require.NoError(t, err)
	dead := mk(fmt.Sprintf("drill-step-%s-1", Owner{PID: deadPID(t), Start: me.Start, NS: me.NS}))
	// a read-only part, as a step can leave one, does not stop the sweep
	ro := filepath.Join(dead, "ro")
	require.NoError(t, os.Mkdir(ro, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(ro, "g"), nil, 0o600))
	require.NoError(t, os.Chmod(ro, 0o500))
	reused := mk(fmt.Sprintf("drill-alerting-%s-2", Owner{PID: me.PID, Start: me.Start + 1, NS: me.NS}))
	otherNS := mk(fmt.Sprintf("drill-step-%s-3", Owner{PID: deadPID(t), Start: 1, NS: me.NS + 1}))
	notOurs := mk("drill-something-else")
	file := filepath.Join(dir, fmt.Sprintf("drill-step-%s-4", Owner{PID: deadPID(t), Start: 1, NS: me.NS}))
	require.NoError(t, os.WriteFile(file, nil, 0o600))

	s := Sweep(dir)
	require.Empty(t, s.Failed)
	require.ElementsMatch(t, []string{dead, reused}, s.Removed)
	for _, p := range []string{dead, reused} {
		_, err := os.Stat(p)
		require.True(t, os.IsNotExist(err), "%s: its owner is dead", p)
	}
	for _, p := range []string{live, otherNS, notOurs, file} {
		_, err := os.Stat(p)
		require.NoError(t, err, "%s must be left alone", p)
	}
	require.Empty(t, Sweep(dir).Removed, "a second sweep finds nothing")
}

func TestSweepOfAMissingDirectory(t *testing.T) {
	s := Sweep(filepath.Join(t.TempDir(), "nope"))
	require.Empty(t, s.Removed)
	require.Len(t, s.Failed, 1)
}
