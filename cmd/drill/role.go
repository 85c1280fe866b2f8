package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

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
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			url := fs.String("url", "", "base URL of the live drill's endpoint (default: from .drill/live.json)")
			user := fs.String("user", "", "who claims the role (default: $DRILL_USER, else $USER)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 || args[0] != "claim" {
					return usageErrorf("usage: drill role claim ROLE [--user ID]")
				}
				base, who, err := liveTarget(*url, *user, e)
				if err != nil {
					return err
				}
				var out response.RoleClaim
				if err := postLive(ctx, base, "/roles/claim", response.RoleClaimRequest{User: who, Role: args[1]}, &out); err != nil {
					return err
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

// liveTarget resolves the live endpoint and the acting user, as drill ack
// does.
func liveTarget(url, user string, e *env) (base, who string, err error) {
	base = url
	if base == "" {
		if base, err = findLiveURL(); err != nil {
			return "", "", withCode(exitUsage, err)
		}
	}
	who = user
	for _, v := range []string{"DRILL_USER", "USER"} {
		if who == "" {
			who = e.getenv(v)
		}
	}
	if who == "" {
		return "", "", usageErrorf("who is it? pass --user ID (or set DRILL_USER)")
	}
	return strings.TrimRight(base, "/"), who, nil
}

// postLive posts a JSON body to the live endpoint and decodes the answer
// into out. 404 exits 1 (nothing to act on); 400 is a usage error.
func postLive(ctx context.Context, base, path string, body, out any) error {
	b, _ := json.Marshal(body)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(b))
	if err != nil {
		return usageErrorf("bad --url %q: %v", base, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(hr)
	if err != nil {
		return fmt.Errorf("cannot reach the live drill at %s (is it still running?): %w", base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("unexpected answer from %s: %s", base, data)
		}
		return nil
	case http.StatusNotFound:
		return withCode(exitFailed, errors.New(serverError(data)))
	case http.StatusBadRequest:
		return usageErrorf("%s", serverError(data))
	}
	return fmt.Errorf("live drill answered %s: %s", resp.Status, serverError(data))
}
