package archtest

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Layer is one row of the document's layer table.
type Layer struct {
	Rank     int
	Name     string
	Patterns []string // package paths relative to the module; "x/..." is x and below
}

// Rules are the layers and the edges allowed within a layer.
type Rules struct {
	Layers  []Layer
	Allowed [][2]string // pattern → pattern
}

var (
	rowRe   = regexp.MustCompile(`^\|\s*(\d+)\s+([^|]+?)\s*\|([^|]*)\|`)
	tickRe  = regexp.MustCompile("`([^`]+)`")
	allowRe = regexp.MustCompile("`([^`]+)`\\s*→\\s*`([^`]+)`")
)

// ParseRules reads the layer table and allowed edges between the
// archtest markers of an architecture document.
func ParseRules(doc string) (Rules, error) {
	var r Rules
	section := ""
	sc := bufio.NewScanner(strings.NewReader(doc))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		switch s {
		case "<!-- archtest:layers -->":
			section = "layers"
			continue
		case "<!-- archtest:allowed -->":
			section = "allowed"
			continue
		case "<!-- /archtest:layers -->", "<!-- /archtest:allowed -->":
			section = ""
			continue
		}
		switch section {
		case "layers":
			m := rowRe.FindStringSubmatch(s)
			if m == nil {
				continue // header or separator row
			}
			rank, _ := strconv.Atoi(m[1])
			l := Layer{Rank: rank, Name: m[2]}
			for _, t := range tickRe.FindAllStringSubmatch(m[3], -1) {
				l.Patterns = append(l.Patterns, t[1])
			}
			if len(l.Patterns) == 0 {
				return r, fmt.Errorf("line %d: layer %d %s names no package", line, rank, l.Name)
			}
			r.Layers = append(r.Layers, l)
		case "allowed":
			for _, m := range allowRe.FindAllStringSubmatch(s, -1) {
				r.Allowed = append(r.Allowed, [2]string{m[1], m[2]})
			}
		}
	}
	if len(r.Layers) == 0 {
		return r, fmt.Errorf("no layer table between <!-- archtest:layers --> markers")
	}
	return r, sc.Err()
}

func matches(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// layerOf returns the layer of pkg and the pattern that placed it.
func (r Rules) layerOf(pkg string) (Layer, string, bool) {
	for _, l := range r.Layers {
		for _, p := range l.Patterns {
			if matches(p, pkg) {
				return l, p, true
			}
		}
	}
	return Layer{}, "", false
}

func (r Rules) allowed(from, to string) bool {
	for _, a := range r.Allowed {
		if matches(a[0], from) && matches(a[1], to) {
			return true
		}
	}
	return false
}

// Check returns one line per package the rules do not place and per import
// they forbid, in a stable order. graph maps each package (relative to the
// module) to the module's packages it imports.
func (r Rules) Check(graph map[string][]string) []string {
	var bad []string
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		lp, _, ok := r.layerOf(p)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: in no layer of docs/architecture.md; add it to the table", p))
			continue
		}
		for _, imp := range graph[p] {
			li, _, ok := r.layerOf(imp)
			if !ok {
				continue // reported as a package of its own
			}
			if li.Rank < lp.Rank || r.allowed(p, imp) {
				continue
			}
			bad = append(bad, fmt.Sprintf("%s (layer %d %s) imports %s (layer %d %s): a package may import lower layers only", p, lp.Rank, lp.Name, imp, li.Rank, li.Name))
		}
	}
	// Rows that name a package that is not there are stale.
	for _, l := range r.Layers {
		for _, pat := range l.Patterns {
			found := false
			for _, p := range pkgs {
				if matches(pat, p) {
					found = true
					break
				}
			}
			if !found {
				bad = append(bad, fmt.Sprintf("layer %d %s names %s, which is no package; remove it from the table", l.Rank, l.Name, pat))
			}
		}
	}
	return bad
}

// Graph reads the module at root: every directory holding non-test Go
// files is a package, and its imports of the module's own packages are
// its edges. Test files are left out: tests may reach up.
func Graph(root, module string) (map[string][]string, error) {
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if _, ok := graph[rel]; !ok {
			graph[rel] = nil
		}
		for _, is := range f.Imports {
			p, _ := strconv.Unquote(is.Path.Value)
			if q, ok := strings.CutPrefix(p, module+"/"); ok {
				graph[rel] = appendUnique(graph[rel], q)
			}
		}
		return nil
	})
	return graph, err
}

func appendUnique(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// ModuleRoot walks up from dir to the directory holding go.mod and returns
// it with the module path.
func ModuleRoot(dir string) (string, string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for _, l := range strings.Split(string(data), "\n") {
				if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
					return d, strings.TrimSpace(m), nil
				}
			}
			return "", "", fmt.Errorf("%s/go.mod has no module line", d)
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}
