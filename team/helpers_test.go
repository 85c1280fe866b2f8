package team

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
)

// refNow is the reference time of the tests: the next 28 days span both
// the US (Mar 8) and the EU (Mar 29) daylight-saving change.
var refNow = time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)

// cleanFS returns the clean team as an in-memory file system to mutate.
func cleanFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := filepath.Join("testdata", "clean")
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

func replace(t *testing.T, m fstest.MapFS, file, old, new string) {
	t.Helper()
	f, ok := m[file]
	require.True(t, ok, "no file %s", file)
	require.Contains(t, string(f.Data), old, "in %s", file)
	f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
}

// Load lists every file it read, relative to the team directory.
func TestLoadListsFilesRead(t *testing.T) {
	tm, err := LoadFS(cleanFS(t), ".")
	require.NoError(t, err)
	require.Equal(t, ConfigFile, tm.Files[0])
	var want []string
	for p := range cleanFS(t) {
		switch filepath.Ext(p) {
		case ".yaml", ".md", ".feature":
			want = append(want, p)
		}
	}
	require.ElementsMatch(t, want, tm.Files)
}
