package mockllm

import (
	"encoding/binary"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// sseWriter writes server-sent events and flushes each one, as providers
// do, so a client sees every token when it is generated.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
	err error
	// frame, when set, writes each event in another framing (Bedrock's
	// event stream) instead of SSE.
	frame func(name string, data []byte)
}

func newSSE(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w), buf: make([]byte, 0, 512)}
}

// event writes "event: name\ndata: data\n\n" (no event line when name is
// empty) and flushes.
func (s *sseWriter) event(name string, data []byte) {
	if s.err != nil {
		return
	}
	if s.frame != nil {
		s.frame(name, data)
		return
	}
	b := s.buf[:0]
	if name != "" {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, data...)
	b = append(b, "\n\n"...)
	s.buf = b
	s.raw(b)
}

// raw writes b as is and flushes.
func (s *sseWriter) raw(b []byte) {
	if s.err != nil {
		return
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
		return
	}
	if err := s.rc.Flush(); err != nil {
		s.err = err
	}
}

const hexDigits = "0123456789abcdef"

// jsonPlain holds the bytes that stand for themselves inside a JSON
// string: ASCII from space up, less the quote and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendJSONEscaped(b, s)
	return append(b, '"')
}

// appendJSONTokens appends the tokens, joined, as one JSON string.
// Tokens split at rune boundaries, so escaping each in turn escapes the
// whole.
func appendJSONTokens(b []byte, toks []string) []byte {
	b = append(b, '"')
	// Most answers need no escaping at all: append the tokens as they
	// are, check the whole run once, and escape token by token only when
	// some byte needs it.
	start := len(b)
	for _, t := range toks {
		b = append(b, t...)
	}
	if needsEscape(b[start:]) {
		b = b[:start]
		for _, t := range toks {
			b = appendJSONEscaped(b, t)
		}
	}
	return append(b, '"')
}

// needsEscape says whether some byte of b is not plain inside a JSON
// string as appendJSONEscaped writes it: a control byte, a quote, a
// backslash, or a byte of a multi-byte sequence (left to
// appendJSONEscaped, which checks the sequence). Eight bytes at a time.
func needsEscape(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		// any byte < 0x20 (exact for a bound <= 0x80), any '"', any '\\', any >= 0x80
		if ((x-ones*0x20)&^x|hasZero(x^(ones*'"'))|hasZero(x^(ones*'\\'))|x)&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if !jsonPlain[c] {
			return true
		}
	}
	return false
}

// appendJSONEscaped appends s escaped for the inside of a JSON string.
func appendJSONEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		// Runs of bytes that need no escaping, the most of every token,
		// cost one table look-up a byte.
		for i < len(s) && jsonPlain[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendHex appends v in lower-case hex, zero-padded to at least width
// digits, as fmt's %0*x does.
func appendHex(b []byte, v uint64, width int) []byte {
	var d [16]byte
	i := len(d)
	for v > 0 || i == len(d) {
		i--
		d[i] = hexDigits[v&0xf]
		v >>= 4
	}
	for range width - (len(d) - i) {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }
