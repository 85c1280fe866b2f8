package features

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// teamEnv is the fake world with a team whose escalation has roles.
type teamEnv struct {
	*fakeEnv
	team *team.Team
}

func (e *teamEnv) Team() *team.Team { return e.team }

const rolesTeamEscalation = `users:
  - {id: alice}
  - {id: bob}
  - {id: erin}
teams:
  - {id: ml, members: [alice, bob]}
policies:
  - {id: p, rules: [{escalate_after: 10m, targets: [{user: erin}]}]}
routes:
  - {default: true, policy: p}
roles:
  - {id: incident_commander, name: Incident Commander, from: {users: [alice, bob]}, required_for: [critical]}
  - {id: scribe, name: Scribe, from: {team: ml}}
`

func newRolesEnv(t *testing.T) (*teamEnv, *State, time.Time) {
	t.Helper()
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml":        {Data: []byte("team: {id: t}\n")},
		"escalation/e.yaml": {Data: []byte(rolesTeamEscalation)},
		"alerts/a.yaml":     {Data: []byte("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels: {severity: critical}\n")},
		"runbooks/a.md":     {Data: []byte("---\nid: a\nowner: ml\nalerts: [A]\n---\n# A\n")},
	}, ".")
	require.NoError(t, err)
	env := &teamEnv{fakeEnv: newFake(), team: tm}
	s := NewState(env, []string{"A"})
	fired := env.clock.Now()
	s.lastFaultAt = fired // deadlines run from the fault, as after a When step
	env.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "A"})
	return env, s, fired
}

func TestRoleAssignedWithin(t *testing.T) {
	env, s, fired := newRolesEnv(t)
	env.log.Append(timeline.Event{At: fired.Add(3 * time.Minute), Kind: timeline.RoleAssigned, Subject: "bob", Attrs: map[string]string{"role": "incident_commander"}})
	env.clock.Advance(10 * time.Minute)
	ctx := context.Background()
	ic := step(t, s, `an incident commander is assigned`).(func(context.Context, string) error)
	require.NoError(t, ic(ctx, "5m"))
	require.ErrorContains(t, ic(ctx, "2m"), "nobody was assigned Incident Commander within 2m0s of the alert firing (bob claimed it at +03:00)")
	role := step(t, s, `role {role} is assigned`).(func(context.Context, string, string) error)
	require.NoError(t, role(ctx, "Incident Commander", "5m"), "a role is found by name too")
	require.ErrorContains(t, role(ctx, "scribe", "5m"), "nobody was assigned Scribe within 5m0s of the alert firing (nobody claimed it)")
	require.ErrorContains(t, role(ctx, "captain", "5m"), `no role "captain" in the escalation roles:; roles: incident_commander, scribe`)
}

func TestCommanderIsNotTheExecutor(t *testing.T) {
	env, s, fired := newRolesEnv(t)
	f := step(t, s, `the incident commander is not`).(func(context.Context) error)
	env.log.Append(timeline.Event{At: fired.Add(time.Minute), Kind: timeline.RoleAssigned, Subject: "alice", Attrs: map[string]string{"role": "incident_commander"}})
	env.log.Append(timeline.Event{At: fired.Add(2 * time.Minute), Kind: timeline.RunbookStart, Subject: "a", Attrs: map[string]string{"user": "alice"}})
	require.ErrorContains(t, f(context.Background()), "alice is Incident Commander and also runs runbook a")
	env.log.Append(timeline.Event{At: fired.Add(3 * time.Minute), Kind: timeline.RoleAssigned, Subject: "bob", Attrs: map[string]string{"role": "incident_commander"}})
	require.NoError(t, f(context.Background()), "after the handover bob commands")
}

func TestStatusUpdateWithin(t *testing.T) {
	env, s, fired := newRolesEnv(t)
	f := step(t, s, `a status update is posted`).(func(context.Context, string) error)
	env.log.Append(timeline.Event{At: fired.Add(12 * time.Minute), Kind: timeline.StatusUpdate, Subject: "bob"})
	env.clock.Advance(20 * time.Minute)
	require.NoError(t, f(context.Background(), "15m"))
	require.ErrorContains(t, f(context.Background(), "10m"), "no status update was posted within 10m0s")
}

func TestRunbookOwnerPaged(t *testing.T) {
	env, s, fired := newRolesEnv(t)
	f := step(t, s, `the runbook owner is paged`).(func(context.Context) error)
	env.log.Append(timeline.Event{At: fired, Kind: timeline.Page, Subject: "erin"})
	env.log.Append(timeline.Event{At: fired.Add(time.Minute), Kind: timeline.Ack, Subject: "erin"})
	require.ErrorContains(t, f(context.Background()), "the runbook owner ml (alice, bob) was never paged: the page went to erin")

	env, s, fired = newRolesEnv(t)
	f = step(t, s, `the runbook owner is paged`).(func(context.Context) error)
	env.log.Append(timeline.Event{At: fired, Kind: timeline.Page, Subject: "erin"})
	env.log.Append(timeline.Event{At: fired.Add(10 * time.Minute), Kind: timeline.Page, Subject: "bob"})
	require.NoError(t, f(context.Background()))
}
