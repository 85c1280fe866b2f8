package strictyaml

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with an input file: where, which field, and
// what was expected.
type Problem struct {
	File      string
	Line, Col int
	Field     string
	Msg       string
}

// String renders file:line:col: field: message, leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteString(":")
		if p.Line > 0 {
			fmt.Fprintf(&b, "%d:", p.Line)
			if p.Col > 0 {
				fmt.Fprintf(&b, "%d:", p.Col)
			}
		}
		b.WriteString(" ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// At returns a problem positioned at node n (n may be nil).
func At(file string, n *yaml.Node, field, format string, args ...any) Problem {
	p := Problem{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Col = n.Line, n.Column
	}
	return p
}

// Problems is every problem found in some input; it is returned as the
// error, so callers see all of them, not the first only.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the problems by file, line and column, keeping the order of
// problems at the same place.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err sorts the problems and returns them as an error, or nil when there
// are none (a nil Problems in an error interface would not be nil).
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	ps.Sort()
	return ps
}

// Pos is where a value starts in its file. A struct field of type Pos is
// not read from YAML: the decoder sets it to the position of the
// struct's mapping.
type Pos struct{ Line, Col int }

// PosOf is the position of n; the zero Pos for nil.
func PosOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

// Scalar is implemented, on the pointer, by value types written as one
// YAML scalar (durations, dates, severities, matchers). A null leaves the
// value as it is; any other node than a scalar, or an error of
// ParseScalar, is the problem "expected <Expected()>, got <value>".
type Scalar interface {
	ParseScalar(s string) error
	Expected() string // what a valid value looks like, for messages
}

// Because returns an error whose text a problem shows after the value:
// `expected X, got "v" (text)`. ParseScalar returns it where the reason a
// well-formed value is refused is not obvious (a duration too long to
// hold); any other error of ParseScalar shows only what was expected.
func Because(text string) error { return &because{text} }

type because struct{ text string }

func (b *because) Error() string { return b.text }

// reason is the text to show after a refused scalar, or "".
func reason(err error) string {
	var b *because
	if errors.As(err, &b) {
		return " (" + b.text + ")"
	}
	return ""
}
