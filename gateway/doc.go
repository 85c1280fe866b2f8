// Package gateway is drill's built-in reference service under test: a small
// but real LLM gateway, the service the demo team runs and the model of what
// drills exercise.
//
// Clients speak OpenAI: POST /v1/chat/completions (non-streaming, SSE
// streaming passthrough, JSON mode) and POST /v1/agent/run ({"task": ...,
// "max_steps": optional}), a tool-calling loop whose web_search tool calls
// GET {search_url}/search?q=... and which answers {"answer", "steps",
// "tool_calls", "cost_usd"}. GET /healthz and GET /metrics (a private
// Prometheus registry) complete the surface.
//
// Upstreams are a primary and an optional secondary provider, each OpenAI,
// Anthropic (requests are translated to the Messages API), Gemini
// (generateContent) or Amazon Bedrock (Converse, SigV4-signed with the AWS
// SDK's signer, or a Bedrock API key); a streaming client is streamed to
// from Gemini's streamGenerateContent (SSE) and Bedrock's ConverseStream
// (the event stream, decoded by the AWS SDK), translated chunk by chunk,
// and gets an Anthropic upstream's answer as one chunk. Each provider's error
// shape is read for its type and retry hints (docs/providers.md).
// Every call goes through, in order: the per-minute spend budget (429
// budget_exceeded), the candidate list (active upstream, then the other
// only when auto failover is on; disabled models skipped), the per-upstream
// circuit breaker, attempts with a per-attempt timeout and exponential
// backoff with jitter between them (5xx, 429, timeouts and connection
// errors are retried; other 4xx are passed through), then validation (JSON
// mode answers must parse; answers to prompts containing the canary marker
// must contain canary_answer), counted and, with strict_validation, turned
// into 502.
//
// The admin API under /admin (GET state; POST failover, auto-failover,
// budget, agent, retries, models/{name}/disable|enable,
// breaker/{upstream}/open|close) holds the levers runbooks pull.
//
// # Why the defaults are lax
//
// drill rehearses incidents, so the defaults are those of a team that has
// not yet had the incident: auto failover is off (an outage of the primary
// hurts until someone fails over), the budget is unlimited (a billing spike
// or runaway agent burns money until someone caps it), the agent's step
// cap is high (25: a looping agent costs 25 calls per task until someone
// lowers it), retries are 2 attempts (enough to hide a blip, not a
// sustained error rate) and the breaker, though on, needs 20 consecutive
// failures (it fails fast in a hard outage but does not move traffic on
// its own). Each lever is one admin call away, which is what a runbook
// step does.
//
// # Timers
//
// Backoff, attempt timeouts, breaker windows and the budget's rolling
// minute run in real time, whatever the drill clock's speed (see the design
// notes on drill time). Config's Now, Sleep and Jitter hooks replace them
// in tests.
//
// # Environment
//
// ConfigFromEnv reads the variables listed in EnvVars (DRILL_PRIMARY_URL,
// DRILL_PRIMARY_MODEL, DRILL_PRIMARY_KIND, DRILL_SECONDARY_*,
// DRILL_SEARCH_URL, DRILL_ADDR, ...) for the testbed's command: form.
//
// # Metrics
//
// gen_ai_client_operation_duration_seconds{gen_ai_request_model,
// gen_ai_system, error_type} (one observation per upstream attempt;
// error_type empty on success) and gen_ai_client_token_usage{
// gen_ai_token_type, gen_ai_request_model, gen_ai_system} follow the
// OpenTelemetry GenAI conventions; drill_gateway_requests_total{route,
// status} counts client-facing answers (route chat or agent; status the
// HTTP code, or stream_cut for a stream that broke after its 200), so an
// alert can take a success ratio. Also drill_gateway_cost_usd_total,
// _fallbacks_total, _budget_rejections_total,
// _validation_failures_total{kind}, _upstream_requests_total{upstream,
// status}, _breaker_state{upstream} (0 closed, 1 open, 2 half-open),
// _agent_steps, _tool_calls_total{tool,status}, _budget_usd_per_minute
// and _active_upstream (0 primary, 1 secondary).
package gateway
