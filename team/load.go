package team

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
)

// Team is a loaded ops directory.
type Team struct {
	// Dir is the directory given to Load; empty when loaded with LoadFS.
	// Lint's git-history check needs it.
	Dir           string
	Config        *Config
	Rules         []*AlertRule // alerting and recording rules, in file order
	PromtoolTests []*PromtoolTest
	Runbooks      []*Runbook
	Escalation    *Escalation
	// Alertmanager is paths.alertmanager loaded; nil when drill.yaml
	// names none (the escalation routes: route then).
	Alertmanager *Alertmanager
	Features     map[string]string // .feature file → its text
	// Files is every file Load read, relative to the team directory, in
	// the order read: drill.yaml, then the alert, runbook, escalation and
	// feature files.
	Files []string

	byID    map[string]*Runbook // lower-case id and file base name
	byAlert map[string][]*Runbook
}

// Load reads the team in dir (the directory holding drill.yaml). Its error
// is a Problems listing everything wrong, not the first problem only.
//
// Every file is read through internal/teamfile: regular files only (a
// named pipe, a device or a directory where a file is expected is a
// problem, and nothing blocks), no link whose target leaves dir, and at
// most a cap of bytes per kind of file (teamfile.MaxYAML for YAML,
// MaxRunbook for runbooks, MaxFeature for feature files).
func Load(dir string) (*Team, error) {
	root, err := teamfile.OpenRoot(dir)
	if err != nil {
		return nil, Problems{{File: dir, Msg: "cannot read the team directory: " + unwrapPath(err).Error()}}
	}
	defer root.Close()
	t, err := LoadFS(root.FS(), ".")
	if t != nil {
		t.Dir = dir
	}
	return t, err
}

// LoadFS reads the team at root in fsys, so a team can be embedded in the
// binary. File names in problems are relative to root.
func LoadFS(fsys fs.FS, root string) (*Team, error) {
	rel := func(p string) string {
		r := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		if root == "." || root == "" {
			return p
		}
		return r
	}
	var probs Problems
	data, err := strictyaml.ReadFileFS(fsys, path.Join(root, ConfigFile), ConfigFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Problems{{File: ConfigFile, Msg: "not found; a team directory needs a drill.yaml"}}
		}
		var ps Problems
		if errors.As(err, &ps) {
			return nil, ps
		}
		return nil, Problems{{File: ConfigFile, Msg: err.Error()}}
	}
	cfg, err := ParseConfig(ConfigFile, data)
	probs = appendErr(probs, ConfigFile, err)
	t := &Team{Config: cfg, Escalation: &Escalation{}, Features: map[string]string{}, Files: []string{ConfigFile}}

	type dirSpec struct {
		field, dir, def string
		exts            []string
	}
	dirs := []dirSpec{
		{"paths.alerts", cfg.Paths.Alerts, "alerts", []string{".yaml", ".yml"}},
		{"paths.runbooks", cfg.Paths.Runbooks, "runbooks", []string{".md"}},
		{"paths.escalation", cfg.Paths.Escalation, "escalation", []string{".yaml", ".yml"}},
		{"paths.features", cfg.Paths.Features, "features", []string{".feature"}},
	}
	files := make([][]string, len(dirs))
	for i, d := range dirs {
		clean := path.Clean(d.dir)
		if !fs.ValidPath(clean) || path.IsAbs(d.dir) {
			probs = append(probs, cfg.problem(d.field, fmt.Sprintf("expected a path inside the team directory, got %q", d.dir)))
			continue
		}
		full := path.Join(root, clean)
		err := fs.WalkDir(fsys, full, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				return nil
			}
			for _, ext := range d.exts {
				if strings.HasSuffix(e.Name(), ext) {
					files[i] = append(files[i], p)
				}
			}
			return nil
		})
		if err != nil && !(errors.Is(err, fs.ErrNotExist) && clean == d.def) {
			probs = append(probs, cfg.problem(d.field, fmt.Sprintf("cannot read %q: %v", d.dir, unwrapPath(err))))
		}
		sort.Strings(files[i])
	}

	// Every file is read bounded by the cap of its kind (see Load).
	read := func(p string, max int64) ([]byte, bool) {
		b, err := teamfile.ReadFS(fsys, p, rel(p), max)
		var te *teamfile.Error
		switch {
		case errors.As(err, &te):
			probs = append(probs, Problem{File: te.File, Msg: te.Msg})
			return nil, false
		case err != nil:
			probs = append(probs, Problem{File: rel(p), Msg: unwrapPath(err).Error()})
			return nil, false
		}
		t.Files = append(t.Files, rel(p))
		return b, true
	}
	for _, p := range files[0] {
		if b, ok := read(p, strictyaml.MaxBytes); ok {
			rules, test, err := ParseRules(rel(p), b)
			probs = appendErr(probs, rel(p), err)
			t.Rules = append(t.Rules, rules...)
			if test != nil {
				t.PromtoolTests = append(t.PromtoolTests, test)
			}
		}
	}
	for _, p := range files[1] {
		if b, ok := read(p, teamfile.MaxRunbook); ok {
			rb, err := ParseRunbook(rel(p), b)
			probs = appendErr(probs, rel(p), err)
			if rb != nil {
				t.Runbooks = append(t.Runbooks, rb)
			}
		}
	}
	for _, p := range files[2] {
		if b, ok := read(p, strictyaml.MaxBytes); ok {
			e, err := ParseEscalation(rel(p), b)
			probs = appendErr(probs, rel(p), err)
			t.Escalation.merge(e)
		}
	}
	probs = append(probs, t.Escalation.index()...)
	if am := cfg.Paths.Alertmanager; am != "" {
		clean := path.Clean(am)
		if !fs.ValidPath(clean) || path.IsAbs(am) {
			probs = append(probs, cfg.problem("paths.alertmanager", fmt.Sprintf("expected a path inside the team directory, got %q", am)))
		} else if b, ok := read(path.Join(root, clean), strictyaml.MaxBytes); ok {
			a, ps := ParseAlertmanager(rel(path.Join(root, clean)), b, cfg, t.Escalation)
			probs = append(probs, ps...)
			t.Alertmanager = a
		}
	}
	for _, p := range files[3] {
		if b, ok := read(p, teamfile.MaxFeature); ok {
			if err := teamfile.Text(rel(p), b, "a Gherkin feature file"); err != nil {
				probs = appendErr(probs, rel(p), err)
				continue
			}
			t.Features[rel(p)] = string(b)
		}
	}
	probs = append(probs, t.findTests(fsys, root, rel, files[0])...)
	probs = append(probs, t.indexRunbooks()...)
	if len(probs) > 0 {
		probs.Sort()
		return t, probs
	}
	return t, nil
}

