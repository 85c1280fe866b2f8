// Package gctune sets the garbage collector for drill's workload: a small
// live heap (one drill's series and state) that Prometheus' rule engine
// churns through at every evaluation. With Go's default (GOGC=100) the
// collector runs many times per evaluation tick and takes about a fifth
// of its CPU; letting the heap grow to five times the live data before
// collecting cuts that, at the cost of more memory (figures below). A soft
// memory limit keeps the trade bounded: near it, the collector runs as
// often as it must. It is 1 GiB, or three quarters of a container's
// memory limit when that is less. The GOGC and GOMEMLIMIT environment
// variables, when set, win.
//
// Measured with alerting's BenchmarkTick (5,000 series, 100 rules) on 2
// cores: a tick takes 22-23 ms of wall time and 39-40 ms of CPU with these
// settings, 26-27 ms and 47-48 ms with Go's defaults; the whole built-in
// library (drill run --all) peaks at 212 MB of memory instead of 93 MB and
// takes as long.
package gctune
