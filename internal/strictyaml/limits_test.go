package strictyaml

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// sized is a valid YAML file of exactly n bytes.
func sized(n int) []byte {
	b := []byte("a: ")
	b = append(b, bytes.Repeat([]byte("x"), n-len(b)-1)...)
	return append(b, '\n')
}

func TestMaxBytes(t *testing.T) {
	_, probs := Parse("f.yaml", sized(MaxBytes))
	require.Nil(t, probs, "a file of MaxBytes is read")
	_, probs = Parse("f.yaml", sized(MaxBytes+1))
	require.EqualError(t, probs, "f.yaml: file too large: more than 1048576 bytes; expected at most 1 MiB")

	dir := t.TempDir()
	ok, big := filepath.Join(dir, "ok.yaml"), filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(ok, sized(MaxBytes), 0o600))
	require.NoError(t, os.WriteFile(big, sized(MaxBytes+1), 0o600))
	data, err := ReadFile(ok)
	require.NoError(t, err)
	require.Len(t, data, MaxBytes)
	_, err = ReadFile(big)
	var ps Problems
	require.ErrorAs(t, err, &ps)
	require.EqualError(t, err, big+": file too large: more than 1048576 bytes; expected at most 1 MiB")
	_, err = ReadFile(filepath.Join(dir, "none.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)

	fsys := fstest.MapFS{"big.yaml": {Data: sized(MaxBytes + 1)}}
	_, err = ReadFileFS(fsys, "big.yaml", "team/big.yaml")
	require.EqualError(t, err, "team/big.yaml: file too large: more than 1048576 bytes; expected at most 1 MiB")
}

func TestReadRefusesWhatIsNotAFile(t *testing.T) {
	// The bounded read itself is teamfile's, tested there; a device is
	// refused before a byte of it is read.
	_, err := ReadFile("/dev/zero")
	require.EqualError(t, err, "/dev/zero: not a regular file but a character device; expected a regular file")
	_, err = ReadFile("/nonexistent/f.yaml")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// nested is depth levels of lists around a scalar (the scalar is one
// level deeper).
func nested(depth int) []byte {
	return []byte(strings.Repeat("[", depth-1) + "x" + strings.Repeat("]", depth-1) + "\n")
}

func TestMaxDepth(t *testing.T) {
	_, probs := Parse("f.yaml", nested(MaxDepth))
	require.Nil(t, probs, "nesting of MaxDepth levels is read")
	_, probs = Parse("f.yaml", nested(MaxDepth+1))
	require.EqualError(t, probs, fmt.Sprintf("f.yaml:1:%d: nested deeper than 64 levels (aliases expanded); expected at most 64", MaxDepth+1))

	_, probs = Parse("f.yaml", []byte("a: &a [*a]\n"))
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].Msg, "nested deeper than 64 levels", "an alias cycle ends at the depth limit")

	// Depth counts aliases expanded: 40 levels, an alias of it 40 deep.
	deep := strings.Repeat("[", 39) + "x" + strings.Repeat("]", 39)
	_, probs = Parse("f.yaml", []byte("a: &a "+deep+"\nb: "+strings.Repeat("[", 30)+"*a"+strings.Repeat("]", 30)+"\n"))
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].Msg, "nested deeper than 64 levels")
}

// bomb is a list holding copies times a list of 1023 scalars (the first
// anchored, the rest aliases of it) and extra scalars: 1 + copies·1024 +
// extra values, aliases expanded.
func bomb(copies, extra int) []byte {
	var b strings.Builder
	b.WriteString("- &a [" + strings.TrimSuffix(strings.Repeat("x,", 1023), ",") + "]\n")
	for i := 1; i < copies; i++ {
		b.WriteString("- *a\n")
	}
	for i := 0; i < extra; i++ {
		b.WriteString("- y\n")
	}
	return []byte(b.String())
}

func TestMaxNodes(t *testing.T) {
	copies := MaxNodes/1024 - 1
	extra := MaxNodes - 1 - copies*1024
	doc, probs := Parse("f.yaml", bomb(copies, extra))
	require.Nil(t, probs, "MaxNodes values, aliases expanded, are read")
	var v []any
	require.Nil(t, doc.Decode(&v))
	require.Len(t, v, copies+extra)

	_, probs = Parse("f.yaml", bomb(copies, extra+1))
	require.Len(t, probs, 1)
	require.Equal(t, "more than 262144 values, aliases expanded; expected at most 262144 (an alias repeating aliases?)", probs[0].Msg)
	require.Equal(t, copies+extra+1, probs[0].Line, "placed at the first value past the limit")

	// The classic bomb: ten levels of ten aliases each, 10^10 values.
	var b strings.Builder
	b.WriteString("a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 10), ","))
	}
	_, probs = Decode("f.yaml", []byte(b.String()), &v)
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].String(), "f.yaml:", "the bomb ends in one problem")
	require.Contains(t, probs[0].Msg, "aliases expanded; expected at most")
}

