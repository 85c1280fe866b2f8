//go:build unix

package statedir

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAlive(t *testing.T) {
	require.True(t, Alive(os.Getpid()))
	require.False(t, Alive(0))
	require.False(t, Alive(-1))
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.False(t, Alive(dead.Process.Pid), "a process that exited and was reaped")
}
