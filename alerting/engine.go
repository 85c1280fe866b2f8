package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/rules"

	"github.com/drillkit/drill/timeline"
)

// DefaultEvalInterval is the evaluation interval of a rule group that sets
// none and of an engine given no EvalInterval.
const DefaultEvalInterval = 15 * time.Second

// liveMaxSamples bounds one query's samples in the live engine, as
// Prometheus' --query.max-samples default does.
const liveMaxSamples = 50_000_000

// ErrClosed is returned by an Engine used after Close.
var ErrClosed = errors.New("alerting: engine is closed")

// Options configure an Engine.
type Options struct {
	// Clock tells drill time; required.
	Clock timeline.Clock
	// Log receives AlertPending, AlertFiring and AlertResolved events; nil
	// records none.
	Log *timeline.Log
	// RuleFiles are Prometheus rule files (groups of recording and
	// alerting rules), as the team runs them in production.
	RuleFiles []string
	// ExternalLabels are visible to templates as $externalLabels and are
	// added to alert events, as Prometheus adds them to sent alerts.
	ExternalLabels map[string]string
	// ExternalURL is visible to templates as $externalURL.
	ExternalURL string
	// Targets are the /metrics endpoints to scrape.
	Targets []Target
	// Speed multiplies counter samples (rates stay, durations compress).
	// 0 takes the clock's speed, or 1 for a virtual clock.
	Speed float64
	// EvalInterval, when set, is the scrape and evaluation interval of
	// every group. When zero, each group keeps its own interval, or
	// DefaultEvalInterval; targets are scraped at the shortest one.
	EvalInterval time.Duration
	// ScrapeTimeout bounds one scrape in real time. Zero: one real
	// evaluation interval, at least 1s and at most 10s.
	ScrapeTimeout time.Duration
	// Logger receives rule evaluation and scrape warnings; nil discards.
	Logger *slog.Logger
	// TempDir is where the TSDB directory is made; "" is os.TempDir.
	TempDir string
	// Record, when set, keeps what Recording returns, within its bounds:
	// the series scraped, the drill time of every tick and every alert
	// transition. Nil keeps nothing (a drill up engine runs for hours).
	Record *RecordLimit
}

// Engine scrapes targets and evaluates rule groups in drill time.
type Engine struct {
	clock    timeline.Clock
	log      *timeline.Log
	logger   *slog.Logger
	scale    float64
	interval time.Duration // tick interval: the shortest group interval
	timeout  time.Duration

	client    *http.Client
	transport *http.Transport

	mu       sync.RWMutex
	core     *core
	targets  []*scrapeTarget
	schedule []groupSchedule
	lastTick time.Time
	// firstTick is the drill time of the first tick: the data begins then.
	firstTick time.Time
	lastCost  tickCost
	ruleErrs  map[string]string // last logged error per rule, to log changes only
	closed    bool

	rec     *recorder // nil unless Options.Record
	ext     map[string]string
	url     string
	evalOpt time.Duration // Options.EvalInterval, for a replay
}

// tickCost is what a tick took in real time, by part.
type tickCost struct {
	scrape, rules time.Duration
}

// String reads "12.3ms of real time (scrape 1.2ms, rules 11.1ms)".
func (c tickCost) String() string {
	return fmt.Sprintf("%s of real time (scrape %s, rules %s)", short(c.scrape+c.rules), short(c.scrape), short(c.rules))
}

