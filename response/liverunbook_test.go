package response

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/ctlclient"
	"github.com/drillkit/drill/timeline"
)

// In a live drill the acknowledgement opens the runbook for the people:
// its steps on the pager with the variables written out, each step
// recorded as they mark or run it, and the runbook's end once every step
// is done.
func TestLiveRunbookMarksAndRuns(t *testing.T) {
	admin := &fakeAdmin{budget: `{"usd_per_minute": 50}`}
	srv := httptest.NewServer(admin)
	defer srv.Close()
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	pager := &syncWriter{w: &bytes.Buffer{}}
	h := newHarness(t, at, Options{Team: loadTeam(t), Live: true, Pager: pager,
		Variables: map[string]string{"GATEWAY_ADMIN": srv.URL + "/admin"}, StepTimeout: 10 * time.Second})
	c := NewLiveClient(h.engine.URL(), "--url")
	ctx := context.Background()
	rejected := func(err error) string {
		t.Helper()
		require.Equal(t, ctlclient.Rejected, ctlclient.KindOf(err), "%v", err)
		return err.Error()
	}

	_, err := c.Runbook(ctx)
	require.Contains(t, rejected(err), "nobody has acknowledged a page that links a runbook yet; acknowledge the page first (drill ack)")

	h.fire("LLMSpendSpike", map[string]string{"service": "llm-gateway"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(2 * time.Minute)
	n, err := h.engine.Ack("alice", "")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Eventually(t, func() bool { _, err := h.engine.LiveRunbook(); return err == nil }, 5*time.Second, time.Millisecond)

	rb, err := c.Runbook(ctx)
	require.NoError(t, err)
	require.Equal(t, "llm-cost-spike", rb.Runbook)
	require.Equal(t, "alice", rb.AckedBy)
	var ids []string
	for _, s := range rb.Steps {
		ids = append(ids, s.ID+"/"+s.Phase)
	}
	require.Equal(t, []string{"diagnosis-1/diagnose", "read-budget/diagnose", "cap-spend/mitigate", "verify-cap/verify"}, ids)
	require.Equal(t, "curl -fsS -X POST \""+srv.URL+"/admin/budget\" -d '{\"usd_per_minute\": 2}'\n", rb.Steps[2].Code, "variables resolved as the executor binds them")
	require.Contains(t, pager.String(), "RUNBOOK llm-cost-spike (runbooks/llm-cost-spike.md) for LLMSpendSpike, acknowledged by alice")
	require.Contains(t, pager.String(), "drill runbook done STEP")
	start, ok := h.log.Find(timeline.OfKind(timeline.RunbookStart, "llm-cost-spike"))
	require.True(t, ok)
	require.Equal(t, "diagnosis-1,read-budget,cap-spend,verify-cap", start.Attrs["steps"])

	_, err = c.MarkStep(ctx, StepMarkRequest{User: "alice", Step: "nope", Mark: "done"})
	require.Contains(t, rejected(err), `unknown runbook step "nope" in runbook llm-cost-spike: expected one of diagnosis-1, read-budget, cap-spend, verify-cap`)
	_, err = c.MarkStep(ctx, StepMarkRequest{User: "alice", Step: "read-budget", Mark: "skipped"})
	require.Contains(t, rejected(err), "needs a reason")
	_, err = c.MarkStep(ctx, StepMarkRequest{User: "alice", Step: "read-budget", Mark: "finished"})
	require.Contains(t, rejected(err), `mark "finished": expected done or skipped`)
	_, err = c.RunStep(ctx, StepRunRequest{User: "alice", Step: "diagnosis-1"}, 0)
	require.Contains(t, rejected(err), "step diagnosis-1 is manual")

	h.clock.Advance(3 * time.Minute)
	st, err := c.MarkStep(ctx, StepMarkRequest{User: "alice", Step: "diagnosis-1", Mark: "done"})
	require.NoError(t, err)
	require.Equal(t, "3m0s", st.Took, "since the acknowledgement")
	st, err = c.MarkStep(ctx, StepMarkRequest{User: "bob", Step: "read-budget", Mark: "skipped", Why: "dashboard shows it"})
	require.NoError(t, err)
	require.Equal(t, "skipped", st.Status)
	st, err = c.RunStep(ctx, StepRunRequest{User: "bob", Step: "cap-spend"}, 0)
	require.NoError(t, err)
	require.Equal(t, "ok", st.Status)
	require.Equal(t, 0, *st.ExitCode)
	require.Equal(t, `{"usd_per_minute": 2}`, admin.budget, "the step ran through the executor")
	_, ok = h.log.Find(timeline.OfKind(timeline.RunbookEnd, ""))
	require.False(t, ok, "a step is still open")

	st, err = c.RunStep(ctx, StepRunRequest{User: "bob", Step: "verify-cap"}, 0)
	require.NoError(t, err)
	require.Equal(t, "ok", st.Status)
	end, ok := h.log.Find(timeline.OfKind(timeline.RunbookEnd, "llm-cost-spike"))
	require.True(t, ok)
	require.Equal(t, "skipped", end.Attrs["status"], "every step marked, one skipped")
	require.Equal(t, "read-budget", end.Attrs["skipped"])
	h.stop()

	var got []string
	for _, e := range h.log.Sorted() {
		if e.Kind == timeline.StepEnd {
			got = append(got, e.Subject+" "+e.Attrs["status"]+" by "+e.Attrs["user"]+" via "+e.Attrs["via"]+" "+e.Attrs["phase"])
		}
	}
	require.Equal(t, []string{
		"diagnosis-1 done by alice via live diagnose",
		"read-budget skipped by bob via live diagnose",
		"cap-spend ok by bob via live mitigate",
		"verify-cap ok by bob via live verify",
	}, got)
	run, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, "cap-spend"))
	require.Equal(t, "0", run.Attrs["exit_code"])
	skip, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, "read-budget"))
	require.Equal(t, "dashboard shows it", skip.Attrs["why"])
}

