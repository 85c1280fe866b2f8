package lint

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// gitTimes answers "when was this file last committed" from git, when the
// team directory is in a git work tree; ok is false otherwise (no git, not
// a repository, file never committed), and the check is then skipped.
type gitTimes struct {
	ctx   context.Context
	dir   string
	ok    bool
	cache map[string]time.Time
}

func newGitTimes(ctx context.Context, dir string) *gitTimes {
	g := &gitTimes{ctx: ctx, dir: dir, cache: map[string]time.Time{}}
	if dir == "" {
		return g
	}
	out, err := g.git("rev-parse", "--is-inside-work-tree")
	g.ok = err == nil && strings.TrimSpace(out) == "true"
	return g
}

// gitTimeout bounds one git command; a repository that slow is treated as
// no repository for the file (its check is skipped).
const gitTimeout = 10 * time.Second

func (g *gitTimes) git(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(g.ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	out, err := cmd.Output()
	return string(out), err
}

// last returns the commit time of the last commit touching file (relative
// to the team directory).
func (g *gitTimes) last(file string) (time.Time, bool) {
	if !g.ok {
		return time.Time{}, false
	}
	if t, ok := g.cache[file]; ok {
		return t, !t.IsZero()
	}
	out, err := g.git("log", "-1", "--format=%cI", "--", filepath.FromSlash(file))
	var t time.Time
	if err == nil {
		t, _ = time.Parse(time.RFC3339, strings.TrimSpace(out))
	}
	g.cache[file] = t
	return t, !t.IsZero()
}
