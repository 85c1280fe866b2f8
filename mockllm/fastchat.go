package mockllm

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// A fast path for the commonest request body of all, a chat completion
// of plain text messages:
//
//	{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}
//
// Decoding it with encoding/json's v2 is the largest part of what mockllm
// spends on a request. decodeFast reads such a body directly and gives
// up, leaving the body to the full decoder, on anything it does not know
// for certain how the full decoder would take: a string with an escape,
// a member it does not decode itself (tools, tool_choice, stream_options,
// response_format, tool_calls, tool_call_id, content parts; a body with
// "tool anywhere is declined before it is read), a member given twice, a
// null, a number it cannot hold exactly, any syntax error. It never
// reports an error, so every 400 still comes from the full decoder, in
// the same words; where it succeeds, the value is the one the full
// decoder gives, which FuzzChatFastPath checks against jsonv2.Unmarshal.

// fastDecoder is a request type with a fast path; decodeFast reports
// whether it decoded data whole. When it did not, the request is left
// empty for the full decoder to fill.
type fastDecoder interface {
	decodeFast(data []byte) bool
}

// decodeFast decodes data into req if it is a plain chat body.
func (req *chatRequest) decodeFast(data []byte) bool {
	// An agent's body (tools, tool_choice, tool_calls, a tool message)
	// is the full decoder's: declined at once rather than after reading
	// its messages.
	if bytes.Contains(data, []byte(`"tool`)) || !req.scanFast(data) {
		*req = chatRequest{}
		return false
	}
	return true
}

// Bits of the members seen, to give up on one given twice.
const (
	seenModel = 1 << iota
	seenMessages
	seenMaxTokens
	seenMaxCompletionTokens
	seenN
	seenStream
	seenTemperature
	seenTopP
)

func (req *chatRequest) scanFast(data []byte) bool {
	sc := fastScanner{b: data}
	seen := 0
	once := func(bit int) bool {
		if seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	}
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "model":
			v, ok := sc.str()
			req.Model = string(v)
			return ok && once(seenModel)
		case "messages":
			return once(seenMessages) && req.scanMessages(&sc)
		case "max_tokens":
			return once(seenMaxTokens) && sc.intPtr(&req.MaxTokens)
		case "max_completion_tokens":
			return once(seenMaxCompletionTokens) && sc.intPtr(&req.MaxCompletionTokens)
		case "n":
			return once(seenN) && sc.intPtr(&req.N)
		case "stream":
			return once(seenStream) && sc.boolean(&req.Stream)
		case "temperature":
			return once(seenTemperature) && sc.floatPtr(&req.Temperature)
		case "top_p":
			return once(seenTopP) && sc.floatPtr(&req.TopP)
		}
		// A member the request type does not have is ignored, as the
		// full decoder ignores it, if it is a scalar.
		return !chatRequestMember(key) && sc.skipScalar()
	}) && sc.end()
}

// chatRequestMember says whether key names a member of chatRequest that
// the fast path leaves to the full decoder.
func chatRequestMember(key []byte) bool {
	switch string(key) {
	case "stream_options", "tools", "tool_choice", "response_format":
		return true
	}
	return false
}

func (req *chatRequest) scanMessages(sc *fastScanner) bool {
	if !sc.open('[') {
		return false
	}
	if sc.close(']') {
		req.Messages = []chatMessage{} // empty, not absent, as decoded in full
		return true
	}
	for {
		var m chatMessage
		if !scanMessage(sc, &m) {
			return false
		}
		req.Messages = append(req.Messages, m)
		if sc.close(']') {
			return true
		}
		if !sc.comma() {
			return false
		}
	}
}

// scanMessage reads a message of a role and a plain string content;
// anything else is the full decoder's.
func scanMessage(sc *fastScanner, m *chatMessage) bool {
	var seenRole, seenContent bool
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "role":
			v, ok := sc.str()
			if !ok || seenRole {
				return false
			}
			seenRole, m.Role = true, roleString(v)
			return true
		case "content":
			sc.ws()
			start := sc.i
			if _, ok := sc.str(); !ok || seenContent {
				return false
			}
			seenContent = true
			m.Content = append(json.RawMessage(nil), sc.b[start:sc.i]...)
			return true
		case "tool_call_id", "tool_calls":
			return false // declined before, with every body naming a tool
		}
		return sc.skipScalar()
	})
}

