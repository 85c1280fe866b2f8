package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/mutate"
	"github.com/drillkit/drill/timeline"
)

func mutateCommand() *command {
	return &command{
		name:    "mutate",
		summary: "do the drills notice a broken plan? run them against mutants of the team's files",
		usage:   "[flags] [FILE | DIR/ | MUTANT-ID...]",
		help: `
Makes mutants of the team's own files, one small explained change each, in
a temporary copy of the team directory (removed afterwards, on Ctrl-C too):

  alert rules  threshold ×10 and ×0.1, comparison flipped, for: ×5, a
               selector's label value or metric name changed, a range
               window shortened (×¼) or lengthened (×4), the rule removed
  runbooks     a mitigation step removed or its command made a no-op
               (true), the verification steps removed, steps reordered
  escalation   a level removed, a target replaced by an inactive user, a
               user's notification rules delayed past the escalation, a
               route removed, a schedule layer restricted to leave a gap
               at drill time
  drill.yaml   an endpoint variable pointed at a wrong path

It first runs the drills the mutants' files touch on the unchanged plan
(the baseline), then, for each mutant, the drills its file touches (the
same impact analysis as drill ci) that passed on the baseline, one at a
time, the shortest first. A mutant is killed when one of them fails or is
inconclusive, fails again on a second run of the mutant, and passes twice
more on the unchanged plan (a drill that does not is flaky at this speed:
it judges no mutant, and the report names it). A mutant survives when
every such drill passes again; for each survivor the report says what the
drills fail to check and the step that would have caught it. A mutant lint refuses (an
error the unchanged team does not have) is invalid and not counted. A
mutant is equivalent, left out and never run, when its change prints as
the original (a threshold of 0 scaled), or when it changes an alert or
recording rule and the mutated rules, replayed over the metrics each
baseline drill it would run recorded at the instants that drill
evaluated, give the same alert transitions, recorded values and rule
errors as the unchanged rules: equivalence for those drills' traffic
only, listed with the reason. The mutation score is killed / (killed +
survived), per file, per family and overall.

Arguments keep the mutants of a file, of a directory (runbooks/) or with
an ID (as the report prints them). --mutants N samples N of them with
--seed: the same seed gives the same mutants, and, as far as the drills
are deterministic, the same verdicts. --shard I/N runs every N-th mutant
from I of the sample. --plan lists the mutants and the real time their
drills take by the scenarios' plans, and runs nothing.

Gates take the run's metrics mutation_score (a fraction), survived, killed
and invalid, with drill run's syntax: --gate 'mutation_score >= 0.8'. The
run is saved in the history; drill report shows the score's trend.`,
		exits: []exit{
			{exitcode.OK, "the report was printed and every gate held (--plan: the plan was printed)"},
			{exitcode.Failed, "a gate was missed"},
			{exitcode.Usage, "bad usage or invalid team files, refused before any world starts"},
			{exitcode.Lint, "the unchanged team has lint errors: a mutant is judged against a valid plan; no drill ran"},
			{exitcode.Harness, "the harness itself failed, or --require-isolation could not be met (no world started)"},
			{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM): every world is torn down and every copy removed; the report printed is partial"},
		},
		examples: []example{
			{"drill mutate --plan", "list every mutant of the team's files and the real time their drills take"},
			{"drill mutate --mutants 20 --seed 7 --gate 'mutation_score >= 0.8'", "20 mutants sampled with seed 7; fail unless the drills kill 80% of those counted"},
			{"drill mutate runbooks/ --format md --out mutate.md", "the runbooks' mutants only; the report as Markdown for a pull request"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var (
				teamDir  = fs.String("team", "", "team directory holding drill.yaml (default: drill.yaml here or above, else the demo team)")
				mutants  = fs.String("mutants", "all", "how many mutants to run: `N` sampled with --seed, or all")
				seed     = addSeedFlag(fs, 1, "seed `N` of the sample and of every drill's world")
				speed    = fs.Float64("speed", 60, "drill seconds per real second, from 0.1 to 1000")
				parallel = fs.Int("parallel", 2, "worlds at a time: the baseline's drills, then one mutant's drills each")
				noBuilt  = fs.Bool("no-builtin", false, "leave out drill's built-in scenario library (features/builtin)")
				control  = fs.Duration("control-window", 0, "drill time before each drill's first fault (default: as drill run)")
				toxi     = fs.String("toxiproxy", "", "URL of an external toxiproxy API (default: embedded)")
				plan     = fs.Bool("plan", false, "list the mutants, their drills and the estimated real time, and run nothing")
				format   = fs.String("format", "text", "report format: text, json or md")
				out      = fs.String("out", "", "write the report to `FILE` instead of stdout")
				quiet    = fs.Bool("quiet", false, "no progress lines on stderr")
				_        = fs.String("history", statedir.Rel(statedir.HistoryFile), "history database the run is saved in, by default in the nearest .drill folder from the working directory upward")
				noHist   = fs.Bool("no-history", false, "do not save the run in the history")
				_        = addIsolationFlag(fs)
				shardArg = fs.String("shard", "", "run only shard `I/N` of the sampled mutants: I from 0 to N-1 (default: $JOB_COMPLETION_INDEX of $DRILL_SHARD_TOTAL or --shard-total, when set)")
				shardTot = fs.Int("shard-total", 0, "the shard total `N` with $JOB_COMPLETION_INDEX as the index, where --shard is not given")
				gates    stringList
			)
			fs.Var(&gates, "gate", "a threshold `EXPR` on the run, e.g. 'mutation_score >= 0.8' (repeatable; metrics: "+mutate.GateMetricNames+")")
			return func(ctx context.Context, e *env, args []string) error {
				var parsed []mutate.Gate
				for _, g := range gates {
					pg, err := mutate.ParseGate(g)
					if err != nil {
						return exitcode.With(exitcode.Usage, err)
					}
					parsed = append(parsed, pg)
				}
				n := 0
				if *mutants != "all" {
					v, err := strconv.Atoi(*mutants)
					if err != nil || v < 1 {
						return usageErrorf("--mutants %q: want a number of mutants from 1, or all", *mutants)
					}
					n = v
				}
				if err := timeline.CheckSpeed(*speed); err != nil {
					return usageErrorf("--speed: %v", err)
				}
				if *parallel < 1 {
					return usageErrorf("--parallel: want 1 or more worlds at a time, got %d", *parallel)
				}
				switch *format {
				case "text", "json", "md":
				default:
					return usageErrorf("--format %q: want text, json or md", *format)
				}
				shard, err := shardOf(e, fs, *shardArg, *shardTot)
				if err != nil {
					return err
				}
				t, cleanup, err := loadTeam(e, *teamDir)
				if err != nil {
					return err
				}
				defer cleanup()
				only := make([]string, 0, len(args))
				for _, a := range args {
					only = append(only, filepath.ToSlash(a))
				}
				opts := mutate.Options{Team: t, Mutants: n, Seed: seed.n, Shard: shard, Speed: *speed, Parallel: *parallel,
					NoBuiltin: *noBuilt, ControlWindow: *control, Toxiproxy: *toxi, Only: only}
				if !*quiet {
					opts.Progress = e.stderr
				}
				p, err := mutate.Prepare(opts)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				if *plan {
					writeMutatePlan(e, p)
					return nil
				}
				// in the drill world's network namespace, drill mutate runs again whole
				iso, handled, err := isolate(ctx, e, fs, t)
				if handled || err != nil {
					return err
				}
				if err := iso.check(e, fs); err != nil {
					return err
				}
				if !*quiet {
					fmt.Fprintf(e.stderr, "drill mutate: %d mutant(s), %d baseline drill(s); about %s of real time by the plans (--plan lists them)\n",
						len(p.Mutants), len(p.Baseline), p.EstimatedRealTime().Round(time.Second))
				}
				rep, runErr := p.Run(ctx)
				if rep == nil {
					return runErr // the unchanged team's lint (exit 3) or bad input (2)
				}
				var results []mutate.GateResult
				for _, g := range parsed {
					results = append(results, g.Check(rep))
				}
				var buf bytes.Buffer
				switch *format {
				case "json":
					err = mutate.WriteJSON(&buf, rep, results)
				case "md":
					err = mutate.WriteMarkdown(&buf, rep, results)
				default:
					err = mutate.WriteText(&buf, rep, results)
				}
				if err != nil {
					return exitcode.With(exitcode.Harness, err)
				}
				if *out != "" {
					if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
						return exitcode.With(exitcode.Usage, fmt.Errorf("--out: %w", err))
					}
					fmt.Fprintf(e.stderr, "drill mutate: report written to %s\n", *out)
				} else if _, err := e.stdout.Write(buf.Bytes()); err != nil {
					return exitcode.With(exitcode.Harness, err)
				}
				if !*noHist {
					saveMutation(ctx, e, fs, rep)
				}
				if runErr != nil {
					return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted (%v): the report above is partial", runErr))
				}
				for _, r := range results {
					if !r.OK {
						return exitcode.Silent(exitcode.Failed)
					}
				}
				return nil
			}
		},
	}
}

