package console_test

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/cucumber/godog"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/console"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/internal/chromium"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

var update = flag.Bool("update", false, "rewrite docs/console.png from the screenshot test")

// The game day the browser tests run: the README's live cost spike, on a
// world whose clock the test drives.
const gameDayFeature = `Feature: Cost spikes
  Scenario: The provider bills ten times the tokens
    Given the team's environment is running
    When the primary provider bills 10x tokens
    Then an alert fires within 10m
    And the page is acknowledged within 20m
    And following the runbook brings "spend < 1" true within 15m
    And the fault provably fired
`

const escalation = `users:
  - id: alice
    contact_methods: [{type: push, address: alice-phone}]
    notification_rules: [{after: 0m, via: push}]
  - id: bob
    contact_methods: [{type: push, address: bob-phone}]
    notification_rules: [{after: 0m, via: push}]
policies:
  - id: primary
    rules: [{escalate_after: 15m, targets: [{user: alice}]}]
routes:
  - {default: true, policy: primary}
roles:
  - {id: incident_commander, from: {users: [alice, bob]}}
`

const runbook = "---\nid: llm-cost-spike\nowner: alice\nalerts: [LLMSpendSpike]\n---\n# Cost spike\n\n## Diagnosis\n\n1. Look at the spend dashboard.\n\n" +
	"## Mitigation\n\n1. Cap spend:\n   ```sh {\"name\":\"cap-spend\"}\n   curl -fsS -X POST \"$GATEWAY_ADMIN/budget\" -d 2\n   ```\n\n" +
	"## Verification\n\n1. Check the cap:\n   ```sh {\"name\":\"check-cap\"}\n   curl -fsS \"$GATEWAY_ADMIN/budget\"\n   ```\n"

// gateway is the service's admin API the runbook caps spend with; the
// drill's condition reads it.
type gateway struct {
	mu     sync.Mutex
	capped bool
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.Method == http.MethodPost {
		g.capped = true
	}
	_, _ = io.WriteString(w, "ok\n")
}

func (g *gateway) isCapped() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.capped }

// world is a features.Env on a virtual clock: the fault bills ten times
// the tokens, the spend alert fires two drill minutes later (as the
// team's rule would on that data), and spend reads good once the
// gateway is capped. The responders are a real live response engine.
type world struct {
	clock *timeline.Virtual
	log   *timeline.Log
	tm    *team.Team
	gw    *gateway

	mu       sync.Mutex
	started  bool
	injected []string
	pager    bytes.Buffer
	con      *console.Server
	resp     *response.Engine
}

