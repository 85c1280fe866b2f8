package response

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// runSandboxed runs one step as the runbook executor does.
func (e *Engine) runSandboxed(ctx context.Context, code string) stepResult {
	return e.runStep(ctx, stepSpec{code: code, label: "step under test"})
}

// sandboxEngine is an engine used only for its sandbox.
func sandboxEngine(t *testing.T, opt Options) *Engine {
	t.Helper()
	tm := loadTeam(t)
	clk := timeline.NewVirtual(time.Unix(0, 0))
	opt.Clock, opt.Log, opt.Escalation, opt.Team = clk, timeline.NewLog(clk), tm.Escalation, tm
	e, err := New(opt)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close()) })
	return e
}

func TestSandboxOutcomes(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "hunter2-aws")
	t.Setenv("KUBECONFIG", "/home/someone/.kube/hunter2")
	t.Setenv("GITHUB_TOKEN", "ghp_hunter2")
	t.Setenv("DRILL_TEST_PASSED", "passed-through")
	t.Setenv("DRILL_TEST_NOT_PASSED", "kept-out")
	opt := Options{
		StepTimeout: 20 * time.Second, // generous: the machine is shared
		OutputLimit: 64 << 10,
		Variables:   map[string]string{"GATEWAY_ADMIN": "http://127.0.0.1:9/admin"},
		PassEnv:     []string{"DRILL_TEST_PASSED"},
	}
	e := sandboxEngine(t, opt)
	opt.StepTimeout = 500 * time.Millisecond
	short := sandboxEngine(t, opt)
	cases := []struct {
		short  bool // run with the 500ms timeout
		name   string
		code   string
		status string
		exit   int
		check  func(t *testing.T, r stepResult)
	}{
		{name: "passes", code: "echo hello from $GATEWAY_ADMIN", status: "ok",
			check: func(t *testing.T, r stepResult) {
				require.Equal(t, "hello from http://127.0.0.1:9/admin\n", r.output)
			}},
		{name: "fails with its exit code", code: "echo about to fail >&2\nexit 7\necho never", status: "failed", exit: 7,
			check: func(t *testing.T, r stepResult) { require.Equal(t, "about to fail\n", r.output) }},
		{name: "pipefail catches a failing producer", code: "false | cat\necho never", status: "failed", exit: 1},
		{name: "reads an unbound variable", code: `curl -fsS "$PROMETHEUS_URL/api/v1/query"`, status: "failed", exit: 1,
			check: func(t *testing.T, r stepResult) { require.Contains(t, r.output, "PROMETHEUS_URL: unbound variable") }},
		{short: true, name: "times out, background children included", code: "sleep 30.0917 &\nsleep 30", status: "timeout", exit: -1,
			check: func(t *testing.T, r stepResult) {
				require.Less(t, r.real, 5*time.Second)
				require.Contains(t, r.output, "timed out after 500ms")
				requireNoProcess(t, "30.0917", "the background sleep must die with the step")
			}},
		{name: "prints megabytes", code: "head -c 5000000 /dev/zero | tr '\\0' x\necho", status: "ok",
			check: func(t *testing.T, r stepResult) {
				require.True(t, r.truncated)
				require.EqualValues(t, 5000001, r.bytes)
				require.Less(t, len(r.output), 64<<10+200)
				require.True(t, strings.HasPrefix(r.output, strings.Repeat("x", 1000)))
				require.Contains(t, r.output, "[drill: output truncated: 4934465 more bytes not kept]")
			}},
		{name: "cannot see host secrets", status: "ok",
			code: `env
echo "aws=${AWS_SECRET_ACCESS_KEY:-absent} kube=${KUBECONFIG:-absent} gh=${GITHUB_TOKEN:-absent}"
echo "passed=${DRILL_TEST_PASSED:-absent} notpassed=${DRILL_TEST_NOT_PASSED:-absent}"`,
			check: func(t *testing.T, r stepResult) {
				require.NotContains(t, r.output, "hunter2")
				require.NotContains(t, r.output, "kept-out")
				require.Contains(t, r.output, "aws=absent kube=absent gh=absent")
				require.Contains(t, r.output, "passed=passed-through notpassed=absent")
			}},
		{name: "gets a fresh HOME and working directory, removed after", status: "ok",
			code: `test "$HOME" != "` + os.Getenv("HOME") + `"
test -z "$(ls -A "$HOME")"
test -z "$(ls -A .)"
touch left-behind
pwd`,
			check: func(t *testing.T, r stepResult) {
				dir := strings.TrimSpace(r.output)
				require.NotEmpty(t, dir)
				_, err := os.Stat(dir)
				require.True(t, os.IsNotExist(err), "the step's directory %s must be removed", dir)
			}},
		{name: "reads no stdin", code: "cat; echo done", status: "ok",
			check: func(t *testing.T, r stepResult) { require.Equal(t, "done\n", r.output) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eng := e
			if tc.short {
				eng = short
			}
			r := eng.runSandboxed(context.Background(), tc.code)
			require.Equal(t, tc.status, r.status, "output: %s", r.output)
			require.Equal(t, tc.exit, r.exitCode)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestSandboxCancel(t *testing.T) {
	e := sandboxEngine(t, Options{StepTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	// The step says on a loopback connection that it runs (it can write
	// nowhere outside its directory); cancel only then, so that what is
	// canceled is the running command, not its start.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil { // blocks until the step connects
			c.Close()
		}
		cancel()
	}()
	start := time.Now()
	host, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	r := e.runSandboxed(ctx, "exec 3<>/dev/tcp/"+host+"/"+port+"\nsleep 30.0918")
	require.Equal(t, "canceled", r.status, r.output)
	require.Less(t, time.Since(start), 10*time.Second)
	requireNoProcess(t, "30.0918", "a canceled step leaves nothing running")
}

// fakeAdmin is the testbed's admin API a runbook talks to.
type fakeAdmin struct {
	mu     sync.Mutex
	budget string
	posts  int
}

func (f *fakeAdmin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/admin/budget" {
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		var v map[string]any
		if json.Unmarshal(b, &v) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		f.budget = string(b)
		f.posts++
	}
	io.WriteString(w, f.budget)
}

// events returns the runbook events, compactly.
func runbookEvents(l *timeline.Log) []string {
	var out []string
	for _, e := range l.Sorted() {
		switch e.Kind {
		case timeline.Ack, timeline.RunbookStart, timeline.StepStart, timeline.RunbookEnd, timeline.Escalate:
			out = append(out, string(e.Kind)+" "+e.Subject)
		case timeline.StepEnd:
			out = append(out, string(e.Kind)+" "+e.Subject+" "+e.Attrs["status"]+" exit="+e.Attrs["exit_code"]+" manual="+e.Attrs["manual"])
		}
	}
	return out
}

func TestRunbookExecutedAfterAck(t *testing.T) {
	admin := &fakeAdmin{budget: `{"usd_per_minute": 50}`}
	srv := httptest.NewServer(admin)
	defer srv.Close()
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	tm := loadTeam(t)
	h := newHarness(t, at, Options{Team: tm, Responders: responders(t, "default: {ack_delay: 2m}\n"),
		Variables: map[string]string{"GATEWAY_ADMIN": srv.URL + "/admin"}, ManualStepCost: 3 * time.Minute, StepTimeout: 10 * time.Second})
	h.fire("LLMSpendSpike", map[string]string{"service": "llm-gateway"}, nil)
	h.clock.Advance(time.Hour)
	var end timeline.Event
	require.Eventually(t, func() bool {
		var ok bool
		end, ok = h.log.Find(timeline.OfKind(timeline.RunbookEnd, ""))
		return ok
	}, 10*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, "ok", end.Attrs["status"], "%v", runbookEvents(h.log))
	require.Equal(t, []string{
		"ack alice",
		"runbook.start llm-cost-spike",
		"step.start diagnosis-1", "step.end diagnosis-1 manual exit= manual=true",
		"step.start read-budget", "step.end read-budget ok exit=0 manual=false",
		"step.start cap-spend", "step.end cap-spend ok exit=0 manual=false",
		"step.start verify-cap", "step.end verify-cap ok exit=0 manual=false",
		"runbook.end llm-cost-spike",
	}, runbookEvents(h.log))
	require.Equal(t, 1, admin.posts)
	require.Equal(t, `{"usd_per_minute": 2}`, admin.budget)
	// The manual step cost 3m of drill time after the ack at 2m.
	read, _ := h.log.Find(timeline.OfKind(timeline.StepStart, "read-budget"))
	require.Equal(t, 5*time.Minute, read.At.Sub(at))
	readEnd, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, "read-budget"))
	require.Equal(t, `{"usd_per_minute": 50}`, readEnd.Attrs["output"])
	manual, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, "diagnosis-1"))
	require.Equal(t, "false", manual.Attrs["automatable"])
}

