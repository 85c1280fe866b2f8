package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/drillkit/drill/internal/exitcode"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func versionString() string {
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return fmt.Sprintf("drill %s %s/%s %s", v, runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print drill's version",
		help:    "Prints drill's version, the platform it was built for and its Go release,\non one line.",
		exits: []exit{
			{exitcode.OK, "the version was printed"},
			{exitcode.Usage, "bad usage: version takes no arguments"},
		},
		examples: []example{{"drill version", "print the version"}},
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("version takes no arguments")
				}
				fmt.Fprintln(e.stdout, versionString())
				return nil
			}
		},
	}
}
