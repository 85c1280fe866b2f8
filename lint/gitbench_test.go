package lint

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
)

// gitRepo writes team m under ops/ of a new git repository of commits
// commits, through git fast-import (seconds for thousands): the first
// commit adds the team and a src/ tree beside it; after it, every fourth
// commit edits a file of the team (its runbooks and rule files in turn),
// the others a file of src/. It returns the team's directory.
func gitRepo(tb testing.TB, m fstest.MapFS, commits int) string {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git not installed")
	}
	dir := tb.TempDir()
	git := func(stdin []byte, args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Stdin = bytes.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git(nil, "init", "-q", "-b", "main")
	var edits []string // the team files commits edit, in turn
	for p := range m {
		if strings.HasSuffix(p, ".md") || strings.HasPrefix(p, "alerts/") {
			edits = append(edits, p)
		}
	}
	slices.Sort(edits)
	content := map[string][]byte{}
	for p, f := range m {
		content[p] = f.Data
	}
	var s bytes.Buffer
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	blob := func(p string, data []byte) {
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", p, len(data), data)
	}
	for i := range commits {
		fmt.Fprintf(&s, "commit refs/heads/main\ncommitter t <t@example.com> %d +0000\ndata %d\n%s\n", base+int64(i)*3600, len(fmt.Sprint("c", i)), fmt.Sprint("c", i))
		switch {
		case i == 0:
			for _, p := range slices.Sorted(func(yield func(string) bool) {
				for p := range m {
					if !yield(p) {
						return
					}
				}
			}) {
				blob("ops/"+p, content[p])
			}
			for j := range 200 {
				blob(fmt.Sprintf("src/pkg%d/file%d.go", j%20, j), []byte("package p\n"))
			}
		case i%4 == 0:
			p := edits[(i/4)%len(edits)]
			comment := "# edit %d\n"
			if strings.HasSuffix(p, ".md") {
				comment = "\n<!-- edit %d -->\n"
			}
			content[p] = append(content[p], fmt.Sprintf(comment, i)...)
			blob("ops/"+p, content[p])
		default:
			j := i % 200
			blob(fmt.Sprintf("src/pkg%d/file%d.go", j%20, j), fmt.Appendf(nil, "package p\n// %d\n", i))
		}
	}
	git(s.Bytes(), "fast-import", "--quiet")
	git(nil, "reset", "--hard", "-q")
	return filepath.Join(dir, "ops")
}

// The one git log pass answers what `git log -1 -- FILE` answers, file by
// file, and the check finds the runbooks last changed before their rules.
func TestGitTimesOnePassMatchesGitLog(t *testing.T) {
	dir := gitRepo(t, genTeam(50, 30, 5), 400)
	tm, err := team.Load(dir)
	require.NoError(t, err)
	var files []string
	for _, rb := range tm.Runbooks {
		files = append(files, rb.File)
	}
	for _, r := range tm.Rules {
		files = append(files, r.File)
	}
	g := newGitTimes(context.Background(), dir, files)
	require.True(t, g.ok)
	for _, f := range files {
		out, err := exec.Command("git", "-C", dir, "log", "-1", "--format=%cI", "--", f).Output()
		require.NoError(t, err)
		want, err := time.Parse(time.RFC3339, strings.TrimSpace(string(out)))
		require.NoError(t, err, f)
		got, ok := g.lastChange(f)
		require.True(t, ok, f)
		require.True(t, want.Equal(got), "%s: git log -1 says %s, the pass %s", f, want, got)
	}
	_, ok := g.lastChange("runbooks/never-committed.md")
	require.False(t, ok)

	fs := checkTeam(tm, Options{Now: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), ExposedMetrics: []string{"http_requests"}})
	older := 0
	for _, f := range fs {
		if f.ID == "runbook-older-than-rule" {
			older++
		}
	}
	require.Positive(t, older, "the rule files were edited after some of their runbooks")

	// Outside a git work tree the check is skipped.
	out := t.TempDir()
	require.NoError(t, os.CopyFS(out, os.DirFS(dir)))
	require.False(t, newGitTimes(context.Background(), out, files).ok)
}

// BenchmarkLintGit lints a team of 500 alert rules (in 10 files) and 300
// runbooks in a git repository of 5,000 commits, the runbook-older-than-
// rule check reading its history (target: under 1 s; one git process per
// file took 8.8 s).
func BenchmarkLintGit(b *testing.B) {
	dir := gitRepo(b, genTeam(500, 300, 50), 5000)
	now := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)
	var n int
	for b.Loop() {
		tm, err := team.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for _, f := range checkTeam(tm, Options{Now: now, ExposedMetrics: []string{"http_requests"}}) {
			if f.ID == "runbook-older-than-rule" {
				n++
			}
		}
	}
	if n == 0 {
		b.Fatal("the generated history should leave runbooks older than their rules")
	}
	b.ReportMetric(float64(n), "older-runbooks")
}
