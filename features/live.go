package features

import (
	"fmt"
	"strings"
	"time"

	"github.com/drillkit/drill/timeline"
)

// LiveEnv is implemented by an Env whose responders are the people in
// the room (`drill run --live`). In a live drill the runbook is theirs:
// a step that waits on a runbook run is judged by what it says (the
// condition, the alert resolving on good data) within its deadline of
// the acknowledgement, whoever fixed it and however; the steps the people
// recorded are reported. Every step that waits on people tells them so,
// with the command that satisfies it.
type LiveEnv interface {
	// Live reports whether the responders are people.
	Live() bool
	// Tell shows the people in the room one line.
	Tell(msg string)
}

// live reports whether the drill's responders are people.
func (s *State) live() bool {
	l, ok := s.Env.(LiveEnv)
	return ok && l.Live()
}

// tell shows the people in the room what a step waits for; nothing in a
// simulated drill.
func (s *State) tell(format string, args ...any) {
	if l, ok := s.Env.(LiveEnv); ok && l.Live() {
		l.Tell("WAITING " + s.Env.Clock().Now().Format("15:04:05") + "  " + fmt.Sprintf(format, args...))
	}
}

// ranBut opens a recovery step's failure: a simulated runbook ran; in a
// live drill what the people did is not known but by its effect.
func (s *State) ranBut() string { return s.ranWho() + ", but" }

// ranWho is who had the runbook: a simulated responder ran it; live, the
// people in the room had it.
func (s *State) ranWho() string {
	if s.live() {
		return "the people in the room had the runbook"
	}
	return "the runbook ran"
}

// liveRunbookReport says which steps of the runbook opened at the
// acknowledgement were followed (done, run), skipped and not followed,
// for a live drill's step message; "" in a simulated drill.
func (s *State) liveRunbookReport(ack timeline.Event) string {
	if !s.live() {
		return ""
	}
	var start timeline.Event
	marks := map[string]timeline.Event{}
	for _, e := range s.Env.Log().Sorted() {
		switch {
		case e.Kind == timeline.RunbookStart && e.Attrs["via"] == "live" && !e.At.Before(ack.At) && start.Seq == 0:
			start = e
		case e.Kind == timeline.StepEnd && e.Attrs["via"] == "live" && start.Seq != 0 && e.Attrs["runbook"] == start.Attrs["runbook"]:
			marks[e.Subject] = e
		}
	}
	if start.Seq == 0 {
		return "; no runbook was opened (the alert links none)"
	}
	var followed, skipped, failed, not []string
	ids := strings.Split(start.Attrs["steps"], ",")
	for _, id := range ids {
		m, ok := marks[id]
		switch {
		case id == "":
		case !ok:
			not = append(not, id)
		case m.Attrs["status"] == "done":
			followed = append(followed, id+" (done)")
		case m.Attrs["status"] == "ok":
			followed = append(followed, id+" (ran)")
		case m.Attrs["status"] == "skipped":
			skipped = append(skipped, fmt.Sprintf("%s (%s)", id, m.Attrs["why"]))
		default:
			failed = append(failed, fmt.Sprintf("%s (%s, exit %s)", id, m.Attrs["status"], m.Attrs["exit_code"]))
		}
	}
	parts := []string{fmt.Sprintf("runbook %s: %d of %d step(s) followed", start.Subject, len(followed), len(ids))}
	for _, g := range []struct {
		what string
		ids  []string
	}{{"followed", followed}, {"skipped", skipped}, {"failed", failed}, {"not followed", not}} {
		if len(g.ids) > 0 {
			parts = append(parts, g.what+" "+strings.Join(g.ids, ", "))
		}
	}
	return "; " + strings.Join(parts, "; ")
}

// tellRunbook tells the people in the room that a recovery step waits
// on them, and by what it is judged.
func (s *State) tellRunbook(judged string, ack timeline.Event, d time.Duration) {
	s.tell("waiting for the runbook: drill runbook (its steps), drill runbook done STEP / run STEP / skip STEP --why TEXT, or fix it another way; judged by %s within %s of the ack by %s (until %s)",
		judged, fmtDur(d), ack.Subject, ack.At.Add(d).Format("15:04:05"))
}
