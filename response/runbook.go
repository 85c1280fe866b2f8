package response

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// respond is what the acknowledging responder does: open the alert's
// runbook and follow Diagnosis, Mitigation and Verification in order. In
// live mode the humans do it themselves.
func (in *incident) respond(ctx context.Context, user string, pol *team.Policy) {
	if in.e.opt.Live {
		return
	}
	t := in.e.opt.Team
	if t == nil {
		return
	}
	rb, ok := t.RunbookForAlert(&team.AlertRule{Alert: in.alert, Annotations: in.annotations})
	if !ok {
		in.emit(timeline.Note, in.alert, fmt.Sprintf("alert %s links no runbook (annotation %s or front matter alerts:): %s has nothing to follow", in.alert, t.Config.Lint.RunbookAnnotation, user),
			in.attrs("user", user, "reason", "no_runbook"))
		return
	}
	in.runRunbook(ctx, user, rb, pol)
}

// stepResult is how one step ended.
type stepResult struct {
	status    string // ok, failed, timeout, canceled, error, manual, dry-run
	exitCode  int
	output    string
	bytes     int64 // output bytes the step wrote, captured or not
	truncated bool
	real      time.Duration
	sandbox   sandbox.Steps // how the step was isolated
	// blocked are the attempts to reach an address outside the drill
	// world the step made (or that were made while it ran).
	blocked []sandbox.Blocked
}

// blockedNote says what the drill world's network refused during a step.
func blockedNote(bs []sandbox.Blocked) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.String()
	}
	return "the drill world's network reaches only loopback; refused: " + strings.Join(parts, ", ") +
		" (bind every endpoint a runbook uses through drill.yaml's variables:)"
}

// stepSpec is how one executable step runs: its code (promptEnv answered)
// and the Runme attributes the executor honours.
type stepSpec struct {
	code, label string
	interpreter string // bash (""), sh or python3
	cwd         string // below the step's working directory; "" is it
}

// backgroundStep is a step started with Runme's background attribute,
// ended when its runbook ends.
type backgroundStep struct {
	name, line string
	proc       *stepProc
}

