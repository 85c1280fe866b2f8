package team

import (
	"github.com/drillkit/drill/internal/yamlpos"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

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

// Problem is one thing wrong with the team's files: where, which field,
// and what was expected.
type Problem = yamlpos.Problem

// Problems is every problem found while loading; it is the error Load
// returns, so callers see all of them, not the first only.
type Problems = yamlpos.Problems
