package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/lint"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/team"
)

func lintCommand() *command {
	return &command{
		name:    "lint",
		summary: "check a team's runbooks, escalation and alert rules (changes nothing)",
		usage:   "[--team DIR] [--format text|json|sarif] [--now DATE] [--strict] [--live] [--checks] [FEATURE_FILE...]",
		help: `Loads the team (drill.yaml, alerts/, runbooks/, escalation/, features/) and
runs every lint check: the team's files, its feature files against the step
catalog and its promtool rule tests through drill's alerting engine. drill ci
runs the same checks the same way. Without --team, drill.yaml is looked for
from the working directory upward. Text output prints file:line:col: ID
severity: message, grouped by file, and a summary counting the files read.
Severities are set per check in drill.yaml's lint.severity. Without --live,
lint starts nothing and needs no network.

Given feature files (drill lint features/x.feature), lint checks those
files alone: their syntax, every step against the catalog, and every name
and fault they give against the team, as a drill of them would; the team
is the one whose drill.yaml is found upward from the first file (or
--team), and its other checks do not run.

--live adds the series check: it starts the team's world as a drill does
(mocks, stubs, the service under test, traffic on), waits until every
/metrics target has been scraped and the traffic has finished a request of
every kind in its mix (at most ` + scenarios.DefaultSettle.String() + `), scrapes twice more, checks every
selector of every alerting and recording rule against what the world
exposed, and tears the world down. A selector of a metric nothing exports,
or of a label value one or two edits from one the world writes, is
rule-selector-no-series (error); one whose values a healthy world has not
written yet (a 5xx status) is rule-selector-unmatched (info), with the
values present.`,
		exits: []exit{
			{exitcode.OK, "no error-level finding (with --strict, no warning either)"},
			{exitcode.Usage, "bad usage, or the team's files are invalid or hold what a drill would refuse (every problem is printed)"},
			{exitcode.Lint, "findings at error level (with --strict, warnings too)"},
			{exitcode.Harness, "the harness itself failed (not the team): with --live, the world did not start or settle"},
			{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM): lint stopped"},
		},
		examples: []example{
			{"drill lint", "lint the team of the drill.yaml here or above"},
			{"drill lint --team ops --format sarif", "lint ops/ and write SARIF for a code-scanning UI"},
			{"drill lint --strict --now 2026-01-15", "fail on warnings too, judging review dates as of 15 January 2026"},
			{"drill lint --live", "also start the team's world, scrape it and check every rule's selectors against what it exposes"},
			{"drill lint --checks", "list every check with its default severity and rationale"},
			{"drill lint features/cost-spike.feature", "lint one feature file alone, with the team found upward from it"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			dir := fs.String("team", "", "team directory holding drill.yaml (default: drill.yaml here or above, else the demo team)")
			format := fs.String("format", "text", "output format: "+strings.Join(lint.Formats, ", "))
			list := fs.Bool("checks", false, "list the checks with their default severity and rationale, and exit")
			live := fs.Bool("live", false, "also run the series check in the team's live world (starts it, scrapes it, tears it down)")
			lintOpts := lintFlags(fs)
			return func(ctx context.Context, e *env, args []string) error {
				for _, a := range args {
					if !strings.HasSuffix(a, ".feature") {
						return usageErrorf("lint takes feature files (features/x.feature), got %q", a)
					}
				}
				if len(args) > 0 && *live {
					return usageErrorf("--live checks the team's rules, not feature files: run drill lint --live without %s", args[0])
				}
				if *list {
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					for _, c := range lint.Checks() {
						fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Severity, c.Rationale)
					}
					return tw.Flush()
				}
				if !slices.Contains(lint.Formats, *format) {
					return usageErrorf("unknown --format %q; formats are: %s", *format, strings.Join(lint.Formats, ", "))
				}
				opts, err := lintOpts()
				if err != nil {
					return err
				}
				opts.Live = *live
				root := *dir
				if root == "" && len(args) > 0 {
					wd, err := os.Getwd()
					if err != nil {
						return exitcode.With(exitcode.Harness, err)
					}
					start := args[0]
					if !filepath.IsAbs(start) {
						start = filepath.Join(wd, start)
					}
					found, ok := team.Find(filepath.Dir(start))
					if !ok {
						return usageErrorf("no %s in %s or any parent directory: a feature file is linted with its team (or give --team DIR)", team.ConfigFile, filepath.Dir(args[0]))
					}
					root = relTo(wd, found)
				}
				if root == "" {
					wd, err := os.Getwd()
					if err != nil {
						return exitcode.With(exitcode.Harness, err)
					}
					found, ok := team.Find(wd)
					if ok {
						root = relTo(wd, found)
					} else {
						demo, err := scenarios.ExtractDemo("")
						if err != nil {
							return exitcode.With(exitcode.Harness, err)
						}
						defer os.RemoveAll(demo)
						fmt.Fprintf(e.stderr, "drill lint: no %s in %s or any parent directory, and no --team: linting the built-in demo team acme-ml\n", team.ConfigFile, wd)
						root = demo
					}
				}
				t, err := team.Load(root)
				if err != nil {
					var ps team.Problems
					if errors.As(err, &ps) {
						if t != nil {
							ps = append(ps, lint.CheckConfig(t.Config)...) // every problem at once
							ps.Sort()
						}
						return printProblems(e, "lint", root, ps)
					}
					return exitcode.With(exitcode.Usage, err)
				}
				for _, a := range args {
					f, err := teamFeature(t, a)
					if err != nil {
						return err
					}
					opts.Features = append(opts.Features, f)
				}
				r, err := lintTeam(ctx, e, "lint", t, opts)
				if err != nil {
					return err
				}
				if err := lint.Write(e.stdout, r, *format, sarifVersion()); err != nil {
					return exitcode.With(exitcode.Harness, err)
				}
				if r.Failed() {
					return exitcode.Silent(exitcode.Lint)
				}
				return nil
			}
		},
	}
}