func TestFailingStepEscalates(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	tm := loadTeam(t)
	h := newHarness(t, at, Options{Team: tm, Responders: responders(t, "default: {ack_delay: 1m}\n"),
		Variables: map[string]string{"GATEWAY_ADMIN": "http://127.0.0.1:9/admin"}})
	// The runbook is linked by annotation (its file name), not by front matter.
	h.fire("ProviderDown", map[string]string{"service": "llm-gateway"}, map[string]string{"runbook_url": "https://runbooks.example/broken-fallback"})
	h.clock.Advance(time.Hour)
	var end timeline.Event
	require.Eventually(t, func() bool {
		var ok bool
		end, ok = h.log.Find(timeline.OfKind(timeline.RunbookEnd, ""))
		return ok
	}, 10*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, []string{
		"ack alice",
		"runbook.start broken-fallback",
		"step.start status", "step.end status ok exit=0 manual=false",
		"step.start switch-fallback", "step.end switch-fallback failed exit=3 manual=false",
		"escalate ProviderDown",
		"runbook.end broken-fallback",
	}, runbookEvents(h.log))
	require.Equal(t, "failed", end.Attrs["status"])
	require.Equal(t, "switch-fallback", end.Attrs["failed_step"])
	esc, _ := h.log.Find(timeline.OfKind(timeline.Escalate, ""))
	require.Equal(t, "runbook step failed", esc.Attrs["reason"])
	require.Equal(t, "2", esc.Attrs["to_rule"])
	failed, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, "switch-fallback"))
	require.Equal(t, "switching\n", failed.Attrs["output"])
}

