//go:build unix

package response

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
func (e *Engine) runStep(ctx context.Context, spec stepSpec) stepResult {
	p, res := e.startStep(ctx, spec, e.opt.StepTimeout)
	if p == nil {
		return res
	}
	return p.wait()
}

// stepProc is a started step: wait ends it and reads how it ended; stop
// ends its whole process group (or PID namespace) first, as the end of a
// runbook ends its background steps.
type stepProc struct {
	e         *Engine
	spec      stepSpec
	start     time.Time
	dir       string
	ctx, sctx context.Context
	cancel    context.CancelFunc
	cmd       *exec.Cmd
	run       *sandbox.Run
	out       *capWriter
	watch     *sandbox.Watcher
	isolation sandbox.Steps
	timeout   time.Duration
	err       error // Start's
	done      chan struct{}
	waitErr   error // cmd.Wait's, once done is closed
	stopped   bool  // stop found it running and ended it
}

// interpreterArgs is the command running script with the step's
// interpreter: bash -euo pipefail, sh -eu or python3.
func (e *Engine) interpreterArgs(name, script string, isolation sandbox.Steps) ([]string, error) {
	switch name {
	case "", "bash":
		if e.bash == "" {
			return nil, errors.New("bash not found on PATH; runbook steps run in bash -euo pipefail")
		}
		return []string{e.bash, "-euo", "pipefail", script}, nil
	case "sh", "python3":
		p, err := e.lookInterpreter(name, isolation)
		if err != nil {
			return nil, err
		}
		if name == "sh" {
			return []string{p, "-eu", script}, nil
		}
		return []string{p, script}, nil
	}
	return nil, fmt.Errorf("unknown interpreter %q", name)
}

// lookInterpreter finds name on PATH. Under bwrap, where the homes are
// hidden and PATH directories inside them are given back without what
// they point into (a pyenv or asdf shim runs nothing there), the first
// one outside every hidden directory is taken, else the first found.
func (e *Engine) lookInterpreter(name string, isolation sandbox.Steps) (string, error) {
	var first string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			continue
		}
		if isolation != sandbox.Bwrap || !insideAny(p, e.hidden) {
			return p, nil
		}
		if first == "" {
			first = p
		}
	}
	if first == "" {
		return "", fmt.Errorf("the step's interpreter %s is not installed here (not found on PATH)", name)
	}
	return first, nil
}

func insideAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if r, err := filepath.Rel(d, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			return true
		}
	}
	return false
}

// startStep starts spec's code with its interpreter in a fresh temporary
// directory (its cwd below the working directory), with its own HOME and
// TMPDIR, the scrubbed environment and no stdin, ended after timeout (0:
// only by ctx or stop). A step that cannot start is returned as its
// result, with a nil stepProc.
func (e *Engine) startStep(ctx context.Context, spec stepSpec, timeout time.Duration) (*stepProc, stepResult) {
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
		return nil, fail(err)
	}
	p := &stepProc{e: e, spec: spec, start: start, dir: dir, ctx: ctx, isolation: isolation, timeout: timeout}
	failed := func(err error) (*stepProc, stepResult) {
		os.RemoveAll(dir)
		return nil, fail(err)
	}
	home, work, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "work"), filepath.Join(dir, "tmp")
	for _, d := range []string{home, work, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return failed(err)
		}
	}
	cwd := work
	if spec.cwd != "" {
		cwd = filepath.Join(work, filepath.FromSlash(spec.cwd))
		if err := os.MkdirAll(cwd, 0o700); err != nil {
			return failed(err)
		}
	}
	script := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(script, []byte(spec.code), 0o600); err != nil {
		return failed(err)
	}
	argv, err := e.interpreterArgs(spec.interpreter, script, isolation)
	if err != nil {
		return failed(err)
	}
	if timeout > 0 {
		p.sctx, p.cancel = context.WithTimeout(ctx, timeout)
	} else {
		p.sctx, p.cancel = context.WithCancel(ctx)
	}
	env := append(append([]string(nil), e.env...), "HOME="+home, "TMPDIR="+tmp)
	if isolation == sandbox.Bwrap {
		p.run, err = sandbox.Step{Dir: dir, Workdir: cwd, Hide: e.hidden, Env: env, Args: argv}.Command(p.sctx)
		if err != nil {
			p.cancel()
			return failed(err)
		}
		p.cmd = p.run.Cmd
	} else {
		p.cmd = exec.CommandContext(p.sctx, argv[0], argv[1:]...)
		p.cmd.Dir = cwd
		p.cmd.Env = env
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	cmd := p.cmd
	p.out = &capWriter{limit: e.opt.OutputLimit}
	cmd.Stdout, cmd.Stderr = p.out, p.out // one writer: exec serialises the writes
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a grandchild holding the pipe cannot stall the drill
	p.watch = sandbox.Watch(spec.label)
	if p.run != nil {
		p.err = p.run.Start()
	} else {
		p.err = cmd.Start()
	}
	p.done = make(chan struct{})
	if p.err == nil {
		p.watch.SetPID(cmd.Process.Pid)
		go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	} else {
		close(p.done)
	}
	return p, stepResult{}
}

// stop ends the step's whole process group (its PID namespace under
// bwrap) and reads how it ended: a step still running is "stopped".
func (p *stepProc) stop() stepResult {
	select {
	case <-p.done: // it ended on its own
	default:
		p.stopped = true
		p.cancel()
	}
	return p.wait()
}

// wait waits for the step to end and reads how it ended; whatever of it
// is left is killed and its directory removed.
func (p *stepProc) wait() stepResult {
	defer os.RemoveAll(p.dir)
	defer p.cancel()
	<-p.done
	cmd, err := p.cmd, p.err
	if err == nil {
		err = p.waitErr
	}
	blocked := p.watch.Stop()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftovers of the group
	}
	out := p.out
	res := stepResult{output: out.String(), bytes: out.total, truncated: out.total > int64(len(out.buf)), real: time.Since(p.start), sandbox: p.isolation, blocked: blocked}
	if len(blocked) > 0 {
		res.output += "\n[drill: " + blockedNote(blocked) + "]"
	}
	fail := func(err error) stepResult {
		return stepResult{status: "error", exitCode: -1, output: "drill: " + err.Error(), real: time.Since(p.start)}
	}
	var exitErr *exec.ExitError
	switch {
	case p.sctx.Err() != nil && p.ctx.Err() != nil:
		res.status, res.exitCode = "canceled", -1
	case p.stopped:
		res.status, res.exitCode = "stopped", -1
		res.output += "\n[drill: background step stopped at the runbook's end; " + killedWhat(p.isolation) + " was killed]"
	case p.sctx.Err() != nil:
		res.status, res.exitCode = "timeout", -1
		res.output += "\n[drill: step timed out after " + p.timeout.String() + "; " + killedWhat(p.isolation) + " was killed]"
	case p.run != nil && cmd.ProcessState != nil && !p.run.Started():
		// bwrap could not set the sandbox up: not the team's failure
		r := fail(errors.New("the sandbox (bwrap) did not start the step"))
		r.sandbox = p.isolation
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
