package testbed

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/drillkit/drill/traffic"
)

// trafficRunner is what the testbed uses of a traffic generator.
type trafficRunner interface {
	MetricsURL() string
	SetMultiplier(x float64)
	Close() error
}

type trafficGen struct {
	*traffic.Generator
	sent *atomic.Int64
}

// StartTraffic starts (or replaces) the traffic generator against the
// service, with cfg (start from the topology's traffic section or
// traffic.DefaultConfig). A scenario calls it to start traffic after its
// own setup, or again to change the rate.
func (tb *Testbed) StartTraffic(ctx context.Context, cfg traffic.Config) error {
	if tb.svc == nil {
		return errors.New("testbed: traffic needs the service to be running")
	}
	var sent atomic.Int64
	onResult := cfg.OnResult
	cfg.OnResult = func(r traffic.Result) {
		sent.Add(1)
		if onResult != nil {
			onResult(r)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = tb.logger.With("component", "traffic")
	}
	if err := tb.loadPrompts(&cfg); err != nil {
		return err
	}
	g, err := traffic.New(cfg, tb.svc.Endpoint().URL)
	if err != nil {
		return err
	}
	// The generator lives as long as the testbed, not as long as ctx.
	if err := g.Start(context.WithoutCancel(ctx)); err != nil {
		_ = g.Close()
		return err
	}
	tb.trafficMu.Lock()
	old := tb.traffic
	tb.traffic = trafficGen{g, &sent}
	tb.trafficMu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

// StopTraffic stops the traffic generator, if one runs.
func (tb *Testbed) StopTraffic() error {
	tb.trafficMu.Lock()
	old := tb.traffic
	tb.traffic = nil
	tb.trafficMu.Unlock()
	if old == nil {
		return nil
	}
	return old.Close()
}

// Traffic returns the running generator, or nil.
func (tb *Testbed) Traffic() *traffic.Generator {
	tb.trafficMu.Lock()
	defer tb.trafficMu.Unlock()
	if g, ok := tb.traffic.(trafficGen); ok {
		return g.Generator
	}
	return nil
}

// surge is the traffic-surge fault's callback.
func (tb *Testbed) surge(factor float64) error {
	tb.trafficMu.Lock()
	defer tb.trafficMu.Unlock()
	if tb.traffic == nil {
		return fmt.Errorf("no traffic is running; start traffic before a surge")
	}
	tb.traffic.SetMultiplier(factor)
	return nil
}

// sent counts the requests the generator finished: a surge's evidence.
func (tb *Testbed) sent() int64 {
	tb.trafficMu.Lock()
	defer tb.trafficMu.Unlock()
	if g, ok := tb.traffic.(trafficGen); ok {
		return g.sent.Load()
	}
	return 0
}

// loadPrompts reads the prompts files of cfg's request kinds (relative to
// the team directory, through internal/teamfile, at most
// traffic.MaxPromptsFile bytes) into their prompts. cfg's Requests map is
// replaced, never changed in place: it may be the topology's.
func (tb *Testbed) loadPrompts(cfg *traffic.Config) error {
	if len(cfg.Requests) == 0 {
		return nil
	}
	reqs := make(map[string]traffic.Request, len(cfg.Requests))
	var errs []error
	for name, r := range cfg.Requests {
		if r.PromptsFile != "" && len(r.Prompts) == 0 {
			file, data, err := tb.teamFileMax(r.PromptsFile, traffic.MaxPromptsFile)
			if err == nil {
				r.Prompts, err = traffic.ParsePrompts(data)
				if err != nil {
					err = fmt.Errorf("%s: %w", file, err)
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("traffic.requests.%s.prompts_file: %w", name, err))
			}
			r.PromptsFile = ""
		}
		reqs[name] = r
	}
	cfg.Requests = reqs
	return errors.Join(errs...)
}
