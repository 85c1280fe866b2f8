package mockllm

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Limits of a generated JSON value (docs/providers.md, "Answers"). A
// schema may ask for more than any answer holds (minItems: 1e9, a
// minLength of a million, maxItems: 1e9 nested eight deep); a model
// asked for that runs into its output limit, and so does the generator:
// at maxGenJSONBytes it stops, the text is cut there and the answer is a
// length stop, as a real model's would be.
const (
	// maxGenJSONBytes bounds the text of one generated value: 64 KiB,
	// about 16,000 tokens.
	maxGenJSONBytes = 64 << 10
	// maxGenJSONDepth is how deep the generator follows nested schemas
	// and $refs; deeper values are null.
	maxGenJSONDepth = 8
)

// jsonGen writes a value that matches a JSON schema (the subset that
// structured outputs and tool parameters use: type, properties, required,
// items, enum, const, anyOf/oneOf/allOf, $ref to $defs, numeric and
// length bounds, formats) straight into JSON text, as encoding/json
// would write it (HTML characters escaped, floats in its format).
// Properties are visited in sorted order so the output is deterministic.
type jsonGen struct {
	r     *rand.Rand
	root  map[string]any
	b     []byte
	words []string // genWords' buffer, reused from string to string
	full  bool     // the text reached maxGenJSONBytes
}

// genJSONText generates a value for schema (an object with one string
// member "answer" when schema is nil) and renders it compactly. complete
// is false when the value did not fit in maxGenJSONBytes: the text is
// then cut there, at a character boundary, and is not valid JSON.
func genJSONText(r *rand.Rand, schema map[string]any) (text string, complete bool) {
	if schema == nil {
		schema = map[string]any{"type": "object", "properties": map[string]any{"answer": map[string]any{"type": "string"}}}
	}
	g := jsonGen{r: r, root: schema, b: make([]byte, 0, 128)}
	g.value(schema, 0)
	if len(g.b) > maxGenJSONBytes {
		g.full = true
		cut := maxGenJSONBytes
		for cut > 0 && !utf8.RuneStart(g.b[cut]) {
			cut--
		}
		g.b = g.b[:cut]
	}
	return string(g.b), !g.full
}

// room reports whether more may be written; once the text passes the
// limit every value still to come is left out.
func (g *jsonGen) room() bool {
	if len(g.b) > maxGenJSONBytes {
		g.full = true
	}
	return !g.full
}

func (g *jsonGen) value(s map[string]any, depth int) {
	if s == nil || depth > maxGenJSONDepth {
		g.b = append(g.b, "null"...)
		return
	}
	if ref, ok := s["$ref"].(string); ok {
		g.value(resolveRef(g.root, ref), depth+1)
		return
	}
	if c, ok := s["const"]; ok {
		g.literal(c)
		return
	}
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		g.literal(e[g.r.IntN(len(e))])
		return
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[k].([]any); ok && len(alts) > 0 {
			// Prefer an alternative that is not null, as a model would.
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok && m["type"] != "null" {
					g.value(m, depth+1)
					return
				}
			}
			m, _ := alts[0].(map[string]any)
			g.value(m, depth+1)
			return
		}
	}
	switch schemaType(s) {
	case "object":
		props, _ := s["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		g.b = append(g.b, '{')
		for i, k := range keys {
			if !g.room() {
				return
			}
			if i > 0 {
				g.b = append(g.b, ',')
			}
			g.b = appendJSONStringHTML(g.b, k)
			g.b = append(g.b, ':')
			ps, _ := props[k].(map[string]any)
			g.value(ps, depth+1)
		}
		g.b = append(g.b, '}')
	case "array":
		lo := boundedCount(s["minItems"], 1)
		hi := boundedCount(s["maxItems"], lo+2)
		hi = max(hi, lo)
		n := lo + g.r.IntN(hi-lo+1)
		items, _ := s["items"].(map[string]any)
		g.b = append(g.b, '[')
		for i := range n {
			if !g.room() {
				return
			}
			if i > 0 {
				g.b = append(g.b, ',')
			}
			g.value(items, depth+1)
		}
		g.b = append(g.b, ']')
	case "integer":
		g.integer(s)
	case "number":
		g.number(s)
	case "boolean":
		g.b = strconv.AppendBool(g.b, g.r.IntN(2) == 1)
	case "null":
		g.b = append(g.b, "null"...)
	default:
		g.string(s)
	}
}

// schemaType is the type a value for s takes: the first of a list that
// is not null, or what its members imply.
func schemaType(s map[string]any) string {
	typ, _ := s["type"].(string)
	if ts, ok := s["type"].([]any); ok {
		for _, t := range ts {
			if t, _ := t.(string); t != "null" && t != "" {
				return t
			}
		}
		return "null"
	}
	if typ != "" {
		return typ
	}
	if _, ok := s["properties"]; ok {
		return "object"
	}
	if _, ok := s["items"]; ok {
		return "array"
	}
	return "string"
}

