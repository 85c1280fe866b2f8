package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/console"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/timeline"
)

func upCommand() *command {
	return &command{
		name:    "up",
		summary: "start one testbed for a manual game day and serve a control API for inject and clear",
		usage:   "[--team DIR] [--toxiproxy URL] [--no-traffic] [--seed N] [--console] [--incident-addr ADDR]",
		help: `
Starts the team's world from drill.yaml (providers, stubs, service under
test, traffic), every upstream behind its own toxiproxy proxy, and prints
every endpoint. Then it serves a small control API on loopback, whose URL it
writes to .drill/up.json (in the nearest .drill folder from the working
directory upward, else in the working directory), for 'drill inject' and
'drill clear' run from there or below. Runs until interrupted (Ctrl-C),
then tears everything down; a crash of the service under test ends it. It
also serves an incident-service stub in GitLab's GraphQL shape, to
rehearse 'drill export' against (its URL is printed; GET /_drill/requests
lists what it received, credentials redacted), on the port it had for the
team last time while that is free (or --incident-addr), and writes the
exporter drill-stub for it to .drill/exporters.yaml, so that 'drill export
latest --to drill-stub' works as it is. Every fault going on or off is
printed as it happens. --console serves the facilitator console, whose
inject form and clear button call the same control API as drill inject
and drill clear. One drill up runs per .drill folder.`,
		exits: []exit{
			{exitcode.OK, "interrupted (Ctrl-C or SIGTERM) and torn down"},
			{exitcode.Usage, "bad usage, invalid team files, or a drill up already running for this .drill folder"},
			{exitcode.Harness, "the world could not start or tear down, or the service under test crashed"},
		},
		examples: []example{
			{"drill up", "start the world of the drill.yaml here or above, with its traffic"},
			{"drill up --team ops --no-traffic --seed 7", "start the world of ops/drill.yaml, quiet, with its mocks seeded from 7"},
			{"drill up --console", "start the world and serve the facilitator console; its URL carries the run's token"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			dir := fs.String("team", "", "team directory holding drill.yaml (default: drill.yaml here or above)")
			toxi := fs.String("toxiproxy", "", "use the toxiproxy server at this API URL instead of the embedded one")
			noTraffic := fs.Bool("no-traffic", false, "do not start the topology's traffic")
			seed := addSeedFlag(fs, 0, "seed `N` of the mocks and stubs (default: the topology's seeds)")
			cons := addConsoleFlags(fs, false)
			incAddr := fs.String("incident-addr", "", "`ADDR` of the incident-service stub (default: the port it had for this team last time, while free)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("up takes no arguments, got %q", strings.Join(args, " "))
				}
				if err := cons.check(fs); err != nil {
					return err
				}
				return runUp(ctx, e, *dir, *toxi, *noTraffic, uint64(seed.n), cons, *incAddr)
			}
		},
	}
}

