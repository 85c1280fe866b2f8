// Package traffic generates open-model load against a service: the
// built-in kinds are presets for an OpenAI-compatible one (chat
// completions plain, streaming and JSON mode, agent runs, canary
// prompts); a team's own kinds (Request) are method, path, headers and a
// body rendered from bounded Go templates over a corpus of prompts, with
// the checks that make an answer ok (Check). All go at a rate that
// follows a shape (constant, ramp, steps) whatever the service does.
// Arrivals are scheduled by the wall clock, not by completions, so a slow
// service builds up requests in flight (bounded by max_in_flight; arrivals
// beyond it are counted as dropped) instead of quietly lowering the load,
// as real users do.
//
// Each request is checked (presets: status, JSON validity, canary answer,
// stream ended with [DONE]; a team's kinds: their own checks) and
// recorded on the generator's own /metrics by kind, so alert rules can
// use client-side SLIs, and in Stats for scorecards.
//
// Rates are real: traffic runs on the wall clock, not the drill clock (see
// DESIGN "Drill time").
package traffic
