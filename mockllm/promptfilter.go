package mockllm

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The prompt_filter fault, on each surface whose provider refuses a
// prompt by a safety filter, in that provider's terms:
//
//   - Azure OpenAI (chat): 400 content_filter, ResponsibleAIPolicyViolation
//     (azure.go; begin refuses it like an error).
//   - Gemini API (generateContent, streamGenerateContent): a 200 with
//     promptFeedback.blockReason SAFETY, the prompt's safety ratings and
//     no candidates; usageMetadata counts the prompt only. The Gemini API
//     reports no jailbreak (BlockedReason JAILBREAK and
//     HARM_CATEGORY_JAILBREAK are Vertex AI's), so that category does
//     not affect it.
//   - Bedrock Converse and ConverseStream that name a guardrail
//     (guardrailConfig): a 200 with stopReason guardrail_intervened, the
//     guardrail's blocked-input message as the answer, no tokens billed,
//     and, with the guardrail's trace enabled, its input assessment (the
//     content filter that blocked). Without a guardrail Bedrock filters
//     no prompt, so such requests are not affected.
//   - Bedrock InvokeModel (Anthropic bodies) naming a guardrail in its
//     X-Amzn-Bedrock-GuardrailIdentifier header: a 200 whose body is the
//     model's message with the blocked-input message as its only text,
//     stop_reason end_turn, no tokens, "amazon-bedrock-guardrailAction":
//     "INTERVENED" (the field the API reference names; "NONE" on every
//     other answer under a guardrail) and, with X-Amzn-Bedrock-Trace
//     enabled, "amazon-bedrock-trace" holding the guardrail's input
//     assessment. InvokeModelWithResponseStream's blocked stream is not
//     rendered, so the fault leaves those requests alone.
//
// OpenAI's own API, Anthropic's, legacy completions, the Responses API
// and embeddings have no prompt filter that refuses a prompt: the fault
// does not affect them and they do not count as its evidence (an
// Anthropic refusal is the model's stop_reason "refusal", the garbage
// fault's content_filter kind).

// outcomePromptBlocked is the journal's outcome of a prompt a provider's
// filter blocked with a 200 (Gemini, a Bedrock guardrail).
const outcomePromptBlocked = "prompt blocked"

// promptFilterable says whether the provider of c refuses a prompt its
// filter flags in category.
func (c *call) promptFilterable(category string) bool {
	if c.op != "chat" {
		return false
	}
	switch c.provider {
	case ProviderAzure:
		return true
	case ProviderGemini:
		return c.api == "generateContent" && category != FilterJailbreak
	case ProviderBedrock:
		// InvokeModelWithResponseStream's blocked stream is not rendered:
		// the fault leaves it alone and does not count it.
		return c.guardrail != "" && (c.api == "converse" || c.api == "invoke" && !c.stream)
	}
	return false
}

// promptBlocker is a renderer of a surface whose provider answers a
// blocked prompt with a 200, whole (blocked); a streamBlocker also
// renders it as a stream. promptFilterable picks no streamed request of
// a surface without one.
type promptBlocker interface {
	// billedInput is the input tokens the provider reports for a blocked
	// prompt.
	billedInput(c *call) int
	blocked(b []byte, c *call, p *plan, category string) []byte
}

type streamBlocker interface {
	blockedStream(sw *sseWriter, c *call, p *plan, category string)
}

