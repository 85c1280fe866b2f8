package strictyaml

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// level is a Scalar, as team's severities and durations are.
type level int

func (l *level) ParseScalar(s string) error {
	switch s {
	case "low":
		*l = 1
	case "high":
		*l = 2
	case "huge":
		return Because("levels stop at high")
	default:
		return errors.New("bad level")
	}
	return nil
}
func (*level) Expected() string { return "low or high" }

// either is a Decodable with two shapes: a bare number or {n: N}.
type either struct{ N int }

func (e *either) DecodeYAML(c *Cursor) {
	if c.Node().Kind == yaml.MappingNode {
		var m struct {
			N int `yaml:"n" drill:"required"`
		}
		if c.Decode(&m) {
			e.N = m.N
		}
		return
	}
	c.Decode(&e.N)
}

type scope struct {
	Target string `yaml:"target"`
	Hidden string `yaml:"hidden"`
}

type kinds struct {
	At       Pos
	Name     string            `yaml:"name" drill:"required"`
	On       bool              `yaml:"on"`
	Count    int               `yaml:"count"`
	Seed     uint64            `yaml:"seed"`
	Rate     float64           `yaml:"rate"`
	Wait     time.Duration     `yaml:"wait"`
	Tags     []string          `yaml:"tags"`
	Weights  map[string]int    `yaml:"weights"`
	Inner    *kinds            `yaml:"inner"`
	Level    level             `yaml:"level"`
	Either   either            `yaml:"either"`
	Any      any               `yaml:"any"`
	Raw      *yaml.Node        `yaml:"raw"`
	Items    []either          `yaml:"items"`
	Scope    scope             `yaml:",inline" drill:"omit=hidden"`
	Labels   map[string]string `yaml:"labels"`
	Untagged string
	Skipped  string `yaml:"-"`
}

const kindsFields = "name, on, count, seed, rate, wait, tags, weights, inner, level, either, any, raw, items, target, labels"

func TestDecodeEveryKind(t *testing.T) {
	src := `name: a
on: true
count: 0x10
seed: 7
rate: 2.5
wait: 1m30s
tags: [x, "", y]
weights: {b: 2}
inner: {name: in, level: low}
level: high
either: {n: 4}
any: {k: [1, two, 3.5, true, ~]}
raw: {anything: [goes]}
items: [1, {n: 2}]
target: t*
labels: {"a b": c}
`
	v := kinds{Weights: map[string]int{"a": 1}, Tags: []string{"old"}}
	doc, probs := Decode("f.yaml", []byte(src), &v)
	require.Nil(t, probs)
	require.Equal(t, Pos{1, 1}, v.At)
	require.Equal(t, "a", v.Name)
	require.True(t, v.On)
	require.Equal(t, 16, v.Count)
	require.Equal(t, uint64(7), v.Seed)
	require.Equal(t, 2.5, v.Rate)
	_, probs = Decode("f.yaml", []byte("name: a\nrate: -.inf\n"), &v)
	require.Nil(t, probs)
	require.True(t, math.IsInf(v.Rate, -1), "YAML's infinities are numbers")
	require.Equal(t, 90*time.Second, v.Wait)
	require.Equal(t, []string{"x", "", "y"}, v.Tags, "a list is replaced, not appended to")
	require.Equal(t, map[string]int{"a": 1, "b": 2}, v.Weights, "a map's entries are decoded on top of its defaults")
	require.Equal(t, "in", v.Inner.Name)
	require.Equal(t, level(1), v.Inner.Level)
	require.Equal(t, Pos{9, 8}, v.Inner.At)
	require.Equal(t, level(2), v.Level)
	require.Equal(t, 4, v.Either.N)
	require.Equal(t, map[string]any{"k": []any{1, "two", 3.5, true, nil}}, v.Any)
	require.Equal(t, yaml.MappingNode, v.Raw.Kind)
	require.Equal(t, []either{{1}, {2}}, v.Items)
	require.Equal(t, "t*", v.Scope.Target)
	require.Equal(t, map[string]string{"a b": "c"}, v.Labels)
	require.Equal(t, "f.yaml", doc.File)
}

func TestDecodeReportsEveryProblemAtOnce(t *testing.T) {
	src := `name: [a]
on: yes-ish
count: 1.5
seed: -1
rate: .nan
wait: -2s
tags: [x, [y]]
weights: {b: two, b: 3}
inner: {level: medium}
level: huge
either: {m: 1}
items: [~, {n: x}]
hidden: 1
colour: red
name: again
`
	var v kinds
	_, probs := Decode("f.yaml", []byte(src), &v)
	require.Equal(t, strings.Join([]string{
		`f.yaml:1:7: name: expected a string, got a list`,
		`f.yaml:2:5: on: expected true or false, got "yes-ish"`,
		`f.yaml:3:8: count: expected an integer, got "1.5"`,
		`f.yaml:4:7: seed: expected an integer of 0 or more, got "-1"`,
		`f.yaml:5:7: rate: expected a number, got ".nan"`,
		`f.yaml:6:7: wait: expected a duration such as 500ms, 2s or 1m, got "-2s"`,
		`f.yaml:7:11: tags[1]: expected a string, got a list`,
		`f.yaml:8:14: weights.b: expected an integer, got "two"`,
		`f.yaml:8:19: weights.b: duplicate key; first given at line 8`,
		`f.yaml:9:8: inner.name: missing; this field is required`,
		`f.yaml:9:16: inner.level: expected low or high, got "medium"`,
		`f.yaml:10:8: level: expected low or high, got "huge" (levels stop at high)`,
		`f.yaml:11:9: either.n: missing; this field is required`,
		`f.yaml:11:10: either.m: unknown field; valid fields are: n`,
		`f.yaml:12:9: items[0]: empty list item; expected a value`,
		`f.yaml:12:16: items[1].n: expected an integer, got "x"`,
		`f.yaml:13:1: hidden: unknown field; valid fields are: ` + kindsFields,
		`f.yaml:14:1: colour: unknown field; valid fields are: ` + kindsFields,
		`f.yaml:15:1: name: duplicate key; first given at line 1`,
	}, "\n"), probs.Err().Error())
}

