package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/lint"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/team"
)

func ciCommand() *command {
	return &command{
		name:    "ci",
		summary: "lint, then run only the drills a change touches, with gates and JUnit",
		usage:   "[--base REV] [--now DATE] [--strict] [run flags]",
		help: `
For CI on every change to runbooks, alert rules or escalation. drill ci lints
the team exactly as drill lint does (the same checks and findings, printed as
its text output; no drill runs unless lint passes), asks git which files
changed since --base (committed or not), and runs the scenarios those
changes touch:

  a runbook      → the alerts it answers → the scenarios that expect them
  a rule file    → its alerts, and alerts reading its recording rules
  a feature file → its scenarios
  drill.yaml, an escalation file or alertmanager.yml → every scenario

Without --base every scenario runs. Every flag of 'drill run' applies
(--gate, --out for junit.xml, --speed, --parallel...), and drill lint's
--now and --strict. See docs/ci.md.`,
		exits: []exit{
			{exitcode.OK, "lint passed, and every drill the change touches passed and met its gates (or none is touched)"},
			{exitcode.Failed, ""},
			{exitcode.Usage, "bad usage, invalid team files, what a drill would refuse, or a --base git cannot compare with"},
			{exitcode.Lint, "lint findings at error level (with --strict, warnings too); no drill ran"},
			{exitcode.Harness, "the harness itself failed (not the team), or --require-isolation could not be met (no world started)"},
			{exitcode.Interrupted, "interrupted (Ctrl-C or SIGTERM): every world is torn down first; the scorecard printed is partial"},
		},
		examples: []example{
			{"drill ci --base origin/main --gate 'pass_rate >= 0.9' --out ci-out", "lint, then run the drills the branch touches; write junit.xml and summary.md to ci-out"},
			{"drill ci --strict --speed 12", "lint (warnings fail too), then run every drill at ×12"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			base := fs.String("base", "", "git revision to compare with, e.g. origin/main; empty runs every drill")
			runFn := runFlags(fs)     // the same flags as drill run
			lintOpts := lintFlags(fs) // and as drill lint: --now, --strict
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("ci takes no arguments; it selects the drills from the change")
				}
				t, cleanup, err := loadTeam(e, fs.Lookup("team").Value.String())
				if err != nil {
					return err
				}
				defer cleanup()
				// before anything prints: in the drill world's network
				// namespace, drill ci runs again whole
				iso, handled, err := isolate(ctx, e, fs, t)
				if handled || err != nil {
					return err
				}
				e.iso = &iso

				opts, err := lintOpts()
				if err != nil {
					return err
				}
				r, err := lintTeam(ctx, e, "ci", t, opts)
				if err != nil {
					return err
				}
				if err := lint.WriteText(e.stdout, r); err != nil {
					return exitcode.With(exitcode.Harness, err)
				}
				if sum := r.Summary(); r.Failed() {
					if r.Strict && sum.Warnings > 0 {
						fmt.Fprintf(e.stdout, "drill ci: %d lint error(s) and %d warning(s) (--strict); no drill runs until they are fixed\n", sum.Errors, sum.Warnings)
					} else {
						fmt.Fprintf(e.stdout, "drill ci: %d lint error(s); no drill runs until they are fixed\n", sum.Errors)
					}
					// The pull request's comment says so too.
					if out := fs.Lookup("out").Value.String(); out != "" {
						if err := writeLintFailure(out, scenarios.TeamName(t), r); err != nil {
							return exitcode.With(exitcode.Harness, fmt.Errorf("--out %s: %w", out, err))
						}
						fmt.Fprintf(e.stdout, "drill ci: summary.md written to %s\n", out)
					}
					return exitcode.Silent(exitcode.Lint)
				}
				fmt.Fprintf(e.stdout, "drill ci: lint clean (%d warning or info findings above)\n", len(r.Findings))

				noBuiltin := fs.Lookup("no-builtin").Value.String() == "true"
				scs, err := allScenarios(t, !noBuiltin)
				if err != nil {
					return exitcode.With(exitcode.Usage, err)
				}
				var only []string
				if *base == "" {
					fmt.Fprintf(e.stdout, "drill ci: no --base; running all %d scenarios\n", len(scs))
					for _, sc := range scs {
						only = append(only, fmt.Sprintf("%s:%d", sc.File, sc.Line))
					}
				} else {
					changed, err := changedFiles(ctx, t.Dir, *base)
					if err != nil {
						return exitcode.With(exitcode.Usage, err)
					}
					hits := scenarios.Impact(t, scs, changed)
					if len(hits) == 0 {
						fmt.Fprintf(e.stdout, "drill ci: %d file(s) changed since %s; none touches a drill\n", len(changed), *base)
						return nil
					}
					fmt.Fprintf(e.stdout, "drill ci: %d file(s) changed since %s; %d scenario(s) touched:\n", len(changed), *base, len(hits))
					for _, h := range hits {
						fmt.Fprintf(e.stdout, "  %s:%d %s — %s\n", h.Scenario.File, h.Scenario.Line, h.Scenario.Name, h.Why)
						only = append(only, fmt.Sprintf("%s:%d", h.Scenario.File, h.Scenario.Line))
					}
				}
				return runFn(ctx, e, only, t)
			}
		},
	}
}

// writeLintFailure writes summary.md to dir for a run lint stopped: the
// findings, with their files as drill lint prints them, and that no
// drill ran.
func writeLintFailure(dir, teamName string, r *lint.Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	findings := make([]scoring.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		findings = append(findings, scoring.Finding{ID: f.ID, Severity: string(f.Severity), File: lint.TeamPath(r.Team, f.File), Line: f.Line, Message: f.Message})
	}
	f, err := os.Create(filepath.Join(dir, "summary.md"))
	if err != nil {
		return err
	}
	if err := scoring.WriteLintFailureMarkdown(f, teamName, findings, r.Strict); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func allScenarios(t *team.Team, builtin bool) ([]*features.Scenario, error) {
	sources := scenarios.Features(t, builtin)
	files := make([]string, 0, len(sources))
	for f := range sources {
		files = append(files, f)
	}
	sort.Strings(files)
	var out []*features.Scenario
	for _, f := range files {
		scs, err := features.Parse(f, []byte(sources[f]))
		if err != nil {
			return nil, err
		}
		out = append(out, scs...)
	}
	return out, nil
}

// changedFiles lists the files under dir that differ from base, committed
// or not, plus untracked ones, relative to dir.
func changedFiles(ctx context.Context, dir, base string) ([]string, error) {
	git := func(args ...string) ([]string, error) {
		cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), strings.TrimSpace(string(ee.Stderr)))
			}
			return nil, fmt.Errorf("git: %w", err)
		}
		return strings.Fields(string(out)), nil
	}
	if _, err := git("rev-parse", "--is-inside-work-tree"); err != nil {
		return nil, fmt.Errorf("%s is not in a git repository; drill ci asks git what changed (use drill run outside one)", dir)
	}
	diff, err := git("diff", "--name-only", "--relative", base, "--", ".")
	if err != nil {
		return nil, fmt.Errorf("--base %s: %w", base, err)
	}
	untracked, err := git("ls-files", "--others", "--exclude-standard", "--", ".")
	if err != nil {
		return nil, err
	}
	// drill's own state (.drill/: history, live files) is not the team's
	// change, even where the team does not ignore it in git.
	var out []string
	for _, f := range append(diff, untracked...) {
		if f != statedir.Name && !strings.HasPrefix(f, statedir.Name+"/") && !strings.Contains(f, "/"+statedir.Name+"/") {
			out = append(out, f)
		}
	}
	return out, nil
}
