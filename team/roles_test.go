package team

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRolesDecodeAndLookup(t *testing.T) {
	tm := loadClean(t)
	e := tm.Escalation
	ic, ok := e.Role("incident_commander")
	require.True(t, ok)
	require.Equal(t, "Incident Commander", ic.Title())
	require.Equal(t, 5*time.Minute, ic.Within.D())
	require.True(t, ic.Required("CRITICAL"))
	require.False(t, ic.Required("warning"))
	ops, _ := e.Role("operations_lead")
	require.True(t, ic.Exclusive(ops))
	require.True(t, ops.Exclusive(ic), "exclusion is symmetric")
	require.Equal(t, []*Role{ic, ops}, e.RolesFor("critical"))

	got, err := e.RoleCandidates(ic, refNow)
	require.NoError(t, err)
	require.Equal(t, []string{"dave", "erin"}, got)
	got, err = e.RoleCandidates(ops, refNow)
	require.NoError(t, err)
	require.Len(t, got, 1, "a schedule source yields whoever is on call")
}

func loadClean(t *testing.T) *Team {
	t.Helper()
	tm, err := LoadFS(cleanFS(t), ".")
	require.NoError(t, err)
	return tm
}

func TestRolesBadInputNamesFileLineField(t *testing.T) {
	m := cleanFS(t)
	replace(t, m, "escalation/roles.yaml", "from: {team: sre}", "from: {team: sre, users: [dave]}")
	replace(t, m, "escalation/roles.yaml", "exclusive_with: [operations_lead]", "exclusive_with: [ops_lead]")
	replace(t, m, "escalation/roles.yaml", "within: 5m", "within: soon")
	_, err := LoadFS(m, ".")
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, "escalation/roles.yaml:4:5: roles[0].from: expected exactly one of schedule, team, users")
	require.Contains(t, msg, `escalation/roles.yaml:6:13: roles[0].within: expected`)
	require.Contains(t, msg, `role incident_commander.exclusive_with: names role "ops_lead", which is not in roles:`)
}
