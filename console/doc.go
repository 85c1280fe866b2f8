// Package console serves the facilitator console of a live game day
// (drill run --live --console, drill up --console): one embedded page,
// with no build step and no external resource, fed by Server-Sent Events
// of the drill's timeline, and the live control APIs it acts through.
//
// The console implements nothing of a drill's own: acknowledgements, role
// claims, notes and runbook marks go to the live drill's control API
// (response's), faults in drill up to the testbed's control API, the very
// handlers drill ack, drill role, drill note, drill runbook, drill inject
// and drill clear call; the console mounts them under /api/ and /up/.
//
// It binds loopback by default. Every endpoint but the page itself needs
// the per-run token the printed URL carries (?token=, or the
// X-Drill-Token header): 401 without one, 403 with a wrong one. The
// event stream is bounded: at most MaxClients streams at a time (503
// beyond), a heartbeat every Heartbeat carrying the drill clock and the
// faults' evidence so far, at most MaxFeed messages per run, and the
// stream ends when the drill ends (Finish), after the scorecard.
package console
