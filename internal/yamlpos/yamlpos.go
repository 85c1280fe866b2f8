package yamlpos

import (
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

// Resolve follows document and alias nodes to the value node; nil when
// there is none (an empty document, or an alias cycle).
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 32; i++ {
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		case yaml.AliasNode:
			n = n.Alias
		default:
			return n
		}
	}
	return nil
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// Describe names what a node holds, for "want X, got Y" messages.
func Describe(n *yaml.Node) string {
	if IsNull(n) {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// Join appends a key to a dotted field path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
