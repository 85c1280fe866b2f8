package scoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// noAlertScenario expects no alert: it tolerates LLMLatencyHigh ("may
// fire") and checks that the service holds up. The tolerated alert fires
// after the fault, and a page goes out and is acknowledged.
func noAlertScenario() Scenario {
	return Scenario{
		Name: "The search API changes its schema", Feature: "features/third-party.feature", Line: 12, Status: Passed,
		ExpectedAlerts: []string{"LLMLatencyHigh"}, NoAlertExpected: true,
		Steps: []Step{
			{Keyword: "Then ", Text: `alert "LLMLatencyHigh" may fire`, Line: 15, Status: StepPassed},
			{Keyword: "And ", Text: `"up == 1" holds for 5m`, Line: 16, Status: StepPassed},
		},
		Evidence: map[string]int64{"schema-change": 40},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, 5*time.Minute, timeline.ControlEnd, ""),
			ev(3, 5*time.Minute, timeline.FaultOn, "schema-change"),
			ev(4, 7*time.Minute, timeline.AlertFiring, "LLMLatencyHigh"),
			ev(5, 7*time.Minute+30*time.Second, timeline.Page, "alice"),
			ev(6, 8*time.Minute, timeline.Ack, "alice"),
			ev(7, 10*time.Minute, timeline.ScenarioEnd, ""),
		},
	}
}

// A scenario that expects no alert shows no detection: no time to detect
// (nor any timing that follows one), no breakdown, and its tolerated
// alert is no false alarm.
func TestNoAlertExpectedHasNoDetection(t *testing.T) {
	sc := noAlertScenario()
	Analyze(&sc)
	require.Nil(t, sc.Timings.TimeToDetect)
	require.Nil(t, sc.Timings.TimeToAcknowledge, "no page answers a detection")
	require.Nil(t, sc.Breakdown, "no detect phase, no phases at all")
	require.Len(t, sc.Alerts, 1)
	require.False(t, sc.Alerts[0].FalseAlarm, "tolerated")

	// The same timeline in a scenario that waits for the alert detects.
	sc.NoAlertExpected = false
	Analyze(&sc)
	require.Equal(t, 2*time.Minute, sc.Timings.TimeToDetect.Duration())
	require.Equal(t, 30*time.Second, sc.Timings.TimeToAcknowledge.Duration())
	require.Equal(t, PhaseDetect, sc.Breakdown.Phases[0].Name)
}

// A tolerated alert ("may fire") that fires first, in a scenario that
// waits for another, is no false alarm and no detection: time to detect
// and the page's time run from the awaited alert's firing.
func TestToleratedAlertIsNoDetection(t *testing.T) {
	sc := Scenario{
		Name: "s", Status: Passed, ExpectedAlerts: []string{"LLMProviderErrors", "LLMLatencyHigh"},
		ToleratedAlerts: []string{"LLMLatencyHigh"},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, 5*time.Minute, timeline.ControlEnd, ""),
			ev(3, 5*time.Minute, timeline.FaultOn, "errors"),
			ev(4, 6*time.Minute, timeline.AlertFiring, "LLMLatencyHigh"),
			ev(5, 6*time.Minute+30*time.Second, timeline.Page, "bob"), // the tolerated alert's page
			ev(6, 9*time.Minute, timeline.AlertFiring, "LLMProviderErrors"),
			ev(7, 9*time.Minute+30*time.Second, timeline.Page, "alice"),
			ev(8, 10*time.Minute, timeline.Ack, "alice"),
			ev(9, 12*time.Minute, timeline.ScenarioEnd, ""),
		},
	}
	Analyze(&sc)
	require.Equal(t, 4*time.Minute, sc.Timings.TimeToDetect.Duration(), "from LLMProviderErrors, not the tolerated LLMLatencyHigh")
	require.Equal(t, 30*time.Second, sc.Timings.TimeToAcknowledge.Duration(), "alice's page, after the awaited firing")
	require.Len(t, sc.Alerts, 2)
	for _, a := range sc.Alerts {
		require.False(t, a.FalseAlarm, a.Name)
	}
	// Without the tolerance the first firing is the detection, as before.
	sc.ToleratedAlerts = nil
	Analyze(&sc)
	require.Equal(t, time.Minute, sc.Timings.TimeToDetect.Duration())
}

// Time to acknowledge and the acknowledge phase are one measure: a page
// and acknowledgement before the detection (a false alarm's) time
// neither.
func TestAcknowledgeCountsFromTheDetection(t *testing.T) {
	sc := Scenario{
		Name: "s", Status: Failed, ExpectedAlerts: []string{"A"},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, time.Minute, timeline.AlertFiring, "Noisy"),
			ev(3, 90*time.Second, timeline.Page, "alice"),
			ev(4, 2*time.Minute, timeline.Ack, "alice"),
			ev(5, 5*time.Minute, timeline.ControlEnd, ""),
			ev(6, 5*time.Minute, timeline.FaultOn, "outage"),
			ev(7, 8*time.Minute, timeline.AlertFiring, "A"),
			ev(8, 9*time.Minute, timeline.Page, "bob"),
			ev(9, 12*time.Minute, timeline.Ack, "bob"),
		},
	}
	Analyze(&sc)
	require.Equal(t, 3*time.Minute, sc.Timings.TimeToAcknowledge.Duration(), "bob's page and ack, after the detection")
	require.Equal(t, PhaseAcknowledge, sc.Breakdown.Phases[2].Name)
	require.Equal(t, Seconds(180), sc.Breakdown.Phases[2].Seconds)
}

