package scenarios

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/team"
)

// Impacted is a scenario a change touches, and why.
type Impacted struct {
	Scenario *features.Scenario
	Why      string
}

// Impact returns the scenarios that files changed in the team directory
// touch (paths relative to it, slash-separated):
//
//   - a runbook touches its alerts (front matter alerts:, and alerts whose
//     link resolves to it), and so the scenarios that expect them;
//   - a rule file touches its alerts, and the alerts elsewhere that read
//     the metrics its recording rules record;
//   - a feature file touches its own scenarios;
//   - drill.yaml, an escalation file or the alertmanager.yml drill.yaml
//     names touches every scenario: topology, responders, routing and
//     paging are in every drill.
//
// Other files touch nothing.
func Impact(t *team.Team, scs []*features.Scenario, changed []string) []Impacted {
	alerts := map[string]string{} // alert → why
	allWhy := ""
	feats := map[string]bool{}
	rel := func(dir, f string) bool {
		return dir != "" && strings.HasPrefix(f, strings.TrimSuffix(filepath.ToSlash(dir), "/")+"/")
	}
	for _, f := range changed {
		f = filepath.ToSlash(filepath.Clean(f))
		switch {
		case f == team.ConfigFile:
			allWhy = "drill.yaml changed"
		case rel(t.Config.Paths.Escalation, f):
			allWhy = f + " changed (escalation reaches every drill)"
		case isAlertmanager(t, f):
			allWhy = f + " changed (Alertmanager's routing reaches every drill)"
		case rel(t.Config.Paths.Features, f):
			feats[f] = true
		case rel(t.Config.Paths.Runbooks, f):
			for _, rb := range t.Runbooks {
				if rb.File != f {
					continue
				}
				for _, a := range rb.Alerts {
					alerts[a] = "runbook " + f + " changed"
				}
				for _, r := range t.Alerts() {
					if got, ok := t.RunbookForAlert(r); ok && got == rb {
						alerts[r.Alert] = "runbook " + f + " changed"
					}
				}
			}
		case rel(t.Config.Paths.Alerts, f):
			var recorded []string
			for _, r := range t.Rules {
				if r.File != f {
					continue
				}
				if r.Alert != "" {
					alerts[r.Alert] = "rule file " + f + " changed"
				} else {
					recorded = append(recorded, r.Record)
				}
			}
			for _, r := range t.Alerts() {
				for _, m := range recorded {
					if strings.Contains(r.Expr, m) {
						alerts[r.Alert] = fmt.Sprintf("recording rule %s in %s changed", m, f)
					}
				}
			}
		}
	}
	// The built-in library judges any team by whichever alert fires, so
	// it is touched by every change to the response plan.
	planWhy := ""
	for _, f := range changed {
		f = filepath.ToSlash(filepath.Clean(f))
		if f == team.ConfigFile || isAlertmanager(t, f) || rel(t.Config.Paths.Escalation, f) || rel(t.Config.Paths.Runbooks, f) || rel(t.Config.Paths.Alerts, f) {
			planWhy = f + " changed (built-in drills use whichever alert fires)"
			break
		}
	}
	var out []Impacted
	for _, sc := range scs {
		if strings.HasPrefix(sc.File, features.BuiltinDir+"/") {
			if planWhy != "" {
				out = append(out, Impacted{Scenario: sc, Why: planWhy})
			}
			continue
		}
		var texts []string
		for _, st := range sc.Steps {
			texts = append(texts, st.Text)
		}
		why := allWhy
		if why == "" && feats[sc.File] {
			why = sc.File + " changed"
		}
		if why == "" {
			var hit []string
			for _, a := range features.ExpectedAlerts(texts) {
				if w, ok := alerts[a]; ok {
					hit = append(hit, fmt.Sprintf("expects %s (%s)", a, w))
				}
			}
			sort.Strings(hit)
			why = strings.Join(hit, "; ")
		}
		if why != "" {
			out = append(out, Impacted{Scenario: sc, Why: why})
		}
	}
	return out
}

// isAlertmanager says whether f is the alertmanager.yml drill.yaml names.
func isAlertmanager(t *team.Team, f string) bool {
	am := t.Config.Paths.Alertmanager
	return am != "" && f == path.Clean(filepath.ToSlash(am))
}
