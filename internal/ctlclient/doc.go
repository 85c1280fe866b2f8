// Package ctlclient is the one client of drill's control APIs on
// loopback: a live drill's endpoint (response: ack, roles, notes, pages)
// and a drill up's control API (testbed: inject, clear). The packages that
// serve them wrap it in typed calls; commands map its errors to exit codes
// by their Kind, the same way for every API:
//
//   - Unreachable: nothing answers at the URL (connection refused,
//     timeout): the drill named by the state file or --url is not
//     running. The message names the URL, where it came from and what to
//     check ("no live drill at http://127.0.0.1:4000 (state file
//     .drill/live.json): is `drill run --live` running?").
//   - Rejected: the server answered 4xx: the request is invalid input
//     (an unknown role, a fault kind the catalog lacks, no page to
//     acknowledge). The message is the server's own.
//   - Failed: the server answered 5xx (or anything but 2xx and 4xx), or
//     broke off its answer.
//   - BadAnswer: a 2xx whose body is not the JSON expected, or is longer
//     than MaxBody.
//   - BadURL: the URL itself is not one (from --url).
//
// Request and answer bodies are JSON; an error answer's message is its
// {"error": "..."} field, else its text.
package ctlclient
