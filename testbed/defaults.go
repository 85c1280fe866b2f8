package testbed

import "time"

// The testbed's fixed defaults and limits. docs/topology.md states them
// in a table generated from these (go test ./testbed -run TestDocs
// -update), so that the doc cannot say otherwise.
const (
	// DefaultStartTimeout bounds the wait for a command service to be
	// ready when it sets no start_timeout.
	DefaultStartTimeout = 30 * time.Second
	// DefaultImageStartTimeout is the same for an image service, which
	// may be built and started by a container engine first.
	DefaultImageStartTimeout = 2 * time.Minute
	// DefaultHealthEvery is how often a ready service's health is polled
	// (Options.HealthEvery).
	DefaultHealthEvery = time.Second
	// DefaultHealthFailures is how many failed health checks in a row end
	// a drill as a crash of the service (Options.HealthFailures).
	DefaultHealthFailures = 3
	// OutputTail is how many bytes of a service's output (stdout and
	// stderr), its last, are shown when it fails.
	OutputTail = 64 << 10
	// StopGrace is the time a service gets from SIGTERM (a command) or the
	// stop request (a container) to exit before it is killed.
	StopGrace = 5 * time.Second
)
