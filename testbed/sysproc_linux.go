package testbed

import "syscall"

// sysProcAttr puts the service in a process group of its own, so teardown
// kills it with its children, and asks the kernel to kill it if drill
// dies without tearing down.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
