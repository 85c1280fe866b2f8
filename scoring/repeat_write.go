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
// repetition to the next while the warning says the same thing.
var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

// repeatWarnings are the warnings of a scenario's repetitions, each said
// once with the number of repetitions that had it: warnings that differ
// only in their numbers (a request's measured time) count as one, shown
// as the first repetition that had it says it.
func repeatWarnings(c *Scorecard, r Repeat) []warningCount {
	var out []warningCount
	var shapes []string
	for _, sc := range c.Scenarios {
		if sc.Repetition == nil || sc.Feature != r.Feature || sc.Line != r.Line {
			continue
		}
		var seen []string // a repetition counts once per shape
		for _, text := range sc.Warnings {
			shape := digits.ReplaceAllString(text, "#")
			if slices.Contains(seen, shape) {
				continue
			}
			seen = append(seen, shape)
			if i := slices.Index(shapes, shape); i >= 0 {
				out[i].n++
				continue
			}
			shapes = append(shapes, shape)
			out = append(out, warningCount{text: text, n: 1})
		}
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
// then each scenario's warnings once.
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
	warned := false
	for _, r := range c.Summary.Repeats {
		for _, wc := range repeatWarnings(c, r) {
			if !warned {
				b.WriteString("\n### Warnings\n\n")
				warned = true
			}
			fmt.Fprintf(b, "- **%s** (`%s:%d`, %d of %d runs%s) — %s\n", mdEscape(r.Name), r.Feature, r.Line, wc.n, r.Runs, firstSays(wc), mdEscape(wc.text))
		}
	}
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
