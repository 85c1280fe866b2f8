package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"

	"github.com/drillkit/drill/internal/teamfile"
	"go.yaml.in/yaml/v3"
)

// The limits of every YAML file drill reads. A file past one is refused
// with one problem naming the limit; nothing of it is decoded.
const (
	// MaxBytes bounds a file's size. drill's largest real files (an
	// escalation directory's people, a stub with long JSON bodies) are
	// tens of kilobytes; yaml.v3 holds about 200 bytes per node, so a
	// file at the limit costs at most a few hundred megabytes to parse.
	MaxBytes = teamfile.MaxYAML
	// MaxDepth bounds how deeply mappings and lists nest, aliases
	// expanded (a file's root is depth 1). It also ends alias cycles
	// (`a: &a [*a]`).
	MaxDepth = 64
	// MaxNodes bounds the values of one file with aliases expanded, so an
	// alias bomb (each alias repeating the one before ten times) ends in a
	// problem after a bounded walk instead of exhausting memory or time.
	// Real files hold a value per 10 bytes or so: a rule file at MaxBytes
	// holds about 100,000. Decoding MaxNodes values into plain values
	// takes about 0.2 s and 70 MB.
	MaxNodes = 1 << 18
)

// ReadFile reads a file for Parse through internal/teamfile: a regular
// file only (a named pipe or a device is refused without blocking or
// reading), of at most MaxBytes, without reading more than MaxBytes+1
// bytes of it. Links are followed: ReadFile is for files given on the
// command line; a team's files are read through ReadFileFS on a
// teamfile.Root's FS, which refuses links out of the team. A file
// refused is a Problems naming it; a file that does not exist is an
// error for which errors.Is(err, fs.ErrNotExist) holds.
func ReadFile(name string) ([]byte, error) {
	b, err := teamfile.ReadFile(name, name, MaxBytes)
	return b, readErr(err)
}

// ReadFileFS is ReadFile in fsys; file names the file in problems.
func ReadFileFS(fsys fs.FS, name, file string) ([]byte, error) {
	b, err := teamfile.ReadFS(fsys, name, file, MaxBytes)
	return b, readErr(err)
}

// readErr makes a file refused a problem; a missing file stays an error
// errors.Is can tell.
func readErr(err error) error {
	var te *teamfile.Error
	if err == nil || !errors.As(err, &te) || errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return Problems{{File: te.File, Msg: te.Msg}}
}

func tooLarge(file string) Problem {
	return Problem{File: file, Msg: teamfile.TooLarge(MaxBytes)}
}

// Parse parses one YAML document. An empty file (nothing but blanks and
// comments) yields a Doc with a nil Root and no problem; a file too
// large, binary or non-UTF-8 text, a syntax error, a second document, or
// a document past MaxDepth or MaxNodes is one problem and a Doc with a
// nil Root. The Doc is never nil.
func Parse(file string, data []byte) (*Doc, Problems) {
	doc, probs := parse(file, data)
	if doc == nil {
		doc = &Doc{File: file}
	}
	return doc, probs
}

func parse(file string, data []byte) (*Doc, Problems) {
	if len(data) > MaxBytes {
		return nil, Problems{tooLarge(file)}
	}
	if teamfile.Text(file, data, "YAML") != nil {
		return nil, Problems{{File: file, Msg: teamfile.NotText("YAML")}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Doc{File: file}, nil
		}
		return nil, atTab(YAMLError(file, err), data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Problems{{File: file, Line: extra.Line, Col: extra.Column, Msg: "a second YAML document; expected one document per file"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, atTab(YAMLError(file, err), data)
	}
	root := Resolve(&doc)
	w := &walk{}
	w.visit(root, 1)
	if w.over != nil {
		return nil, Problems{At(file, w.at, "", "%s", w.over)}
	}
	return &Doc{File: file, Root: root}, nil
}

// walk counts a document's nodes and depth with aliases expanded,
// stopping at the first limit passed.
type walk struct {
	nodes int
	over  error
	at    *yaml.Node
}

var (
	errDepth = fmt.Errorf("nested deeper than %d levels (aliases expanded); expected at most %d", MaxDepth, MaxDepth)
	errNodes = fmt.Errorf("more than %d values, aliases expanded; expected at most %d (an alias repeating aliases?)", MaxNodes, MaxNodes)
)

func (w *walk) visit(n *yaml.Node, depth int) {
	if n == nil || w.over != nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		w.visit(n.Alias, depth)
		return
	}
	w.nodes++
	switch {
	case w.nodes > MaxNodes:
		w.over, w.at = errNodes, n
		return
	case depth > MaxDepth:
		w.over, w.at = errDepth, n
		return
	}
	for _, c := range n.Content {
		w.visit(c, depth+1)
	}
}

// yamlLine matches the position yaml.v3 puts in front of its messages:
// "yaml: line 3: msg" for syntax errors, "line 3: msg" in a TypeError.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?(?:line (\d+): )?(.*)$`)

// yamlUnknown is yaml.v3's KnownFields message, in Go's words.
var yamlUnknown = regexp.MustCompile(`field (\S+) not found in type .+$`)

// YAMLError turns an error of yaml.v3 (a syntax error, or a TypeError
// listing several) into problems with their lines, an unknown field in
// the user's words (`unknown field "x"`, not "field x not found in type
// rulefmt.Rule"). It is the one place drill reads yaml.v3's messages: for
// the parser above, and for the errors rulefmt passes on from rule files.
func YAMLError(file string, err error) Problems {
	msgs := []string{err.Error()}
	syntax := true
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs, syntax = te.Errors, false
	}
	out := make(Problems, 0, len(msgs))
	for _, m := range msgs {
		p := Problem{File: file, Msg: m}
		if sm := yamlLine.FindStringSubmatch(strings.TrimSpace(m)); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Msg = sm[2]
		}
		p.Msg = yamlUnknown.ReplaceAllString(p.Msg, `unknown field "$1"`)
		if syntax {
			p.Msg = "invalid YAML: " + p.Msg
		}
		out = append(out, p)
	}
	return out
}

// atTab moves a tab error to the tab: yaml.v3 reports the line before
// the one holding the tab that breaks the indentation.
func atTab(ps Problems, data []byte) Problems {
	for i, p := range ps {
		if !strings.Contains(p.Msg, "tab character") || p.Line == 0 {
			continue
		}
		lines := strings.Split(string(data), "\n")
		for l := p.Line - 1; l < len(lines); l++ {
			indent := lines[l][:len(lines[l])-len(strings.TrimLeft(lines[l], " \t"))]
			if j := strings.IndexByte(indent, '\t'); j >= 0 {
				ps[i].Line, ps[i].Col = l+1, j+1
				break
			}
		}
	}
	return ps
}
