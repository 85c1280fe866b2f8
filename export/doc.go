// Package export sends scorecards to incident services, marked as drills.
//
// Exporters are configured in their own file (.drill/exporters.yaml in
// the state folder by default, internal/statedir; see
// docs/history-and-export.md), never in the team's
// drill.yaml. A graphql exporter names an endpoint, the service's schema
// (SDL), a mutation document and a mapping from scorecard fields to the
// mutation's variables; the mutation is parsed and validated against the
// schema with gqlparser when the file loads, and errors point into the
// document (file:line:col). Presets ship the schema subset and mutation
// for GitLab incidents (timelineEventCreate) and Linear (issueCreate). A
// webhook exporter posts a JSON body template to a REST service; REST
// presets ship the body for incident.io (a test-mode incident), PagerDuty
// (an Events API v2 change event) and Rootly (a test-kind JSON:API
// incident with its lifecycle timestamps). An invalid exporter of a file
// does not block the valid ones (InvalidExporters).
//
// Every export is marked as a drill (the service's own test flag where it
// has one, a "[DRILL] " title prefix otherwise), carries the run ID as its
// Idempotency-Key, is retried with exponential backoff on 5xx, 429 and
// timeouts, and reads its token from an environment variable whose value
// never appears in a log or an error.
package export
