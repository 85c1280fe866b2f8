package response

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/ctlclient"
	"github.com/drillkit/drill/timeline"
)

// LiveClient speaks the routes the engine serves; what the drill refuses
// comes back Rejected with the drill's message.
func TestLiveClient(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	h := newHarness(t, start, Options{Escalation: rolesTeam(t, "").Escalation, Live: true})
	c := NewLiveClient(h.engine.URL()+"/", "--url")
	ctx := context.Background()
	rejected := func(err error) string {
		t.Helper()
		require.Equal(t, ctlclient.Rejected, ctlclient.KindOf(err), "%v", err)
		return err.Error()
	}

	pages, err := c.Pages(ctx)
	require.NoError(t, err)
	require.Empty(t, pages)
	_, err = c.Ack(ctx, AckRequest{User: "alice"})
	require.Equal(t, "no open unacknowledged page", rejected(err))

	h.fire("LLMSpendSpike", map[string]string{"severity": "critical"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	pages, err = c.Pages(ctx)
	require.NoError(t, err)
	require.Len(t, pages, 1)
	require.Equal(t, "LLMSpendSpike", pages[0].Alert)

	claim, err := c.ClaimRole(ctx, RoleClaimRequest{User: "alice", Role: "incident_commander"})
	require.NoError(t, err)
	require.Equal(t, RoleClaim{Role: "incident_commander", User: "alice", Alert: "LLMSpendSpike"}, claim)
	_, err = c.ClaimRole(ctx, RoleClaimRequest{User: "alice", Role: "captain"})
	require.Contains(t, rejected(err), `unknown role "captain"`)

	note, err := c.Note(ctx, NoteRequest{User: "alice", Text: "failing over"})
	require.NoError(t, err)
	require.Equal(t, "LLMSpendSpike", note.Alert)
	_, err = c.Note(ctx, NoteRequest{User: "alice"})
	require.Equal(t, "user and text are required", rejected(err))

	_, err = c.Ack(ctx, AckRequest{User: "bob", Alert: "Other"})
	require.Equal(t, "no open unacknowledged page for alert Other", rejected(err))
	ack, err := c.Ack(ctx, AckRequest{User: "bob", Alert: "LLMSpendSpike"})
	require.NoError(t, err)
	require.Equal(t, 1, ack.Acked)
	require.Eventually(t, func() bool { _, ok := h.log.Find(timeline.OfKind(timeline.Ack, "bob")); return ok }, 5*time.Second, time.Millisecond)
	h.stop()
}
