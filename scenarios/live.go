package scenarios

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/timeline"
	"github.com/drillkit/drill/traffic"
)

// DefaultSettle bounds, in real time, how long CheckSeries waits for the
// world to show its metrics: every target scraped and, with traffic, a
// finished request of every kind in the mix.
const DefaultSettle = time.Minute

// settlePoll is how often, in real time, CheckSeries scrapes while it
// waits.
const settlePoll = 500 * time.Millisecond

// SeriesOptions tune CheckSeries.
type SeriesOptions struct {
	// Logger receives the world's log lines; nil discards.
	Logger *slog.Logger
	// Settle bounds the wait for the world (see DefaultSettle); 0 is
	// DefaultSettle.
	Settle time.Duration
	// Seed seeds the mocks and traffic; 0 is 1.
	Seed uint64
}

// RuleSeries is the series check of one of the team's rules: what each
// selector of its expression matched in the live world.
type RuleSeries struct {
	Rule      *team.AlertRule
	Selectors []alerting.SelectorCheck
}

// SeriesReport is what CheckSeries found.
type SeriesReport struct {
	// Rules are the team's rules in file order (those whose expression
	// does not parse are left out: team.Load reports them).
	Rules []RuleSeries
	// Exported are the metric names the world's own parts export and the
	// alerting engine writes (ExportedMetrics), whatever they exposed
	// yet; Open says the team's own service is scraped, whose names are
	// known only from what it exposed.
	Exported []string
	Open     bool
	// Requests is how many traffic requests had finished when the check
	// ran (0 without traffic).
	Requests int64
	// Endpoints are where the world served while it ran; all closed
	// when CheckSeries returns.
	Endpoints testbed.Endpoints
}

// CheckSeries is the live series check (drill lint --live): it starts
// the team's world as a scenario does (the testbed of its topology with
// traffic on: drill.yaml's traffic, or the default a traffic step starts;
// the alerting engine over the team's rule files), waits until every
// target has been scraped and the traffic generator has finished a
// request of every kind in its mix, scrapes twice more an evaluation
// interval apart (drill time) with the rules evaluated at each, checks
// every selector of every rule against the stored series
// (alerting.Engine.CheckSelectors), and tears everything down: nothing
// it started runs when it returns. A team without rules starts nothing.
//
// Invalid input (what Validate refuses) is returned as is; a world that
// does not come up, or does not settle within opts.Settle, is an error of
// the harness, naming what it waited for.
func CheckSeries(ctx context.Context, t *team.Team, opts SeriesOptions) (_ *SeriesReport, err error) {
	top, err := Validate(t)
	if err != nil {
		return nil, err
	}
	names, open := ExportedMetrics(top)
	rep := &SeriesReport{Exported: names, Open: open}
	if len(t.Rules) == 0 {
		return rep, nil
	}
	if top.Traffic == nil {
		cfg := traffic.DefaultConfig()
		top.Traffic = &cfg
	}
	settle := opts.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	tb, err := testbed.Start(ctx, top, testbed.Options{Dir: t.Dir, Logger: opts.Logger, Seed: seed})
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, tb.Close()) }()
	rep.Endpoints = tb.Endpoints()
	start := time.Now().UTC().Truncate(time.Second)
	clock := timeline.NewVirtual(start)
	targets := alertTargets(tb)
	ae, err := alerting.New(alerting.Options{
		Clock: clock, RuleFiles: ruleFiles(t), Targets: targets, Logger: opts.Logger,
		ExternalLabels: map[string]string{"drill": "true"}, Speed: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	defer func() { err = errors.Join(err, ae.Close()) }()

	at, err := settleWorld(ctx, tb, ae, clock, targets, *top.Traffic, settle)
	if err != nil {
		return nil, err
	}
	if g := tb.Traffic(); g != nil {
		rep.Requests = finished(g.Stats())
	}
	for _, r := range t.Rules {
		if r.ParsedExpr() == nil {
			continue
		}
		cs, err := ae.CheckSelectors(ctx, r.Expr, start, at)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: rule %s: %w", r.File, r.Line, r.Name(), err)
		}
		rep.Rules = append(rep.Rules, RuleSeries{Rule: r, Selectors: cs})
	}
	return rep, nil
}

// settleWorld scrapes and evaluates every settlePoll of real time, one
// evaluation interval of drill time apart, until two ticks in a row
// followed a moment when every kind of the mix had a finished request and
// every target answered its scrape. It returns the last tick's time.
func settleWorld(ctx context.Context, tb *testbed.Testbed, ae *alerting.Engine, clock *timeline.Virtual,
	targets []alerting.Target, cfg traffic.Config, settle time.Duration) (time.Time, error) {
	deadline := time.Now().Add(settle)
	poll := time.NewTicker(settlePoll)
	defer poll.Stop()
	at := clock.Now()
	ready := 0
	for {
		waiting := unfinishedKinds(tb, cfg)
		if err := ae.Tick(ctx, at); err != nil {
			return at, err
		}
		down, err := downTargets(ctx, ae, targets, at)
		if err != nil {
			return at, err
		}
		if len(waiting) == 0 && len(down) == 0 {
			ready++
		} else {
			ready = 0
		}
		if ready >= 2 {
			return at, nil
		}
		if err := tb.Failure(); err != nil {
			return at, err
		}
		if time.Now().After(deadline) {
			var what []string
			if len(down) > 0 {
				what = append(what, "scraping "+strings.Join(down, ", ")+" fails")
			}
			if len(waiting) > 0 {
				what = append(what, "no "+strings.Join(waiting, ", ")+" request of the traffic finished")
			}
			return at, &testbed.HarnessError{Op: "live series check",
				Err: fmt.Errorf("the world did not settle within %s: %s", settle, strings.Join(what, "; "))}
		}
		select {
		case <-ctx.Done():
			return at, ctx.Err()
		case <-poll.C:
		}
		at = at.Add(ae.Interval())
		clock.Set(at)
	}
}

// unfinishedKinds are the kinds of cfg's mix with no finished request
// yet, sorted.
func unfinishedKinds(tb *testbed.Testbed, cfg traffic.Config) []string {
	g := tb.Traffic()
	if g == nil {
		return nil
	}
	st := g.Stats()
	var out []string
	for kind, w := range cfg.Mix {
		if w <= 0 {
			continue
		}
		n := int64(0)
		for outcome, c := range st.ByKind[kind] {
			if outcome != traffic.OutcomeDropped {
				n += c
			}
		}
		if n == 0 {
			out = append(out, kind)
		}
	}
	sort.Strings(out)
	return out
}

func finished(st traffic.Stats) int64 {
	n := int64(0)
	for outcome, c := range st.Outcomes {
		if outcome != traffic.OutcomeDropped {
			n += c
		}
	}
	return n
}

// downTargets are the targets whose scrape at t failed, as "job (URL)".
func downTargets(ctx context.Context, ae *alerting.Engine, targets []alerting.Target, t time.Time) ([]string, error) {
	vec, err := ae.QueryAt(ctx, "up == 0", t)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range vec {
		job := s.Metric.Get("job")
		i := slices.IndexFunc(targets, func(tg alerting.Target) bool { return tg.Name == job })
		if i >= 0 {
			out = append(out, fmt.Sprintf("%s (%s)", job, targets[i].URL))
		} else {
			out = append(out, job)
		}
	}
	sort.Strings(out)
	return out, nil
}
