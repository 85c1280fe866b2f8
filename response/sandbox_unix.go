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
)

// runSandboxed runs code in bash -euo pipefail in a fresh temporary
// directory with its own HOME and TMPDIR, the scrubbed environment, no
// stdin, and its own process group, which is killed whole on timeout, on
// cancel and after the step (so a background job cannot outlive it).
func (e *Engine) runSandboxed(ctx context.Context, code string) stepResult {
	start := time.Now()
	fail := func(err error) stepResult {
		return stepResult{status: "error", exitCode: -1, output: "drill: " + err.Error(), real: time.Since(start)}
	}
	dir, err := os.MkdirTemp("", "drill-step-")
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
	cmd := exec.CommandContext(sctx, e.bash, "-euo", "pipefail", script)
	cmd.Dir = work
	cmd.Env = append(append([]string(nil), e.env...), "HOME="+home, "TMPDIR="+tmp)
	out := &capWriter{limit: e.opt.OutputLimit}
	cmd.Stdout, cmd.Stderr = out, out // one writer: exec serialises the writes
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a grandchild holding the pipe cannot stall the drill
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftovers of the group
	}
	res := stepResult{output: out.String(), bytes: out.total, truncated: out.total > int64(len(out.buf)), real: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case sctx.Err() != nil && ctx.Err() != nil:
		res.status, res.exitCode = "canceled", -1
	case sctx.Err() != nil:
		res.status, res.exitCode = "timeout", -1
		res.output += "\n[drill: step timed out after " + e.opt.StepTimeout.String() + "; its process group was killed]"
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