// roleString is a message's role without allocating for the usual ones.
func roleString(b []byte) string {
	switch string(b) {
	case "user":
		return "user"
	case "assistant":
		return "assistant"
	case "system":
		return "system"
	case "developer":
		return "developer"
	case "tool":
		return "tool"
	}
	return string(b)
}

// fastScanner reads JSON the fast path understands: every method
// reports false at the first byte it is not sure of.
type fastScanner struct {
	b []byte
	i int
}

func (sc *fastScanner) ws() {
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// object reads an object, calling member with each member's name, the
// scanner at its value, which member reads.
func (sc *fastScanner) object(member func(key []byte) bool) bool {
	if !sc.open('{') {
		return false
	}
	if sc.close('}') {
		return true
	}
	for {
		key, ok := sc.str()
		if !ok || !sc.colon() || !member(key) {
			return false
		}
		if sc.close('}') {
			return true
		}
		if !sc.comma() {
			return false
		}
	}
}

// open consumes c ('{' or '[') after any whitespace.
func (sc *fastScanner) open(c byte) bool {
	sc.ws()
	if sc.i < len(sc.b) && sc.b[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// close consumes c ('}' or ']') if it comes next.
func (sc *fastScanner) close(c byte) bool { return sc.open(c) }

func (sc *fastScanner) colon() bool { return sc.open(':') }

func (sc *fastScanner) comma() bool { return sc.open(',') }

// end says whether nothing but whitespace is left.
func (sc *fastScanner) end() bool {
	sc.ws()
	return sc.i == len(sc.b)
}

// str reads a string with nothing to unescape and returns its bytes
// (the body was checked to be UTF-8 before).
func (sc *fastScanner) str() ([]byte, bool) {
	sc.ws()
	if sc.i >= len(sc.b) || sc.b[sc.i] != '"' {
		return nil, false
	}
	start := sc.i + 1
	for j := start; j < len(sc.b); j++ {
		switch c := sc.b[j]; {
		case c == '"':
			sc.i = j + 1
			return sc.b[start:j], true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// number reads a number as JSON writes one and returns its text.
func (sc *fastScanner) number() ([]byte, bool) {
	sc.ws()
	b, i := sc.b, sc.i
	start := i
	digits := func() bool {
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	sc.i = i
	return b[start:i], true
}

// intPtr reads an integer of at most 15 digits into *p: exact in any
// decoder, in range of every int.
func (sc *fastScanner) intPtr(p **int) bool {
	v, ok := sc.number()
	if !ok {
		return false
	}
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return false
	}
	n := 0
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false // a fraction or an exponent
		}
		n = n*10 + int(c-'0')
	}
	if v[0] == '-' {
		n = -n
	}
	*p = &n
	return true
}

// floatPtr reads a number into *p, as strconv parses it; one out of
// float64's range is the full decoder's to refuse.
func (sc *fastScanner) floatPtr(p **float64) bool {
	v, ok := sc.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil {
		return false
	}
	*p = &f
	return true
}

func (sc *fastScanner) boolean(p *bool) bool {
	switch {
	case sc.literal("true"):
		*p = true
	case sc.literal("false"):
		*p = false
	default:
		return false
	}
	return true
}

// literal consumes lit if it comes next.
func (sc *fastScanner) literal(lit string) bool {
	sc.ws()
	if len(sc.b)-sc.i >= len(lit) && string(sc.b[sc.i:sc.i+len(lit)]) == lit {
		sc.i += len(lit)
		return true
	}
	return false
}

// skipScalar passes over a string, a number, true, false or null.
func (sc *fastScanner) skipScalar() bool {
	sc.ws()
	if sc.i >= len(sc.b) {
		return false
	}
	switch sc.b[sc.i] {
	case '"':
		_, ok := sc.str()
		return ok
	case 't':
		return sc.literal("true")
	case 'f':
		return sc.literal("false")
	case 'n':
		return sc.literal("null")
	}
	_, ok := sc.number()
	return ok
}
