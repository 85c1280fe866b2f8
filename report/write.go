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

// row is one metric of one group, in both windows, with its flag.
type row struct{ Label, Base, Cur, Flag string }

func rows(r *Report, g Group) []row {
	flags := map[string]string{}
	for _, c := range r.Changes {
		if c.Group == g.Name {
			flags[c.Metric] = c.Kind
		}
	}
	out := []row{{"pass rate", rateCell(g.Baseline.PassRate, g.Baseline.Passed, g.Baseline.Judged),
		rateCell(g.Current.PassRate, g.Current.Passed, g.Current.Judged), flags["pass_rate"]}}
	for _, t := range timings {
		b, c := t.pick(&g.Baseline), t.pick(&g.Current)
		out = append(out, row{t.label + " (median / p90)", statCell(*b), statCell(*c), flags[t.key+"_p90"]})
	}
	out = append(out, row{"false alarm rate", rateCell(g.Baseline.FalseAlarmRate, g.Baseline.FalseAlarms, g.Baseline.Alerts),
		rateCell(g.Current.FalseAlarmRate, g.Current.FalseAlarms, g.Current.Alerts), flags["false_alarm_rate"]})
	if g.Baseline.Breakdowns == 0 && g.Current.Breakdowns == 0 && g.Baseline.RoleGaps == 0 && g.Current.RoleGaps == 0 {
		return out // no fault injected, no role configured: nothing to break down
	}
	out = append(out, row{"bottleneck (most often the longest phase)", bottleneckCell(g.Baseline), bottleneckCell(g.Current), ""})
	for _, name := range phaseNames(g) {
		b, c := g.Baseline.phase(name), g.Current.phase(name)
		out = append(out, row{name + " phase (median / p90)", statCell(b.Stat), statCell(c.Stat), flags[name+"_phase_p90"]})
	}
	out = append(out,
		row{"handoffs per scenario", perScenarioCell(g.Baseline.HandoffsPerScenario, g.Baseline.Handoffs, g.Baseline.Breakdowns),
			perScenarioCell(g.Current.HandoffsPerScenario, g.Current.Handoffs, g.Current.Breakdowns), flags["handoffs_per_scenario"]},
		row{"role gaps per scenario", perScenarioCell(g.Baseline.RoleGapsPerScenario, g.Baseline.RoleGaps, g.Baseline.Judged),
			perScenarioCell(g.Current.RoleGapsPerScenario, g.Current.RoleGaps, g.Current.Judged), flags["role_gaps_per_scenario"]})
	return out
}

// describe says a change in words: "overall: pass rate 90.0% → 70.0% (-20.0 points)".
func describe(c Change) string {
	label := strings.ReplaceAll(strings.TrimSuffix(c.Metric, "_p90"), "_", " ")
	if strings.HasSuffix(c.Metric, "_per_scenario") {
		rel := "from none"
		if c.Baseline > 0 {
			rel = fmt.Sprintf("%+.0f%%", (c.Current-c.Baseline)/c.Baseline*100)
		}
		return fmt.Sprintf("%s: %s %.2f → %.2f (%s)", c.Group, label, c.Baseline, c.Current, rel)
	}
	if strings.HasSuffix(c.Metric, "_p90") {
		rel := (c.Current - c.Baseline) / c.Baseline * 100
		return fmt.Sprintf("%s: %s p90 %s → %s (%+.0f%%)", c.Group, label, dur(&c.Baseline), dur(&c.Current), rel)
	}
	return fmt.Sprintf("%s: %s %s → %s (%+.1f points)", c.Group, label, pct(&c.Baseline), pct(&c.Current), (c.Current-c.Baseline)*100)
}

func header(r *Report) []string {
	team := r.Team
	if team == "" {
		team = "no runs"
	}
	base, cur := 0, 0
	for _, p := range r.Runs {
		if p.InBaseline {
			base++
		} else {
			cur++
		}
	}
	return []string{
		fmt.Sprintf("drill report: %s", team),
		fmt.Sprintf("window %s → %s UTC; baseline is its first part, %s → %s (%d runs); current %s → %s (%d runs)",
			day(r.WindowStart), day(r.WindowEnd), day(r.WindowStart), day(r.BaselineEnd), base, day(r.BaselineEnd), day(r.WindowEnd), cur),
		"rule: " + r.Rule,
	}
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
		fmt.Fprintf(tw, "\n%s\tbaseline\tcurrent\t\n", g.Name)
		for _, rw := range rows(r, g) {
			flag := ""
			switch rw.Flag {
			case "regression":
				flag = "▼ regression"
			case "improvement":
				flag = "▲ improvement"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", rw.Label, rw.Base, rw.Cur, flag)
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
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report for a pull request or a wiki page.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	h := header(r)
	fmt.Fprintf(&b, "# %s\n\n%s\n\n_%s_\n", h[0], h[1], strings.TrimPrefix(h[2], "rule: "))
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
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "\n## %s\n\n| metric | baseline | current | change |\n|---|---|---|---|\n", g.Name)
		for _, rw := range rows(r, g) {
			flag := ""
			switch rw.Flag {
			case "regression":
				flag = "🔻 regression"
			case "improvement":
				flag = "🔺 improvement"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", rw.Label, rw.Base, rw.Cur, flag)
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
