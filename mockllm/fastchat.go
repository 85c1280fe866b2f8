package mockllm

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A fast path for the chat bodies services and agents send:
//
//	{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}
//
// with system prompts, tools, tool calls and their results, a response
// format, stream options and sampling members. Decoding them with
// encoding/json's v2 was the largest part of what mockllm spent on a
// request. decodeFast reads such a body directly and gives up, leaving
// the body to the full decoder, on anything it does not know for certain
// how the full decoder would take: an escape other than JSON's simple
// ones or a \u outside the surrogates, an escaped member name, a member
// given twice, a null where the request type has no RawMessage, a number
// it cannot hold exactly, a value of another type than the member's,
// nesting deeper than maxFastDepth, any syntax error. A JSON Schema (a
// tool's parameters, a response format's schema) goes through the same
// decodeSchema as in the full decoder, and one it refuses is declined.
// decodeFast never reports an error, so every 400 still comes from the
// full decoder, in the same words; where it succeeds, the value is the
// one the full decoder gives, which FuzzChatFastPath checks against
// jsonv2.Unmarshal and TestFastPathKnowsEveryMember holds to every member
// of the request types.

// fastDecoder is a request type with a fast path; decodeFast reports
// whether it decoded data whole. When it did not, the request is left
// empty for the full decoder to fill.
type fastDecoder interface {
	decodeFast(data []byte) bool
}

// maxFastDepth bounds how deep the fast path follows values it skips
// (an unknown member's object, a content's parts); a deeper body is the
// full decoder's.
const maxFastDepth = 32

// decodeFast decodes data into req if it is a chat body it knows.
func (req *chatRequest) decodeFast(data []byte) bool {
	if !req.scanFast(data) {
		*req = chatRequest{}
		return false
	}
	return true
}

// members records the members of one object seen so far, to give up on
// one given twice (the full decoder keeps the last, merging objects).
type members uint32

func (m *members) once(bit uint) bool {
	if *m&(1<<bit) != 0 {
		return false
	}
	*m |= 1 << bit
	return true
}

func (req *chatRequest) scanFast(data []byte) bool {
	sc := fastScanner{b: data}
	var seen members
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "model":
			return seen.once(0) && sc.strValue(&req.Model)
		case "messages":
			return seen.once(1) && req.scanMessages(&sc)
		case "max_tokens":
			return seen.once(2) && sc.intPtr(&req.MaxTokens)
		case "max_completion_tokens":
			return seen.once(3) && sc.intPtr(&req.MaxCompletionTokens)
		case "n":
			return seen.once(4) && sc.intPtr(&req.N)
		case "stream":
			return seen.once(5) && sc.boolean(&req.Stream)
		case "temperature":
			return seen.once(6) && sc.floatPtr(&req.Temperature)
		case "top_p":
			return seen.once(7) && sc.floatPtr(&req.TopP)
		case "stream_options":
			return seen.once(8) && scanStreamOptions(&sc, &req.StreamOptions)
		case "tools":
			return seen.once(9) && req.scanTools(&sc)
		case "tool_choice":
			return seen.once(10) && sc.raw(&req.ToolChoice)
		case "response_format":
			return seen.once(11) && scanResponseFormat(&sc, &req.ResponseFormat)
		}
		// A member the request type does not have is ignored, as the
		// full decoder ignores it.
		return sc.skipValue(0)
	}) && sc.end()
}

func (req *chatRequest) scanMessages(sc *fastScanner) bool {
	return sc.array(func() { req.Messages = []chatMessage{} }, func() bool {
		var m chatMessage
		ok := scanMessage(sc, &m)
		req.Messages = append(req.Messages, m)
		return ok
	})
}

func scanMessage(sc *fastScanner, m *chatMessage) bool {
	var seen members
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "role":
			return seen.once(0) && sc.role(&m.Role)
		case "content":
			return seen.once(1) && sc.raw(&m.Content)
		case "tool_call_id":
			return seen.once(2) && sc.strValue(&m.ToolCallID)
		case "tool_calls":
			return seen.once(3) && sc.array(func() { m.ToolCalls = []chatReqToolCall{} }, func() bool {
				var tc chatReqToolCall
				ok := scanToolCall(sc, &tc)
				m.ToolCalls = append(m.ToolCalls, tc)
				return ok
			})
		}
		return sc.skipValue(0)
	})
}

func scanToolCall(sc *fastScanner, tc *chatReqToolCall) bool {
	var seen members
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return seen.once(0) && sc.strValue(&tc.ID)
		case "function":
			var fn members
			return seen.once(1) && sc.object(func(key []byte) bool {
				switch string(key) {
				case "name":
					return fn.once(0) && sc.strValue(&tc.Function.Name)
				case "arguments":
					return fn.once(1) && sc.strValue(&tc.Function.Arguments)
				}
				return sc.skipValue(0)
			})
		}
		return sc.skipValue(0)
	})
}

func (req *chatRequest) scanTools(sc *fastScanner) bool {
	return sc.array(func() { req.Tools = []chatReqTool{} }, func() bool {
		var t chatReqTool
		var seen members
		ok := sc.object(func(key []byte) bool {
			switch string(key) {
			case "type":
				return seen.once(0) && sc.strValue(&t.Type)
			case "function":
				var fn members
				return seen.once(1) && sc.object(func(key []byte) bool {
					switch string(key) {
					case "name":
						return fn.once(0) && sc.strValue(&t.Function.Name)
					case "description":
						return fn.once(1) && sc.strValue(&t.Function.Description)
					case "parameters":
						return fn.once(2) && sc.schema(&t.Function.Parameters)
					}
					return sc.skipValue(0)
				})
			}
			return sc.skipValue(0)
		})
		req.Tools = append(req.Tools, t)
		return ok
	})
}

