package lint

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
)

// Options parameterise Run. drill.yaml's lint section (severities, review
// interval, coverage days, sections, ...) is read from the team itself.
type Options struct {
	// Now is the reference time for review dates and the start of the
	// coverage walk; zero means time.Now().
	Now time.Time
	// Days is how far ahead coverage is walked; 0 takes drill.yaml's
	// lint.coverage_days (default 28).
	Days int
	// Strict makes findings at warning level fail the report
	// (Report.Failed), as errors do.
	Strict bool
	// ExposedMetrics are the metric names the drill topology exposes.
	// Run derives them from drill.yaml's topology when nil (what drill's
	// own parts export, scenarios.ExportedMetrics) unless the team's own
	// service is scraped, whose names only a live world shows (Live):
	// then, as with no topology, the alert-metric-unexposed and
	// alert-metric-outside-drill checks do not run.
	ExposedMetrics []string
	// Live adds the live series check (rule-selector-no-series,
	// rule-selector-unmatched): the team's world is started as a
	// scenario starts it, scraped, every selector of every rule checked
	// against what it exposed, and torn down (scenarios.CheckSeries).
	// Without it lint starts nothing and needs no network.
	Live bool
	// LiveSettle bounds the live check's wait for the world to show its
	// metrics; 0 is scenarios.DefaultSettle.
	LiveSettle time.Duration
	// Features, when set, lints these feature files of the team alone
	// (paths as t.Features keys them, features/x.feature): their syntax,
	// their steps against the catalog, and what a drill of them would
	// refuse (drill.yaml's topology, the names and faults their steps
	// give). The team's other checks do not run.
	Features []string
}

func (o Options) withDefaults(t *team.Team) Options {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Days <= 0 {
		o.Days = t.Config.Lint.CoverageDays
	}
	return o
}

// RefusedError is input a drill would refuse before any world starts:
// drill.yaml's topology, variables and responders (scenarios.Validate),
// and what the team's own drills' steps name and inject: alerts, teams,
// responders, roles, providers, stubs, metrics, faults and settings
// (scenarios.CheckSteps, what a run's Prepare checks). It is
// invalid input, never a finding: a team lint calls clean is a team whose
// drills start.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Run lints a loaded team: the checks of its files (runbooks, escalation,
// ownership and roles, alert rules), its feature files against the step
// catalog and its promtool rule tests through drill's alerting engine;
// with opts.Live, also the live series check of every rule's selectors.
// drill lint and drill ci both call it, so "lint clean" means one thing.
//
// The error is a team.Problems when drill.yaml's lint section names an
// unknown check (CheckConfig), a *RefusedError when a drill would refuse
// the team, and ctx's error when ctx ends first; with opts.Live, a
// world that fails to start or settle is the harness's error. Promtool
// tests and the live check run from disk, so t must come from team.Load
// (t.Dir set) when it has any.
func Run(ctx context.Context, t *team.Team, opts Options) (*Report, error) {
	if probs := CheckConfig(t.Config); len(probs) > 0 {
		return nil, probs
	}
	top, err := refused(t)
	if err != nil {
		return nil, &RefusedError{Err: err}
	}
	if len(opts.Features) > 0 {
		return runFeatures(t, opts)
	}
	if opts.Live && !t.Config.HasTopology() {
		_, err := scenarios.Validate(t) // the NoTopologyError
		return nil, &RefusedError{Err: fmt.Errorf("--live: %w", err)}
	}
	opts = opts.withDefaults(t)
	if opts.ExposedMetrics == nil && top != nil {
		if names, open := scenarios.ExportedMetrics(*top); !open {
			opts.ExposedMetrics = names
		}
	}
	raw := teamFindings(ctx, t, opts)
	raw = append(raw, featureFindings(t, nil)...)
	pf, err := promtoolFindings(ctx, t)
	if err != nil {
		return nil, err
	}
	raw = append(raw, pf...)
	if opts.Live {
		lf, err := liveFindings(ctx, t, opts)
		if err != nil {
			return nil, err
		}
		raw = append(raw, lf...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Report{
		Team:      t.Dir,
		Findings:  finish(func(id string) Severity { return SeverityOf(t.Config, id) }, raw),
		FilesRead: len(t.Files),
		Strict:    opts.Strict,
	}, nil
}

// refused is what a drill of the team would refuse before starting. The
// steps are checked for the team's own drills only; feature files that
// do not parse or name undefined steps are findings instead. A drill.yaml
// without topology (team: and the lint settings only) has no world to
// check against: its responders and escalation are checked, and lint
// needs nothing more.
//
// It returns the topology it validated (nil without one), for Run's
// checks that need what the world exposes.
func refused(t *team.Team) (*testbed.Topology, error) {
	if !t.Config.HasTopology() {
		return nil, errors.Join(
			response.CheckResponders(t.Config.File, t.Config.Responders, t.Escalation),
			response.CheckPolicies(t.Escalation),
		)
	}
	top, err := scenarios.Validate(t)
	if err != nil {
		return nil, err
	}
	sel, err := scenarios.Select(scenarios.Options{Team: t, All: true, NoBuiltin: true})
	if err != nil {
		return &top, nil // feature-syntax and feature-undefined-step report it
	}
	return &top, scenarios.CheckSteps(sel, t, top, false)
}

// runFeatures is Run for some feature files of the team alone.
func runFeatures(t *team.Team, opts Options) (*Report, error) {
	only := map[string]bool{}
	for _, f := range opts.Features {
		if _, ok := t.Features[f]; !ok {
			known := make([]string, 0, len(t.Features))
			for k := range t.Features {
				known = append(known, k)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("%s is not a feature file of team %s (its feature files are under %s/: %s)", f, t.Dir, t.Config.Paths.Features, strings.Join(known, ", "))
		}
		only[f] = true
	}
	top, err := scenarios.Validate(t)
	if err != nil {
		return nil, &RefusedError{Err: err}
	}
	raw := featureFindings(t, only)
	if len(raw) == 0 { // steps the catalog reads: check what they name
		sel, err := scenarios.Select(scenarios.Options{Team: t, Paths: opts.Features, NoBuiltin: true})
		if err == nil {
			err = scenarios.CheckSteps(sel, t, top, false)
		}
		if err != nil {
			return nil, &RefusedError{Err: err}
		}
	}
	return &Report{
		Team:      t.Dir,
		Findings:  finish(func(id string) Severity { return SeverityOf(t.Config, id) }, raw),
		FilesRead: len(only),
		Strict:    opts.Strict,
	}, nil
}