func TestDecodeShapes(t *testing.T) {
	var v kinds
	_, probs := Decode("f.yaml", []byte("- a\n"), &v)
	require.EqualError(t, probs, "f.yaml:1:1: expected a mapping with fields "+kindsFields+`, got a list`)
	_, probs = Decode("f.yaml", []byte("weights: [1]\ntags: {a: b}\n? [k]\n: v\n"), &v)
	require.EqualError(t, probs.Err(), "f.yaml:1:1: name: missing; this field is required\n"+
		"f.yaml:1:10: weights: expected a mapping, got a list\n"+
		"f.yaml:2:7: tags: expected a list, got a mapping\n"+
		`f.yaml:3:3: expected a name as key, got a list`)
}

func TestDecodeNullAndEmpty(t *testing.T) {
	v := kinds{Name: "kept", Count: 3}
	doc, probs := Decode("f.yaml", []byte("# only a comment\n"), &v)
	require.EqualError(t, probs, "f.yaml:1:1: name: missing; this field is required", "an empty file is a null: required fields are missing")
	require.Nil(t, doc.Root)
	require.Equal(t, 3, v.Count, "an empty file keeps the defaults")

	v = kinds{Name: "kept", Count: 3, Wait: time.Second}
	_, probs = Decode("f.yaml", []byte("name:\nwait:\ninner:\ncount:\n"), &v)
	require.EqualError(t, probs, "f.yaml:4:7: count: expected an integer, got nothing", "a null number is a problem")
	require.Equal(t, "kept", v.Name, "a null string keeps its value")
	require.Equal(t, time.Second, v.Wait)
	require.Nil(t, v.Inner, "a null pointer stays nil")
}

func TestDecodeNeedsAPointer(t *testing.T) {
	require.Panics(t, func() { (&Doc{}).Decode(kinds{}) })
}

func TestDuplicateFieldNamesInlineShadowed(t *testing.T) {
	type inner struct {
		A string `yaml:"a"`
		B string `yaml:"b"`
	}
	type outer struct {
		A     int   `yaml:"a"`
		Inner inner `yaml:",inline"`
	}
	var v outer
	_, probs := Decode("f.yaml", []byte("a: 1\nb: x\nc: 2\n"), &v)
	require.EqualError(t, probs, "f.yaml:3:1: c: unknown field; valid fields are: a, b")
	require.Equal(t, outer{A: 1, Inner: inner{B: "x"}}, v)
}

func TestYAMLError(t *testing.T) {
	var v struct {
		A int `yaml:"a"`
	}
	dec := yaml.NewDecoder(strings.NewReader("a: x\nb: 1\n"))
	dec.KnownFields(true)
	err := dec.Decode(&v)
	require.Error(t, err)
	require.Equal(t, "f:1: cannot unmarshal !!str `x` into int\nf:2: unknown field \"b\"", YAMLError("f", err).Error())
	require.Equal(t, "f:3: invalid YAML: did not find expected key", YAMLError("f", errors.New("yaml: line 3: did not find expected key")).Error())
	require.Equal(t, "f: invalid YAML: something", YAMLError("f", errors.New("yaml: something")).Error())
}

func TestParseProblems(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"syntax", "a: [b\n", "f.yaml:1: invalid YAML: did not find expected ',' or ']'"},
		{"tab at the tab", "a:\n  b: 1\n\tc: 2\n", "f.yaml:3:1: invalid YAML: found a tab character that violates indentation"},
		{"second document", "a: 1\n---\nb: 2\n", "f.yaml:2:1: a second YAML document; expected one document per file"},
		{"syntax in the second document", "a: 1\n---\nb: [\n", "f.yaml:3: invalid YAML: did not find expected node content"},
		{"binary", "\x7fELF\x00\x01", "f.yaml: not a UTF-8 text file; expected YAML"},
		{"not UTF-8", "a: \xff\xfe\n", "f.yaml: not a UTF-8 text file; expected YAML"},
		{"unknown anchor", "a: *nope\n", "f.yaml: invalid YAML: unknown anchor 'nope' referenced"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, probs := Parse("f.yaml", []byte(c.src))
			require.EqualError(t, probs, c.want)
			require.NotNil(t, doc, "the document is never nil")
			require.Nil(t, doc.Root)
			var v map[string]any
			_, probs = Decode("f.yaml", []byte(c.src), &v)
			require.EqualError(t, probs, c.want, "Decode reports what Parse does")
		})
	}
}
