package testbed

import (
	"github.com/drillkit/drill/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// decoder collects the problems of drill.yaml's topology sections:
// strictyaml decodes them (the same decoder as every YAML file drill
// reads), the checks below add what the types cannot say.
type decoder struct {
	file  string
	probs Problems
}

func (d *decoder) addf(n *yaml.Node, field, format string, args ...any) {
	d.probs = append(d.probs, strictyaml.At(d.file, n, field, format, args...))
}

// decode decodes section n (at field path field) strictly into v, a
// pointer.
func (d *decoder) decode(n *yaml.Node, v any, field string) {
	d.probs = append(d.probs, d.doc(n, field).Decode(v)...)
}

// doc is section n at field path field, for decoding and positions.
func (d *decoder) doc(n *yaml.Node, field string) *strictyaml.Doc {
	return &strictyaml.Doc{File: d.file, Root: n, Path: field}
}

// keyNode returns the key node of a mapping's field, for positions.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	k, _, found := strictyaml.Find(n, key)
	if !found {
		return nil
	}
	return k
}

// valueNode returns the value node of a mapping's field.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	_, v, found := strictyaml.Find(n, key)
	if !found {
		return nil
	}
	return v
}

// Problem is one thing wrong with the topology: where, which field, and
// what was expected.
type Problem = strictyaml.Problem

// Problems is every problem found in one topology, in file order. It is
// the error ParseTopology returns.
type Problems = strictyaml.Problems

var (
	resolve  = strictyaml.Resolve
	isNull   = strictyaml.IsNull
	kindName = strictyaml.Describe
)
