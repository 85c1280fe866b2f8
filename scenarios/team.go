package scenarios

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drillkit/drill/examples"
	"github.com/drillkit/drill/team"
)

// FindTeam returns the team directory: dir when given, else the nearest
// directory holding drill.yaml from cwd upward. found is false when there
// is neither.
func FindTeam(dir, cwd string) (path string, found bool, err error) {
	if dir != "" {
		if _, err := os.Stat(filepath.Join(dir, team.ConfigFile)); err != nil {
			return "", false, fmt.Errorf("--team %s: no %s there", dir, team.ConfigFile)
		}
		return dir, true, nil
	}
	for d := cwd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, team.ConfigFile)); err == nil {
			return d, true, nil
		}
		if filepath.Dir(d) == d {
			return "", false, nil
		}
	}
}

// ExtractDemo writes the embedded demo team (examples/acme-ml) into a new
// directory under tmp and returns its path; the caller removes it. Its
// runbooks and rule files then run from disk like any team's.
func ExtractDemo(tmp string) (string, error) {
	dir, err := os.MkdirTemp(tmp, "drill-acme-ml-")
	if err != nil {
		return "", err
	}
	src := examples.AcmeML()
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		return "", errors.Join(err, os.RemoveAll(dir))
	}
	return dir, nil
}
