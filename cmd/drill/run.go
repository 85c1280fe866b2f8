package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/drillkit/drill/console"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/sandbox"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/timeline"
)

// featureLine is a scenario named by its place: features/x.feature:12.
var featureLine = regexp.MustCompile(`\.feature:\d+$`)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ", ") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// loadTeam finds and loads the team: --team, else drill.yaml from the
// working directory upward, else the embedded demo team (said on stderr).
// cleanup removes what loading extracted.
func loadTeam(e *env, dir string) (t *team.Team, cleanup func(), err error) {
	path, found := dir, dir != ""
	if found && !team.IsDir(dir) {
		return nil, nil, usageErrorf("--team %s: no %s there", dir, team.ConfigFile)
	}
	if !found {
		cwd, err := os.Getwd()
		if err != nil {
			return nil, nil, exitcode.With(exitcode.Harness, err)
		}
		path, found = team.Find(cwd)
	}
	cleanup = func() {}
	if !found {
		path, err = scenarios.ExtractDemo("")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(path) }
		if !sandbox.Marked() { // the drill that re-executed this one said it
			fmt.Fprintln(e.stderr, "drill: no drill.yaml here or above, and no --team: running the built-in demo team acme-ml")
		}
	}
	t, err = team.Load(path)
	if err != nil {
		cleanup()
		return nil, nil, exitcode.With(exitcode.Usage, err)
	}
	return t, cleanup, nil
}

