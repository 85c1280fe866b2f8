package scenarios

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/console"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// A live cost spike of the demo team, in a whole world, at ×120.
const liveConsoleFeature = `@live-console
Feature: live console
  Scenario: The room caps a cost spike
    Given the team's environment is running
    And steady traffic of 5 requests per second
    And a control window of 1m
    When the primary provider bills 10x tokens
    Then an alert fires within 10m
    And the page is acknowledged within 5m
    And following the runbook brings "gateway:cost_usd_per_minute < 1" true within 15m
    And the fault provably fired
`

// room is the people of a live drill acting through its console, as the
// page does: the console's /api/ is the live drill's control API.
type room struct {
	t   *testing.T
	con *console.Server
}

func (r room) call(method, path string, body any, out any) int {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(r.t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, r.con.BaseURL()+path, rd)
	require.NoError(r.t, err)
	req.Header.Set(console.TokenHeader, r.con.Token())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		require.NoError(r.t, json.NewDecoder(resp.Body).Decode(out))
	}
	return resp.StatusCode
}

// liveConsoleRun runs the live drill with a console; act, when set, is
// the room, called once the drill runs.
func liveConsoleRun(t *testing.T, act func(room)) *scoring.Scenario {
	t.Helper()
	con, err := console.Open(console.Options{Title: "run --live live-console"})
	require.NoError(t, err)
	defer con.Close()
	card := liveConsoleDrill(t, liveConsoleFeature, con, act)
	require.Len(t, card.Scenarios, 1)
	return &card.Scenarios[0]
}

// liveConsoleDrill runs feature (tagged @live-console) live in the demo
// team's world at ×120 with the console con following it; act, when
// set, is the room, called once the drill runs, and has returned when
// the scorecard is.
func liveConsoleDrill(t *testing.T, feature string, con *console.Server, act func(room)) *scoring.Scorecard {
	t.Helper()
	tm := demoTeam(t)
	tm.Features["features/live-console.feature"] = feature
	opts := Options{Team: tm, Names: []string{"live-console"}, Live: true, LiveDir: t.TempDir(), Seed: 1, Console: con, liveSpeed: 120}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	acted := make(chan struct{})
	go func() {
		defer close(acted)
		if act != nil {
			act(room{t: t, con: con})
		}
	}()
	card, err := Run(ctx, opts)
	require.NoError(t, err)
	<-acted
	return card
}

// The whole live path: a world, its alert paging a person, the room
// acknowledging and following the runbook through the console (the live
// control API behind its token), the runbook's commands run against the
// real gateway, and the drill judging it passed by the condition on good
// data; the scorecard says every step was followed.
func TestLiveDrillThroughTheConsolePasses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a live drill in a whole world at ×120 (about 10s); skipped with -short")
	}
	sc := liveConsoleRun(t, func(r room) {
		var pages []response.Page
		require.Eventually(t, func() bool {
			return r.call(http.MethodGet, "/api/pages", nil, &pages) == http.StatusOK && len(pages) > 0
		}, time.Minute, 20*time.Millisecond, "nobody was paged")
		var ack response.AckResponse
		require.Equal(t, http.StatusOK, r.call(http.MethodPost, "/api/ack", response.AckRequest{User: pages[0].User}, &ack))
		var rb response.LiveRunbook
		require.Eventually(t, func() bool { return r.call(http.MethodGet, "/api/runbook", nil, &rb) == http.StatusOK },
			10*time.Second, 20*time.Millisecond, "no runbook opened at the ack")
		require.Equal(t, "llm-cost-spike", rb.Runbook)
		for _, st := range rb.Steps {
			var out response.LiveStep
			if st.Manual {
				require.Equal(t, http.StatusOK, r.call(http.MethodPost, "/api/runbook/mark", response.StepMarkRequest{User: pages[0].User, Step: st.ID, Mark: "done"}, &out))
				continue
			}
			require.Equal(t, http.StatusOK, r.call(http.MethodPost, "/api/runbook/run", response.StepRunRequest{User: pages[0].User, Step: st.ID}, &out))
			require.Equal(t, "ok", out.Status, "%s: %s", st.ID, out.Output)
		}
	})
	require.Equal(t, scoring.Passed, sc.Status, "%s: %v", sc.Reason, sc.Steps)
	require.NotNil(t, sc.Runbook)
	require.Equal(t, sc.Runbook.Total, sc.Runbook.Followed, sc.Runbook.Text())
	found := false
	for _, e := range sc.Events {
		found = found || (e.Kind == timeline.Recovered && strings.Contains(e.Message, "3 of 3 step(s) followed"))
	}
	require.True(t, found, "the recovery names the runbook followed")
}

// The same drill where nobody in the room acts fails at the
// acknowledgement's deadline.
func TestLiveDrillNobodyActsFails(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a live drill in a whole world at ×120 (about 8s); skipped with -short")
	}
	sc := liveConsoleRun(t, nil)
	require.Equal(t, scoring.Failed, sc.Status, "%s: %v", sc.Reason, sc.Steps)
	require.Contains(t, sc.Reason, "acknowledged")
}
