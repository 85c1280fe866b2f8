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
	return out
}

// describe says a change in words: "overall: pass rate 90.0% → 70.0% (-20.0 points)".
func describe(c Change) string {
	label := strings.ReplaceAll(strings.TrimSuffix(c.Metric, "_p90"), "_", " ")
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
	_, err := io.WriteString(w, b.String())
	return err
}
