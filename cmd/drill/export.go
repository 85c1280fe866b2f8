package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/report"
	"github.com/drillkit/drill/scoring"
)

func exportCommand() *command {
	return &command{
		name:    "export",
		summary: "send a stored run's scorecard to an incident service, marked as a drill",
		usage:   "[RUN_ID|latest] --to NAME | --all [--to NAME] [--since 7d] [flags]",
		help: `
Exports a run from the history with the exporter NAME of the exporters file
(.drill/exporters.yaml, in the nearest .drill folder from the working
directory upward; see docs/history-and-export.md), records the outcome
in the history, and retries a failed export when run again. Without
RUN_ID, lists the stored runs and their export status.

With --all, exports every run of the history (started within --since, if
given) that has no successful export to the exporter yet, to every
exporter of the file (or only to --to NAME), oldest first, each with the
exporter's retries; a failed run does not stop the others. An invalid
exporter of the file is reported (file:line) and skipped; the valid ones
still run. Attempts, here and in the listing, are HTTP requests.`,
		exits: []exit{
			{exitcode.OK, "exported (without RUN_ID: the runs were listed; with --all: every pending run was exported, or none was pending)"},
			{exitcode.Usage, "bad usage, no history there, an unknown run or exporter, or an invalid exporters file (with --all: an invalid exporter was skipped, the others were exported)"},
			{exitcode.Harness, "the export failed (recorded in the history; run the command again); with --all, some exports failed and the others were done"},
			{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM): the export stopped (recorded as failed in the history; run the command again)"},
		},
		examples: []example{
			{"drill export", "list the stored runs and where each was exported"},
			{"drill export latest --to gitlab", "export the latest run with the exporter gitlab"},
			{"drill export 20261126T220718-1-3f9a2c --to gitlab", "export one run, or retry its failed export"},
			{"drill export --all --since 7d", "export the last week's runs to every exporter they were not yet exported to"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var (
				to    = fs.String("to", "", "exporter name in the exporters file")
				all   = fs.Bool("all", false, "export every run not yet exported (to --to NAME, or to every exporter of the file)")
				since = fs.String("since", "", "with --all: only the runs started within this window, ending now (7d, 2w, 36h); default every run")
				_     = fs.String("history", statedir.Rel(statedir.HistoryFile), "history: a file, by default in the nearest .drill folder from the working directory upward, or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
				_     = fs.String("exporters", statedir.Rel(statedir.ExportersFile), "exporters file, by default in the nearest .drill folder from the working directory upward")
			)
			return func(ctx context.Context, e *env, args []string) error {
				// flags may follow the run ID: drill export RUN --to gitlab
				var id string
				if len(args) > 0 {
					id = args[0]
					if err := fs.Parse(args[1:]); err != nil {
						return usageErrorf("%v", err)
					}
					if fs.NArg() > 0 {
						return usageErrorf("export takes one RUN_ID, got %q", append([]string{id}, fs.Args()...))
					}
				}
				exporters, err := stateFile(fs, "exporters", statedir.ExportersFile)
				if err != nil {
					return err
				}
				store, err := openHistory(fs)
				if err != nil {
					return err
				}
				defer store.Close()
				if *all {
					if id != "" {
						return usageErrorf("--all exports every pending run: give RUN_ID or --all, not both")
					}
					var from time.Time
					if *since != "" {
						d, err := report.ParseWindow(*since)
						if err != nil {
							return usageErrorf("--since: %v", err)
						}
						from = time.Now().Add(-d)
					}
					return exportAll(ctx, e, store, exporters, *to, from)
				}
				if *since != "" {
					return usageErrorf("--since goes with --all")
				}
				if id == "" {
					if *to != "" {
						return usageErrorf("which run? give RUN_ID or latest (or --all)")
					}
					return listRuns(ctx, e, store)
				}
				if *to == "" {
					return usageErrorf("--to NAME: which exporter of %s", exporters)
				}
				cfg, err := loadExporters(e, exporters, "drill export")
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				ex, err := cfg.Exporter(*to, exportOptions(e))
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				var run *history.Run
				if id == "latest" {
					run, err = store.Latest(ctx)
				} else {
					run, err = store.Get(ctx, id)
				}
				if errors.Is(err, history.ErrNotFound) {
					return exitcode.With(exitcode.Usage, err)
				}
				if err != nil && ctx.Err() != nil {
					return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted (%v): nothing was exported", ctx.Err()))
				}
				if err != nil {
					return err
				}
				return exportRun(ctx, e, store, ex, run.Card)
			}
		},
	}
}

// loadExporters loads the exporters file; an invalid exporter of it is
// reported on stderr and left out, so that it does not block the others.
func loadExporters(e *env, path, who string) (*export.Config, error) {
	cfg, err := export.Load(path)
	var inv *export.InvalidExporters
	if errors.As(err, &inv) && cfg != nil {
		for _, name := range slices.Sorted(maps.Keys(inv.Errs)) {
			fmt.Fprintf(e.stderr, "%s: warning: skipped: %v\n", who, inv.Errs[name])
		}
		return cfg, nil
	}
	return cfg, err
}

// exportAll exports every run started since from without an ok export,
// to the exporter only (or every exporter of the file).
func exportAll(ctx context.Context, e *env, store *history.Store, path, only string, from time.Time) error {
	cfg, err := export.Load(path)
	var inv *export.InvalidExporters
	if err != nil && !(errors.As(err, &inv) && cfg != nil) {
		return exitcode.With(exitcode.Usage, err)
	}
	names := cfg.Names()
	skipped := 0
	for _, name := range slices.Sorted(maps.Keys(cfg.Invalid())) {
		if only == "" || only == name {
			fmt.Fprintf(e.stderr, "drill export: skipped: %v\n", cfg.Invalid()[name])
			skipped++
		}
	}
	if only != "" {
		if cfg.Invalid()[only] != nil {
			return exitcode.With(exitcode.Usage, fmt.Errorf("exporter %s is invalid; nothing was exported", only))
		}
		names = []string{only}
	}
	exported, failed := 0, 0
	for _, name := range names {
		ex, err := cfg.Exporter(name, exportOptions(e))
		if err != nil {
			if only != "" {
				return exitcode.With(exitcode.Usage, err)
			}
			fmt.Fprintf(e.stderr, "drill export: skipped: %v\n", err)
			skipped++
			continue
		}
		runs, err := store.Unexported(ctx, name, from)
		if err != nil {
			if ctx.Err() != nil {
				return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted (%v): %d run(s) exported", ctx.Err(), exported))
			}
			return err
		}
		for _, r := range runs {
			err := exportRun(ctx, e, store, ex, r.Card)
			if exitcode.Of(err) == exitcode.Interrupted {
				return exitcode.With(exitcode.Interrupted, fmt.Errorf("%w (%d run(s) exported before)", err, exported))
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "drill export: %v\n", err)
				failed++
				continue
			}
			exported++
		}
	}
	fmt.Fprintf(e.stdout, "%d run(s) exported, %d failed, %d exporter(s) skipped\n", exported, failed, skipped)
	switch {
	case failed > 0:
		return exitcode.With(exitcode.Harness, fmt.Errorf("%d export(s) failed (recorded in the history; run the command again to retry them)", failed))
	case skipped > 0:
		return exitcode.With(exitcode.Usage, fmt.Errorf("%d invalid exporter(s) skipped; fix %s", skipped, path))
	}
	return nil
}

func exportOptions(e *env) export.Options {
	return export.Options{Getenv: e.getenv, Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// save stores card in the history and returns the open store, or warns
// and returns nil.
func (r *recorder) save(ctx context.Context, e *env, card *scoring.Scorecard) *history.Store {
	// an interrupted run is still worth keeping
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	s, err := history.Open(r.historyPath)
	if err == nil {
		err = s.Save(sctx, card)
		if err != nil {
			s.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "drill run: warning: run %s not saved in the history: %v\n", card.RunID, err)
		return nil
	}
	fmt.Fprintf(e.stdout, "run %s saved in %s\n", card.RunID, s.Path())
	return s
}

// exportRun exports one run and records the outcome; store may be nil.
func exportRun(ctx context.Context, e *env, store *history.Store, ex export.Exporter, card *scoring.Scorecard) error {
	res, err := ex.Export(ctx, card)
	status := history.ExportOK
	if err != nil {
		status = history.ExportFailed
	}
	attempts := 0 // HTTP requests
	if res != nil {
		attempts = res.Attempts
	}
	if store != nil {
		// the record outlives an interrupted export
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if merr := store.MarkExportAttempts(mctx, card.RunID, ex.Name(), status, attempts, err); merr != nil {
			err = errors.Join(err, merr)
		}
	}
	if err != nil && ctx.Err() != nil {
		return exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted (%v): the export of run %s to %s stopped; run the command again: %w", ctx.Err(), card.RunID, ex.Name(), err))
	}
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	fmt.Fprintf(e.stdout, "exported run %s to %s (%d attempt(s), HTTP %d)\n", card.RunID, ex.Name(), res.Attempts, res.Status)
	return nil
}

func listRuns(ctx context.Context, e *env, store *history.Store) error {
	runs, err := store.List(ctx, time.Time{})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tPASSED\tEXPORTS")
	for _, r := range runs {
		var ex []string
		for _, x := range r.Exports {
			s := fmt.Sprintf("%s:%s", x.Exporter, x.Status)
			if x.Status == history.ExportFailed {
				s += fmt.Sprintf(" (%d attempts)", x.Attempts)
			}
			ex = append(ex, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\n", r.ID, r.StartedAt.Format(time.RFC3339), r.Card.Summary.Passed, r.Card.Summary.Total, strings.Join(ex, ", "))
	}
	return tw.Flush()
}

// recorder keeps a finished run in the history and exports it, for drill
// run. It is set up before the drill, so that a bad exporter name fails
// fast, and used after the scorecard is printed and written.
type recorder struct {
	historyPath string
	exporter    export.Exporter
}

// newRecorder checks --history/--no-history/--export before a run.
func newRecorder(e *env, historyPath string, noHistory bool, exportName string) (*recorder, error) {
	r := &recorder{historyPath: historyPath}
	if noHistory {
		r.historyPath = ""
	}
	if r.historyPath != "" {
		if _, err := history.ParseDSN(r.historyPath); err != nil {
			return nil, usageErrorf("--history: %v", err)
		}
	}
	if exportName != "" {
		sd, err := statedir.Getwd()
		if err != nil {
			return nil, exitcode.With(exitcode.Harness, err)
		}
		cfg, err := loadExporters(e, sd.Exporters(), "drill run")
		if err != nil {
			return nil, exitcode.With(exitcode.Usage, fmt.Errorf("--export %s: %w", exportName, err))
		}
		if r.exporter, err = cfg.Exporter(exportName, exportOptions(e)); err != nil {
			return nil, exitcode.With(exitcode.Usage, err)
		}
	}
	return r, nil
}

// record saves and exports a run. Failures are warnings on stderr: the
// scorecard is already printed and written, and the drill's exit code is
// the drill's, not the history's or the incident service's. In the drill
// world's network namespace, what is outside it (an incident service, a
// Postgres history) is left to the drill that started this one: the
// scorecard is handed over.
func (r *recorder) record(ctx context.Context, e *env, card *scoring.Scorecard) {
	if r == nil || card == nil {
		return
	}
	h := handoffPath()
	remote := r.historyPath != "" && history.IsRemote(r.historyPath)
	var store *history.Store
	if r.historyPath != "" && (h == "" || !remote) {
		store = r.save(ctx, e, card)
		if store != nil {
			defer store.Close()
		}
	}
	if r.exporter == nil && !(h != "" && remote) {
		return
	}
	if h != "" {
		b, err := json.Marshal(card)
		if err == nil {
			err = os.WriteFile(h, b, 0o600)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "drill run: warning: run %s not handed over for export or the history: %v\n", card.RunID, err)
		}
		return
	}
	if err := exportRun(ctx, e, store, r.exporter, card); err != nil {
		retry := ""
		if store != nil {
			retry = fmt.Sprintf("; retry with: drill export %s --to %s", card.RunID, r.exporter.Name())
		}
		fmt.Fprintf(e.stderr, "drill run: warning: %v%s\n", err, retry)
	}
}
