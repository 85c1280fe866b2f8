package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Formats lists the output formats, for flags and errors.
var Formats = []string{"text", "md", "html", "json"}

// Write writes the report in one of Formats.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "md", "markdown":
		return WriteMarkdown(w, r)
	case "html":
		return WriteHTML(w, r)
	case "json":
		return WriteJSON(w, r)
	}
	return fmt.Errorf("report: unknown format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	out := *r
	if out.Groups == nil {
		out.Groups = []Group{}
	}
	if out.Changes == nil {
		out.Changes = []Change{}
	}
	if out.Runs == nil {
		out.Runs = []RunPoint{}
	}
	if out.Comparisons == nil {
		out.Comparisons = []Comparison{}
	}
	if out.Interrupted == nil {
		out.Interrupted = []string{}
	}
	return enc.Encode(out)
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func pct(f *float64) string {
	if f == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *f*100)
}

func dur(f *float64) string {
	if f == nil {
		return "—"
	}
	return (time.Duration(*f * float64(time.Second))).Round(time.Second).String()
}

func rateCell(rate *float64, num, den int) string {
	if rate == nil {
		return "— (0)"
	}
	return fmt.Sprintf("%s (%d/%d)", pct(rate), num, den)
}

func statCell(s Stat) string {
	if s.N == 0 {
		return "— (n=0)"
	}
	return fmt.Sprintf("%s / %s (n=%d)", dur(s.Median), dur(s.P90), s.N)
}

// row is one metric of one group, in both windows, with its test, the
// runs a change of the minimum size needs, and its flag.
type row struct{ Label, Base, Cur, P, Runs, Flag string }

func rows(r *Report, g Group) []row {
	cmp := map[string]Comparison{}
	for _, c := range r.Comparisons {
		if c.Group == g.Name {
			cmp[c.Metric] = c
		}
	}
	mk := func(label, metric, base, cur string) row {
		c := cmp[metric]
		return row{label, base, cur, pCell(c), runsCell(c), c.Kind}
	}
	out := []row{mk("pass rate", "pass_rate", rateCell(g.Baseline.PassRate, g.Baseline.Passed, g.Baseline.Judged),
		rateCell(g.Current.PassRate, g.Current.Passed, g.Current.Judged))}
	for _, t := range timings {
		b, c := t.pick(&g.Baseline), t.pick(&g.Current)
		out = append(out, mk(t.label+" (median / p90)", t.key, statCell(*b), statCell(*c)))
	}
	out = append(out, mk("false alarm rate", "false_alarm_rate", rateCell(g.Baseline.FalseAlarmRate, g.Baseline.FalseAlarms, g.Baseline.Alerts),
		rateCell(g.Current.FalseAlarmRate, g.Current.FalseAlarms, g.Current.Alerts)))
	if g.Baseline.Breakdowns == 0 && g.Current.Breakdowns == 0 && g.Baseline.RoleGaps == 0 && g.Current.RoleGaps == 0 {
		return out // no fault injected, no role configured: nothing to break down
	}
	out = append(out, row{Label: "bottleneck (most often the longest phase)", Base: bottleneckCell(g.Baseline), Cur: bottleneckCell(g.Current)})
	for _, name := range phaseNames(g) {
		b, c := g.Baseline.phase(name), g.Current.phase(name)
		out = append(out, mk(name+" phase (median / p90)", name+"_phase", statCell(b.Stat), statCell(c.Stat)))
	}
	out = append(out,
		mk("handoffs per scenario", "handoffs_per_scenario", perScenarioCell(g.Baseline.HandoffsPerScenario, g.Baseline.Handoffs, g.Baseline.Breakdowns),
			perScenarioCell(g.Current.HandoffsPerScenario, g.Current.Handoffs, g.Current.Breakdowns)),
		mk("role gaps per scenario", "role_gaps_per_scenario", perScenarioCell(g.Baseline.RoleGapsPerScenario, g.Baseline.RoleGaps, g.Baseline.Judged),
			perScenarioCell(g.Current.RoleGapsPerScenario, g.Current.RoleGaps, g.Current.Judged)))
	return out
}

// pCell is "0.0033 (Holm 0.04)"; "0.1 (can't reach 0.05)" for a test not
// counted; "= time to detect" for the same data as another row.
func pCell(c Comparison) string {
	switch {
	case c.SameAs != "" && strings.HasPrefix(c.SameAs, c.Group+" "):
		return "= " + strings.ReplaceAll(strings.TrimPrefix(c.SameAs, c.Group+" "), "_", " ")
	case c.SameAs != "":
		return "= " + strings.ReplaceAll(c.SameAs, "_", " ")
	case c.P == nil:
		return "—"
	case !c.Counted:
		return formatP(*c.P) + " (can't reach " + trimFloat(Alpha) + ")"
	}
	return formatP(*c.P) + " (Holm " + formatP(*c.PAdjusted) + ")"
}

