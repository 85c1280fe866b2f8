package testbed

import (
	"context"
	"fmt"
	"strings"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/scoring"
)

// Evidence is what one fault did: how many connections (network kinds)
// or requests (app and traffic kinds) it affected. It is the scoring
// package's, which judges it.
type Evidence = scoring.Evidence

// Inject applies a fault of the catalog (faults.Kinds) to a target: a
// provider or stub name (network kinds act on its proxy; app kinds on its
// mock), or nothing for traffic kinds. An empty target picks the first
// provider for provider and network kinds and the first stub for stub
// kinds. params are text, as `drill inject` and feature files give them;
// errors list what is valid.
func (tb *Testbed) Inject(ctx context.Context, kind, target string, params map[string]string, s faults.Schedule) (*faults.Active, error) {
	spec, err := faults.Parse(kind, params)
	if err != nil {
		return nil, err
	}
	k, _ := faults.Lookup(kind)
	target, err = tb.top.Target(k, target)
	if err != nil {
		return nil, err
	}
	a, err := tb.injector.Apply(ctx, "", spec, target, s)
	if err != nil {
		return nil, err
	}
	tb.faultMu.Lock()
	tb.applied = append(tb.applied, a)
	tb.faultMu.Unlock()
	return a, nil
}

// Target resolves the target of a fault of kind k: a provider or stub
// name of the topology, "" for the default one, nothing for traffic
// kinds. Errors list the valid names.
func (top Topology) Target(k *faults.Kind, target string) (string, error) {
	var names []string
	switch k.Target {
	case faults.TargetTraffic:
		if target != "" && target != "traffic" {
			return "", fmt.Errorf("%s acts on the traffic generator; give no target (got %q)", k.Name, target)
		}
		return "traffic", nil
	case faults.TargetProvider:
		names = namesOf(top.Providers, nil)
	case faults.TargetStub:
		names = namesOf(nil, top.Stubs)
	case faults.TargetProxy:
		names = namesOf(top.Providers, top.Stubs)
	}
	if target == "" {
		if len(names) == 0 {
			return "", fmt.Errorf("%s needs a %s, and this testbed has none", k.Name, k.Target)
		}
		return names[0], nil
	}
	for _, n := range names {
		if n == target {
			return target, nil
		}
	}
	what := "providers"
	switch k.Target {
	case faults.TargetStub:
		what = "stubs"
	case faults.TargetProxy:
		what = "proxies (providers and stubs)"
	}
	return "", fmt.Errorf("%s: no target %q; %s are: %s", k.Name, target, what, strings.Join(names, ", "))
}

func namesOf(ps []Provider, ss []Stub) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

// Evidence reports every fault injected so far, on or off, in order.
func (tb *Testbed) Evidence(ctx context.Context) []Evidence {
	tb.faultMu.Lock()
	applied := append([]*faults.Active(nil), tb.applied...)
	tb.faultMu.Unlock()
	out := make([]Evidence, 0, len(applied))
	for _, a := range applied {
		e := Evidence{ID: a.ID, Kind: a.Spec.Kind, Target: a.Target, Spec: a.Spec.String(), On: a.On(), Source: a.Source()}
		n, err := a.Affected(ctx)
		e.Affected = n
		if err != nil {
			e.Error = err.Error()
		} else if err := a.Err(); err != nil {
			e.Error = err.Error()
		}
		out = append(out, e)
	}
	return out
}

// Active returns the faults that are on or scheduled.
func (tb *Testbed) Active() []*faults.Active { return tb.injector.Active() }

// ClearFaults removes every fault and waits until they are gone. It never
// gives up on a cancelled ctx: a scenario that ends leaves no fault.
func (tb *Testbed) ClearFaults(ctx context.Context) error {
	return tb.injector.RemoveAll(ctx)
}