// A role claimed before any alert fired is refused: it would be recorded
// as a claim 0s after a firing that never was.
func TestLiveRoleClaimBeforeAnyIncidentRefused(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, start, Options{Escalation: rolesTeam(t, "").Escalation, Live: true})
	c := NewLiveClient(h.engine.URL(), "--url")
	_, err := c.ClaimRole(context.Background(), RoleClaimRequest{User: "alice", Role: "incident_commander"})
	require.Equal(t, ctlclient.Rejected, ctlclient.KindOf(err), "%v", err)
	require.Contains(t, err.Error(), "no incident is open: a role is claimed for an incident, and no alert has fired yet")
	_, err = c.ClaimRole(context.Background(), RoleClaimRequest{User: "alice", Role: "captain"})
	require.Contains(t, err.Error(), `unknown role "captain"`, "a bad role is still named first")
	h.stop()
	for _, e := range h.log.Events() {
		require.NotEqual(t, timeline.RoleAssigned, e.Kind, strings.TrimSpace(e.Message))
	}
}

// A live step runs as its Runme attributes say: its interpreter, its cwd,
// promptEnv answered from drill.yaml's variables.
func TestLiveStepHonoursRunmeAttributes(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Team: loadTeam(t), Live: true, Pager: &syncWriter{w: &bytes.Buffer{}},
		Variables: map[string]string{"GATEWAY_ADMIN": "http://127.0.0.1:9/admin", "TARGET": "bound"}, StepTimeout: 20 * time.Second})
	h.fire("RunmeAttributes", map[string]string{"service": "llm-gateway"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	_, err := h.engine.Ack("alice", "")
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, err := h.engine.LiveRunbook(); return err == nil }, 5*time.Second, time.Millisecond)
	for step, want := range map[string]string{"in-cwd": "/work/deploy/k8s", "with-sh": "not bash", "with-python": "python 42", "prompted": "target=bound"} {
		st, err := h.engine.RunStep(context.Background(), "alice", step)
		require.NoError(t, err, step)
		require.Equal(t, "ok", st.Status, "%s: %s", step, st.Output)
		require.True(t, strings.HasSuffix(strings.TrimSpace(st.Output), want), "%s: %q", step, st.Output)
	}
}
