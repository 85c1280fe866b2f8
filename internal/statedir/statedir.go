package statedir

import (
	"os"
	"path/filepath"
)

// Name is the state folder's name.
const Name = ".drill"

// The files of a state folder.
const (
	LiveFile      = "live.json"      // a running live drill's endpoint
	UpFile        = "up.json"        // a running drill up's control API
	HistoryFile   = "history.db"     // the run history
	ExportersFile = "exporters.yaml" // the exporters, written by the team
)

// Dir is one state folder.
type Dir struct {
	root string // the directory holding .drill
}

// At is the state folder of root: root/.drill, whether or not it exists.
func At(root string) Dir { return Dir{root: filepath.Clean(root)} }

// Find returns the state folder of a command working in wd: the nearest
// .drill directory from wd upward, else wd/.drill. wd should be absolute
// (os.Getwd); a relative one is searched only as far as it goes.
func Find(wd string) Dir {
	for d := filepath.Clean(wd); ; d = filepath.Dir(d) {
		if st, err := os.Stat(filepath.Join(d, Name)); err == nil && st.IsDir() {
			return At(d)
		}
		if filepath.Dir(d) == d {
			return At(wd)
		}
	}
}

// Getwd is Find from the process's working directory.
func Getwd() (Dir, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Dir{}, err
	}
	return Find(wd), nil
}

// Root is the directory holding the state folder.
func (d Dir) Root() string { return d.root }

// Path is the state folder itself.
func (d Dir) Path() string { return filepath.Join(d.root, Name) }

// Exists reports whether the state folder is there.
func (d Dir) Exists() bool {
	st, err := os.Stat(d.Path())
	return err == nil && st.IsDir()
}

// File is the path of name in the state folder.
func (d Dir) File(name string) string { return filepath.Join(d.root, Name, name) }

// Live is the path of live.json.
func (d Dir) Live() string { return d.File(LiveFile) }

// Up is the path of up.json.
func (d Dir) Up() string { return d.File(UpFile) }

// History is the path of the history database.
func (d Dir) History() string { return d.File(HistoryFile) }

// Exporters is the path of the exporters file.
func (d Dir) Exporters() string { return d.File(ExportersFile) }

// Rel is name's path relative to the directory holding the state folder
// (".drill/history.db"), for help texts and defaults shown to people.
func Rel(name string) string { return filepath.Join(Name, name) }

// Write replaces the file at path with data atomically: it writes a
// temporary file beside it and renames it over path, creating the
// directory first. A reader sees the old file or the new one, never half.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
	}
	return werr
}
