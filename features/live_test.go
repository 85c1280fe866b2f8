package features

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// liveFake is a live game day on a virtual clock: the people's pager is
// a buffer, the responders are the test.
type liveFake struct {
	*fakeEnv
	tm    *team.Team
	mu    sync.Mutex
	pager bytes.Buffer
}

func (l *liveFake) Team() *team.Team { return l.tm }
func (l *liveFake) Live() bool       { return true }
func (l *liveFake) Tell(msg string)  { l.Write([]byte(msg + "\n")) }
func (l *liveFake) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pager.Write(p)
}
func (l *liveFake) Pager() string { l.mu.Lock(); defer l.mu.Unlock(); return l.pager.String() }

var _ LiveEnv = (*liveFake)(nil)

const liveEscalation = `users:
  - id: alice
    contact_methods: [{type: push, address: alice-phone}]
    notification_rules: [{after: 0m, via: push}]
policies:
  - id: primary
    rules: [{escalate_after: 15m, targets: [{user: alice}]}]
routes:
  - {default: true, policy: primary}
`

const liveRunbookMD = "---\nid: cost-spike\nowner: alice\nalerts: [LLMSpendSpike]\n---\n# Cost spike\n\n## Diagnosis\n\n1. Look at the spend dashboard.\n\n" +
	"## Mitigation\n\n1. Cap spend:\n   ```sh {\"name\":\"cap-spend\"}\n   curl -fsS -X POST \"$GATEWAY_ADMIN/budget\" -d 2\n   ```\n\n" +
	"## Verification\n\n1. Check the cap:\n   ```sh {\"name\":\"check-cap\"}\n   curl -fsS \"$GATEWAY_ADMIN/budget\"\n   ```\n"

// capAdmin is the gateway admin API: POST /budget caps spend, which is
// what the condition reads.
type capAdmin struct {
	mu     sync.Mutex
	capped bool
}

func (a *capAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Method == http.MethodPost {
		a.capped = true
	}
	_, _ = io.WriteString(w, "ok\n")
}

func (a *capAdmin) isCapped() bool { a.mu.Lock(); defer a.mu.Unlock(); return a.capped }

// liveDrill starts a live drill up to a firing alert paging alice, and
// runs `following the runbook brings "spend < 1" true within 10m`; it
// returns the step's outcome channel once alice has acknowledged and the
// step waits for the recovery.
func liveDrill(t *testing.T) (*liveFake, *response.LiveClient, *capAdmin, *State, chan error) {
	t.Helper()
	admin := &capAdmin{}
	srv := httptest.NewServer(admin)
	t.Cleanup(srv.Close)
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml":        {Data: []byte("team: {id: t}\n")},
		"escalation/e.yaml": {Data: []byte(liveEscalation)},
		"runbooks/cost.md":  {Data: []byte(liveRunbookMD)},
	}, ".")
	require.NoError(t, err)
	env := &liveFake{fakeEnv: newFake(), tm: tm}
	env.read = func(what string, _ time.Time) Reading {
		if admin.isCapped() {
			return Reading{Good: true, Detail: what + " reads good"}
		}
		return Reading{Detail: what + " reads bad"}
	}
	e, err := response.New(response.Options{Clock: env.clock, Log: env.log, Escalation: tm.Escalation, Team: tm, Live: true, Pager: env,
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
	s := NewState(env, []string{"LLMSpendSpike"})
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	require.NoError(t, s.inject(ctx, "billing-spike", "primary", nil, 0))
	env.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "LLMSpendSpike", Labels: map[string]string{"alertname": "LLMSpendSpike"}})
	require.Eventually(t, func() bool { return len(e.Pages()) == 1 }, 5*time.Second, time.Millisecond)

	follow := step(t, s, `following the runbook brings {promql} true`).(func(context.Context, string, string) error)
	errc := make(chan error, 1)
	go func() { errc <- follow(ctx, "spend < 1", "10m") }()
	require.Eventually(t, func() bool { return strings.Contains(env.Pager(), "waiting for an acknowledgement") }, 5*time.Second, time.Millisecond)
	env.clock.Advance(time.Minute)
	c := response.NewLiveClient(e.URL(), "--url")
	_, err = c.Ack(ctx, response.AckRequest{User: "alice"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(env.Pager(), "waiting for the runbook") }, 5*time.Second, time.Millisecond)
	// The engine opens the acknowledged alert's runbook on its own
	// goroutine: the step may tell the room before steps can be marked.
	require.Eventually(t, func() bool { _, err := c.Runbook(ctx); return err == nil }, 5*time.Second, time.Millisecond)
	return env, c, admin, s, errc
}

