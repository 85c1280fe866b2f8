package strictyaml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecode feeds the decoder arbitrary input, into a type holding every
// kind it decodes and into plain values: it must never panic, and every
// problem must name the file and say what is wrong on one line. Limits
// keep each input's time and memory bounded (see TestMaxNodes for the
// worst case).
func FuzzDecode(f *testing.F) {
	// Every kind of file drill reads, from the repository.
	for _, glob := range []string{
		"../../team/testdata/clean/*.yaml", "../../team/testdata/clean/escalation/*.yaml",
		"../../examples/*/drill.yaml", "../../stubs/kits/*.yaml", "../../stubs/testdata/bad/*.yaml",
		"../../mockllm/testdata/*.yaml", "../../gateway/testdata/*.yaml", "../../testbed/testdata/*.yaml",
		"../../testbed/testdata/bad/*.yaml", "../../examples/*/alerts/*.yaml", "../../examples/*/alerts/*/*.yaml",
		"../../examples/*/escalation/*.yaml", "../../alerting/testdata/ruletests/*.yaml",
	} {
		files, err := filepath.Glob(glob)
		require.NoError(f, err)
		for _, name := range files {
			b, err := os.ReadFile(name)
			require.NoError(f, err)
			f.Add(b)
		}
	}
	for _, s := range []string{
		"name: a\non: true\ncount: 3\nseed: 1\nrate: 1.5\nwait: 2s\ntags: [a]\nweights: {a: 1}\ninner: {name: b}\nlevel: low\neither: 3\nany: {a: [1]}\nraw: x\nitems: [{n: 1}, 2]\ntarget: x\nlabels: {a: b}\n",
		"a: &a [*a]\n",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n",
		"a:\n  b: 1\n\tc: 2\n",
		"a: 1\n---\nb: 2\n",
		"? [k]\n: v\n",
		"name: x\nname: y\n",
		"\x00\xff",
		"[[[[[[[[[[x]]]]]]]]]]",
		"any: !!binary aGk=\n",
		"count: 99999999999999999999\nseed: -0\nrate: .inf\n",
		"<<: {a: 1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(probs Problems) {
			for _, p := range probs {
				require.Equal(t, "f.yaml", p.File)
				require.NotEmpty(t, p.Msg)
				require.False(t, strings.ContainsAny(p.String(), "\n\r"), "one problem, one line: %q", p.String())
			}
		}
		var k kinds
		doc, probs := Decode("f.yaml", data, &k)
		check(probs)
		require.NotNil(t, doc)
		var v any
		check(doc.Decode(&v))
		for _, p := range probs {
			_ = doc.Problemf(p.Field, "again") // any field path a problem names can be looked up
		}
	})
}
