package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/drillkit/drill/history"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/report"
)

func historyCommand() *command {
	return &command{
		name:    "history",
		summary: "move runs between histories (a file, a shared Postgres) as JSON lines",
		usage:   "export|import [FILE|-] [flags]",
		help: `
drill history export writes the runs of the history --history names to
FILE (or stdout, without FILE or with -), one JSON object a line, oldest
first: each run's scorecard, the time it was saved and its export
records. --team and --since narrow what is written.

drill history import reads such a file (or stdin) into the history
--history names, creating that history if need be: one transaction per
run, a run already there replaced, so an import can be repeated. A bad
line stops the import with its file and line; the runs before it stay.
A line holds at most 64 MiB.

To move a laptop's history into the organisation's Postgres:

  drill history export | drill history import --history postgres://drill@db:5432/drill`,
		exits: []exit{
			{exitcode.OK, "the runs were written or imported"},
			{exitcode.Usage, "bad usage: no history there, a bad --since, a FILE that cannot be read or created, or a bad line in the file"},
			{exitcode.Harness, "the history could not be read or written"},
			{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM): the runs imported before it stay"},
		},
		examples: []example{
			{"drill history export --out runs.jsonl", "every run of the history of this team's .drill folder"},
			{"drill history import --history postgres://drill@db.internal:5432/drill runs.jsonl", "add them to the organisation's shared history"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var (
				_      = fs.String("history", statedir.Rel(statedir.HistoryFile), "history: a file, by default in the nearest .drill folder from the working directory upward, or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
				since  = fs.String("since", "", "export: only the runs started in this window, ending now (30d, 2w, 36h; default: every run)")
				teamID = fs.String("team", "", "export: only the runs of this `team` (default: every team's)")
				out    = fs.String("out", "", "export: write to FILE instead of stdout")
			)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usageErrorf("history needs export or import")
				}
				verb := args[0]
				// flags may follow the verb: drill history export --since 7d
				if err := fs.Parse(args[1:]); err != nil {
					return usageErrorf("%v", err)
				}
				rest := fs.Args()
				switch verb {
				case "export":
					if len(rest) > 1 {
						return usageErrorf("history export takes at most one FILE, got %q", rest)
					}
					if len(rest) == 1 && *out != "" {
						return usageErrorf("history export: give FILE or --out, not both")
					}
					if len(rest) == 1 && rest[0] != "-" {
						*out = rest[0]
					}
					var from time.Time
					if *since != "" {
						d, err := report.ParseWindow(*since)
						if err != nil {
							return usageErrorf("--since: %v", err)
						}
						from = time.Now().Add(-d)
					}
					return historyExport(ctx, e, fs, from, *teamID, *out)
				case "import":
					if *since != "" || *teamID != "" || *out != "" {
						return usageErrorf("history import takes no --since, --team or --out: it imports every run of the file")
					}
					if len(rest) > 1 {
						return usageErrorf("history import takes at most one FILE, got %q", rest)
					}
					file := "-"
					if len(rest) == 1 {
						file = rest[0]
					}
					return historyImport(ctx, e, fs, file)
				default:
					return usageErrorf("history %s: want export or import", verb)
				}
			}
		},
	}
}

func historyExport(ctx context.Context, e *env, fs *flag.FlagSet, since time.Time, team, out string) error {
	store, err := openHistory(fs)
	if err != nil {
		return err
	}
	defer store.Close()
	var w io.Writer = e.stdout
	var f *os.File
	if out != "" {
		if f, err = os.Create(out); err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
		w = f
	}
	n, err := store.WriteJSONL(ctx, w, since, team)
	if f != nil {
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	where := "stdout"
	if out != "" {
		where = out
	}
	fmt.Fprintf(e.stderr, "%d run(s) of %s written to %s\n", n, store.Path(), where)
	return nil
}

func historyImport(ctx context.Context, e *env, fs *flag.FlagSet, file string) error {
	var r io.Reader = e.stdin
	name := "stdin"
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
		defer f.Close()
		r, name = f, file
	}
	hist, err := stateFile(fs, "history", statedir.HistoryFile)
	if err != nil {
		return err
	}
	if _, err := history.ParseDSN(hist); err != nil {
		return usageErrorf("--history: %v", err)
	}
	store, err := history.Open(hist)
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	defer store.Close()
	n, err := store.ReadJSONL(ctx, r, name)
	if err != nil {
		fmt.Fprintf(e.stderr, "%d run(s) imported into %s before the error\n", n, store.Path())
		if ctx.Err() != nil {
			return exitcode.With(exitcode.Interrupted, err)
		}
		return exitcode.With(exitcode.Usage, err)
	}
	fmt.Fprintf(e.stderr, "%d run(s) imported into %s\n", n, store.Path())
	return nil
}