func TestDryRunRunsNothing(t *testing.T) {
	admin := &fakeAdmin{budget: `{"usd_per_minute": 50}`}
	srv := httptest.NewServer(admin)
	defer srv.Close()
	var dry syncWriter
	dry.w = &bytes.Buffer{}
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Team: loadTeam(t), DryRun: &dry, Responders: responders(t, "default: {ack_delay: 1m}\n"),
		Variables: map[string]string{"GATEWAY_ADMIN": srv.URL + "/admin"}, ManualStepCost: time.Minute})
	h.fire("LLMSpendSpike", map[string]string{"service": "llm-gateway"}, nil)
	h.clock.Advance(time.Hour)
	require.Eventually(t, func() bool { _, ok := h.log.Find(timeline.OfKind(timeline.RunbookEnd, "")); return ok }, 10*time.Second, time.Millisecond)
	h.stop()
	require.Zero(t, admin.posts)
	out := dry.String()
	require.Contains(t, out, "manual step diagnosis-1 (runbooks/llm-cost-spike.md:16), 1m0s of drill time: Look at the spend dashboard")
	require.Contains(t, out, "would run step cap-spend (runbooks/llm-cost-spike.md:25) in bash -euo pipefail, timeout 1m0s, env PATH GATEWAY_ADMIN HOME TMPDIR:\n    curl -fsS -X POST \"$GATEWAY_ADMIN/budget\"")
	end, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, "cap-spend"))
	require.Equal(t, "dry-run", end.Attrs["status"])
}

func TestNoRunbookIsANote(t *testing.T) {
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Team: loadTeam(t), Responders: responders(t, "default: {ack_delay: 1m}\n")})
	h.fire("Unexplained", map[string]string{"service": "llm-gateway"}, nil)
	h.clock.Advance(time.Hour)
	require.Eventually(t, func() bool {
		e, ok := h.log.Find(timeline.OfKind(timeline.Note, "Unexplained"))
		return ok && e.Attrs["reason"] == "no_runbook"
	}, 10*time.Second, time.Millisecond)
	h.stop()
	_, started := h.log.Find(timeline.OfKind(timeline.RunbookStart, ""))
	require.False(t, started)
}