func (w *world) Start(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		w.log.Append(timeline.Event{Kind: timeline.ScenarioStart, Message: "world ready"})
		w.con.Attach(w.log, w.resp.LiveHandler(), w.Evidence)
	}
	w.started = true
	return nil
}
func (w *world) Started() bool          { w.mu.Lock(); defer w.mu.Unlock(); return w.started }
func (w *world) SetSpeed(float64) error { return nil }
func (w *world) Clock() timeline.Clock  { return w.clock }
func (w *world) Log() *timeline.Log     { return w.log }
func (w *world) Team() *team.Team       { return w.tm }
func (w *world) Inject(_ context.Context, kind, target string, _ map[string]string, _ time.Duration) (string, error) {
	id := kind + "-1"
	w.mu.Lock()
	w.injected = append(w.injected, id)
	w.mu.Unlock()
	w.log.Append(timeline.Event{Kind: timeline.FaultOn, Subject: id, Message: "billing-spike factor=10 on " + target})
	fire := w.clock.After(2 * time.Minute)
	go func() {
		<-fire
		w.log.Append(timeline.Event{Kind: timeline.AlertPending, Subject: "LLMSpendSpike", Labels: map[string]string{"alertname": "LLMSpendSpike", "severity": "page"}, Attrs: map[string]string{"value": "4.2"}})
		w.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "LLMSpendSpike", Labels: map[string]string{"alertname": "LLMSpendSpike", "severity": "page"}, Attrs: map[string]string{"value": "4.2"}})
	}()
	return id, nil
}
func (w *world) Evidence(context.Context) (map[string]int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int64{}
	for _, id := range w.injected {
		out[id] = 120
	}
	return out, nil
}
func (w *world) evidence() []scoring.Evidence {
	ev, _ := w.Evidence(context.Background())
	var out []scoring.Evidence
	for id, n := range ev {
		out = append(out, scoring.Evidence{ID: id, Kind: "billing-spike", Target: "primary", On: true, Affected: n, Source: scoring.EvidenceControlAPI})
	}
	return out
}
func (w *world) Query(context.Context, string) (float64, bool, error) {
	if w.gw.isCapped() {
		return 0.5, true, nil
	}
	return 4.2, true, nil
}
func (w *world) read(what string) features.Reading {
	if w.gw.isCapped() {
		return features.Reading{Good: true, Detail: what + " reads 0.5"}
	}
	return features.Reading{Detail: what + " reads 4.2"}
}
func (w *world) ReadAlert(_ context.Context, alert string, _ time.Time) (features.Reading, error) {
	return w.read(alert), nil
}
func (w *world) ReadCondition(_ context.Context, expr string, _ time.Time) (features.Reading, error) {
	return w.read(expr), nil
}
func (w *world) EvalInterval() time.Duration              { return 15 * time.Second }
func (w *world) SetTraffic(float64, string) error         { return nil }
func (w *world) SetResponderAvailable(string, bool) error { return nil }
func (w *world) Live() bool                               { return true }
func (w *world) Tell(msg string) {
	w.mu.Lock()
	w.pager.WriteString(msg + "\n")
	w.mu.Unlock()
	w.con.Tell(msg)
}

var _ features.LiveEnv = (*world)(nil)

// gameDay is one live drill of gameDayFeature with a console: the
// world, its console, and the run, which ends with the scorecard on
// the console.
type gameDay struct {
	w     *world
	con   *console.Server
	done  chan *scoring.Scorecard
	ended chan struct{} // closed when the run has ended
}

func startGameDay(t *testing.T) *gameDay {
	t.Helper()
	gw := &gateway{}
	admin := httptest.NewServer(gw)
	t.Cleanup(admin.Close)
	tm, err := team.LoadFS(fstest.MapFS{
		"drill.yaml":             {Data: []byte("team: {id: acme-ml}\n")},
		"escalation/e.yaml":      {Data: []byte(escalation)},
		"runbooks/cost-spike.md": {Data: []byte(runbook)},
	}, ".")
	require.NoError(t, err)
	clk := timeline.NewVirtual(time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC))
	w := &world{clock: clk, log: timeline.NewLog(clk), tm: tm, gw: gw}
	w.resp, err = response.New(response.Options{Clock: clk, Log: w.log, Escalation: tm.Escalation, Team: tm, Live: true, Pager: io.Discard,
		Variables: map[string]string{"GATEWAY_ADMIN": admin.URL}, StepTimeout: 10 * time.Second})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	respDone := make(chan error, 1)
	go func() { respDone <- w.resp.Run(ctx) }()
	w.con, err = console.Open(console.Options{Title: "run --live cost-spike", Users: []string{"alice", "bob"}, Roles: []string{"incident_commander"}, Heartbeat: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-respDone)
		require.NoError(t, w.resp.Close())
		require.NoError(t, w.con.Close())
	})
	g := &gameDay{w: w, con: w.con, done: make(chan *scoring.Scorecard, 1), ended: make(chan struct{})}
	go g.run()
	// A test that stops mid-drill lets the drill run out (its deadlines
	// pass) before the engine and the console close.
	t.Cleanup(func() {
		require.Eventually(t, func() bool {
			select {
			case <-g.ended:
				return true
			default:
				w.clock.Advance(time.Minute)
				return false
			}
		}, 10*time.Second, time.Millisecond, "the drill did not end")
	})
	return g
}

