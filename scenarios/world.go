package scenarios

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/timeline"
)

// world is one scenario's running environment; it implements
// features.Env.
type world struct {
	opts     *Options
	team     *team.Team
	topology testbed.Topology
	seed     int64

	mu      sync.Mutex
	speed   float64
	clock   timeline.Clock
	log     *timeline.Log
	tb      *testbed.Testbed
	alerts  *alerting.Engine
	resp    *response.Engine
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
	harness error // the first harness failure

	unavailable map[string]bool // responders made unreachable by Given steps

	// For the speed warning: the rules' windows, how the speed was chosen
	// ("--speed" or the scenario's step), and the median request latency
	// before the first fault (0 when no request had ended by then).
	windows     []alerting.Window
	speedHow    string
	faulted     bool
	baseLatency time.Duration

	// record, when set, gets the alerting engine's recording (or why
	// there is none) as the world closes (Options.Record).
	record func(*alerting.Recording, error)
}

func newWorld(opts *Options, t *team.Team, top testbed.Topology, seed int64) *world {
	w := &world{opts: opts, team: t, topology: top, seed: seed, speed: opts.Speed}
	// The log exists before Start so that steps before it (and the
	// planner) have a clock to read; Start replaces the clock's origin.
	w.clock = timeline.NewVirtual(opts.Start)
	w.log = timeline.NewLog(w.clock)
	return w
}

func (w *world) Started() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.started
}

func (w *world) SetSpeed(speed float64) error {
	if err := timeline.CheckSpeed(speed); err != nil {
		return fmt.Errorf("speed: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("the speed cannot change once the environment runs")
	}
	w.speed = speed
	return nil
}

func (w *world) Clock() timeline.Clock { w.mu.Lock(); defer w.mu.Unlock(); return w.clock }
func (w *world) Log() *timeline.Log    { w.mu.Lock(); defer w.mu.Unlock(); return w.log }
func (w *world) Team() *team.Team      { return w.team }

// Live reports whether the responders are the people in the room
// (features.LiveEnv).
func (w *world) Live() bool { return w.opts.Live }

// Tell shows the people in the room one line on the pager.
func (w *world) Tell(msg string) {
	if w.opts.Live && w.opts.Pager != nil {
		fmt.Fprintln(w.opts.Pager, msg)
	}
	if w.opts.Live && w.opts.Console != nil {
		w.opts.Console.Tell(msg)
	}
}

var _ features.LiveEnv = (*world)(nil)

// Start brings the world up. Any failure is a harness error.
func (w *world) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return nil
	}
	clock, err := timeline.NewScaled(w.opts.Start, w.speed)
	if err != nil {
		return w.harnessf("clock: %w", err)
	}
	w.clock = clock
	w.log = timeline.NewLog(clock)

	runCtx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	tb, err := testbed.Start(runCtx, w.topology, testbed.Options{
		Dir: w.team.Dir, Logger: w.opts.Logger, Log: w.log, Seed: uint64(w.seed), Toxiproxy: w.opts.Toxiproxy,
	})
	if err != nil {
		return w.harnessf("%w", err)
	}
	w.tb = tb
	vars, err := tb.ResolveAll(w.team.Config.Variables)
	if err != nil {
		return w.harnessf("drill.yaml %w", err)
	}
	var limit *alerting.RecordLimit
	if w.opts.Record != nil {
		l := w.opts.RecordLimit
		if l == (alerting.RecordLimit{}) {
			l = alerting.DefaultRecordLimit
		}
		limit = &l
	}
	ae, err := alerting.New(alerting.Options{
		Clock: clock, Log: w.log, RuleFiles: ruleFiles(w.team), Targets: alertTargets(tb),
		Logger: w.opts.Logger, ExternalLabels: map[string]string{"drill": "true"}, Record: limit,
	})
	if err != nil {
		return w.harnessf("alerting: %w", err)
	}
	w.alerts = ae
	if w.opts.Live && w.opts.Pager != nil {
		// The people in the room run the runbook themselves: give them
		// the same bindings the simulated responders get.
		names := make([]string, 0, len(vars))
		for n := range vars {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintln(w.opts.Pager, "runbook variables for this drill (paste into your shell):")
		for _, n := range names {
			fmt.Fprintf(w.opts.Pager, "  export %s=%q\n", n, vars[n])
		}
	}
	resp, err := newResponse(w, clock, vars)
	if err != nil {
		return w.harnessf("response: %w", err)
	}
	w.resp = resp
	// Setup is over: drill time starts now, with the engines.
	clock.Rebase()
	w.log.Append(timeline.Event{Kind: timeline.ScenarioStart, Message: fmt.Sprintf("world ready (speed ×%g, seed %d)", w.speed, w.seed)})
	if c := w.opts.Console; c != nil {
		var api http.Handler
		if w.opts.Live {
			api = resp.LiveHandler()
		}
		c.Attach(w.log, api, w.Evidence)
	}
	// An engine that stops on its own leaves the drill without alerts or
	// pages: a harness failure, never the team's.
	w.wg.Add(3)
	go func() {
		defer w.wg.Done()
		if err := ae.Run(runCtx); err != nil {
			w.failed(fmt.Errorf("alerting stopped: %w", err))
		}
	}()
	go func() {
		defer w.wg.Done()
		if err := resp.Run(runCtx); err != nil {
			w.failed(fmt.Errorf("response stopped: %w", err))
		}
	}()
	go func() {
		defer w.wg.Done()
		select {
		case <-runCtx.Done():
		case err := <-tb.Err():
			w.failed(err)
		}
	}()
	// An incident that reached its limits (response.Limits) stopped with
	// a harness error of its own on the timeline; the drill is an error.
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		select {
		case <-runCtx.Done():
		case err := <-resp.Err():
			w.mu.Lock()
			if w.harness == nil {
				w.harness = err
			}
			w.mu.Unlock()
		}
	}()
	w.started = true
	return nil
}