func runCommand() *command {
	return &command{
		name:    "run",
		summary: "run drills: inject faults and score the team's alerts, escalation and runbooks",
		usage:   "[flags] [NAME... | FILE.feature[:LINE]...]",
		help: `
NAME selects the scenarios tagged @NAME (drill run cost-spike); FILE.feature
a feature file of the team; FILE.feature:LINE the scenario at LINE. The
team's features run beside drill's built-in library (--no-builtin: the
team's only). With no team (--team, or a drill.yaml in the working
directory or above), the built-in demo team acme-ml runs.

Each scenario gets its own world, a control window before its first fault,
and a verdict: passed (every step passed and every fault provably fired),
failed, inconclusive (no proof the fault fired) or error (the harness failed).
Its world is seeded from --seed and the scenario's FILE:LINE alone, so
'drill run --seed S FILE:LINE' reruns it in the same world.

--repeat N runs every scenario N times, repetition i with seed S+i-1 (S is
--seed), each in its own world (--parallel spreads over them) and judged as
any run. The summary shows, per scenario, passes out of N with a 95% Wilson
interval, the median and p90 of each timing with 95% intervals, and for each
verdict reached its seeds and the command that reruns one alone. Some
repetitions passing and some failing is the verdict flaky. Gates read them:
pass_rate_lower and pass_rate_upper (the run's Wilson bounds),
scenario_pass_rate_lower (the least sure scenario's) and flaky (a count);
see docs/ci.md.

Runbook steps run in bwrap and the whole drill world in a private network
namespace with only loopback (drill runs itself again there); where the host
refuses namespaces drill says so and runs with less (--require-isolation:
it refuses instead), and the scorecard's sandbox field says which isolation
was in force. See the README's threat model.

` + scoring.MetricsHelp(),
		exits: []exit{
			{exitcode.OK, "every drill passed and met every gate (--plan: the plan was printed)"},
			{exitcode.Failed, "a drill failed, was inconclusive or flaky, or a gate was missed (with --repeat, gates on the verdicts decide instead: all held is 0)"},
			{exitcode.Usage, "bad usage or invalid input (team files, feature files, what a drill would refuse), refused before any world starts"},
			{exitcode.Harness, "the harness itself failed (not the team), or --require-isolation could not be met (no world started)"},
			{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM): every world is torn down first; the scorecard printed is partial"},
		},
		examples: []example{
			{"drill run cost-spike", "the drills tagged @cost-spike, of the team here or above (else of the demo team)"},
			{"drill run --plan --all", "print the timeline of every scenario, and run nothing"},
			{"drill run features/cost-spike.feature:12 --speed 12 --seed 7", "the scenario at line 12, at ×12, seeded from 7"},
			{"drill run --all --gate 'pass_rate >= 0.9' --out out", "every scenario; fail unless 90% pass; write scorecard.json, junit.xml, cucumber.json and summary.md to out"},
			{"drill run --repeat 5 --gate 'pass_rate_lower >= 0.5' cost-spike", "each drill with 5 seeds: pass-rate and timing intervals, flaky drills, the seeds to rerun each outcome"},
			{"drill run --live cost-spike", "a live game day in real time: pages go to the people in the room (drill ack)"},
			{"drill run --live --console cost-spike", "the same, with the facilitator console for the shared screen: open the printed URL"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			runFn := runFlags(fs)
			return func(ctx context.Context, e *env, args []string) error { return runFn(ctx, e, args, nil) }
		},
	}
}

// runFunc runs drills; t is a team already loaded (by drill ci), or nil
// to load it from --team as drill run does.
type runFunc func(ctx context.Context, e *env, args []string, t *team.Team) error

// runFlags declares drill run's flags on fs and returns the function that
// runs with them, for drill run and drill ci alike.
func runFlags(fs *flag.FlagSet) runFunc {
	var (
		teamDir  = fs.String("team", "", "team directory holding drill.yaml (default: drill.yaml here or above, else the demo team)")
		tags     = fs.String("tags", "", "tag expression selecting scenarios, as cucumber reads it: '@cost-spike and not (@slow or @wip)'")
		all      = fs.Bool("all", false, "run every scenario of the team and of the built-in library")
		noBuilt  = fs.Bool("no-builtin", false, "leave out drill's built-in scenario library (features/builtin)")
		speed    = fs.Float64("speed", 60, "drill seconds per real second, from 0.1 to 1000 (1 for a real-time game day)")
		seed     = addSeedFlag(fs, 1, "run seed `N`: each scenario's world is seeded from it and the scenario's FILE:LINE (faults, responders, content)")
		repeat   = fs.Int("repeat", 1, fmt.Sprintf("run every scenario N times (1 to %d), with seeds --seed to --seed+N-1; reports pass-rate intervals, timing intervals and flaky scenarios", scenarios.MaxRepeat))
		parallel = fs.Int("parallel", 2, "scenarios (and repetitions) run at a time, each in its own world")
		control  = fs.Duration("control-window", 0, "drill time before the first fault; alerts in it are false alarms (default: long enough for the team's alerting rules to show noise, at least 5m)")
		out      = fs.String("out", "", "directory to write scorecard.json, junit.xml, cucumber.json and summary.md to")
		toxi     = fs.String("toxiproxy", "", "URL of an external toxiproxy API (default: embedded)")
		quiet    = fs.Bool("quiet", false, "no live timeline")
		plan     = fs.Bool("plan", false, "print the timeline each selected scenario would follow, and run nothing")
		dryRun   = fs.Bool("dry-run", false, "print the runbook commands responders would run instead of running them (drills needing the fix will fail)")
		live     = fs.Bool("live", false, "a live game day: pages go to the people in the room (acknowledge with drill ack); drill time is real time")
		_        = fs.String("history", statedir.Rel(statedir.HistoryFile), "history the run is saved in: a file, by default in the nearest .drill folder from the working directory upward, or postgres://USER:PASSWORD@HOST:PORT/DATABASE shared by many runs ('' or --no-history: not saved)")
		noHist   = fs.Bool("no-history", false, "do not save the run in the history")
		exportTo = fs.String("export", "", "after the run, export the scorecard with this exporter of "+statedir.Rel(statedir.ExportersFile))
		_        = addIsolationFlag(fs)
		shardArg = fs.String("shard", "", "run only shard `I/N` of the selection: I from 0 to N-1, N from 1 to 1000 (default: $JOB_COMPLETION_INDEX of $DRILL_SHARD_TOTAL or --shard-total, when set)")
		shardPln = fs.Bool("shard-plan", false, "balance the shards by each scenario's real duration recorded in the history (its last 20 runs of the team; longest first), not by count; every shard must read the same history (without one: by count, said on stderr)")
		shardTot = fs.Int("shard-total", 0, "the shard total `N` with $JOB_COMPLETION_INDEX as the index, where --shard is not given (default: $DRILL_SHARD_TOTAL)")
		gates    stringList
		cons     = addConsoleFlags(fs, true)
	)
	fs.Var(&gates, "gate", "a threshold `EXPR` the run must meet, e.g. 'pass_rate >= 0.9' (repeatable)")
	return func(ctx context.Context, e *env, args []string, t *team.Team) error {
		var parsed []scoring.Gate
		for _, g := range gates {
			pg, err := scoring.ParseGate(g)
			if err != nil {
				return exitcode.With(exitcode.Usage, err)
			}
			parsed = append(parsed, pg)
		}
		if err := timeline.CheckSpeed(*speed); err != nil {
			return usageErrorf("--speed: %v", err)
		}
		if *parallel < 1 {
			return usageErrorf("--parallel: want 1 or more scenarios at a time, got %d", *parallel)
		}
		controlSet := false
		fs.Visit(func(f *flag.Flag) { controlSet = controlSet || f.Name == "control-window" })
		if controlSet && *control <= 0 {
			return usageErrorf("--control-window: want a positive drill time such as 5m, got %s", *control)
		}
		if err := cons.check(fs); err != nil {
			return err
		}
		if *cons.on && !*live {
			return usageErrorf("--console goes with --live: the console is for the people in the room of a live game day (a simulated drill's timeline is in its scorecard and drill report)")
		}
		if err := scenarios.CheckRepeat(*repeat, seed.n, *live); err != nil {
			return usageErrorf("--%v", err)
		}
		if *live {
			speedSet := false
			fs.Visit(func(f *flag.Flag) { speedSet = speedSet || f.Name == "speed" })
			if speedSet && *speed != 1 {
				return usageErrorf("--live runs in real time, with people in the room: drop --speed %v", *speed)
			}
		}
		shard, err := shardOf(e, fs, *shardArg, *shardTot)
		if err != nil {
			return err
		}
		if t == nil {
			loaded, cleanup, err := loadTeam(e, *teamDir)
			if err != nil {
				return err
			}
			defer cleanup()
			t = loaded
		}
		opts := scenarios.Options{
			Team: t, Tags: *tags, All: *all, NoBuiltin: *noBuilt, Speed: *speed, Seed: seed.n, Parallel: *parallel,
			ControlWindow: *control, Toxiproxy: *toxi, Live: *live, // a plan of a live game day plans real time
			Repeat: *repeat, Rerun: rerunCommand(fs), Shard: shard,
		}
		for _, a := range args {
			if featureLine.MatchString(a) {
				opts.Only = append(opts.Only, filepath.ToSlash(a))
				continue
			}
			if strings.HasSuffix(a, ".feature") {
				opts.Paths = append(opts.Paths, a)
			} else {
				opts.Names = append(opts.Names, a)
			}
		}
		if *shardPln {
			if shard.Total == 0 {
				return usageErrorf("--shard-plan balances shards: give --shard I/N (or run as shard $JOB_COMPLETION_INDEX of $DRILL_SHARD_TOTAL)")
			}
			histPath, err := stateFile(fs, "history", statedir.HistoryFile)
			if err != nil {
				return err
			}
			if err := planShards(ctx, e, &opts, histPath, *noHist); err != nil {
				return err
			}
		}
		if *plan {
			sel, top, err := scenarios.Prepare(opts)
			if err != nil {
				return exitcode.With(exitcode.Usage, err)
			}
			if shard.Total > 0 {
				fmt.Fprintf(e.stdout, "shard %d of %d (from 0): %d of the %d selected scenarios (%s)\n\n", shard.Index, shard.Total, len(sel.Scenarios), sel.Selected, sel.Digest)
			}
			if err := scenarios.WritePlan(e.stdout, sel, top, opts); err != nil {
				return err
			}
			if *repeat > 1 {
				fmt.Fprintf(e.stdout, "\nevery scenario runs %d times, with seeds %d to %d\n", *repeat, seed.n, seed.n+int64(*repeat)-1)
			}
			return nil
		}
		iso := e.iso
		if iso == nil { // drill run; drill ci settled it first
			got, handled, err := isolate(ctx, e, fs, t)
			if handled || err != nil {
				return err
			}
			iso = &got
		}
		histPath, err := stateFile(fs, "history", statedir.HistoryFile)
		if err != nil {
			return err
		}
		rec, err := newRecorder(e, histPath, *noHist, *exportTo)
		if err != nil {
			return err
		}
		if !*quiet && isTerminal(e.stdout) {
			opts.Timeline = e.stdout
		}
		if *dryRun {
			opts.DryRun = e.stdout
		}
		if *live {
			sd, err := statedir.Getwd()
			if err != nil {
				return exitcode.With(exitcode.Harness, err)
			}
			opts.Live, opts.Pager, opts.LiveDir, opts.Timeline = true, e.stdout, sd.Root(), e.stdout
		}
		if *out != "" {
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return exitcode.With(exitcode.Usage, fmt.Errorf("--out: %w", err))
			}
			opts.CucumberJSON = filepath.Join(*out, "cucumber.json")
		}
		if err := iso.check(e, fs); err != nil {
			return err
		}
		srv, err := cons.open(e, strings.TrimSpace("run --live "+strings.Join(args, " ")), t, console.Options{})
		if err != nil {
			return err
		}
		if srv != nil {
			defer srv.Close()
			opts.Console = srv
		}
		card, err := scenarios.Run(ctx, opts)
		if srv != nil {
			defer cons.finish(ctx, e, srv, card, err)
		}
		if card == nil {
			return err // bad input carries exitcode.Usage
		}
		recordIsolation(card, *iso)
		if err != nil {
			card.Interrupted = true // partial: history keeps it as such, reports leave it out
		}
		var results []scoring.GateResult
		for _, g := range parsed {
			results = append(results, g.Check(card.Summary))
		}
		fmt.Fprintln(e.stdout)
		if werr := scoring.WriteText(e.stdout, card, results); werr != nil {
			return werr
		}
		rec.record(ctx, e, card) // warns on failure; never changes the exit code
		if *out != "" {
			if werr := writeOutputs(*out, card, results); werr != nil {
				// The run is in the history; what CI asked for is not there.
				return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", *out, werr))
			}
			fmt.Fprintf(e.stdout, "\nscorecard written to %s\n", *out)
		}
		if err != nil {
			// Ctrl-C: every world is torn down; what ran is above.
			return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted (%v): the scorecard above is partial", err))
		}
		if code := card.GatedExitCode(parsed, results); code != exitcode.OK {
			return exitcode.Silent(code)
		}
		return nil
	}
}

