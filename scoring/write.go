package scoring

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/timeline"
)

// WriteJSON writes the scorecard as indented JSON, in the versioned
// format described by scorecard.schema.json.
func WriteJSON(w io.Writer, c *Scorecard) error {
	c.normalize()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

// JUnit XML, as CI systems read it: one suite per feature file, one case
// per scenario. Inconclusive scenarios are failures of type
// "inconclusive" so that a gate never reads them as green. In a repeated
// run every repetition is a case of its own, named with its seed
// ("NAME [seed 3]"), so that CI tools show which seeds failed; the
// failures of a flaky scenario say so, with the command that reruns
// the seed.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes the scorecard as JUnit XML.
func WriteJUnit(w io.Writer, c *Scorecard) error {
	root := junitSuites{Name: "drill " + c.RunID}
	byFeature := map[string]*junitSuite{}
	var order []string
	for _, sc := range c.Scenarios {
		s, ok := byFeature[sc.Feature]
		if !ok {
			s = &junitSuite{Name: sc.Feature}
			byFeature[sc.Feature] = s
			order = append(order, sc.Feature)
		}
		jc := junitCase{Name: sc.Name, Classname: sc.Feature, Time: fmt.Sprintf("%.3f", sc.WallSeconds), SystemOut: timelineText(sc)}
		prob := &junitProblem{Type: string(sc.Status), Message: sc.Reason, Body: failedStepText(sc)}
		if sc.Repetition != nil {
			jc.Name = fmt.Sprintf("%s [seed %d]", sc.Name, sc.Repetition.Seed)
			prob.Body += "rerun: " + sc.Repetition.Rerun + "\n"
			if r, ok := repeatOf(c, sc); ok && r.Verdict == Flaky {
				prob.Message = fmt.Sprintf("flaky (%d of %d seeds passed): %s", r.Passed, r.judged(), sc.Reason)
			}
		}
		switch sc.Status {
		case Failed, Inconclusive:
			jc.Failure = prob
			s.Failures++
			root.Failures++
		case Error:
			jc.Error = prob
			s.Errors++
			root.Errors++
		}
		s.Tests++
		root.Tests++
		s.Cases = append(s.Cases, jc)
	}
	for _, f := range order {
		s := byFeature[f]
		var total float64
		for _, c := range s.Cases {
			var v float64
			fmt.Sscanf(c.Time, "%g", &v)
			total += v
		}
		s.Time = fmt.Sprintf("%.3f", total)
		root.Suites = append(root.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func failedStepText(sc Scenario) string {
	var b strings.Builder
	for _, st := range sc.Steps {
		if st.Status == StepFailed || st.Status == StepUndefined {
			fmt.Fprintf(&b, "%s:%d: %s %s\n%s\n", sc.Feature, st.Line, st.Keyword, st.Text, st.Error)
		}
	}
	return b.String()
}

func timelineText(sc Scenario) string {
	var b strings.Builder
	start := scenarioStart(sc)
	for _, e := range sortedEvents(sc.Events) {
		fmt.Fprintf(&b, "%s %s\n", Offset(e.At.Sub(start)), e.Describe())
	}
	return b.String()
}

func scenarioStart(sc Scenario) time.Time { return StartOf(sc.Events) }

// StartOf is the start of a scenario whose timeline holds events: its
// earliest event. The offsets of the scorecard (Offset) and of step
// messages count from it.
func StartOf(events []timeline.Event) time.Time {
	var start time.Time
	for i, e := range events {
		if i == 0 || e.At.Before(start) {
			start = e.At
		}
	}
	return start
}

// Offset formats a drill-time offset from a scenario's start: "+04:30".
func Offset(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	if h > 0 {
		return fmt.Sprintf("+%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("+%02d:%02d", m, s)
}

// FormatSeconds renders an optional duration for people: "4m30s" or "—".
func FormatSeconds(s *Seconds) string {
	if s == nil {
		return "—"
	}
	return s.Duration().Round(time.Second).String()
}

func formatStat(s Stat) string {
	if s.N == 0 {
		return "— (n=0)"
	}
	return fmt.Sprintf("%s / %s (n=%d)", FormatSeconds(s.Median), FormatSeconds(s.P90), s.N)
}

// WriteMarkdown writes a summary fit for a pull-request comment.
func WriteMarkdown(w io.Writer, c *Scorecard, gates []GateResult) error {
	s := c.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "## drill scorecard — %s\n\n", c.Team)
	fmt.Fprintf(&b, "**%d/%d passed** (pass rate %.0f%%)", s.Passed, s.Passed+s.Failed+s.Inconclusive, s.PassRate*100)
	if s.Inconclusive > 0 {
		fmt.Fprintf(&b, ", %d inconclusive", s.Inconclusive)
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, ", %d harness errors", s.Errors)
	}
	if c.Repeat > 1 {
		fmt.Fprintf(&b, ", %d flaky", s.Flaky)
	}
	fmt.Fprintf(&b, " · speed ×%g · seed %d · run `%s`\n\n", c.Speed, c.Seed, c.RunID)
	if c.Repeat > 1 {
		writeRepeatMarkdown(&b, c)
	} else {
		b.WriteString("| scenario | status | detect | acknowledge | mitigate | recover | false alarms |\n|---|---|---|---|---|---|---|\n")
	}
	for _, sc := range c.single() {
		fa := 0
		for _, a := range sc.Alerts {
			if a.FalseAlarm {
				fa++
			}
		}
		t := sc.Timings
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d |\n", mdEscape(sc.Name), statusMark(sc.Status),
			FormatSeconds(t.TimeToDetect), FormatSeconds(t.TimeToAcknowledge), FormatSeconds(t.TimeToMitigate), FormatSeconds(t.TimeToRecover), fa)
	}
	b.WriteString("\n| metric | median / p90 |\n|---|---|\n")
	fmt.Fprintf(&b, "| time to detect | %s |\n| time to acknowledge | %s |\n| time to mitigate | %s |\n| time to recover | %s |\n",
		formatStat(s.TimeToDetect), formatStat(s.TimeToAcknowledge), formatStat(s.TimeToMitigate), formatStat(s.TimeToRecover))
	fmt.Fprintf(&b, "| false alarm rate | %.0f%% (%d of %d alerts) |\n", s.FalseAlarmRate*100, s.FalseAlarms, s.Alerts)
	if line := speedLine(c); line != "" {
		fmt.Fprintf(&b, "| alert times | %s |\n", mdEscape(line))
	}
	for _, line := range sandboxLines(c) {
		fmt.Fprintf(&b, "| isolation | %s |\n", mdEscape(line))
	}
	var problems []Scenario
	for _, sc := range c.single() {
		if sc.Status != Passed {
			problems = append(problems, sc)
		}
	}
	if len(problems) > 0 {
		b.WriteString("\n### Why scenarios did not pass\n\n")
		for _, sc := range problems {
			fmt.Fprintf(&b, "- **%s** (`%s:%d`) — %s: %s\n", mdEscape(sc.Name), sc.Feature, sc.Line, sc.Status, mdEscape(sc.Reason))
		}
	}
	if c.Repeat > 1 {
		writeRepeatProblemsMarkdown(&b, c)
	}
	writeWarningsMarkdown(&b, c.single(), false)
	writeBreakdownMarkdown(&b, c)
	writeRunbooksMarkdown(&b, c)
	if len(gates) > 0 {
		b.WriteString("\n### Gates\n\n")
		for _, g := range gates {
			mark := "✅"
			if !g.OK {
				mark = "❌ " + g.Reason
			}
			fmt.Fprintf(&b, "- `%s` %s\n", g.Gate, mark)
		}
	}
	if len(c.Lint) > 0 {
		fmt.Fprintf(&b, "\n### Lint findings (%d)\n\n", len(c.Lint))
		writeFindingsMarkdown(&b, c.Lint)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteLintFailureMarkdown writes summary.md for a run stopped by lint
// (drill ci, exit 3): no drill ran, and the findings that stopped it
// (errors, and with strict warnings too) come first, then the others.
func WriteLintFailureMarkdown(w io.Writer, team string, findings []Finding, strict bool) error {
	failing := func(f Finding) bool { return f.Severity == "error" || (strict && f.Severity == "warning") }
	var stop, rest []Finding
	for _, f := range findings {
		if failing(f) {
			stop = append(stop, f)
		} else {
			rest = append(rest, f)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## drill scorecard — %s\n\n", team)
	level := "error"
	if strict {
		level = "error or warning (--strict)"
	}
	fmt.Fprintf(&b, "**Lint failed: no drill ran.** %d finding(s) at %s level; drill ci runs the drills a change touches only on a lint-clean team.\n\n", len(stop), level)
	fmt.Fprintf(&b, "### Lint findings that stopped the run (%d)\n\n", len(stop))
	writeFindingsMarkdown(&b, stop)
	if len(rest) > 0 {
		fmt.Fprintf(&b, "\n### Other lint findings (%d)\n\n", len(rest))
		writeFindingsMarkdown(&b, rest)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFindingsMarkdown(b *strings.Builder, fs []Finding) {
	for _, f := range fs {
		fmt.Fprintf(b, "- `%s:%d` %s %s: %s\n", f.File, f.Line, f.ID, f.Severity, mdEscape(f.Message))
	}
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func statusMark(s Verdict) string {
	switch s {
	case Passed:
		return "✅ passed"
	case Failed:
		return "❌ failed"
	case Inconclusive:
		return "❔ inconclusive"
	}
	return "⚠️ error"
}

// maxBlockedLines bounds the refused connections a summary lists.
const maxBlockedLines = 10

// sandboxLines say what isolation was in force and which connections the
// drill world's network refused; none for a scorecard without the field.
func sandboxLines(c *Scorecard) []string {
	if c.Sandbox == "" {
		return nil
	}
	what := map[string]string{
		"bwrap+netns":         "runbook steps in namespaces (bwrap), the drill world's network loopback only",
		"bwrap":               "runbook steps in namespaces (bwrap), the drill world in the host's network",
		"process-group+netns": "runbook steps without namespaces, the drill world's network loopback only",
		"process-group":       "runbook steps without namespaces, the drill world in the host's network",
	}[c.Sandbox]
	lines := []string{strings.TrimSuffix(fmt.Sprintf("sandbox %s: %s", c.Sandbox, what), ": ")}
	for i, bc := range c.BlockedConnections {
		if i == maxBlockedLines {
			lines = append(lines, fmt.Sprintf("… and %d more refused connections (scorecard.json)", len(c.BlockedConnections)-i))
			break
		}
		l := fmt.Sprintf("refused connection: %s %s", bc.Proto, bc.Address)
		if bc.Count > 1 {
			l += fmt.Sprintf(" ×%d", bc.Count)
		}
		if len(bc.By) > 0 {
			l += " (" + strings.Join(bc.By, "; ") + ")"
		}
		lines = append(lines, l)
	}
	return lines
}

// speedLine says in how many scenarios the run's speed made alert times
// approximate, and the speed that would not have; "" when in none.
func speedLine(c *Scorecard) string {
	s := c.Summary
	if s.SpeedWarned == 0 {
		return ""
	}
	line := fmt.Sprintf("alert and recovery times approximate at ×%g in %d of %d scenarios (see their warnings)", c.Speed, s.SpeedWarned, s.Total)
	if s.SteadySpeed > 0 {
		line += fmt.Sprintf("; steady at speed %g or lower", s.SteadySpeed)
	}
	return line
}

// WriteText writes the terminal summary table.
func WriteText(w io.Writer, c *Scorecard, gates []GateResult) error {
	s := c.Summary
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if c.Repeat > 1 {
		writeRepeatTable(w, c)
	} else {
		fmt.Fprintln(tw, "SCENARIO\tSTATUS\tDETECT\tACK\tMITIGATE\tRECOVER\tFALSE ALARMS")
	}
	for _, sc := range c.single() {
		fa := 0
		for _, a := range sc.Alerts {
			if a.FalseAlarm {
				fa++
			}
		}
		t := sc.Timings
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", sc.Name, sc.Status, FormatSeconds(t.TimeToDetect),
			FormatSeconds(t.TimeToAcknowledge), FormatSeconds(t.TimeToMitigate), FormatSeconds(t.TimeToRecover), fa)
	}
	tw.Flush()
	fmt.Fprintf(w, "\npass rate %.0f%% (%d passed, %d failed, %d inconclusive, %d errors)\n", s.PassRate*100, s.Passed, s.Failed, s.Inconclusive, s.Errors)
	fmt.Fprintf(w, "time to detect %s · acknowledge %s · mitigate %s · recover %s (median / p90)\n",
		formatStat(s.TimeToDetect), formatStat(s.TimeToAcknowledge), formatStat(s.TimeToMitigate), formatStat(s.TimeToRecover))
	fmt.Fprintf(w, "false alarm rate %.0f%% (%d of %d alerts)\n", s.FalseAlarmRate*100, s.FalseAlarms, s.Alerts)
	if c.Repeat > 1 {
		fmt.Fprintln(w, repeatLine(c))
	}
	if line := speedLine(c); line != "" {
		fmt.Fprintln(w, line)
	}
	for _, line := range sandboxLines(c) {
		fmt.Fprintln(w, line)
	}
	writeBreakdownText(w, c)
	writeRunbooksText(w, c)
	if c.Repeat > 1 {
		writeRepeatDetails(w, c)
	}
	for _, sc := range c.single() {
		if sc.Status != Passed {
			fmt.Fprintf(w, "\n%s (%s:%d) %s: %s\n", sc.Name, sc.Feature, sc.Line, sc.Status, sc.Reason)
		}
		for _, warn := range sc.Warnings {
			fmt.Fprintf(w, "\n%s (%s:%d) warning: %s\n", sc.Name, sc.Feature, sc.Line, warn)
		}
	}
	names := make([]string, 0, len(gates))
	for _, g := range gates {
		mark := "ok"
		if !g.OK {
			mark = "MISSED: " + g.Reason
		}
		names = append(names, fmt.Sprintf("gate %s: %s", g.Gate, mark))
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(w, n)
	}
	return nil
}

// writeBreakdownText writes where the time went, per scenario and for
// the run, with the roles and their gaps.
func writeBreakdownText(w io.Writer, c *Scorecard) {
	shown := false
	for _, sc := range c.single() {
		b := sc.Breakdown
		if b == nil && len(sc.Roles) == 0 && len(sc.RoleGaps) == 0 {
			continue
		}
		if !shown {
			fmt.Fprintln(w, "\nwhere the time went (drill time from the fault)")
			shown = true
		}
		fmt.Fprintf(w, "%s\n", sc.Name)
		if b != nil {
			fmt.Fprintf(w, "  %s\n", b.Bar())
			if b.Bottleneck != "" {
				fmt.Fprintf(w, "  bottleneck: %s\n", b.Evidence)
			}
			fmt.Fprintf(w, "  handoffs %s", b.handoffText())
			if len(b.ManualSteps) > 0 {
				m := b.ManualSteps[0]
				fmt.Fprintf(w, " · slowest manual step %s %s (%s)", m.Step, FormatSeconds(&m.Seconds), m.Where)
			}
			fmt.Fprintln(w)
		}
		if len(sc.Roles) > 0 {
			fmt.Fprintf(w, "  roles: %s\n", rolesText(sc))
		}
		if len(sc.RoleGaps) > 0 {
			fmt.Fprintf(w, "  role gaps: %s\n", gapsText(sc))
		}
	}
	s := c.Summary
	if s.Bottleneck != "" {
		fmt.Fprintf(w, "\nbottleneck of the run: %s (longest phase in %d of %d scenarios) · handoffs %d · role gaps %d\n",
			s.Bottleneck, s.Bottlenecks[s.Bottleneck], s.Total, s.Handoffs, s.RoleGaps)
	}
	for i, m := range s.AutomationCandidates {
		if i == 0 {
			fmt.Fprintln(w, "automation candidates (manual steps, total drill time):")
		}
		fmt.Fprintf(w, "  %s/%s %s in %d scenario(s) (%s)\n", m.Runbook, m.Step, FormatSeconds(&m.Seconds), m.Count, m.Where)
	}
}

func writeBreakdownMarkdown(b *strings.Builder, c *Scorecard) {
	header := false
	for _, sc := range c.single() {
		bd := sc.Breakdown
		if bd == nil {
			continue
		}
		if !header {
			b.WriteString("\n### Where the time went\n\n| scenario | breakdown (drill time from the fault) | bottleneck | handoffs |\n|---|---|---|---|\n")
			header = true
		}
		fmt.Fprintf(b, "| %s | `%s` | %s | %d |\n", mdEscape(sc.Name), bd.Bar(), mdEscape(bd.Evidence), bd.Handoffs)
	}
	s := c.Summary
	if s.Bottleneck != "" {
		fmt.Fprintf(b, "\nBottleneck of the run: **%s** (longest phase in %d of %d scenarios).\n", s.Bottleneck, s.Bottlenecks[s.Bottleneck], s.Total)
	}
	if len(s.AutomationCandidates) > 0 {
		b.WriteString("\nAutomation candidates (manual steps that cost the most drill time):\n\n")
		for _, m := range s.AutomationCandidates {
			fmt.Fprintf(b, "- `%s` / %s — %s in %d scenario(s) (`%s`)\n", m.Runbook, mdEscape(m.Step), FormatSeconds(&m.Seconds), m.Count, m.Where)
		}
	}
	roles := false
	for _, sc := range c.single() {
		if len(sc.Roles) == 0 && len(sc.RoleGaps) == 0 {
			continue
		}
		if !roles {
			b.WriteString("\n### Incident roles\n\n")
			roles = true
		}
		fmt.Fprintf(b, "- **%s**: %s", mdEscape(sc.Name), mdEscape(rolesText(sc)))
		if len(sc.RoleGaps) > 0 {
			fmt.Fprintf(b, " — ⚠️ %s", mdEscape(gapsText(sc)))
		}
		b.WriteString("\n")
	}
}

// single is the scenarios the summaries show one by one: every scenario
// of a single run, none of a repeated run, whose summaries show one
// record per scenario (Summary.Repeats) and leave each repetition to
// the JSON scorecard.
func (c *Scorecard) single() []Scenario {
	if c.Repeat > 1 {
		return nil
	}
	return c.Scenarios
}

// normalize replaces nil slices and maps by empty ones, so that the JSON
// has arrays and objects where the schema promises them.
func (c *Scorecard) normalize() {
	if c.Lint == nil {
		c.Lint = []Finding{}
	}
	if c.Scenarios == nil {
		c.Scenarios = []Scenario{}
	}
	if c.Summary.Precision == nil {
		c.Summary.Precision = map[string]Precision{}
	}
	if c.Summary.Families == nil {
		c.Summary.Families = map[string]Family{}
	}
	for i := range c.Scenarios {
		sc := &c.Scenarios[i]
		if sc.Steps == nil {
			sc.Steps = []Step{}
		}
		if sc.Evidence == nil {
			sc.Evidence = map[string]int64{}
		}
		if sc.Alerts == nil {
			sc.Alerts = []Alert{}
		}
		if sc.Events == nil {
			sc.Events = []timeline.Event{}
		}
	}
}