// Over every fixture, each phase that is a timing counts the scenarios
// its timing does: detect is time to detect, acknowledge time to
// acknowledge, and verify ends when time to mitigate does.
func TestPhaseCountsEqualTimingCounts(t *testing.T) {
	broken := fixture().Scenarios[0]
	broken.Status, broken.Name = Error, "harness failed mid-drill"
	noisy := fixture().Scenarios[1]
	noisy.Name = "noisy, never detected, paged anyway"
	noisy.Events = append(append([]timeline.Event(nil), noisy.Events...),
		ev(20, 8*time.Minute, timeline.Page, "alice"), ev(21, 8*time.Minute+30*time.Second, timeline.Ack, "alice"))
	unacked := phasedScenario([6]time.Duration{time.Minute, time.Minute, time.Minute, time.Minute, time.Minute, time.Minute})
	var evs []timeline.Event
	for _, e := range unacked.Events {
		if e.Kind != timeline.Ack && e.Kind != timeline.Recovered {
			evs = append(evs, e)
		}
	}
	unacked.Events = evs
	scs := append(fixture().Scenarios, noAlertScenario(), broken, noisy, unacked,
		phasedScenario([6]time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 0, time.Minute, 4 * time.Minute}))
	s := Summarize(scs)
	twins := map[string]Stat{PhaseDetect: s.TimeToDetect, PhaseAcknowledge: s.TimeToAcknowledge, PhaseVerify: s.TimeToMitigate}
	for phase, timing := range twins {
		require.Equal(t, timing.N, s.Phases[phase].N, phase)
		if phase != PhaseVerify { // verify is the last part of time to mitigate
			require.Equal(t, timing.Median, s.Phases[phase].Median, phase)
			require.Equal(t, timing.Max, s.Phases[phase].Max, phase)
		}
	}
	require.Equal(t, 3, s.TimeToDetect.N, "the fixture's, noisy's and unacked's; no-alert's and the harness error's are left out")
	require.Equal(t, 2, s.TimeToAcknowledge.N)
	for _, sc := range scs {
		if sc.Breakdown == nil || sc.Status == Error {
			continue
		}
		for _, p := range sc.Breakdown.Ended() {
			require.False(t, p.Open)
		}
	}
}

// Scorecards written before the runbook's Mitigation phase was named
// remediate read as today's: in the summary, in every breakdown, and in
// the events a breakdown is derived from.
func TestLegacyPhaseNamesReadAsToday(t *testing.T) {
	c := fixture()
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, c))
	old := strings.ReplaceAll(b.String(), `"remediate"`, `"mitigate"`)
	old = strings.ReplaceAll(old, `"bottleneck": "detect"`, `"bottleneck": "mitigate"`)
	old = strings.ReplaceAll(old, `"evidence": "detect took`, `"evidence": "mitigate took`)
	require.Contains(t, old, `"name": "mitigate"`)

	var read Scorecard
	require.NoError(t, json.Unmarshal([]byte(old), &read))
	bd := read.Scenarios[0].Breakdown
	require.Equal(t, PhaseRemediate, bd.Phases[4].Name)
	require.Equal(t, PhaseRemediate, bd.Bottleneck)
	require.True(t, strings.HasPrefix(bd.Evidence, "remediate took"), bd.Evidence)
	require.Contains(t, read.Summary.Phases, PhaseRemediate)
	require.NotContains(t, read.Summary.Phases, "mitigate")
	require.Equal(t, PhaseRemediate, read.Summary.Bottleneck)

	// Events with the old phase attribute, and no stored breakdown.
	sc := read.Scenarios[0]
	sc.Breakdown = nil
	Analyze(&sc)
	require.Equal(t, PhaseRemediate, sc.Breakdown.Phases[4].Name)
	require.Equal(t, Seconds(5), sc.Breakdown.Phases[4].Seconds, "the Mitigation step's 5s")
	require.Equal(t, "verify", CanonicalPhase("verify"))
	require.Equal(t, "custom", CanonicalPhase("custom"), "a name it does not know is kept")
}

