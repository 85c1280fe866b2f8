package teamfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// The caps on a file's size, by kind. A file past its cap is refused
// without reading more than cap+1 bytes of it.
const (
	// MaxYAML bounds every YAML file (drill.yaml, rules, escalation,
	// promtool tests, stubs, exporters, mockllm and gateway configs);
	// internal/strictyaml's MaxBytes is this cap.
	MaxYAML = 1 << 20
	// MaxRunbook bounds a runbook (.md). Real runbooks are a few
	// kilobytes; 256 KiB is a runbook of about a hundred pages.
	MaxRunbook = 256 << 10
	// MaxFeature bounds a feature file (.feature). Real ones are a few
	// kilobytes; gherkin holds a token per line, and a feature file is
	// parsed again by godog for every run.
	MaxFeature = 256 << 10
	// MaxSchema bounds a GraphQL schema or mutation file an exporters
	// file names: public schemas (GitLab's, Linear's) are a few MiB.
	MaxSchema = 16 << 20
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ExcerptBytes is the most of a file's content a message quotes.
const ExcerptBytes = 60

// Error is a team file drill refuses to read: File as the caller names
// it, Msg what is wrong and what was expected.
type Error struct {
	File string
	Msg  string
	// Err is the cause where there is one (fs.ErrNotExist for a missing
	// file), for errors.Is.
	Err error
}

func (e *Error) Error() string { return e.File + ": " + e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// TooLarge is the message of a file past max bytes.
func TooLarge(max int64) string {
	return fmt.Sprintf("file too large: more than %d bytes; expected at most %s", max, Size(max))
}

// Size renders a cap as people write it: 1 MiB, 256 KiB, 100 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Root is a team directory opened for reading its files.
type Root struct {
	dir  string // as given
	real string // absolute, every link resolved
	root *os.Root
}

// OpenRoot opens the team directory dir. The directory itself may be a
// link; the files read through the Root must lie inside its target.
func OpenRoot(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	return &Root{dir: dir, real: real, root: r}, nil
}

// Close releases the Root.
func (r *Root) Close() error { return r.root.Close() }

// Dir is the directory OpenRoot was given.
func (r *Root) Dir() string { return r.dir }

// Rel is name, a slash-separated path relative to the Root (or an
// absolute one), as a clean path relative to the Root, and false when it
// does not lie inside it (before links are resolved).
func (r *Root) Rel(name string) (string, bool) {
	if p := filepath.FromSlash(name); filepath.IsAbs(p) {
		return r.RelPath(p)
	}
	rel := path.Clean(name)
	return rel, fs.ValidPath(rel)
}

// RelPath is p, a path on disk (absolute, or relative to the working
// directory, as filepath.Join(Dir(), file) makes it), as a clean
// slash-separated path relative to the Root, and false when it does not
// lie inside it (before links are resolved).
func (r *Root) RelPath(p string) (string, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	dir, err := filepath.Abs(r.dir)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return "", false
	}
	rel = path.Clean(filepath.ToSlash(rel))
	return rel, fs.ValidPath(rel)
}

// ReadFile reads the regular file at name (a slash-separated path
// relative to the Root) of at most max bytes; file names it in errors.
func (r *Root) ReadFile(name, file string, max int64) ([]byte, error) {
	f, err := r.open(name, file, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(f, file, max)
}

// resolve returns name's path inside the Root with every link resolved,
// or an *Error: outside the Root, a link to nothing, a link out.
func (r *Root) resolve(name, file string) (string, error) {
	rel, ok := r.Rel(name)
	if !ok {
		return "", &Error{File: file, Msg: fmt.Sprintf("expected a path inside the team directory, got %q", name)}
	}
	full := filepath.Join(r.real, filepath.FromSlash(rel))
	if _, err := os.Lstat(full); err != nil {
		return "", fsError(file, err)
	}
	target, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", &Error{File: file, Msg: "a symbolic link to nothing (" + describe(err) + "); expected a file inside the team directory", Err: cause(err)}
	}
	in, err := filepath.Rel(r.real, target)
	if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) || filepath.IsAbs(in) {
		return "", &Error{File: file, Msg: fmt.Sprintf("a symbolic link to %q, outside the team directory; expected a file inside it (drill reads nothing of a team from outside its directory)", target)}
	}
	return filepath.ToSlash(in), nil
}