func runUp(ctx context.Context, e *env, dir, toxi string, noTraffic bool, seed uint64, cons consoleFlags, incidentAddr string) error {
	t, cleanup, err := loadTeam(e, dir)
	if err != nil {
		return err
	}
	defer cleanup()
	top, err := scenarios.Validate(t)
	if err != nil {
		return exitcode.With(exitcode.Usage, err)
	}
	sd, err := statedir.Getwd()
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	start := time.Now()
	up, err := testbed.StartUp(ctx, top, testbed.Options{Dir: t.Dir, TrafficOff: noTraffic, Seed: seed, Toxiproxy: toxi}, sd.Up(), t.Dir)
	if errors.Is(err, testbed.ErrUpRunning) {
		return exitcode.With(exitcode.Usage, err)
	}
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	defer up.Close()

	printEndpoints(e.stdout, up, time.Since(start))
	tb := up.Testbed()
	// Every fault injected or cleared and every alert state change, as
	// drill run prints its timeline.
	stopTimeline := printTimeline(e.stdout, tb.Events())
	defer stopTimeline()
	if err := up.WatchAlerts(scenarios.RuleFiles(t), nil); err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	srv, err := cons.open(e, "up "+t.Config.Team.ID, t, console.Options{Control: tb.ControlHandler(), Faults: faultKinds()})
	if err != nil {
		return err
	}
	if srv != nil {
		defer srv.Close()
		srv.Attach(tb.Events(), nil, func(ctx context.Context) (map[string]int64, error) {
			out := map[string]int64{}
			for _, ev := range tb.Evidence(ctx) {
				out[ev.ID] = ev.Affected
			}
			return out, nil
		})
	}
	// An incident-service stub (GitLab's GraphQL shape) for demos of
	// drill export against this game day: it validates and records what
	// it receives.
	stub, err := openIncidentStub(incidentAddr, t.Config.Team.ID, sd.Exporters())
	switch {
	case err != nil && incidentAddr != "":
		return exitcode.With(exitcode.Usage, err)
	case err != nil:
		fmt.Fprintf(e.stderr, "drill up: warning: no incident-service stub: %v\n", err)
	default:
		defer stub.Close()
		fmt.Fprintf(e.stdout, "incident-service stub (GitLab GraphQL): %s (recorded requests: GET %s)\n",
			stub.URL(), strings.TrimSuffix(stub.URL(), "/graphql")+"/_drill/requests")
		if err := writeStubExporter(sd.Exporters(), stub.URL()); err != nil {
			fmt.Fprintf(e.stderr, "drill up: warning: %v\n", err)
		} else {
			fmt.Fprintf(e.stdout, "exporter %s written to %s: drill export latest --to %s\n", stubExporter, sd.Exporters(), stubExporter)
		}
	}
	select {
	case <-ctx.Done():
		if srv != nil {
			srv.Finish(nil, nil, nil)
		}
		stopTimeline()
		fmt.Fprintln(e.stdout, "tearing down")
		if err := up.Close(); err != nil {
			return exitcode.With(exitcode.Harness, err)
		}
		return nil
	case err := <-up.Testbed().Err():
		return exitcode.With(exitcode.Harness, err)
	}
}

func printEndpoints(w io.Writer, up *testbed.Up, took time.Duration) {
	tb := up.Testbed()
	e := tb.Endpoints()
	fmt.Fprintf(w, "testbed up in %s\n\n", took.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "service (%s)\t%s\n", e.Service.Form, e.Service.URL)
	if e.Service.Admin != "" {
		fmt.Fprintf(tw, "  admin\t%s\n", e.Service.Admin)
	}
	for _, kind := range []struct {
		what string
		m    map[string]testbed.Upstream
	}{{"provider", e.Providers}, {"stub", e.Stubs}} {
		names := make([]string, 0, len(kind.m))
		for n := range kind.m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			u := kind.m[n]
			fmt.Fprintf(tw, "%s %s\t%s (proxied; direct %s)\n", kind.what, n, u.URL, u.Direct)
			if kind.what == "provider" {
				for _, l := range sdkLines(u.URL, u.Surfaces, u.Deployments) {
					fmt.Fprintln(tw, l)
				}
			}
		}
	}
	fmt.Fprintf(tw, "toxiproxy API\t%s\n", e.Toxiproxy.URL)
	for _, m := range tb.MetricsTargets() {
		fmt.Fprintf(tw, "metrics %s\t%s\n", m.Name, m.URL)
	}
	fmt.Fprintf(tw, "control API\t%s (written to %s)\n", up.ControlURL(), up.StateFile())
	tw.Flush()
	fmt.Fprint(w, "\nInject faults with 'drill inject FAULT [key=value ...] [--target NAME] [--for 2m]' and\nremove them with 'drill clear', from this directory or below. 'drill faults' lists the kinds.\nCtrl-C tears everything down.\n")
}

