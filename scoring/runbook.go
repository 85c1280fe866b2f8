package scoring

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/timeline"
)

// RunbookRecord is what the people in a live drill recorded of the
// runbook their acknowledgement opened (drill runbook): each step done,
// run, skipped or not followed, by whom and how long it took. In a live
// drill recovery is judged by the data whoever fixed it; this record says
// whether the runbook was the way. A simulated run's steps are in the
// timeline and the breakdown, and it has no record.
type RunbookRecord struct {
	Runbook  string        `json:"runbook"`
	By       string        `json:"by,omitempty"` // who acknowledged, and so opened it
	Followed int           `json:"followed"`     // steps done or run with success
	Total    int           `json:"total"`
	Steps    []RunbookStep `json:"steps"`
}

// Runbook step statuses of a RunbookRecord.
const (
	RunbookStepDone        = "done"         // marked done by a person
	RunbookStepRan         = "ran"          // run through the executor, exit 0
	RunbookStepFailed      = "failed"       // run, and failed or timed out
	RunbookStepSkipped     = "skipped"      // skipped, with a reason
	RunbookStepNotFollowed = "not_followed" // nobody recorded it
)

// RunbookStep is one step of a RunbookRecord.
type RunbookStep struct {
	ID       string     `json:"id"`
	Phase    string     `json:"phase,omitempty"`
	Status   string     `json:"status"`
	By       string     `json:"by,omitempty"`
	Why      string     `json:"why,omitempty"`
	At       *time.Time `json:"at,omitempty"`      // drill time of the mark or the run's end
	Seconds  *Seconds   `json:"seconds,omitempty"` // since the previous mark (or the ack); a run's own duration
	ExitCode *int       `json:"exit_code,omitempty"`
}

// analyzeRunbook fills sc.Runbook from the first live runbook opened in
// the scenario's events (a RunbookStart via live naming its steps) and
// the marks of its steps after it; the last mark of a step counts.
func analyzeRunbook(sc *Scenario, events []timeline.Event) {
	sc.Runbook = nil
	var start timeline.Event
	marks := map[string]timeline.Event{}
	for _, e := range events {
		switch {
		case e.Kind == timeline.RunbookStart && e.Attrs["via"] == "live" && start.Seq == 0:
			start = e
		case e.Kind == timeline.StepEnd && e.Attrs["via"] == "live" && start.Seq != 0 && e.Attrs["runbook"] == start.Attrs["runbook"]:
			marks[e.Subject] = e
		}
	}
	if start.Seq == 0 {
		return
	}
	r := &RunbookRecord{Runbook: start.Subject, By: start.Attrs["user"], Steps: []RunbookStep{}}
	for _, id := range strings.Split(start.Attrs["steps"], ",") {
		if id == "" {
			continue
		}
		st := RunbookStep{ID: id, Status: RunbookStepNotFollowed}
		if m, ok := marks[id]; ok {
			at := m.At
			st.Phase, st.By, st.Why, st.At = m.Attrs["phase"], m.Attrs["user"], m.Attrs["why"], &at
			if d, err := time.ParseDuration(m.Attrs["took"]); err == nil {
				st.Seconds = secondsOf(d)
			}
			if c, err := strconv.Atoi(m.Attrs["exit_code"]); err == nil && m.Attrs["exit_code"] != "" {
				st.ExitCode = &c
			}
			switch m.Attrs["status"] {
			case "done":
				st.Status = RunbookStepDone
			case "ok":
				st.Status = RunbookStepRan
			case "skipped":
				st.Status = RunbookStepSkipped
			default:
				st.Status = RunbookStepFailed
			}
		}
		if st.Status == RunbookStepDone || st.Status == RunbookStepRan {
			r.Followed++
		}
		r.Total++
		r.Steps = append(r.Steps, st)
	}
	sc.Runbook = r
}

// Text is the record in one line: "runbook cost-spike: 2 of 4 step(s)
// followed; done diagnosis-1; ran cap-spend (1s); skipped read-budget
// (why); not followed verify-cap".
func (r *RunbookRecord) Text() string {
	parts := []string{fmt.Sprintf("runbook %s: %d of %d step(s) followed", r.Runbook, r.Followed, r.Total)}
	for _, s := range r.Steps {
		p := strings.ReplaceAll(s.Status, "_", " ") + " " + s.ID
		var notes []string
		if s.By != "" {
			notes = append(notes, "by "+s.By)
		}
		if s.Seconds != nil {
			notes = append(notes, FormatSeconds(s.Seconds))
		}
		if s.ExitCode != nil && *s.ExitCode != 0 {
			notes = append(notes, "exit "+strconv.Itoa(*s.ExitCode))
		}
		if s.Why != "" {
			notes = append(notes, s.Why)
		}
		if len(notes) > 0 {
			p += " (" + strings.Join(notes, ", ") + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

// writeRunbooksText writes the live runbook records of a run, one line
// per scenario.
func writeRunbooksText(w io.Writer, c *Scorecard) {
	shown := false
	for _, sc := range c.single() {
		if sc.Runbook == nil {
			continue
		}
		if !shown {
			fmt.Fprintln(w, "\nthe runbook in the room (steps recorded with drill runbook)")
			shown = true
		}
		fmt.Fprintf(w, "%s\n  %s\n", sc.Name, sc.Runbook.Text())
	}
}

func writeRunbooksMarkdown(b *strings.Builder, c *Scorecard) {
	shown := false
	for _, sc := range c.single() {
		if sc.Runbook == nil {
			continue
		}
		if !shown {
			b.WriteString("\n### The runbook in the room\n\n")
			shown = true
		}
		fmt.Fprintf(b, "- **%s**: %s\n", mdEscape(sc.Name), mdEscape(sc.Runbook.Text()))
	}
}
