package team

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/drillkit/drill/internal/yamlpos"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The decoder here walks yaml.Node trees instead of using yaml.v3's own
// Decode, because yaml.v3 stops at the first type error and reports neither
// column nor field path. Walking the nodes lets Load name file, line,
// column and field of every problem, all at once.

// scalar is implemented by value types written as one YAML scalar
// (durations, dates, local times, severities).
type scalar interface {
	parseScalar(s string) error
	expected() string // what a valid value looks like, for messages
}

var (
	nodeType   = reflect.TypeOf(yaml.Node{})
	posType    = reflect.TypeOf(Pos{})
	scalarType = reflect.TypeOf((*scalar)(nil)).Elem()
)

// maxNodes bounds the work of one file so alias bombs end in a problem.
const maxNodes = 1 << 20

type decoder struct {
	file  string
	probs Problems
	nodes int
}

func (d *decoder) addf(n *yaml.Node, field, format string, args ...any) {
	p := Problem{File: d.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	d.probs = append(d.probs, p)
}

// parseYAML parses one YAML document into a node tree. Empty input yields
// nil with no problem; binary input, syntax errors and extra documents are
// problems.
// atTab moves a tab error to the tab: yaml.v3 reports the line before
// the one holding the tab that breaks the indentation.
func atTab(p Problem, data []byte) Problem {
	if !strings.Contains(p.Msg, "tab character") || p.Line == 0 {
		return p
	}
	lines := strings.Split(string(data), "\n")
	for i := p.Line - 1; i < len(lines); i++ {
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
		if j := strings.IndexByte(indent, '\t'); j >= 0 {
			p.Line, p.Col = i+1, j+1
			return p
		}
	}
	return p
}

func parseYAML(file string, data []byte) (*yaml.Node, Problems) {
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, Problems{{File: file, Msg: "not a UTF-8 text file; expected YAML"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, Problems{atTab(yamlProblem(file, err), data)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Problems{{File: file, Line: extra.Line, Col: extra.Column, Msg: "a second YAML document; expected one document per file"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Problems{yamlProblem(file, err)}
	}
	return &doc, nil
}

// decode fills v from n, recording a problem for every mismatch and
// continuing with the siblings.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	n = yamlpos.Resolve(n)
	if n == nil {
		return
	}
	d.nodes++
	if d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.addf(n, path, "document too large (more than %d nodes, aliases expanded)", maxNodes)
		}
		return
	}
	t := v.Type()
	if t == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if t.Kind() == reflect.Pointer {
		if isNull(n) {
			return
		}
		if t.Elem() == nodeType {
			c := *n
			v.Set(reflect.ValueOf(&c))
			return
		}
		nv := reflect.New(t.Elem())
		d.decode(n, nv.Elem(), path)
		v.Set(nv)
		return
	}
	if reflect.PointerTo(t).Implements(scalarType) {
		s := v.Addr().Interface().(scalar)
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "expected %s, got %s", s.expected(), describe(n))
			return
		}
		if err := s.parseScalar(n.Value); err != nil {
			why := ""
			if errors.Is(err, errTooLarge) {
				why = " (" + err.Error() + ")"
			}
			d.addf(n, path, "expected %s, got %q%s", s.expected(), n.Value, why)
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.addf(n, path, "expected a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.addf(n, path, "expected true or false, got %s", describe(n))
			return
		}
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.ParseInt(n.Value, 0, 32)
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
			d.addf(n, path, "expected an integer, got %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || err != nil || math.IsNaN(f) {
			d.addf(n, path, "expected a number, got %s", describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.addf(n, path, "expected a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(t, 0, len(n.Content))
		for i, c := range n.Content {
			field := fmt.Sprintf("%s[%d]", path, i)
			if isNull(yamlpos.Resolve(c)) && t.Elem().Kind() != reflect.String {
				d.addf(c, field, "empty list item; expected a value")
				continue
			}
			ev := reflect.New(t.Elem()).Elem()
			d.decode(c, ev, field)
			s = reflect.Append(s, ev)
		}
		v.Set(s)
	case reflect.Map:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.addf(n, path, "expected a mapping, got %s", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := yamlpos.Resolve(n.Content[i]), n.Content[i+1]
			if k == nil || k.Kind != yaml.ScalarNode {
				d.addf(n.Content[i], path, "expected a string key")
				continue
			}
			kv := reflect.ValueOf(k.Value)
			if m.MapIndex(kv).IsValid() {
				d.addf(k, join(path, k.Value), "duplicate key")
				continue
			}
			ev := reflect.New(t.Elem()).Elem()
			d.decode(val, ev, join(path, k.Value))
			m.SetMapIndex(kv, ev)
		}
		v.Set(m)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	default:
		d.addf(n, path, "internal: cannot decode into %s", t)
	}
}

type fieldInfo struct {
	index    int
	required bool
}

func structFields(t reflect.Type) (map[string]fieldInfo, []string) {
	fields := map[string]fieldInfo{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fields[name] = fieldInfo{index: i, required: f.Tag.Get("drill") == "required"}
		names = append(names, name)
	}
	return fields, names
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		n = &yaml.Node{Kind: yaml.MappingNode, Line: n.Line, Column: n.Column}
	}
	if n.Kind != yaml.MappingNode {
		d.addf(n, path, "expected a mapping, got %s", describe(n))
		return
	}
	t := v.Type()
	if f, ok := t.FieldByName("Pos"); ok && f.Type == posType {
		v.FieldByIndex(f.Index).Set(reflect.ValueOf(posOf(n)))
	}
	fields, names := structFields(t)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := yamlpos.Resolve(n.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			d.addf(n.Content[i], path, "expected a field name")
			continue
		}
		fi, ok := fields[k.Value]
		if !ok {
			d.addf(k, join(path, k.Value), "unknown field; valid fields are: %s", strings.Join(names, ", "))
			continue
		}
		if seen[k.Value] {
			d.addf(k, join(path, k.Value), "duplicate field")
			continue
		}
		seen[k.Value] = true
		d.decode(n.Content[i+1], v.Field(fi.index), join(path, k.Value))
	}
	var missing []string
	for _, name := range names {
		if fields[name].required && !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		d.addf(n, join(path, m), "missing; this field is required")
	}
}

// decodeFile parses data and decodes it strictly into v.
func decodeFile(file string, data []byte, v any) Problems {
	_, probs := decodeDoc(file, data, v)
	return probs
}

// decodeDoc is decodeFile that also returns the parsed document (nil for
// an empty file or a syntax error), for positions of later checks.
func decodeDoc(file string, data []byte, v any) (*yaml.Node, Problems) {
	doc, probs := parseYAML(file, data)
	if probs != nil {
		return nil, probs
	}
	d := &decoder{file: file}
	root := doc
	if root == nil {
		root = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: 1, Column: 1}
	}
	d.decode(root, reflect.ValueOf(v).Elem(), "")
	return doc, d.probs
}

var (
	isNull   = yamlpos.IsNull
	describe = yamlpos.Describe
	join     = yamlpos.Join
)
