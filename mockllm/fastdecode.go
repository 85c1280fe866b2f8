package mockllm

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
)

// A fast path for the request bodies of every surface but OpenAI chat's
// (which has its own, fastchat.go): a decoder built once per request
// type, by reflection, that reads a body with fastScanner and gives up,
// leaving it to the full decoder, where fastchat.go's path gives up (an
// escape it does not decode, an escaped member name, a member given
// twice, a null, a number it cannot hold exactly, a value of another
// type than the member's, nesting past maxFastDepth, a syntax error). A
// JSON Schema goes through decodeSchema, a RawMessage keeps its bytes,
// and a member of a type it has no reader for (map[string]any, any) is
// handed, alone, to the full decoder. A type with its own unmarshal
// method other than schemaDoc's, a field without a plain json tag, an
// embedded field: the type has no fast path at all. Only the types in
// fastRequestTypes get one; FuzzFastDecode holds each to
// jsonv2.Unmarshal, and TestFastDecodeKnowsEveryMember to a body with
// every member set.

// fastRequestTypes are the request types decodeJSON reads with the
// reflective fast path.
var fastRequestTypes = []any{
	(*messagesRequest)(nil),
	(*geminiRequest)(nil),
	(*converseRequest)(nil),
	(*responsesRequest)(nil),
	(*completionRequest)(nil),
	(*embeddingRequest)(nil),
	(*geminiEmbedRequest)(nil),
	(*bedrockAnthropicRequest)(nil),
}

// fastFunc reads one value at the scanner into v, settable.
type fastFunc func(sc *fastScanner, v reflect.Value) bool

var fastPlans = func() map[reflect.Type]fastFunc {
	m := map[reflect.Type]fastFunc{}
	for _, v := range fastRequestTypes {
		t := reflect.TypeOf(v).Elem()
		if f := compileFast(t, map[reflect.Type]*fastFunc{}); f != nil {
			m[t] = f
		}
	}
	return m
}()

// fastDecode decodes data into v (a pointer to a request type) if its
// type has a fast path and the body is one it knows; otherwise v is
// left as it was, zero, for the full decoder.
func fastDecode(data []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	f := fastPlans[rv.Type().Elem()]
	if f == nil {
		return false
	}
	sc := fastScanner{b: data}
	if f(&sc, rv.Elem()) && sc.end() {
		return true
	}
	rv.Elem().SetZero()
	return false
}

var (
	rawMessageType   = reflect.TypeFor[json.RawMessage]()
	schemaDocPtrType = reflect.TypeFor[*schemaDoc]()
)

// hasOwnDecoding says whether values of t decode by a method of their
// own, which the fast path would bypass.
func hasOwnDecoding(t reflect.Type) bool {
	for _, u := range []reflect.Type{t, reflect.PointerTo(t)} {
		if u.Implements(reflect.TypeFor[json.Unmarshaler]()) ||
			u.Implements(reflect.TypeFor[jsonv2.Unmarshaler]()) ||
			u.Implements(reflect.TypeFor[jsonv2.UnmarshalerFrom]()) ||
			u.Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
			return true
		}
	}
	return false
}

