package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// Targets is what an Injector can put faults on. The testbed fills it.
type Targets struct {
	// Proxies runs a proxy, by name, in front of every provider and stub.
	Proxies *Proxies
	// Providers and Stubs map a mock's name to the base URL of its control
	// API (http://127.0.0.1:port, which serves /_drill/faults).
	Providers map[string]string
	Stubs     map[string]string
	// Surge sets the traffic generator's rate multiplier (1 is normal).
	Surge func(factor float64) error
	// Sent, if set, counts the requests the traffic generator sent: the
	// evidence of a traffic surge.
	Sent func() int64
	// HTTP calls the control APIs; nil uses a client of the injector's own.
	HTTP *http.Client
}

// Schedule says when a fault is on, in drill time.
type Schedule struct {
	Start    time.Duration // after Apply; 0 turns the fault on before Apply returns
	Duration time.Duration // from the moment it is on; 0 lasts until Stop or RemoveAll
	Ramp     Ramp
}

// Ramp steps a fault's strength (toxicity, probability, surge factor) up
// in Steps equal steps: the first at 1/Steps of full strength when the
// fault goes on, the last at full strength Over later. Steps below 2 is no
// ramp.
type Ramp struct {
	Steps int
	Over  time.Duration
}

// Injector applies faults to the targets on a schedule in drill time,
// writes FaultOn and FaultOff events to the log, and removes every fault
// it added when asked, when a schedule ends, or when Apply's context is
// cancelled.
type Injector struct {
	targets Targets
	clock   timeline.Clock
	log     *timeline.Log
	client  *http.Client
	ownHTTP *http.Transport

	mu     sync.Mutex
	active map[string]*Active
	seq    int
}

// NewInjector returns an injector for targets writing to log, on the
// log's clock.
func NewInjector(t Targets, log *timeline.Log) *Injector {
	in := &Injector{targets: t, clock: log.Clock(), log: log, client: t.HTTP, active: map[string]*Active{}}
	if in.client == nil {
		in.ownHTTP = http.DefaultTransport.(*http.Transport).Clone()
		in.client = &http.Client{Timeout: 10 * time.Second, Transport: in.ownHTTP}
	}
	return in
}

// Active is one applied fault.
type Active struct {
	ID       string
	Spec     Spec
	Target   string
	Schedule Schedule

	in    *Injector
	kind  *Kind
	ap    applier
	stopc chan struct{}
	stop1 sync.Once
	done  chan struct{}

	mu   sync.Mutex // serializes calls to ap
	on   bool
	off  bool
	err  error
	last int64 // affected, as last counted
}

// removeTimeout bounds the removal of a fault once its scenario is over,
// even when the caller's context is gone.
const removeTimeout = 10 * time.Second

// Apply checks spec against the target and the schedule, then runs the
// schedule. With no start offset the fault is on when Apply returns, and
// an error turning it on comes back here; later errors are in Err and on
// the log as harness errors. An empty id gets one generated.
func (in *Injector) Apply(ctx context.Context, id string, spec Spec, target string, s Schedule) (*Active, error) {
	k, err := spec.kind()
	if err != nil {
		return nil, err
	}
	if err := checkSchedule(k, s); err != nil {
		return nil, err
	}
	in.mu.Lock()
	if id == "" {
		in.seq++
		id = k.Name + "-" + strconv.Itoa(in.seq)
	}
	if strings.ContainsAny(id, "/ ") {
		in.mu.Unlock()
		return nil, fmt.Errorf("faults: fault id %q must not contain '/' or spaces", id)
	}
	if _, dup := in.active[id]; dup {
		in.mu.Unlock()
		return nil, fmt.Errorf("faults: fault %q is already active; stop it first or choose another id", id)
	}
	if k.Name == "outage" {
		for _, a := range in.active {
			if a.kind.Name == "outage" && a.Target == target {
				in.mu.Unlock()
				return nil, fmt.Errorf("faults: proxy %q already has an outage (%s)", target, a.ID)
			}
		}
	}
	ap, err := in.applier(id, k, spec, target)
	if err != nil {
		in.mu.Unlock()
		return nil, err
	}
	a := &Active{ID: id, Spec: spec, Target: target, Schedule: s, in: in, kind: k, ap: ap,
		stopc: make(chan struct{}), done: make(chan struct{})}
	in.active[id] = a
	in.mu.Unlock()

	if s.Start == 0 {
		if err := a.turnOn(ctx, a.level(1)); err != nil {
			a.cleanup(ctx)
			close(a.done)
			in.forget(a)
			return nil, err
		}
	}
	go a.run(ctx)
	return a, nil
}

