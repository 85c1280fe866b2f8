package team

import (
	"os"
	"path/filepath"
)

// IsDir reports whether dir is a team directory: it holds a drill.yaml
// that is a file (a directory of that name does not count).
func IsDir(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, ConfigFile))
	return err == nil && st.Mode().IsRegular()
}

// Find returns the team directory nearest start: start itself, else the
// first of its parents that IsDir. ok is false when none is. Every
// command that looks for the team when --team is not given asks Find, so
// they all find the same one.
func Find(start string) (dir string, ok bool) {
	for d := filepath.Clean(start); ; d = filepath.Dir(d) {
		if IsDir(d) {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}
