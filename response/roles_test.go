package response

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

const rolesEscalation = `users:
  - {id: alice, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}
  - {id: bob, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}
  - {id: carol, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}
  - {id: dave, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}
  - {id: gone, active: false}
teams:
  - {id: ops, members: [carol, gone]}
policies:
  - id: p
    rules: [{escalate_after: 30m, targets: [{user: alice}]}]
routes:
  - {default: true, policy: p}
roles:
  - id: incident_commander
    name: Incident Commander
    from: {users: [alice, bob]}
    required_for: [critical]
    within: 5m
    exclusive_with: [operations_lead]
    status_update: 10m
  - id: operations_lead
    from: {users: [alice]}
    required_for: [critical]
  - id: scribe
    from: {team: ops}
    required_for: [critical]
  - id: communications_lead
    from: {users: [dave]}
    required_for: [critical]
  - id: observer
    from: {users: [bob]}
`

func rolesTeam(t *testing.T, roles string) *team.Team {
	t.Helper()
	esc := rolesEscalation
	if roles != "" {
		esc = esc[:strings.Index(esc, "roles:")] + roles
	}
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml":        {Data: []byte("team: {id: t}\n")},
		"escalation/e.yaml": {Data: []byte(esc)},
	}, ".")
	require.NoError(t, err)
	return tm
}

// roleSequence renders role and status events as "offset kind user role [conflict]".
func roleSequence(log *timeline.Log, start time.Time) []string {
	var out []string
	for _, e := range log.Sorted() {
		switch e.Kind {
		case timeline.RoleAssigned, timeline.StatusUpdate:
			s := fmt.Sprintf("%s %s %s %s", e.At.Sub(start), e.Kind, e.Subject, e.Attrs["role"])
			if c := e.Attrs["conflict"]; c != "" {
				s += " conflict=" + c
			}
			out = append(out, s)
		case timeline.BrokenLink:
			if e.Attrs["kind"] == "role" {
				out = append(out, fmt.Sprintf("%s unfilled %s %s", e.At.Sub(start), e.Subject, e.Attrs["reason"]))
			}
		}
	}
	return out
}

func TestRoleAssignmentUnavailableAndOverlappingPeople(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	rs := responders(t, `default: {available: true, ack_delay: 2m}
alice: {claim_delay: 1m}
bob: {claim_delay: 3m}
carol: {claim_delay: 4m}
dave: {available: false}
`)
	h := newHarness(t, start, Options{Escalation: rolesTeam(t, "").Escalation, Responders: rs, Seed: 7, GroupWait: 30 * time.Second})
	h.fire("LLMSpendSpike", map[string]string{"severity": "critical"}, nil)
	require.Eventually(t, func() bool { return h.clock.Pending() > 0 }, 5*time.Second, time.Millisecond, "the group wait")
	h.clock.Advance(time.Hour)
	// alice is the only possible operations lead, so she takes that and
	// bob, though slower, commands; dave is unavailable; the inactive
	// member of ops is passed over; observer is required for nothing.
	want := []string{
		"30s unfilled communications_lead unfilled",
		"1m30s role.assigned alice operations_lead",
		"3m30s role.assigned bob incident_commander",
		"4m30s role.assigned carol scribe",
		"13m30s status.update bob incident_commander",
	}
	require.Eventually(t, func() bool { return len(roleSequence(h.log, start)) >= len(want) }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, want, roleSequence(h.log, start))
	ev, ok := h.log.Find(timeline.OfKind(timeline.RoleAssigned, "bob"))
	require.True(t, ok)
	require.Equal(t, map[string]string{"alert": "LLMSpendSpike", "role": "incident_commander", "role_name": "Incident Commander",
		"via": "simulated", "since_firing": "3m30s", "within": "5m0s", "exclusive_with": "operations_lead", "required": "true",
		"policy": "p", "group": ev.Attrs["group"]}, ev.Attrs)
}

