package response

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/timeline"
)

// requireNoProcess fails unless, soon, no process has marker as an
// argument: the tests give each process they start a unique argument
// (sleep 1001.0001) to find it by.
func requireNoProcess(t *testing.T, marker, msg string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		return // no /proc to look in
	}
	var left []string
	require.Eventually(t, func() bool {
		left = processesWith(marker)
		return len(left) == 0
	}, 5*time.Second, 10*time.Millisecond, "%s: still running: %v", msg, left)
}

// processesWith lists the command lines holding marker as an argument.
func processesWith(marker string) []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		for _, a := range args[1:] {
			if a == marker {
				out = append(out, e.Name()+": "+strings.Join(args, " "))
				break
			}
		}
	}
	return out
}

// needBwrap skips, in one line, where steps cannot run in bwrap.
func needBwrap(t *testing.T) {
	t.Helper()
	if s, why := sandbox.StepIsolation(); s != sandbox.Bwrap {
		t.Skipf("runbook steps run in a %s here, not in bwrap: %s", s, why)
	}
}

// The reproductions of issue 16's "a real sandbox": each now meets the
// sandbox.
func TestStepIsolation(t *testing.T) {
	needBwrap(t)
	home := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(home, ".bash_history"), []byte("export TOKEN=canary-history\n"), 0o600))
	t.Setenv("HOME", home)
	e := sandboxEngine(t, Options{StepTimeout: 20 * time.Second})
	teamFile, err := filepath.Abs(filepath.Join(e.opt.Team.Dir, "drill.yaml"))
	require.NoError(t, err)
	repoFile, err := filepath.Abs("../go.mod") // the repository holding the team
	require.NoError(t, err)
	for _, f := range []string{teamFile, repoFile} {
		_, err := os.Stat(f)
		require.NoError(t, err)
	}
	outside := filepath.Join(t.TempDir(), "written-by-a-step")
	inRepo := filepath.Join(filepath.Dir(repoFile), "written-by-a-step")

	cases := []struct {
		name, code string
		status     string
		check      func(t *testing.T, r stepResult)
	}{
		{name: "setsid does not outlive the step", status: "ok",
			code: "setsid sleep 1001.0161 >/dev/null 2>&1 &\necho started",
			check: func(t *testing.T, r stepResult) {
				require.Equal(t, "started\n", r.output)
				requireNoProcess(t, "1001.0161", "a setsid child must die with the step's PID namespace")
			}},
		{name: "the user's shell history is not there", status: "failed",
			code: "cat " + filepath.Join(home, ".bash_history"),
			check: func(t *testing.T, r stepResult) {
				require.NotContains(t, r.output, "canary-history")
				require.Contains(t, r.output, "No such file or directory")
			}},
		{name: "HOME is the step's own", status: "ok",
			code: `test "$HOME" != "` + home + `"` + "\ntest -z \"$(ls -A \"$HOME\")\"\ntest -z \"$(ls -A " + home + ")\"",
		},
		{name: "the team's files are not there", status: "failed",
			code: "cat " + teamFile,
			check: func(t *testing.T, r stepResult) {
				require.NotContains(t, r.output, "escalation")
				require.Contains(t, r.output, "No such file or directory")
			}},
		{name: "nor the repository holding the team", status: "failed",
			code: "cat " + repoFile,
			check: func(t *testing.T, r stepResult) {
				require.NotContains(t, r.output, "module github.com/drillkit/drill")
			}},
		{name: "cannot write into the team's repository", status: "failed",
			code: "echo x > " + inRepo,
			check: func(t *testing.T, r stepResult) {
				// Read-only where the repository sits in the system's
				// view; not there at all where it sits under a hidden
				// folder (a clone in /tmp, under a home).
				require.Regexp(t, "Read-only file system|No such file or directory", r.output)
				_, err := os.Stat(inRepo)
				require.True(t, os.IsNotExist(err), "a step wrote %s", inRepo)
			}},
		{name: "cannot write into the system", status: "failed",
			code: "touch /usr/drill-step-canary",
			check: func(t *testing.T, r stepResult) {
				require.Contains(t, r.output, "Read-only file system")
				_, err := os.Stat("/usr/drill-step-canary")
				require.True(t, os.IsNotExist(err))
			}},
		{name: "a write to /tmp stays in the step's throwaway /tmp", status: "ok",
			code: "mkdir -p " + filepath.Dir(outside) + "\necho x > " + outside + "\ncat " + outside,
			check: func(t *testing.T, r stepResult) {
				require.Equal(t, "x\n", r.output)
				_, err := os.Stat(outside)
				require.True(t, os.IsNotExist(err), "a step wrote %s on the host", outside)
			}},
		{name: "its directory is writable, and the only thing in /tmp", status: "ok",
			code:  "touch here\nls -A /tmp | wc -l",
			check: func(t *testing.T, r stepResult) { require.Equal(t, "1\n", r.output) }},
		{name: "its own PID namespace", status: "ok",
			code: "ls /proc | grep -c '^[0-9]'",
			check: func(t *testing.T, r stepResult) {
				n, err := strconv.Atoi(strings.TrimSpace(r.output))
				require.NoError(t, err)
				require.Less(t, n, 8, "only the step's few processes are visible")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.runSandboxed(context.Background(), tc.code)
			require.Equal(t, tc.status, r.status, "output: %s", r.output)
			require.Equal(t, sandbox.Bwrap, r.sandbox)
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// A sandbox that cannot start is a harness error, not the team's failed
// step: here, a step directory bwrap cannot bind.
func TestSandboxSetupFailureIsAnError(t *testing.T) {
	needBwrap(t)
	e := sandboxEngine(t, Options{StepTimeout: 20 * time.Second})
	e.hidden = append(e.hidden, "/nonexistent-drill-dir")
	r := e.runSandboxed(context.Background(), "echo never")
	require.Equal(t, "error", r.status, r.output)
	require.Contains(t, r.output, "bwrap: ")
	require.Contains(t, r.output, "drill: the sandbox (bwrap) did not start the step")
	require.NotContains(t, r.output, "never")
}

// With namespaces off (a host that refuses them), steps run as before, in
// a process group, and say so.
func TestStepsWithoutNamespaces(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("runbook steps need unix process groups")
	}
	t.Setenv(sandbox.EnvVar, "off")
	s, why := sandbox.StepIsolation()
	require.Equal(t, sandbox.ProcessGroup, s)
	require.Equal(t, "DRILL_SANDBOX=off", why)
	e := sandboxEngine(t, Options{StepTimeout: 20 * time.Second})
	r := e.runSandboxed(context.Background(), "echo hi; sleep 30.0919 >/dev/null 2>&1 &")
	require.Equal(t, "ok", r.status, r.output)
	require.Equal(t, sandbox.ProcessGroup, r.sandbox)
	require.Equal(t, "hi\n", r.output)
	requireNoProcess(t, "30.0919", "the process group dies after the step")

	t.Setenv(sandbox.EnvVar, "sideways")
	s, why = sandbox.StepIsolation()
	require.Equal(t, sandbox.ProcessGroup, s)
	require.Equal(t, `DRILL_SANDBOX="sideways": want on or off`, why)
}

// A step the sandbox could not start is the harness's failure: the
// drill is an error, and nobody escalates over it.
func TestStepNotRunIsAHarnessError(t *testing.T) {
	needBwrap(t)
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	h := newHarness(t, at, Options{Team: loadTeam(t), Responders: responders(t, "default: {ack_delay: 1m}\n"),
		Variables: map[string]string{"GATEWAY_ADMIN": "http://127.0.0.1:9/admin"}, StepTimeout: 10 * time.Second})
	h.engine.hidden = append(h.engine.hidden, "/nonexistent-drill-dir") // bwrap cannot mount over it
	h.fire("ProviderDown", map[string]string{"service": "llm-gateway"}, map[string]string{"runbook_url": "https://runbooks.example/broken-fallback"})
	h.clock.Advance(time.Hour)
	var err error
	select {
	case err = <-h.engine.Err():
	case <-time.After(10 * time.Second):
		t.Fatal("no harness error")
	}
	require.ErrorContains(t, err, "response: runbook broken-fallback step status (runbooks/broken-fallback.md:")
	require.ErrorContains(t, err, "could not run: drill: the sandbox (bwrap) did not start the step")
	require.Eventually(t, func() bool { _, ok := h.log.Find(timeline.OfKind(timeline.RunbookEnd, "")); return ok }, 10*time.Second, time.Millisecond)
	h.stop()
	end, _ := h.log.Find(timeline.OfKind(timeline.RunbookEnd, ""))
	require.Equal(t, "error", end.Attrs["status"])
	_, escalated := h.log.Find(timeline.OfKind(timeline.Escalate, ""))
	require.False(t, escalated, "nobody escalates over drill's own failure")
	_, ok := h.log.Find(timeline.OfKind(timeline.HarnessError, "status"))
	require.True(t, ok)
}
