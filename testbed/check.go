package testbed

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"

	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/stubs"
)

// shellName is a name a runbook command can read from its environment.
var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Check finds what Start would refuse in a topology and the team's
// variables from the files alone, and starts nothing: a provider config
// or stub file that does not load, an unknown kit, a gateway config that
// does not validate (a model with no price), a template that does not
// render. dir is the team directory relative paths start at. A run checks
// this before its first scenario, so bad input is an input error, not a
// harness failure in every scenario; lint and plans check it too.
func Check(top Topology, dir string, vars map[string]string) error {
	// A testbed that only pretends to have started: every provider and
	// stub has a placeholder address, so the same code that wires a real
	// testbed (gatewayConfig, templates) judges this one.
	tb := &Testbed{
		top: top, opts: Options{Dir: dir}, dir: dir, logger: slog.New(slog.DiscardHandler),
		providers: map[string]*upstream{}, stubs: map[string]*upstream{},
	}
	placeholder := func(name string) *upstream {
		u := "http://127.0.0.1:1/" + name
		return &upstream{name: name, direct: u, proxied: u}
	}
	var errs []error
	for _, p := range top.Providers {
		cfg := mockllm.DefaultConfig()
		if p.Config != "" {
			c, err := tb.loadProviderConfig(p.Config)
			if err != nil {
				errs = append(errs, fmt.Errorf("providers.%s.config: %w", p.Name, err))
			}
			cfg = c
		}
		tb.providerModels = append(tb.providerModels, cfg.Models...)
		tb.providers[p.Name] = placeholder(p.Name)
	}
	for _, s := range top.Stubs {
		var err error
		if s.Kit != "" {
			if _, err = stubs.Kit(s.Kit); err != nil {
				err = fmt.Errorf("stubs.%s.kit: %w", s.Name, err)
			}
		} else if _, err = tb.loadStub(s.File); err != nil {
			err = fmt.Errorf("stubs.%s.file: %w", s.Name, err)
		}
		errs = append(errs, err)
		tb.stubs[s.Name] = placeholder(s.Name)
	}
	data := tb.upstreamEndpoints()
	data.Port = 1
	svc := top.Service
	switch form := svc.Form(); form {
	case FormCommand, FormImage, FormCompose:
		field, args := "service.command", svc.Command
		if form == FormImage {
			field, args = "service.args", svc.Args
		}
		_, err := templateArgs(field, args, data)
		errs = append(errs, err)
		_, err = templateEnv(svc, data)
		errs = append(errs, err)
		if form == FormCompose {
			if _, _, err := tb.composeFile(); err != nil {
				errs = append(errs, fmt.Errorf("service.compose: %s: %w", svc.Compose, err))
			}
		}
		data.Service = endpointAt(svc, 1, form)
	default:
		if len(errs) == 0 { // the gateway's prices come from the providers' configs
			if _, err := tb.gatewayConfig(); err != nil {
				errs = append(errs, fmt.Errorf("service.gateway: %w", err))
			}
		}
		data.Service = builtinEndpoint("http://127.0.0.1:1")
	}
	if top.Traffic != nil {
		cfg := *top.Traffic
		err := tb.loadPrompts(&cfg)
		if err == nil {
			err = cfg.Validate() // the first prompt of a file renders in every template
		}
		errs = append(errs, err)
	}
	data.Toxiproxy.URL = "http://127.0.0.1:1"
	data.Traffic.Metrics = "http://127.0.0.1:1/metrics"
	for _, n := range slices.Sorted(maps.Keys(vars)) {
		if !shellName.MatchString(n) {
			// Runbook commands read variables from their environment.
			errs = append(errs, fmt.Errorf("variables.%s: not a shell variable name; want letters, digits and _, not starting with a digit", n))
		}
		if _, err := render(n, vars[n], data); err != nil {
			errs = append(errs, fmt.Errorf("variables.%s: %w", n, err))
		}
	}
	for i, err := range errs {
		if err != nil {
			errs[i] = fmt.Errorf("%s: %w", top.File, err)
		}
	}
	return errors.Join(errs...)
}