// sleeping reports whether a process whose command line holds arg runs.
func sleeping(t *testing.T, arg string) bool {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err == nil && strings.Contains(string(b), arg) {
			return true
		}
	}
	return false
}

// The Runme attributes drill honours: cwd, interpreter (sh, python3),
// excludeFromRunAll, background (ended with the runbook), promptEnv
// answered from drill.yaml's variables, ignoreErrors and continueOnError.
func TestRunmeAttributesHonoured(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc to see the background step end")
	}
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Team: loadTeam(t), Responders: responders(t, "default: {ack_delay: 1m}\n"),
		Variables: map[string]string{"GATEWAY_ADMIN": "http://127.0.0.1:9/admin", "TARGET": "it's-bound"}, StepTimeout: 20 * time.Second})
	h.fire("RunmeAttributes", map[string]string{"service": "llm-gateway"}, nil)
	h.clock.Advance(time.Hour)
	var end timeline.Event
	require.Eventually(t, func() bool {
		var ok bool
		end, ok = h.log.Find(timeline.OfKind(timeline.RunbookEnd, ""))
		return ok
	}, 30*time.Second, time.Millisecond)
	h.stop()
	require.Equal(t, "ok", end.Attrs["status"], "%v", runbookEvents(h.log))
	require.Equal(t, []string{
		"ack alice",
		"runbook.start runme-attributes",
		"step.start in-cwd", "step.end in-cwd ok exit=0 manual=false",
		"step.start with-sh", "step.end with-sh ok exit=0 manual=false",
		"step.start with-python", "step.end with-python ok exit=0 manual=false",
		"step.start watcher", "step.end watcher background exit=0 manual=false",
		"step.start prompted", "step.end prompted ok exit=0 manual=false",
		"step.start not-prompted", "step.end not-prompted ok exit=0 manual=false",
		"step.start may-fail", "step.end may-fail failed exit=4 manual=false",
		"step.start may-fail-too", "step.end may-fail-too failed exit=5 manual=false",
		"step.start after", "step.end after ok exit=0 manual=false",
		"runbook.end runme-attributes",
	}, runbookEvents(h.log))
	out := func(step string) string {
		e, ok := h.log.Find(timeline.OfKind(timeline.StepEnd, step))
		require.True(t, ok, step)
		return strings.TrimSpace(e.Attrs["output"])
	}
	require.True(t, strings.HasSuffix(out("in-cwd"), "/work/deploy/k8s"), out("in-cwd"))
	require.Equal(t, "not bash", out("with-sh"))
	require.Equal(t, "python 42", out("with-python"))
	require.Equal(t, "target=it's-bound", out("prompted"), "promptEnv answers from drill.yaml's variables")
	require.Equal(t, "target=as-written", out("not-prompted"))
	for _, s := range []string{"may-fail", "may-fail-too"} {
		e, _ := h.log.Find(timeline.OfKind(timeline.StepEnd, s))
		require.Equal(t, "true", e.Attrs["ignored"], s)
	}
	_, escalated := h.log.Find(timeline.OfKind(timeline.Escalate, ""))
	require.False(t, escalated, "ignored failures hand nothing up")

	excluded, ok := h.log.Find(timeline.OfKind(timeline.Note, "by-hand-only"))
	require.True(t, ok)
	require.Equal(t, "exclude_from_run_all", excluded.Attrs["reason"])
	require.Equal(t, "9", end.Attrs["steps"], "an excluded step is not one of the run's steps")

	bg, ok := h.log.Find(timeline.OfKind(timeline.Note, "watcher"))
	require.True(t, ok)
	require.Equal(t, "background_end", bg.Attrs["reason"])
	require.Equal(t, "stopped", bg.Attrs["status"], bg.Message)
	require.Contains(t, bg.Attrs["output"], "watching")
	require.Less(t, bg.Seq, end.Seq, "the background step ends before the runbook's end is recorded")
	require.False(t, sleeping(t, "6001.25"), "the background step's process group ended with the runbook")
}