// compileFast builds the reader of t, nil when t has a part the fast path
// does not read. busy holds the types being built, for a type that
// contains itself.
func compileFast(t reflect.Type, busy map[reflect.Type]*fastFunc) fastFunc {
	switch {
	case t == rawMessageType:
		return func(sc *fastScanner, v reflect.Value) bool {
			var raw json.RawMessage
			if !sc.raw(&raw) {
				return false
			}
			v.SetBytes(raw)
			return true
		}
	case t == schemaDocPtrType:
		return func(sc *fastScanner, v reflect.Value) bool {
			var p *schemaDoc
			if !sc.schema(&p) {
				return false
			}
			v.Set(reflect.ValueOf(p))
			return true
		}
	case t.Kind() == reflect.Map || (t.Kind() == reflect.Interface && t.NumMethod() == 0):
		// Passed over, then decoded alone by the full decoder.
		return func(sc *fastScanner, v reflect.Value) bool {
			sc.ws()
			start := sc.i
			return sc.skipValue(0) && jsonv2.Unmarshal(sc.b[start:sc.i], v.Addr().Interface(), decodeOptions) == nil
		}
	case hasOwnDecoding(t):
		return nil
	}
	if p, ok := busy[t]; ok {
		return func(sc *fastScanner, v reflect.Value) bool { return *p != nil && (*p)(sc, v) }
	}
	switch t.Kind() {
	case reflect.String:
		return func(sc *fastScanner, v reflect.Value) bool {
			var s string
			if !sc.strValue(&s) {
				return false
			}
			v.SetString(s)
			return true
		}
	case reflect.Bool:
		return func(sc *fastScanner, v reflect.Value) bool {
			var b bool
			if !sc.boolean(&b) {
				return false
			}
			v.SetBool(b)
			return true
		}
	case reflect.Int:
		return func(sc *fastScanner, v reflect.Value) bool {
			var p *int
			if !sc.intPtr(&p) {
				return false
			}
			v.SetInt(int64(*p))
			return true
		}
	case reflect.Float64:
		return func(sc *fastScanner, v reflect.Value) bool {
			var p *float64
			if !sc.floatPtr(&p) {
				return false
			}
			v.SetFloat(*p)
			return true
		}
	case reflect.Pointer:
		elem := compileFast(t.Elem(), busy)
		if elem == nil {
			return nil
		}
		return func(sc *fastScanner, v reflect.Value) bool {
			p := reflect.New(t.Elem())
			v.Set(p)
			return elem(sc, p.Elem())
		}
	case reflect.Slice:
		elem := compileFast(t.Elem(), busy)
		if elem == nil {
			return nil
		}
		return func(sc *fastScanner, v reflect.Value) bool {
			return sc.array(func() { v.Set(reflect.MakeSlice(t, 0, 0)) }, func() bool {
				n := v.Len()
				if n == v.Cap() {
					grown := reflect.MakeSlice(t, n, max(4, 2*n))
					reflect.Copy(grown, v)
					v.Set(grown)
				}
				v.SetLen(n + 1)
				return elem(sc, v.Index(n))
			})
		}
	case reflect.Struct:
		return compileStruct(t, busy)
	}
	return nil
}

type fastField struct {
	index []int // of the field, through embedded structs
	bit   uint
	read  fastFunc
}

func compileStruct(t reflect.Type, busy map[reflect.Type]*fastFunc) fastFunc {
	self := new(fastFunc)
	busy[t] = self
	defer delete(busy, t)
	fields := map[string]fastField{}
	if !addFields(t, nil, fields, busy) || len(fields) > 64 {
		return nil
	}
	*self = func(sc *fastScanner, v reflect.Value) bool {
		var seen uint64
		return sc.object(func(key []byte) bool {
			f, ok := fields[string(key)]
			if !ok {
				return sc.skipValue(0) // not a member: ignored, as the full decoder ignores it
			}
			if seen&(1<<f.bit) != 0 {
				return false
			}
			seen |= 1 << f.bit
			return f.read(sc, v.FieldByIndex(f.index))
		})
	}
	return *self
}

// addFields adds t's members to fields, those of an embedded struct
// without a tag as its own (the full decoder inlines them); false when
// t has a field the fast path does not read, or a name twice.
func addFields(t reflect.Type, at []int, fields map[string]fastField, busy map[reflect.Type]*fastFunc) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		index := append(append([]int(nil), at...), i)
		switch {
		case tag == "-":
			continue
		case f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct:
			if !addFields(f.Type, index, fields, busy) {
				return false
			}
			continue
		case f.Anonymous || !f.IsExported() || !hasTag || tag == "" || strings.ContainsAny(tag, ","):
			return false
		}
		if _, twice := fields[tag]; twice {
			return false
		}
		read := compileFast(f.Type, busy)
		if read == nil {
			return false
		}
		fields[tag] = fastField{index: index, bit: uint(len(fields)), read: read}
	}
	return true
}
