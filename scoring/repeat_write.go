package scoring

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
)

// The summaries of a repeated run show one row per scenario (its
// verdict over the repetitions, passes and the pass rate's interval), the
// timings' medians and p90s with their intervals, and for each verdict
// reached the seeds that reproduce it with the command to run one alone.

// repeatLine is the run's line about its repetitions: how many, which
// seeds, the pass rate's interval and the flaky count.
func repeatLine(c *Scorecard) string {
	s := c.Summary
	line := fmt.Sprintf("every scenario ran %d times, with seeds %d to %d", c.Repeat, c.Seed, c.Seed+int64(c.Repeat)-1)
	if s.PassRateInterval != nil {
		line += fmt.Sprintf(": pass rate %s over %d judged runs", formatRate(s.PassRate, s.PassRateInterval), s.judged())
	}
	return line + fmt.Sprintf("; %d of %d scenarios flaky", s.Flaky, len(s.Repeats))
}

func passedOf(r Repeat) string {
	out := fmt.Sprintf("%d of %d", r.Passed, r.judged())
	switch {
	case r.Errors == 1:
		out += " (1 harness error)"
	case r.Errors > 1:
		out += fmt.Sprintf(" (%d harness errors)", r.Errors)
	}
	return out
}

// writeRepeatTable writes the text table of a repeated run.
func writeRepeatTable(w io.Writer, c *Scorecard) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tVERDICT\tPASSED\tPASS RATE\tDETECT\tACK\tMITIGATE\tRECOVER")
	for _, r := range c.Summary.Repeats {
		med := func(st RepeatStat) string {
			if st.Median == nil {
				return "—"
			}
			return FormatSeconds(&st.Median.Seconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Verdict, passedOf(r), formatRate(r.PassRate, r.PassRateInterval),
			med(r.TimeToDetect), med(r.TimeToAcknowledge), med(r.TimeToMitigate), med(r.TimeToRecover))
	}
	tw.Flush()
	fmt.Fprintln(w, "(timings: medians over the repetitions; each scenario's intervals and seeds below)")
}

// writeRepeatDetails writes, per scenario of a repeated run, its timings
// with intervals, the seeds of each verdict with the command that
// reproduces it, and its warnings once each.
func writeRepeatDetails(w io.Writer, c *Scorecard) {
	for _, r := range c.Summary.Repeats {
		fmt.Fprintf(w, "\n%s (%s:%d): %s, %s passed, pass rate %s\n", r.Name, r.Feature, r.Line, r.Verdict, passedOf(r), formatRate(r.PassRate, r.PassRateInterval))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, t := range repeatTimings(r) {
			if t.st.N > 0 {
				fmt.Fprintf(tw, "  %s\tmedian %s\tp90 %s\tn=%d\n", t.name, formatEstimate(t.st.Median), formatEstimate(t.st.P90), t.st.N)
			}
		}
		tw.Flush()
		for _, o := range r.Outcomes {
			fmt.Fprintf(w, "  %s with seed(s) %s: %s\n", o.Status, seedList(o.Seeds), o.Rerun)
			if o.Status != Passed && o.Reason != "" {
				fmt.Fprintf(w, "    %s\n", o.Reason)
			}
		}
		for _, wc := range repeatWarnings(c, r) {
			fmt.Fprintf(w, "  warning (%d of %d runs%s): %s\n", wc.n, r.Runs, firstSays(wc), wc.text)
		}
	}
}

type warningCount struct {
	text string
	n    int
}

// digits are the measured numbers of a warning, which differ from one
// repetition (or scenario) to the next while the warning says the same
// thing.
var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

// warningGroup is one distinct warning of a run: its text, as the first
// scenario that had it says it, and the scenarios (by feature and line)
// that had it, each with how many of its runs did.
type warningGroup struct {
	text  string
	shape string
	in    []warnedScenario
	// differ is set when the scenarios' texts differ in their numbers.
	differ bool
}

type warnedScenario struct {
	name, feature string
	line          int
	n, runs       int // runs that had it, of the scenario's runs
}

// distinctWarnings groups the warnings of scenarios by what they say,
// the one way every summary says a warning once: warnings that differ
// only in their numbers (a request's measured time, a count per window)
// are one, shown as the first scenario that had it says it. A scenario's
// repetitions are one scenario, counted per run.
func distinctWarnings(scs []Scenario) []warningGroup {
	type key struct {
		feature string
		line    int
	}
	runs := map[key]int{}
	for _, sc := range scs {
		runs[key{sc.Feature, sc.Line}]++
	}
	var out []warningGroup
	for _, sc := range scs {
		k := key{sc.Feature, sc.Line}
		var seen []string // a run counts once per shape
		for _, text := range sc.Warnings {
			shape := digits.ReplaceAllString(text, "#")
			if slices.Contains(seen, shape) {
				continue
			}
			seen = append(seen, shape)
			i := slices.IndexFunc(out, func(g warningGroup) bool { return g.shape == shape })
			if i < 0 {
				out = append(out, warningGroup{text: text, shape: shape})
				i = len(out) - 1
			}
			g := &out[i]
			g.differ = g.differ || text != g.text
			j := slices.IndexFunc(g.in, func(w warnedScenario) bool { return w.feature == k.feature && w.line == k.line })
			if j < 0 {
				g.in = append(g.in, warnedScenario{name: sc.Name, feature: sc.Feature, line: sc.Line, runs: runs[k]})
				j = len(g.in) - 1
			}
			g.in[j].n++
		}
	}
	return out
}

