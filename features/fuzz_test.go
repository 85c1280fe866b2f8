package features

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Any bytes a pull request puts in a feature file either parse into
// scenarios whose steps Check can judge, or fail with positioned
// ParseErrors naming the file, at most maxSyntaxErrors of them; never a
// panic. Seeded with the built-in library and the demo team's features.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"builtin", filepath.Join("..", "examples", "acme-ml", "features")} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.feature"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("Feature: x\n  Scenario Outline: y\n    Given the drill clock runs at <s>\n    Examples:\n      | s |\n      | 0 |\n"))
	f.Add([]byte("\xff\xfe\x00binary"))
	f.Add([]byte("# language: fr\nFonctionnalité: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		scs, err := Parse("f.feature", data)
		if err != nil {
			var pe ParseErrors
			if errors.As(err, &pe) {
				require.NotEmpty(t, pe)
				for _, e := range pe {
					require.Equal(t, "f.feature", e.File)
					require.GreaterOrEqual(t, e.Line, 0)
				}
			} else {
				require.True(t, strings.HasPrefix(err.Error(), "f.feature"), "an error names the file: %v", err)
			}
			return
		}
		for _, p := range Check(scs) {
			require.Equal(t, "f.feature", p.File)
			require.Positive(t, p.Line)
		}
	})
}
