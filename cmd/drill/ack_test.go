package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

const ackTeamEscalation = `users:
  - id: alice
    contact_methods: [{type: push, address: alice-phone}]
    notification_rules: [{after: 0m, via: push}]
policies:
  - id: primary
    rules: [{escalate_after: 15m, targets: [{user: alice}]}]
routes:
  - {default: true, policy: primary}
`

// liveEngine runs a live response engine with one page open; extra is
// appended to the team's escalation file.
func liveEngine(t *testing.T, extra string) (*response.Engine, *timeline.Log) {
	t.Helper()
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml":        {Data: []byte("team: {id: t}\n")},
		"escalation/e.yaml": {Data: []byte(ackTeamEscalation + extra)},
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

func TestAckByURL(t *testing.T) {
	e, log := liveEngine(t, "")
	code, out, errs := runCLI(t, "ack", "--url", e.URL(), "--list")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "LLMSpendSpike  alice")

	code, _, errs = runCLI(t, "ack", "--url", e.URL(), "--user", "bob", "OtherAlert")
	require.Equal(t, exitcode.Usage, code, "what the drill refuses (404: no such page) is invalid input")
	require.Contains(t, errs, "no open unacknowledged page for alert OtherAlert")

	code, out, errs = runCLI(t, "ack", "--url", e.URL(), "--user", "bob", "LLMSpendSpike")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "acknowledged LLMSpendSpike as bob (1 incident(s))\n", out)
	require.Eventually(t, func() bool {
		ev, ok := log.Find(timeline.OfKind(timeline.Ack, "bob"))
		return ok && ev.Attrs["via"] == "live"
	}, 5*time.Second, time.Millisecond)
}

func TestAckFindsLiveFileUpward(t *testing.T) {
	e, log := liveEngine(t, "")
	dir := t.TempDir()
	require.NoError(t, response.WriteLiveFile(dir, e.URL()))
	sub := filepath.Join(dir, "features", "deep")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	t.Chdir(sub)
	code, _, errs := runCLI(t, "ack", "--user", "carol")
	require.Equal(t, exitcode.OK, code, errs)
	require.Eventually(t, func() bool { _, ok := log.Find(timeline.OfKind(timeline.Ack, "carol")); return ok }, 5*time.Second, time.Millisecond)
}

func TestAckErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errs := runCLI(t, "ack", "--user", "bob")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no live drill found")

	code, _, errs = runCLI(t, "ack", "--url", "http://127.0.0.1:1")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "pass --user ID")

	code, _, errs = runCLI(t, "ack", "--url", "http://127.0.0.1:1", "--user", "bob", "A", "B")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "at most one alert name")

	code, _, errs = runCLI(t, "ack", "--url", "http://127.0.0.1:1", "--user", "bob")
	require.Equal(t, exitcode.Harness, code)
	require.Contains(t, errs, "no live drill at http://127.0.0.1:1 (--url): is `drill run --live` running?")
}
