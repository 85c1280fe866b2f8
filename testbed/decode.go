package testbed

import (
	"fmt"
	"github.com/drillkit/drill/internal/yamlpos"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The decoder walks yaml.Node trees against Go types by their yaml tags.
// yaml.v3's Node.Decode neither rejects unknown fields (KnownFields is a
// Decoder option, and the sections arrive as nodes) nor reports columns,
// field paths or more than the first problem; the walk does all three.
type decoder struct {
	file  string
	probs Problems
	depth int
}

func (d *decoder) addf(n *yaml.Node, field, format string, args ...any) {
	p := Problem{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

var durationType = reflect.TypeOf(time.Duration(0))

// want says in words what a Go type accepts.
func want(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 500ms, 2s or 1m"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number ≥ 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(want(t.Elem()), "a ")
	case reflect.Map:
		return "a mapping of names to " + strings.TrimPrefix(want(t.Elem()), "a ")
	case reflect.Struct:
		return "a mapping with fields " + strings.Join(fieldNames(t), ", ")
	case reflect.Pointer:
		return want(t.Elem())
	}
	return t.String()
}

// fieldNames lists the yaml names of a struct's fields.
func fieldNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if n, ok := yamlName(t.Field(i)); ok {
			names = append(names, n)
		}
	}
	return names
}

func yamlName(f reflect.StructField) (string, bool) {
	if !f.IsExported() {
		return "", false
	}
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, true
}

// decode walks n into v (addressable), reporting every problem.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, field string) {
	n = resolve(n)
	if n == nil {
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > 64 {
		d.addf(n, field, "nested too deep")
		return
	}
	t := v.Type()
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			d.addf(n, field, "expected %s, got %s", want(t), kindName(n))
			return
		}
		dur, err := time.ParseDuration(n.Value)
		if err != nil || dur < 0 {
			d.addf(n, field, "expected %s, got %q", want(t), n.Value)
			return
		}
		v.SetInt(int64(dur))
		return
	case t.Kind() == reflect.Pointer:
		if isNull(n) {
			return
		}
		p := reflect.New(t.Elem())
		before := len(d.probs)
		d.decode(n, p.Elem(), field)
		if len(d.probs) == before {
			v.Set(p)
		}
		return
	case t.Kind() == reflect.Struct:
		d.decodeStruct(n, v, field)
		return
	case t.Kind() == reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.addf(n, field, "expected %s, got %s", want(t), kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", field, i))
		}
		v.Set(s)
		return
	case t.Kind() == reflect.Map:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.addf(n, field, "expected %s, got %s", want(t), kindName(n))
			return
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				d.addf(k, field, "expected a name as key, got %s", kindName(k))
				continue
			}
			if seen[k.Value] {
				d.addf(k, join(field, k.Value), "given twice")
				continue
			}
			seen[k.Value] = true
			e := reflect.New(t.Elem()).Elem()
			if old := v.MapIndex(reflect.ValueOf(k.Value).Convert(t.Key())); old.IsValid() {
				e.Set(old)
			}
			d.decode(val, e, join(field, k.Value))
			v.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
		}
		return
	}
	// A scalar.
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.addf(n, field, "expected %s, got %s", want(t), kindName(n))
		return
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if err != nil || n.Tag != "!!bool" {
			d.addf(n, field, "expected %s, got %q", want(t), n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 10, t.Bits())
		if err != nil {
			d.addf(n, field, "expected %s, got %q", want(t), n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 10, t.Bits())
		if err != nil {
			d.addf(n, field, "expected %s, got %q", want(t), n.Value)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, t.Bits())
		if err != nil || n.Tag == "!!str" {
			d.addf(n, field, "expected %s, got %q", want(t), n.Value)
			return
		}
		v.SetFloat(f)
	default:
		d.addf(n, field, "cannot be set from YAML (%s)", t)
	}
}

// decodeStruct decodes a mapping into a struct, rejecting unknown and
// repeated keys.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, field string) {
	t := v.Type()
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, field, "expected %s, got %s", want(t), kindName(n))
		return
	}
	index := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if name, ok := yamlName(t.Field(i)); ok {
			index[name] = i
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fi, ok := index[k.Value]
		if !ok || k.Kind != yaml.ScalarNode {
			d.addf(k, join(field, k.Value), "unknown field; expected one of %s", strings.Join(fieldNames(t), ", "))
			continue
		}
		if seen[k.Value] {
			d.addf(k, join(field, k.Value), "given twice")
			continue
		}
		seen[k.Value] = true
		d.decode(val, v.Field(fi), join(field, k.Value))
	}
}

// keyNode returns the key node of a mapping's field, for positions.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// valueNode returns the value node of a mapping's field.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolve(n.Content[i+1])
		}
	}
	return nil
}

// Problem is one thing wrong with the topology: where, which field, and
// what was expected.
type Problem = yamlpos.Problem

// Problems is every problem found in one topology, in file order. It is
// the error ParseTopology returns.
type Problems = yamlpos.Problems

var (
	resolve  = yamlpos.Resolve
	isNull   = yamlpos.IsNull
	kindName = yamlpos.Describe
	join     = yamlpos.Join
)