func TestRoleConflictWhenNobodyElseCanFill(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	roles := `roles:
  - {id: incident_commander, from: {users: [alice]}, required_for: [critical], exclusive_with: [operations_lead]}
  - {id: operations_lead, from: {users: [alice, bob]}, required_for: [critical]}
`
	rs := responders(t, "default: {available: true, ack_delay: 2m, claim_delay: 1m}\nbob: {available: false}\n")
	h := newHarness(t, start, Options{Escalation: rolesTeam(t, roles).Escalation, Responders: rs, Seed: 1})
	h.fire("X", map[string]string{"severity": "critical"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(time.Hour)
	want := []string{"1m0s role.assigned alice incident_commander", "1m0s role.assigned alice operations_lead conflict=incident_commander"}
	require.Eventually(t, func() bool { return len(roleSequence(h.log, start)) == 2 }, 5*time.Second, time.Millisecond)
	h.stop()
	require.ElementsMatch(t, want, roleSequence(h.log, start))
}

func TestNoRolesForOtherSeverities(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, start, Options{Escalation: rolesTeam(t, "").Escalation, Responders: responders(t, "default: {ack_delay: 1m}"), Seed: 1})
	h.fire("X", map[string]string{"severity": "warning"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(time.Hour)
	require.Eventually(t, func() bool { _, ok := h.log.Find(timeline.OfKind(timeline.Ack, "")); return ok }, 5*time.Second, time.Millisecond)
	h.stop()
	require.Empty(t, roleSequence(h.log, start))
}

func TestLiveRoleClaimAndNotes(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, start, Options{Escalation: rolesTeam(t, "").Escalation, Live: true})
	post := func(path string, body any) (int, map[string]any) {
		b, _ := json.Marshal(body)
		resp, err := http.Post(h.engine.URL()+path, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		defer resp.Body.Close()
		var m map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
		return resp.StatusCode, m
	}
	h.fire("LLMSpendSpike", map[string]string{"severity": "critical"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(2 * time.Minute)

	code, m := post("/roles/claim", RoleClaimRequest{User: "alice", Role: "operations_lead"})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, "LLMSpendSpike", m["alert"])
	code, m = post("/roles/claim", RoleClaimRequest{User: "alice", Role: "incident_commander"})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, []any{"operations_lead"}, m["conflict"])
	code, m = post("/roles/claim", RoleClaimRequest{User: "bob", Role: "incident_commander"})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, "alice", m["previous"], "a claim of a held role is a handover")
	code, m = post("/roles/claim", RoleClaimRequest{User: "bob", Role: "captain"})
	require.Equal(t, http.StatusBadRequest, code, "an unknown role is bad input")
	require.Contains(t, m["error"], `unknown role "captain": expected one of incident_commander, operations_lead`)
	code, _ = post("/roles/claim", map[string]string{"user": "bob"})
	require.Equal(t, http.StatusBadRequest, code)
	code, _ = post("/roles/claim", map[string]string{"who": "bob"})
	require.Equal(t, http.StatusBadRequest, code)

	code, m = post("/notes", NoteRequest{User: "bob", Text: "failing over to secondary"})
	require.Equal(t, http.StatusOK, code, m)
	require.Equal(t, "LLMSpendSpike", m["alert"])
	code, _ = post("/notes", NoteRequest{User: "bob"})
	require.Equal(t, http.StatusBadRequest, code)
	h.stop()

	var got []string
	for _, e := range h.log.Sorted() {
		if e.Kind == timeline.RoleAssigned || e.Kind == timeline.StatusUpdate {
			got = append(got, fmt.Sprintf("%s %s %s %s %s", e.At.Sub(start), e.Kind, e.Subject, e.Attrs["role"], e.Message))
		}
	}
	require.Equal(t, []string{
		"2m0s role.assigned alice operations_lead alice claims operations_lead",
		"2m0s role.assigned alice incident_commander alice claims Incident Commander (also holds operations_lead)",
		"2m0s role.assigned bob incident_commander bob claims Incident Commander from alice",
		"2m0s status.update bob  failing over to secondary",
	}, got, "live mode simulates no claims")
}
