package docgen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const doc = `# Title

Prose before.

<!-- generated:table by go test ./x -update -->
| old | table |
<!-- /generated:table -->

<!-- generated:table-two -->
two
<!-- /generated:table-two -->
Prose after.
`

func TestSpliceReplacesOnlyThePart(t *testing.T) {
	got, err := Splice([]byte(doc), "table", "| new |\n|---|")
	require.NoError(t, err)
	require.Equal(t, `# Title

Prose before.

<!-- generated:table by go test ./x -update -->
| new |
|---|
<!-- /generated:table -->

<!-- generated:table-two -->
two
<!-- /generated:table-two -->
Prose after.
`, string(got))

	part, err := Part(got, "table")
	require.NoError(t, err)
	require.Equal(t, "| new |\n|---|\n", part)
	part, err = Part(got, "table-two")
	require.NoError(t, err)
	require.Equal(t, "two\n", part, "a name that extends another is its own part")

	got, err = Splice([]byte(doc), "table-two", "")
	require.NoError(t, err)
	require.Contains(t, string(got), "<!-- generated:table-two -->\n<!-- /generated:table-two -->\nProse after.")
}

func TestSpliceRefusesBadMarkers(t *testing.T) {
	for _, c := range []struct{ name, doc, part, want string }{
		{"no part", doc, "nope", "no <!-- generated:nope ...--> line"},
		{"bad name", doc, "Table 1", `generated part "Table 1": want a name`},
		{"twice", doc + "<!-- generated:table -->\n", "table", "is marked 2 times; want once"},
		{"unclosed", "<!-- generated:a -->\nx\n", "a", "has no <!-- /generated:a --> line after it"},
		{"closed twice", "<!-- generated:a -->\n<!-- /generated:a -->\n<!-- /generated:a -->\n", "a", "is written 2 times"},
		{"closed first", "<!-- /generated:a -->\n<!-- generated:a -->\n", "a", "comes before"},
		{"marker inside a line", "see <!-- generated:a -->\n<!-- /generated:a -->\n", "a", "no <!-- generated:a ...--> line"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Splice([]byte(c.doc), c.part, "x")
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestCheckFailsOnAStaleDocAndUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.md")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))

	require.NoError(t, Check(path, "table", "| old | table |\n", "go test ./x -update", false))
	err := Check(path, "table", "| new | table |\n", "go test ./x -update", false)
	require.ErrorIs(t, err, ErrStale)
	require.ErrorContains(t, err, "doc.md: generated part table is stale; run go test ./x -update")
	require.ErrorContains(t, err, "first difference, line 1:\n  doc:  \"| old | table |\"\n  code: \"| new | table |\"")
	b, _ := os.ReadFile(path)
	require.Equal(t, doc, string(b), "a check writes nothing")

	require.NoError(t, Check(path, "table", "| new | table |\n", "", true))
	require.NoError(t, Check(path, "table", "| new | table |\n", "", false), "an updated doc is current")
	b, _ = os.ReadFile(path)
	require.Contains(t, string(b), "Prose before.\n\n<!-- generated:table by go test ./x -update -->\n| new | table |\n<!-- /generated:table -->\n")

	require.ErrorContains(t, Check(filepath.Join(t.TempDir(), "none.md"), "table", "", "", false), "no such file")
}

func TestCheckFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gen.md")
	err := CheckFile(path, "a\nb\n", "go test ./y -update", false)
	require.ErrorContains(t, err, "run go test ./y -update to create it")
	require.NoError(t, CheckFile(path, "a\nb\n", "", true))
	require.NoError(t, CheckFile(path, "a\nb\n", "", false))
	err = CheckFile(path, "a\nc\nd\n", "go test ./y -update", false)
	require.ErrorIs(t, err, ErrStale)
	require.ErrorContains(t, err, "line 2:\n  doc:  \"b\"\n  code: \"c\"")
	err = CheckFile(path, "a\nb\nmore\n", "go test ./y -update", false)
	require.ErrorContains(t, err, "line 3:\n  doc:  \"\"\n  code: \"more\"")
}
