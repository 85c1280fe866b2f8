package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/stubs"
)

// serveStubs runs one stub server: a stub file (--config FILE) or an
// embedded kit (--config kit:NAME).
func serveStubs(ctx context.Context, e *env, o serveOptions) error {
	kits := strings.Join(stubs.Kits(), ", ")
	var cfg stubs.Config
	switch {
	case o.config == "":
		return usageErrorf("serve stubs needs --config FILE (a stub file) or --config kit:NAME (kits: %s)", kits)
	case strings.HasPrefix(o.config, "kit:"):
		c, err := stubs.Kit(strings.TrimPrefix(o.config, "kit:"))
		if err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
		cfg = c
	default:
		f, err := stubs.LoadFile(o.config)
		if err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
		cfg.Stub = f
	}
	cfg.Addr = o.addr
	if o.seed.set {
		cfg.Seed = uint64(o.seed.n)
	}
	srv, err := stubs.Start(cfg)
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	defer srv.Close()
	u := srv.URL()
	fmt.Fprintf(e.stdout, "stub %s listening on %s (seed %d)\n", cfg.Stub.Name, u, cfg.Seed)
	for _, r := range cfg.Stub.Routes {
		fmt.Fprintf(e.stdout, "  %-22s %-6s %s%s\n", r.Name, r.Method, u, r.Path)
	}
	fmt.Fprintf(e.stdout, "  control API:  %s/_drill/faults  %s/_drill/evidence\n", u, u)
	fmt.Fprintf(e.stdout, "  metrics:      %s/metrics\n", u)
	fmt.Fprintf(e.stdout, "  fault modes:  %s\n", strings.Join(stubs.Modes, ", "))
	<-ctx.Done()
	fmt.Fprintf(e.stdout, "stub %s stopped\n", cfg.Stub.Name)
	return srv.Close()
}