// writeMutatePlan lists the mutants a run would make, the drills each
// runs, and the real time by the scenarios' plans.
func writeMutatePlan(e *env, p *mutate.Prepared) {
	w := e.stdout
	fmt.Fprintf(w, "%d of %d mutant(s)", len(p.Mutants), p.Generated)
	if len(p.Equivalent) > 0 {
		fmt.Fprintf(w, " (%d equivalent left out)", len(p.Equivalent))
	}
	fmt.Fprintf(w, "; baseline: %d drill(s) on the unchanged plan\n\n", len(p.Baseline))
	for _, pl := range p.Baseline {
		fmt.Fprintf(w, "  baseline %s  about %s\n", pl, p.Estimate[pl].Round(time.Second))
	}
	fmt.Fprintln(w)
	for _, m := range p.Mutants {
		fmt.Fprintf(w, "%s\n  %s\n  %d drill(s), about %s: %s\n", m.ID, m.Description, len(p.Drills[m.ID]),
			p.MutantEstimate(m).Round(time.Second), strings.Join(p.Drills[m.ID], ", "))
	}
	fmt.Fprintf(w, "\nabout %s of real time in all, plus setup (every mutant's drills counted, before the baseline says which pass)\n",
		p.EstimatedRealTime().Round(time.Second))
}

// saveMutation keeps the run in the history; a failure is a warning, the
// report is printed already.
func saveMutation(ctx context.Context, e *env, fs *flag.FlagSet, rep *mutate.Report) {
	path, err := stateFile(fs, "history", statedir.HistoryFile)
	if err == nil && path == "" {
		return
	}
	var b bytes.Buffer
	if err == nil {
		err = mutate.WriteJSON(&b, rep, nil)
	}
	var store *history.Store
	if err == nil {
		store, err = history.Open(path)
	}
	if err == nil {
		defer store.Close()
		r := history.MutationRun{RunID: rep.RunID, Team: rep.Team, StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt, Seed: rep.Seed,
			Mutants: len(rep.Results), Killed: rep.Total.Killed, Survived: rep.Total.Survived, Invalid: rep.Total.Invalid,
			Errs: rep.Total.Errors, Interrupted: rep.Interrupted, Report: b.Bytes()}
		equivalent := len(rep.Equivalent)
		r.Equivalent = &equivalent
		if s, ok := rep.MutationScore(); ok {
			r.Score = &s
		}
		err = store.SaveMutation(ctx, r)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "drill mutate: warning: run not saved in the history: %v\n", err)
	}
}