// runsCell is "enough (4)" when both periods have the runs a change of
// the minimum size needs, "14 (+8)" when the smaller needs 8 more, "—"
// when it cannot be estimated.
func runsCell(c Comparison) string {
	switch {
	case c.RunsNeeded == 0:
		return "—"
	case c.MoreRuns == 0:
		return fmt.Sprintf("enough (%d)", c.RunsNeeded)
	}
	return fmt.Sprintf("%d (+%d)", c.RunsNeeded, c.MoreRuns)
}

// describe says a change in words:
// "overall: pass rate 100.0% → 60.0% (-40.0 points; p 0.0033, Holm 0.03)".
func describe(c Change) string {
	var label, what string
	switch {
	case strings.HasSuffix(c.Metric, "_per_scenario"):
		label = strings.ReplaceAll(c.Metric, "_", " ")
		rel := "from none"
		if c.Baseline > 0 {
			rel = fmt.Sprintf("%+.0f%%", (c.Current-c.Baseline)/c.Baseline*100)
		}
		what = fmt.Sprintf("%.2f → %.2f (%s", c.Baseline, c.Current, rel)
	case c.Test == TestMannWhitney:
		label = strings.ReplaceAll(c.Metric, "_", " ") + " median"
		rel := "from none"
		if c.Baseline > 0 {
			rel = fmt.Sprintf("%+.0f%%", (c.Current-c.Baseline)/c.Baseline*100)
		}
		what = fmt.Sprintf("%s → %s (%s", dur(&c.Baseline), dur(&c.Current), rel)
	default:
		label = strings.ReplaceAll(c.Metric, "_", " ")
		what = fmt.Sprintf("%s → %s (%+.1f points", pct(&c.Baseline), pct(&c.Current), (c.Current-c.Baseline)*100)
	}
	groups := c.Group
	if len(c.Also) > 0 {
		groups += " (and " + strings.Join(c.Also, ", ") + ", the same scenarios)"
	}
	return fmt.Sprintf("%s: %s %s; p %s, Holm %s)", groups, label, what, formatP(c.P), formatP(c.PAdjusted))
}

