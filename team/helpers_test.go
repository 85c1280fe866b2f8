package team

import (
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/testfs"
)

// refNow is the reference time of the tests: the next 28 days span both
// the US (Mar 8) and the EU (Mar 29) daylight-saving change.
var refNow = time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)

// cleanFS returns the clean team as an in-memory file system to mutate.
func cleanFS(t *testing.T) fstest.MapFS { return testfs.Copy(t, filepath.Join("testdata", "clean")) }

var replace = testfs.Replace

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
