package strictyaml

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestProblemString(t *testing.T) {
	require.Equal(t, "drill.yaml:3:5: service.image: want a name", Problem{File: "drill.yaml", Line: 3, Col: 5, Field: "service.image", Msg: "want a name"}.String())
	require.Equal(t, "drill.yaml: missing", Problem{File: "drill.yaml", Msg: "missing"}.String())
	require.Equal(t, "f:2: x", Problem{File: "f", Line: 2, Msg: "x"}.String())
	require.Equal(t, "a: b", Problem{Field: "a", Msg: "b"}.String())
}

func TestProblemsSortErrorAndErr(t *testing.T) {
	ps := Problems{{File: "b", Line: 1, Msg: "3"}, {File: "a", Line: 9, Msg: "2"}, {File: "a", Line: 2, Col: 4, Msg: "1"}}
	require.EqualError(t, ps.Err(), "a:2:4: 1\na:9: 2\nb:1: 3", "Err sorts")
	require.NoError(t, Problems(nil).Err(), "no problems is a nil error, not a nil Problems in an interface")
}

func TestNodeHelpers(t *testing.T) {
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("a: &x [1]\nb: *x\nc: ~\nd: hi\n"), &doc))
	root := Resolve(&doc)
	require.Equal(t, yaml.MappingNode, root.Kind)
	require.Equal(t, "a list", Describe(root.Content[3]), "an alias is described by what it stands for")
	require.True(t, IsNull(root.Content[5]))
	require.Equal(t, "nothing", Describe(root.Content[5]))
	require.Equal(t, `"hi"`, Describe(root.Content[7]))
	require.Nil(t, Resolve(&yaml.Node{Kind: yaml.DocumentNode}))
	require.Equal(t, "a.b", Join("a", "b"))
	require.Equal(t, "b", Join("", "b"))
	require.Equal(t, `a."two words"`, Join("a", "two words"), "a key that is not plain is quoted")
	require.Equal(t, "a[3]", Index("a", 3))
	require.Equal(t, "f:4:1: d: want x", At("f", root.Content[6], "d", "want %s", "x").String())
	require.Equal(t, Pos{4, 4}, PosOf(root.Content[7]))
	require.Equal(t, Pos{}, PosOf(nil))
}

func TestFind(t *testing.T) {
	doc, probs := Parse("f.yaml", []byte("prices:\n  gpt-4.1: {in: 1}\n  gpt-4: {in: 2}\nlist:\n  - a\n  - {b: c}\n\"two words\": {x: 1}\nalias: &a {k: v}\nref: *a\n"))
	require.Nil(t, probs)
	for _, c := range []struct {
		path      string
		line, col int
		found     bool
	}{
		{"prices.gpt-4.1.in", 2, 13, true}, // a key holding a dot
		{"prices.gpt-4.in", 3, 11, true},
		{"list[1].b", 6, 6, true},
		{"list[0]", 5, 5, true},
		{`"two words".x`, 7, 15, true},
		{"ref.k", 8, 12, true},        // through the alias
		{"prices.gpt-5", 1, 1, false}, // the deepest part written
		{"list[7]", 4, 1, false},
		{"nothing", 0, 0, false},
	} {
		k, _, found := Find(doc.Root, c.path)
		require.Equal(t, c.found, found, c.path)
		require.Equal(t, Pos{c.line, c.col}, PosOf(k), c.path)
	}
	require.True(t, doc.Has("list[1].b"))
	require.Nil(t, doc.Key("list[9]"))
	require.Equal(t, "c", doc.Value("list[1].b").Value)
	require.Equal(t, "f.yaml:2:3: prices.gpt-4.1: bad", doc.Problemf("prices.gpt-4.1", "bad").String())
	require.Equal(t, "f.yaml:2:12: prices.gpt-4.1: bad", doc.ValueProblemf("prices.gpt-4.1", "bad").String())
	require.Equal(t, "f.yaml:1:1: prices.gpt-9: missing", doc.Problemf("prices.gpt-9", "missing").String(), "a missing field is placed at its parent")

	sub := &Doc{File: "f.yaml", Root: doc.Value("list"), Path: "list"}
	require.True(t, sub.Has("list[1].b"), "a part of a document takes full field paths")
	require.False(t, sub.Has("prices"))
	var empty *Doc
	require.False(t, empty.Has("x"))
}

// A value a message quotes is a short escaped excerpt, whatever its size.
func TestQuotedValuesAreExcerpts(t *testing.T) {
	var v struct {
		N int `yaml:"n"`
	}
	long := strings.Repeat("s3cr3t\x1b", 100)
	_, probs := Decode("f.yaml", []byte("n: \""+strings.ReplaceAll(long, "\x1b", `\e`)+"\"\n"), &v)
	require.Len(t, probs, 1)
	require.Equal(t, `f.yaml:1:4: n: expected an integer, got "`+strings.Repeat(`s3cr3t\x1b`, 8)+`s3cr"...`, probs[0].String())
}
