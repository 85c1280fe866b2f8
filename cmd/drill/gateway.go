package main

import (
	"context"
	"fmt"

	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/strictyaml"
)

// serveGateway runs the reference gateway: defaults, then the config file,
// then DRILL_* environment variables, then --addr.
func serveGateway(ctx context.Context, e *env, o serveOptions) error {
	if o.seed.set {
		return usageErrorf("--seed: the gateway has no seeded behaviour; drop the flag")
	}
	cfg := gateway.DefaultConfig()
	if o.config != "" {
		data, err := strictyaml.ReadFile(o.config)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if cfg, err = gateway.ParseConfig(o.config, data); err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
	}
	if err := cfg.ApplyEnv(e.getenv); err != nil {
		return exitcode.With(exitcode.Usage, fmt.Errorf("environment: %w", err))
	}
	if o.addr != "" {
		cfg.Addr = o.addr
	}
	if err := cfg.Validate(); err != nil {
		return exitcode.With(exitcode.Usage, fmt.Errorf("gateway config: %w\n(set it in a --config file or DRILL_* variables: 'drill help serve' lists them)", err))
	}
	srv, err := gateway.Start(cfg)
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	defer srv.Close()
	fmt.Fprintf(e.stdout, "gateway listening on %s\n", srv.URL())
	fmt.Fprintf(e.stdout, "  OpenAI base URL:  %s/v1\n", srv.URL())
	fmt.Fprintf(e.stdout, "  agent:            %s/v1/agent/run\n", srv.URL())
	fmt.Fprintf(e.stdout, "  admin API:        %s\n", srv.AdminURL())
	fmt.Fprintf(e.stdout, "  metrics:          %s/metrics\n", srv.URL())
	fmt.Fprintf(e.stdout, "  primary:          %s (%s %s at %s)\n", cfg.Primary.Name, cfg.Primary.Kind, cfg.Primary.Model, cfg.Primary.BaseURL)
	if cfg.Secondary.BaseURL != "" {
		fmt.Fprintf(e.stdout, "  secondary:        %s (%s %s at %s)\n", cfg.Secondary.Name, cfg.Secondary.Kind, cfg.Secondary.Model, cfg.Secondary.BaseURL)
	}
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "gateway stopped")
	return srv.Close()
}
