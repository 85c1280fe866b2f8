package team

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
)

// MaxTestScan is how many YAML files Load looks at for promtool rule tests
// outside paths.alerts. A team directory holding more (a monorepo's root)
// is a problem asking for paths.tests, never a walk without end.
const MaxTestScan = 10000

// skippedDirs are directories never searched for promtool tests: other
// tools' trees, never a team's own files.
var skippedDirs = map[string]bool{"node_modules": true, "vendor": true}

var (
	testKeyRuleFiles = regexp.MustCompile(`(?m)^rule_files[ \t]*:`)
	testKeyTests     = regexp.MustCompile(`(?m)^tests[ \t]*:`)
)

// looksLikeTest is the cheap look at a file's top-level keys before it is
// parsed: a promtool test file has both rule_files and tests.
func looksLikeTest(b []byte) bool {
	return testKeyRuleFiles.Match(b) && testKeyTests.Match(b)
}

// findTests adds the promtool rule-test files under paths.tests (by
// default the whole team directory) that paths.alerts did not already
// hold: a YAML file is one by its content (top-level rule_files and
// tests), wherever it lies. Directories whose names begin with a dot,
// node_modules and vendor are not searched, nor paths.escalation and
// drill.yaml, which are other kinds of file. Outside an explicit
// paths.tests a YAML file that cannot be read or parsed is not drill's and
// is passed over; one that has the two keys and does not parse is a
// problem, as is every unreadable file under an explicit paths.tests.
func (t *Team) findTests(fsys fs.FS, root string, rel func(string) string, alertFiles []string) Problems {
	cfg := t.Config
	var probs Problems
	dir, explicit := cfg.Paths.Tests, cfg.Paths.Tests != ""
	if !explicit {
		dir = "."
	}
	clean := path.Clean(dir)
	if !fs.ValidPath(clean) || path.IsAbs(dir) {
		return Problems{cfg.problem("paths.tests", fmt.Sprintf("expected a path inside the team directory, got %q", dir))}
	}
	seen := map[string]bool{path.Join(root, ConfigFile): true}
	for _, p := range alertFiles {
		seen[p] = true
	}
	skip := map[string]bool{}
	for _, d := range []string{cfg.Paths.Alerts, cfg.Paths.Escalation, cfg.Paths.Runbooks, cfg.Paths.Features} {
		if c := path.Clean(d); fs.ValidPath(c) && c != "." && c != clean {
			skip[path.Join(root, c)] = true
		}
	}
	full := path.Join(root, clean)
	scanned := 0
	var errTooMany = errors.New("too many files")
	err := fs.WalkDir(fsys, full, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if p == full {
				return err
			}
			return nil // an unreadable directory below: not drill's
		}
		name := e.Name()
		if e.IsDir() {
			if p != full && (strings.HasPrefix(name, ".") || skippedDirs[name] || skip[p]) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") || seen[p] || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			return nil
		}
		if scanned++; scanned > MaxTestScan {
			return errTooMany
		}
		b, err := teamfile.ReadFS(fsys, p, rel(p), strictyaml.MaxBytes)
		if err != nil {
			if explicit {
				probs = appendErr(probs, rel(p), err)
			}
			return nil
		}
		if !looksLikeTest(b) {
			return nil
		}
		doc, ps := strictyaml.Parse(rel(p), b)
		if ps != nil {
			probs = append(probs, ps...)
			return nil
		}
		if ruleFileKind(doc.Root) != "test" {
			return nil
		}
		t.Files = append(t.Files, rel(p))
		t.PromtoolTests = append(t.PromtoolTests, parsePromtoolTest(rel(p), doc.Root))
		return nil
	})
	switch {
	case errors.Is(err, errTooMany):
		probs = append(probs, cfg.problem("paths.tests", fmt.Sprintf("more than %d YAML files under %q to look through for promtool tests; set paths.tests to the directory that holds them", MaxTestScan, dir)))
	case err != nil && (explicit || !errors.Is(err, fs.ErrNotExist)):
		probs = append(probs, cfg.problem("paths.tests", fmt.Sprintf("cannot read %q: %v", dir, unwrapPath(err))))
	}
	return probs
}
