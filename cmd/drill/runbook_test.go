package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

const liveRunbook = `---
id: cost-spike
owner: alice
alerts: [LLMSpendSpike]
---
# Cost spike

## Diagnosis

1. Look at the spend dashboard.

## Mitigation

1. Cap spend:
   ` + "```sh {\"name\":\"cap-spend\"}" + `
   curl -fsS -X POST "$GATEWAY_ADMIN/budget" -d 2
   ` + "```" + `

## Verification

1. Fail on purpose:
   ` + "```sh {\"name\":\"check\"}" + `
   echo not yet; exit 3
   ` + "```" + `
`

// budgetAdmin is the gateway admin API the runbook calls.
type budgetAdmin struct {
	mu     sync.Mutex
	capped string
}

func (a *budgetAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.capped = string(b)
	a.mu.Unlock()
	_, _ = io.WriteString(w, "capped\n")
}

func TestRunbookCommand(t *testing.T) {
	admin := &budgetAdmin{}
	srv := httptest.NewServer(admin)
	defer srv.Close()
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml":        {Data: []byte("team: {id: t}\n")},
		"escalation/e.yaml": {Data: []byte(ackTeamEscalation + rolesEscalation)},
		"runbooks/cost.md":  {Data: []byte(liveRunbook)},
	}, ".")
	require.NoError(t, err)
	clk := timeline.NewVirtual(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	log := timeline.NewLog(clk)
	e, err := response.New(response.Options{Clock: clk, Log: log, Escalation: tm.Escalation, Team: tm, Live: true,
		Variables: map[string]string{"GATEWAY_ADMIN": srv.URL}, StepTimeout: 10 * time.Second})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
		require.NoError(t, e.Close())
	})

	// Before any incident: no role claim, no runbook.
	code, _, errs := runCLI(t, "role", "--url", e.URL(), "--user", "alice", "claim", "incident_commander")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no incident is open: a role is claimed for an incident, and no alert has fired yet")
	code, _, errs = runCLI(t, "runbook", "--url", e.URL())
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "acknowledge the page first (drill ack)")

	log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "LLMSpendSpike", Labels: map[string]string{"alertname": "LLMSpendSpike"}})
	require.Eventually(t, func() bool { return len(e.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	code, _, errs = runCLI(t, "ack", "--url", e.URL(), "--user", "alice")
	require.Equal(t, exitcode.OK, code, errs)
	require.Eventually(t, func() bool { _, err := e.LiveRunbook(); return err == nil }, 5*time.Second, time.Millisecond)

	code, out, errs := runCLI(t, "runbook", "--url", e.URL())
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "runbook cost-spike (runbooks/cost.md) for LLMSpendSpike, opened by alice")
	require.Contains(t, out, `curl -fsS -X POST "`+srv.URL+`/budget" -d 2`, "variables resolved")

	code, _, errs = runCLI(t, "runbook", "--url", e.URL(), "--user", "alice", "done", "cap")
	require.Equal(t, exitcode.Usage, code, "an unknown step is invalid input")
	require.Contains(t, errs, `unknown runbook step "cap" in runbook cost-spike: expected one of diagnosis-1, cap-spend, check`)
	code, _, errs = runCLI(t, "runbook", "--url", e.URL(), "--user", "alice", "skip", "check")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "skip needs a reason")
	code, _, _ = runCLI(t, "runbook", "--url", e.URL(), "--user", "alice", "launch", "check")
	require.Equal(t, exitcode.Usage, code)

	clk.Advance(90 * time.Second)
	code, out, errs = runCLI(t, "runbook", "--url", e.URL(), "--user", "alice", "done", "diagnosis-1")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "diagnosis-1: done by alice after 1m30s\n", out)

	code, out, errs = runCLI(t, "runbook", "--url", e.URL(), "--user", "bob", "run", "cap-spend")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "capped\ncap-spend: ok (exit 0")
	admin.mu.Lock()
	require.Equal(t, "2", admin.capped, "the step ran through the executor, against the bound endpoint")
	admin.mu.Unlock()
	run, ok := log.Find(timeline.OfKind(timeline.StepEnd, "cap-spend"))
	require.True(t, ok)
	require.Equal(t, "capped\n", run.Attrs["output"], "the output is on the timeline")
	require.Equal(t, "bob", run.Attrs["user"])

	code, out, _ = runCLI(t, "runbook", "--url", e.URL(), "--user", "bob", "run", "check")
	require.Equal(t, exitcode.Failed, code, "a failing step exits 1")
	require.Contains(t, out, "not yet\ncheck: failed (exit 3")
	code, _, errs = runCLI(t, "runbook", "--url", e.URL(), "--user", "bob", "run", "diagnosis-1")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "step diagnosis-1 is manual")
	code, _, errs = runCLI(t, "runbook", "--url", e.URL(), "--user", "bob", "skip", "check", "--why", "graph is flat")
	require.Equal(t, exitcode.OK, code, errs)

	code, out, errs = runCLI(t, "runbook", "--url", e.URL())
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "skipped by bob after")
	require.Contains(t, out, "every step is recorded (skipped)")
	end, ok := log.Find(timeline.OfKind(timeline.RunbookEnd, "cost-spike"))
	require.True(t, ok)
	require.Equal(t, "check", end.Attrs["skipped"])
}
