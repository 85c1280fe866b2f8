package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/timeline"
)

// rolesEscalation defines two exclusive roles.
const rolesEscalation = `roles:
  - {id: incident_commander, name: Incident Commander, from: {users: [alice]}, exclusive_with: [operations_lead]}
  - {id: operations_lead, from: {users: [alice]}}
`

func TestRoleClaimAndNote(t *testing.T) {
	e, log := liveEngine(t, rolesEscalation)
	code, out, errs := runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "operations_lead")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "alice claims operations_lead for LLMSpendSpike\n", out)

	code, out, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "incident_commander")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "alice claims incident_commander")
	require.Contains(t, errs, "warning: alice also holds operations_lead")

	code, out, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "incident_commander")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "alice already holds incident_commander\n", out, "a repeated claim records nothing new")

	code, _, errs = runCLI(t, "role", "--url", e.URL(), "--user", "nobody", "claim", "incident_commander")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `unknown user "nobody"`)

	code, _, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "captain")
	require.Equal(t, exitcode.Usage, code, "an unknown role is invalid input")
	require.Contains(t, errs, `unknown role "captain": expected one of incident_commander, operations_lead`)

	code, _, errs = runCLI(t, "role", "--url", e.URL(), "--user", "alice", "take", "captain")
	require.Equal(t, exitcode.Usage, code, errs)
	code, _, errs = runCLI(t, "role", "--url", e.URL(), "claim", "incident_commander")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--user")

	code, out, errs = runCLI(t, "note", "--url", e.URL(), "--user", "alice", "failing", "over", "to", "secondary")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "status update posted by alice on LLMSpendSpike")
	ev, ok := log.Find(timeline.OfKind(timeline.StatusUpdate, "alice"))
	require.True(t, ok)
	require.Equal(t, "failing over to secondary", ev.Message)

	code, _, _ = runCLI(t, "note", "--url", e.URL(), "--user", "alice")
	require.Equal(t, exitcode.Usage, code)
	n := 0
	for _, ev := range log.Events() {
		if ev.Kind == timeline.RoleAssigned {
			n++
		}
	}
	require.Equal(t, 2, n)
}
