package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/timeline"
	"github.com/drillkit/drill/traffic"
)

// mixes are the named request mixes of "steady traffic ... with the X
// mix": weights over the traffic generator's request kinds.
var mixes = map[string]map[string]float64{
	"default": {"chat": 6, "stream": 2, "json": 1, "canary": 1},
	"chat":    {"chat": 9, "canary": 1},
	"stream":  {"stream": 9, "canary": 1},
	"json":    {"json": 9, "canary": 1},
	"agent":   {"agent": 6, "chat": 3, "canary": 1},
	"canary":  {"canary": 1},
}

func mixNames() string {
	names := make([]string, 0, len(mixes))
	for n := range mixes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// SetTraffic configures the traffic before the world starts. Traffic
// starts with the world, so that the alerting engine scrapes it from the
// first evaluation.
func (w *world) SetTraffic(rate float64, mix string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return errors.New("traffic is set by Given steps, before the first When or Then step starts the world")
	}
	if !(rate > 0) {
		return fmt.Errorf("traffic rate: want requests per second above 0, got %v", rate)
	}
	cfg := traffic.DefaultConfig()
	if w.topology.Traffic != nil {
		cfg = *w.topology.Traffic
	}
	// Steady traffic: a ramp or steps from drill.yaml give way to the rate.
	cfg.Rate, cfg.Shape = rate, traffic.Shape{Kind: traffic.ShapeConstant}
	if mix != "" {
		m, ok := mixes[mix]
		if !ok {
			return fmt.Errorf("unknown traffic mix %q; known mixes: %s", mix, mixNames())
		}
		cfg.Mix = m
	}
	w.topology.Traffic = &cfg
	return nil
}

// SetResponderAvailable makes a simulated responder reachable or not; it
// applies from the start when called before the world starts.
func (w *world) SetResponderAvailable(user string, available bool) error {
	if w.team.Escalation != nil {
		if _, ok := w.team.Escalation.User(user); !ok {
			return fmt.Errorf("no user %q in the escalation files", user)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.unavailable == nil {
		w.unavailable = map[string]bool{}
	}
	w.unavailable[user] = !available
	if w.resp != nil {
		w.resp.SetUnavailable(user, !available)
	}
	return nil
}

func newResponse(w *world, clock timeline.Clock, vars map[string]string) (*response.Engine, error) {
	o := response.DefaultOptions()
	o.Clock, o.Log, o.Team, o.Variables = clock, w.log, w.team, vars
	o.Escalation = w.team.Escalation
	o.Seed = uint64(w.seed)
	o.Logger = w.opts.Logger
	if w.opts.StepTimeout > 0 {
		o.StepTimeout = w.opts.StepTimeout
	}
	if n := w.team.Config.Responders; n != nil {
		rc, err := response.ParseResponders(w.team.Config.File, n)
		if err != nil {
			return nil, err
		}
		o.Responders = rc
	}
	if w.opts.Live {
		o.Live, o.Pager, o.LiveAtSpeed = true, w.opts.Pager, w.opts.liveSpeed > 0
	}
	o.DryRun = w.opts.DryRun
	e, err := response.New(o)
	if err != nil {
		return nil, err
	}
	if w.opts.Live {
		if err := response.WriteLiveFile(w.opts.LiveDir, e.URL()); err != nil {
			return nil, errors.Join(err, e.Close())
		}
		if w.opts.Pager != nil {
			fmt.Fprintf(w.opts.Pager, "live drill: acknowledge pages with `drill ack` (endpoint %s)\n", e.URL())
		}
	}
	for u, off := range w.unavailable {
		e.SetUnavailable(u, off)
	}
	return e, nil
}

func (w *world) Inject(ctx context.Context, kind, target string, params map[string]string, d time.Duration) (string, error) {
	tb, _, err := w.running()
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	if g := tb.Traffic(); g != nil && !w.faulted { // the first fault: what requests took before it
		w.baseLatency = g.Stats().LatencyP50
	}
	w.faulted = true
	w.mu.Unlock()
	a, err := tb.Inject(ctx, kind, target, params, faults.Schedule{Duration: d})
	if err != nil {
		var he *testbed.HarnessError
		if errors.As(err, &he) {
			w.mu.Lock()
			w.harnessf("%w", err)
			w.mu.Unlock()
		}
		return "", err
	}
	return a.ID, nil
}

func (w *world) Evidence(ctx context.Context) (map[string]int64, error) {
	tb, _, err := w.running()
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, e := range tb.Evidence(ctx) {
		out[e.ID] = e.Affected
	}
	return out, nil
}

// evidence is Evidence with the sources, for verdicts: a fault whose
// evidence could not be read proves nothing.
func (w *world) evidence(ctx context.Context) []testbed.Evidence {
	w.mu.Lock()
	tb := w.tb
	w.mu.Unlock()
	if tb == nil {
		return nil
	}
	return tb.Evidence(ctx)
}