func checkSchedule(k *Kind, s Schedule) error {
	if s.Start < 0 || s.Duration < 0 || s.Ramp.Over < 0 || s.Ramp.Steps < 0 {
		return fmt.Errorf("faults: %s: schedule: start, duration and ramp must not be negative", k.Name)
	}
	if s.Ramp.Steps >= 2 {
		if k.Ramp == "" {
			return fmt.Errorf("faults: %s: cannot ramp; it is all or nothing", k.Name)
		}
		if s.Ramp.Over <= 0 {
			return fmt.Errorf("faults: %s: ramp of %d steps needs a period to step over", k.Name, s.Ramp.Steps)
		}
	}
	return nil
}

func (in *Injector) applier(id string, k *Kind, spec Spec, target string) (applier, error) {
	switch k.Target {
	case TargetProxy:
		if in.targets.Proxies == nil {
			return nil, fmt.Errorf("faults: %s needs toxiproxy, and this testbed has none", k.Name)
		}
		if _, err := in.targets.Proxies.get(target); err != nil {
			return nil, fmt.Errorf("faults: %s: %w", k.Name, err)
		}
		return &networkFault{proxies: in.targets.Proxies, proxy: target, id: id, kind: k, spec: spec}, nil
	case TargetProvider, TargetStub:
		mocks := in.targets.Providers
		if k.Target == TargetStub {
			mocks = in.targets.Stubs
		}
		u, ok := mocks[target]
		if !ok {
			names := make([]string, 0, len(mocks))
			for n := range mocks {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("faults: %s: no %s %q; %ss are: %s", k.Name, k.Target, target, k.Target, strings.Join(names, ", "))
		}
		return &appFault{client: in.client, control: u, id: id, kind: k, spec: spec}, nil
	case TargetTraffic:
		if in.targets.Surge == nil {
			return nil, fmt.Errorf("faults: %s: this testbed has no traffic generator", k.Name)
		}
		return &surgeFault{set: in.targets.Surge, sent: in.targets.Sent, factor: spec.Float("factor")}, nil
	}
	return nil, fmt.Errorf("faults: %s: unknown target type %q", k.Name, k.Target)
}

// level is the share of full strength at ramp step k (1-based).
func (a *Active) level(k int) float64 {
	if a.Schedule.Ramp.Steps < 2 {
		return 1
	}
	return float64(k) / float64(a.Schedule.Ramp.Steps)
}

func (a *Active) labels() map[string]string {
	return map[string]string{"kind": a.kind.Name, "target": a.Target, "mechanism": string(a.kind.Mechanism)}
}

func (a *Active) turnOn(ctx context.Context, level float64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ap.on(ctx, level); err != nil {
		return err
	}
	a.on = true
	attrs := map[string]string{}
	for n, v := range a.Spec.Params {
		attrs[n] = formatValue(v)
	}
	if a.Schedule.Ramp.Steps >= 2 {
		attrs["level"] = strconv.FormatFloat(level, 'f', -1, 64)
	}
	if a.Schedule.Duration > 0 {
		attrs["duration"] = a.Schedule.Duration.String()
	}
	a.in.log.Append(timeline.Event{Kind: timeline.FaultOn, Subject: a.ID, Labels: a.labels(), Attrs: attrs,
		Message: a.Spec.String() + " on " + a.Target})
	return nil
}

func (a *Active) stepTo(ctx context.Context, level float64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.ap.step(ctx, level); err != nil {
		return err
	}
	a.in.log.Append(timeline.Event{Kind: timeline.Note, Subject: a.ID, Labels: a.labels(),
		Attrs:   map[string]string{"level": strconv.FormatFloat(level, 'f', -1, 64)},
		Message: fmt.Sprintf("%s ramps to %g%% of full strength", a.kind.Name, level*100)})
	return nil
}

// cleanup turns the fault off if it is on, counts its evidence and logs
// FaultOff. It runs on a context of its own: a cancelled scenario still
// removes its faults.
func (a *Active) cleanup(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.on || a.off {
		return nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	errOff := a.ap.off(rctx)
	n, errEv := a.ap.affected(rctx)
	a.off = true
	attrs := map[string]string{"affected": strconv.FormatInt(n, 10), "evidence": string(a.ap.source())}
	if errEv != nil {
		attrs["evidence"] = string(scoring.EvidenceUnavailable)
		attrs["evidence_error"] = errEv.Error()
	}
	a.last = n
	msg := fmt.Sprintf("%s off %s: %d affected", a.kind.Name, a.Target, n)
	if errOff != nil {
		msg += "; removing it failed: " + errOff.Error()
	}
	a.in.log.Append(timeline.Event{Kind: timeline.FaultOff, Subject: a.ID, Labels: a.labels(), Attrs: attrs, Message: msg})
	return errOff
}

func (a *Active) fail(err error) {
	a.mu.Lock()
	a.err = errors.Join(a.err, err)
	a.mu.Unlock()
	a.in.log.Append(timeline.Event{Kind: timeline.HarnessError, Subject: a.ID, Labels: a.labels(), Message: err.Error()})
}

func (a *Active) run(ctx context.Context) {
	defer close(a.done)
	defer a.in.forget(a)
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return true
		}
		select {
		case <-a.clockAfter(d):
			return true
		case <-a.stopc:
		case <-ctx.Done():
		}
		return false
	}
	s := a.Schedule
	if s.Start > 0 {
		if !wait(s.Start) {
			return // never turned on: nothing to remove
		}
		if err := a.turnOn(ctx, a.level(1)); err != nil {
			a.fail(err)
			return
		}
	}
	onAt := a.in.clock.Now()
	// Step times, relative to onAt, then the end.
	type tick struct {
		at   time.Duration
		step int // 0: the end
	}
	var ticks []tick
	if n := s.Ramp.Steps; n >= 2 {
		for k := 2; k <= n; k++ {
			ticks = append(ticks, tick{at: s.Ramp.Over * time.Duration(k-1) / time.Duration(n-1), step: k})
		}
	}
	if s.Duration > 0 {
		ticks = append(ticks, tick{at: s.Duration})
	}
	sort.SliceStable(ticks, func(i, j int) bool { return ticks[i].at < ticks[j].at })
	for _, t := range ticks {
		if !wait(t.at - a.in.clock.Now().Sub(onAt)) {
			break
		}
		if t.step == 0 {
			break
		}
		if err := a.stepTo(ctx, a.level(t.step)); err != nil {
			a.fail(err)
			break
		}
	}
	if s.Duration == 0 {
		select {
		case <-a.stopc:
		case <-ctx.Done():
		}
	}
	if err := a.cleanup(ctx); err != nil {
		a.fail(err)
	}
}

