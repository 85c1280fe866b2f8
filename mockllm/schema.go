package mockllm

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// schemaDoc is a JSON Schema a request carries (a tool's parameters, a
// response format's schema) as a field of type *schemaDoc: nil when
// absent or null, as a map would be.
//
// Agents send the same tools with every request, and decoding their
// schemas into maps, and encoding them again to count their tokens, was
// most of what such a request cost (45 µs against 8 for a plain chat
// request). So a schema's bytes are looked up in schemaCache first and
// decoded, re-encoded and counted only when new. Each is a pure function
// of the bytes: a cached schema is what a fresh decode gives
// (TestSchemaCache). Its map is shared between requests and must not be
// changed; nothing in mockllm writes into a request's schema
// (lowerSchemaTypes copies).
type schemaDoc struct {
	m      map[string]any
	js     []byte // m as json.Marshal writes it
	tokens int    // CountTokens of js
}

// value is the schema's map, nil for none.
func (d *schemaDoc) value() map[string]any {
	if d == nil {
		return nil
	}
	return d.m
}

// tokenCount is the schema's tokens as encoding/json writes it: those of
// "null" for none.
func (d *schemaDoc) tokenCount() int {
	if d == nil {
		return 1
	}
	return d.tokens
}

// MarshalJSON writes the schema as json.Marshal writes its map.
func (d *schemaDoc) MarshalJSON() ([]byte, error) { return d.js, nil }

// schemaCache holds decoded schemas by their exact bytes: at most
// maxCachedSchemas of at most maxCachedSchemaBytes each. When full it is
// emptied, so that a stream of distinct schemas costs a decode each and
// no more memory (about 8 MiB at most, with the maps).
var schemaCache = struct {
	sync.RWMutex
	m map[string]schemaDoc
}{m: map[string]schemaDoc{}}

const (
	maxCachedSchemas     = 512
	maxCachedSchemaBytes = 16 << 10
)

var mapType = reflect.TypeFor[map[string]any]()

// UnmarshalJSONFrom decodes an object (null never comes here: the
// pointer is left nil), with a map's type error for anything else.
func (d *schemaDoc) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if k := dec.PeekKind(); k != '{' {
		if err := dec.SkipValue(); err != nil {
			return err
		}
		return &jsonv2.SemanticError{JSONKind: k, GoType: mapType}
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return err
	}
	doc, err := decodeSchema(raw)
	if se, ok := err.(*jsonv2.SemanticError); ok {
		se.JSONPointer = dec.StackPointer() + se.JSONPointer
	}
	*d = doc
	return err
}

// marshalsVerbatim says whether encoding/json writes s between its
// quotes as it is: no byte it escapes (quotes, backslashes, control
// characters, HTML's <, > and &, U+2028 and U+2029, invalid UTF-8).
func marshalsVerbatim(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return utf8.ValidString(s[i:]) && !strings.ContainsAny(s[i:], "\u2028\u2029")
		}
		if !jsonPlain[c] || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// UnmarshalJSON is the same for encoding/json (v1), which the decoder
// tests hold the request types to.
func (d *schemaDoc) UnmarshalJSON(raw []byte) error {
	doc, err := decodeSchema(raw)
	*d = doc
	return err
}

// decodeSchema decodes the object raw, from schemaCache when it was seen.
func decodeSchema(raw []byte) (schemaDoc, error) {
	schemaCache.RLock()
	doc, ok := schemaCache.m[string(raw)]
	schemaCache.RUnlock()
	if ok {
		return doc, nil
	}
	if err := jsonv2.Unmarshal(raw, &doc.m, decodeOptions); err != nil {
		return schemaDoc{}, err
	}
	doc.js, _ = json.Marshal(doc.m) // a decoded map always encodes
	doc.tokens = CountTokens(string(doc.js))
	if len(raw) <= maxCachedSchemaBytes {
		schemaCache.Lock()
		if len(schemaCache.m) >= maxCachedSchemas {
			clear(schemaCache.m)
		}
		schemaCache.m[string(raw)] = doc
		schemaCache.Unlock()
	}
	return doc, nil
}

// toolTokens counts a tool declaration's tokens as CountTokens counts
// json.Marshal of it, without encoding its schemas again: v is the
// declaration with its schema fields set to nil, schemas the schemas.
// A schema sits between a ':' and a ',' or '}', single tokens, so its
// tokens add to the rest's, in place of null's one.
func toolTokens(v any, schemas ...*schemaDoc) int {
	n, ok := declTokens(v)
	if !ok {
		b, _ := json.Marshal(v) // request types always encode
		n = CountTokens(string(b))
	}
	for _, s := range schemas {
		n += s.tokenCount() - 1
	}
	return n
}

// declTokens counts the tokens of json.Marshal of a declaration made of
// strings (and structs of them) and nil schemas without encoding it:
// the tokens of its skeleton, every string empty, which each type keeps,
// plus each string's own, as each sits between quotes, single tokens.
// ok is false for a value it cannot count so: a string encoding/json
// escapes, a type of other kinds or of tags with options.
func declTokens(v any) (n int, ok bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Struct {
		return 0, false
	}
	sk, seen := declSkeletons.Load(rv.Type())
	if !seen {
		sk = skeletonTokens(rv.Type())
		declSkeletons.Store(rv.Type(), sk)
	}
	if n = sk.(int); n < 0 {
		return 0, false
	}
	var strs func(v reflect.Value) bool
	strs = func(v reflect.Value) bool {
		for i := range v.NumField() {
			switch f := v.Field(i); f.Kind() {
			case reflect.String:
				if !marshalsVerbatim(f.String()) {
					return false
				}
				n += CountTokens(f.String())
			case reflect.Struct:
				if !strs(f) {
					return false
				}
			default: // a schema, set aside as nil by the caller
				if !f.IsNil() {
					return false
				}
			}
		}
		return true
	}
	return n, strs(rv)
}

// declSkeletons holds, for each declaration type, its skeleton's tokens
// (-1: not countable by declTokens). Request types are few.
var declSkeletons sync.Map

func skeletonTokens(t reflect.Type) int {
	var plain func(t reflect.Type) bool
	plain = func(t reflect.Type) bool {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if !f.IsExported() || f.Anonymous || tag == "" || tag == "-" || strings.Contains(tag, ",") {
				return false
			}
			switch {
			case f.Type.Kind() == reflect.String:
			case f.Type.Kind() == reflect.Struct:
				if !plain(f.Type) {
					return false
				}
			case f.Type == reflect.TypeFor[*schemaDoc]():
			default:
				return false
			}
		}
		return true
	}
	if !plain(t) {
		return -1
	}
	b, _ := json.Marshal(reflect.Zero(t).Interface())
	return CountTokens(string(b))
}
