// Package testbed assembles one isolated, hermetic world for a drill:
// mock LLM providers (mockllm) and third-party API stubs (stubs), each on
// a free loopback port behind its own toxiproxy proxy, the service under
// test wired to the proxies only, and optionally a traffic generator
// against the service.
//
// ParseTopology decodes drill.yaml's topology sections (providers, stubs,
// service, traffic, toxiproxy; see docs/topology.md) strictly, reporting
// every problem with file:line:col and field. Start builds the world from
// a Topology; every port is dynamic, so testbeds run side by side.
//
// The service under test takes one of three forms: the builtin reference
// gateway in this process; a command, a local process in its own process
// group with its arguments and environment templated over Endpoints
// ({{ .Port }}, {{ .Providers.primary.URL }}), its output captured; or an
// image, a container run through testcontainers-go in the host's network
// namespace (the only way it reaches proxies on the host's loopback and
// listens on a port chosen at start).
//
// # Failures of the harness
//
// Every failure of Start is a *HarnessError, and so is a crash of the
// service under test while the testbed runs: the process exits, the
// container stops, or the health check fails HealthFailures times in a
// row. A command service is watched as a process group (on Linux, from
// /proc): when a long-lived process of the group exits while the direct
// child lives on (a server behind `sh -c 'server & sleep 1000'`), that is
// a timeline.ServiceExit event, and a crash if the service then no longer
// answers. Its output goes straight to a file, so a grandchild holding it
// open cannot hide the direct child's exit. A crash is delivered once on Err(), kept in Failure(), and written
// to the event log as a timeline.HarnessError event. A runner reports it
// as an error of the harness, never as a failed drill; a HarnessError
// that reaches the command line carries exitcode.Harness (exit code 4).
//
// # Teardown
//
// Close removes every fault, stops traffic, kills the service's process
// group (SIGTERM, then SIGKILL) or terminates its container, deletes the
// proxies, stops toxiproxy and the mocks, and removes the testbed's
// temporary directory. It runs when Close is called, when Start fails
// half-way, and when the context given to Start is cancelled; it is safe
// twice. On Linux a command service also dies with drill (Pdeathsig);
// a container outlives a killed drill process unless Ryuk runs.
package testbed
