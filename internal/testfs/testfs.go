// Package testfs gives tests a directory of fixtures as an in-memory file
// system to mutate, so that a test breaks one thing of a known-good team
// and sees what drill says of it. It is for tests only.
package testfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// Copy returns every regular file below root as a MapFS, by path relative
// to root.
func Copy(t testing.TB, root string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return nil
	})
	require.NoError(t, err)
	return m
}

// Replace replaces the first old in file with new, failing the test when
// the file or old is not there (a fixture that changed under the test).
func Replace(t testing.TB, m fstest.MapFS, file, old, new string) {
	t.Helper()
	f, ok := m[file]
	require.True(t, ok, "no file %s", file)
	require.Contains(t, string(f.Data), old, "in %s", file)
	f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
}
