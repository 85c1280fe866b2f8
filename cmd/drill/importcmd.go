package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/drillkit/drill/importer/pagerduty"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/teamfile"
	"github.com/drillkit/drill/team"
)

func importCommand() *command {
	return &command{
		name:    "import",
		summary: "import a team's PagerDuty export as escalation files",
		usage:   "pagerduty [--out FILE] [--force] [--now TIME] FILE...",
		help: `Reads saved PagerDuty REST API v2 responses (GET /users with
include[]=contact_methods and include[]=notification_rules, GET
/schedules/{id}, GET /escalation_policies, optionally GET /teams and GET
/services; one or many files, each at most 16 MiB) and writes one drill
escalation file: users, teams, schedules, policies, and a route per
service (match: {service: ID}). Everything drill cannot represent is a
warning, printed and kept in the file's header comment with the files it
came from and when. An existing file is never overwritten without --force.
A GET /schedules/{id} saved with since and until also carries
overrides_subschedule (imported, but for those ended before --now) and
final_schedule, PagerDuty's own answer of who is on call: the import
asks drill who is on call in the written file for every minute of it
from --now on and warns, naming the schedule and the window, wherever
they disagree. Run drill lint afterwards. See docs/escalation.md,
"Importing from PagerDuty".`,
		exits: []exit{
			{exitcode.OK, "the file was written (warnings, if any, are printed and in its header)"},
			{exitcode.Usage, "bad usage, an input file that cannot be read or is no PagerDuty response (named with its JSON path), or an output file that exists without --force"},
			{exitcode.Harness, "the output file cannot be written, or drill cannot read back the file it would write"},
		},
		examples: []example{
			{"drill import pagerduty users.json schedule-primary.json escalation_policies.json", "write escalation/pagerduty.yaml"},
			{"drill import pagerduty --out escalation/ml-platform.yaml --force users.json schedule-primary.json escalation_policies.json services.json", "replace an earlier import, with a route per service"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			out := fs.String("out", filepath.Join("escalation", "pagerduty.yaml"), "the drill escalation file to write")
			force := fs.Bool("force", false, "overwrite --out if it exists")
			now := fs.String("now", "", "the import's time, YYYY-MM-DD or RFC 3339: layers that ended before it are left out, and the header says it (default: now)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 || args[0] != "pagerduty" {
					return usageErrorf("usage: drill import pagerduty [--out FILE] [--force] FILE...; pagerduty is the one source drill imports")
				}
				if len(args) == 1 {
					return usageErrorf("import pagerduty needs the saved API responses: drill import pagerduty users.json schedule.json escalation_policies.json")
				}
				at := time.Now()
				if *now != "" {
					t, err := parseNow(*now)
					if err != nil {
						return usageErrorf("--now: %v", err)
					}
					at = t
				}
				var in []pagerduty.Input
				for _, name := range args[1:] {
					data, err := teamfile.ReadFile(name, name, pagerduty.MaxFileBytes)
					if err != nil {
						return exitcode.With(exitcode.Usage, err)
					}
					in = append(in, pagerduty.Input{Name: name, Data: data})
				}
				res, err := pagerduty.Convert(in, at)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				check, err := res.Verify(func(data []byte) (pagerduty.OnCallFunc, error) {
					esc, err := team.ParseStandalone(*out, data)
					if err != nil {
						return nil, err
					}
					return esc.OnCall, nil
				})
				if err != nil {
					return exitcode.With(exitcode.Harness, err)
				}
				data, err := res.Render(at)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				if err := writeNew(*out, data, *force); err != nil {
					return err
				}
				for _, w := range res.Warnings {
					fmt.Fprintf(e.stderr, "warning: %s\n", w)
				}
				fmt.Fprintf(e.stdout, "wrote %s: %d users, %d teams, %d schedules, %d policies, %d routes, %d warnings; check it with drill lint\n",
					*out, len(res.Users), len(res.Teams), len(res.Schedules), len(res.Policies), len(res.Routes), len(res.Warnings))
				if check.Schedules == 0 {
					fmt.Fprintln(e.stdout, "not checked against PagerDuty: no schedule had a final_schedule (save GET /schedules/{id} with since and until)")
				} else {
					fmt.Fprintf(e.stdout, "checked against PagerDuty's final_schedule: %d schedules, %d entries, %d minutes from --now on, %d disagreements, %d schedules with their layer order corrected\n",
						check.Schedules, check.Entries, check.Minutes, check.Disagreements, len(check.Reordered))
				}
				return nil
			}
		},
	}
}

// writeNew writes data to name, creating its directory; an existing file
// is refused unless force.
func writeNew(name string, data []byte, force bool) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", name, err))
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return usageErrorf("--out %s exists; expected a new file (--force overwrites it)", name)
	}
	if err != nil {
		return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", name, err))
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", name, err))
	}
	if err := f.Close(); err != nil {
		return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", name, err))
	}
	return nil
}
