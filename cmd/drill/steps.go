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
		usage:   "[--format text|md|json] [--search WORDS]",
		help: `Every step a feature file may use, with its parameters and an example;
unknown steps are refused before a drill runs, with the closest known ones.
Each step shows its canonical form, the other phrasings it accepts and the
value grammar (durations, percentages, rates, money, counts) every step
shares. --search keeps the steps whose forms, phrasings or docs hold every
word given. docs/steps.md is this catalog in Markdown (drill steps --format md).`,
		exits: []exit{
			{exitcode.OK, "the catalog was printed"},
			{exitcode.Usage, "bad usage: an unknown --format, or arguments"},
		},
		examples: []example{
			{"drill steps", "list every step as a table"},
			{"drill steps --search acknowledged", "the steps about acknowledging a page, with every phrasing"},
			{"drill steps --format json", "the catalog as JSON, for an editor's completion"},
		},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			format := fs.String("format", "text", "output format: text, md or json")
			search := fs.String("search", "", "only the steps whose forms, phrasings or docs hold every one of these words (text format)")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("steps takes no arguments")
				}
				if *search != "" {
					if *format != "text" {
						return usageErrorf("--search prints text; leave out --format %s", *format)
					}
					found := features.Search(*search)
					if len(found) == 0 {
						return usageErrorf("--search %q: no step holds every one of those words; try one word, or drill steps for them all", *search)
					}
					return features.WriteTextOf(e.stdout, found)
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
