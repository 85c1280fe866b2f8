//go:build unix && !linux

package testbed

import "syscall"

// sysProcAttr puts the service in a process group of its own, so teardown
// kills it with its children.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
