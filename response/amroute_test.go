package response

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// Through the team's alertmanager.yml (team/testdata/amroute): each
// matched receiver with a policy pages it after its route's group_wait
// (not Options.GroupWait); a receiver without one is a note; an alert
// whose routes reach no policy is a broken link.
func TestAlertmanagerRouting(t *testing.T) {
	tm, err := team.Load("../team/testdata/amroute")
	require.NoError(t, err)
	require.NotNil(t, tm.Alertmanager)
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Escalation: tm.Escalation, Alertmanager: tm.Alertmanager, GroupWait: 30 * time.Second,
		Responders: responders(t, "default: {ack_delay: 1h}\n")})

	h.fire("LLMSpendSpike", map[string]string{"severity": "critical", "team": "ml-platform"}, nil)
	h.fire("Other", map[string]string{"severity": "warning"}, nil)
	h.fire("Staging", map[string]string{"team": "ml-platform", "env": "staging"}, nil)
	require.Eventually(t, func() bool { return h.clock.Pending() == 2 }, 5*time.Second, time.Millisecond)

	h.clock.Advance(time.Minute) // past Options.GroupWait and the root's 45s, before the team route's 2m
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	p := h.engine.Pages()[0]
	require.Equal(t, "Other", p.Alert)
	require.Equal(t, "sre", p.Policy, "the root receiver sre is the policy of that name")
	require.Equal(t, 45*time.Second, p.At.Sub(at))

	h.clock.Advance(2 * time.Minute)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 2 }, 5*time.Second, time.Millisecond)
	p = h.engine.Pages()[1]
	require.Equal(t, "LLMSpendSpike", p.Alert)
	require.Equal(t, "ml-platform", p.Policy, "pd-ml-platform is mapped to ml-platform in drill.yaml")
	require.Equal(t, 2*time.Minute, p.At.Sub(at), "the team route's group_wait")
	h.stop()

	var quiet []string
	var broken []timeline.Event
	for _, e := range h.log.Events() {
		switch {
		case e.Kind == timeline.Note && e.Attrs["reason"] == "receiver_no_policy":
			quiet = append(quiet, e.Subject+" "+e.Attrs["receiver"])
		case e.Kind == timeline.BrokenLink:
			broken = append(broken, e)
		}
	}
	require.ElementsMatch(t, []string{"LLMSpendSpike slack-ml", "Staging blackhole"}, quiet)
	require.Len(t, broken, 1)
	require.Equal(t, "Staging", broken[0].Subject)
	require.Equal(t, "no_route", broken[0].Attrs["reason"])
	require.Contains(t, broken[0].Message, "alertmanager.yml")
}

// Options.Team's alertmanager.yml is taken when Options.Alertmanager is
// unset; without one the escalation routes: route as before (the other
// tests of this package).
func TestAlertmanagerFromTeam(t *testing.T) {
	tm, err := team.Load("../team/testdata/amroute")
	require.NoError(t, err)
	e, err := New(Options{Clock: timeline.NewVirtual(time.Now()), Log: timeline.NewLog(timeline.NewVirtual(time.Now())),
		Escalation: tm.Escalation, Team: tm, DryRun: discard{}})
	require.NoError(t, err)
	defer e.Close()
	ts, quiet := e.targets(map[string]string{"alertname": "A", "severity": "page", "service": "llm-gateway"})
	require.Len(t, ts, 1)
	require.Equal(t, "ml-platform", ts[0].policy)
	require.Equal(t, 45*time.Second, ts[0].wait)
	require.Len(t, quiet, 1)
	require.Equal(t, "slack-ml", quiet[0].Receiver)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