// run runs the feature through godog with drill's step catalog, records
// and judges the scenario as drill run does, and ends the console's run
// with the scorecard.
func (g *gameDay) run() {
	defer close(g.ended)
	var rec *scoring.Scenario
	var index int
	st := features.NewState(nil, nil)
	suite := godog.TestSuite{
		Name: "console",
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			sc.Before(func(c context.Context, p *godog.Scenario) (context.Context, error) {
				var texts []string
				for _, s := range p.Steps {
					texts = append(texts, s.Text)
				}
				rec = &scoring.Scenario{Name: p.Name, Feature: "cost-spike.feature"}
				st.Env, st.ControlWindow = g.w, time.Minute
				g.con.Begin(p.Name, "cost-spike.feature:2", texts)
				return c, nil
			})
			features.Register(sc, st)
			sc.StepContext().Before(func(c context.Context, s *godog.Step) (context.Context, error) {
				g.con.Step(index, "running", "")
				return c, nil
			})
			sc.StepContext().After(func(c context.Context, s *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
				step := scoring.Step{Text: s.Text, Status: scoring.StepStatus(status.String())}
				if err != nil {
					step.Error = err.Error()
				}
				rec.Steps = append(rec.Steps, step)
				g.con.Step(index, string(step.Status), step.Error)
				index++
				return c, nil
			})
			sc.After(func(c context.Context, p *godog.Scenario, stepErr error) (context.Context, error) {
				rec.Events = g.w.log.Events()
				scoring.Judge(rec, scoring.Outcome{Steps: stepErr, Evidence: g.w.evidence()})
				scoring.Analyze(rec)
				g.con.End(rec)
				return c, nil
			})
		},
		Options: &godog.Options{Format: "progress", Output: io.Discard, Strict: true,
			FeatureContents: []godog.Feature{{Name: "cost-spike.feature", Contents: []byte(gameDayFeature)}}},
	}
	suite.Run()
	card := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, Scenarios: []scoring.Scenario{*rec}}
	card.Summary = scoring.Summarize(card.Scenarios)
	g.con.Finish(card, []byte("<!doctype html><title>drill report</title><h1>drill report</h1>"), nil)
	g.done <- card
}

// advanceUntil moves the drill clock on by evaluation intervals until
// cond holds: the test drives drill time, nothing sleeps.
func (g *gameDay) advanceUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, func() bool {
		if cond() {
			return true
		}
		g.w.clock.Advance(15 * time.Second)
		return false
	}, 10*time.Second, time.Millisecond, what)
}

// waitFor waits, without moving the clock, until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, 5*time.Millisecond, what)
}

func (g *gameDay) has(k timeline.Kind, subject string) bool {
	_, ok := g.w.log.Find(timeline.OfKind(k, subject))
	return ok
}

// offset is the drill time of the first event of kind and subject, as
// the page shows it (+MM:SS from the world's start).
func (g *gameDay) offset(t *testing.T, k timeline.Kind, subject string) string {
	t.Helper()
	start, ok := g.w.log.Find(timeline.OfKind(timeline.ScenarioStart, ""))
	require.True(t, ok)
	e, ok := g.w.log.Find(timeline.OfKind(k, subject))
	require.True(t, ok, "no %s %s", k, subject)
	return scoring.Offset(e.At.Sub(start.At))
}

