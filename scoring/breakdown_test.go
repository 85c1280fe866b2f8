package scoring

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// phasedScenario builds a scenario whose six phases last d[0..5]: a fault,
// the firing, a page that escalates once before the ack, one manual
// diagnosis step, one command, one verification step, then recovery.
func phasedScenario(d [6]time.Duration) Scenario {
	var evs []timeline.Event
	seq := int64(0)
	t := 5 * time.Minute
	add := func(k timeline.Kind, subject string, kv ...string) {
		seq++
		evs = append(evs, evA(seq, t, k, subject, kv...))
	}
	add(timeline.ScenarioStart, "")
	add(timeline.ControlEnd, "")
	add(timeline.FaultOn, "outage")
	t += d[0]
	add(timeline.AlertFiring, "LLMGatewayErrors")
	t += d[1]
	add(timeline.Page, "alice", "rule", "1")
	t += d[2] / 2
	add(timeline.Escalate, "LLMGatewayErrors", "rule", "2", "reason", "not acknowledged")
	add(timeline.Page, "bob", "rule", "2")
	add(timeline.Page, "alice", "rule", "2")
	t += d[2] - d[2]/2
	add(timeline.Ack, "bob")
	step := func(name, section string, manual string, dur time.Duration) {
		add(timeline.StepStart, name, "runbook", "rb", "section", section, "index", "1", "manual", manual)
		t += dur
		add(timeline.StepEnd, name, "runbook", "rb", "section", section, "index", "1", "manual", manual, "line", "runbooks/rb.md:9")
	}
	step("look-at-dashboard", "Diagnosis", "true", d[3])
	step("fail-over", "Mitigation", "false", d[4])
	step("check-errors", "Verification", "false", d[5]/2)
	t += d[5] - d[5]/2
	add(timeline.Recovered, "errors below 5%")
	add(timeline.ScenarioEnd, "")
	return Scenario{Name: "s", Status: Passed, ExpectedAlerts: []string{"LLMGatewayErrors"}, Events: evs}
}

func TestBottleneckInEachPhase(t *testing.T) {
	for i, name := range PhaseNames {
		t.Run(name, func(t *testing.T) {
			var d [6]time.Duration
			for j := range d {
				d[j] = time.Minute
			}
			d[i] = 10 * time.Minute
			sc := phasedScenario(d)
			Analyze(&sc)
			b := sc.Breakdown
			require.NotNil(t, b)
			require.Equal(t, name, b.Bottleneck)
			var got []string
			var sum Seconds
			for j, p := range b.Phases {
				got = append(got, p.Name)
				require.Equal(t, Seconds(d[j].Seconds()), p.Seconds, p.Name)
				require.False(t, p.Open)
				sum += p.Seconds
			}
			require.Equal(t, PhaseNames, got)
			require.Equal(t, *sc.Timings.TimeToRecover, sum, "the phases add up to time to recover")
			require.Contains(t, b.Evidence, name+" took 10m0s (67% of the measured time)")
			require.Equal(t, 1, b.Escalations)
			require.Equal(t, 1, b.Repages, "alice paged again at rule 2")
			require.Equal(t, 2, b.Handoffs)
			require.Equal(t, []ManualStep{{Runbook: "rb", Step: "look-at-dashboard", Section: "Diagnosis", Where: "runbooks/rb.md:9", Seconds: Seconds(d[3].Seconds())}}, b.ManualSteps)
		})
	}
}

func TestBottleneckEvidenceNamesTheCause(t *testing.T) {
	d := [6]time.Duration{time.Minute, time.Minute, 20 * time.Minute, time.Minute, time.Minute, time.Minute}
	sc := phasedScenario(d)
	Analyze(&sc)
	require.Equal(t, "acknowledge took 20m0s (80% of the measured time): first page to alice at +02:00; acknowledged by bob at +22:00; 1 escalation hop(s): +12:00 to rule 2 (not acknowledged)", sc.Breakdown.Evidence)

	d = [6]time.Duration{time.Minute, time.Minute, time.Minute, 12 * time.Minute, time.Minute, time.Minute}
	sc = phasedScenario(d)
	Analyze(&sc)
	require.Contains(t, sc.Breakdown.Evidence, "slowest look-at-dashboard (manual, 12m0s, runbooks/rb.md:9)")
}

