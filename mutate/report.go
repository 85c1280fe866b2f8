package mutate

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
)

// Drill is one drill's outcome, on the baseline or a mutant.
type Drill struct {
	Place       string          `json:"place"` // FILE:LINE
	Name        string          `json:"name"`
	Status      scoring.Verdict `json:"status"`
	Reason      string          `json:"reason,omitempty"`
	WallSeconds float64         `json:"wall_seconds"`
}

// Result is one mutant's outcome.
type Result struct {
	Mutant
	Status Status `json:"status"`
	// Drills are the drills run against it: those its file touches that
	// passed on the baseline; Unused those it touches that did not.
	Drills []string `json:"drills,omitempty"`
	Unused []string `json:"unused,omitempty"`
	// Ran is how many of Drills ran: they run one at a time, the
	// shortest by its plan first, until one kills the mutant.
	Ran int `json:"ran"`
	// KilledBy are the drills that failed (or were inconclusive) on it,
	// and passed ConfirmRuns more times on the unchanged plan; Flaky
	// those that failed on it and on a rerun of the unchanged plan too.
	KilledBy []Drill `json:"killed_by,omitempty"`
	Flaky    []Drill `json:"flaky,omitempty"`
	// Invalid is why lint (or a drill's checks) refuse it; Error the
	// harness failure of a drill.
	Invalid     string  `json:"invalid,omitempty"`
	Error       string  `json:"error,omitempty"`
	WallSeconds float64 `json:"wall_seconds"`
	// Differs is how the mutated rules evaluate differently from the
	// unchanged ones on a baseline drill's recorded metrics (the first
	// difference), for a rule mutant that was judged and is not
	// equivalent; Reason is why an Equivalent one is.
	Differs string `json:"differs,omitempty"`
	Reason  string `json:"-"`
}

// EquivalentMutant is a mutant left out as equivalent to the original,
// and why: its change prints as the original, or its rules evaluate
// identically on the recorded metrics of the baseline drills it would
// run (Drills).
type EquivalentMutant struct {
	Mutant
	Reason string   `json:"reason"`
	Drills []string `json:"drills,omitempty"`
}

// Score is the mutation score of a file, a family or the run: killed of
// counted (killed + survived) mutants.
type Score struct {
	Name     string  `json:"name"`
	Killed   int     `json:"killed"`
	Survived int     `json:"survived"`
	Counted  int     `json:"counted"`
	Invalid  int     `json:"invalid"`
	Errors   int     `json:"errors"`
	NotRun   int     `json:"not_run,omitempty"`
	Score    float64 `json:"score"` // 0 when nothing was counted
}

