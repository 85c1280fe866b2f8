package scoring

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// alertEv is an alert event whose episode began at activeAt.
func alertEv(seq int64, d time.Duration, k timeline.Kind, name string, activeAt time.Duration) timeline.Event {
	return evA(seq, d, k, name, timeline.ActiveAt, at(activeAt).Format(time.RFC3339Nano))
}

// An alert already pending when the fault went on detected nothing: its
// firing after the fault is a false alarm with its own reason, and there
// is no time to detect. A new episode after the fault is a detection.
func TestAlreadyPendingFiringIsNoise(t *testing.T) {
	sc := Scenario{
		Name: "noisy spend", Status: Failed, ExpectedAlerts: []string{"LLMSpendSpike"},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			alertEv(2, 2*time.Minute+30*time.Second, timeline.AlertPending, "LLMSpendSpike", 2*time.Minute+30*time.Second),
			ev(3, 3*time.Minute, timeline.ControlEnd, ""),
			ev(4, 3*time.Minute, timeline.FaultOn, "billing-spike"),
			alertEv(5, 4*time.Minute+30*time.Second, timeline.AlertFiring, "LLMSpendSpike", 2*time.Minute+30*time.Second),
		},
	}
	Analyze(&sc)
	require.Len(t, sc.Alerts, 1)
	require.True(t, sc.Alerts[0].FalseAlarm)
	require.Equal(t, "already pending before the fault, at +02:30", sc.Alerts[0].Why)
	require.Nil(t, sc.Timings.TimeToDetect, "noise detects nothing")
	require.Equal(t, PhaseDetect, sc.Breakdown.Phases[0].Name)
	require.True(t, sc.Breakdown.Phases[0].Open)

	// It resolves, then goes pending again after the fault: that episode
	// detects it.
	sc.Events = append(sc.Events,
		alertEv(6, 6*time.Minute, timeline.AlertResolved, "LLMSpendSpike", 2*time.Minute+30*time.Second),
		alertEv(7, 6*time.Minute+30*time.Second, timeline.AlertPending, "LLMSpendSpike", 6*time.Minute+30*time.Second),
		alertEv(8, 8*time.Minute+30*time.Second, timeline.AlertFiring, "LLMSpendSpike", 6*time.Minute+30*time.Second),
	)
	Analyze(&sc)
	require.Len(t, sc.Alerts, 2)
	require.True(t, sc.Alerts[0].FalseAlarm)
	require.False(t, sc.Alerts[1].FalseAlarm)
	require.Equal(t, 5*time.Minute+30*time.Second, sc.Timings.TimeToDetect.Duration())

	s := Summarize([]Scenario{sc})
	require.Equal(t, 1, s.FalseAlarms)
	require.Equal(t, 0.5, s.FalseAlarmRate)
}

// A resolution that was not a recovery leaves the verify phase open, and
// the breakdown says why.
func TestUnprovenRecoveryIsInTheBreakdown(t *testing.T) {
	sc := Scenario{
		Name: "dead service", Status: Failed, ExpectedAlerts: []string{"A"},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, 5*time.Minute, timeline.FaultOn, "billing-spike"),
			alertEv(3, 7*time.Minute, timeline.AlertFiring, "A", 6*time.Minute),
			ev(4, 7*time.Minute+30*time.Second, timeline.Page, "alice"),
			ev(5, 8*time.Minute, timeline.Ack, "alice"),
			ev(6, 9*time.Minute, timeline.ScrapeFailed, "service"),
			alertEv(7, 10*time.Minute, timeline.AlertResolved, "A", 6*time.Minute),
			{Seq: 8, At: at(10 * time.Minute), Kind: timeline.RecoveryUnproven, Subject: "A",
				Message: "alert A is resolved, but that is not a recovery: no data: scraping http://svc/metrics (job service) fails"},
			ev(9, 23*time.Minute, timeline.ScenarioEnd, ""),
		},
	}
	Analyze(&sc)
	require.Nil(t, sc.Timings.TimeToRecover)
	verify := sc.Breakdown.Phases[len(sc.Breakdown.Phases)-1]
	require.Equal(t, PhaseVerify, verify.Name)
	require.True(t, verify.Open)
	require.Contains(t, verify.Evidence, "not recovered by +23:00 (alert A is resolved, but that is not a recovery: no data: scraping")
}
