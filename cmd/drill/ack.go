package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
)

func ackCommand() *command {
	return &command{
		name:    "ack",
		summary: "acknowledge a page of a live drill",
		usage:   "[--url URL] [--user ID] [--list] [ALERT]",
		help: `During a live drill (drill run --live) pages go to the people in the room.
drill ack acknowledges them on the drill's loopback endpoint, found in
.drill/live.json (searched from the working directory upward) unless --url
names it. Without ALERT every open page is acknowledged. --list shows the
pages instead.`,
		exits: []exit{
			{exitcode.OK, "the pages were acknowledged, or listed"},
			{exitcode.Usage, "bad usage, no live drill recorded in .drill/ here or above, or nothing to acknowledge (no open page, or none for ALERT)"},
			{exitcode.Harness, "the live drill's endpoint cannot be reached, fails, or its state file is damaged"},
		},
		examples: []example{
			{"drill ack", "acknowledge every open page, as $DRILL_USER (else $USER)"},
			{"drill ack --list", "show the open pages and who was paged"},
			{"drill ack LLMSpendSpike --user alice", "acknowledge the page of one alert, as alice"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			url := fs.String("url", "", "base URL of the live drill's endpoint (default: from .drill/live.json)")
			user := fs.String("user", "", "who acknowledges (default: $DRILL_USER, else $USER)")
			list := fs.Bool("list", false, "list the pages instead of acknowledging")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 1 {
					return usageErrorf("ack takes at most one alert name, got %d arguments", len(args))
				}
				c, err := liveClient(*url)
				if err != nil {
					return err
				}
				if *list {
					pages, err := c.Pages(ctx)
					if err != nil {
						return controlErr(err)
					}
					return writePages(e.stdout, pages)
				}
				who, err := actingUser(*user, e)
				if err != nil {
					return err
				}
				alert := ""
				if len(args) == 1 {
					alert = args[0]
				}
				ar, err := c.Ack(ctx, response.AckRequest{User: who, Alert: alert})
				if err != nil {
					return controlErr(err)
				}
				what := "every open page"
				if alert != "" {
					what = alert
				}
				fmt.Fprintf(e.stdout, "acknowledged %s as %s (%d incident(s))\n", what, who, ar.Acked)
				return nil
			}
		},
	}
}

func writePages(out io.Writer, pages []response.Page) error {
	if len(pages) == 0 {
		fmt.Fprintln(out, "no pages yet")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "AT\tALERT\tUSER\tPOLICY\tRULE\tACKED BY")
	for _, p := range pages {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", p.At.Format("15:04:05"), p.Alert, p.User, p.Policy, p.Rule, p.AckedBy)
	}
	return tw.Flush()
}
