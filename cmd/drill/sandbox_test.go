package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/pgtest"
	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

var (
	drillOnce sync.Once
	drillBin  string
	drillErr  error
)

// TestMain removes the drill binary the sandbox tests built, and stops
// the Postgres server of the history tests if they started one.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if drillBin != "" {
		os.RemoveAll(filepath.Dir(drillBin))
	}
	os.Exit(code)
}

// drillBinary builds drill once: the netns re-exec needs drill as its own
// program, not a test binary.
func drillBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the drill binary and runs it; runs without -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the drill world's namespaces need Linux")
	}
	drillOnce.Do(func() {
		dir, err := os.MkdirTemp("", "drill-cmd-test-bin-")
		if err != nil {
			drillErr = err
			return
		}
		drillBin = filepath.Join(dir, "drill")
		out, err := exec.Command("go", "build", "-o", drillBin, ".").CombinedOutput()
		if err != nil {
			drillErr = fmt.Errorf("go build ./cmd/drill: %v\n%s", err, out)
		}
	})
	require.NoError(t, drillErr)
	return drillBin
}

// probeTeam is the demo team plus an alert that fires at once and a
// runbook whose one step is code: a drill of it runs the step within a
// few seconds of real time.
func probeTeam(t *testing.T, code string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", "acme-ml"))))
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "features")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "features"), 0o755))
	write := func(name, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	rules, err := os.ReadFile(filepath.Join(dir, "alerts", "llm-gateway.rules.yaml"))
	require.NoError(t, err)
	write("alerts/llm-gateway.rules.yaml", string(rules)+`
  - name: sandbox-probe
    interval: 30s
    rules:
      - alert: SandboxProbe
        expr: vector(1) > 0
        labels: {severity: critical, team: ml-platform, service: llm-gateway}
        annotations: {summary: fires at once, runbook_url: https://runbooks.acme.dev/sandbox-probe}
`)
	write("runbooks/sandbox-probe.md", `---
id: sandbox-probe
owner: ml-platform
alerts: [SandboxProbe]
escalation: ml-platform
last_reviewed: 2026-11-26
review_every: 180d
services: [llm-gateway]
---
# Sandbox probe

## Diagnosis

1. Probe.

   `+"```sh {\"name\":\"probe\"}\n"+code+"\n   ```"+`

## Mitigation

1. Nothing to do.

## Verification

1. Nothing to check.
`)
	write("features/probe.feature", `@sandbox-probe
Feature: Sandbox probe
  Scenario: A runbook step probes its sandbox
    Given a control window of 1m
    And the team's environment is running
    Then following the runbook brings "vector(1) > 0" true within 10m
`)
	cfg, err := os.ReadFile(filepath.Join(dir, "drill.yaml"))
	require.NoError(t, err)
	write("drill.yaml", strings.Replace(string(cfg), "ack_delay: {dist: lognormal, median: 1m, p90: 3m}", "ack_delay: {dist: constant, value: 1s}", 1))
	return dir
}

// publicTempDir is a temporary directory anyone may enter, as /tmp is:
// where drill runs as root, its steps run as nobody, in directories made
// there.
func publicTempDir(t *testing.T) string {
	d := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(d), 0o755))
	require.NoError(t, os.Chmod(d, 0o755))
	return d
}

// drillCmd is drill run of the probe team, its temporary directories in
// tmp.
func drillCmd(t *testing.T, team, tmp string, extra ...string) *exec.Cmd {
	args := append([]string{"run", "--team", team, "--no-builtin", "--no-history", "--quiet", "--speed", "60"}, extra...)
	cmd := exec.Command(drillBinary(t), append(args, "sandbox-probe")...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	return cmd
}

func readCard(t *testing.T, dir string) *scoring.Scorecard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "scorecard.json"))
	require.NoError(t, err)
	var c scoring.Scorecard
	require.NoError(t, json.Unmarshal(b, &c))
	return &c
}

