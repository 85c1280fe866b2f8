package response

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// Live runbooks. In a live drill nobody is simulated: when a person
// acknowledges a page, the alert's runbook opens for them (a RunbookStart
// event naming every step, and the steps on the pager), and they record
// each step as they go: done, skipped (with why) or run, through the live
// endpoint. A run goes through the executor a simulated runbook uses, its
// output on the timeline. When every step is done or ran well the runbook
// ends (RunbookEnd, status ok); when every step is marked but some were
// skipped it ends with status skipped. Whether the service recovered is
// not the runbook's to say: the steps that wait for recovery read the
// data, whatever the people did.

// Live step statuses: a person marked it done or skipped; a run ends as
// the executor's statuses say (ok, failed, timeout, canceled, error).
const (
	StepDone    = "done"
	StepSkipped = "skipped"
	StepRunning = "running"
)

// ErrNoRunbook is returned when no live runbook is open: nobody has
// acknowledged a page yet, or the acknowledged alert links no runbook.
var ErrNoRunbook = errors.New("no runbook open")

// ErrUnknownStep is returned for a step the open runbook does not have;
// the message lists the step IDs it has.
var ErrUnknownStep = errors.New("unknown runbook step")

// ErrStepState is returned for a mark the step's state refuses: running
// a manual step, a step that is running already.
var ErrStepState = errors.New("runbook step cannot be marked so")

// LiveStep is one step of a live runbook, as `drill runbook` lists it.
type LiveStep struct {
	ID      string `json:"id"`
	Section string `json:"section"`
	Phase   string `json:"phase"`
	Line    string `json:"line"` // file:line in the runbook
	Manual  bool   `json:"manual"`
	Text    string `json:"text,omitempty"`
	// Code is the step's command with the drill's variables resolved, as
	// the executor binds them ($GATEWAY_ADMIN → http://127.0.0.1:PORT/admin).
	Code string `json:"code,omitempty"`

	Status string     `json:"status,omitempty"` // empty until marked
	By     string     `json:"by,omitempty"`
	Why    string     `json:"why,omitempty"`
	At     *time.Time `json:"at,omitempty"`   // when it was marked, drill time
	Took   string     `json:"took,omitempty"` // since the previous mark (or the ack); a run's own duration
	// ExitCode and Output are a run's.
	ExitCode *int   `json:"exit_code,omitempty"`
	Output   string `json:"output,omitempty"`

	code string // as written, for the executor
	run  team.StepRun
	idx  int
}

// LiveRunbook is the runbook of an acknowledged incident in a live drill.
type LiveRunbook struct {
	Runbook string     `json:"runbook"`
	File    string     `json:"file"`
	Alert   string     `json:"alert"`
	AckedBy string     `json:"acked_by"`
	AckedAt time.Time  `json:"acked_at"`
	Steps   []LiveStep `json:"steps"`
	Ended   string     `json:"ended,omitempty"` // ok or skipped once every step is marked

	in       *incident
	lastMark time.Time
}

// acknowledged is what follows an acknowledgement: a simulated responder
// follows the runbook; in live mode the runbook opens for the people.
func (in *incident) acknowledged(ctx context.Context, user string, pol *team.Policy) {
	if in.e.opt.Live {
		in.openLiveRunbook(user)
		return
	}
	in.respond(ctx, user, pol)
}

