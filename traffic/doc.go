// Package traffic generates open-model load against an OpenAI-compatible
// service: chat completions (plain, streaming, JSON mode), agent runs and
// canary prompts, at a rate that follows a shape (constant, ramp, steps)
// whatever the service does. Arrivals are scheduled by the wall clock, not
// by completions, so a slow service builds up requests in flight (bounded
// by max_in_flight; arrivals beyond it are counted as dropped) instead of
// quietly lowering the load, as real users do.
//
// Each request is checked (status, JSON validity, canary answer, stream
// ended with [DONE]) and recorded on the generator's own /metrics, so alert
// rules can use client-side SLIs, and in Stats for scorecards.
//
// Rates are real: traffic runs on the wall clock, not the drill clock (see
// DESIGN "Drill time").
package traffic