// repeatWarnings are the warnings of a scenario's repetitions, each said
// once with the number of repetitions that had it (distinctWarnings).
func repeatWarnings(c *Scorecard, r Repeat) []warningCount {
	var reps []Scenario
	for _, sc := range c.Scenarios {
		if sc.Repetition != nil && sc.Feature == r.Feature && sc.Line == r.Line {
			reps = append(reps, sc)
		}
	}
	var out []warningCount
	for _, g := range distinctWarnings(reps) {
		out = append(out, warningCount{text: g.text, n: g.in[0].n})
	}
	return out
}

// firstSays says, for a warning several repetitions had, that its
// numbers are the first one's.
func firstSays(wc warningCount) string {
	if wc.n > 1 && digits.MatchString(wc.text) {
		return "; the first's numbers"
	}
	return ""
}

// writeWarningsMarkdown writes the run's warnings for a pull-request
// comment: one paragraph per distinct warning, naming the scenarios that
// had it (and, in a repeated run, in how many of their runs).
func writeWarningsMarkdown(b *strings.Builder, scs []Scenario, repeated bool) {
	groups := distinctWarnings(scs)
	if len(groups) == 0 {
		return
	}
	b.WriteString("\n### Warnings\n\n")
	for _, g := range groups {
		var where []string
		for _, w := range g.in {
			s := fmt.Sprintf("**%s** (`%s:%d`", mdEscape(w.name), w.feature, w.line)
			if repeated {
				s += fmt.Sprintf(", %d of %d runs", w.n, w.runs)
			}
			where = append(where, s+")")
		}
		note := ""
		switch {
		case g.differ && repeated:
			note = fmt.Sprintf(" (as the first run of %s that had it says it; other runs' numbers differ)", mdEscape(g.in[0].name))
		case g.differ:
			note = fmt.Sprintf(" (as %s says it; the others' numbers differ)", mdEscape(g.in[0].name))
		}
		if len(g.in) == 1 && note == "" {
			fmt.Fprintf(b, "- %s — %s\n", where[0], mdEscape(g.text))
			continue
		}
		fmt.Fprintf(b, "- %s%s — in %s\n", mdEscape(g.text), note, strings.Join(where, ", "))
	}
}

// writeRepeatMarkdown writes the per-scenario table of a repeated run and
// its timings with intervals.
func writeRepeatMarkdown(b *strings.Builder, c *Scorecard) {
	b.WriteString("| scenario | verdict | passed | pass rate (95% interval) |\n|---|---|---|---|\n")
	for _, r := range c.Summary.Repeats {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdEscape(r.Name), repeatMark(r.Verdict), passedOf(r), formatRate(r.PassRate, r.PassRateInterval))
	}
	fmt.Fprintf(b, "\n%s.\n", mdEscape(repeatLine(c)))
	header := false
	for _, r := range c.Summary.Repeats {
		for _, t := range repeatTimings(r) {
			if t.st.N == 0 {
				continue
			}
			if !header {
				b.WriteString("\n| scenario | timing | n | median (95% interval) | p90 (95% interval) |\n|---|---|---|---|---|\n")
				header = true
			}
			fmt.Fprintf(b, "| %s | %s | %d | %s | %s |\n", mdEscape(r.Name), t.name, t.st.N, formatEstimate(t.st.Median), formatEstimate(t.st.P90))
		}
	}
}

// writeRepeatProblemsMarkdown lists the scenarios of a repeated run that
// did not pass every time, with the seeds and command of each verdict,
// then each distinct warning once.
func writeRepeatProblemsMarkdown(b *strings.Builder, c *Scorecard) {
	header := false
	for _, r := range c.Summary.Repeats {
		if r.Verdict == Passed {
			continue
		}
		if !header {
			b.WriteString("\n### Why scenarios did not pass, and the seeds to reproduce it\n\n")
			header = true
		}
		fmt.Fprintf(b, "- **%s** (`%s:%d`) — %s, %s passed\n", mdEscape(r.Name), r.Feature, r.Line, r.Verdict, passedOf(r))
		for _, o := range r.Outcomes {
			fmt.Fprintf(b, "  - %s with seed(s) %s: `%s`", o.Status, seedList(o.Seeds), o.Rerun)
			if o.Status != Passed && o.Reason != "" {
				fmt.Fprintf(b, " — %s", mdEscape(o.Reason))
			}
			b.WriteString("\n")
		}
	}
	var reps []Scenario
	for _, sc := range c.Scenarios {
		if sc.Repetition != nil {
			reps = append(reps, sc)
		}
	}
	writeWarningsMarkdown(b, reps, true)
}

func repeatMark(v Verdict) string {
	if v == Flaky {
		return "🔀 flaky"
	}
	return statusMark(v)
}

// repeatOf is the Repeat record of a repetition's scenario, if any.
func repeatOf(c *Scorecard, sc Scenario) (Repeat, bool) {
	if sc.Repetition == nil {
		return Repeat{}, false
	}
	for _, r := range c.Summary.Repeats {
		if r.Feature == sc.Feature && r.Line == sc.Line {
			return r, true
		}
	}
	return Repeat{}, false
}