func stepEnd(t *testing.T, c *scoring.Scorecard, name string) timeline.Event {
	t.Helper()
	for _, sc := range c.Scenarios {
		for _, ev := range sc.Events {
			if ev.Kind == timeline.StepEnd && ev.Subject == name {
				return ev
			}
		}
	}
	require.FailNow(t, "no step.end of "+name)
	return timeline.Event{}
}

// A runbook that names a host by its literal address does not reach it:
// the step fails at once, and the scorecard names the address and the
// step that tried. --require-isolation runs where the namespaces can be
// had, and says nothing.
func TestRunbookStepCannotLeaveTheDrillWorld(t *testing.T) {
	t.Parallel() // each in its own directories; the worlds mostly wait
	team := probeTeam(t, "   exec 3<>/dev/tcp/192.0.2.1/80")
	out := t.TempDir()
	cmd := drillCmd(t, team, publicTempDir(t), "--out", out, "--require-isolation")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	require.True(t, asExit(err, &ee), "the drill fails: its runbook did (%v)", err)
	if ee.ExitCode() == int(exitcode.Harness) && strings.Contains(stderr.String(), "--require-isolation") {
		t.Skipf("no full isolation here: %s", strings.TrimSpace(stderr.String()))
	}
	require.Equal(t, int(exitcode.Failed), ee.ExitCode(), stderr.String())
	require.Empty(t, stderr.String(), "a fully isolated run says nothing of its sandbox")
	card := readCard(t, out)
	require.Equal(t, "bwrap+netns", card.Sandbox)
	end := stepEnd(t, card, "probe")
	require.Equal(t, "failed", end.Attrs["status"])
	require.Equal(t, "bwrap", end.Attrs["sandbox"])
	require.Equal(t, "tcp 192.0.2.1:80", end.Attrs["blocked"])
	require.Contains(t, end.Attrs["output"], "No route to host")
	require.Contains(t, end.Message, "refused: tcp 192.0.2.1:80 (step probe (runbooks/sandbox-probe.md:16))")
	d, err := time.ParseDuration(end.Attrs["real_duration"])
	require.NoError(t, err)
	require.Less(t, d, 5*time.Second, "the attempt fails at once, not after a connect timeout")
	require.Len(t, card.BlockedConnections, 1, "%+v", card.BlockedConnections)
	b := card.BlockedConnections[0]
	require.Equal(t, "tcp", b.Proto)
	require.Equal(t, "192.0.2.1:80", b.Address)
	require.Equal(t, []string{"step probe (runbooks/sandbox-probe.md:16)"}, b.By)
}

