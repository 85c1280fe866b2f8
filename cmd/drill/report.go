package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/report"
	"github.com/drillkit/drill/scoring"
)

func reportCommand() *command {
	return &command{
		name:    "report",
		summary: "trend report over the run history: pass rate, MTTD/MTTA/MTTM/MTTR, false alarms against a baseline",
		usage:   "[flags]",
		help: `
Reads the history drill run keeps (.drill/history.db) and compares the runs
of the window (--since, ending now) with its baseline, the window's first
part (--baseline): with --since 30d --baseline 14d, days 1-14 are the
baseline and days 15-30 the current period. Per scenario family and
overall: pass rate, time to detect, acknowledge, mitigate and recover
(median, p90, n), false alarm rate, and where the time went: the phases of
time to recover (detect, route, acknowledge, diagnose, mitigate, verify),
which one is most often the bottleneck, handoffs and role gaps.

A change is flagged as a regression when the pass rate falls, or the false
alarm rate rises, by 5 points or more, or a p90 (of a timing or a phase)
rises by 20% or more, or handoffs or role gaps per scenario rise by 20% or
from zero; as an improvement the other way; only with at least 3 samples on
each side.

--format html writes one self-contained file: the tables, trend charts, and
per scenario of the latest run a bar of its phases above its timeline, as
inline SVG.`,
		exits: []exit{
			{exitcode.OK, "the report was written"},
			{exitcode.Usage, "bad usage: no history there, a bad --since or --baseline, an unknown --format, or an --out file that cannot be created"},
			{exitcode.Harness, ""},
		},
		examples: []example{
			{"drill report", "the default window (--since) against its baseline (--baseline), as text"},
			{"drill report --since 8w --baseline 4w --format html --out report.html", "the last eight weeks against their first four, as one HTML file"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var (
				_        = fs.String("history", statedir.Rel(statedir.HistoryFile), "history database, by default in the nearest .drill folder from the working directory upward")
				since    = fs.String("since", "30d", "window length, ending now (30d, 2w, 36h)")
				baseline = fs.String("baseline", "14d", "baseline: the first part of the window")
				format   = fs.String("format", "text", "output format: "+strings.Join(report.Formats, ", "))
				out      = fs.String("out", "", "write to FILE instead of stdout")
			)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("report takes no arguments, got %q", args)
				}
				o := report.DefaultOptions()
				var err error
				if o.Since, err = report.ParseWindow(*since); err != nil {
					return usageErrorf("--since: %v", err)
				}
				if o.Baseline, err = report.ParseWindow(*baseline); err != nil {
					return usageErrorf("--baseline: %v", err)
				}
				if !slices.Contains(report.Formats, *format) {
					return usageErrorf("--format: %q: want one of %s", *format, strings.Join(report.Formats, ", "))
				}
				store, err := openHistory(fs)
				if err != nil {
					return err
				}
				defer store.Close()
				o.Now = time.Now()
				runs, err := store.List(ctx, o.Now.Add(-o.Since))
				if err != nil {
					return err
				}
				cards := make([]*scoring.Scorecard, 0, len(runs))
				for _, r := range runs {
					cards = append(cards, r.Card)
				}
				rep, err := report.Build(cards, o)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				var w io.Writer = e.stdout
				var f *os.File
				if *out != "" {
					if f, err = os.Create(*out); err != nil {
						return exitcode.With(exitcode.Usage, err)
					}
					w = f
				}
				err = report.Write(w, rep, *format)
				if f != nil {
					err = errors.Join(err, f.Close())
					if err == nil {
						fmt.Fprintf(e.stderr, "report written to %s\n", *out)
					}
				}
				return err
			}
		},
	}
}