func injectCommand() *command {
	return &command{
		name:    "inject",
		summary: "inject a fault into the testbed of a running 'drill up'",
		usage:   "FAULT [key=value ...] [--target NAME] [--for 2m] [--after 30s]",
		help: `
FAULT is a kind of the catalog ('drill faults' lists kinds and parameters).
--target names a provider or stub (network kinds act on its proxy); without
it, provider and network kinds hit the first provider and stub kinds the
first stub. The fault lasts --for, or until 'drill clear'.`,
		exits: []exit{
			{exitcode.OK, "the fault is on, or scheduled to start (--after)"},
			{exitcode.Usage, "bad usage, no drill up recorded in .drill/ here or above, or a fault drill up refuses (an unknown kind, target or parameter: its message says which)"},
			{exitcode.Harness, "drill up's control API cannot be reached or fails, or its state file is damaged"},
		},
		examples: []example{
			{"drill inject latency latency=2000 --target primary --for 2m", "delay every response chunk from the provider primary by 2 s, for two minutes"},
			{"drill inject stub-error status=503 probability=0.5 --target search --after 30s", "in 30 s, fail half the requests to the stub search with 503, until drill clear"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			target := fs.String("target", "", "provider or stub to hit")
			dur := fs.String("for", "", "how long the fault lasts (default: until drill clear)")
			after := fs.String("after", "", "start the fault after this long")
			return func(ctx context.Context, e *env, pos []string) error {
				if len(pos) == 0 {
					return usageErrorf("name a fault kind; 'drill faults' lists them")
				}
				req := testbed.InjectRequest{Kind: pos[0], Target: *target, For: *dur, After: *after, Params: map[string]string{}}
				for _, kv := range pos[1:] {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return usageErrorf("parameter %q: want key=value", kv)
					}
					req.Params[k] = v
				}
				c, err := upClient()
				if err != nil {
					return err
				}
				out, err := c.Inject(ctx, req)
				if err != nil {
					return controlErr(err)
				}
				when := ""
				if req.After != "" {
					when += ", starting in " + req.After
				}
				if req.For != "" {
					when += ", for " + req.For
				} else {
					when += ", until drill clear"
				}
				fmt.Fprintf(e.stdout, "%s on %s: %s%s\n", out.ID, out.Target, out.Spec, when)
				return nil
			}
		},
	}
}

func clearCommand() *command {
	return &command{
		name:    "clear",
		summary: "remove every fault from the testbed of a running 'drill up' and show their evidence",
		help: `Removes every fault injected since 'drill up' started, including those
scheduled (--after) and not yet on, and prints each fault's evidence: the
requests or connections it affected, and who counted them. drill up is
found through .drill/up.json, from the working directory upward.`,
		exits: []exit{
			{exitcode.OK, "every fault is off; their evidence is printed"},
			{exitcode.Usage, "bad usage, or no drill up recorded in .drill/ here or above"},
			{exitcode.Harness, "drill up's control API cannot be reached, fails, or could not remove a fault (its evidence is still printed)"},
		},
		examples: []example{{"drill clear", "remove every fault and show what each one affected"}},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("clear takes no arguments")
				}
				c, err := upClient()
				if err != nil {
					return err
				}
				out, err := c.Clear(ctx)
				if err != nil {
					return controlErr(err)
				}
				if len(out.Evidence) == 0 {
					fmt.Fprintln(e.stdout, "no faults were injected")
				} else {
					fmt.Fprintln(e.stdout, "every fault is off; evidence of each fault injected since drill up started:")
				}
				tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
				for _, ev := range out.Evidence {
					fmt.Fprintf(tw, "%s\t%s\taffected %d (%s)\n", ev.ID, ev.Target, ev.Affected, ev.Source)
				}
				tw.Flush()
				if out.Error != "" {
					return exitcode.With(exitcode.Harness, errors.New(out.Error))
				}
				return nil
			}
		},
	}
}

// printTimeline prints every event of log from now on, one line each with
// its drill-time offset from now, until the returned stop is called (safe
// twice).
func printTimeline(w io.Writer, log *timeline.Log) (stop func()) {
	start := log.Clock().Now()
	f := log.Follow()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	print := func(evs []timeline.Event) {
		for _, ev := range evs {
			fmt.Fprintf(w, "%s %s\n", scoring.Offset(ev.At.Sub(start)), ev.Describe())
		}
	}
	go func() {
		defer close(done)
		for {
			evs, err := f.Next(ctx)
			if err != nil {
				return
			}
			print(evs)
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

// sdkLines tell, for each surface a provider at base serves (nil: all),
// the base URL its SDK takes and the variable the official SDKs read it
// from, for a tabwriter; deployments are Azure's, name to model.
func sdkLines(base string, surfaces []string, deployments map[string]string) []string {
	var out []string
	for _, b := range mockllm.BaseURLs(base, surfaces) {
		out = append(out, fmt.Sprintf("  %s SDK\t%s=%s", b.Surface, b.Env, b.URL))
		if b.Surface == mockllm.SurfaceAzure && len(deployments) > 0 {
			var ds []string
			for _, d := range slices.Sorted(maps.Keys(deployments)) {
				ds = append(ds, d+" ("+deployments[d]+")")
			}
			out = append(out, "  azure deployments\t"+strings.Join(ds, ", "))
		}
	}
	return out
}