// processesWith lists the processes whose command line holds s.
func processesWith(s string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(s)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

// SIGKILL of drill mid-step leaves nothing running (the step, a setsid
// child of it, drill's re-executed world), and the next run sweeps the
// directories it left.
func TestSIGKILLMidStepLeavesNothing(t *testing.T) {
	t.Parallel() // each in its own directories; the worlds mostly wait
	marker := fmt.Sprintf("1001.%d", os.Getpid()%100000)
	team := probeTeam(t, "   setsid sleep "+marker+" >/dev/null 2>&1 &\n   touch started\n   sleep "+marker)
	tmp := publicTempDir(t)
	cmd := drillCmd(t, team, tmp)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var stepDir string
	require.Eventually(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(tmp, "drill-step-*", "work", "started"))
		if len(m) == 1 {
			stepDir = filepath.Dir(filepath.Dir(m[0]))
		}
		return stepDir != ""
	}, time.Minute, 20*time.Millisecond, "the step never started: %s", &stderr)
	if strings.Contains(stderr.String(), "not bwrap+netns") {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		killMarked(t, marker) // a process group does not hold a setsid child
		t.Skipf("isolation here is less than bwrap+netns: %s", strings.TrimSpace(stderr.String()))
	}
	require.Eventually(t, func() bool { return len(processesWith(marker)) == 2 }, 10*time.Second, 10*time.Millisecond,
		"the step's sleep and its setsid child run: %v", processesWith(marker))
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	var left []string
	require.Eventually(t, func() bool {
		left = append(processesWith(marker), processesWith(team)...)
		return len(left) == 0
	}, 10*time.Second, 20*time.Millisecond, "left running: %v", left)
	_, err := os.Stat(stepDir)
	require.NoError(t, err, "SIGKILL leaves the step's directory; the next run sweeps it")
	before, _ := filepath.Glob(filepath.Join(tmp, "drill-*"))
	require.GreaterOrEqual(t, len(before), 3, "the step's, the testbed's and the alerting engine's: %v", before)

	// the next run, of a step that ends at once, sweeps them
	require.NoError(t, os.WriteFile(filepath.Join(team, "runbooks", "sandbox-probe.md"),
		bytes.Replace(mustRead(t, filepath.Join(team, "runbooks", "sandbox-probe.md")), []byte("sleep "+marker), []byte("true"), -1), 0o644))
	_ = drillCmd(t, team, tmp).Run()
	after, _ := filepath.Glob(filepath.Join(tmp, "drill-*"))
	require.Empty(t, after, "every directory of the killed run, and of this one, is gone")
	require.Empty(t, processesWith(marker))
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// Where namespaces are off (DRILL_SANDBOX=off, as on a host that refuses
// them), drill says so once, runs as before, and records process-group;
// --require-isolation refuses to run so, before any world starts.
func TestWithoutNamespaces(t *testing.T) {
	t.Setenv(sandbox.EnvVar, "off")
	team := probeTeam(t, "   echo probed")
	out := t.TempDir()
	code, _, errs := runCLI(t, "run", "--team", team, "--no-builtin", "--no-history", "--quiet", "--speed", "60", "--out", out, "sandbox-probe")
	require.Contains(t, []exitcode.Code{exitcode.OK, exitcode.Failed}, code, errs)
	require.Equal(t, 1, strings.Count(errs, "drill: sandbox process-group, not bwrap+netns: DRILL_SANDBOX=off (see the README's threat model)\n"), errs)
	card := readCard(t, out)
	require.Equal(t, "process-group", card.Sandbox)
	end := stepEnd(t, card, "probe")
	require.Equal(t, "ok", end.Attrs["status"])
	require.Equal(t, "process-group", end.Attrs["sandbox"])
	require.Equal(t, "probed\n", end.Attrs["output"])

	start := time.Now()
	code, stdout, errs := runCLI(t, "run", "--team", team, "--no-builtin", "--no-history", "--require-isolation", "sandbox-probe")
	require.Equal(t, exitcode.Harness, code)
	require.Equal(t, "drill run: --require-isolation: sandbox process-group, not bwrap+netns: DRILL_SANDBOX=off\n", errs)
	require.Empty(t, stdout, "nothing ran")
	require.Less(t, time.Since(start), 10*time.Second)

	demo := t.TempDir()
	require.NoError(t, os.CopyFS(demo, os.DirFS(filepath.Join("..", "..", "examples", "acme-ml"))))
	code, stdout, errs = runCLI(t, "ci", "--team", demo, "--no-history", "--require-isolation")
	require.Equal(t, exitcode.Harness, code, stdout)
	require.Contains(t, stdout, "drill ci: lint clean", "drill ci lints first, and refuses before the drills")
	require.Contains(t, errs, "drill ci: --require-isolation: sandbox process-group, not bwrap+netns: DRILL_SANDBOX=off\n")

	t.Setenv(sandbox.EnvVar, "maybe")
	code, _, errs = runCLI(t, "run", "--team", team, "--no-builtin", "--no-history", "sandbox-probe")
	require.Equal(t, exitcode.Usage, code)
	require.Equal(t, "drill run: DRILL_SANDBOX=\"maybe\": want on or off\n", errs)
}

