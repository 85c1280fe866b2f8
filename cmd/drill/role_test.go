package main

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// liveRolesEngine runs a live engine whose team defines two exclusive
// roles, with one page open.
func liveRolesEngine(t *testing.T) (*response.Engine, *timeline.Log) {
	t.Helper()
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml": {Data: []byte("team: {id: t}\n")},
		"escalation/e.yaml": {Data: []byte(ackTeamEscalation + `roles:
  - {id: incident_commander, name: Incident Commander, from: {users: [alice]}, exclusive_with: [operations_lead]}
  - {id: operations_lead, from: {users: [alice]}}
`)},
	}, ".")
	require.NoError(t, err)
	clk := timeline.NewVirtual(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	log := timeline.NewLog(clk)
	e, err := response.New(response.Options{Clock: clk, Log: log, Escalation: tm.Escalation, Live: true})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, e.Close())
	})
	log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "LLMSpendSpike", Labels: map[string]string{"alertname": "LLMSpendSpike"}})
	require.Eventually(t, func() bool { return len(e.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	return e, log
}

func TestRoleClaimAndNote(t *testing.T) {
	e, log := liveRolesEngine(t)
	code, out, errs := runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "operations_lead")
	require.Equal(t, exitOK, code, errs)
	require.Equal(t, "alice claims operations_lead for LLMSpendSpike\n", out)

	code, out, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "incident_commander")
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "alice claims incident_commander")
	require.Contains(t, errs, "warning: alice also holds operations_lead")

	code, _, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "captain")
	require.Equal(t, exitFailed, code)
	require.Contains(t, errs, `unknown role "captain": expected one of incident_commander, operations_lead`)

	code, _, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "take", "captain")
	require.Equal(t, exitUsage, code, errs)
	code, _, errs = runCLI(t, "role", "--url", e.URL(), "claim", "incident_commander")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errs, "--user")

	code, out, errs = runCLI(t, "note", "--url", e.URL(), "--user", "alice", "failing", "over", "to", "secondary")
	require.Equal(t, exitOK, code, errs)
	require.Contains(t, out, "status update posted by alice on LLMSpendSpike")
	ev, ok := log.Find(timeline.OfKind(timeline.StatusUpdate, "alice"))
	require.True(t, ok)
	require.Equal(t, "failing over to secondary", ev.Message)

	code, _, _ = runCLI(t, "note", "--url", e.URL(), "--user", "alice")
	require.Equal(t, exitUsage, code)
	n := 0
	for _, ev := range log.Events() {
		if ev.Kind == timeline.RoleAssigned {
			n++
		}
	}
	require.Equal(t, 2, n)
}
