package strictyaml

import (
	"fmt"
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Decodable is implemented, on the pointer, by types whose YAML takes
// more than one shape (a bare duration or a mapping), or whose decoding
// needs the node (templates built from a tree in key order). DecodeYAML
// reads the value through the cursor, whose methods keep the decoder's
// rules: positions, field paths, limits, duplicate keys, every problem.
type Decodable interface {
	DecodeYAML(c *Cursor)
}

// Cursor is a value being decoded: its node, its field path, and the
// decoder collecting problems.
type Cursor struct {
	d     *decoder
	n     *yaml.Node
	field string
}

// Node is the value's node, aliases followed; not nil.
func (c *Cursor) Node() *yaml.Node { return c.n }

// Field is the value's field path, as problems name it.
func (c *Cursor) Field() string { return c.field }

// Pos is where the value starts.
func (c *Cursor) Pos() Pos { return PosOf(c.n) }

// IsNull reports whether the value is null.
func (c *Cursor) IsNull() bool { return IsNull(c.n) }

// Problemf records a problem at the value.
func (c *Cursor) Problemf(format string, args ...any) {
	c.d.addf(c.n, c.field, format, args...)
}

// Expected records "expected <what>, got <the value>".
func (c *Cursor) Expected(what string) {
	c.d.addf(c.n, c.field, "expected %s, got %s", what, Describe(c.n))
}

// Decode decodes the value into v, a pointer, with every rule of the
// decoder (a type decoding its mapping form decodes into a plain type
// without its DecodeYAML method). It reports whether that added no
// problem.
func (c *Cursor) Decode(v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("strictyaml: Cursor.Decode needs a non-nil pointer, got %T", v))
	}
	before := len(c.d.probs)
	c.d.value(c.n, rv.Elem(), c.field)
	return len(c.d.probs) == before
}

// Entries calls fn for each entry of a mapping, in order, with a cursor
// on its value; non-scalar and repeated keys are problems. A value that
// is not a mapping is the problem "expected <what>, got ..." and false.
func (c *Cursor) Entries(what string, fn func(key string, k Pos, val *Cursor)) bool {
	if c.n.Kind != yaml.MappingNode {
		c.Expected(what)
		return false
	}
	c.d.entries(c.n, c.field, func(key string, k, val *yaml.Node) {
		field := Join(c.field, key)
		if n := c.d.enter(val, field); n != nil {
			fn(key, PosOf(k), &Cursor{d: c.d, n: n, field: field})
			c.d.leave()
		}
	})
	return true
}

// Items calls fn for each item of a list, in order, with a cursor on it.
// A value that is not a list is the problem "expected <what>, got ..."
// and false.
func (c *Cursor) Items(what string, fn func(i int, item *Cursor)) bool {
	if c.n.Kind != yaml.SequenceNode {
		c.Expected(what)
		return false
	}
	for i, item := range c.n.Content {
		field := Index(c.field, i)
		if n := c.d.enter(item, field); n != nil {
			fn(i, &Cursor{d: c.d, n: n, field: field})
			c.d.leave()
		}
	}
	return true
}

// Key is the position of the key of field name in a mapping value, and
// whether it is written.
func (c *Cursor) Key(name string) (Pos, bool) {
	k, _, found := Find(c.n, name)
	if !found {
		return Pos{}, false
	}
	return PosOf(k), true
}

// At records a problem about the field name of a mapping value, placed
// at its key (at the mapping when it is not written).
func (c *Cursor) At(name, format string, args ...any) {
	n := c.n
	if k, _, found := Find(c.n, name); found {
		n = k
	}
	c.d.addf(n, Join(c.field, name), format, args...)
}

// Value is a cursor on the value of field name of a mapping value, for
// problems about it; it stands at the mapping when the field is not
// written. Its subtree was decoded already: Value is not counted again
// against the limits.
func (c *Cursor) Value(name string) *Cursor {
	n := c.n
	if _, v, found := Find(c.n, name); found && v != nil {
		n = v
	}
	return &Cursor{d: c.d, n: n, field: Join(c.field, name)}
}