// The room runs the game day from the console: the facilitator's page
// shows the alert and the page, alice acknowledges from it, claims
// incident commander, posts a note and follows the runbook with its
// buttons (one step marked done, two run in the sandbox); the fix holds,
// the scenario passes, and the page shows the verdict and who did what.
func TestConsoleGameDayPasses(t *testing.T) {
	ctx := chromium.Start(t, 1280, 900)
	g := startGameDay(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(g.con.URL())))
	chromium.WaitText(t, ctx, "#conn", "live")
	chromium.WaitText(t, ctx, "#scenario", "The provider bills ten times the tokens")

	// A role claimed before any incident is refused, and the page says
	// why. (The page names the scenario as soon as it begins; its
	// control API opens once its world is up.)
	waitFor(t, "the world is up", g.w.Started)
	chromium.Click(t, ctx, "#claim-btn", func() bool { return true })
	chromium.WaitText(t, ctx, "#error", "no incident is open")
	require.False(t, g.has(timeline.RoleAssigned, ""))

	// The control window (a drill minute) passes and the fault goes on;
	// the clock stops at its end until it is recorded, as a busy machine
	// may wake the scenario late. Two drill minutes on, the alert fires
	// and alice is paged.
	g.w.clock.Advance(time.Minute)
	waitFor(t, "the control window's end", func() bool { return g.has(timeline.ControlEnd, "") })
	g.advanceUntil(t, "alice paged", func() bool { return len(g.w.resp.Pages()) == 1 })
	chromium.WaitText(t, ctx, "#alerts", "firing")
	chromium.WaitText(t, ctx, "#alerts", "4.2")
	chromium.WaitText(t, ctx, "#faults", "billing-spike-1")
	chromium.WaitText(t, ctx, "#faults", "120 affected")
	chromium.WaitText(t, ctx, "#pages", "alice")
	chromium.WaitText(t, ctx, "#tells", "waiting for an acknowledgement")
	require.NotContains(t, chromium.HTML(ctx, "#tells"), "done", "nobody acknowledged yet")
	chromium.WaitText(t, ctx, "#steps", "[passed] an alert fires within 10m")
	chromium.WaitText(t, ctx, "#control", "control window over +01:00")

	// One drill minute later alice acknowledges from the page.
	g.w.clock.Advance(time.Minute)
	chromium.Click(t, ctx, `button.ack[data-alert="LLMSpendSpike"]`, func() bool { return g.has(timeline.Ack, "alice") })
	chromium.WaitText(t, ctx, "#pages", "alice "+g.offset(t, timeline.Ack, "alice"))
	// The line the acknowledgement step waited with is marked done once
	// that step is judged: the room is not left waiting on it.
	chromium.WaitText(t, ctx, "#tells li.done", "waiting for an acknowledgement")
	chromium.WaitText(t, ctx, "#tells li.done", "(done: step passed)")
	chromium.WaitText(t, ctx, "#runbook", "llm-cost-spike")
	waitFor(t, "the runbook step waits", func() bool { return strings.Contains(g.w.pagerText(), "waiting for the runbook") })

	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#me"), "bob")))
	chromium.Click(t, ctx, "#claim-btn", func() bool { return g.has(timeline.RoleAssigned, "bob") })
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#note-text"), "capping spend at 2 USD/min")))
	chromium.Click(t, ctx, "#note-btn", func() bool { return g.has(timeline.StatusUpdate, "bob") })
	chromium.WaitText(t, ctx, "#roles", "bob")
	chromium.WaitText(t, ctx, "#notes", "capping spend at 2 USD/min")

	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#me"), "alice")))
	g.w.clock.Advance(30 * time.Second)
	chromium.Click(t, ctx, `button[data-act="done"][data-step="diagnosis-1"]`, func() bool { return g.has(timeline.StepEnd, "diagnosis-1") })
	chromium.Click(t, ctx, `button[data-act="run"][data-step="cap-spend"]`, func() bool { return g.has(timeline.StepEnd, "cap-spend") })
	require.True(t, g.w.gw.isCapped(), "the runbook step ran against the gateway")
	chromium.Click(t, ctx, `button[data-act="run"][data-step="check-cap"]`, func() bool { return g.has(timeline.StepEnd, "check-cap") })
	chromium.WaitText(t, ctx, "#runbook", "ended ok")
	chromium.WaitText(t, ctx, `[data-runbook-step="diagnosis-1"]`, "[done by alice, 30s]")

	var card *scoring.Scorecard
	g.advanceUntil(t, "the drill ends", func() bool {
		select {
		case card = <-g.done:
			return true
		default:
			return false
		}
	})
	sc := card.Scenarios[0]
	require.Equal(t, scoring.Passed, sc.Status, sc.Reason)
	require.NotNil(t, sc.Runbook)
	require.Equal(t, 3, sc.Runbook.Followed, sc.Runbook.Text())

	chromium.WaitText(t, ctx, "#banner", "drill passed: 1 of 1 scenario(s) passed")
	chromium.WaitText(t, ctx, "#result", "passed")
	chromium.WaitText(t, ctx, "#steps", "[passed] following the runbook brings \"spend < 1\" true within 15m")
	tl := chromium.Text(t, ctx, "#timeline")
	require.Contains(t, tl, g.offset(t, timeline.Ack, "alice")+" ack alice: acknowledged LLMSpendSpike")
	require.Contains(t, tl, g.offset(t, timeline.StepEnd, "diagnosis-1")+" step.end diagnosis-1: alice marks step diagnosis-1 done")
	require.Contains(t, tl, g.offset(t, timeline.StepEnd, "cap-spend")+" step.end cap-spend: alice runs step cap-spend: ok")
	require.Equal(t, 1, strings.Count(tl, "step.start cap-spend"), "one click runs the step once")
	require.Contains(t, tl, "scenario The provider bills ten times the tokens: passed")
	chromium.WaitText(t, ctx, "#conn", "drill ended")

	// The scorecard and the report are linked, with the token.
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#report-link"), "href"))
	require.NoError(t, err)
	require.True(t, attr.Exists)
	href := attr.Value
	require.Contains(t, href, "/report?token="+g.con.Token())
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(g.con.BaseURL()+href)))
	chromium.WaitText(t, ctx, "h1", "drill report")
}

