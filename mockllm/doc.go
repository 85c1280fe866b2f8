// Package mockllm is a mock LLM inference provider that official OpenAI and
// Anthropic clients cannot tell from the real thing, and that misbehaves on
// command, reproducibly.
//
// It serves OpenAI chat completions (plain and SSE streaming, tools, JSON
// mode and JSON schema, n, max tokens), embeddings, models and the Responses
// API, and Anthropic messages (plain and streaming, tool use). Content is
// generated deterministically from the server's seed and the request, with
// an answer table so canary and quality checks know the right answer (see
// CanaryPrompt and CanaryAnswer). One tokenizer drives usage, max_tokens and
// billing. Each model has a latency model (time to first token and
// inter-token latency as distributions, a capacity above which requests
// queue) and prices.
//
// Faults (errors, quota, garbage output, stream faults, rate limits, billing
// anomalies) are scoped and seeded by internal/faultmode and controlled under
// /_drill/; every affected response carries X-Drill-Fault, and every fault
// counts the requests it affected. Metrics follow the OpenTelemetry GenAI
// conventions as Prometheus exposes them, on a registry private to each
// server.
package mockllm