// boundedCount reads a count (minItems, maxItems) as a non-negative int,
// def when absent or not a number. Counts past what fits in the text
// limit are cut to one more than that: the generator stops there anyway.
func boundedCount(v any, def int) int {
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) {
		return def
	}
	return int(min(max(f, 0), maxGenJSONBytes+1))
}

func schemaNum(s map[string]any, key string) (float64, bool) {
	v, ok := s[key].(float64)
	return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// exactInt is the largest magnitude below which every integer is a
// float64: integers are drawn in that window of a wider range.
const exactInt = 1 << 53

func (g *jsonGen) integer(s map[string]any) {
	lo, hi := 0.0, 100.0
	if v, ok := schemaNum(s, "minimum"); ok {
		lo = v
	}
	if v, ok := schemaNum(s, "maximum"); ok {
		hi = v
	}
	if v, ok := schemaNum(s, "exclusiveMinimum"); ok {
		lo = v + 1
	}
	if v, ok := schemaNum(s, "exclusiveMaximum"); ok {
		hi = v - 1
	}
	lo, hi = math.Ceil(lo), math.Floor(hi)
	if hi < lo {
		g.b = appendJSONFloat(g.b, lo)
		return
	}
	// Draw where integers are exact; a range wholly beyond that gets its
	// lower end.
	wlo, whi := max(lo, -exactInt), min(hi, exactInt)
	if whi < wlo {
		g.b = appendJSONFloat(g.b, lo)
		return
	}
	g.b = strconv.AppendInt(g.b, int64(wlo)+g.r.Int64N(int64(whi-wlo)+1), 10)
}

func (g *jsonGen) number(s map[string]any) {
	lo, hi := 0.0, 100.0
	if v, ok := schemaNum(s, "minimum"); ok {
		lo = v
	}
	if v, ok := schemaNum(s, "maximum"); ok {
		hi = v
	}
	xlo, hasXlo := schemaNum(s, "exclusiveMinimum")
	xhi, hasXhi := schemaNum(s, "exclusiveMaximum")
	if hasXlo {
		lo = max(lo, xlo)
	}
	if hasXhi {
		hi = min(hi, xhi)
	}
	if hi < lo {
		g.b = appendJSONFloat(g.b, lo)
		return
	}
	x := g.r.Float64()
	v := lo + (hi-lo)*x
	if math.IsInf(v, 0) || math.IsNaN(v) { // a range wider than float64's
		v = lo*(1-x) + hi*x
	}
	inside := func(v float64) bool {
		return v >= lo && v <= hi && (!hasXlo || v > xlo) && (!hasXhi || v < xhi)
	}
	// Two decimals, as a model writes numbers, when that stays in range.
	if r := math.Round(v*100) / 100; inside(r) {
		v = r
	} else if !inside(v) {
		v = lo/2 + hi/2
	}
	g.b = appendJSONFloat(g.b, v)
}

func (g *jsonGen) string(s map[string]any) {
	switch s["format"] {
	case "date-time":
		g.b = append(g.b, `"2026-03-14T09:26:53Z"`...)
		return
	case "date":
		g.b = append(g.b, `"2026-03-14"`...)
		return
	case "email":
		g.b = append(g.b, `"oncall@example.com"`...)
		return
	case "uri":
		g.b = append(g.b, `"https://example.com/drill"`...)
		return
	case "uuid":
		g.b = append(g.b, `"6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"`...)
		return
	}
	// A few words, trimmed; the vocabulary's words need no escaping.
	g.words = genWords(g.words[:0], g.r, englishVocab, 2+g.r.IntN(4))
	g.b = append(g.b, '"')
	start := len(g.b)
	for _, w := range g.words {
		g.b = append(g.b, w...)
	}
	n := copy(g.b[start:], bytes.TrimSpace(g.b[start:]))
	g.b = g.b[:start+n]
	if ml, ok := schemaNum(s, "maxLength"); ok && float64(n) > ml {
		n = int(max(ml, 0))
		g.b = g.b[:start+n]
	}
	if ml, ok := schemaNum(s, "minLength"); ok && float64(n) < ml {
		// Pad to the minimum, or to the text limit, which then ends the value.
		pad := int(min(ml-float64(n), float64(maxGenJSONBytes-len(g.b))))
		for range max(pad, 0) {
			g.b = append(g.b, 'x')
		}
	}
	g.b = append(g.b, '"')
}

// literal writes a value taken from the schema (a const, an enum's
// member) as encoding/json writes it.
func (g *jsonGen) literal(v any) {
	switch v := v.(type) {
	case nil:
		g.b = append(g.b, "null"...)
	case bool:
		g.b = strconv.AppendBool(g.b, v)
	case string:
		g.b = appendJSONStringHTML(g.b, v)
	case float64:
		g.b = appendJSONFloat(g.b, v)
	default:
		js, err := json.Marshal(v)
		if err != nil {
			js = []byte("null")
		}
		g.b = append(g.b, js...)
	}
}

// appendJSONFloat writes f as encoding/json writes a float64: the
// shortest decimal that reads back as f, in exponent form below 1e-6 and
// from 1e21, with a one-digit negative exponent not padded. f is finite.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// "1e-07" → "1e-7"
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