func (in *incident) runRunbook(ctx context.Context, user string, rb *team.Runbook, pol *team.Policy) {
	e := in.e
	names := e.opt.Team.Config.Lint.Sections
	in.emit(timeline.RunbookStart, rb.ID, fmt.Sprintf("%s opens %s (%s)", user, rb.ID, rb.File),
		in.attrs("user", user, "runbook", rb.ID, "file", rb.File))
	steps, manual := 0, 0
	var background []backgroundStep
	end := func(status string, kv ...string) {
		in.stopBackground(rb, background)
		in.emit(timeline.RunbookEnd, rb.ID, fmt.Sprintf("runbook %s %s", rb.ID, status), in.attrs(append([]string{
			"user", user, "runbook", rb.ID, "status", status,
			"steps", strconv.Itoa(steps), "manual_steps", strconv.Itoa(manual)}, kv...)...))
	}
	// The phases of time to recover the sections' steps fill.
	phases := []string{scoring.PhaseDiagnose, scoring.PhaseRemediate, scoring.PhaseVerify}
	for si, name := range []string{names.Diagnosis, names.Mitigation, names.Verification} {
		sec, ok := rb.Section(name)
		if !ok {
			in.emit(timeline.Note, rb.ID, fmt.Sprintf("runbook %s has no %s section", rb.ID, name), in.attrs("runbook", rb.ID, "section", name, "reason", "missing_section"))
			continue
		}
		for _, st := range sec.Steps {
			stepName := st.Name
			if stepName == "" {
				stepName = fmt.Sprintf("%s-%d", strings.ToLower(sec.Name), st.Index)
			}
			if st.Run.ExcludeFromRunAll {
				in.emit(timeline.Note, stepName, fmt.Sprintf("runbook %s step %s (%s:%d) is excluded from run-all (excludeFromRunAll): not run", rb.ID, stepName, st.File, st.Line),
					in.attrs("runbook", rb.ID, "step", stepName, "line", fmt.Sprintf("%s:%d", st.File, st.Line), "reason", "exclude_from_run_all"))
				continue
			}
			steps++
			base := []string{"user", user, "runbook", rb.ID, "section", sec.Name, "phase", phases[si], "index", strconv.Itoa(st.Index),
				"line", fmt.Sprintf("%s:%d", st.File, st.Line), "manual", strconv.FormatBool(st.Manual)}
			in.emit(timeline.StepStart, stepName, firstLine(st.Text, st.Code), in.attrs(base...))
			var res stepResult
			if st.Manual {
				manual++
				if e.opt.DryRun != nil {
					e.dryf("manual step %s (%s:%d), %s of drill time: %s\n", stepName, st.File, st.Line, e.opt.ManualStepCost, st.Text)
				}
				if w, _ := in.wait(ctx, in.now.Add(e.opt.ManualStepCost), false); w == wakeDone {
					res = stepResult{status: "canceled", exitCode: -1}
				} else {
					res = stepResult{status: "manual"}
				}
			} else if st.Run.Background && e.opt.DryRun == nil {
				var p *stepProc
				p, res = e.startStep(ctx, in.spec(stepName, st), 0)
				if p != nil {
					background = append(background, backgroundStep{name: stepName, line: fmt.Sprintf("%s:%d", st.File, st.Line), proc: p})
					res = stepResult{status: "background", sandbox: p.isolation}
				}
			} else {
				res = in.execute(ctx, stepName, st)
			}
			attrs := append(base, "status", res.status, "automatable", strconv.FormatBool(!st.Manual))
			if !st.Manual {
				attrs = append(attrs, "exit_code", strconv.Itoa(res.exitCode), "output", res.output,
					"output_bytes", strconv.FormatInt(res.bytes, 10), "truncated", strconv.FormatBool(res.truncated),
					"real_duration", res.real.Round(time.Millisecond).String())
				if res.sandbox != "" {
					attrs = append(attrs, "sandbox", string(res.sandbox))
				}
				if len(res.blocked) > 0 {
					addrs := make([]string, len(res.blocked))
					for i, b := range res.blocked {
						addrs[i] = b.Proto + " " + b.Address
					}
					attrs = append(attrs, "blocked", strings.Join(addrs, ", "))
				}
			}
			ignored := st.Run.IgnoreErrors && (res.status == "failed" || res.status == "timeout")
			if ignored {
				attrs = append(attrs, "ignored", "true")
			}
			msg := res.status
			switch {
			case res.status == "background":
				msg = "started in the background (background): the runbook goes on, and its end ends the step"
			case ignored:
				msg = fmt.Sprintf("%s (exit %d), ignored (ignoreErrors): the runbook goes on", res.status, res.exitCode)
			case res.status == "manual":
				msg = "manual step, not automatable: " + firstLine(st.Text, "")
			case res.status != "ok" && res.status != "dry-run":
				msg = fmt.Sprintf("%s (exit %d)", res.status, res.exitCode)
			}
			if len(res.blocked) > 0 {
				msg += "; " + blockedNote(res.blocked)
			}
			in.emit(timeline.StepEnd, stepName, msg, in.attrs(attrs...))
			if res.status == "error" {
				// drill could not run the step (its sandbox did not start,
				// its directory could not be made): the harness failed, not
				// the team, and nobody escalates over it
				err := fmt.Errorf("response: runbook %s step %s (%s:%d) could not run: %s", rb.ID, stepName, st.File, st.Line, lastLine(res.output))
				in.emit(timeline.HarnessError, stepName, err.Error(), in.attrs("runbook", rb.ID, "step", stepName, "reason", "step_not_run"))
				e.fail(err)
				end("error", "failed_step", stepName)
				return
			}
			if ignored {
				continue
			}
			switch res.status {
			case "ok", "manual", "dry-run", "background":
				continue
			case "canceled":
				end("canceled", "failed_step", stepName)
				return
			}
			// A responder whose step failed stops and hands the incident up.
			to := "none"
			if in.rule < len(pol.Rules) {
				to = strconv.Itoa(in.rule + 1)
			}
			in.emit(timeline.Escalate, in.alert, fmt.Sprintf("%s escalates: runbook step %s failed (%s, exit %d)", user, stepName, res.status, res.exitCode),
				in.attrs("reason", "runbook step failed", "user", user, "step", stepName, "exit_code", strconv.Itoa(res.exitCode), "from_rule", strconv.Itoa(in.rule), "to_rule", to))
			end("failed", "failed_step", stepName, "exit_code", strconv.Itoa(res.exitCode))
			return
		}
	}
	end("ok")
}

// stopBackground ends the runbook's background steps, in the order they
// started, and notes how each ended.
func (in *incident) stopBackground(rb *team.Runbook, bgs []backgroundStep) {
	for _, b := range bgs {
		res := b.proc.stop()
		msg := fmt.Sprintf("background step %s of runbook %s ended with the runbook: %s", b.name, rb.ID, res.status)
		if res.status != "ok" {
			msg += fmt.Sprintf(" (exit %d)", res.exitCode)
		}
		in.emit(timeline.Note, b.name, msg, in.attrs("runbook", rb.ID, "step", b.name, "line", b.line, "reason", "background_end",
			"status", res.status, "exit_code", strconv.Itoa(res.exitCode), "output", res.output,
			"real_duration", res.real.Round(time.Millisecond).String()))
	}
}

