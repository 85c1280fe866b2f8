package team

import (
	"os"
	"path/filepath"
)

// IsDir reports whether dir is a team directory: it holds an entry
// named drill.yaml. Whatever that entry is (a file, a link, a directory
// of that name), the team is there: Load then says what is wrong with
// it, instead of a search going on upward to another team or the demo.
func IsDir(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, ConfigFile))
	return err == nil
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