// open opens name for reading, a regular file (or a directory when dir
// is true) inside the Root.
func (r *Root) open(name, file string, dir bool) (*os.File, error) {
	in, err := r.resolve(name, file)
	if err != nil {
		return nil, err
	}
	// in has no links left: O_NOFOLLOW refuses one swapped in since, and
	// os.Root any on the way out of the directory.
	f, err := r.root.OpenFile(in, openFlags, 0)
	if err != nil {
		return nil, fsError(file, err)
	}
	if err := check(f, file, dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads the regular file at name (a path on disk; links are
// followed, wherever they lead: for a file given on the command line) of
// at most max bytes; file names it in errors.
func ReadFile(name, file string, max int64) ([]byte, error) {
	f, err := os.OpenFile(name, openFlags&^noFollow, 0)
	if err != nil {
		return nil, fsError(file, err)
	}
	defer f.Close()
	if err := check(f, file, false); err != nil {
		return nil, err
	}
	return read(f, file, max)
}

// ReadFS reads name in fsys, at most max bytes, refusing anything but a
// regular file; file names it in errors. Through FS, fsys is a Root.
func ReadFS(fsys fs.FS, name, file string, max int64) ([]byte, error) {
	if rf, ok := fsys.(rootFS); ok {
		return rf.r.ReadFile(name, file, max)
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fsError(file, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fsError(file, err)
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{File: file, Msg: notRegular(st.Mode())}
	}
	return read(f, file, max)
}

func check(f *os.File, file string, dir bool) error {
	st, err := f.Stat()
	if err != nil {
		return fsError(file, err)
	}
	if st.Mode().IsRegular() || dir && st.IsDir() {
		return nil
	}
	return &Error{File: file, Msg: notRegular(st.Mode())}
}

func read(r io.Reader, file string, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fsError(file, err)
	}
	if int64(len(data)) > max {
		return nil, &Error{File: file, Msg: TooLarge(max)}
	}
	// A byte-order mark (some Windows editors write one) is not content:
	// every parser would read it as the first line's text.
	return bytes.TrimPrefix(data, utf8BOM), nil
}

// notRegular says what a file that is not a regular file is.
func notRegular(m fs.FileMode) string {
	what := "a special file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a device"
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	}
	return "not a regular file but " + what + "; expected a regular file"
}

// fsError is an error of the file system as an *Error, without the
// path it repeats (an absolute path the user did not write).
func fsError(file string, err error) *Error {
	return &Error{File: file, Msg: describe(err), Err: cause(err)}
}

func cause(err error) error {
	var pe *fs.PathError
	for errors.As(err, &pe) {
		err = pe.Err
	}
	return err
}

// describe is an error of the file system without the path it repeats.
func describe(err error) string {
	err = cause(err)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}

// FS is the Root as an fs.FS, for walking its directories: Open resolves
// and checks as ReadFile does (regular files and directories only, no
// link out of the Root), and ReadFS through it reads as Root.ReadFile.
func (r *Root) FS() fs.FS { return rootFS{r} }

type rootFS struct{ r *Root }

func (f rootFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	file, err := f.r.open(name, name, true)
	if err != nil {
		var te *Error
		if errors.As(err, &te) && te.Err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: te.Err}
		}
		return nil, err
	}
	return file, nil
}

// Text checks that data is text: UTF-8 without NUL bytes. Its problem is
// "not a UTF-8 text file; expected <what>", the same for every parser.
func Text(file string, data []byte, what string) error {
	if utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 {
		return nil
	}
	return &Error{File: file, Msg: NotText(what)}
}

// NotText is the message of content that is not text.
func NotText(what string) string { return "not a UTF-8 text file; expected " + what }

// Excerpt quotes s for a message about content that could not be parsed:
// at most ExcerptBytes bytes of it (cut at a rune), escaped as Go's %q
// does, with "..." after the quote when it was cut.
func Excerpt(s string) string {
	if len(s) <= ExcerptBytes {
		return fmt.Sprintf("%q", s)
	}
	cut := ExcerptBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q...", s[:cut])
}
