// Package traffic generates open-model load against a service. Every
// request kind is a Request: method, path, headers and a body rendered
// from bounded Go templates over a corpus of prompts, with the checks that
// make an answer ok (Check), sent and checked by one mechanism. The
// built-in kinds are presets of it for an OpenAI-compatible service
// (Presets: chat completions plain, streaming and JSON mode, agent runs,
// canary prompts); a team describes its own API's kinds the same way. All go at a rate that
// follows a shape (constant, ramp, steps) whatever the service does.
// Arrivals are scheduled by the wall clock, not by completions, so a slow
// service builds up requests in flight (bounded by max_in_flight; arrivals
// beyond it are counted as dropped) instead of quietly lowering the load,
// as real users do.
//
// Each request is checked by its kind's checks (the presets': an answer
// at a JSON path, JSON mode's answer parsing as JSON, the canary's known
// answer, a server-sent event stream ended by data: [DONE]) and
// recorded on the generator's own /metrics by kind, so alert rules can
// use client-side SLIs, and in Stats for scorecards.
//
// Rates are real: traffic runs on the wall clock, not the drill clock (see
// DESIGN "Drill time").
package traffic