// warnSpeed warns, at the end of a drill, when its speed made its alert
// times approximate: traffic too thin for the rules' windows, or requests
// that span more than an evaluation interval of drill time (see
// speedWarning). The event carries the highest speed that would keep them
// steady, for the scorecard.
func (w *world) warnSpeed() {
	w.mu.Lock()
	tb, ae, log := w.tb, w.alerts, w.log
	check := speedCheck{Speed: w.speed, How: w.speedHow, Windows: w.windows, Latency: w.baseLatency, BeforeFault: w.baseLatency > 0}
	w.mu.Unlock()
	if tb == nil || ae == nil || w.opts.Live || w.topology.Traffic == nil {
		return // not started, real time, or no traffic
	}
	check.Rate, check.Interval = w.topology.Traffic.LowestRate(), ae.Interval()
	if g := tb.Traffic(); g != nil && check.Latency == 0 { // no fault, or none before the first request ended
		check.Latency = g.Stats().LatencyP50
	}
	msg, steady := speedWarning(check)
	if msg == "" {
		return
	}
	log.Append(timeline.Event{Kind: timeline.HarnessWarning, Subject: timeline.SpeedWarning, Message: msg,
		Attrs: map[string]string{timeline.SteadySpeed: strconv.FormatFloat(steady, 'g', -1, 64)}})
}

// failed records a harness failure while the world runs, on the log too.
func (w *world) failed(err error) {
	w.mu.Lock()
	if w.harness == nil {
		w.harness = err
	}
	log := w.log
	w.mu.Unlock()
	log.Append(timeline.Event{Kind: timeline.HarnessError, Message: err.Error()})
}

func (w *world) harnessf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if w.harness == nil {
		w.harness = err
	}
	return err
}

// Harness returns the first harness failure, if any.
func (w *world) Harness() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.harness
}

// alertTargets is every /metrics endpoint of the testbed, as the
// alerting engine scrapes them.
func alertTargets(tb *testbed.Testbed) []alerting.Target {
	var out []alerting.Target
	for _, t := range tb.MetricsTargets() {
		out = append(out, alerting.Target{Name: t.Name, URL: t.URL})
	}
	return out
}

