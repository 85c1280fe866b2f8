package sandbox

import (
	"os"
	"path/filepath"
)

// Step is one runbook step to run in bwrap.
type Step struct {
	// Dir is the step's directory: the only place it may write, seen at
	// its own path. Workdir (inside Dir) is where it starts.
	Dir, Workdir string
	// Hide are directories the step sees empty (Hidden). Directories of
	// PATH inside one of them are given back read-only, so that tools
	// installed there still run; a PATH entry that is one of them is not.
	Hide []string
	// Env is the step's whole environment.
	Env []string
	// Args is the command; Args[0] is an absolute path.
	Args []string
}

// pathDirs returns the directories of PATH (from env) that lie strictly
// inside a hidden directory (and, where the step runs as nobody, that
// anyone may read).
func (s Step) pathDirs(asNobody bool) []string {
	var path string
	for _, kv := range s.Env {
		if len(kv) > 5 && kv[:5] == "PATH=" {
			path = kv[5:]
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range filepath.SplitList(path) {
		if !filepath.IsAbs(d) {
			continue
		}
		r, err := filepath.EvalSymlinks(d)
		if err != nil || seen[r] {
			continue
		}
		if st, err := os.Stat(r); err != nil || !st.IsDir() || (asNobody && !public(r)) {
			continue
		}
		inside := false
		for _, h := range s.Hide {
			if r == h {
				inside = false // a hidden directory is not given back whole
				break
			}
			inside = inside || within(r, h)
		}
		if inside {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// public reports whether anyone may list dir and reach it from "/".
func public(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		need := os.FileMode(0o001)
		if d == dir {
			need = 0o005
		}
		if st.Mode().Perm()&need != need {
			return false
		}
		if d == "/" {
			return true
		}
	}
}
