package team

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with the team's files: where, which field, and
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

// Problems is every problem found while loading; it is the error Load
// returns, so callers see all of them, not the first only.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
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

// Pos is where a value starts in its file.
type Pos struct{ Line, Col int }

func posOf(n *yaml.Node) Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{n.Line, n.Column}
}

var yamlLineRe = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// yamlProblem turns a yaml.v3 syntax error into a Problem with its line.
func yamlProblem(file string, err error) Problem {
	msg := err.Error()
	p := Problem{File: file, Msg: "invalid YAML: " + msg}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "invalid YAML: " + m[2]
	}
	return p
}
