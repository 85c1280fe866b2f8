package lint

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/team"
)

// featureFindings check the team's feature files: that gherkin reads them
// as drills (feature-syntax) and that the step catalog defines every step
// with durations in range (feature-undefined-step). Positions come from
// features.ParseErrors and features.Problem. A non-nil only keeps
// those files.
func featureFindings(t *team.Team, only map[string]bool) []Finding {
	var out []Finding
	files := make([]string, 0, len(t.Features))
	for f := range t.Features {
		if only == nil || only[f] {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		scs, err := features.Parse(f, []byte(t.Features[f]))
		if err != nil {
			var pe features.ParseErrors
			if !errors.As(err, &pe) {
				pe = features.ParseErrors{{File: f, Msg: err.Error()}}
			}
			for _, e := range pe {
				out = append(out, Finding{ID: "feature-syntax", File: e.File, Line: e.Line, Col: e.Col, Message: e.Msg})
			}
			continue
		}
		for _, p := range features.Check(scs) {
			msg := fmt.Sprintf("%s: %s", p.Message, p.Step)
			if len(p.Closest) > 0 {
				msg += fmt.Sprintf(" (closest known step: %s)", p.Closest[0])
			}
			out = append(out, Finding{ID: "feature-undefined-step", File: p.File, Line: p.Line, Col: 1, Message: msg})
		}
	}
	return out
}

// promtoolMessage is a failed check's finding message: what failed and
// when on the first line, then promtool's own text as promtool prints it
// under FAILED:, its lines and indentation kept (multi-line exp: and got:
// with every label), each line's trailing blanks dropped. A one-line
// failure stays on the first line.
func promtoolMessage(what string, at time.Duration, msg string) string {
	lines := strings.Split(strings.Trim(msg, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	if len(lines) == 1 {
		return fmt.Sprintf("%s at %s: %s", what, model.Duration(at), strings.TrimSpace(lines[0]))
	}
	return fmt.Sprintf("%s at %s:\n%s", what, model.Duration(at), strings.Join(lines, "\n"))
}

// promtoolFindings run the team's promtool rule tests through drill's
// alerting engine, one file at a time so that a file that does not load
// hides no other file's failures. A failure stands at the
// alert_rule_test or promql_expr_test that failed; a file that does not
// load, at the places alerting's problems name. The error is ctx's.
func promtoolFindings(ctx context.Context, t *team.Team) ([]Finding, error) {
	if len(t.PromtoolTests) > 0 && t.Dir == "" {
		return nil, errors.New("lint: the team's promtool rule tests run from disk; load the team with team.Load, not team.LoadFS")
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(t.Dir, p); err == nil {
			return filepath.ToSlash(r)
		}
		return p
	}
	var out []Finding
	for _, pt := range t.PromtoolTests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fails, err := alerting.RunTeamRuleTests(t.Dir, []string{filepath.Join(t.Dir, filepath.FromSlash(pt.File))})
		if err != nil {
			var ps team.Problems
			if !errors.As(err, &ps) {
				ps = team.Problems{{Msg: err.Error()}}
			}
			for _, p := range ps {
				file := pt.File
				if p.File != "" {
					file = rel(p.File)
				}
				msg := p.Msg
				if p.Field != "" {
					msg = p.Field + ": " + msg
				}
				out = append(out, Finding{ID: "promtool-test-failed", File: file, Line: p.Line, Col: p.Col, Message: msg})
			}
			continue
		}
		for _, f := range fails {
			what := f.Test
			if f.Alertname != "" {
				what += ", alert " + f.Alertname
			} else if f.Expr != "" {
				what += ", expr " + strings.Join(strings.Fields(f.Expr), " ") // a block scalar's lines, on one line
			}
			// The alert_rule_test or promql_expr_test that failed.
			pos, _ := pt.CaseAt(f.Test, f.Alertname, f.Expr, f.EvalTime)
			out = append(out, Finding{ID: "promtool-test-failed", File: pt.File, Line: pos.Line, Col: pos.Col,
				Message: promtoolMessage(what, f.EvalTime, f.Message)})
		}
	}
	return out, nil
}