// shardOf is the run's shard: --shard I/N, else $JOB_COMPLETION_INDEX
// (a Kubernetes Indexed Job's pod index, from 0) of --shard-total or
// $DRILL_SHARD_TOTAL; none (a zero Total) when neither is given.
func shardOf(e *env, fs *flag.FlagSet, arg string, total int) (scenarios.Shard, error) {
	totalSet := false
	fs.Visit(func(f *flag.Flag) { totalSet = totalSet || f.Name == "shard-total" })
	if arg != "" {
		if totalSet {
			return scenarios.Shard{}, usageErrorf("--shard-total goes with $JOB_COMPLETION_INDEX; --shard %s names the total already", arg)
		}
		sh, err := scenarios.ParseShard(arg)
		if err != nil {
			return sh, usageErrorf("--shard %v", err)
		}
		return sh, nil
	}
	getenv := e.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	index, envTotal := getenv("JOB_COMPLETION_INDEX"), getenv("DRILL_SHARD_TOTAL")
	how := "--shard-total"
	if !totalSet && envTotal != "" {
		n, err := strconv.Atoi(strings.TrimSpace(envTotal))
		if err != nil {
			return scenarios.Shard{}, usageErrorf("$DRILL_SHARD_TOTAL=%q: want the shard total, a whole number from 1 to %d", envTotal, scenarios.MaxShards)
		}
		total, totalSet, how = n, true, "$DRILL_SHARD_TOTAL"
	}
	switch {
	case index == "" && !totalSet:
		return scenarios.Shard{}, nil
	case index == "":
		return scenarios.Shard{}, usageErrorf("%s %d is set and $JOB_COMPLETION_INDEX is not: give the shard as --shard I/N, or run in a Kubernetes Indexed Job", how, total)
	case !totalSet:
		return scenarios.Shard{}, usageErrorf("$JOB_COMPLETION_INDEX=%s is set (a Kubernetes Indexed Job) and no shard total is: set $DRILL_SHARD_TOTAL or --shard-total to the Job's completions, or give --shard I/N", index)
	}
	i, err := strconv.Atoi(strings.TrimSpace(index))
	if err != nil {
		return scenarios.Shard{}, usageErrorf("$JOB_COMPLETION_INDEX=%q: want the shard index, a whole number from 0", index)
	}
	sh := scenarios.Shard{Index: i, Total: total}
	if err := sh.Check(); err != nil {
		return sh, usageErrorf("$JOB_COMPLETION_INDEX=%s with %s %d: %v", index, how, total, err)
	}
	return sh, nil
}