// ruleWindows are the windows of the team's alerting rules (see
// alerting.RuleWindows), from the rules the team package loaded.
func ruleWindows(t *team.Team) ([]alerting.Window, error) {
	return alerting.RuleWindows(alertingRules(t))
}

// alertingRules are the team's rules as the alerting package reads them.
func alertingRules(t *team.Team) []alerting.Rule {
	rules := make([]alerting.Rule, len(t.Rules))
	for i, r := range t.Rules {
		rules[i] = alerting.Rule{Alert: r.Alert, Record: r.Record, Expr: r.Expr, File: r.File, For: r.For, Interval: r.GroupInterval}
	}
	return rules
}

// RuleFiles are the team's Prometheus rule files, as drill evaluates
// them (drill up watches its alerts with them too).
func RuleFiles(t *team.Team) []string { return ruleFiles(t) }

func ruleFiles(t *team.Team) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range t.Rules {
		f := r.File
		if !filepath.IsAbs(f) {
			f = filepath.Join(t.Dir, f)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func (w *world) running() (*testbed.Testbed, *alerting.Engine, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return nil, nil, errors.New(`the environment is not running; start it with "Given the team's environment is running"`)
	}
	if w.tb == nil { // a console's heartbeat may ask after teardown
		return nil, nil, errors.New("the environment was torn down")
	}
	return w.tb, w.alerts, nil
}

func (w *world) Query(ctx context.Context, expr string) (float64, bool, error) {
	_, ae, err := w.running()
	if err != nil {
		return 0, false, err
	}
	vec, err := ae.Query(ctx, expr)
	if err != nil {
		return 0, false, err
	}
	if len(vec) == 0 {
		return 0, false, nil
	}
	return vec[0].F, true, nil
}

func (w *world) ReadAlert(ctx context.Context, alert string, at time.Time) (features.Reading, error) {
	_, ae, err := w.running()
	if err != nil {
		return features.Reading{}, err
	}
	r, err := ae.ReadAlert(ctx, alert, at)
	return reading(r), err
}

func (w *world) ReadCondition(ctx context.Context, expr string, at time.Time) (features.Reading, error) {
	_, ae, err := w.running()
	if err != nil {
		return features.Reading{}, err
	}
	r, err := ae.ReadCondition(ctx, expr, at)
	return reading(r), err
}

func reading(r alerting.Reading) features.Reading {
	return features.Reading{Good: r.Health == alerting.Good, NoData: r.Health == alerting.NoData, Detail: r.Detail}
}

func (w *world) EvalInterval() time.Duration {
	_, ae, err := w.running()
	if err != nil {
		return 15 * time.Second
	}
	return ae.Interval()
}

// Close tears the world down; it is safe to call twice and on a world
// that never started.
func (w *world) Close() error {
	w.mu.Lock()
	cancel, tb, ae, resp, record := w.cancel, w.tb, w.alerts, w.resp, w.record
	w.cancel, w.tb, w.alerts, w.resp, w.record = nil, nil, nil, nil, nil
	w.mu.Unlock()
	var errs []error
	if tb != nil {
		// Faults first, while everything still answers.
		ctx, done := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, tb.ClearFaults(ctx))
		done()
	}
	if cancel != nil {
		cancel()
	}
	w.wg.Wait()
	if resp != nil {
		if w.opts.Live {
			errs = append(errs, response.RemoveLiveFile(w.opts.LiveDir, resp.URL()))
		}
		errs = append(errs, resp.Close())
	}
	if record != nil {
		// The engine has stopped ticking (its Run ended with wg): what it
		// recorded is final.
		if ae == nil {
			record(nil, errors.New("no alerting engine ran: the environment never started"))
		} else {
			record(ae.Recording(context.Background()))
		}
	}
	if ae != nil {
		errs = append(errs, ae.Close())
	}
	if tb != nil {
		errs = append(errs, tb.Close())
	}
	if w.opts.Logger != nil {
		for _, e := range errs {
			if e != nil {
				w.opts.Logger.Warn("teardown", slog.Any("err", e))
			}
		}
	}
	return errors.Join(errs...)
}
