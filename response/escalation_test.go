package response

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func loadTeam(t *testing.T) *team.Team {
	t.Helper()
	tm, err := team.Load("testdata/team")
	require.NoError(t, err)
	return tm
}

// responders parses a responders: snippet as drill.yaml would hold it.
func responders(t *testing.T, src string) ResponderConfig {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(src), &doc))
	cfg, err := ParseResponders("drill.yaml", &doc)
	require.NoError(t, err)
	return cfg
}

// harness runs one engine on a virtual clock.
type harness struct {
	t      *testing.T
	clock  *timeline.Virtual
	log    *timeline.Log
	engine *Engine
	start  time.Time
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, start time.Time, opt Options) *harness {
	t.Helper()
	h := &harness{t: t, clock: timeline.NewVirtual(start), start: start, done: make(chan error, 1)}
	h.log = timeline.NewLog(h.clock)
	opt.Clock, opt.Log = h.clock, h.log
	if opt.Escalation == nil {
		opt.Escalation = loadTeam(t).Escalation
	}
	e, err := New(opt)
	require.NoError(t, err)
	h.engine = e
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- e.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	require.NoError(h.t, <-h.done)
	require.NoError(h.t, h.engine.Close())
	require.NoError(h.t, h.engine.Close(), "Close is safe twice")
	h.cancel = nil
}

func (h *harness) fire(name string, labels map[string]string, annotations map[string]string) {
	l := map[string]string{"alertname": name}
	for k, v := range labels {
		l[k] = v
	}
	h.log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: name, Labels: l, Attrs: annotations})
}

func (h *harness) resolve(name string, labels map[string]string) {
	l := map[string]string{"alertname": name}
	for k, v := range labels {
		l[k] = v
	}
	h.log.Append(timeline.Event{Kind: timeline.AlertResolved, Subject: name, Labels: l})
}

var escalationKinds = map[timeline.Kind]bool{timeline.Page: true, timeline.Notify: true, timeline.Ack: true,
	timeline.Escalate: true, timeline.PolicyExhausted: true, timeline.BrokenLink: true}

// sequence renders the response events as "offset kind subject detail",
// offsets from the harness start, in drill-time order.
func (h *harness) sequence() []string {
	var out []string
	for _, e := range h.log.Sorted() {
		if !escalationKinds[e.Kind] {
			continue
		}
		detail := ""
		switch e.Kind {
		case timeline.Notify:
			detail = e.Attrs["method"]
		case timeline.BrokenLink:
			detail = e.Attrs["reason"]
		case timeline.Escalate:
			detail = "to rule " + e.Attrs["rule"] + " loop " + e.Attrs["loop"]
			if e.Attrs["reason"] != "not acknowledged" {
				detail = e.Attrs["reason"]
			}
		case timeline.Page:
			detail = "rule " + e.Attrs["rule"]
		}
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.At.Sub(h.start), e.Kind, e.Subject, detail)))
	}
	return out
}

// expect waits until the sequence equals want, then stops the engine and
// checks that nothing more came.
func (h *harness) expect(want []string) {
	h.t.Helper()
	var got []string
	ok := func() bool {
		got = h.sequence()
		return strings.Join(got, "\n") == strings.Join(want, "\n")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !ok() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond) // polling the log, not waiting for drill time
	}
	h.stop()
	require.Equal(h.t, want, h.sequence())
}