// rerunCommand is the command that reruns one scenario of this run alone,
// before the --seed and FILE:LINE each repetition adds: drill run with
// the flags given that change a drill's world or outcome.
func rerunCommand(fs *flag.FlagSet) string {
	args := []string{"drill", "run"}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "team", "control-window", "toxiproxy":
			args = append(args, "--"+f.Name, shellQuote(f.Value.String()))
		case "dry-run":
			if f.Value.String() == "true" {
				args = append(args, "--dry-run")
			}
		}
	})
	return strings.Join(append(args, "--speed", fs.Lookup("speed").Value.String()), " ")
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./:=@%+,.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func writeOutputs(dir string, card *scoring.Scorecard, gates []scoring.GateResult) error {
	write := func(name string, f func(*os.File) error) error {
		fh, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := f(fh); err != nil {
			fh.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		return fh.Close()
	}
	return errors.Join(
		write("scorecard.json", func(f *os.File) error { return scoring.WriteJSON(f, card) }),
		write("junit.xml", func(f *os.File) error { return scoring.WriteJUnit(f, card) }),
		write("summary.md", func(f *os.File) error { return scoring.WriteMarkdown(f, card, gates) }),
	)
}

// isTerminal reports whether w is a character device: the live timeline
// is for people, not for logs.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
