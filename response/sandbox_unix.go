//go:build unix

package response

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/internal/tempdir"
)

// runSandboxed runs code in bash -euo pipefail in a fresh temporary
// directory with its own HOME and TMPDIR, the scrubbed environment and no
// stdin. Where bwrap works (sandbox.StepIsolation), the step runs in its
// namespaces: its own PID namespace (everything it starts dies with it),
// a read-only view of the system with the homes, the team's repository and
// the temporary directories hidden, its directory the only writable
// place, and drill's network. Otherwise it runs in its own process group.
// Either way the whole of it is killed on timeout, on cancel and after
// the step, so that a background job cannot outlive it.
//
// Attempts to reach an address outside the drill world (refused by its
// network, see sandbox.EnterNetNS) are returned under the step's label.
func (e *Engine) runStep(ctx context.Context, code, label string) stepResult {
	start := time.Now()
	fail := func(err error) stepResult {
		return stepResult{status: "error", exitCode: -1, output: "drill: " + err.Error(), real: time.Since(start)}
	}
	isolation, _ := sandbox.StepIsolation()
	base := ""
	if isolation == sandbox.Bwrap {
		base = sandbox.StepTempDir()
	}
	dir, err := tempdir.Make(base, "step")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	home, work, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "work"), filepath.Join(dir, "tmp")
	for _, d := range []string{home, work, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fail(err)
		}
	}
	script := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(script, []byte(code), 0o600); err != nil {
		return fail(err)
	}
	sctx, cancel := context.WithTimeout(ctx, e.opt.StepTimeout)
	defer cancel()
	env := append(append([]string(nil), e.env...), "HOME="+home, "TMPDIR="+tmp)
	argv := []string{e.bash, "-euo", "pipefail", script}
	var cmd *exec.Cmd
	var run *sandbox.Run
	if isolation == sandbox.Bwrap {
		run, err = sandbox.Step{Dir: dir, Workdir: work, Hide: e.hidden, Env: env, Args: argv}.Command(sctx)
		if err != nil {
			return fail(err)
		}
		cmd = run.Cmd
	} else {
		cmd = exec.CommandContext(sctx, argv[0], argv[1:]...)
		cmd.Dir = work
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	out := &capWriter{limit: e.opt.OutputLimit}
	cmd.Stdout, cmd.Stderr = out, out // one writer: exec serialises the writes
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a grandchild holding the pipe cannot stall the drill
	watch := sandbox.Watch(label)
	if run != nil {
		err = run.Start()
	} else {
		err = cmd.Start()
	}
	if err == nil {
		watch.SetPID(cmd.Process.Pid)
		err = cmd.Wait()
	}
	blocked := watch.Stop()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftovers of the group
	}
	res := stepResult{output: out.String(), bytes: out.total, truncated: out.total > int64(len(out.buf)), real: time.Since(start), sandbox: isolation, blocked: blocked}
	if len(blocked) > 0 {
		res.output += "\n[drill: " + blockedNote(blocked) + "]"
	}
	var exitErr *exec.ExitError
	switch {
	case sctx.Err() != nil && ctx.Err() != nil:
		res.status, res.exitCode = "canceled", -1
	case sctx.Err() != nil:
		res.status, res.exitCode = "timeout", -1
		res.output += "\n[drill: step timed out after " + e.opt.StepTimeout.String() + "; " + killedWhat(isolation) + " was killed]"
	case run != nil && cmd.ProcessState != nil && !run.Started():
		// bwrap could not set the sandbox up: not the team's failure
		r := fail(errors.New("the sandbox (bwrap) did not start the step"))
		r.sandbox = isolation
		r.output = res.output + "\n" + r.output
		return r
	case err == nil:
		res.status = "ok"
	case errors.As(err, &exitErr):
		res.status, res.exitCode = "failed", exitErr.ExitCode()
	default:
		r := fail(err)
		r.output = res.output + "\n" + r.output
		return r
	}
	return res
}

func killedWhat(s sandbox.Steps) string {
	if s == sandbox.Bwrap {
		return "its PID namespace"
	}
	return "its process group"
}
