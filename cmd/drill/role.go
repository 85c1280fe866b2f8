package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/response"
)

func roleCommand() *command {
	return &command{
		name:    "role",
		summary: "claim an incident role in a live drill",
		usage:   "claim ROLE [--url URL] [--user ID]",
		help: `During a live drill (drill run --live) people claim incident roles
(incident_commander, operations_lead, ... as the team's escalation roles:
define them). The claim goes to the drill's loopback endpoint, found in
.drill/live.json (searched from the working directory upward) unless --url
names it, and lands on the timeline for the most recent open incident.
Claiming a role someone else holds is a handover; holding two roles that
exclude each other is accepted and recorded as a gap in the scorecard.`,
		exits: []exit{
			{exitcode.OK, "the role was claimed (or handed over)"},
			{exitcode.Usage, "bad usage, no live drill recorded in .drill/ here or above, or a claim the drill refuses (a role or user the escalation files do not define)"},
			{exitcode.Harness, "the live drill's endpoint cannot be reached, fails, or its state file is damaged"},
		},
		examples: []example{
			{"drill role claim incident_commander", "claim the incident commander role, as $DRILL_USER (else $USER)"},
			{"drill role claim operations_lead --user bob", "claim the operations lead role for bob"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			url := fs.String("url", "", "base URL of the live drill's endpoint (default: from .drill/live.json)")
			user := fs.String("user", "", "who claims the role (default: $DRILL_USER, else $USER)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 || args[0] != "claim" {
					return usageErrorf("usage: drill role claim ROLE [--user ID]")
				}
				c, err := liveClient(*url)
				if err != nil {
					return err
				}
				who, err := actingUser(*user, e)
				if err != nil {
					return err
				}
				out, err := c.ClaimRole(ctx, response.RoleClaimRequest{User: who, Role: args[1]})
				if err != nil {
					return controlErr(err)
				}
				if out.Already {
					fmt.Fprintf(e.stdout, "%s already holds %s\n", out.User, out.Role)
					return nil
				}
				msg := fmt.Sprintf("%s claims %s", out.User, out.Role)
				if out.Alert != "" {
					msg += " for " + out.Alert
				}
				if out.Previous != "" {
					msg += " (handed over from " + out.Previous + ")"
				}
				fmt.Fprintln(e.stdout, msg)
				if len(out.Conflict) > 0 {
					fmt.Fprintf(e.stderr, "warning: %s also holds %s, which should be held by someone else\n", out.User, strings.Join(out.Conflict, ", "))
				}
				return nil
			}
		},
	}
}
