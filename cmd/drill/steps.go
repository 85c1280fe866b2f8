package main

import (
	"context"
	"flag"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/internal/exitcode"
)

func stepsCommand() *command {
	return &command{
		name:    "steps",
		summary: "print the step catalog trainers write drills with",
		usage:   "[--format text|md|json]",
		help: `Every step a feature file may use, with its parameters and an example;
unknown steps are refused before a drill runs, with the closest known ones.
docs/steps.md is this catalog in Markdown (drill steps --format md).`,
		exits: []exit{
			{exitcode.OK, "the catalog was printed"},
			{exitcode.Usage, "bad usage: an unknown --format, or arguments"},
		},
		examples: []example{
			{"drill steps", "list every step as a table"},
			{"drill steps --format json", "the catalog as JSON, for an editor's completion"},
		},
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
