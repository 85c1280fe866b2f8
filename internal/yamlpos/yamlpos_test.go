package yamlpos

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestProblemString(t *testing.T) {
	require.Equal(t, "drill.yaml:3:5: service.image: want a name", Problem{File: "drill.yaml", Line: 3, Col: 5, Field: "service.image", Msg: "want a name"}.String())
	require.Equal(t, "drill.yaml: missing", Problem{File: "drill.yaml", Msg: "missing"}.String())
	require.Equal(t, "f:2: x", Problem{File: "f", Line: 2, Msg: "x"}.String())
}

func TestProblemsSortAndError(t *testing.T) {
	ps := Problems{{File: "b", Line: 1, Msg: "3"}, {File: "a", Line: 9, Msg: "2"}, {File: "a", Line: 2, Col: 4, Msg: "1"}}
	ps.Sort()
	require.Equal(t, "a:2:4: 1\na:9: 2\nb:1: 3", ps.Error())
}

func TestNodes(t *testing.T) {
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte("a: &x [1]\nb: *x\nc: ~\nd: hi\n"), &doc))
	root := Resolve(&doc)
	require.Equal(t, yaml.MappingNode, root.Kind)
	require.Equal(t, "a list", Describe(Resolve(root.Content[3])))
	require.True(t, IsNull(root.Content[5]))
	require.Equal(t, "nothing", Describe(root.Content[5]))
	require.Equal(t, `"hi"`, Describe(root.Content[7]))
	require.Nil(t, Resolve(&yaml.Node{Kind: yaml.DocumentNode}))
	require.Equal(t, "a.b", Join("a", "b"))
	p := At("f", root.Content[6], "d", "want %s", "x")
	require.Equal(t, "f:4:1: d: want x", p.String())
}