func TestEscalationSequences(t *testing.T) {
	// 2026-03-08 02:00 is the US switch to daylight saving time. The
	// ny-primary rotation hands off Mondays 09:00 New York time: 13:00Z
	// after the change, 14:00Z before it.
	mon0830 := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC) // 08:30 EDT
	mon0930 := time.Date(2026, 3, 9, 13, 30, 0, 0, time.UTC) // 09:30 EDT, 13:30Z: still alice if DST were ignored
	constant := func(d string) string { return "default: {available: true, ack_delay: " + d + "}\n" }

	cases := []struct {
		name        string
		at          time.Time
		labels      map[string]string
		responders  string
		unavailable []string
		want        []string
	}{
		{
			name: "before the Monday handoff alice is on call", at: mon0830,
			labels: map[string]string{"service": "llm-gateway"}, responders: constant("3m"),
			want: []string{"0s page alice rule 1", "0s notify alice push", "3m0s ack alice"},
		},
		{
			name: "daylight saving: the handoff keeps 09:00 local, so bob is on call at 13:30Z", at: mon0930,
			labels: map[string]string{"service": "llm-gateway"}, responders: constant("2m"),
			want: []string{"0s page bob rule 1", "0s notify bob push", "2m0s ack bob"},
		},
		{
			name: "override puts carol on call", at: time.Date(2026, 3, 20, 15, 0, 0, 0, time.UTC),
			labels: map[string]string{"service": "llm-gateway"}, responders: constant("1m"),
			want: []string{"0s page carol rule 1", "0s notify carol push", "1m0s ack carol"},
		},
		{
			name: "an unacknowledged page escalates to the team; the slower notification rule fires first", at: mon0830,
			labels:     map[string]string{"service": "llm-gateway"},
			responders: constant("4m") + "alice: {available: false}\n",
			want: []string{
				"0s page alice rule 1", "0s notify alice push", "5m0s notify alice sms",
				"15m0s escalate llm-alert to rule 2 loop 1",
				"15m0s page bob rule 2", "15m0s page carol rule 2", "15m0s notify bob push", "15m0s notify carol push",
				"19m0s ack bob",
			},
		},
		{
			name: "unreachable responder (DiRT fault): bob is paged twice, carol acks", at: mon0930,
			labels: map[string]string{"service": "llm-gateway"}, responders: constant("2m"), unavailable: []string{"bob"},
			want: []string{
				"0s page bob rule 1", "0s notify bob push",
				"15m0s escalate llm-alert to rule 2 loop 1",
				"15m0s page bob rule 2", "15m0s page carol rule 2", "15m0s notify bob push", "15m0s notify carol push",
				"17m0s ack carol",
			},
		},
		{
			name: "inactive user is a broken link; the next rule reaches bob", at: mon0830,
			labels: map[string]string{"route": "inactive"}, responders: constant("1m"),
			want: []string{
				"0s broken.link dave inactive", "0s broken.link inactive/rule 1 nobody",
				"10m0s escalate llm-alert to rule 2 loop 1",
				"10m0s page bob rule 2", "10m0s notify bob push", "11m0s ack bob",
			},
		},
		{
			name: "empty layer falls through to the office layer in office hours", at: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), // 10:00 CET
			labels: map[string]string{"route": "hours"}, responders: constant("1m"),
			want: []string{"0s page frank rule 1", "0s notify frank push", "1m0s ack frank"},
		},
		{
			name: "out of hours the schedule has an empty slot", at: time.Date(2026, 3, 10, 19, 0, 0, 0, time.UTC), // 20:00 CET
			labels: map[string]string{"route": "hours"}, responders: constant("1m"),
			want: []string{
				"0s broken.link berlin-hours empty_slot", "0s broken.link hours/rule 1 nobody",
				"10m0s escalate llm-alert to rule 2 loop 1",
				"10m0s page carol rule 2", "10m0s notify carol push", "11m0s ack carol",
			},
		},
		{
			name: "loops repeat the rules, then the policy is exhausted", at: mon0830,
			labels: map[string]string{"route": "loops"}, responders: constant("1m"), unavailable: []string{"alice"},
			want: []string{
				"0s page alice rule 1", "0s notify alice push", "5m0s notify alice sms",
				"15m0s escalate llm-alert to rule 1 loop 2",
				"15m0s page alice rule 1", "15m0s notify alice push", "20m0s notify alice sms",
				"30m0s policy.exhausted llm-alert",
			},
		},
		{
			name: "a slow responder still acknowledges after the policy is exhausted", at: mon0830,
			labels: map[string]string{"route": "loops"}, responders: constant("1m") + "alice: {ack_delay: 40m}\n",
			want: []string{
				"0s page alice rule 1", "0s notify alice push", "5m0s notify alice sms",
				"15m0s escalate llm-alert to rule 1 loop 2",
				"15m0s page alice rule 1", "15m0s notify alice push", "20m0s notify alice sms",
				"30m0s policy.exhausted llm-alert", "40m0s ack alice",
			},
		},
		{
			name: "a team with no members and a missing user", at: mon0830,
			labels: map[string]string{"route": "ghosts"}, responders: constant("1m"),
			want: []string{
				"0s broken.link ghosts no_members", "0s broken.link zed missing", "0s broken.link ghosts/rule 1 nobody",
				"5m0s policy.exhausted llm-alert",
			},
		},
		{
			name: "a route to a policy that does not exist", at: mon0830,
			labels: map[string]string{"route": "nowhere"}, responders: constant("1m"),
			want: []string{"0s broken.link no-such-policy missing"},
		},
		{
			name: "no route matches", at: mon0830,
			labels: map[string]string{"service": "billing"}, responders: constant("1m"),
			want: []string{"0s broken.link llm-alert no_route"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.at, Options{Responders: responders(t, tc.responders), Seed: 1})
			for _, u := range tc.unavailable {
				h.engine.SetUnavailable(u, true)
			}
			h.fire("llm-alert", tc.labels, nil)
			h.clock.Advance(2 * time.Hour)
			h.expect(tc.want)
		})
	}
}

