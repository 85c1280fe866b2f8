// Package sandbox isolates what a drill runs, with Linux namespaces.
//
// Runbook steps run in bubblewrap (bwrap): their own user, PID, IPC and
// mount namespaces, so that everything a step starts (setsid included)
// dies with it; a parent-death signal; a read-only view of the system in
// which the homes, the team's repository, the working directory, /run
// and the temporary directories are empty; the step's own directory the
// only writable place; no capabilities; and the network of the drill
// world. Where drill runs as root on the host, steps run as nobody.
//
// The drill world (mocks, proxies, stubs, the service under test, steps)
// runs in a private network namespace with only loopback, entered by
// re-executing drill once (RunInNetNS / EnterNetNS): nothing a drill
// starts can reach another host. Its one route out leads into a TUN
// device drill reads itself: each attempt to reach another address is
// recorded (Blocked) and answered at once with "unreachable", so that the
// attempt fails fast and the scorecard names the address it tried.
//
// Where the kernel or the host refuses namespaces, or DRILL_SANDBOX=off,
// steps run in a process group as before and the world in the host's
// network; Isolation says which was in force.
package sandbox