func TestOpenPhaseWhenNeverAcknowledged(t *testing.T) {
	sc := Scenario{Name: "s", ExpectedAlerts: []string{"A"}, Events: []timeline.Event{
		ev(1, 0, timeline.FaultOn, "f"),
		ev(2, 2*time.Minute, timeline.AlertFiring, "A"),
		ev(3, 3*time.Minute, timeline.Page, "alice"),
		evA(4, 3*time.Minute, timeline.BrokenLink, "bob", "kind", "user", "reason", "inactive"),
		ev(5, 40*time.Minute, timeline.PolicyExhausted, "A"),
		ev(6, 60*time.Minute, timeline.ScenarioEnd, ""),
	}}
	Analyze(&sc)
	b := sc.Breakdown
	require.Len(t, b.Phases, 3)
	require.Equal(t, Phase{Name: PhaseAcknowledge, Seconds: 57 * 60, Open: true, Evidence: b.Phases[2].Evidence}, b.Phases[2])
	require.Contains(t, b.Evidence, "first page to alice at +03:00, never acknowledged by +1:00:00; bob: broken.link inactive; A: policy.exhausted")
	require.Equal(t, PhaseAcknowledge, b.Bottleneck)

	none := Scenario{Events: []timeline.Event{ev(1, 0, timeline.ScenarioStart, "")}}
	Analyze(&none)
	require.Nil(t, none.Breakdown, "no fault, nothing to break down")
}

func TestRoleRecordsAndGaps(t *testing.T) {
	sc := Scenario{ExpectedAlerts: []string{"A"}, Events: []timeline.Event{
		ev(1, 0, timeline.FaultOn, "f"),
		ev(2, time.Minute, timeline.AlertFiring, "A"),
		evA(3, 2*time.Minute, timeline.BrokenLink, "scribe", "kind", "role", "reason", "unfilled"),
		evA(4, 3*time.Minute, timeline.RoleAssigned, "alice", "role", "operations_lead", "via", "live"),
		evA(5, 9*time.Minute, timeline.RoleAssigned, "alice", "role", "incident_commander", "within", "5m0s", "exclusive_with", "operations_lead", "via", "live"),
		evA(6, 10*time.Minute, timeline.RoleAssigned, "bob", "role", "incident_commander", "within", "5m0s", "via", "live"),
		evA(7, 11*time.Minute, timeline.RoleAssigned, "bob", "role", "operations_lead", "via", "live"),
	}}
	Analyze(&sc)
	require.Len(t, sc.Roles, 4)
	require.Equal(t, Seconds(120), *sc.Roles[0].After, "measured from the first expected firing")
	require.True(t, sc.Roles[1].Late)
	var gaps []string
	for _, g := range sc.RoleGaps {
		gaps = append(gaps, g.Kind+" "+g.Role+" "+g.User)
	}
	require.Equal(t, []string{
		"unfilled scribe ",
		"late incident_commander alice",
		"shared incident_commander alice",
		"late incident_commander bob",
	}, gaps, "bob takes operations_lead from alice after the handover: no exclusive_with on that event, and alice's claim left him")
	s := Summarize([]Scenario{sc})
	require.Equal(t, 4, s.RoleGaps)
}

func TestSummaryBottleneckAcrossRun(t *testing.T) {
	mk := func(i int) Scenario {
		var d [6]time.Duration
		for j := range d {
			d[j] = time.Minute
		}
		d[i] = 10 * time.Minute
		return phasedScenario(d)
	}
	s := Summarize([]Scenario{mk(2), mk(2), mk(0)})
	require.Equal(t, PhaseAcknowledge, s.Bottleneck)
	require.Equal(t, map[string]int{PhaseAcknowledge: 2, PhaseDetect: 1}, s.Bottlenecks)
	require.Equal(t, 3, s.Phases[PhaseDetect].N)
	require.Equal(t, 6, s.Handoffs)
	require.Len(t, s.AutomationCandidates, 1)
	require.Equal(t, 3, s.AutomationCandidates[0].Count)
	require.Equal(t, Seconds(180), s.AutomationCandidates[0].Seconds)
}
