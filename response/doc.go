// Package response is the response engine of a drill: it routes firing
// alerts through the team's escalation (routes, policies, schedules,
// notification rules) in drill time — or, when the team has an
// alertmanager.yml, through Alertmanager's route tree (team.Alertmanager),
// every matched receiver's policy paged after its route's group_wait
// unless the file's inhibit_rules or the route's time intervals hold the
// page back at that flush (then at each group_interval, a note saying
// why) —
// simulates the responders from
// drill.yaml (availability, acknowledgement delay as a seeded distribution,
// the "this person is unreachable" fault), and has the acknowledging
// responder execute the alert's runbook for real in a sandbox.
//
// Everything it does is an event on the timeline: page, notify, ack,
// escalate, policy exhausted, broken link, runbook start/end and each
// step's start and end with exit code and captured output. In live mode
// pages go to humans instead (an io.Writer and a loopback endpoint that
// drill ack talks to) and nothing is simulated.
//
// Every incident is bounded (Limits: pages, notifications, events); one
// that reaches a limit stops with a harness error naming its policy, on
// the timeline and on Engine.Err. A policy that loops with no delay is
// refused (CheckPolicies), and every loop of the engine checks its
// context, so a drill ends whatever the team's policies say.
//
// Runbook commands are code. The sandbox runs each step in
// bash -euo pipefail with a real-time timeout, a fresh working directory
// and HOME, and a scrubbed environment (PATH, the variables drill.yaml
// binds, an explicit pass-through list that refuses credential-looking
// names). Where bwrap works (internal/sandbox), the step runs in its own
// namespaces, sees the system read-only with the homes, the team's
// repository and the temporary directories hidden, and dies whole with
// its PID namespace; elsewhere it runs in a process group, killed when it
// ends. Attempts the drill world's network refused while a step ran are on
// its step.end event. See the README's threat model.
package response