// serveBlocked answers a request whose prompt the provider's filter
// blocks: nothing is generated; after the time to first token (the
// filter's verdict) the renderer writes the provider's refusal.
func (s *Server) serveBlocked(w http.ResponseWriter, r *http.Request, c *call, p *plan, pb promptBlocker, category string) {
	p.inTok = min(pb.billedInput(c), MaxTokens)
	p.cost = costUSD(float64(p.inTok) * c.model.Price.InputPerMTok / 1e6)
	p.ttft = c.model.Latency.TTFT.Sample(newRand(s.cfg.Seed, "latency", strconv.FormatUint(p.id, 10), c.model.Name))
	p.outcome = outcomePromptBlocked
	commonHeaders(w.Header(), c, p)
	if err := s.waitAll(r.Context(), p); err != nil {
		p.status, p.outcome = 499, "client gone"
		s.finish(c, p)
		return
	}
	h := w.Header()
	if !c.stream {
		body := pb.blocked(nil, c, p, category)
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		s.finish(c, p)
		return
	}
	ct := "text/event-stream; charset=utf-8"
	if cr, ok := pb.(interface{ contentType() string }); ok {
		ct = cr.contentType()
	}
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache")
	sw := newSSE(w)
	w.WriteHeader(http.StatusOK)
	pb.(streamBlocker).blockedStream(sw, c, p, category)
	if sw.err != nil {
		p.outcome = "client gone"
	}
	s.finish(c, p)
}

// Gemini.

// geminiHarmCategories are the harm categories the Gemini API rates a
// prompt in, in the order it lists them.
var geminiHarmCategories = []string{"HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_DANGEROUS_CONTENT"}

// geminiHarmCategory is the Gemini harm category of a prompt_filter
// category: the API has no violence or self-harm category, and rates
// both as dangerous content ("promotes, facilitates, or encourages
// harmful acts").
func geminiHarmCategory(category string) string {
	switch category {
	case FilterHate:
		return "HARM_CATEGORY_HATE_SPEECH"
	case FilterSexual:
		return "HARM_CATEGORY_SEXUALLY_EXPLICIT"
	}
	return "HARM_CATEGORY_DANGEROUS_CONTENT"
}

type geminiSafetyRating struct {
	Category    string `json:"category"`
	Probability string `json:"probability"`
	Blocked     bool   `json:"blocked,omitempty"`
}

// geminiPromptFeedback is the promptFeedback of a prompt blocked in
// category: blockReason SAFETY, and one rating per category, the
// flagged one HIGH and blocked, the others NEGLIGIBLE.
func geminiPromptFeedback(category string) map[string]any {
	flagged := geminiHarmCategory(category)
	ratings := make([]geminiSafetyRating, len(geminiHarmCategories))
	for i, hc := range geminiHarmCategories {
		ratings[i] = geminiSafetyRating{Category: hc, Probability: "NEGLIGIBLE"}
		if hc == flagged {
			ratings[i].Probability, ratings[i].Blocked = "HIGH", true
		}
	}
	return map[string]any{"blockReason": "SAFETY", "safetyRatings": ratings}
}

func (rd *geminiRenderer) billedInput(c *call) int { return c.inputTokens }

// blocked renders a GenerateContentResponse without candidates: the
// prompt's feedback and its usage.
func (rd *geminiRenderer) blocked(b []byte, c *call, p *plan, category string) []byte {
	m, _ := json.Marshal(map[string]any{"promptFeedback": geminiPromptFeedback(category),
		"usageMetadata": geminiUsage{PromptTokenCount: p.inTok, TotalTokenCount: p.inTok},
		"modelVersion":  c.model.Name, "responseId": p.idString("")})
	return append(b, m...)
}

// blockedStream is the stream of a blocked prompt: one chunk, the whole
// response (the SDK ends a stream on prompt feedback).
func (rd *geminiRenderer) blockedStream(sw *sseWriter, c *call, p *plan, category string) {
	rd.chunk(sw, rd.blocked(nil, c, p, category))
	if !rd.sse {
		sw.raw([]byte("]"))
	}
}

// Bedrock Converse, with a guardrail.

// bedrockBlockedInput is the message a guardrail answers a blocked
// prompt with: the console's default blocked-input messaging.
const bedrockBlockedInput = "Sorry, the model cannot answer this question."

// guardrailFilterType is the content filter of a Bedrock guardrail that
// blocks a prompt of a prompt_filter category: a jailbreak is a prompt
// attack; guardrails have no self-harm filter, and self-harm (physical
// injury) falls under violence.
func guardrailFilterType(category string) string {
	switch category {
	case FilterHate:
		return "HATE"
	case FilterSexual:
		return "SEXUAL"
	case FilterJailbreak:
		return "PROMPT_ATTACK"
	}
	return "VIOLENCE"
}

