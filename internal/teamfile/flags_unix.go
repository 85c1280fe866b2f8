//go:build unix

package teamfile

import "syscall"

const (
	noFollow  = syscall.O_NOFOLLOW
	openFlags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
)
