package strictyaml

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/teamfile"
	"go.yaml.in/yaml/v3"
)

var (
	nodeType      = reflect.TypeOf(yaml.Node{})
	posType       = reflect.TypeOf(Pos{})
	durationType  = reflect.TypeOf(time.Duration(0))
	scalarType    = reflect.TypeOf((*Scalar)(nil)).Elem()
	decodableType = reflect.TypeOf((*Decodable)(nil)).Elem()
)

// ExpectedDuration is what a time.Duration field accepts, in messages: Go
// syntax, not negative. Types holding such a duration say the same.
const ExpectedDuration = "a duration such as 500ms, 2s or 1m"

// Decode parses data (see Parse) and decodes it strictly into v, a
// pointer, on top of what v already holds: fields the file does not
// name keep their values, so v may start from defaults. Every problem is
// returned, not the first only; the Doc (never nil; its Root is nil
// after a parse problem) is for the positions of later checks.
func Decode(file string, data []byte, v any) (*Doc, Problems) {
	doc, probs := Parse(file, data)
	if probs != nil {
		return doc, probs
	}
	return doc, doc.Decode(v)
}

// Decode decodes the document's root strictly into v, a pointer, as the
// package function does; problems name fields under d.Path. An empty
// document decodes as null: v keeps its values, and a struct's required
// fields are missing.
func (d *Doc) Decode(v any) Problems {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("strictyaml: Decode needs a non-nil pointer, got %T", v))
	}
	dec := &decoder{file: d.File}
	root := Resolve(d.Root)
	if root == nil {
		root = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: 1, Column: 1}
		if d.Root != nil {
			root.Line, root.Column = d.Root.Line, d.Root.Column
		}
	}
	dec.decode(root, rv.Elem(), d.Path)
	return dec.probs
}

// decoder walks a node tree against Go values by their yaml tags,
// recording a problem for every mismatch and going on with the siblings.
type decoder struct {
	file    string
	probs   Problems
	nodes   int
	depth   int
	stopped bool // a limit was passed: the walk is over
}

func (d *decoder) addf(n *yaml.Node, field, format string, args ...any) {
	d.probs = append(d.probs, At(d.file, n, field, format, args...))
}

// enter counts a node and a level of nesting against the limits; it
// returns the value node (aliases followed), or nil to skip it. Every
// enter that returns a node is paired with leave.
func (d *decoder) enter(n *yaml.Node, field string) *yaml.Node {
	if d.stopped {
		return nil
	}
	at := n
	if n = Resolve(n); n == nil {
		return nil
	}
	d.nodes++
	d.depth++
	switch {
	case d.nodes > MaxNodes:
		d.addf(at, field, "%s", errNodes)
	case d.depth > MaxDepth:
		d.addf(at, field, "%s", errDepth)
	default:
		return n
	}
	d.depth--
	d.stopped = true
	return nil
}

func (d *decoder) leave() { d.depth-- }

// decode fills v (settable) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, field string) {
	if n = d.enter(n, field); n == nil {
		return
	}
	d.value(n, v, field)
	d.leave()
}

// value decodes n, counted and resolved, into v.
func (d *decoder) value(n *yaml.Node, v reflect.Value, field string) {
	t := v.Type()
	switch {
	case t == nodeType:
		v.Set(reflect.ValueOf(*n))
		return
	case t.Kind() == reflect.Pointer && t.Elem() == nodeType:
		c := *n
		v.Set(reflect.ValueOf(&c))
		return
	case reflect.PointerTo(t).Implements(decodableType):
		v.Addr().Interface().(Decodable).DecodeYAML(&Cursor{d: d, n: n, field: field})
		return
	case reflect.PointerTo(t).Implements(scalarType):
		s := v.Addr().Interface().(Scalar)
		d.scalar(n, field, s.Expected(), s.ParseScalar)
		return
	case t == durationType:
		d.scalar(n, field, ExpectedDuration, func(s string) error {
			dur, err := time.ParseDuration(s)
			if err != nil || dur < 0 {
				return fmt.Errorf("bad duration")
			}
			v.SetInt(int64(dur))
			return nil
		})
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if IsNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), field)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.addf(n, field, "internal: cannot decode into %s", t)
			return
		}
		if x, ok := d.generic(n, field); ok {
			if x == nil {
				v.SetZero()
			} else {
				v.Set(reflect.ValueOf(x))
			}
		}
	case reflect.String:
		if d.shape(n, yaml.ScalarNode, field, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.addf(n, field, "expected true or false, got %s", Describe(n))
			return
		}
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, t.Bits())
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
			d.addf(n, field, "expected an integer, got %s", Describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 0, t.Bits())
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
			d.addf(n, field, "expected an integer of 0 or more, got %s", Describe(n))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := parseFloat(n.Value, t.Bits())
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || err != nil || math.IsNaN(f) {
			d.addf(n, field, "expected a number, got %s", Describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Slice:
		d.list(n, v, field)
	case reflect.Map:
		d.mapping(n, v, field)
	case reflect.Struct:
		d.structure(n, v, field)
	default:
		d.addf(n, field, "internal: cannot decode into %s", t)
	}
}

