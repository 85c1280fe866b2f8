// Package team reads a team's ops directory — drill.yaml, Prometheus alert
// rules, Markdown runbooks and PagerDuty-shaped escalation files — into typed
// values, and lints them for the failures that rot a response plan: stale or
// missing runbooks, broken escalation chains and on-call gaps, and alerts
// whose thresholds a responder cannot read.
//
// Find locates the team directory (the nearest holding drill.yaml, from a
// working directory upward) for every command that is given no --team.
// Load and LoadFS decode strictly and report every problem at once as
// Problems (file:line:col: field: message). Lint runs the registered checks
// (see Checks) and returns Findings with stable IDs whose severity drill.yaml
// may override. Escalation exposes schedule resolution (OnCall) and routing
// (Route) for the response engine.
//
// The package reads only: it imports the standard library, yaml, goldmark and
// Prometheus' rule and PromQL parsers, never the testbed or any server.
package team