// Nobody in the room acts: the page goes unacknowledged, the step fails
// at its deadline, the scenario fails, and the page says so.
func TestConsoleGameDayNobodyActsFails(t *testing.T) {
	ctx := chromium.Start(t, 1280, 900)
	g := startGameDay(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(g.con.URL())))
	chromium.WaitText(t, ctx, "#conn", "live")
	var card *scoring.Scorecard
	g.advanceUntil(t, "the drill ends", func() bool {
		select {
		case card = <-g.done:
			return true
		default:
			return false
		}
	})
	sc := card.Scenarios[0]
	require.Equal(t, scoring.Failed, sc.Status)
	require.Contains(t, sc.Reason, "acknowledged")
	chromium.WaitText(t, ctx, "#banner", "drill failed: 0 of 1 scenario(s) passed")
	chromium.WaitText(t, ctx, "#steps", "[failed] the page is acknowledged within 20m")
	chromium.WaitText(t, ctx, "#tells li.done", "(done: step failed)")
	chromium.WaitText(t, ctx, "#result", "failed")
	require.False(t, g.has(timeline.Ack, ""))
}

// The console at a fixed window size, mid-drill: a PNG of that size,
// not blank. With -update it is the README's screenshot,
// docs/console.png.
func TestConsoleScreenshot(t *testing.T) {
	ctx := chromium.Start(t, 1280, 900)
	g := startGameDay(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(g.con.URL())))
	chromium.WaitText(t, ctx, "#conn", "live")
	g.advanceUntil(t, "alice paged", func() bool { return len(g.w.resp.Pages()) == 1 })
	g.w.clock.Advance(time.Minute)
	chromium.Click(t, ctx, `button.ack[data-alert="LLMSpendSpike"]`, func() bool { return g.has(timeline.Ack, "alice") })
	g.w.clock.Advance(30 * time.Second)
	chromium.Click(t, ctx, `button[data-act="done"][data-step="diagnosis-1"]`, func() bool { return g.has(timeline.StepEnd, "diagnosis-1") })
	chromium.WaitText(t, ctx, `[data-runbook-step="diagnosis-1"]`, "[done by alice")
	chromium.WaitText(t, ctx, "#tells", "waiting for the runbook")

	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 1280, 800), img.Bounds())
	colors := map[uint32]bool{}
	for y := 0; y < 800; y += 4 {
		for x := 0; x < 1280; x += 4 {
			r, gg, b, _ := img.At(x, y).RGBA()
			colors[r>>12<<8|gg>>12<<4|b>>12] = true
		}
	}
	require.Greater(t, len(colors), 8, "the screenshot is blank or nearly so")
	if *update {
		require.Less(t, len(shot), 200<<10, "docs/console.png should stay under 200 KB")
		require.NoError(t, os.WriteFile(filepath.Join("..", "docs", "console.png"), shot, 0o644))
	}
}