// parseFloat reads a number as YAML writes it: Go's syntax, and .inf,
// +.inf and -.inf (in any case the tag allows). NaN (.nan) is refused by
// the caller: no drill setting means "not a number".
func parseFloat(s string, bits int) (float64, error) {
	switch strings.ToLower(s) {
	case ".inf", "+.inf":
		return math.Inf(1), nil
	case "-.inf":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, bits)
}

// scalar decodes a scalar with parse; a null leaves the value as it is.
func (d *decoder) scalar(n *yaml.Node, field, expected string, parse func(string) error) {
	if !d.shape(n, yaml.ScalarNode, field, expected) {
		return
	}
	if err := parse(n.Value); err != nil {
		d.addf(n, field, "expected %s, got %s%s", expected, teamfile.Excerpt(n.Value), reason(err))
	}
}

// shape reports whether n is a node of kind to decode; a null is not,
// without a problem (the value keeps what it holds), any other kind is
// the problem "expected <what>, got ...".
func (d *decoder) shape(n *yaml.Node, kind yaml.Kind, field, what string) bool {
	if IsNull(n) {
		return false
	}
	if n.Kind != kind {
		d.addf(n, field, "expected %s, got %s", what, Describe(n))
		return false
	}
	return true
}

func (d *decoder) list(n *yaml.Node, v reflect.Value, field string) {
	if !d.shape(n, yaml.SequenceNode, field, "a list") {
		return
	}
	t := v.Type()
	s := reflect.MakeSlice(t, 0, len(n.Content))
	for i, c := range n.Content {
		item := Index(field, i)
		if IsNull(c) && t.Elem().Kind() != reflect.String {
			d.addf(c, item, "empty list item; expected a value")
			continue
		}
		e := reflect.New(t.Elem()).Elem()
		d.decode(c, e, item)
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

// mapping decodes a mapping into a map with string keys; entries are
// decoded on top of those v already holds, so a map may start from
// defaults.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, field string) {
	if !d.shape(n, yaml.MappingNode, field, "a mapping") {
		return
	}
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.addf(n, field, "internal: cannot decode into %s", t)
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(t, len(n.Content)/2))
	}
	d.entries(n, field, func(key string, k, val *yaml.Node) {
		kv := reflect.ValueOf(key).Convert(t.Key())
		e := reflect.New(t.Elem()).Elem()
		if old := v.MapIndex(kv); old.IsValid() {
			e.Set(old)
		}
		d.decode(val, e, Join(field, key))
		v.SetMapIndex(kv, e)
	})
}

// entries calls fn for every entry of mapping n whose key is a scalar
// given once, and records a problem for every other.
func (d *decoder) entries(n *yaml.Node, field string, fn func(key string, k, val *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := Resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.addf(n.Content[i], field, "expected a name as key, got %s", Describe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			d.addf(k, Join(field, k.Value), "duplicate key; first given at line %d", line)
			continue
		}
		seen[k.Value] = k.Line
		fn(k.Value, k, n.Content[i+1])
		if d.stopped {
			return
		}
	}
}

// structure decodes a mapping into a struct: unknown keys and missing
// required fields are problems; a null is an empty mapping.
func (d *decoder) structure(n *yaml.Node, v reflect.Value, field string) {
	si := fieldsOf(v.Type())
	if IsNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, field, "expected a mapping with fields %s, got %s", si.names, Describe(n))
		return
	}
	for _, p := range si.pos {
		v.FieldByIndex(p).Set(reflect.ValueOf(PosOf(n)))
	}
	seen := make([]bool, len(si.fields))
	d.entries(n, field, func(key string, k, val *yaml.Node) {
		i, ok := si.byName[key]
		if !ok {
			d.addf(k, Join(field, key), "unknown field; valid fields are: %s", si.names)
			return
		}
		seen[i] = true
		d.decode(val, v.FieldByIndex(si.fields[i].index), Join(field, key))
	})
	for i, f := range si.fields {
		if f.required && !seen[i] {
			d.addf(n, Join(field, f.name), "missing; this field is required")
		}
	}
}

// generic decodes n into plain Go values as yaml.v3 would into an any:
// map[string]any, []any, and scalars by their tags.
func (d *decoder) generic(n *yaml.Node, field string) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		good := true
		d.entries(n, field, func(key string, _, val *yaml.Node) {
			c := d.enter(val, Join(field, key))
			if c == nil {
				return
			}
			x, ok := d.generic(c, Join(field, key))
			d.leave()
			m[key], good = x, good && ok
		})
		return m, good
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		good := true
		for i, item := range n.Content {
			c := d.enter(item, Index(field, i))
			if c == nil {
				continue
			}
			x, ok := d.generic(c, Index(field, i))
			d.leave()
			s, good = append(s, x), good && ok
		}
		return s, good
	}
	var x any
	if err := n.Decode(&x); err != nil { // a scalar: no alias to expand
		d.addf(n, field, "expected a value, got %s: %v", Describe(n), err)
		return nil, false
	}
	return x, true
}
