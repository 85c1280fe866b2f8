package mockllm

import (
	"cmp"
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Generation: the choices of a planned call (text, tool calls, garbage),
// its billed usage, cost and latencies.

// choice is one generated answer.
type choice struct {
	tokens    []string // content tokens
	toolCalls []toolCall
	finish    string // stop, length, tool_calls
	outTokens int
	refusal   bool
	plain     bool      // tokens need no escaping in JSON: all from a plain vocabulary
	lent      *[]string // from tokenBufs, returned by plan.release
}

// appendText appends the choice's text as one JSON string; html escapes
// <, > and & too, as encoding/json does. Text of a plain vocabulary is
// appended as it is, without looking for bytes to escape.
func (c *choice) appendText(b []byte, html bool) []byte {
	switch {
	case c.plain:
		b = append(b, '"')
		for _, t := range c.tokens {
			b = append(b, t...)
		}
		return append(b, '"')
	case html:
		return appendJSONTokensHTML(b, c.tokens)
	}
	return appendJSONTokens(b, c.tokens)
}

// tokenBufs recycles the token slices of generated text: most answers
// are made of fresh words, and a request's tokens are garbage once its
// response is written.
var tokenBufs = sync.Pool{New: func() any { return new([]string) }}

// lend gives the choice a token slice from tokenBufs to generate into.
func (c *choice) lend() []string {
	c.lent = tokenBufs.Get().(*[]string)
	return *c.lent
}

// release returns the plan's lent token slices, once nothing reads its
// choices any more.
func (p *plan) release() {
	for i := range p.choices {
		ch := &p.choices[i]
		if ch.lent != nil && cap(ch.tokens) <= 1<<16 {
			*ch.lent = ch.tokens[:0]
			tokenBufs.Put(ch.lent)
		}
		ch.lent, ch.tokens = nil, nil
	}
}

func (c *choice) text() string { return strings.Join(c.tokens, "") }

type toolCall struct {
	id, name string
	args     []string // argument tokens
}

func (t toolCall) arguments() string { return strings.Join(t.args, "") }

// generate fills p.choices, usage, cost and latencies.
func (s *Server) generate(c *call, p *plan) {
	n := max(c.n, 1)
	if c.op != "chat" {
		n = 0
	}
	if n == 1 {
		p.choices = p.first[:]
	} else {
		p.choices = make([]choice, n)
	}
	for i := range p.choices {
		p.choices[i] = s.genChoice(c, p, i)
		p.outTok += p.choices[i].outTokens
	}
	p.inTok = min(c.inputTokens, MaxTokens)
	p.outTok = min(p.outTok, MaxTokens)
	if b := p.faultMode(ModeBilling); b != nil {
		if b.Tokens == "prompt" || b.Tokens == "both" {
			p.inTok = scaleTokens(p.inTok, b.Factor)
		}
		if b.Tokens == "completion" || b.Tokens == "both" {
			p.outTok = scaleTokens(p.outTok, b.Factor)
		}
	}
	factor := 1.0
	if pf := p.faultMode(ModePrice); pf != nil {
		factor = pf.Factor
	}
	p.cost = costUSD((float64(p.inTok)*c.model.Price.InputPerMTok + float64(p.outTok)*c.model.Price.OutputPerMTok) / 1e6 * factor)

	var idb [20]byte
	lr := p.scratch.seed(s.cfg.Seed, "latency", string(strconv.AppendUint(idb[:0], p.id, 10)), c.model.Name)
	p.ttft = c.model.Latency.TTFT.Sample(lr)
	if f := p.faultMode(ModeSlowFirstToken); f != nil {
		p.ttft += f.delay()
	}
	units := 0
	for _, ch := range p.choices {
		units += ch.outTokens
	}
	var extra time.Duration
	if f := p.faultMode(ModeSlowTokens); f != nil {
		extra = f.delay()
	}
	if units > 1 && (c.model.Latency.ITL.Mean > 0 || extra > 0) {
		slow := 1.0
		if c.model.vllm != nil {
			slow = c.model.vllm.itlFactor()
		}
		p.itl = make([]time.Duration, units-1)
		for i := range p.itl {
			p.itl[i] = time.Duration(float64(c.model.Latency.ITL.Sample(lr))*slow) + extra
		}
	}
}

// genChoice generates one answer.
func (s *Server) genChoice(c *call, p *plan, idx int) choice {
	r := p.scratch.seed(s.cfg.Seed, c.api, c.model.Name, c.seedText, strconv.Itoa(idx))
	var ch choice
	limit := c.maxTokens
	if limit == 0 && c.model.MaxOutputTokens > 0 {
		limit = c.model.MaxOutputTokens
	}
	// Tool calls: asked for when tools are offered and the model is not
	// answering a tool result, or always under runaway_tools.
	// The tool-call garbage kinds make the model call one too.
	toolGarbage := p.garbage(GarbageSchemaViolation) || p.garbage(GarbageUnknownTool) || p.garbage(GarbageToolLength)
	callTool := len(c.tools) > 0 && c.toolChoice != "none" &&
		(c.toolChoice == "required" || c.toolChoice == "function" || !c.lastIsToolResult || p.faultMode(ModeRunawayTools) != nil || toolGarbage)
	if callTool {
		t := c.tools[r.IntN(len(c.tools))]
		if c.toolChoice == "function" {
			for _, tt := range c.tools {
				if tt.name == c.toolChoiceName {
					t = tt
				}
			}
		}
		args, complete := genJSONText(r, t.params)
		if t.params == nil {
			args, complete = "{}", true
		}
		name := t.name
		switch {
		case p.garbage(GarbageBadToolArgs):
			args = args[:len(args)/2] + `,"` // truncated, unterminated
		case p.garbage(GarbageSchemaViolation):
			args = violateSchema(args, t.params)
		case p.garbage(GarbageUnknownTool):
			name = unknownTool(c.tools, name)
		}
		toks := SplitTokens(args)
		ch.finish = "tool_calls"
		if !complete { // the arguments ran past the generator's limit
			ch.finish = "length"
		}
		if p.garbage(GarbageToolLength) {
			toks, ch.finish = toks[:max(1, len(toks)/2)], "length"
		}
		if limit > 0 && len(toks) > limit {
			toks, ch.finish = toks[:limit], "length"
		}
		ch.toolCalls = []toolCall{{id: string(appendHex([]byte("call_"), p.distinct(r.Uint64()), 16)), name: name, args: toks}}
		ch.outTokens = len(toks)
		return ch
	}
	var toks []string
	cut := false // a JSON answer that ran past the generator's limit
	answer, matched := c.answer, c.matched
	switch {
	case p.garbage(GarbageEmpty):
		toks = nil
	case p.garbage(GarbageRefusal):
		toks = SplitTokens("I'm sorry, but I can't help with that request.")
		ch.refusal = true
	case p.garbage(GarbageWrongAnswer) && matched:
		toks = SplitTokens(wrongAnswer(answer))
	case p.garbage(GarbageInvalidJSON):
		js, _ := genJSONText(r, c.schema)
		n := len(js) * 2 / 3
		for n > 0 && !utf8.RuneStart(js[n]) {
			n--
		}
		toks = SplitTokens(js[:n] + ` "trunc`)
	case p.garbage(GarbageRandomTokens), p.garbage(GarbageWrongLanguage), p.garbage(GarbageRepeatLoop):
		// A model that emits nonsense does so for every prompt: JSON mode
		// and known-answer (canary) prompts get it too, which is how
		// services notice.
		n := c.model.OutputTokens.Min + r.IntN(c.model.OutputTokens.Max-c.model.OutputTokens.Min+1)
		switch {
		case p.garbage(GarbageRandomTokens):
			toks = genRandomTokens(r, n)
		case p.garbage(GarbageWrongLanguage):
			toks = genSentences(ch.lend(), r, frenchVocab, n)
		default:
			toks = make([]string, max(n, 64))
			for i := range toks {
				toks[i] = " the"
			}
		}
	case c.jsonMode != "":
		js, complete := genJSONText(r, c.schema)
		toks, cut = SplitTokens(js), !complete
	case matched:
		toks = SplitTokens(answer)
	default:
		n := c.model.OutputTokens.Min + r.IntN(c.model.OutputTokens.Max-c.model.OutputTokens.Min+1)
		toks = genSentences(ch.lend(), r, englishVocab, n)
		ch.plain = englishVocab.plain
	}
	ch.finish = "stop"
	if cut {
		ch.finish = "length"
	}
	if limit > 0 && len(toks) > limit {
		toks, ch.finish = toks[:limit], "length"
	}
	if p.garbage(GarbageContentFilter) {
		toks, ch.finish = toks[:len(toks)/2], "content_filter"
	}
	ch.tokens = toks
	ch.outTokens = len(toks)
	return ch
}

// violateSchema turns args, generated to fit schema, into JSON that
// breaks it: the first required property left out, else the first
// property (by name) of the wrong type, else not an object at all.
func violateSchema(args string, schema map[string]any) string {
	var obj map[string]any
	if json.Unmarshal([]byte(args), &obj) != nil || obj == nil {
		obj = map[string]any{}
	}
	if req, _ := schema["required"].([]any); len(req) > 0 {
		if name, ok := req[0].(string); ok {
			delete(obj, name)
			b, _ := json.Marshal(obj)
			return string(b)
		}
	}
	props, _ := schema["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		n := names[0]
		p, _ := props[n].(map[string]any)
		typ, _ := p["type"].(string)
		if typ == "string" {
			obj[n] = 12345
		} else {
			obj[n] = "not a " + cmp.Or(typ, "value")
		}
		b, _ := json.Marshal(obj)
		return string(b)
	}
	return `["not","an","object"]`
}

// unknownTool is a tool name that none of tools has, made from name.
func unknownTool(tools []tool, name string) string {
	for {
		name += "_v2"
		taken := false
		for _, t := range tools {
			taken = taken || t.name == name
		}
		if !taken {
			return name
		}
	}
}

// wrongAnswer is a plausible but wrong variant of an answer: quality drift.
func wrongAnswer(a string) string {
	if a == CanaryAnswer {
		return CanaryWrongAnswer
	}
	return "I believe the answer is something else entirely: " + strings.ToLower(a) + " is not right."
}

// wait sleeps the whole generation time of a non-streaming answer.
func (s *Server) waitAll(ctx context.Context, p *plan) error {
	d := p.ttft
	for _, x := range p.itl {
		d += x
	}
	if d <= 0 {
		return nil
	}
	return s.sleeper.Sleep(ctx, d)
}