// lintFlags declares the flags drill lint and drill ci share and returns
// the lint options they set, so that both commands lint alike.
func lintFlags(fs *flag.FlagSet) func() (lint.Options, error) {
	now := fs.String("now", "", "reference date for review and coverage checks, YYYY-MM-DD or RFC 3339 (default: now)")
	strict := fs.Bool("strict", false, "lint warnings also fail (exit 3)")
	return func() (lint.Options, error) {
		opts := lint.Options{Strict: *strict}
		if *now != "" {
			t, err := parseNow(*now)
			if err != nil {
				return opts, usageErrorf("--now: %v", err)
			}
			opts.Now = t
		}
		return opts, nil
	}
}

// lintTeam is lint.Run for drill lint and drill ci alike: what makes the
// team invalid input (an unknown check in lint.severity, what a drill
// would refuse) is printed and exits 2.
func lintTeam(ctx context.Context, e *env, cmd string, t *team.Team, opts lint.Options) (*lint.Report, error) {
	r, err := lint.Run(ctx, t, opts)
	var ps team.Problems
	var refused *lint.RefusedError
	switch {
	case err == nil:
		return r, nil
	case errors.As(err, &refused): // before Problems, which it may wrap
		fmt.Fprintln(e.stderr, refused.Err)
		fmt.Fprintf(e.stderr, "drill %s: team %s has problems a drill would refuse; fix them and run again\n", cmd, t.Dir)
		return nil, exitcode.Silent(exitcode.Usage)
	case errors.As(err, &ps):
		return nil, printProblems(e, cmd, t.Dir, ps)
	case ctx.Err() != nil:
		return nil, exitcode.With(exitcode.Interrupted, fmt.Errorf("interrupted (%v): lint stopped", ctx.Err()))
	}
	return nil, exitcode.With(exitcode.Harness, err)
}

// printProblems prints the problems of a team's files, each at its file
// as seen from the working directory, and exits 2.
func printProblems(e *env, cmd, root string, ps team.Problems) error {
	for _, p := range ps {
		p.File = lint.TeamPath(root, p.File)
		fmt.Fprintln(e.stderr, p.String())
	}
	fmt.Fprintf(e.stderr, "drill %s: %d problem(s) in team %s; fix them and run again\n", cmd, len(ps), root)
	return exitcode.Silent(exitcode.Usage)
}

// sarifVersion is drill's version as SARIF's tool.driver.version.
func sarifVersion() string {
	return strings.TrimPrefix(strings.Fields(versionString())[1], "v")
}

func parseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("expected YYYY-MM-DD or RFC 3339, got %q", s)
	}
	return t, nil
}

func relTo(wd, dir string) string {
	if r, err := filepath.Rel(wd, dir); err == nil {
		return r
	}
	return dir
}

// teamFeature is a feature file given on the command line as the team
// keys it (features/x.feature, relative to the team's directory).
func teamFeature(t *team.Team, arg string) (string, error) {
	abs, err := filepath.Abs(arg)
	if err != nil {
		return "", exitcode.With(exitcode.Harness, err)
	}
	dir, err := filepath.Abs(t.Dir)
	if err != nil {
		return "", exitcode.With(exitcode.Harness, err)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", usageErrorf("%s is outside team %s", arg, t.Dir)
	}
	rel = filepath.ToSlash(rel)
	if _, ok := t.Features[rel]; !ok {
		if _, err := os.Stat(abs); err != nil {
			return "", usageErrorf("%s: no such feature file", arg)
		}
		return "", usageErrorf("%s is not one of team %s's feature files (they are under %s/)", arg, t.Dir, t.Config.Paths.Features)
	}
	return rel, nil
}
