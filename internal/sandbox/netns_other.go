//go:build !linux

package sandbox

import (
	"context"
	"errors"
	"runtime"
)

var errNoNetNS = errors.New("network namespaces need Linux; this is " + runtime.GOOS)

// RunInNetNS is refused here: network namespaces need Linux.
func RunInNetNS(context.Context, Child) (int, error) { return -1, &Refused{Err: errNoNetNS} }

// EnterNetNS fails here.
func EnterNetNS() (NetNS, error) { return NetNS{}, errNoNetNS }

func descendsFrom(pid, root int) bool { return pid == root }
