package scenarios

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/drillkit/drill/examples"
	"github.com/drillkit/drill/internal/tempdir"
)

// ExtractDemo writes the embedded demo team (examples/acme-ml) into a new
// directory under tmp and returns its path; the caller removes it. Its
// runbooks and rule files then run from disk like any team's.
func ExtractDemo(tmp string) (string, error) {
	dir, err := tempdir.Make(tmp, "acme-ml") // swept by the next drill if this one is killed
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