// In-process (as a library, or in these tests) drill cannot re-execute
// itself: --require-isolation says so.
func TestRequireIsolationInProcess(t *testing.T) {
	team := probeTeam(t, "   echo probed")
	code, _, errs := runCLI(t, "run", "--team", team, "--no-builtin", "--no-history", "--require-isolation", "sandbox-probe")
	require.Equal(t, exitcode.Harness, code)
	require.Contains(t, errs, "drill run: --require-isolation: sandbox ")
	require.Contains(t, errs, "drill runs in-process, not as its own program")
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*ee = e
	return ok
}

// killMarked kills, by PID, the processes this test started with marker
// as an argument.
func killMarked(t *testing.T, marker string) {
	for _, p := range processesWith(marker) {
		pid, err := strconv.Atoi(p[:strings.IndexByte(p, ':')])
		if err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Ctrl-C (SIGINT) or SIGTERM to drill reaches the drill it re-executed in
// the world's network namespace: the world is torn down, drill exits 130
// as without the namespace, and nothing is left running or on disk.
func TestSignalReachesTheWorld(t *testing.T) {
	t.Parallel() // each in its own directories; the worlds mostly wait
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			marker := fmt.Sprintf("1003.%d%d", os.Getpid()%10000, int(sig))
			team := probeTeam(t, "   touch started\n   sleep "+marker)
			tmp := publicTempDir(t)
			cmd := drillCmd(t, team, tmp)
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			require.Eventually(t, func() bool {
				m, _ := filepath.Glob(filepath.Join(tmp, "drill-step-*", "work", "started"))
				return len(m) == 1
			}, time.Minute, 20*time.Millisecond, "the step never started: %s", &stderr)
			if strings.Contains(stderr.String(), "not bwrap+netns") {
				t.Skipf("isolation here is less than bwrap+netns: %s", strings.TrimSpace(stderr.String()))
			}
			require.NoError(t, cmd.Process.Signal(sig)) // to drill alone, not its process group
			err := cmd.Wait()
			var ee *exec.ExitError
			require.True(t, asExit(err, &ee), "%v", err)
			require.Equal(t, int(exitcode.Interrupted), ee.ExitCode(), stderr.String())
			require.Contains(t, stderr.String(), "interrupted")
			require.Empty(t, processesWith(marker))
			require.Empty(t, processesWith(team))
			left, _ := filepath.Glob(filepath.Join(tmp, "drill-*"))
			require.Empty(t, left, "a drill torn down removes its directories")
		})
	}
}

// --export sends the scorecard from the drill that started the world's
// network namespace: the incident service is outside the drill world, and
// the export is recorded in the history as usual.
func TestExportLeavesFromTheHost(t *testing.T) {
	t.Parallel() // each in its own directories; the worlds mostly wait
	team := probeTeam(t, "   echo probed")
	s := gitlabStub(t)
	work := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(work, ".drill"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(work, ".drill", "exporters.yaml"), []byte(`exporters:
  gitlab:
    preset: gitlab
    endpoint: `+s.URL()+`
    token_env: GITLAB_TOKEN
    variables:
      input.incidentId: gid://gitlab/Issue/7
`), 0o644))
	args := []string{"run", "--team", team, "--no-builtin", "--quiet", "--speed", "60", "--export", "gitlab", "sandbox-probe"}
	cmd := exec.Command(drillBinary(t), args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TMPDIR="+publicTempDir(t), "GITLAB_TOKEN="+testToken)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // the probe's drill fails (a false alarm); the export is what counts
	if strings.Contains(stderr.String(), "not bwrap+netns") {
		t.Skipf("isolation here is less than bwrap+netns: %s", strings.TrimSpace(stderr.String()))
	}
	require.Regexp(t, `exported run \S+ to gitlab \(1 attempt\(s\), HTTP 200\)`, stdout.String(), stderr.String())
	require.Len(t, s.Requests(), 1)
	store, err := history.Open(filepath.Join(work, ".drill", "history.db"))
	require.NoError(t, err)
	defer store.Close()
	run, err := store.Latest(context.Background())
	require.NoError(t, err)
	require.Equal(t, "bwrap+netns", run.Card.Sandbox)
	ex, err := store.Exports(context.Background(), run.ID)
	require.NoError(t, err)
	require.Len(t, ex, 1)
	require.Equal(t, history.ExportOK, ex[0].Status)
}

