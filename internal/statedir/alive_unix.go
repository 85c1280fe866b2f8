//go:build unix

package statedir

import (
	"errors"
	"syscall"
)

// Alive reports whether a process with this pid exists on this machine
// (the state files are local). A pid of 0 or less is never alive.
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