// Every timing and phase is defined once, with both ends; the phases are
// the breakdown's, in order; no phase borrows a timing's word.
func TestMetricsDefineEveryTimingAndPhase(t *testing.T) {
	var fields []string
	for _, m := range MetricsOf(KindTiming) {
		require.NotEmpty(t, m.From, m.Name)
		require.NotEmpty(t, m.To, m.Name)
		require.NotEmpty(t, m.Label, m.Name)
		fields = append(fields, m.Field)
	}
	require.Equal(t, []string{"time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_recover"}, fields)
	b, err := json.Marshal(Timings{TimeToDetect: new(Seconds), TimeToAcknowledge: new(Seconds), TimeToMitigate: new(Seconds), TimeToRecover: new(Seconds)})
	require.NoError(t, err)
	for _, f := range fields {
		require.Contains(t, string(b), `"`+f+`"`, "a JSON field of Timings")
	}
	require.Equal(t, []string{PhaseDetect, PhaseRoute, PhaseAcknowledge, PhaseDiagnose, PhaseRemediate, PhaseVerify}, PhaseNames)
	seen := map[string]bool{}
	for _, m := range Metrics {
		require.False(t, seen[m.Field], "%s defined twice", m.Field)
		seen[m.Field] = true
		require.NotEmpty(t, m.Meaning, m.Field)
	}
	for _, p := range MetricsOf(KindPhase) {
		require.NotEmpty(t, p.From)
		require.NotEmpty(t, p.To)
		for _, tm := range []string{"mitigate", "recover"} {
			require.NotEqual(t, tm, p.Field, "a phase named like time to %s would give one word two meanings", tm)
		}
	}
	m, ok := MetricNamed("time_to_mitigate")
	require.True(t, ok)
	require.Equal(t, "the first acknowledgement → the service recovered (a recovery step read its condition good on data)", m.Span())
	_, ok = MetricNamed("mttr")
	require.False(t, ok)
}

// summary.md fits a pull-request comment: a warning several scenarios
// share is one paragraph naming them, even when its measured numbers
// differ; a warning of one scenario stays with it.
func TestMarkdownSaysEachWarningOnce(t *testing.T) {
	var scs []Scenario
	for i, rate := range []string{"10", "6", "10"} {
		sc := noAlertScenario()
		sc.Name, sc.Line = fmt.Sprintf("Scenario %d", i+1), 7+9*i
		sc.Events = append(append([]timeline.Event(nil), sc.Events...), timeline.Event{Seq: 20, At: at(0), Kind: timeline.HarnessWarning, Subject: timeline.SpeedWarning,
			Message: "alert and recovery times are approximate at ×60: LLMSpendSpike [2m] " + rate + " requests"})
		if i == 1 {
			sc.Events = append(sc.Events, timeline.Event{Seq: 21, At: at(0), Kind: timeline.HarnessWarning, Subject: "x", Message: "something else"})
		}
		scs = append(scs, sc)
	}
	c := &Scorecard{SchemaVersion: SchemaVersion, RunID: "r", Team: "t", Speed: 60, Scenarios: scs}
	c.Summary = Summarize(c.Scenarios)
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, c, nil))
	md := b.String()
	require.Equal(t, 1, strings.Count(md, "### Warnings"))
	require.Equal(t, 1, strings.Count(md, "alert and recovery times are approximate at ×60: LLMSpendSpike"), md)
	require.Contains(t, md, "- alert and recovery times are approximate at ×60: LLMSpendSpike [2m] 10 requests (as Scenario 1 says it; the others' numbers differ) — in "+
		"**Scenario 1** (`features/third-party.feature:7`), **Scenario 2** (`features/third-party.feature:16`), **Scenario 3** (`features/third-party.feature:25`)\n")
	require.Contains(t, md, "- **Scenario 2** (`features/third-party.feature:16`) — something else\n")
}

// A run lint stopped still writes summary.md: lint failed, the findings
// that stopped it first, and no drill ran.
func TestLintFailureMarkdown(t *testing.T) {
	fs := []Finding{
		{ID: "runbook-stale", Severity: "warning", File: "team/runbooks/a.md", Line: 1, Message: "overdue"},
		{ID: "feature-undefined-step", Severity: "error", File: "team/features/x.feature", Line: 4, Message: "undefined step: When it | breaks"},
	}
	var b bytes.Buffer
	require.NoError(t, WriteLintFailureMarkdown(&b, "acme-ml", fs, false))
	require.Equal(t, "## drill scorecard — acme-ml\n\n"+
		"**Lint failed: no drill ran.** 1 finding(s) at error level; drill ci runs the drills a change touches only on a lint-clean team.\n\n"+
		"### Lint findings that stopped the run (1)\n\n"+
		"- `team/features/x.feature:4` feature-undefined-step error: undefined step: When it \\| breaks\n\n"+
		"### Other lint findings (1)\n\n"+
		"- `team/runbooks/a.md:1` runbook-stale warning: overdue\n", b.String())
	b.Reset()
	require.NoError(t, WriteLintFailureMarkdown(&b, "acme-ml", fs, true))
	require.Contains(t, b.String(), "2 finding(s) at error or warning (--strict) level")
	require.NotContains(t, b.String(), "Other lint findings")
}
