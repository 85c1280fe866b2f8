package traffic

// The built-in request kinds are presets of the team's own kinds: each is
// a Request (method, path, body template over its corpus, checks), sent
// and checked by the one mechanism every kind goes through (sendCustom).
// What once was their own code (an answer at a JSON path, JSON mode's
// answer parsing as JSON, the canary's known answer, server-sent events
// ending with data: [DONE]) is now checks any team's kind can use too.

var (
	chatPrompts = []string{
		"Summarize our refund policy in two sentences.",
		"Write a friendly reply to a customer whose order is late.",
		"Explain what a circuit breaker does in a service, briefly.",
		"List three ways to reduce the cost of LLM calls.",
		"Translate 'thank you for your patience' into French.",
	}
	jsonPrompts = []string{
		`Return a JSON object {"city": ..., "country": ...} for the Eiffel Tower.`,
		`Classify the sentiment of "the delivery was quick" as JSON {"sentiment": ...}.`,
		`Extract {"name": ..., "amount": ...} as JSON from "Ada paid 42 euros".`,
	}
	agentTasks = []string{
		"Find the latest news about vector databases and summarize it.",
		"Check the account balance and the status of charge ch_000001.",
		"Search for our shipping policy and answer: how long does delivery take?",
	}
)

// canaryPrompt contains the marker mockllm and the gateway recognise.
const canaryPrompt = "This is a drill canary: reply with the canary phrase, nothing else."

// chatBody is an OpenAI chat completion request of the traffic's model
// with the prompt as the one user message; extra is more of the object.
func chatBody(extra string) string {
	return `{"model": {{ json .Model }}, "messages": [{"role": "user", "content": {{ json .Prompt }}}]` + extra + `}`
}

// Presets are the built-in kinds as Requests, for an OpenAI-compatible
// service (the canary's expected answer is cfg's CanaryAnswer).
func Presets(cfg Config) map[string]Request {
	answer := "choices[0].message.content"
	return map[string]Request{
		KindChat: {Method: "POST", Path: "/v1/chat/completions", Body: chatBody(""), Prompts: chatPrompts,
			Check: Check{Answer: answer}},
		KindStream: {Method: "POST", Path: "/v1/chat/completions",
			Body:    chatBody(`, "stream": true, "stream_options": {"include_usage": true}`),
			Headers: map[string]string{"Accept": "text/event-stream"}, Prompts: chatPrompts,
			Check: Check{SSE: true, StreamEnd: "data: [DONE]", Answer: "choices[0].delta.content"}},
		KindJSON: {Method: "POST", Path: "/v1/chat/completions", Body: chatBody(`, "response_format": {"type": "json_object"}`),
			Prompts: jsonPrompts, Check: Check{Answer: answer, AnswerJSON: true}},
		KindCanary: {Method: "POST", Path: "/v1/chat/completions", Body: chatBody(""), Prompts: []string{canaryPrompt},
			Check: Check{Answer: answer, AnswerContains: cfg.CanaryAnswer}},
		KindAgent: {Method: "POST", Path: "/v1/agent/run", Body: `{"task": {{ json .Prompt }}}`, Prompts: agentTasks,
			Check: Check{Answer: "answer", JSON: []JSONCheck{{Path: "steps"}, {Path: "tool_calls"}}}},
	}
}