// guardrailTrace is the trace of a guardrail that blocked a prompt: its
// input assessment, the content filter that blocked it.
func guardrailTrace(c *call, category string) map[string]any {
	filter := map[string]any{"type": guardrailFilterType(category), "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED", "detected": true}
	return map[string]any{"guardrail": map[string]any{"inputAssessment": map[string]any{
		c.guardrail: map[string]any{"contentPolicy": map[string]any{"filters": []any{filter}}}}}}
}

// billedInput: a prompt the guardrail blocks never reaches the model.
func (rd *converseRenderer) billedInput(c *call) int { return 0 }

func (rd *converseRenderer) blocked(b []byte, c *call, p *plan, category string) []byte {
	out := map[string]any{
		"output":     map[string]any{"message": map[string]any{"role": "assistant", "content": []any{map[string]string{"text": bedrockBlockedInput}}}},
		"stopReason": "guardrail_intervened",
		"usage":      bedrockUsageOf(p),
		"metrics":    map[string]int64{"latencyMs": p.latencyMS()},
	}
	if c.guardrailTrace {
		out["trace"] = guardrailTrace(c, category)
	}
	m, _ := json.Marshal(out)
	return append(b, m...)
}

// blockedStream streams the blocked-input message as one text block,
// then messageStop guardrail_intervened and the metadata, with the trace
// when asked for.
func (rd *converseRenderer) blockedStream(sw *sseWriter, c *call, p *plan, category string) {
	rd.es.event(sw, "messageStart", []byte(`{"role":"assistant"}`))
	delta, _ := json.Marshal(map[string]any{"contentBlockIndex": 0, "delta": map[string]string{"text": bedrockBlockedInput}})
	rd.es.event(sw, "contentBlockDelta", delta)
	rd.es.event(sw, "contentBlockStop", []byte(`{"contentBlockIndex":0}`))
	rd.es.event(sw, "messageStop", []byte(`{"stopReason":"guardrail_intervened"}`))
	meta := map[string]any{"usage": bedrockUsageOf(p), "metrics": map[string]int64{"latencyMs": p.latencyMS()}}
	if c.guardrailTrace {
		meta["trace"] = guardrailTrace(c, category)
	}
	m, _ := json.Marshal(meta)
	rd.es.event(sw, "metadata", m)
	rd.es.release()
}

// guardrailID is the ID a guardrail identifier names: the identifier, or
// an ARN's last element.
func guardrailID(identifier string) string {
	if i := strings.LastIndexByte(identifier, '/'); i >= 0 && strings.HasPrefix(identifier, "arn:") {
		return identifier[i+1:]
	}
	return identifier
}

// Bedrock InvokeModel, with a guardrail.

// guardrailActionNone closes an InvokeModel answer a guardrail let
// through.
const guardrailActionNone = `,"amazon-bedrock-guardrailAction":"NONE"}`

// full is the model's message; under a guardrail that did not
// intervene, with its action NONE.
func (rd *invokeRenderer) full(b []byte, c *call, p *plan) []byte {
	b = rd.messagesRenderer.full(b, c, p)
	if c.guardrail == "" {
		return b
	}
	return append(b[:len(b)-1], guardrailActionNone...) // the message object's closing brace
}

// billedInput: a prompt the guardrail blocks never reaches the model.
func (rd *invokeRenderer) billedInput(c *call) int { return 0 }

// blocked is the model's message with the blocked-input message as its
// text, no tokens, the guardrail's action INTERVENED and, when the trace
// is asked for, its input assessment.
func (rd *invokeRenderer) blocked(b []byte, c *call, p *plan, category string) []byte {
	msg := rd.message(c, p, []any{map[string]string{"type": "text", "text": bedrockBlockedInput}}, "end_turn", 0)
	msg["amazon-bedrock-guardrailAction"] = "INTERVENED"
	if c.guardrailTrace {
		msg["amazon-bedrock-trace"] = guardrailTrace(c, category)
	}
	m, _ := json.Marshal(msg)
	return append(b, m...)
}