// A Postgres history is outside the drill world too: the drill that
// started the world's network namespace saves the run the child hands
// over, and --shard-plan's durations reach the child the same way.
func TestPostgresHistoryFromTheHost(t *testing.T) {
	t.Parallel()
	pg := pgtest.DSN(t)
	team := probeTeam(t, "   echo probed")
	work := t.TempDir()
	args := []string{"run", "--team", team, "--no-builtin", "--quiet", "--speed", "60", "--history", pg, "sandbox-probe"}
	cmd := exec.Command(drillBinary(t), args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "TMPDIR="+publicTempDir(t))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	_ = cmd.Run() // the probe's drill fails (a false alarm); the history is what counts
	if strings.Contains(stderr.String(), "not bwrap+netns") {
		t.Skipf("isolation here is less than bwrap+netns: %s", strings.TrimSpace(stderr.String()))
	}
	require.NotContains(t, stderr.String(), "not saved in the history", stderr.String())
	require.Regexp(t, `run \S+ saved in postgres://drill@127\.0\.0\.1:\d+/`, stdout.String(), stderr.String())
	store, err := history.Open(pg)
	require.NoError(t, err)
	defer store.Close()
	run, err := store.Latest(context.Background())
	require.NoError(t, err)
	require.Equal(t, "bwrap+netns", run.Card.Sandbox, "the run was in the namespace; its record was saved from the host")
}

// What keeps the drill world in the host's network: a container service,
// toxiproxy outside drill, a live game day.
func TestNetNSBlockers(t *testing.T) {
	flags := func(args ...string) *flag.FlagSet {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		runFlags(fs)
		require.NoError(t, fs.Parse(args))
		return fs
	}
	load := func(edit [2]string) *team.Team {
		dir := t.TempDir()
		require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", "acme-ml"))))
		p := filepath.Join(dir, "drill.yaml")
		b := mustRead(t, p)
		if edit[0] != "" {
			require.Contains(t, string(b), edit[0])
			b = bytes.Replace(b, []byte(edit[0]), []byte(edit[1]), 1)
		}
		require.NoError(t, os.WriteFile(p, b, 0o644))
		tm, err := team.Load(dir)
		require.NoError(t, err)
		return tm
	}
	require.Empty(t, netnsBlockers(flags(), load([2]string{})), "the demo team runs whole in the namespace")
	require.Equal(t, []string{"--live: people reach the drill's endpoints from the host (drill ack)"}, netnsBlockers(flags("--live"), load([2]string{})))
	require.Equal(t, []string{"--toxiproxy: the proxies are outside the drill world"}, netnsBlockers(flags("--toxiproxy", "http://127.0.0.1:8474"), load([2]string{})))
	image := load([2]string{"service:\n  builtin: gateway\n  gateway:\n    primary: primary\n    secondary: secondary\n    search: search\n    primary_model: gpt-4o\n    secondary_model: gpt-4o-mini\n",
		"service:\n  image: acme/gateway:1\n  port: 8080\n"})
	require.Equal(t, []string{"the service is a container (image:), which reaches the drill world through the host's network, in its own isolation"}, netnsBlockers(flags(), image))
	external := load([2]string{"traffic:", "toxiproxy: {url: http://127.0.0.1:8474}\ntraffic:"})
	require.Equal(t, []string{"toxiproxy is external (toxiproxy: url), outside the drill world"}, netnsBlockers(flags(), external))
}
