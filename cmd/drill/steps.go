package main

import (
	"context"
	"flag"

	"github.com/drillkit/drill/features"
)

func stepsCommand() *command {
	return &command{
		name:    "steps",
		summary: "print the step catalog trainers write drills with",
		usage:   "[--format text|md|json]",
		help:    "docs/steps.md is this catalog in Markdown (drill steps --format md).",
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			format := fs.String("format", "text", "output format: text, md or json")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("steps takes no arguments")
				}
				switch *format {
				case "text":
					return features.WriteText(e.stdout)
				case "md", "markdown":
					return features.WriteMarkdown(e.stdout)
				case "json":
					return features.WriteJSON(e.stdout)
				}
				return usageErrorf("--format: unknown %q; valid formats: text, md, json", *format)
			}
		},
	}
}
