package team

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFind(t *testing.T) {
	root := t.TempDir()
	teamDir := filepath.Join(root, "ops")
	deep := filepath.Join(teamDir, "features", "deep")
	require.NoError(t, os.MkdirAll(deep, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(teamDir, ConfigFile), []byte("team: {id: t}\n"), 0o644))

	for _, start := range []string{teamDir, deep, deep + "/"} {
		dir, ok := Find(start)
		require.True(t, ok, start)
		require.Equal(t, teamDir, dir, "from %s", start)
	}
	require.True(t, IsDir(teamDir))
	require.False(t, IsDir(deep))

	// Beside the team, not under it: nothing (as long as no directory
	// above the test's temporary one is a team).
	if _, above := Find(filepath.Dir(root)); !above {
		_, ok := Find(root)
		require.False(t, ok)
	}

	// The nearest wins: a team inside a team is found from within it.
	inner := filepath.Join(teamDir, "features")
	require.NoError(t, os.WriteFile(filepath.Join(inner, ConfigFile), []byte("team: {id: u}\n"), 0o644))
	dir, ok := Find(deep)
	require.True(t, ok)
	require.Equal(t, inner, dir)

	// A directory named drill.yaml is where the team is: Load says it
	// is not a file, instead of the search finding another team or none.
	odd := filepath.Join(root, "odd")
	require.NoError(t, os.MkdirAll(filepath.Join(odd, ConfigFile), 0o755))
	require.True(t, IsDir(odd))
	dir, ok = Find(odd)
	require.True(t, ok)
	require.Equal(t, odd, dir)
	_, err := Load(odd)
	require.EqualError(t, err, "drill.yaml: not a regular file but a directory; expected a regular file")
}