// short rounds a real duration to what a person reads: 12.34ms, 1.23s.
func short(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

type groupSchedule struct {
	g        *rules.Group
	interval time.Duration
	last     time.Time
}

// New checks opts, opens an empty store and loads the rule files.
func New(opts Options) (*Engine, error) {
	if opts.Clock == nil {
		return nil, errors.New("alerting: Options.Clock is nil; want the drill clock")
	}
	if opts.Speed < 0 {
		return nil, fmt.Errorf("alerting: Options.Speed is %v; want a positive number, or 0 for the clock's speed", opts.Speed)
	}
	if opts.EvalInterval < 0 {
		return nil, fmt.Errorf("alerting: Options.EvalInterval is %v; want a positive duration, or 0 for each group's own", opts.EvalInterval)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	scale := opts.Speed
	if scale == 0 {
		scale = opts.Clock.Speed()
	}
	if scale <= 0 {
		scale = 1
	}
	var targets []*scrapeTarget
	names := map[string]bool{}
	for _, t := range opts.Targets {
		st, err := newScrapeTarget(t)
		if err != nil {
			return nil, err
		}
		if names[t.Name+"\xff"+st.instance] {
			return nil, fmt.Errorf("alerting: target %s at %s is listed twice", t.Name, t.URL)
		}
		names[t.Name+"\xff"+st.instance] = true
		targets = append(targets, st)
	}
	defInterval := opts.EvalInterval
	if defInterval == 0 {
		defInterval = DefaultEvalInterval
	}
	c, err := openCore(opts.TempDir, logger, defInterval, liveMaxSamples)
	if err != nil {
		return nil, err
	}
	if errs := c.loadRules(opts.RuleFiles, defInterval, labels.FromMap(opts.ExternalLabels), opts.ExternalURL, nil); errs != nil {
		_ = c.close()
		return nil, fmt.Errorf("alerting: loading rules: %w", errors.Join(errs...))
	}
	e := &Engine{
		clock: opts.Clock, log: opts.Log, logger: logger, scale: scale,
		core: c, targets: targets, ruleErrs: map[string]string{},
		ext: opts.ExternalLabels, url: opts.ExternalURL, evalOpt: opts.EvalInterval,
	}
	e.schedule, e.interval = scheduleOf(c.groups, opts.EvalInterval, defInterval)
	if opts.Record != nil {
		if err := opts.Record.check(); err != nil {
			_ = c.close()
			return nil, err
		}
		e.rec = &recorder{limit: *opts.Record}
		for _, st := range targets {
			st.seen, st.seenMax = map[uint64]labels.Labels{}, opts.Record.MaxSeries
		}
	}
	e.timeout = opts.ScrapeTimeout
	if e.timeout <= 0 {
		e.timeout = min(max(timeline.Real(opts.Clock, e.interval), time.Second), 10*time.Second)
	}
	e.transport = http.DefaultTransport.(*http.Transport).Clone()
	e.client = &http.Client{Transport: e.transport}
	return e, nil
}

// scheduleOf is the groups' schedule and the tick interval (the shortest
// group interval): every group at evalInterval when set, else at its own
// interval (def when it has none).
func scheduleOf(groups []*rules.Group, evalInterval, def time.Duration) ([]groupSchedule, time.Duration) {
	var out []groupSchedule
	var tick time.Duration
	for _, g := range groups {
		itv := g.Interval()
		if evalInterval > 0 {
			itv = evalInterval
		}
		out = append(out, groupSchedule{g: g, interval: itv})
		if tick == 0 || itv < tick {
			tick = itv
		}
	}
	if tick == 0 {
		tick = def
	}
	return out, tick
}

// due is the groups due at drill time t, marked evaluated then: those
// never evaluated, and those whose interval has passed since.
func due(schedule []groupSchedule, t time.Time) []*rules.Group {
	var out []*rules.Group
	for i := range schedule {
		s := &schedule[i]
		if s.last.IsZero() || t.Sub(s.last) >= s.interval {
			out = append(out, s.g)
			s.last = t
		}
	}
	return out
}

// Interval is the drill time between ticks: the shortest group interval.
func (e *Engine) Interval() time.Duration { return e.interval }

// Speed is the factor counter samples are multiplied by.
func (e *Engine) Speed() float64 { return e.scale }

// Run scrapes and evaluates every Interval of drill time, starting now,
// until ctx ends (then it returns nil). When a tick takes longer than an
// interval of real time, the ticks it overran are skipped and logged.
func (e *Engine) Run(ctx context.Context) error {
	next := e.clock.Now()
	for {
		if err := timeline.Sleep(ctx, e.clock, next.Sub(e.clock.Now())); err != nil {
			return nil // ctx ended: a normal stop
		}
		if err := e.Tick(ctx, next); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		next = next.Add(e.interval)
		if now := e.clock.Now(); now.Sub(next) >= e.interval {
			skipped := int(now.Sub(next) / e.interval)
			e.mu.RLock()
			cost := e.lastCost
			e.mu.RUnlock()
			budget := time.Duration(float64(e.interval) / e.clock.Speed())
			e.logger.Warn("alerting: evaluation falls behind the drill clock; skipping ticks",
				"skipped", skipped, "interval", e.interval, "speed", e.clock.Speed(), "tick", cost.String(), "budget", budget)
			if e.log != nil {
				// Prometheus' semantics hold across skipped evaluations, but
				// alert times are then late by up to the skipped span: the
				// scorecard says so.
				e.log.Append(timeline.Event{Kind: timeline.HarnessLag, Subject: "alerting",
					Attrs: map[string]string{"skipped": strconv.Itoa(skipped), "interval": e.interval.String()},
					Message: fmt.Sprintf("alert evaluation fell behind the drill clock at speed ×%g: a tick took %s, "+
						"%s is all a %s interval gets; skipped %d evaluation(s)", e.clock.Speed(), cost, budget, e.interval, skipped)})
			}
			next = next.Add(time.Duration(skipped) * e.interval)
		}
	}
}

// Tick scrapes every target and evaluates the groups due at drill time t,
// emitting alert events stamped t. Ticks must move forward in time.
func (e *Engine) Tick(ctx context.Context, t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if !e.lastTick.IsZero() && !t.After(e.lastTick) {
		return fmt.Errorf("alerting: tick at %s is not after the previous tick at %s", t.Format(time.RFC3339Nano), e.lastTick.Format(time.RFC3339Nano))
	}
	e.lastTick = t
	if e.firstTick.IsZero() {
		e.firstTick = t
	}
	start := time.Now()
	if err := e.scrapeAll(ctx, t); err != nil {
		return err
	}
	scraped := time.Now()
	defer func() { e.lastCost = tickCost{scrape: scraped.Sub(start), rules: time.Since(scraped)} }()
	dueNow := due(e.schedule, t)
	trs, _ := e.core.eval(ctx, t, dueNow)
	e.logRuleErrors(dueNow)
	e.rec.tick(t, trs)
	for _, tr := range trs {
		if e.log != nil {
			e.log.Append(e.core.event(tr))
		}
	}
	return nil
}

func (e *Engine) scrapeAll(ctx context.Context, t time.Time) error {
	errs := make([]error, len(e.targets))
	var wg sync.WaitGroup
	for i, st := range e.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prevErr := st.lastErr
			errs[i] = st.scrape(ctx, e.client, e.core.db, t, e.scale, e.timeout)
			if st.lastErr != nil && (prevErr == nil || prevErr.Error() != st.lastErr.Error()) {
				e.logger.Warn("alerting: scrape failed; up=0", "job", st.Name, "url", st.URL, "err", st.lastErr)
			}
			switch {
			case st.lastErr == nil:
				st.failingSince = time.Time{}
			case prevErr == nil:
				st.failingSince = t
			}
		}()
	}
	wg.Wait()
	if e.log != nil {
		for _, st := range e.targets {
			if ev, ok := st.transition(t); ok {
				e.log.Append(ev)
			}
		}
	}
	return errors.Join(errs...)
}