func (w *world) pagerText() string { w.mu.Lock(); defer w.mu.Unlock(); return w.pager.String() }

// controlAPI stands for drill up's testbed control API: it records what
// the page sends and refuses an unknown target as the testbed does.
type controlAPI struct {
	mu   sync.Mutex
	got  []string
	bads int
}

func (c *controlAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, r.Method+" "+r.URL.Path+" "+string(b))
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(string(b), `"target":"nosuch"`) {
		c.bads++
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"no target \"nosuch\"; targets: primary, search"}`)
		return
	}
	_, _ = io.WriteString(w, `{"id":"latency-1"}`)
}

func (c *controlAPI) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

// drill up's console injects and clears through its control API: the
// form's fault, target, parameters and duration go as drill inject sends
// them, a refusal shows its message, and the world's events show up.
func TestConsoleUpInjectForm(t *testing.T) {
	ctx := chromium.Start(t, 1280, 900)
	ctl := &controlAPI{}
	con, err := console.Open(console.Options{Title: "up acme-ml", Control: ctl, Heartbeat: 50 * time.Millisecond,
		Faults: []console.FaultKind{{Name: "provider-error", Summary: "errors"}, {Name: "latency", Summary: "slow", Params: []string{"latency"}}}})
	require.NoError(t, err)
	defer con.Close()
	clk := timeline.NewVirtual(time.Date(2026, 3, 9, 14, 0, 0, 0, time.UTC))
	log := timeline.NewLog(clk)
	con.Attach(log, nil, nil)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(con.URL())))
	chromium.WaitText(t, ctx, "#scenario", "up acme-ml")
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("runbook").closest("section").hidden && document.getElementById("steps-box").hidden`))
	require.NoError(t, err)
	require.True(t, hidden, "drill up has no runbook or feature steps")

	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#fault-kind"), "latency"),
		chromedp.SetValue(chromedp.CSS("#fault-target"), "nosuch"), chromedp.SetValue(chromedp.CSS("#fault-params"), "latency=2000"),
		chromedp.SetValue(chromedp.CSS("#fault-for"), "2m")))
	chromium.Click(t, ctx, "#inject-btn", func() bool { return len(ctl.calls()) == 1 })
	chromium.WaitText(t, ctx, "#error", `no target "nosuch"`)
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#fault-target"), "primary")))
	chromium.Click(t, ctx, "#inject-btn", func() bool { return len(ctl.calls()) == 2 })
	chromium.Click(t, ctx, "#clear-btn", func() bool { return len(ctl.calls()) == 3 })
	require.Equal(t, []string{
		`POST /inject {"kind":"latency","target":"nosuch","params":{"latency":"2000"},"for":"2m"}`,
		`POST /inject {"kind":"latency","target":"primary","params":{"latency":"2000"},"for":"2m"}`,
		`POST /clear {}`,
	}, ctl.calls())

	clk.Advance(30 * time.Second)
	log.Append(timeline.Event{Kind: timeline.FaultOn, Subject: "latency-1", Message: "latency(latency=2000ms) on primary"})
	chromium.WaitText(t, ctx, "#faults", "latency-1")
	chromium.WaitText(t, ctx, "#timeline", "fault.on latency-1")
	con.Finish(nil, nil, nil)
	chromium.WaitText(t, ctx, "#banner", "the drill ended")
}