// openLiveRunbook opens the runbook of the incident's alert for user,
// who acknowledged it, and shows its steps on the pager.
func (in *incident) openLiveRunbook(user string) {
	e := in.e
	t := e.opt.Team
	if t == nil {
		return
	}
	rb, ok := t.RunbookForAlert(&team.AlertRule{Alert: in.alert, Annotations: in.annotations})
	if !ok {
		in.emit(timeline.Note, in.alert, fmt.Sprintf("alert %s links no runbook (annotation %s or front matter alerts:): %s has nothing to follow", in.alert, t.Config.Lint.RunbookAnnotation, user),
			in.attrs("user", user, "reason", "no_runbook"))
		return
	}
	lr := &LiveRunbook{Runbook: rb.ID, File: rb.File, Alert: in.alert, AckedBy: user, AckedAt: in.now, in: in, lastMark: in.now}
	names := t.Config.Lint.Sections
	phases := []string{"diagnose", "mitigate", "verify"}
	seen := map[string]int{}
	for si, name := range []string{names.Diagnosis, names.Mitigation, names.Verification} {
		sec, ok := rb.Section(name)
		if !ok {
			continue
		}
		for _, st := range sec.Steps {
			id := st.Name
			if id == "" {
				id = fmt.Sprintf("%s-%d", strings.ToLower(sec.Name), st.Index)
			}
			if seen[id]++; seen[id] > 1 {
				id = fmt.Sprintf("%s-%d", id, seen[id])
			}
			lr.Steps = append(lr.Steps, LiveStep{ID: id, Section: sec.Name, Phase: phases[si], Line: fmt.Sprintf("%s:%d", st.File, st.Line),
				Manual: st.Manual, Text: firstLine(st.Text, ""), Code: e.resolveVars(st.Code), code: st.Code, run: st.Run, idx: st.Index})
		}
	}
	ids := make([]string, len(lr.Steps))
	for i, s := range lr.Steps {
		ids[i] = s.ID
	}
	in.emit(timeline.RunbookStart, rb.ID, fmt.Sprintf("%s opens %s (%s) in the live drill: %d step(s) to follow", user, rb.ID, rb.File, len(ids)),
		in.attrs("user", user, "runbook", rb.ID, "file", rb.File, "via", "live", "steps", strings.Join(ids, ",")))
	e.mu.Lock()
	e.liveRunbooks = append(e.liveRunbooks, lr)
	e.mu.Unlock()
	if e.opt.Pager != nil {
		e.dryMu.Lock()
		defer e.dryMu.Unlock()
		w := e.opt.Pager
		fmt.Fprintf(w, "RUNBOOK %s (%s) for %s, acknowledged by %s; the runbook is yours to follow:\n", rb.ID, rb.File, in.alert, user)
		for _, s := range lr.Steps {
			kind := "run: drill runbook run " + s.ID
			if s.Manual {
				kind = "manual"
			}
			fmt.Fprintf(w, "  %-22s %-9s %s (%s)\n", s.ID, s.Phase, s.Text, kind)
			if s.Code != "" {
				fmt.Fprintln(w, indent(s.Code))
			}
		}
		fmt.Fprintln(w, "  record each step: drill runbook done STEP · drill runbook skip STEP --why TEXT · drill runbook run STEP (list: drill runbook)")
	}
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// resolveVars shows code with the drill's variables written out, for the
// people who run it by hand; names the drill does not bind stay as they
// are (the shell's own, the step's locals).
func (e *Engine) resolveVars(code string) string {
	return varRef.ReplaceAllStringFunc(code, func(m string) string {
		name := strings.Trim(m, "${}")
		if v, ok := e.opt.Variables[name]; ok {
			return v
		}
		return m
	})
}

// LiveRunbook returns the most recently opened live runbook, with each
// step's marks so far.
func (e *Engine) LiveRunbook() (LiveRunbook, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	lr, err := e.latestRunbook()
	if err != nil {
		return LiveRunbook{}, err
	}
	return lr.copy(), nil
}

func (lr *LiveRunbook) copy() LiveRunbook {
	c := *lr
	c.Steps = append([]LiveStep(nil), lr.Steps...)
	return c
}

// latestRunbook is the runbook steps are marked on; e.mu held.
func (e *Engine) latestRunbook() (*LiveRunbook, error) {
	if !e.opt.Live {
		return nil, fmt.Errorf("%w: this drill is not live; its responders are simulated", ErrNoRunbook)
	}
	if len(e.liveRunbooks) == 0 {
		return nil, fmt.Errorf("%w: nobody has acknowledged a page that links a runbook yet; acknowledge the page first (drill ack)", ErrNoRunbook)
	}
	return e.liveRunbooks[len(e.liveRunbooks)-1], nil
}

// step finds a step of lr by ID; e.mu held.
func (lr *LiveRunbook) step(id string) (*LiveStep, error) {
	ids := make([]string, len(lr.Steps))
	for i := range lr.Steps {
		if lr.Steps[i].ID == id {
			return &lr.Steps[i], nil
		}
		ids[i] = lr.Steps[i].ID
	}
	known := "it has no steps"
	if len(ids) > 0 {
		known = "expected one of " + strings.Join(ids, ", ")
	}
	return nil, fmt.Errorf("%w %q in runbook %s: %s", ErrUnknownStep, id, lr.Runbook, known)
}

// MarkStep records, as user, that a step of the open live runbook was
// done (mark StepDone) or skipped (StepSkipped, why saying why).
func (e *Engine) MarkStep(user, stepID, mark, why string) (LiveStep, error) {
	why = strings.TrimSpace(why)
	switch {
	case user == "":
		return LiveStep{}, errors.New("a runbook mark needs a user")
	case mark != StepDone && mark != StepSkipped:
		return LiveStep{}, fmt.Errorf("mark %q: expected %s or %s", mark, StepDone, StepSkipped)
	case mark == StepSkipped && why == "":
		return LiveStep{}, errors.New("a skipped step needs a reason (--why TEXT)")
	case len(why) > 2000:
		return LiveStep{}, errors.New("a reason is at most 2000 bytes")
	}
	now := e.clock.Now()
	lr, s, err := e.lockStep(stepID)
	if err != nil {
		return LiveStep{}, err
	}
	if s.Status == StepRunning {
		e.mu.Unlock()
		return LiveStep{}, fmt.Errorf("%w: step %s is running; wait for its run to end", ErrStepState, s.ID)
	}
	took := now.Sub(later(lr.lastMark, lr.AckedAt))
	s.Status, s.By, s.Why, s.At, s.Took, s.ExitCode, s.Output = mark, user, why, &now, took.Round(time.Second).String(), nil, ""
	lr.lastMark = now
	out, in := *s, lr.in
	e.mu.Unlock()
	msg := fmt.Sprintf("%s marks step %s done", user, s.ID)
	if mark == StepSkipped {
		msg = fmt.Sprintf("%s skips step %s: %s", user, s.ID, why)
	}
	attrs := lr.stepAttrs(&out, "status", mark, "took", took.String(), "user", user)
	if why != "" {
		attrs["why"] = why
	}
	in.emitAt(now, timeline.StepEnd, out.ID, msg, attrs)
	e.endIfFollowed(lr, now)
	return out, nil
}

// RunStep runs an executable step of the open live runbook, as user,
// through the executor a simulated runbook uses; its output lands on the
// timeline and in the answer.
func (e *Engine) RunStep(ctx context.Context, user, stepID string) (LiveStep, error) {
	if user == "" {
		return LiveStep{}, errors.New("a runbook run needs a user")
	}
	lr, s, err := e.lockStep(stepID)
	if err != nil {
		return LiveStep{}, err
	}
	switch {
	case s.Manual:
		e.mu.Unlock()
		return LiveStep{}, fmt.Errorf("%w: step %s is manual (no sh block): do it, then drill runbook done %s", ErrStepState, s.ID, s.ID)
	case s.Status == StepRunning:
		e.mu.Unlock()
		return LiveStep{}, fmt.Errorf("%w: step %s is running already", ErrStepState, s.ID)
	case e.bash == "":
		e.mu.Unlock()
		return LiveStep{}, fmt.Errorf("%w: bash not found on PATH; runbook steps run in bash -euo pipefail", ErrStepState)
	}
	prev := s.Status
	s.Status = StepRunning
	st, in := *s, lr.in
	e.mu.Unlock()

	start := e.clock.Now()
	in.emitAt(start, timeline.StepStart, st.ID, firstLine(st.Text, st.code), lr.stepAttrs(&st, "user", user))
	// A person runs one step: how it runs (interpreter, cwd, promptEnv)
	// holds; background and the run-all attributes are theirs to judge.
	code := st.code
	if st.run.PromptEnv && st.run.Interpreter != "python3" {
		code = answerPrompts(code, e.opt.Variables)
	}
	res := e.runStep(ctx, stepSpec{code: code, label: fmt.Sprintf("live step %s (%s)", st.ID, st.Line), interpreter: st.run.Interpreter, cwd: st.run.Cwd})
	end := e.clock.Now()
	if end.Before(start) {
		end = start
	}

	e.mu.Lock()
	s, _ = lr.step(stepID)
	if res.status == "canceled" {
		s.Status = prev // the caller went away: nothing was recorded as run
	} else {
		code := res.exitCode
		s.Status, s.By, s.Why, s.At, s.Took, s.ExitCode, s.Output = res.status, user, "", &end, end.Sub(start).Round(time.Millisecond).String(), &code, res.output
		lr.lastMark = end
	}
	out := *s
	e.mu.Unlock()

	attrs := lr.stepAttrs(&st, "status", res.status, "user", user, "automatable", "true",
		"exit_code", strconv.Itoa(res.exitCode), "output", res.output,
		"output_bytes", strconv.FormatInt(res.bytes, 10), "truncated", strconv.FormatBool(res.truncated),
		"real_duration", res.real.Round(time.Millisecond).String(), "took", end.Sub(start).String())
	msg := fmt.Sprintf("%s runs step %s: %s", user, st.ID, res.status)
	if res.status != "ok" {
		msg = fmt.Sprintf("%s runs step %s: %s (exit %d)", user, st.ID, res.status, res.exitCode)
	}
	in.emitAt(end, timeline.StepEnd, st.ID, msg, attrs)
	if res.status == "canceled" {
		return out, fmt.Errorf("the run of step %s was canceled", st.ID)
	}
	e.endIfFollowed(lr, end)
	return out, nil
}

// stepAttrs are the attributes of a live step's events.
func (lr *LiveRunbook) stepAttrs(s *LiveStep, kv ...string) map[string]string {
	m := lr.in.attrs("user", lr.AckedBy, "runbook", lr.Runbook, "section", s.Section, "phase", s.Phase, "index", strconv.Itoa(s.idx),
		"line", s.Line, "manual", strconv.FormatBool(s.Manual), "via", "live")
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// endIfFollowed ends the runbook once every step is done or ran well
// (status ok) or, with some skipped, once every step is marked (status
// skipped). It ends once.
func (e *Engine) endIfFollowed(lr *LiveRunbook, at time.Time) {
	e.mu.Lock()
	if lr.Ended != "" {
		e.mu.Unlock()
		return
	}
	var skipped, open []string
	for _, s := range lr.Steps {
		switch s.Status {
		case StepDone, "ok":
		case StepSkipped:
			skipped = append(skipped, s.ID)
		default:
			open = append(open, s.ID)
		}
	}
	if len(open) > 0 {
		e.mu.Unlock()
		return
	}
	status := "ok"
	if len(skipped) > 0 {
		status = StepSkipped
	}
	lr.Ended = status
	e.mu.Unlock()
	msg := fmt.Sprintf("runbook %s followed: every step done", lr.Runbook)
	attrs := lr.in.attrs("user", lr.AckedBy, "runbook", lr.Runbook, "status", status, "via", "live", "steps", strconv.Itoa(len(lr.Steps)))
	if status == StepSkipped {
		msg = fmt.Sprintf("runbook %s ended with step(s) skipped: %s", lr.Runbook, strings.Join(skipped, ", "))
		attrs["skipped"] = strings.Join(skipped, ",")
	}
	lr.in.emitAt(at, timeline.RunbookEnd, lr.Runbook, msg, attrs)
}

// lockStep takes e.mu and finds step stepID of the latest live runbook;
// on success it returns with e.mu held, on error with it released.
func (e *Engine) lockStep(stepID string) (*LiveRunbook, *LiveStep, error) {
	e.mu.Lock()
	lr, err := e.latestRunbook()
	if err == nil {
		var s *LiveStep
		if s, err = lr.step(stepID); err == nil {
			return lr, s, nil
		}
	}
	e.mu.Unlock()
	return nil, nil, err
}
