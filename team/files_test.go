package team

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/teamfile"
)

// secretText is a file beside the team directory: it must never be read.
const secretText = "root:$6$s3cr3tHASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"

// cleanOnDisk writes the clean team into a new directory and returns it,
// with the path of a secret file outside it.
func cleanOnDisk(t *testing.T) (dir, secret string) {
	t.Helper()
	base := t.TempDir()
	dir = filepath.Join(base, "team")
	require.NoError(t, os.CopyFS(dir, cleanFS(t)))
	secret = filepath.Join(base, "shadow")
	require.NoError(t, os.WriteFile(secret, []byte(secretText), 0o600))
	return dir, secret
}

func problemsByFile(t *testing.T, err error) map[string]string {
	t.Helper()
	ps, ok := err.(Problems)
	require.True(t, ok, "%v", err)
	out := map[string]string{}
	for _, p := range ps {
		out[p.File] += p.Msg
	}
	return out
}

// The reproductions: a link to /dev/zero, a FIFO, a link to the
// process environment and to a secret outside the team. Each is one
// problem naming the file and what was expected, read nothing, blocked
// nothing, and the rest of the team still loads.
func TestLoadRefusesWhatIsNotATeamFile(t *testing.T) {
	dir, secret := cleanOnDisk(t)
	t.Setenv("DRILL_TEST_CANARY", "c4n4ry-in-env")
	f := func(p string) string { return filepath.Join(dir, filepath.FromSlash(p)) }
	require.NoError(t, os.Symlink("/dev/zero", f("features/zero.feature")))
	require.NoError(t, syscall.Mkfifo(f("features/pipe.feature"), 0o644))
	require.NoError(t, os.Symlink("/proc/self/environ", f("features/env.feature")))
	require.NoError(t, os.Symlink(secret, f("features/shadow.feature")))
	require.NoError(t, os.Symlink("../../shadow", f("runbooks/shadow.md")))
	require.NoError(t, os.Symlink(secret, f("alerts/shadow.yaml")))
	require.NoError(t, syscall.Mkfifo(f("escalation/pipe.yaml"), 0o644))
	// A link inside the team is followed.
	require.NoError(t, os.Symlink("cost-spike.feature", f("features/again.feature")))

	tm, err := Load(dir)
	require.Error(t, err)
	for _, leak := range []string{"s3cr3t", "daemon", "c4n4ry"} {
		require.NotContains(t, err.Error(), leak)
	}
	got := problemsByFile(t, err)
	realSecret, _ := filepath.EvalSymlinks(secret)
	out := func(target string) string {
		return `a symbolic link to "` + target + `", outside the team directory; expected a file inside it (drill reads nothing of a team from outside its directory)`
	}
	fifo := "not a regular file but a named pipe (FIFO); expected a regular file"
	require.Equal(t, map[string]string{
		"features/zero.feature":   out("/dev/zero"),
		"features/pipe.feature":   fifo,
		"features/env.feature":    out(mustEval(t, "/proc/self/environ")),
		"features/shadow.feature": out(realSecret),
		"runbooks/shadow.md":      out(realSecret),
		"alerts/shadow.yaml":      out(realSecret),
		"escalation/pipe.yaml":    fifo,
	}, got)
	require.NotNil(t, tm)
	require.Contains(t, tm.Features, "features/cost-spike.feature")
	require.Equal(t, tm.Features["features/cost-spike.feature"], tm.Features["features/again.feature"])
	require.NotEmpty(t, tm.Rules)
	require.NotEmpty(t, tm.Runbooks)
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	require.NoError(t, err)
	return r
}

// A team directory (features/) that is a link out of the team is one
// problem; nothing under it is read.
func TestLoadRefusesADirectoryLinkedOut(t *testing.T) {
	dir, secret := cleanOnDisk(t)
	elsewhere := filepath.Join(filepath.Dir(secret), "elsewhere")
	require.NoError(t, os.MkdirAll(elsewhere, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "x.feature"), []byte(secretText), 0o644))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "features")))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(dir, "features")))
	_, err := Load(dir)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cr3t")
	require.Contains(t, err.Error(), `drill.yaml: paths.features: cannot read "features": a symbolic link to "`+mustEval(t, elsewhere)+`", outside the team directory`)
}

// Each kind of file has its cap, named in the problem; binary content is
// "not a UTF-8 text file" for features too.
func TestLoadCapsAndTextPerKind(t *testing.T) {
	dir, _ := cleanOnDisk(t)
	w := func(p string, b []byte) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.FromSlash(p)), b, 0o644))
	}
	w("features/big.feature", []byte("Feature: big\n"+strings.Repeat("# x\n", teamfile.MaxFeature/4)))
	w("runbooks/big.md", []byte("---\nid: big\n---\n"+strings.Repeat("x", teamfile.MaxRunbook)))
	w("alerts/big.yaml", []byte("groups: []\n"+strings.Repeat("#", teamfile.MaxYAML)))
	w("features/bin.feature", []byte("Feature: \x00\xff\xfe"))
	_, err := Load(dir)
	require.Equal(t, map[string]string{
		"features/big.feature": "file too large: more than 262144 bytes; expected at most 256 KiB",
		"runbooks/big.md":      "file too large: more than 262144 bytes; expected at most 256 KiB",
		"alerts/big.yaml":      "file too large: more than 1048576 bytes; expected at most 1 MiB",
		"features/bin.feature": "not a UTF-8 text file; expected a Gherkin feature file",
	}, problemsByFile(t, err))
}

// A runbook saved with a UTF-8 byte-order mark reads as without one.
func TestRunbookWithByteOrderMark(t *testing.T) {
	dir, _ := cleanOnDisk(t)
	p := filepath.Join(dir, "runbooks", "provider-errors.md")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, append([]byte("\uFEFF"), b...), 0o644))
	tm, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, tm.Runbooks, 2)
	rb, err := ParseRunbook("r.md", append([]byte("\uFEFF"), b...))
	require.NoError(t, err)
	require.Equal(t, "r.md", rb.File)
}

// A missing directory on disk names the directory as drill.yaml writes
// it, not an absolute path.
func TestLoadMissingDirectoryOnDisk(t *testing.T) {
	dir, _ := cleanOnDisk(t)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "runbooks")))
	p := filepath.Join(dir, ConfigFile)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), "  runbooks: runbooks", "  runbooks: run-books", 1)), 0o644))
	_, err = Load(dir)
	require.EqualError(t, err, `drill.yaml:6:3: paths.runbooks: cannot read "run-books": no such file or directory`)
}