func header(r *Report) []string {
	team := r.Team
	switch {
	case team == "":
		team = "no runs"
	case team == AllTeams:
		team = fmt.Sprintf("all teams (%d: %s)", len(r.Teams), strings.Join(r.Teams, ", "))
	}
	base, cur := 0, 0
	for _, p := range r.Runs {
		if p.InBaseline {
			base++
		} else {
			cur++
		}
	}
	window := fmt.Sprintf("window %s → %s UTC; baseline is its first part, %s → %s (%d runs); current %s → %s (%d runs)",
		day(r.WindowStart), day(r.WindowEnd), day(r.WindowStart), day(r.BaselineEnd), base, day(r.BaselineEnd), day(r.WindowEnd), cur)
	if n := len(r.Interrupted); n > 0 {
		window += fmt.Sprintf("; %d interrupted %s left out (%s)", n, plural(n, "run", "runs"), strings.Join(r.Interrupted, ", "))
	}
	return []string{
		fmt.Sprintf("drill report: %s", team),
		window,
		"rule: " + r.Rule,
		fmt.Sprintf("%d %s tested, %d counted in Holm's correction (the rest cannot reach p < %s on their samples)",
			r.Tested, plural(r.Tested, "comparison", "comparisons"), r.Counted, trimFloat(Alpha)),
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func changesByKind(r *Report, kind string) []string {
	var out []string
	for _, c := range r.Changes {
		if c.Kind == kind {
			out = append(out, describe(c))
		}
	}
	sort.Strings(out)
	return out
}

// WriteText writes the report for a terminal.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, l := range header(r) {
		b.WriteString(l + "\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, g := range r.Groups {
		fmt.Fprintf(tw, "\n%s\tbaseline\tcurrent\tp\truns\t\n", g.Name)
		for _, rw := range rows(r, g) {
			flag := ""
			switch rw.Flag {
			case "regression":
				flag = "▼ regression"
			case "improvement":
				flag = "▲ improvement"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", rw.Label, rw.Base, rw.Cur, rw.P, rw.Runs, flag)
		}
	}
	tw.Flush()
	if trend := bottleneckTrend(r); trend != nil {
		b.WriteString("\nbottleneck by run, oldest first (phase medians in drill time)\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, l := range trend {
			fmt.Fprintf(tw, "  %s\t\n", strings.Join(l, "\t"))
		}
		tw.Flush()
	}
	for _, kind := range []string{"regression", "improvement"} {
		list := changesByKind(r, kind)
		fmt.Fprintf(&b, "\n%ss: %d\n", kind, len(list))
		for _, l := range list {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if l := enough(r); l != "" {
		b.WriteString("\n" + l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// enough says how many runs a period the overall metrics need to show a
// change of the minimum size, and which needs the most: "not enough data"
// as a statement. Empty when no metric could be sized.
func enough(r *Report) string {
	var worst *Comparison
	short := 0
	sized := 0
	for i := range r.Comparisons {
		c := &r.Comparisons[i]
		if c.Group != "overall" || c.RunsNeeded == 0 {
			continue
		}
		sized++
		if c.MoreRuns > 0 {
			short++
		}
		if worst == nil || c.RunsNeeded > worst.RunsNeeded {
			worst = c
		}
	}
	if worst == nil {
		return ""
	}
	have := fmt.Sprintf("%d and %d", worst.runs[0], worst.runs[1])
	if short == 0 {
		return fmt.Sprintf("runs: both periods (%s) have enough to flag a change of twice the minimum in every overall metric that could be sized (%d)", have, sized)
	}
	return fmt.Sprintf("runs: %d of %d overall metrics need more runs to flag a change of twice the minimum 8 times in 10; the most, %s, needs %d a period (the periods have %s)",
		short, sized, strings.ReplaceAll(worst.Metric, "_", " "), worst.RunsNeeded, have)
}

// WriteMarkdown writes the report for a pull request or a wiki page.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	h := header(r)
	fmt.Fprintf(&b, "# %s\n\n%s\n\n_%s_\n\n%s\n", h[0], h[1], strings.TrimPrefix(h[2], "rule: "), h[3])
	for _, kind := range []string{"regression", "improvement"} {
		list := changesByKind(r, kind)
		fmt.Fprintf(&b, "\n**%ss: %d**\n", kind, len(list))
		if len(list) > 0 {
			b.WriteString("\n")
		}
		for _, l := range list {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	if l := enough(r); l != "" {
		b.WriteString("\n" + l + "\n")
	}
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "\n## %s\n\n| metric | baseline | current | p | runs | change |\n|---|---|---|---|---|---|\n", g.Name)
		for _, rw := range rows(r, g) {
			flag := ""
			switch rw.Flag {
			case "regression":
				flag = "🔻 regression"
			case "improvement":
				flag = "🔺 improvement"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", rw.Label, rw.Base, rw.Cur, rw.P, rw.Runs, flag)
		}
	}
	if trend := bottleneckTrend(r); trend != nil {
		b.WriteString("\n## Bottleneck by run\n\nOldest first; phase medians in drill time.\n\n")
		for i, l := range trend {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(l, " | "))
			if i == 0 {
				b.WriteString(strings.Repeat("|---", len(l)) + "|\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// bottleneckTrend is the table of the bottleneck across runs: a header,
// then per run (oldest first) its start, ID, window, bottleneck and the
// median of each phase. Nil when no run had a breakdown.
func bottleneckTrend(r *Report) [][]string {
	seen := map[string][]float64{}
	found := false
	for _, p := range r.Runs {
		found = found || p.Breakdowns > 0
		for n := range p.PhaseMedians {
			seen[n] = nil
		}
	}
	if !found {
		return nil
	}
	phases := phaseOrder(seen)
	head := []string{"started", "run", "window", "bottleneck"}
	for _, n := range phases {
		head = append(head, phaseLabel(n))
	}
	out := [][]string{head}
	for _, p := range r.Runs {
		win := "current"
		if p.InBaseline {
			win = "baseline"
		}
		bn := "—"
		if p.Bottleneck != "" {
			bn = fmt.Sprintf("%s (%d of %d)", p.Bottleneck, p.BottleneckCount, p.Breakdowns)
		}
		l := []string{day(p.StartedAt), p.RunID, win, bn}
		for _, n := range phases {
			if v, ok := p.PhaseMedians[n]; ok {
				l = append(l, dur(&v))
			} else {
				l = append(l, "—")
			}
		}
		out = append(out, l)
	}
	return out
}