// logRuleErrors logs a rule's evaluation error when it changes, so a
// broken rule is reported once, not every tick.
func (e *Engine) logRuleErrors(groups []*rules.Group) {
	for _, g := range groups {
		for _, r := range g.Rules() {
			key := g.Name() + "/" + r.Name()
			msg := ""
			if err := r.LastError(); err != nil {
				msg = err.Error()
			}
			if msg != e.ruleErrs[key] {
				if msg != "" {
					e.logger.Warn("alerting: rule evaluation failed", "group", g.Name(), "rule", r.Name(), "err", msg)
				}
				e.ruleErrs[key] = msg
			}
		}
	}
}

// Alerts returns the active (pending or firing) alerts, sorted by name
// and labels.
func (e *Engine) Alerts() []Alert {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil
	}
	return e.core.active()
}

// Query evaluates a PromQL expression at the current drill time against
// the scraped and recorded series. A scalar result comes back as one
// sample without labels.
func (e *Engine) Query(ctx context.Context, expr string) (promql.Vector, error) {
	return e.QueryAt(ctx, expr, e.clock.Now())
}

// QueryAt evaluates a PromQL expression at drill time t.
func (e *Engine) QueryAt(ctx context.Context, expr string, t time.Time) (promql.Vector, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	v, err := e.core.query(ctx, expr, t)
	if err != nil {
		return nil, fmt.Errorf("alerting: query %q: %w", expr, err)
	}
	return v, nil
}

// Close stops using the store and removes its directory. It is safe to
// call twice; a running Run should be stopped (its ctx cancelled) first.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	e.transport.CloseIdleConnections()
	return e.core.close()
}
