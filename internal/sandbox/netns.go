package sandbox

import (
	"os"
	"sync/atomic"
)

// envNetNS marks the drill that RunInNetNS started; EnterNetNS checks
// that it really is in a private network namespace before it says so.
const envNetNS = "DRILL_NETNS"

// tunName is the device drill reads refused packets from.
const tunName = "drill0"

// Refused is RunInNetNS's error when the kernel would not make the
// namespaces: the caller runs without them.
type Refused struct{ Err error }

func (r *Refused) Error() string {
	return "the kernel refused a private network namespace (" + r.Err.Error() + ")"
}
func (r *Refused) Unwrap() error { return r.Err }

// Child is the program RunInNetNS runs: drill itself, with its arguments.
type Child struct {
	Path string
	Args []string // after the program name
	Env  []string // EnvNetNS is added
	// Stdin, Stdout and Stderr are passed as they are: the child writes
	// to the terminal drill writes to.
	Stdin, Stdout, Stderr *os.File
}

// NetNS says what EnterNetNS set up.
type NetNS struct {
	// Recording: attempts to leave are recorded (Recorded) and refused
	// at once; without it they fail with "network unreachable" unseen.
	Recording bool
	// Why is the reason recording is off.
	Why string
}

// inNetNS is set by EnterNetNS.
var inNetNS atomic.Bool

// Marked reports whether this process was started by RunInNetNS (its
// environment says so); EnterNetNS checks that it is so.
func Marked() bool { return os.Getenv(envNetNS) == "1" }

// InNetNS reports whether EnterNetNS succeeded: the drill world of this
// process cannot reach another host.
func InNetNS() bool { return inNetNS.Load() }