// Report is a mutation run.
type Report struct {
	RunID      string          `json:"run_id"`
	Team       string          `json:"team"`
	Seed       int64           `json:"seed"`
	Speed      float64         `json:"speed"`
	Shard      scenarios.Shard `json:"-"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt time.Time       `json:"finished_at"`
	// Generated is the number of mutants made before sampling.
	Generated  int                `json:"generated"`
	Baseline   []Drill            `json:"baseline"`
	Results    []Result           `json:"mutants"`
	Equivalent []EquivalentMutant `json:"equivalent,omitempty"`
	// Flaky are the drills that passed on the baseline and failed on a
	// rerun of the unchanged plan: they judge no mutant.
	Flaky       []string `json:"flaky_drills,omitempty"`
	Total       Score    `json:"score"`
	ByFile      []Score  `json:"by_file"`
	ByFamily    []Score  `json:"by_family"`
	Notes       []string `json:"notes,omitempty"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

// MutationScore is the run's killed / counted mutants, and whether any
// was counted.
func (r *Report) MutationScore() (float64, bool) { return r.Total.Score, r.Total.Counted > 0 }

func (s *Score) add(r Result) {
	switch r.Status {
	case Killed:
		s.Killed++
	case Survived:
		s.Survived++
	case Invalid:
		s.Invalid++
	case Errored:
		s.Errors++
	case NotRun:
		s.NotRun++
	}
	s.Counted = s.Killed + s.Survived
	if s.Counted > 0 {
		s.Score = float64(s.Killed) / float64(s.Counted)
	}
}

// finish computes the scores and notes.
func (r *Report) finish() {
	r.Total = Score{Name: "all"}
	files, fams := map[string]*Score{}, map[string]*Score{}
	for _, res := range r.Results {
		r.Total.add(res)
		for _, k := range []struct {
			m   map[string]*Score
			key string
		}{{files, res.File}, {fams, string(res.Family)}} {
			if k.m[k.key] == nil {
				k.m[k.key] = &Score{Name: k.key}
			}
			k.m[k.key].add(res)
		}
	}
	sorted := func(m map[string]*Score) []Score {
		out := make([]Score, 0, len(m))
		for _, s := range m {
			out = append(out, *s)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	r.ByFile, r.ByFamily = sorted(files), sorted(fams)
	var unused []string
	for _, d := range r.Baseline {
		if d.Status != scoring.Passed {
			unused = append(unused, fmt.Sprintf("%s (%s)", d.Place, d.Status))
		}
	}
	if len(unused) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d drill(s) did not pass on the unchanged plan and judge no mutant: %s", len(unused), strings.Join(unused, ", ")))
	}
	r.Notes = append(r.Notes, "equivalent on the recorded metrics is equivalence for the baseline drills' traffic only: "+
		"a rule mutant is left out when its rules, replayed over the metrics each of its baseline drills scraped at the instants that drill evaluated, "+
		"give the same alert transitions, recorded values and rule errors as the unchanged rules; "+
		"traffic or faults those drills do not make could still tell it apart, and a change of another file is never judged so")
}

// explain fills a survivor's Missing and Suggest: what its drills fail
// to check, and the step that would have caught it.
func (p *Prepared) explain(r *Result) {
	if r.Status != Survived {
		return
	}
	var texts []string
	for _, pl := range r.Drills {
		if sc := p.scenario[pl]; sc != nil {
			for _, st := range sc.Steps {
				texts = append(texts, st.Text)
			}
		}
	}
	has := func(words ...string) bool {
		for _, t := range texts {
			for _, w := range words {
				if strings.Contains(strings.ToLower(t), w) {
					return true
				}
			}
		}
		return false
	}
	expected := map[string]bool{}
	for _, a := range features.ExpectedAlerts(texts) {
		expected[a] = true
	}
	if len(r.Drills) == 0 {
		switch {
		case len(r.Unused) > 0:
			r.Missing = fmt.Sprintf("no drill that passed on the unchanged plan touches %s (%s did not pass; fix it first)", r.File, strings.Join(r.Unused, ", "))
		case len(r.Alerts) > 0 && r.Family == Runbooks:
			r.Missing = fmt.Sprintf("no drill expects %s, the alert(s) this runbook answers", quoteAll(r.Alerts))
		default:
			r.Missing = fmt.Sprintf("no drill touches %s", r.File)
		}
	}
	alert := ""
	for _, a := range r.Alerts {
		if !expected[a] {
			alert = a
			break
		}
	}
	cond := p.recoveryCondition(r.Alerts)
	switch r.Family {
	case Rules:
		switch {
		case len(r.Alerts) == 0:
			r.Missing = "no alert reads this recording rule: nothing a drill can see depends on it"
		case alert != "" && r.Missing == "":
			r.Missing = fmt.Sprintf("no drill checks that `%s` fires", alert)
		case r.Missing == "" && (r.Operator == OpThresholdDown || r.Operator == OpFlip || r.Operator == OpShorter):
			r.Missing = fmt.Sprintf("no drill checks that `%s` stays quiet when nothing is wrong", r.Alerts[0])
			r.Suggest = fmt.Sprintf(`a scenario with steady traffic and no fault: Then alert "%s" does not fire within 15m`, r.Alerts[0])
			return
		case r.Missing == "":
			r.Missing = fmt.Sprintf("the drills expecting `%s` pass with it changed: their faults are far past its threshold, or their deadline is loose", r.Alerts[0])
			r.Suggest = fmt.Sprintf(`a milder fault, or a tighter Then alert "%s" fires within %s`, r.Alerts[0], p.tightDeadline(r.Alerts[0]))
			return
		}
		if alert == "" && len(r.Alerts) > 0 {
			alert = r.Alerts[0]
		}
		if alert != "" {
			r.Suggest = fmt.Sprintf(`Then alert "%s" fires within %s`, alert, p.tightDeadline(alert))
		}
	case Runbooks:
		switch {
		case r.Missing != "":
		case r.Operator == OpVerificationRemoved:
			r.Missing = "no drill fails when the runbook no longer verifies its fix: the fix still works, and no drill makes it fail"
		case has("following the runbook", "the runbook fixes", "after the runbook"):
			r.Missing = "the drills' recovery check passes without the runbook's step: the service recovers on its own (the fault ends before the check?)"
		default:
			r.Missing = "no drill checks recovery after the runbook"
		}
		if cond != "" {
			r.Suggest = fmt.Sprintf(`And following the runbook brings "%s" true within 10m`, cond)
		} else {
			r.Suggest = "And following the runbook brings the service back within 10m"
		}
		if len(r.Drills) == 0 && len(r.Unused) == 0 && len(r.Alerts) > 0 {
			r.Suggest = fmt.Sprintf(`a drill whose fault sets off %s: Then alert "%s" fires within %s, %s`, r.Alerts[0], r.Alerts[0], p.tightDeadline(r.Alerts[0]), r.Suggest)
		}
	case Escalation:
		team := p.pagedTeam(r)
		switch {
		case r.Missing != "":
		case r.Operator == OpNotifyDelayed && !p.paged(r.Target):
			r.Missing = fmt.Sprintf("no drill pages %s: not on call when the drills run (%s), and no policy targets them directly", r.Target, p.opts.Start.Format("2006-01-02 15:04 MST"))
			return
		case r.Operator == OpNotifyDelayed && has("acknowledged", "acked"):
			r.Missing = "the drills' acknowledgement deadline is longer than the delay: the page is acknowledged late, and in time"
			r.Suggest = "a tighter And the page is acknowledged within 10m"
			return
		case r.Operator == OpNotifyDelayed:
			r.Missing = "no drill bounds how soon the page is acknowledged"
			r.Suggest = "And the page is acknowledged within 15m"
			return
		default:
			r.Missing = "no drill checks who is paged, and that someone answers"
		}
		if team != "" {
			r.Suggest = fmt.Sprintf(`And the page reaches an on-call responder of team "%s" within 5m`, team)
		} else {
			r.Suggest = "And the page is acknowledged within 15m"
		}
	case Variables:
		if r.Missing == "" {
			r.Missing = fmt.Sprintf("no drill checks the effect of a runbook command through %s", r.Target)
		}
		r.Suggest = "And following the runbook brings the service back within 10m"
	}
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "`" + s + "`"
	}
	return strings.Join(q, ", ")
}

// paged says whether a user can get a drill's page: on call in a
// schedule when the drills start, or a policy's direct target.
func (p *Prepared) paged(user string) bool {
	e := p.opts.Team.Escalation
	for _, pol := range e.Policies {
		for _, lvl := range pol.Rules {
			for _, tg := range lvl.Targets {
				if tg.User == user {
					return true
				}
				if tg.Team != "" {
					if g, ok := e.Team(tg.Team); ok && slices.Contains(g.Members, user) {
						return true
					}
				}
			}
		}
	}
	for _, s := range e.Schedules {
		if on, err := e.OnCall(s.ID, p.opts.Start); err == nil && slices.Contains(on, user) {
			return true
		}
	}
	return false
}

// recoveryCondition is the first of the alerts' expressions read as
// health: its final comparison reversed (gateway:error_ratio < 0.2).
func (p *Prepared) recoveryCondition(alerts []string) string {
	for _, a := range alerts {
		for _, r := range p.opts.Team.Alerts() {
			if r.Alert != a || r.ParsedExpr() == nil {
				continue
			}
			b, ok := r.ParsedExpr().(*parser.BinaryExpr)
			if !ok || !b.Op.IsComparisonOperator() || b.ReturnBool {
				continue
			}
			if n, ok := b.RHS.(*parser.NumberLiteral); ok {
				if op, ok := healthy[b.Op]; ok {
					return fmt.Sprintf("%s %s %s", b.LHS, op, fmtNum(n.Val))
				}
			}
		}
	}
	return ""
}

var healthy = map[parser.ItemType]string{parser.GTR: "<=", parser.GTE: "<", parser.LSS: ">=", parser.LTE: ">"}

// tightDeadline is a "fires within" bound for an alert: its for: plus
// its longest range window plus two minutes, rounded up to minutes.
func (p *Prepared) tightDeadline(alert string) string {
	for _, r := range p.opts.Team.Alerts() {
		if r.Alert != alert {
			continue
		}
		d := r.For + 2*time.Minute
		var longest time.Duration
		if r.ParsedExpr() != nil {
			parser.Inspect(r.ParsedExpr(), func(n parser.Node, _ []parser.Node) error {
				if m, ok := n.(*parser.MatrixSelector); ok {
					longest = max(longest, m.Range)
				}
				return nil
			})
		}
		d += longest
		return model.Duration(((d + time.Minute - 1) / time.Minute) * time.Minute).String()
	}
	return "10m"
}

// pagedTeam is the team whose on-call an escalation mutant keeps from
// the page: the team of the policy it changes, or that the route sends
// to, or that pages the schedule.
func (p *Prepared) pagedTeam(r *Result) string {
	e := p.opts.Team.Escalation
	if e == nil {
		return ""
	}
	id, _, _ := strings.Cut(r.Target, "/")
	switch r.Operator {
	case OpLevelRemoved, OpInactive:
		if pol, ok := e.Policy(id); ok {
			return pol.Team
		}
	case OpRouteRemoved:
		var n int
		if _, err := fmt.Sscan(r.Target, &n); err == nil {
			i := 0
			for _, rt := range e.Routes {
				if rt.File == r.File {
					i++
					if i == n {
						if pol, ok := e.Policy(rt.Policy); ok {
							return pol.Team
						}
					}
				}
			}
		}
	case OpScheduleGap:
		for _, pol := range e.Policies {
			for _, lvl := range pol.Rules {
				for _, tg := range lvl.Targets {
					if tg.Schedule == id {
						return pol.Team
					}
				}
			}
		}
	}
	return ""
}