// The DiRT fault applied mid-page: alice would ack at 10m, becomes
// unreachable at 5m, and the page escalates at 15m.
func TestUnavailableMidPage(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Responders: responders(t, "default: {ack_delay: 10m}\ncarol: {available: false}\n")})
	h.fire("llm-alert", map[string]string{"service": "llm-gateway"}, nil)
	require.Eventually(t, func() bool { return h.clock.Pending() == 1 }, 5*time.Second, time.Millisecond) // waiting for the 5m sms
	h.clock.Advance(5 * time.Minute)
	require.Eventually(t, func() bool { return h.clock.Pending() == 1 }, 5*time.Second, time.Millisecond) // waiting for alice's ack at 10m
	h.engine.SetUnavailable("alice", true)
	h.clock.Advance(time.Hour)
	h.expect([]string{
		"0s page alice rule 1", "0s notify alice push", "5m0s notify alice sms",
		"15m0s escalate llm-alert to rule 2 loop 1",
		"15m0s page bob rule 2", "15m0s page carol rule 2", "15m0s notify bob push", "15m0s notify carol push",
		"25m0s ack bob",
	})
}

// Alerts of one group wait group_wait together and page once; a repeated
// firing does not page again; after resolution a new firing pages anew.
func TestGroupWaitAndDedup(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{GroupWait: 30 * time.Second, Responders: responders(t, "default: {ack_delay: 1m}\n")})
	h.fire("llm-alert", map[string]string{"service": "llm-gateway", "instance": "a"}, nil)
	require.Eventually(t, func() bool { return h.clock.Pending() == 1 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(10 * time.Second)
	h.fire("llm-alert", map[string]string{"service": "llm-gateway", "instance": "b"}, nil) // same group
	h.fire("llm-alert", map[string]string{"service": "llm-gateway", "instance": "a"}, nil) // repeat
	require.Eventually(t, func() bool { return len(h.log.Events()) == 3 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(10 * time.Minute)
	require.Eventually(t, func() bool { _, ok := h.log.Find(timeline.OfKind(timeline.Ack, "alice")); return ok }, 5*time.Second, time.Millisecond)
	h.resolve("llm-alert", map[string]string{"service": "llm-gateway", "instance": "a"})
	h.resolve("llm-alert", map[string]string{"service": "llm-gateway", "instance": "b"})
	h.fire("llm-alert", map[string]string{"service": "llm-gateway", "instance": "a"}, nil) // a new incident
	require.Eventually(t, func() bool { return h.clock.Pending() == 1 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(10 * time.Minute)
	h.expect([]string{
		"30s page alice rule 1", "30s notify alice push", "1m30s ack alice",
		"10m40s page alice rule 1", "10m40s notify alice push", "11m40s ack alice",
	})
}

// An alert resolved during group wait pages nobody; one resolved while
// unacknowledged stops the escalation.
func TestResolveStopsPaging(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{GroupWait: time.Minute, Responders: responders(t, "default: {available: false}\n")})
	lbl := map[string]string{"service": "llm-gateway"}
	h.fire("flappy", lbl, nil)
	require.Eventually(t, func() bool { return h.clock.Pending() == 1 }, 5*time.Second, time.Millisecond)
	h.resolve("flappy", lbl)
	h.fire("llm-alert", lbl, nil)
	require.Eventually(t, func() bool { return h.clock.Pending() >= 2 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(3 * time.Minute)
	require.Eventually(t, func() bool { return h.clock.Pending() == 1 }, 5*time.Second, time.Millisecond) // waiting for the sms at 6m
	h.resolve("llm-alert", lbl)
	require.Eventually(t, func() bool { return h.engine.openGroups() == 0 }, 5*time.Second, time.Millisecond)
	h.clock.Advance(time.Hour)
	h.expect([]string{"1m0s page alice rule 1", "1m0s notify alice push"})
}

// The same seed gives the same acknowledgement times; the lognormal
// delays land near their median and p90.
func TestSeededAckDelays(t *testing.T) {
	run := func(seed uint64) []string {
		at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
		h := newHarness(t, at, Options{Seed: seed, Responders: responders(t, "default: {ack_delay: {dist: lognormal, median: 2m, p90: 6m}}\n")})
		h.fire("llm-alert", map[string]string{"service": "llm-gateway"}, nil)
		h.clock.Advance(2 * time.Hour)
		var seq []string
		require.Eventually(t, func() bool { seq = h.sequence(); return len(seq) > 0 && strings.Contains(seq[len(seq)-1], " ack ") }, 5*time.Second, time.Millisecond)
		h.stop()
		return seq
	}
	require.Equal(t, run(7), run(7))
}

func TestLiveModeShowsPagesAndTakesAcks(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	pager := &syncWriter{w: &bytes.Buffer{}}
	h := newHarness(t, at, Options{Live: true, Pager: pager})
	require.NotEmpty(t, h.engine.URL())
	h.fire("llm-alert", map[string]string{"service": "llm-gateway"}, nil)
	require.Eventually(t, func() bool { return len(h.engine.Pages()) == 1 }, 5*time.Second, time.Millisecond)
	n, err := h.engine.Ack("ops-lead", "other-alert")
	require.NoError(t, err)
	require.Zero(t, n)
	h.clock.Advance(3 * time.Minute)
	n, err = h.engine.Ack("ops-lead", "llm-alert")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	h.clock.Advance(2 * time.Hour)
	h.expect([]string{"0s page alice rule 1", "0s notify alice push", "3m0s ack ops-lead"})
	ack, _ := h.log.Find(timeline.OfKind(timeline.Ack, ""))
	require.Equal(t, "live", ack.Attrs["via"])
	p := h.engine.Pages()[0]
	require.Equal(t, "ops-lead", p.AckedBy)
	require.Equal(t, "schedule ny-primary", p.Target)
	require.Contains(t, pager.String(), "llm-alert → alice")
	_, err = os.Stat(statedir.At(".").Live())
	require.True(t, os.IsNotExist(err), "the engine does not write the live file itself")
}

func TestNewRejectsBadOptions(t *testing.T) {
	tm := loadTeam(t)
	clk := timeline.NewVirtual(time.Unix(0, 0))
	base := func() Options {
		return Options{Clock: clk, Log: timeline.NewLog(clk), Escalation: tm.Escalation, Team: tm}
	}
	cases := map[string]struct {
		mod  func(*Options)
		want string
	}{
		"credential pass-through": {func(o *Options) { o.PassEnv = []string{"AWS_PROFILE"} }, "AWS_PROFILE looks like a credential"},
		"token pass-through":      {func(o *Options) { o.PassEnv = []string{"MY_API_TOKEN"} }, "MY_API_TOKEN looks like a credential"},
		"BASH_ENV variable":       {func(o *Options) { o.Variables = map[string]string{"BASH_ENV": "/tmp/x"} }, "BASH_ENV changes how the shell runs"},
		"bad variable name":       {func(o *Options) { o.Variables = map[string]string{"A-B": "x"} }, `"A-B" is not a variable name`},
		"unknown responder": {func(o *Options) {
			o.Responders = responders(t, "default: {ack_delay: 1m}\nmallory: {available: false}\n")
		}, "drill.yaml:2:1: responders.mallory: unknown user"},
		"no escalation": {func(o *Options) { o.Escalation = nil }, "Escalation is required"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := base()
			tc.mod(&o)
			_, err := New(o)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func (e *Engine) openGroups() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.groups)
}

// syncWriter makes a buffer safe to read while the engine writes.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// An incident whose policy is exhausted with nobody left to answer takes
// no acknowledgement in simulation: there is no one to hand it to.
func TestAckAfterExhaustionInSimulation(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Responders: responders(t, "default: {available: false}\n")})
	h.fire("llm-alert", map[string]string{"route": "loops"}, nil)
	h.clock.Advance(time.Hour)
	require.Eventually(t, func() bool { _, ok := h.log.Find(timeline.OfKind(timeline.PolicyExhausted, "")); return ok }, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool {
		n, err := h.engine.Ack("alice", "llm-alert")
		return err == nil && n == 0
	}, 5*time.Second, time.Millisecond)
	_, err := h.engine.Ack("", "llm-alert")
	require.ErrorContains(t, err, "needs a user")
}

// An alert storm loses nothing: every firing the engine had not read yet
// when it started still opens its incident.
func TestAlertStormLosesNothing(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	clock := timeline.NewVirtual(at)
	log := timeline.NewLog(clock)
	e, err := New(Options{Clock: clock, Log: log, Escalation: loadTeam(t).Escalation, GroupBy: []string{"alertname"},
		GroupWait: time.Minute, Responders: responders(t, "default: {ack_delay: 1m}\n")})
	require.NoError(t, err)
	const storm = 6000 // more than any buffer a subscription would hold
	for i := range storm {
		name := fmt.Sprintf("storm-%d", i)
		log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: name,
			Labels: map[string]string{"alertname": name, "service": "llm-gateway"}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	require.Eventually(t, func() bool { return e.openGroups() == storm }, 10*time.Second, 5*time.Millisecond,
		"every firing opens its own incident")
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, e.Close())
}

// A live drill's endpoint file goes when the drill ends, unless a later
// drill wrote its own since.
func TestRemoveLiveFileOnlyOwnFile(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, ".drill", "live.json")
	require.NoError(t, WriteLiveFile(dir, "http://127.0.0.1:1111"))
	require.NoError(t, RemoveLiveFile(dir, "http://127.0.0.1:2222"), "not ours: kept")
	require.FileExists(t, live)
	require.NoError(t, RemoveLiveFile(dir, "http://127.0.0.1:1111"))
	require.NoFileExists(t, live)
	require.NoError(t, RemoveLiveFile(dir, "http://127.0.0.1:1111"), "already gone is fine")
}

// ReadLiveFile finds a running drill, and tells a missing or stale file
// (ErrNoLive) from a damaged one.
func TestReadLiveFile(t *testing.T) {
	dir := t.TempDir()
	live := statedir.At(dir).Live()
	_, err := ReadLiveFile(live)
	require.ErrorIs(t, err, ErrNoLive)
	require.EqualError(t, err, "no live drill found: no "+live+"; start one with drill run --live, or pass --url")

	require.NoError(t, WriteLiveFile(dir, "http://127.0.0.1:1111"))
	info, err := ReadLiveFile(live)
	require.NoError(t, err)
	require.Equal(t, LiveInfo{URL: "http://127.0.0.1:1111", PID: os.Getpid()}, info)

	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.NoError(t, os.WriteFile(live, []byte(fmt.Sprintf(`{"url": "http://127.0.0.1:1111", "pid": %d}`, dead.Process.Pid)), 0o644))
	_, err = ReadLiveFile(live)
	require.ErrorIs(t, err, ErrNoLive)
	require.Contains(t, err.Error(), fmt.Sprintf("the live drill that wrote %s (pid %d) is no longer running", live, dead.Process.Pid))

	for _, bad := range []string{`{"pid": 1}`, `not json`, `{"url": ""}`} {
		require.NoError(t, os.WriteFile(live, []byte(bad), 0o644))
		_, err = ReadLiveFile(live)
		require.NotErrorIs(t, err, ErrNoLive, bad)
		require.EqualError(t, err, live+`: expected {"url": "http://127.0.0.1:PORT"}`, bad)
	}
}

// An ack given before a notification's deadline wins over it even when
// the incident only looks after the clock has run past both (a large
// Advance while its goroutine was busy): the responder acknowledged
// first, so nothing more is sent.
func TestAckBeforeDeadlineWinsAfterLargeAdvance(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	clock := timeline.NewVirtual(start)
	in := &incident{e: &Engine{clock: clock}, acks: make(chan ackReq, 1), now: start}
	in.acks <- ackReq{user: "ops-lead", at: start.Add(3 * time.Minute)}
	clock.Advance(2 * time.Hour)

	w, user := in.wait(context.Background(), start.Add(5*time.Minute), true)
	require.Equal(t, wakeAck, w, "the 3m ack comes before the 5m deadline")
	require.Equal(t, "ops-lead", user)
	require.Equal(t, start.Add(3*time.Minute), in.now)

	// An ack after the deadline waits for its turn: the deadline first.
	in.acks <- ackReq{user: "bob", at: start.Add(10 * time.Minute)}
	w, _ = in.wait(context.Background(), start.Add(6*time.Minute), true)
	require.Equal(t, wakeTime, w)
	w, user = in.wait(context.Background(), start.Add(20*time.Minute), true)
	require.Equal(t, wakeAck, w)
	require.Equal(t, "bob", user)
	require.Equal(t, start.Add(10*time.Minute), in.now)
}

// Of an ack and a resolution both waiting after a large jump, the
// earlier wins: the ack at +3m comes before the resolution at +4m.
func TestHeldAckBeforeResolution(t *testing.T) {
	start := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	clock := timeline.NewVirtual(start)
	e := &Engine{clock: clock}
	in := &incident{e: e, acks: make(chan ackReq, 1), resolved: make(chan struct{}), now: start}
	e.mu.Lock()
	in.resolvedAt = start.Add(4 * time.Minute)
	e.mu.Unlock()
	close(in.resolved)
	in.acks <- ackReq{user: "ops-lead", at: start.Add(3 * time.Minute)}
	clock.Advance(2 * time.Hour)

	w, user := in.wait(context.Background(), start.Add(5*time.Minute), true)
	require.Equal(t, wakeAck, w)
	require.Equal(t, "ops-lead", user)
	w, _ = in.wait(context.Background(), start.Add(5*time.Minute), true)
	require.Equal(t, wakeResolved, w)
	require.Equal(t, start.Add(4*time.Minute), in.now)
}