func scanStreamOptions(sc *fastScanner, p **chatStreamOptions) bool {
	so := &chatStreamOptions{}
	*p = so
	var seen members
	return sc.object(func(key []byte) bool {
		if string(key) == "include_usage" {
			return seen.once(0) && sc.boolean(&so.IncludeUsage)
		}
		return sc.skipValue(0)
	})
}

func scanResponseFormat(sc *fastScanner, p **chatResponseFormat) bool {
	rf := &chatResponseFormat{}
	*p = rf
	var seen members
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			return seen.once(0) && sc.strValue(&rf.Type)
		case "json_schema":
			js := &chatJSONSchema{}
			rf.JSONSchema = js
			var in members
			return seen.once(1) && sc.object(func(key []byte) bool {
				switch string(key) {
				case "name":
					return in.once(0) && sc.strValue(&js.Name)
				case "schema":
					return in.once(1) && sc.schema(&js.Schema)
				}
				return sc.skipValue(0)
			})
		}
		return sc.skipValue(0)
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
// (the body was checked to be UTF-8 before): a member's name, which the
// fast path does not take escaped.
func (sc *fastScanner) str() ([]byte, bool) {
	raw, escaped, ok := sc.scanStr()
	return raw, ok && !escaped
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

// array reads an array, calling elem at each element, the scanner at
// it; empty is called for [] (the full decoder makes an empty slice of
// it, not a nil one).
func (sc *fastScanner) array(empty func(), elem func() bool) bool {
	if !sc.open('[') {
		return false
	}
	if sc.close(']') {
		if empty != nil {
			empty()
		}
		return true
	}
	for {
		if !elem() {
			return false
		}
		if sc.close(']') {
			return true
		}
		if !sc.comma() {
			return false
		}
	}
}

// scanStr reads a string whose escapes are all JSON's simple ones (\"
// \\ \/ \b \f \n \r \t) or \u escapes outside the surrogates; it
// returns the bytes between the quotes and whether any is escaped.
func (sc *fastScanner) scanStr() (raw []byte, escaped, ok bool) {
	sc.ws()
	b := sc.b
	if sc.i >= len(b) || b[sc.i] != '"' {
		return nil, false, false
	}
	start := sc.i + 1
	for j := start; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			sc.i = j + 1
			return b[start:j], escaped, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			if j+1 >= len(b) {
				return nil, false, false
			}
			escaped = true
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				r, ok := hex4(b[j+2:])
				if !ok || (r >= 0xd800 && r <= 0xdfff) {
					return nil, false, false
				}
				j += 5
			default:
				return nil, false, false
			}
		}
	}
	return nil, false, false
}

// hex4 reads the four hex digits a \u escape starts b with.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape decodes the escapes scanStr let through.
func unescape(raw []byte) string {
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		switch c = raw[i]; c {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, _ := hex4(raw[i+1:])
			b = utf8.AppendRune(b, r)
			i += 4
		default: // " \ /
			b = append(b, c)
		}
	}
	return string(b)
}

// strValue reads a string into *p.
func (sc *fastScanner) strValue(p *string) bool {
	raw, escaped, ok := sc.scanStr()
	switch {
	case !ok:
		return false
	case escaped:
		*p = unescape(raw)
	default:
		*p = string(raw)
	}
	return true
}

// role reads a message's role without allocating for the usual ones.
func (sc *fastScanner) role(p *string) bool {
	raw, escaped, ok := sc.scanStr()
	switch {
	case !ok:
		return false
	case escaped:
		*p = unescape(raw)
	default:
		*p = roleString(raw)
	}
	return true
}

// raw reads any value into a RawMessage, its bytes as they stand, which
// is what the full decoder keeps.
func (sc *fastScanner) raw(p *json.RawMessage) bool {
	sc.ws()
	start := sc.i
	if !sc.skipValue(0) {
		return false
	}
	*p = append(json.RawMessage(nil), sc.b[start:sc.i]...)
	return true
}

// schema reads a JSON Schema object through decodeSchema, as the full
// decoder does; anything but an object, and a schema it refuses, is
// declined.
func (sc *fastScanner) schema(p **schemaDoc) bool {
	sc.ws()
	start := sc.i
	if !sc.skipObject() {
		return false
	}
	doc, err := decodeSchema(sc.b[start:sc.i])
	if err != nil {
		return false
	}
	*p = &doc
	return true
}

// skipObject passes over an object by its brackets and strings alone,
// without checking what is between: what it passes over goes to
// decodeSchema, which decodes it in full, or finds it among the schemas
// it decoded, so that it is valid JSON and ends where skipObject says.
func (sc *fastScanner) skipObject() bool {
	b := sc.b
	if sc.i >= len(b) || b[sc.i] != '{' {
		return false
	}
	depth := 0
	for j := sc.i; j < len(b); j++ {
		switch b[j] {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				sc.i = j + 1
				return true
			}
		case '"':
			for j++; j < len(b) && b[j] != '"'; j++ {
				if b[j] == '\\' {
					j++
				}
			}
		}
	}
	return false
}

// skipValue passes over any value, nested at most maxFastDepth deep.
func (sc *fastScanner) skipValue(depth int) bool {
	sc.ws()
	if sc.i >= len(sc.b) {
		return false
	}
	switch sc.b[sc.i] {
	case '{':
		return depth < maxFastDepth && sc.object(func([]byte) bool { return sc.skipValue(depth + 1) })
	case '[':
		return depth < maxFastDepth && sc.array(nil, func() bool { return sc.skipValue(depth + 1) })
	case '"':
		_, _, ok := sc.scanStr()
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
