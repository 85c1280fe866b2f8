package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/history"
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
Reads the history drill run keeps (.drill/history.db, or the Postgres
database --history names) and compares the runs
of the window (--since, ending now) with its baseline, the window's first
part (--baseline): with --since 30d --baseline 14d, days 1-14 are the
baseline and days 15-30 the current period. Per scenario family and
overall: pass rate, time to detect, acknowledge, mitigate and recover
(median, p90, n), false alarm rate, and where the time went: the phases of
time to recover (detect, route, acknowledge, diagnose, remediate, verify),
which one is most often the bottleneck, handoffs and role gaps.

A change is flagged only when it is unlikely to be chance and at least
the minimum change. A rate (pass rate, false alarm rate) needs Fisher's
exact test at p < 0.05 and a change of at least --min-rate-change points;
a timing, a phase, or handoffs or role gaps per scenario need the
Mann-Whitney U test at p < 0.05 and a shift credibly beyond
--min-relative-change of the baseline's median (the test still finds the
current values different when moved back by it). Every p-value is
corrected with Holm's method over all the report's comparisons whose
samples could reach significance at all (Tarone's screen: 0 false alarms
of 8 against 0 of 9 cannot, and does not dilute the rest). Values that
print alike (1s and 1s) are never a change. A family that holds all of
the runs, or a phase that equals its timing, is the same data and is
tested once. An unchanged team sees a flag in about 1 report of 500.

Per metric the report also says how many runs a period would flag a
change of twice the minimum 8 times in 10 ("runs": "72 (+62)" is 72 a
period, 62 more than the smaller period has), from the baseline's rate
or the spread of the samples; "—" when that cannot be estimated.

Runs stopped by Ctrl-C (recorded as interrupted) are left out and listed.

A history shared by several teams (one Postgres for an organisation) is
reported per team, --team ID (the team as its scorecards name it:
drill.yaml's team.name, else its team.id), or for all of them together,
--team all. Without
--team the window must hold one team's runs.

As text, the report ends with the mutation score of every drill mutate run
in the window, oldest first, and its change from the first to the last.

--format html writes one self-contained file: the tables, trend charts, and
per scenario of the latest run a bar of its phases above its timeline, as
inline SVG.`,
		exits: []exit{
			{exitcode.OK, "the report was written"},
			{exitcode.Usage, "bad usage: no history there, a bad --since or --baseline, an unknown --format, a --team the history has no runs of (or none where the window holds several teams), or an --out file that cannot be created"},
			{exitcode.Harness, ""},
		},
		examples: []example{
			{"drill report", "the default window (--since) against its baseline (--baseline), as text"},
			{"drill report --since 8w --baseline 4w --format html --out report.html", "the last eight weeks against their first four, as one HTML file"},
			{"drill report --history postgres://drill@db.internal:5432/drill --team payments", "one team's report from the organisation's shared history"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var (
				_        = fs.String("history", statedir.Rel(statedir.HistoryFile), "history: a file, by default in the nearest .drill folder from the working directory upward, or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
				teamID   = fs.String("team", "", "the team `ID|all` whose runs are reported: one team's, or every team's together (default: the only team the window holds; a window of several teams needs --team)")
				since    = fs.String("since", "30d", "window length, ending now (30d, 2w, 36h)")
				baseline = fs.String("baseline", "14d", "baseline: the first part of the window")
				format   = fs.String("format", "text", "output format: "+strings.Join(report.Formats, ", "))
				out      = fs.String("out", "", "write to FILE instead of stdout")
				minRate  = fs.Float64("min-rate-change", report.DefaultOptions().MinRateChange,
					"smallest change of a pass or false alarm rate flagged, in percentage points")
				minRel = fs.String("min-relative-change", "20%",
					"smallest change of a timing's or phase's median, or of handoffs or role gaps per scenario, flagged (a percentage)")
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
				if math.IsNaN(*minRate) || *minRate < 0 || *minRate > 100 {
					return usageErrorf("--min-rate-change: %v: want 0 to 100 percentage points", *minRate)
				}
				o.MinRateChange = *minRate
				if o.MinRelativeChange, err = parsePercent(*minRel); err != nil {
					return usageErrorf("--min-relative-change: %v", err)
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
				teamArg := *teamID
				if teamArg == report.AllTeams {
					teamArg = ""
				}
				runs, err := store.ListTeam(ctx, o.Now.Add(-o.Since), teamArg)
				if err != nil {
					return err
				}
				o.Team = *teamID
				if o.Team == "" {
					if teams := teamsOf(runs); len(teams) > 1 {
						return usageErrorf("the window holds runs of %d teams (%s): --team ID for one of them, --team all for all of them together",
							len(teams), strings.Join(teams, ", "))
					}
				} else if teamArg != "" && len(runs) == 0 {
					teams, err := store.Teams(ctx)
					if err != nil {
						return err
					}
					if !slices.Contains(teams, teamArg) {
						return usageErrorf("--team %s: %s holds no runs of that team (its teams: %s)", teamArg, store.Path(), orNone(teams))
					}
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
				if err == nil && *format == "text" {
					err = writeMutationTrend(ctx, w, store, o.Now.Add(-o.Since))
				}
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

// teamsOf is the teams of runs, sorted.
func teamsOf(runs []history.Run) []string {
	var out []string
	for _, r := range runs {
		if !slices.Contains(out, r.Team) {
			out = append(out, r.Team)
		}
	}
	slices.Sort(out)
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// parsePercent reads "20%" or "20" as 0.20.
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("%q: want a percentage of 0 or more, like 20%%", s)
	}
	return v / 100, nil
}

// writeMutationTrend lists the window's drill mutate runs and the
// score's change over them; nothing when there are none.
func writeMutationTrend(ctx context.Context, w io.Writer, store *history.Store, since time.Time) error {
	runs, err := store.MutationRuns(ctx, "", since)
	if err != nil || len(runs) == 0 {
		return err
	}
	fmt.Fprintf(w, "\nMutation score (drill mutate), %d run(s), oldest first:\n", len(runs))
	var first, last *float64
	for _, r := range runs {
		score := "  -"
		if r.Score != nil {
			score = fmt.Sprintf("%3.0f%%", 100**r.Score)
			if !r.Interrupted {
				if first == nil {
					first = r.Score
				}
				last = r.Score
			}
		}
		note := ""
		if r.Equivalent != nil {
			note = fmt.Sprintf(", %d equivalent left out", *r.Equivalent)
		}
		if r.Interrupted {
			note += ", interrupted"
		}
		fmt.Fprintf(w, "  %s  %s  %s  %d killed of %d counted, %d invalid, seed %d%s\n", r.StartedAt.Local().Format("2006-01-02 15:04"),
			r.Team, score, r.Killed, r.Killed+r.Survived, r.Invalid, r.Seed, note)
	}
	if first != nil && last != nil && len(runs) > 1 {
		fmt.Fprintf(w, "  trend: %.0f%% → %.0f%% (%+.0f points)\n", 100**first, 100**last, 100*(*last-*first))
	}
	return nil
}
