package team

import (
	"github.com/drillkit/drill/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// Pos is where a value starts in its file.
type Pos = strictyaml.Pos

func posOf(n *yaml.Node) Pos { return strictyaml.PosOf(n) }

// Problem is one thing wrong with the team's files: where, which field,
// and what was expected.
type Problem = strictyaml.Problem

// Problems is every problem found while loading; it is the error Load
// returns, so callers see all of them, not the first only.
type Problems = strictyaml.Problems
