package main

import (
	"context"
	"flag"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/internal/exitcode"
)

func faultsCommand() *command {
	return &command{
		name:    "faults",
		summary: "print the fault catalog: every fault kind, its parameters and defaults",
		usage:   "[--format text|json|md]",
		help: `Network kinds act through toxiproxy on the proxy in front of a provider or
stub; toxicity is rolled per connection, not per request. App kinds are fault
modes of the mock providers and stubs, with a per-request probability.
docs/faults.md is this catalog in Markdown (drill faults --format md).`,
		exits: []exit{
			{exitcode.OK, "the catalog was printed"},
			{exitcode.Usage, "bad usage: an unknown --format, or arguments"},
		},
		examples: []example{
			{"drill faults", "list every fault kind with its parameters and defaults"},
			{"drill faults --format md", "the catalog as the Markdown of docs/faults.md"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			format := fs.String("format", "text", "output format: text, json or md")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("faults takes no arguments, got %q", args[0])
				}
				switch *format {
				case "text":
					return faults.WriteText(e.stdout)
				case "json":
					return faults.WriteJSON(e.stdout)
				case "md", "markdown":
					return faults.WriteMarkdown(e.stdout)
				}
				return usageErrorf("--format: want text, json or md, got %q", *format)
			}
		},
	}
}
