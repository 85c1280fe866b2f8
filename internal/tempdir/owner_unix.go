//go:build unix && !linux

package tempdir

import (
	"errors"
	"os"
	"syscall"
)

// selfOwner knows only the process ID where there is no /proc.
func selfOwner() (Owner, error) { return Owner{PID: os.Getpid()}, nil }

// ownerOf reports whether pid runs; without a start time a reused ID
// counts as the owner, and its directory is left alone.
func ownerOf(pid int) (Owner, bool) {
	err := syscall.Kill(pid, 0)
	return Owner{PID: pid}, err == nil || errors.Is(err, syscall.EPERM)
}
