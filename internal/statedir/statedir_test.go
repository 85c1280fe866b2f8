package statedir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindUpward(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "ops", "features", "deep")
	require.NoError(t, os.MkdirAll(deep, 0o755))

	// No .drill anywhere below the temporary directory: the working
	// directory's own, not created.
	if !Find(filepath.Dir(root)).Exists() {
		d := Find(deep)
		require.Equal(t, deep, d.Root())
		require.False(t, d.Exists())
		require.NoDirExists(t, filepath.Join(deep, Name))
	}

	require.NoError(t, os.Mkdir(filepath.Join(root, Name), 0o755))
	for _, wd := range []string{root, filepath.Join(root, "ops"), deep, deep + "/"} {
		d := Find(wd)
		require.Equal(t, root, d.Root(), "from %s", wd)
		require.True(t, d.Exists())
	}

	// The nearest wins, as for .git.
	inner := filepath.Join(root, "ops")
	require.NoError(t, os.Mkdir(filepath.Join(inner, Name), 0o755))
	require.Equal(t, inner, Find(deep).Root())
	require.Equal(t, root, Find(root).Root())

	// A file named .drill is not a state folder.
	odd := filepath.Join(deep, "odd")
	require.NoError(t, os.MkdirAll(odd, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(odd, Name), nil, 0o644))
	require.Equal(t, inner, Find(odd).Root())
}

func TestGetwd(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, Name), 0o755))
	sub := filepath.Join(root, "a", "b")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	t.Chdir(sub)
	d, err := Getwd()
	require.NoError(t, err)
	// The temporary directory may sit behind a symbolic link (macOS).
	want, err := filepath.EvalSymlinks(root)
	require.NoError(t, err)
	got, err := filepath.EvalSymlinks(d.Root())
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestPaths(t *testing.T) {
	d := At("/srv/team/")
	require.Equal(t, "/srv/team", d.Root())
	require.Equal(t, "/srv/team/.drill", d.Path())
	require.Equal(t, "/srv/team/.drill/live.json", d.Live())
	require.Equal(t, "/srv/team/.drill/up.json", d.Up())
	require.Equal(t, "/srv/team/.drill/history.db", d.History())
	require.Equal(t, "/srv/team/.drill/exporters.yaml", d.Exporters())
	require.Equal(t, "/srv/team/.drill/other", d.File("other"))
	require.Equal(t, ".drill/history.db", Rel(HistoryFile))
}

func TestWrite(t *testing.T) {
	d := At(t.TempDir())
	require.False(t, d.Exists())
	require.NoError(t, Write(d.Up(), []byte("one\n")))
	require.True(t, d.Exists(), "Write creates the state folder")
	require.NoError(t, Write(d.Up(), []byte("two\n")))
	b, err := os.ReadFile(d.Up())
	require.NoError(t, err)
	require.Equal(t, "two\n", string(b))
	st, err := os.Stat(d.Up())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), st.Mode().Perm())
	entries, err := os.ReadDir(d.Path())
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")

	// A path whose directory cannot be made fails, and says so.
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	require.Error(t, Write(filepath.Join(blocker, Name, UpFile), []byte("x")))
}
