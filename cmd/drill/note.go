package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
)

func noteCommand() *command {
	return &command{
		name:    "note",
		summary: "post a status update in a live drill",
		usage:   "[--url URL] [--user ID] TEXT...",
		help: `During a live drill (drill run --live) the incident commander (or anyone)
posts status updates with drill note; they land on the timeline as status
updates of the most recent open incident, which the step "a status update
is posted within D" waits for. The endpoint is found in .drill/live.json
(searched from the working directory upward) unless --url names it.`,
		exits: []exit{
			{exitcode.OK, "the update was posted"},
			{exitcode.Usage, "bad usage (no text, no user, a malformed --url), or no live drill recorded in .drill/ here or above"},
			{exitcode.Harness, "the live drill's endpoint cannot be reached, fails, or its state file is damaged"},
		},
		examples: []example{
			{"drill note failing over to the secondary provider", "post a status update, as $DRILL_USER (else $USER)"},
			{"drill note --user alice 'spend capped; watching recovery'", "post one as alice"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			url := fs.String("url", "", "base URL of the live drill's endpoint (default: from .drill/live.json)")
			user := fs.String("user", "", "who posts the update (default: $DRILL_USER, else $USER)")
			return func(ctx context.Context, e *env, args []string) error {
				text := strings.TrimSpace(strings.Join(args, " "))
				if text == "" {
					return usageErrorf("note needs a text: drill note failing over to the secondary provider")
				}
				c, err := liveClient(*url)
				if err != nil {
					return err
				}
				who, err := actingUser(*user, e)
				if err != nil {
					return err
				}
				out, err := c.Note(ctx, response.NoteRequest{User: who, Text: text})
				if err != nil {
					return controlErr(err)
				}
				what := ""
				if out.Alert != "" {
					what = " on " + out.Alert
				}
				fmt.Fprintf(e.stdout, "status update posted by %s%s at %s\n", who, what, out.At.Format("15:04:05"))
				return nil
			}
		},
	}
}
