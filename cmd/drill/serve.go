package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/exitcode"

	"github.com/drillkit/drill/mockllm"
)

// serveKind is one kind of server `drill serve` runs. Others (stubs,
// gateway) register here.
type serveKind struct {
	summary string
	// run starts the server from the flags, prints its endpoints and
	// serves until ctx is done.
	run func(ctx context.Context, e *env, o serveOptions) error
}

type serveOptions struct {
	addr, config string
	seed         *seedFlag
}

// serveKinds is the registry of servers, built in one place.
func serveKinds() map[string]serveKind {
	return map[string]serveKind{
		"mockllm": {summary: "mock LLM provider (OpenAI, Azure OpenAI, Anthropic, Gemini, Bedrock, vLLM metrics) with fault injection", run: serveMockLLM},
		"gateway": {summary: "the reference LLM gateway (service under test) with its admin API", run: serveGateway},
		"stubs":   {summary: "a third-party API stub from a stub file or kit:NAME, with fault injection", run: serveStubs},
	}
}

func serveCommand() *command {
	kinds := serveKinds()
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	var help strings.Builder
	help.WriteString("Kinds:\n")
	for _, n := range names {
		fmt.Fprintf(&help, "  %-10s %s\n", n, kinds[n].summary)
	}
	help.WriteString("\nThe gateway needs at least its primary upstream: a --config YAML file with\n" +
		"the gateway.Config keys (primary: {name, kind, base_url, model}, ...) or these\n" +
		"environment variables, which override the file:\n")
	for _, v := range gateway.EnvVars {
		fmt.Fprintf(&help, "  %-28s %s\n", v.Name, v.Meaning)
	}
	help.WriteString("\nThe server runs until interrupted (Ctrl-C or SIGTERM). mockllm first prints,\n" +
		"for each surface it serves, the base URL its SDK takes and the variable the\n" +
		"official SDKs read it from (OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT with its\n" +
		"deployments, ANTHROPIC_BASE_URL, GOOGLE_GEMINI_BASE_URL,\n" +
		"AWS_ENDPOINT_URL_BEDROCK_RUNTIME), then its control API, metrics, models and\n" +
		"canary.")
	return &command{
		name:    "serve",
		summary: "run one of drill's servers standalone: mockllm, gateway or stubs",
		usage:   "<kind> [--addr ADDR] [--config FILE] [--seed N]",
		help:    help.String(),
		exits: []exit{
			{exitcode.OK, "interrupted (Ctrl-C or SIGTERM) and stopped"},
			{exitcode.Usage, "bad usage (an unknown kind, --seed for the gateway) or a bad config: its file, or DRILL_* variables"},
			{exitcode.Harness, "the server could not start (the address is in use) or failed"},
		},
		examples: []example{
			{"drill serve mockllm --seed 3", "a mock provider on a free loopback port, its content and faults seeded from 3"},
			{"drill serve stubs --config kit:payments --addr 127.0.0.1:9090", "the embedded payments API stub on port 9090"},
			{"drill serve gateway --config gateway.yaml", "the reference gateway, configured by gateway.yaml and DRILL_* variables"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			var o serveOptions
			fs.StringVar(&o.addr, "addr", "", "address to listen on (default: the config's addr, else 127.0.0.1:0)")
			fs.StringVar(&o.config, "config", "", "YAML config file")
			o.seed = addSeedFlag(fs, 0, "seed `N` of generated content and fault probabilities (default: the config's seed)")
			return func(ctx context.Context, e *env, args []string) error {
				// Flags may come after the kind too: drill serve mockllm --addr X.
				if len(args) > 1 {
					if err := fs.Parse(args[1:]); err != nil {
						return usageErrorf("%v", err)
					}
					args = append(args[:1], fs.Args()...)
				}
				if len(args) != 1 {
					return usageErrorf("serve takes one kind: %s", strings.Join(names, ", "))
				}
				k, ok := kinds[args[0]]
				if !ok {
					return usageErrorf("unknown kind %q; kinds are: %s", args[0], strings.Join(names, ", "))
				}
				return k.run(ctx, e, o)
			}
		},
	}
}

func serveMockLLM(ctx context.Context, e *env, o serveOptions) error {
	cfg := mockllm.DefaultConfig()
	if o.config != "" {
		c, err := mockllm.LoadConfig(o.config)
		if err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
		cfg = c
	}
	if o.addr != "" {
		cfg.Addr = o.addr
	}
	if o.seed.set {
		cfg.Seed = uint64(o.seed.n)
	}
	srv, err := mockllm.Start(cfg)
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	defer srv.Close()
	u := srv.URL()
	fmt.Fprintf(e.stdout, "mockllm listening on %s (seed %d)\n", u, cfg.Seed)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, l := range sdkLines(u, srv.Surfaces(), srv.Deployments()) {
		fmt.Fprintln(tw, l)
	}
	fmt.Fprintf(tw, "  control API\t%s/_drill/faults  /_drill/evidence  /_drill/journal\n", u)
	fmt.Fprintf(tw, "  metrics\t%s/metrics\n", u)
	var names []string
	for _, m := range srv.Models() {
		names = append(names, m.Name)
	}
	fmt.Fprintf(tw, "  models\t%s\n", strings.Join(names, " "))
	fmt.Fprintf(tw, "  canary\ta prompt containing %q is answered %q\n", mockllm.CanaryPrompt, mockllm.CanaryAnswer)
	_ = tw.Flush()
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "mockllm stopped")
	return srv.Close()
}
