package teamfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

const secret = "root:$6$s3cr3tHASH:19000:0:99999:7:::\n"

// team makes a team directory holding ok.feature and, beside it (outside
// the team), secret.txt.
func team(t *testing.T) (dir, outside string) {
	t.Helper()
	base := t.TempDir()
	dir = filepath.Join(base, "team")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "features"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "ok.feature"), []byte("Feature: ok\n"), 0o644))
	outside = filepath.Join(base, "secret.txt")
	require.NoError(t, os.WriteFile(outside, []byte(secret), 0o600))
	return dir, outside
}

func openRoot(t *testing.T, dir string) *Root {
	t.Helper()
	r, err := OpenRoot(dir)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

func requireRefused(t *testing.T, err error, file string, wants ...string) {
	t.Helper()
	var te *Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, file, te.File)
	for _, w := range wants {
		require.Contains(t, err.Error(), w)
	}
	require.NotContains(t, err.Error(), "s3cr3t")
}

func TestReadsARegularFileAndALinkInside(t *testing.T) {
	dir, _ := team(t)
	require.NoError(t, os.Symlink("ok.feature", filepath.Join(dir, "features", "alias.feature")))
	r := openRoot(t, dir)
	for _, name := range []string{"features/ok.feature", "features/alias.feature", filepath.Join(dir, "features", "ok.feature")} {
		b, err := r.ReadFile(name, name, MaxFeature)
		require.NoError(t, err, name)
		require.Equal(t, "Feature: ok\n", string(b))
	}
}

func TestRefusesDevZeroWithoutReadingIt(t *testing.T) {
	dir, _ := team(t)
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "features", "zero.feature")))
	r := openRoot(t, dir)
	_, err := r.ReadFile("features/zero.feature", "features/zero.feature", MaxFeature)
	requireRefused(t, err, "features/zero.feature", `a symbolic link to "/dev/zero", outside the team directory`)
	// Outside a team (a file given on the command line), it is refused as
	// a device, not read.
	_, err = ReadFile("/dev/zero", "zero.yaml", MaxYAML)
	requireRefused(t, err, "zero.yaml", "not a regular file but a character device; expected a regular file")
}

func TestAFIFONeverBlocks(t *testing.T) {
	dir, _ := team(t)
	p := filepath.Join(dir, "features", "pipe.feature")
	require.NoError(t, syscall.Mkfifo(p, 0o644))
	r := openRoot(t, dir)
	// With no writer, a blocking open would never return.
	_, err := r.ReadFile("features/pipe.feature", "features/pipe.feature", MaxFeature)
	requireRefused(t, err, "features/pipe.feature", "not a regular file but a named pipe (FIFO); expected a regular file")
	_, err = ReadFile(p, "pipe.yaml", MaxYAML)
	requireRefused(t, err, "pipe.yaml", "named pipe (FIFO)")
	_, err = ReadFS(r.FS(), "features/pipe.feature", "features/pipe.feature", MaxFeature)
	requireRefused(t, err, "features/pipe.feature", "named pipe (FIFO)")
}

func TestRefusesLinksOut(t *testing.T) {
	dir, outside := team(t)
	f := filepath.Join(dir, "features")
	require.NoError(t, os.Symlink("/proc/self/environ", filepath.Join(f, "env.feature")))
	require.NoError(t, os.Symlink(outside, filepath.Join(f, "shadow.feature")))
	require.NoError(t, os.Symlink("../../secret.txt", filepath.Join(f, "rel.feature")))
	// A directory on the way that leads out.
	require.NoError(t, os.Symlink(filepath.Dir(outside), filepath.Join(dir, "up")))
	r := openRoot(t, dir)
	for name, target := range map[string]string{
		"features/env.feature":    "/proc/self/environ",
		"features/shadow.feature": outside,
		"features/rel.feature":    outside,
		"up/secret.txt":           outside,
	} {
		b, err := r.ReadFile(name, name, MaxFeature)
		require.Nil(t, b)
		real, _ := filepath.EvalSymlinks(target)
		requireRefused(t, err, name, "a symbolic link to ", "outside the team directory; expected a file inside it")
		if !strings.HasPrefix(target, "/proc") {
			require.Contains(t, err.Error(), real)
		}
		_, err = ReadFS(r.FS(), name, name, MaxFeature)
		requireRefused(t, err, name, "outside the team directory")
	}
	_, err := r.ReadFile("../secret.txt", "x", MaxFeature)
	requireRefused(t, err, "x", `expected a path inside the team directory, got "../secret.txt"`)
	_, err = r.ReadFile(outside, "x", MaxFeature)
	requireRefused(t, err, "x", "expected a path inside the team directory")
}

