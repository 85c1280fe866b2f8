package scoring

import (
	"fmt"
	"strings"
)

// MetricKind says what a Metric measures: one scenario's timing, one
// phase of its time to recover, or a rate or count over a run.
type MetricKind string

// The kinds of metrics.
const (
	KindTiming MetricKind = "timing"
	KindPhase  MetricKind = "phase"
	KindRun    MetricKind = "run"
)

// Metric defines one measure drill reports, once: the README, docs/,
// the scorecard schema's descriptions and drill run --help are generated
// from Metrics (their tests fail when one is stale).
type Metric struct {
	Kind MetricKind
	// Name is what people read: "time to detect", "remediate".
	Name string
	// Field is its name in the scorecard JSON: the Timings and Summary
	// field of a timing, the Phase.Name of a phase, the Summary field of
	// a run metric. Gates name timings and run metrics by it.
	Field string
	// Label is the short name of a table column or breakdown bar, where
	// one is shown.
	Label string
	// From and To are the instants a timing or phase runs between.
	From, To string
	// Meaning is what it tells, in a line.
	Meaning string
}

// Metrics are every timing, phase and run metric drill reports, in the
// order the summaries show them.
var Metrics = []Metric{
	{Kind: KindTiming, Name: "time to detect", Field: "time_to_detect", Label: "DETECT",
		From: "the first fault on", To: "the first firing of an alert a step of the scenario waits for (not one it only tolerates with may fire), in an episode begun after the fault",
		Meaning: "how long the team's own alerts took to notice the fault; absent when none fired, and in a scenario no step of which waits for an alert to fire"},
	{Kind: KindTiming, Name: "time to acknowledge", Field: "time_to_acknowledge", Label: "ACK",
		From: "the first page at or after the first expected alert firing", To: "the first acknowledgement after that page",
		Meaning: "how long until a responder took the page, escalation hops included (PagerDuty's and incident.io's time to acknowledge)"},
	{Kind: KindTiming, Name: "time to mitigate", Field: "time_to_mitigate", Label: "MITIGATE",
		From: "the first acknowledgement", To: "the service recovered (a recovery step read its condition good on data)",
		Meaning: "how long the response took from the acknowledgement to the service back: the diagnose, remediate and verify phases"},
	{Kind: KindTiming, Name: "time to recover", Field: "time_to_recover", Label: "RECOVER",
		From: "the first fault on", To: "the service recovered",
		Meaning: "the whole incident as users lived it (the time to resolve of PagerDuty's and incident.io's analytics); when every phase ended, their sum"},

	{Kind: KindPhase, Name: PhaseDetect, Field: PhaseDetect, Label: PhaseDetect,
		From: "the first fault on", To: "the first expected alert firing",
		Meaning: "the alert rules noticing the fault: time to detect"},
	{Kind: KindPhase, Name: PhaseRoute, Field: PhaseRoute, Label: PhaseRoute,
		From: "the first expected alert firing", To: "the first page",
		Meaning: "routes and the escalation policy reaching someone: with the team's alertmanager.yml, its group_wait, and as long as its inhibit_rules or time intervals hold the page back"},
	{Kind: KindPhase, Name: PhaseAcknowledge, Field: PhaseAcknowledge, Label: "ack",
		From: "the first page", To: "the first acknowledgement",
		Meaning: "the responder taking the page, across escalation hops: time to acknowledge"},
	{Kind: KindPhase, Name: PhaseDiagnose, Field: PhaseDiagnose, Label: PhaseDiagnose,
		From: "the acknowledgement", To: "the end of the runbook's Diagnosis steps",
		Meaning: "finding out what is wrong"},
	{Kind: KindPhase, Name: PhaseRemediate, Field: PhaseRemediate, Label: PhaseRemediate,
		From: "the end of the Diagnosis steps", To: "the end of the runbook's Mitigation steps",
		Meaning: "applying the runbook's fix (its Mitigation section, lint.sections.mitigation in drill.yaml)"},
	{Kind: KindPhase, Name: PhaseVerify, Field: PhaseVerify, Label: PhaseVerify,
		From: "the end of the Mitigation steps", To: "the service recovered",
		Meaning: "the Verification steps, then waiting for the recovery condition to read good; diagnose, remediate and verify add up to time to mitigate"},

	{Kind: KindRun, Name: "pass rate", Field: "pass_rate",
		Meaning: "passed / (passed + failed + inconclusive) scenarios: harness errors say nothing of the team and are left out"},
	{Kind: KindRun, Name: "pass rate interval", Field: "pass_rate_interval",
		Meaning: "in a repeated run (--repeat N), the 95% Wilson score interval of the pass rate"},
	{Kind: KindRun, Name: "flaky", Field: "flaky",
		Meaning: "in a repeated run, the scenarios some repetitions of which passed and some failed"},
	{Kind: KindRun, Name: "false alarms", Field: "false_alarms",
		Meaning: "the alert firings that detected no fault: those in the control window, before the first fault; those of an episode already pending when the fault went on; and those no step of their scenario expects or tolerates"},
	{Kind: KindRun, Name: "false alarm rate", Field: "false_alarm_rate",
		Meaning: "false alarms / alert firings"},
	{Kind: KindRun, Name: "alert precision", Field: "alert_precision",
		Meaning: "per alert: its firings a fault explained (not false alarms) / its firings"},
	{Kind: KindRun, Name: "bottleneck", Field: "bottleneck",
		Meaning: "the phase that was most often a scenario's longest (on a tie, the one with more time in all)"},
	{Kind: KindRun, Name: "handoffs", Field: "handoffs",
		Meaning: "escalation hops and re-pages (a page to someone already paged) after the detection, over the run's scenarios"},
	{Kind: KindRun, Name: "role gaps", Field: "role_gaps",
		Meaning: "incident roles required and never filled, filled after their deadline, or held with a role that should be separate"},
}

