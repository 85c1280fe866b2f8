package archtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportsFollowTheArchitecture is the document's guard: the code's
// import graph must keep to docs/architecture.md's layers.
func TestImportsFollowTheArchitecture(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	root, module, err := ModuleRoot(wd)
	require.NoError(t, err)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	require.NoError(t, err)
	rules, err := ParseRules(string(doc))
	require.NoError(t, err)
	graph, err := Graph(root, module)
	require.NoError(t, err)
	require.Contains(t, graph, "cmd/drill", "the graph must see the whole module")
	require.Contains(t, graph, "scenarios")
	bad := rules.Check(graph)
	require.Empty(t, bad, "docs/architecture.md and the imports disagree:\n%s", strings.Join(bad, "\n"))
}

const sample = `
<!-- archtest:layers -->
| layer | packages | what |
|---|---|---|
| 0 base | ` + "`internal/...`, `timeline`" + ` | x |
| 1 parts | ` + "`team`, `scoring`" + ` | y |
| 2 top | ` + "`cmd/...`" + ` | z |
<!-- /archtest:layers -->
<!-- archtest:allowed -->
- ` + "`internal/...` → `internal/...`, `timeline` → `internal/...`" + `
<!-- /archtest:allowed -->
`

func TestCheckFindsForbiddenImports(t *testing.T) {
	rules, err := ParseRules(sample)
	require.NoError(t, err)
	require.Len(t, rules.Layers, 3)
	require.Equal(t, []string{"internal/...", "timeline"}, rules.Layers[0].Patterns)
	require.Equal(t, [][2]string{{"internal/...", "internal/..."}, {"timeline", "internal/..."}}, rules.Allowed)

	ok := map[string][]string{
		"internal/a": {"internal/b"}, // allowed within layer 0
		"internal/b": nil,
		"timeline":   {"internal/b"}, // allowed by the second edge
		"team":       {"timeline", "internal/a"},
		"scoring":    {"timeline"},
		"cmd/drill":  {"team", "scoring", "internal/b"},
	}
	require.Empty(t, rules.Check(ok))

	bad := map[string][]string{
		"internal/a": nil,
		"timeline":   {"team"},    // upward
		"team":       {"scoring"}, // same layer
		"scoring":    nil,
		"cmd/drill":  nil,
		"newpkg":     nil, // in no layer
	}
	got := rules.Check(bad)
	require.Len(t, got, 3, "%v", got)
	require.Contains(t, got[0], "newpkg: in no layer")
	require.Contains(t, got[1], "team (layer 1 parts) imports scoring (layer 1 parts)")
	require.Contains(t, got[2], "timeline (layer 0 base) imports team (layer 1 parts)")
}

func TestCheckFindsStaleRows(t *testing.T) {
	rules, err := ParseRules(sample)
	require.NoError(t, err)
	got := rules.Check(map[string][]string{"internal/a": nil, "team": nil, "scoring": nil, "cmd/drill": nil})
	require.Equal(t, []string{"layer 0 base names timeline, which is no package; remove it from the table"}, got)
}

func TestParseRulesNeedsATable(t *testing.T) {
	_, err := ParseRules("# no table here")
	require.ErrorContains(t, err, "no layer table")
}