// spec is how step st runs: its interpreter and directory, and its code
// with promptEnv's prompts answered from drill.yaml's variables.
func (in *incident) spec(name string, st team.Step) stepSpec {
	code := st.Code
	if st.Run.PromptEnv && st.Run.Interpreter != "python3" {
		code = answerPrompts(code, in.e.opt.Variables)
	}
	return stepSpec{code: code, label: fmt.Sprintf("step %s (%s:%d)", name, st.File, st.Line), interpreter: st.Run.Interpreter, cwd: st.Run.Cwd}
}

// exportLine is a shell line exporting one variable: Runme prompts for it
// under promptEnv.
var exportLine = regexp.MustCompile(`^(\s*export\s+)([A-Za-z_][A-Za-z0-9_]*)=.*$`)

// answerPrompts answers the block's export NAME=... lines, Runme's
// prompts under promptEnv, with drill.yaml's variable NAME where it is
// bound; a line exporting a name not bound keeps its value, as a prompt
// answered with its default does.
func answerPrompts(code string, vars map[string]string) string {
	lines := strings.Split(code, "\n")
	for i, l := range lines {
		m := exportLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if v, ok := vars[m[2]]; ok {
			lines[i] = m[1] + m[2] + "=" + shellQuote(v)
		}
	}
	return strings.Join(lines, "\n")
}

// shellQuote quotes s for sh: in single quotes, each ' written '\”.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// how says in words how a step runs, for dry-run output.
func (sp stepSpec) how(timeout time.Duration, background bool) string {
	interp := map[string]string{"": "bash -euo pipefail", "bash": "bash -euo pipefail", "sh": "sh -eu", "python3": "python3"}[sp.interpreter]
	s := "in " + interp
	if sp.cwd != "" {
		s += ", in " + sp.cwd + "/"
	}
	if background {
		return s + ", in the background until the runbook ends"
	}
	return s + ", timeout " + timeout.String()
}

// execute runs one executable step in the sandbox, or describes it in
// dry-run mode. Its real duration advances the incident's drill time by
// the clock's speed (zero on a virtual clock).
func (in *incident) execute(ctx context.Context, name string, st team.Step) stepResult {
	e := in.e
	spec := in.spec(name, st)
	if e.opt.DryRun != nil {
		e.dryf("would run step %s (%s:%d) %s, env %s:\n%s\n",
			name, st.File, st.Line, spec.how(e.opt.StepTimeout, st.Run.Background), strings.Join(e.envNames(), " "), indent(spec.code))
		return stepResult{status: "dry-run"}
	}
	res := e.runStep(ctx, spec)
	in.now = in.now.Add(time.Duration(float64(res.real) * e.clock.Speed()))
	return res
}

func (e *Engine) dryf(format string, args ...any) {
	e.dryMu.Lock()
	defer e.dryMu.Unlock()
	fmt.Fprintf(e.opt.DryRun, format, args...)
}

// envNames lists the variables a step sees (names only: values may be
// endpoints a reader of dry-run output need not see).
func (e *Engine) envNames() []string {
	names := make([]string, 0, len(e.env)+2)
	for _, kv := range e.env {
		k, _, _ := strings.Cut(kv, "=")
		names = append(names, k)
	}
	return append(names, "HOME", "TMPDIR")
}

func indent(code string) string {
	lines := strings.Split(strings.TrimRight(code, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func firstLine(texts ...string) string {
	for _, t := range texts {
		if t = strings.TrimSpace(t); t != "" {
			l, _, _ := strings.Cut(t, "\n")
			return l
		}
	}
	return ""
}

// capWriter keeps the first limit bytes written and counts the rest.
type capWriter struct {
	limit int
	buf   []byte
	total int64
}

func (w *capWriter) Write(p []byte) (int, error) {
	w.total += int64(len(p))
	if room := w.limit - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *capWriter) String() string {
	if dropped := w.total - int64(len(w.buf)); dropped > 0 {
		return string(w.buf) + fmt.Sprintf("\n[drill: output truncated: %d more bytes not kept]", dropped)
	}
	return string(w.buf)
}

var _ io.Writer = (*capWriter)(nil)