func unwrapPath(err error) error {
	var te *teamfile.Error
	if errors.As(err, &te) {
		return errors.New(te.Msg)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func appendErr(probs Problems, file string, err error) Problems {
	if err == nil {
		return probs
	}
	var ps Problems
	if errors.As(err, &ps) {
		return append(probs, ps...)
	}
	var te *teamfile.Error
	if errors.As(err, &te) {
		return append(probs, Problem{File: te.File, Msg: te.Msg})
	}
	return append(probs, Problem{File: file, Msg: err.Error()})
}

func (t *Team) indexRunbooks() Problems {
	var probs Problems
	t.byID = map[string]*Runbook{}
	t.byAlert = map[string][]*Runbook{}
	ids := map[string]*Runbook{}
	for _, rb := range t.Runbooks {
		if prev, ok := ids[rb.ID]; ok {
			probs = append(probs, Problem{File: rb.File, Line: 2, Field: "id", Msg: fmt.Sprintf("duplicate runbook id %q; also in %s", rb.ID, prev.File)})
			continue
		}
		ids[rb.ID] = rb
		t.byID[strings.ToLower(rb.ID)] = rb
		base := strings.ToLower(strings.TrimSuffix(path.Base(rb.File), ".md"))
		if _, ok := t.byID[base]; !ok {
			t.byID[base] = rb
		}
		for _, a := range rb.Alerts {
			t.byAlert[a] = append(t.byAlert[a], rb)
		}
	}
	return probs
}

// Alerts returns the alerting rules (not the recording rules).
func (t *Team) Alerts() []*AlertRule {
	var out []*AlertRule
	for _, r := range t.Rules {
		if r.Alert != "" {
			out = append(out, r)
		}
	}
	return out
}

// RunbookLink is the rule's runbook link annotation, "" when absent.
func (t *Team) RunbookLink(rule *AlertRule) string {
	return strings.TrimSpace(rule.Annotations[t.Config.Lint.RunbookAnnotation])
}

// resolveLink finds the runbook a link names: the last path element of a
// URL or file path, without .md/.html, matched case-insensitively against
// runbook ids and file names (the prometheus-operator runbooks site
// lowercases alert names).
func (t *Team) resolveLink(link string) (*Runbook, bool) {
	p := link
	if u, err := url.Parse(link); err == nil && u.Path != "" {
		p = u.Path
	}
	p = strings.TrimRight(p, "/")
	base := strings.ToLower(path.Base(p))
	for _, ext := range []string{".md", ".html", ".htm"} {
		base = strings.TrimSuffix(base, ext)
	}
	rb, ok := t.byID[base]
	return rb, ok
}

// RunbookByLink is the runbook a runbook link annotation names, matched
// as RunbookForAlert matches it.
func (t *Team) RunbookByLink(link string) (*Runbook, bool) { return t.resolveLink(link) }

// RunbooksListing are the runbooks whose front matter alerts: lists the
// alert, in file order.
func (t *Team) RunbooksListing(alert string) []*Runbook { return t.byAlert[alert] }

// RunbookForAlert finds the runbook serving an alert: through its link
// annotation, else through a runbook's front matter alerts:.
func (t *Team) RunbookForAlert(rule *AlertRule) (*Runbook, bool) {
	if link := t.RunbookLink(rule); link != "" {
		if rb, ok := t.resolveLink(link); ok {
			return rb, true
		}
	}
	if rbs := t.byAlert[rule.Alert]; len(rbs) > 0 {
		return rbs[0], true
	}
	return nil, false
}
