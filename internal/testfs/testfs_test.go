package testfs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCopyAndReplace(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "a"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "f.yaml"), []byte("x: 1\nx: 1\n"), 0o644))
	m := Copy(t, dir)
	require.Len(t, m, 1)
	Replace(t, m, "a/f.yaml", "x: 1", "x: 2")
	require.Equal(t, "x: 2\nx: 1\n", string(m["a/f.yaml"].Data))
}