func TestDanglingAndMissing(t *testing.T) {
	dir, _ := team(t)
	require.NoError(t, os.Symlink("gone.feature", filepath.Join(dir, "features", "dangling.feature")))
	r := openRoot(t, dir)
	_, err := r.ReadFile("features/dangling.feature", "features/dangling.feature", MaxFeature)
	requireRefused(t, err, "features/dangling.feature", "a symbolic link to nothing")
	_, err = r.ReadFile("features/none.feature", "features/none.feature", MaxFeature)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = ReadFS(r.FS(), "features/none.feature", "features/none.feature", MaxFeature)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = fs.Stat(r.FS(), "features/none.feature")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestCapIsTheLastByteRead(t *testing.T) {
	dir, _ := team(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "at.md"), []byte(strings.Repeat("a", 100)), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "over.md"), []byte(strings.Repeat("a", 101)), 0o644))
	r := openRoot(t, dir)
	b, err := r.ReadFile("at.md", "at.md", 100)
	require.NoError(t, err)
	require.Len(t, b, 100)
	_, err = r.ReadFile("over.md", "over.md", 100)
	requireRefused(t, err, "over.md", "file too large: more than 100 bytes; expected at most 100 bytes")
	_, err = ReadFile(filepath.Join(dir, "over.md"), "over.md", 100)
	requireRefused(t, err, "over.md", "more than 100 bytes")
	m := fstest.MapFS{"big.feature": {Data: make([]byte, MaxFeature+1)}}
	_, err = ReadFS(m, "big.feature", "big.feature", MaxFeature)
	requireRefused(t, err, "big.feature", "file too large: more than 262144 bytes; expected at most 256 KiB")
	require.Equal(t, "1 MiB", Size(MaxYAML))
}

func TestDirectoriesWalkThroughFS(t *testing.T) {
	dir, _ := team(t)
	r := openRoot(t, dir)
	var seen []string
	require.NoError(t, fs.WalkDir(r.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		seen = append(seen, p)
		return nil
	}))
	require.Equal(t, []string{".", "features", "features/ok.feature"}, seen)
	_, err := r.ReadFile("features", "features", MaxFeature)
	requireRefused(t, err, "features", "not a regular file but a directory")
	_, err = ReadFS(fstest.MapFS{"d/x": {}}, "d", "d", 10)
	requireRefused(t, err, "d", "a directory")
}

func TestExcerpt(t *testing.T) {
	require.Equal(t, `"short"`, Excerpt("short"))
	long := strings.Repeat("é", 100) // 200 bytes
	ex := Excerpt(long)
	require.True(t, strings.HasSuffix(ex, `"...`))
	require.Equal(t, `"`+strings.Repeat("é", 30)+`"...`, ex)
	require.Equal(t, `"\x00\x1b[2J"`, Excerpt("\x00\x1b[2J"))
	require.LessOrEqual(t, len(Excerpt(strings.Repeat("a", 10000))), ExcerptBytes+5)
}

func TestText(t *testing.T) {
	require.NoError(t, Text("a.md", []byte("héllo\n"), "a Markdown runbook"))
	for _, bad := range [][]byte{{0xff, 0xfe}, []byte("a\x00b")} {
		err := Text("a.md", bad, "a Markdown runbook")
		require.EqualError(t, err, "a.md: not a UTF-8 text file; expected a Markdown runbook")
	}
	require.True(t, errors.Is(&Error{Err: fs.ErrNotExist}, fs.ErrNotExist))
}

// endless is a reader that never ends, counting what it gave.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.n += len(p)
	return len(p), nil
}

func TestReadIsBounded(t *testing.T) {
	r := &endless{}
	_, err := read(r, "f.yaml", MaxYAML)
	require.Error(t, err)
	require.LessOrEqual(t, r.n, MaxYAML+1+bytes.MinRead, "an endless file is read no further than the limit")
	_, err = read(io.MultiReader(strings.NewReader("a: 1\n"), errReader{}), "f.yaml", MaxYAML)
	require.ErrorIs(t, err, errBoom)
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

func TestByteOrderMarkIsDropped(t *testing.T) {
	m := fstest.MapFS{"r.md": {Data: []byte("\uFEFF---\nid: x\n---\n")}}
	b, err := ReadFS(m, "r.md", "r.md", MaxRunbook)
	require.NoError(t, err)
	require.Equal(t, "---\nid: x\n---\n", string(b))
}