// MetricsOf returns the metrics of one kind, in order.
func MetricsOf(k MetricKind) []Metric {
	var out []Metric
	for _, m := range Metrics {
		if m.Kind == k {
			out = append(out, m)
		}
	}
	return out
}

// MetricNamed returns the metric whose Field is field.
func MetricNamed(field string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Field == field {
			return m, true
		}
	}
	return Metric{}, false
}

// PhaseLabel is the short name of a phase on bars and in tables (its
// Metric's Label: "ack" for acknowledge); a name Metrics does not know
// is its own label.
func PhaseLabel(name string) string {
	for _, m := range MetricsOf(KindPhase) {
		if m.Field == name {
			return m.Label
		}
	}
	return name
}

// Span is "From → To" of a timing or phase.
func (m Metric) Span() string { return m.From + " → " + m.To }

// Definition is the metric's one-line definition: its span, where it has
// one, then its meaning.
func (m Metric) Definition() string {
	if m.From == "" {
		return m.Meaning
	}
	return m.Span() + ": " + m.Meaning
}

// How the summaries aggregate timings and phases over a run, said once.
const (
	timingsNote = "Every timing and phase is drill time. A scenario's timing is absent when its end never happened. " +
		"The run's summary gives each timing's median, p90 (nearest rank) and maximum over the scenarios where it happened, " +
		"and each phase's over the scenarios where it ended; harness errors are left out of both, so a phase that is a timing " +
		"(detect, acknowledge) counts the scenarios its timing does."
	phasesNote = "The phases split time to recover where the response went, end to end: each starts where the one before it ended, " +
		"and when every phase ended they add up to time to recover. A phase that never ended is shown open (░), measured to the scenario's " +
		"last event: it can be the scenario's bottleneck, but it is no sample of the run's phase statistics. " +
		"A scenario no step of which waits for an alert to fire has no phases, as it has no time to detect."
)

// MetricsMarkdown renders the definitions as Markdown tables: timings,
// phases and, with run, the rates and counts of a run.
func MetricsMarkdown(run bool) string {
	var b strings.Builder
	b.WriteString("| timing | JSON field | from → to | what it tells |\n|---|---|---|---|\n")
	for _, m := range MetricsOf(KindTiming) {
		fmt.Fprintf(&b, "| %s (`%s`) | `%s` | %s → %s | %s |\n", m.Name, m.Label, m.Field, m.From, m.To, m.Meaning)
	}
	b.WriteString("\n" + timingsNote + "\n\n")
	b.WriteString("| phase of time to recover | from → to | what it is |\n|---|---|---|\n")
	for _, m := range MetricsOf(KindPhase) {
		fmt.Fprintf(&b, "| `%s` | %s → %s | %s |\n", m.Field, m.From, m.To, m.Meaning)
	}
	b.WriteString("\n" + phasesNote + "\n")
	if run {
		b.WriteString("\n| run metric | JSON field (summary) | what it is |\n|---|---|---|\n")
		for _, m := range MetricsOf(KindRun) {
			fmt.Fprintf(&b, "| %s | `%s` | %s |\n", m.Name, m.Field, m.Meaning)
		}
	}
	return b.String()
}

// MetricsHelp renders the timings and phases for a command's help: one
// entry each, from → to, wrapped to 78 columns.
func MetricsHelp() string {
	var b strings.Builder
	b.WriteString("The scorecard's timings, in drill time (docs/metrics.md defines every metric):\n\n")
	var names []string
	for _, m := range MetricsOf(KindTiming) {
		names = append(names, fmt.Sprintf("%s (%s)", m.Name, m.Label))
	}
	writeEntries(&b, names, MetricsOf(KindTiming))
	names = names[:0]
	for _, m := range MetricsOf(KindPhase) {
		names = append(names, m.Field)
	}
	fmt.Fprintf(&b, "\nTime to recover in phases, each from where the one before ended\n(%s):\n\n", strings.Join(names, " · "))
	writeEntries(&b, names, MetricsOf(KindPhase))
	return strings.TrimSuffix(b.String(), "\n")
}

// helpWidth is the width MetricsHelp wraps to.
const helpWidth = 78

// writeEntries writes "  NAME  SPAN" for each metric, the names in one
// column and the spans wrapped beside them.
func writeEntries(b *strings.Builder, names []string, ms []Metric) {
	col := 0
	for _, n := range names {
		col = max(col, len(n))
	}
	indent := strings.Repeat(" ", 2+col+2)
	for i, m := range ms {
		line := fmt.Sprintf("  %-*s  ", col, names[i])
		for _, w := range strings.Fields(m.Span()) {
			if len(line) > len(indent) && len([]rune(line))+1+len([]rune(w)) > helpWidth {
				b.WriteString(strings.TrimRight(line, " ") + "\n")
				line = indent
			}
			if !strings.HasSuffix(line, " ") {
				line += " "
			}
			line += w
		}
		b.WriteString(line + "\n")
	}
}
