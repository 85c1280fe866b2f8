package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
)

// runbookRunTimeout bounds `drill runbook run`: the drill bounds the step
// itself (its step timeout, 60s by default); this leaves it room.
const runbookRunTimeout = 10 * time.Minute

func runbookCommand() *command {
	return &command{
		name:    "runbook",
		summary: "list, mark and run the steps of a live drill's runbook",
		usage:   "[done STEP | skip STEP --why TEXT | run STEP] [--url URL] [--user ID]",
		help: `In a live drill (drill run --live) the runbook is the people's. When a page
is acknowledged, the runbook of its alert opens: drill runbook lists its
steps (their commands with the drill's variables written out, as the
executor binds them) and what was recorded of each. drill runbook done
STEP marks a step done, drill runbook skip STEP --why TEXT skips one, and
drill runbook run STEP runs an executable step through the same executor
a simulated drill uses (bash -euo pipefail, a scrubbed environment, the
step timeout), its output printed and on the timeline. The scorecard says
which steps were followed and which were not; recovery is judged by the
data, however the room fixed it. The endpoint is found in .drill/live.json
(searched from the working directory upward) unless --url names it.`,
		exits: []exit{
			{exitcode.OK, "the steps were listed, the step was marked, or it ran and exited 0"},
			{exitcode.Failed, "the step ran and failed or timed out (recorded on the timeline)"},
			{exitcode.Usage, "bad usage, no live drill recorded in .drill/ here or above, no runbook open yet, or a step the runbook does not have (the valid step IDs are listed)"},
			{exitcode.Harness, "the live drill's endpoint cannot be reached, fails, or its state file is damaged"},
		},
		examples: []example{
			{"drill runbook", "list the steps of the open runbook and what was recorded of each"},
			{"drill runbook done diagnosis-1", "mark a step done, as $DRILL_USER (else $USER)"},
			{"drill runbook skip read-budget --why 'the dashboard shows it'", "skip a step, saying why"},
			{"drill runbook run cap-spend --user bob", "run an executable step as bob"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			url := fs.String("url", "", "base URL of the live drill's endpoint (default: from .drill/live.json)")
			user := fs.String("user", "", "who marks or runs the step (default: $DRILL_USER, else $USER)")
			why := fs.String("why", "", "why the step is skipped (required by skip)")
			return func(ctx context.Context, e *env, args []string) error {
				verb := ""
				if len(args) > 0 {
					verb = args[0]
				}
				switch {
				case verb == "" && len(args) == 0:
				case (verb == "done" || verb == "skip" || verb == "run") && len(args) == 2:
				default:
					return usageErrorf("usage: drill runbook [done STEP | skip STEP --why TEXT | run STEP]")
				}
				if verb == "skip" && strings.TrimSpace(*why) == "" {
					return usageErrorf("skip needs a reason: drill runbook skip %s --why TEXT", args[1])
				}
				c, err := liveClient(*url)
				if err != nil {
					return err
				}
				if verb == "" {
					rb, err := c.Runbook(ctx)
					if err != nil {
						return controlErr(err)
					}
					writeLiveRunbook(e, rb)
					return nil
				}
				who, err := actingUser(*user, e)
				if err != nil {
					return err
				}
				switch verb {
				case "done", "skip":
					mark := response.StepDone
					if verb == "skip" {
						mark = response.StepSkipped
					}
					st, err := c.MarkStep(ctx, response.StepMarkRequest{User: who, Step: args[1], Mark: mark, Why: *why})
					if err != nil {
						return controlErr(err)
					}
					fmt.Fprintf(e.stdout, "%s: %s by %s after %s\n", st.ID, st.Status, st.By, st.Took)
					return nil
				}
				st, err := c.RunStep(ctx, response.StepRunRequest{User: who, Step: args[1]}, runbookRunTimeout)
				if err != nil {
					return controlErr(err)
				}
				if out := strings.TrimRight(st.Output, "\n"); out != "" {
					fmt.Fprintln(e.stdout, out)
				}
				code := -1
				if st.ExitCode != nil {
					code = *st.ExitCode
				}
				fmt.Fprintf(e.stdout, "%s: %s (exit %d, %s) by %s\n", st.ID, st.Status, code, st.Took, st.By)
				if st.Status != "ok" {
					return exitcode.With(exitcode.Failed, errors.New("step "+st.ID+" "+st.Status))
				}
				return nil
			}
		},
	}
}

// writeLiveRunbook lists a live runbook's steps and their marks.
func writeLiveRunbook(e *env, rb response.LiveRunbook) {
	fmt.Fprintf(e.stdout, "runbook %s (%s) for %s, opened by %s at %s\n", rb.Runbook, rb.File, rb.Alert, rb.AckedBy, rb.AckedAt.Format(time.TimeOnly))
	for _, s := range rb.Steps {
		status := s.Status
		if status == "" {
			status = "-"
		}
		kind := "run"
		if s.Manual {
			kind = "manual"
		}
		fmt.Fprintf(e.stdout, "  %-22s %-9s %-7s %-8s %s (%s)\n", s.ID, s.Phase, kind, status, s.Text, s.Line)
		if s.Code != "" {
			for _, l := range strings.Split(strings.TrimRight(s.Code, "\n"), "\n") {
				fmt.Fprintf(e.stdout, "      %s\n", l)
			}
		}
		if s.By != "" {
			note := fmt.Sprintf("      %s by %s after %s", s.Status, s.By, s.Took)
			if s.Why != "" {
				note += ": " + s.Why
			}
			fmt.Fprintln(e.stdout, note)
		}
	}
	if rb.Ended != "" {
		fmt.Fprintf(e.stdout, "every step is recorded (%s)\n", rb.Ended)
	}
}
