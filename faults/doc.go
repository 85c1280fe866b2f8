// Package faults is drill's fault catalog and injector.
//
// The catalog is one registry of named fault kinds, each with typed
// parameters, units, defaults and a one-line description; Parse checks a
// kind and its parameters and lists what is valid when they are wrong.
// Network kinds act through toxiproxy (github.com/Shopify/toxiproxy/v2),
// embedded in the process, external by URL, or in a container through
// testcontainers; application kinds through the control APIs of mockllm
// and the stubs (never custom toxics); the traffic surge through a
// callback.
//
// An Injector applies a parsed fault to a named target on a schedule in
// drill time (start, duration, ramp), logs FaultOn and FaultOff events on
// the timeline with the fault's evidence (connections or requests
// affected), and removes every fault it added, whatever happens.
//
// Evidence for network kinds comes from toxiproxy's own structured log,
// the only record of connections its server exposes: a fault counts the
// connections through its proxy while it was on. Its Prometheus counters
// are not used: they count bytes, and only when a connection closes.
// Each fault names where its count comes from with a
// scoring.EvidenceSource; a backend that cannot count says
// scoring.EvidenceUnavailable, and the drill is inconclusive.
package faults