// finish advances the drill clock by evaluation intervals until the step
// returns.
func finish(t *testing.T, env *liveFake, errc chan error) error {
	t.Helper()
	var err error
	require.Eventually(t, func() bool {
		select {
		case err = <-errc:
			return true
		default:
			env.clock.Advance(15 * time.Second)
			return false
		}
	}, 10*time.Second, time.Millisecond)
	return err
}

func scorecardOf(env *liveFake) *scoring.RunbookRecord {
	sc := scoring.Scenario{Events: env.log.Sorted()}
	scoring.Analyze(&sc)
	return sc.Runbook
}

// The room acknowledges, follows the runbook with drill runbook, and the
// fix holds: the step passes, and the scorecard says every step was
// followed.
func TestLiveRunbookFollowedPasses(t *testing.T) {
	env, c, admin, _, errc := liveDrill(t)
	ctx := context.Background()
	require.Contains(t, env.Pager(), `judged by "spend < 1" within 10m0s of the ack by alice`)
	require.Contains(t, env.Pager(), "drill runbook done STEP")
	env.clock.Advance(30 * time.Second)
	_, err := c.MarkStep(ctx, response.StepMarkRequest{User: "alice", Step: "diagnosis-1", Mark: "done"})
	require.NoError(t, err)
	st, err := c.RunStep(ctx, response.StepRunRequest{User: "alice", Step: "cap-spend"}, 0)
	require.NoError(t, err)
	require.Equal(t, "ok", st.Status, st.Output)
	require.True(t, admin.isCapped())
	_, err = c.RunStep(ctx, response.StepRunRequest{User: "alice", Step: "check-cap"}, 0)
	require.NoError(t, err)
	require.NoError(t, finish(t, env, errc))
	rec, ok := env.log.Find(timeline.OfKind(timeline.Recovered, ""))
	require.True(t, ok)
	require.Contains(t, rec.Message, "runbook cost-spike: 3 of 3 step(s) followed")
	r := scorecardOf(env)
	require.NotNil(t, r)
	require.Equal(t, 3, r.Followed)
	require.Equal(t, "runbook cost-spike: 3 of 3 step(s) followed; done diagnosis-1 (by alice, 30s); ran cap-spend (by alice, 0s); ran check-cap (by alice, 0s)", r.Text())
}

// The room fixes it another way (the admin API by hand) and records no
// step: the service recovered, so the step passes, and the scorecard says
// the runbook was not followed.
func TestLiveFixedAnotherWayPasses(t *testing.T) {
	env, _, admin, _, errc := liveDrill(t)
	env.clock.Advance(2 * time.Minute)
	admin.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/budget", strings.NewReader("2")))
	require.NoError(t, finish(t, env, errc))
	r := scorecardOf(env)
	require.NotNil(t, r)
	require.Equal(t, 0, r.Followed)
	require.Equal(t, 3, r.Total)
	for _, st := range r.Steps {
		require.Equal(t, scoring.RunbookStepNotFollowed, st.Status, st.ID)
	}
	_, ok := env.log.Find(timeline.OfKind(timeline.RunbookEnd, ""))
	require.False(t, ok, "nobody followed the runbook to its end")
}

// Nobody fixes it: the step fails at its deadline, saying nothing in the
// room fixed it and which steps were recorded.
func TestLiveNobodyFixesItFails(t *testing.T) {
	env, c, _, _, errc := liveDrill(t)
	_, err := c.MarkStep(context.Background(), response.StepMarkRequest{User: "alice", Step: "diagnosis-1", Mark: "done"})
	require.NoError(t, err)
	err = finish(t, env, errc)
	require.ErrorContains(t, err, `the people in the room had the runbook, but "spend < 1" was still false 10m0s after the acknowledgement: nothing done in the room fixed it`)
	require.ErrorContains(t, err, "runbook cost-spike: 1 of 3 step(s) followed; followed diagnosis-1 (done); not followed cap-spend, check-cap")
	require.NotContains(t, err.Error(), "did not finish", "live, no runbook run is waited for")
}