// clockAfter waits d of drill time, measured from now.
func (a *Active) clockAfter(d time.Duration) <-chan time.Time { return a.in.clock.After(d) }

func (in *Injector) forget(a *Active) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.active[a.ID] == a {
		delete(in.active, a.ID)
	}
}

// Done is closed once the fault is over and removed (or never came on).
func (a *Active) Done() <-chan struct{} { return a.done }

// On reports whether the fault is on now.
func (a *Active) On() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.on && !a.off
}

// Err returns the errors of the schedule after Apply returned.
func (a *Active) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Source names where the fault's evidence comes from; a fault whose
// source is scoring.EvidenceUnavailable proves nothing.
func (a *Active) Source() scoring.EvidenceSource { return a.ap.source() }

// Affected returns how many connections (network kinds) or requests (app
// and traffic kinds) the fault affected so far; after it is off, the
// final count.
func (a *Active) Affected(ctx context.Context) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.off {
		return a.last, nil
	}
	return a.ap.affected(ctx)
}

// Stop removes the fault now and waits until it is removed.
func (a *Active) Stop(ctx context.Context) error {
	a.stop1.Do(func() { close(a.stopc) })
	select {
	case <-a.done:
	case <-ctx.Done():
		// The run goroutine removes it anyway, on a context of its own.
		return ctx.Err()
	}
	return a.Err()
}

// Active returns the faults applied and not yet removed, by ID.
func (in *Injector) Active() []*Active {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]*Active, 0, len(in.active))
	for _, a := range in.active {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RemoveAll removes every fault the injector added and waits for their
// schedules to end. Each removal runs on a context of its own, bounded by
// a timeout, so RemoveAll never gives up on a cancelled ctx: a scenario
// that ends, whatever happens, leaves no fault behind.
func (in *Injector) RemoveAll(context.Context) error {
	actives := in.Active()
	for _, a := range actives {
		a.stop1.Do(func() { close(a.stopc) })
	}
	var errs []error
	for _, a := range actives {
		<-a.done
		if err := a.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.ID, err))
		}
	}
	if in.ownHTTP != nil {
		in.ownHTTP.CloseIdleConnections()
	}
	return errors.Join(errs...)
}
