package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/drillkit/drill/console"
	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/report"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

// consoleFlags are --console, --console-addr and --console-keep, for
// drill run --live and drill up.
type consoleFlags struct {
	on   *bool
	addr *string
	keep *time.Duration
}

func addConsoleFlags(fs *flag.FlagSet, keep bool) consoleFlags {
	c := consoleFlags{
		on:   fs.Bool("console", false, "serve the facilitator console: a web page of the drill's timeline to put on the shared screen, acting through the same control API as the CLI (its URL, with the run's token, is printed)"),
		addr: fs.String("console-addr", "127.0.0.1:0", "`ADDR` the console listens on; anything but loopback lets whoever reaches it with the printed URL act in the drill"),
	}
	if keep {
		c.keep = fs.Duration("console-keep", 15*time.Minute, "how long the console keeps serving the scorecard and the HTML report after the drill ends (Ctrl-C ends it sooner; 0: not at all)")
	}
	return c
}

// check refuses console flags that cannot work, before anything starts.
func (c consoleFlags) check(fs *flag.FlagSet) error {
	if c.keep != nil && *c.keep < 0 {
		return usageErrorf("--console-keep: want a duration of 0 or more, got %s", *c.keep)
	}
	if !*c.on {
		var set []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "console-addr" || f.Name == "console-keep" {
				set = append(set, "--"+f.Name)
			}
		})
		if len(set) > 0 {
			return usageErrorf("%s goes with --console", strings.Join(set, " and "))
		}
	}
	return nil
}

// open starts the console for t (its users and roles), or returns nil
// when --console is off.
func (c consoleFlags) open(e *env, title string, t *team.Team, opt console.Options) (*console.Server, error) {
	if !*c.on {
		return nil, nil
	}
	opt.Addr, opt.Title = *c.addr, title
	if t != nil && t.Escalation != nil {
		for _, u := range t.Escalation.Users {
			opt.Users = append(opt.Users, u.ID)
		}
		for _, r := range t.Escalation.Roles {
			opt.Roles = append(opt.Roles, r.ID)
		}
	}
	srv, err := console.Open(opt)
	if err != nil {
		return nil, usageErrorf("--console-addr %s: %v", *c.addr, err)
	}
	fmt.Fprintf(e.stdout, "console: %s\n", srv.URL())
	if !srv.Loopback() {
		fmt.Fprintf(e.stderr, "drill: warning: the console listens on %s, not loopback: anyone who reaches it with the URL above can acknowledge, mark runbook steps and post notes\n", *c.addr)
	}
	return srv, nil
}

// finish ends the console's run with the scorecard and its HTML report,
// and keeps serving them for --console-keep or until ctx ends.
func (c consoleFlags) finish(ctx context.Context, e *env, srv *console.Server, card *scoring.Scorecard, runErr error) {
	var html []byte
	if card != nil {
		if rep, err := report.Build([]*scoring.Scorecard{card}, report.DefaultOptions()); err == nil {
			var b bytes.Buffer
			if report.WriteHTML(&b, rep) == nil {
				html = b.Bytes()
			}
		}
	}
	srv.Finish(card, html, runErr)
	if c.keep == nil || *c.keep == 0 || ctx.Err() != nil {
		return
	}
	fmt.Fprintf(e.stdout, "\nthe console shows the scorecard and the HTML report at %s for %s (Ctrl-C ends it)\n", srv.URL(), *c.keep)
	t := time.NewTimer(*c.keep)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// faultKinds is the catalog as the console's inject form offers it.
func faultKinds() []console.FaultKind {
	var out []console.FaultKind
	for _, k := range faults.Kinds() {
		fk := console.FaultKind{Name: k.Name, Summary: k.Summary}
		for _, p := range k.Params {
			fk.Params = append(fk.Params, p.Name)
		}
		out = append(out, fk)
	}
	return out
}
