package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/team"
)

// posPrefix splits "file:line[:col]: message".
var posPrefix = regexp.MustCompile(`^(.+?):(\d+)(?::(\d+))?: (.*)$`)

// drillFindings are the lint findings that need more than the team
// package: the team's feature files checked against the step catalog, and
// its promtool rule tests run through drill's alerting engine (the same
// engine drills use).
func drillFindings(t *team.Team, root string) []team.Finding {
	var out []team.Finding
	files := make([]string, 0, len(t.Features))
	for f := range t.Features {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, f := range files {
		scs, err := features.Parse(f, []byte(t.Features[f]))
		if err != nil {
			out = append(out, findingsAt("feature-syntax", f, err, func(p string) string { return p })...)
			continue
		}
		for _, p := range features.Check(scs) {
			msg := fmt.Sprintf("%s: %s", p.Message, p.Step)
			if len(p.Closest) > 0 {
				msg += fmt.Sprintf(" (closest known step: %s)", p.Closest[0])
			}
			out = append(out, team.Finding{ID: "feature-undefined-step", File: p.File, Line: p.Line, Col: 1, Message: msg})
		}
	}
	if len(t.PromtoolTests) > 0 {
		var paths []string
		for _, pt := range t.PromtoolTests {
			paths = append(paths, filepath.Join(root, pt.File))
		}
		fails, err := alerting.RunRuleTests(paths)
		if err != nil { // a file that could not be run
			out = append(out, findingsAt("promtool-test-failed", t.PromtoolTests[0].File, err, func(p string) string {
				if rel, rerr := filepath.Rel(root, p); rerr == nil {
					return rel
				}
				return p
			})...)
		}
		for _, f := range fails {
			rel, rerr := filepath.Rel(root, f.File)
			if rerr != nil {
				rel = f.File
			}
			what := f.Test
			if f.Alertname != "" {
				what += ", alert " + f.Alertname
			} else if f.Expr != "" {
				what += ", expr " + strings.Join(strings.Fields(f.Expr), " ") // a block scalar's lines, on one line
			}
			line, col := 1, 1
			for _, pt := range t.PromtoolTests {
				if filepath.Clean(pt.File) != filepath.Clean(rel) {
					continue
				}
				// The alert_rule_test or promql_expr_test that failed.
				if pos, ok := pt.CaseAt(f.Test, f.Alertname, f.Expr, f.EvalTime); ok {
					line, col = pos.Line, pos.Col
				}
			}
			out = append(out, team.Finding{ID: "promtool-test-failed", File: rel, Line: line, Col: col,
				Message: fmt.Sprintf("%s at %s: %s", what, f.EvalTime, strings.ReplaceAll(strings.TrimSpace(f.Message), "\n", " "))})
		}
	}
	// Severities come from the check table and drill.yaml's lint.severity,
	// as for the team package's own checks.
	kept := out[:0]
	for _, f := range out {
		if f.Severity = t.Config.SeverityOf(f.ID); f.Severity != team.SeverityOff {
			kept = append(kept, f)
		}
	}
	return kept
}

// findingsAt turns the "file:line[:col]: message" lines of err into
// findings at those places (the file through rel); a line without a
// place stands at file:1:1.
func findingsAt(id, file string, err error, rel func(string) string) []team.Finding {
	var out []team.Finding
	for _, l := range strings.Split(strings.TrimPrefix(err.Error(), "alerting: "), "\n") {
		fd := team.Finding{ID: id, File: file, Line: 1, Col: 1, Message: l}
		if m := posPrefix.FindStringSubmatch(l); m != nil {
			fd.File, fd.Message = rel(m[1]), m[4]
			fd.Line, _ = strconv.Atoi(m[2])
			if m[3] != "" {
				fd.Col, _ = strconv.Atoi(m[3])
			}
		}
		out = append(out, fd)
	}
	return out
}