// The decoder counts too, for documents that did not come through Parse
// (a section of drill.yaml built in code).
func TestDecoderLimitsWithoutParse(t *testing.T) {
	var root yaml.Node
	require.NoError(t, yaml.Unmarshal(bomb(MaxNodes/1024, 1), &root))
	var v []any
	probs := (&Doc{File: "f.yaml", Root: &root}).Decode(&v)
	require.Len(t, probs, 1, "one problem, then the walk stops")
	require.Contains(t, probs[0].Msg, "aliases expanded; expected at most")

	require.NoError(t, yaml.Unmarshal(nested(MaxDepth+1), &root))
	probs = (&Doc{File: "f.yaml", Root: &root}).Decode(&v)
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].Msg, "nested deeper than 64 levels")

	var kv kinds
	require.NoError(t, yaml.Unmarshal([]byte("name: x\nany: &i [1, *i]\n"), &root))
	probs = (&Doc{File: "f.yaml", Root: &root}).Decode(&kv)
	require.Len(t, probs, 1, "an alias cycle in an any ends at the depth limit")
	require.Contains(t, probs[0].Msg, "nested deeper than 64 levels")

	var tr tree
	require.NoError(t, yaml.Unmarshal([]byte("&t {a: [1, *t]}\n"), &root))
	probs = (&Doc{File: "f.yaml", Root: &root}).Decode(&tr)
	require.Len(t, probs, 1, "a Decodable walking entries and items is counted as well")
	require.Contains(t, probs[0].Msg, "nested deeper than 64 levels")
}

// tree is a Decodable that walks its whole value with the cursor.
type tree struct{ leaves int }

func (t *tree) DecodeYAML(c *Cursor) {
	switch c.Node().Kind {
	case yaml.MappingNode:
		c.Entries("a mapping", func(_ string, _ Pos, v *Cursor) { t.DecodeYAML(v) })
	case yaml.SequenceNode:
		c.Items("a list", func(_ int, v *Cursor) { t.DecodeYAML(v) })
	default:
		t.leaves++
	}
}

func TestCursor(t *testing.T) {
	var tr tree
	_, probs := Decode("f.yaml", []byte("{a: [1, 2, {b: 3}], c: 4, a: 5}\n"), &tr)
	require.EqualError(t, probs, "f.yaml:1:27: a: duplicate key; first given at line 1")
	require.Equal(t, 4, tr.leaves)

	var e either
	_, probs = Decode("f.yaml", []byte("[1]\n"), &e)
	require.EqualError(t, probs, "f.yaml:1:1: expected an integer, got a list")
	var s struct {
		Sub shaped `yaml:"sub"`
	}
	_, probs = Decode("f.yaml", []byte("sub: {k: 1, m: [2]}\n"), &s)
	require.EqualError(t, probs.Err(), "f.yaml:1:6: sub.n: n is missing\n"+
		"f.yaml:1:6: sub: expected a list, got a mapping\n"+
		"f.yaml:1:7: sub.k: k is here\n"+
		"f.yaml:1:10: sub.k: k's value\n"+
		"f.yaml:1:16: sub.m: expected a scalar, got a list")
	require.Equal(t, shaped{field: "sub", pos: Pos{1, 6}, entries: true}, s.Sub)
}

// shaped reports through every placing method of the cursor.
type shaped struct {
	field         string
	pos           Pos
	null, entries bool
	items         bool
}

func (s *shaped) DecodeYAML(c *Cursor) {
	if _, ok := c.Key("k"); ok {
		c.At("k", "k is here")
		c.Value("k").Problemf("k's value")
	}
	if _, ok := c.Key("n"); !ok {
		c.At("n", "n is missing")
	}
	c.Value("m").Expected("a scalar")
	s.field, s.pos, s.null = c.Field(), c.Pos(), c.IsNull()
	s.entries = c.Entries("a mapping", func(string, Pos, *Cursor) {})
	s.items = c.Items("a list", func(int, *Cursor) {})
}
