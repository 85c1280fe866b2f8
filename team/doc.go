// Package team reads a team's ops directory — drill.yaml, Prometheus alert
// rules, Markdown runbooks and PagerDuty-shaped escalation files — into typed
// values, and validates them.
//
// Find locates the team directory (the nearest holding drill.yaml, from a
// working directory upward) for every command that is given no --team.
// Load and LoadFS decode strictly and report every problem at once as
// Problems (file:line:col: field: message). The lint checks that judge a
// loaded team (stale runbooks, broken escalation chains, on-call gaps,
// unclear thresholds) live in package lint, which reads the values, the
// positions and the lookups (Escalation.User, Team.RunbookByLink, ...) this
// package exports. Escalation exposes schedule resolution (OnCall) and
// routing (Route) for the response engine; when drill.yaml names the
// team's alertmanager.yml (paths.alertmanager), Alertmanager routes
// instead: the file is loaded by Alertmanager's config package and routed
// by its dispatch package's route tree, its receivers mapped to policies;
// its inhibit_rules are built by Alertmanager's inhibit package
// (Alertmanager.Inhibited) and its routes' time intervals decided by its
// timeinterval package (Alertmanager.TimeMuted).
//
// The package reads only: it imports the standard library, yaml, goldmark,
// Prometheus' rule and PromQL parsers and Alertmanager's config,
// dispatch, inhibit and timeinterval packages, never the testbed or any
// server.
package team
