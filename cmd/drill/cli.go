package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/exitcode"
)

// env is what a command may touch of the outside world. Tests pass their
// own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// self runs drill again (in the drill world's network namespace);
	// nil runs every command in-process.
	self *self
	// iso is the isolation drill ci settled before it linted.
	iso *isolation
	// shardDurations are the durations drill run --shard-plan read, for
	// a re-executed drill to plan with.
	shardDurations map[string]time.Duration
}

// command is one subcommand. Its help (drill help NAME), the command list
// (drill help), docs/commands.md and the README's command table are all
// rendered from these fields (help.go); TestEveryCommandIsDocumented holds
// every command to them.
type command struct {
	name    string
	summary string // one line for `drill help`
	usage   string // the argument synopsis after the name
	help    string // paragraphs after the synopsis
	// exits are the codes the command exits with, in numeric order; each
	// says what it means for this command where the code's own Meaning
	// is not precise enough.
	exits []exit
	// examples are invocations as typed; their flags must parse with the
	// command's flags (TestEveryCommandIsDocumented), so they cannot rot.
	examples []example
	flags    func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// commands is the registry of subcommands, built in one place.
func commands() []*command {
	cmds := []*command{
		versionCommand(),
		serveCommand(),
		faultsCommand(),
		lintCommand(),
		mergeCommand(),
		mutateCommand(),
		runCommand(),
		ciCommand(),
		stepsCommand(),
		ackCommand(),
		roleCommand(),
		runbookCommand(),
		noteCommand(),
		upCommand(),
		injectCommand(),
		clearCommand(),
		reportCommand(),
		exportCommand(),
		historyCommand(),
		importCommand(),
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func findCommand(name string) (*command, []string) {
	var names []string
	for _, c := range commands() {
		if c.name == name {
			return c, nil
		}
		names = append(names, c.name)
	}
	return nil, names
}

const toolSummary = `drill rehearses incidents of AI services: it starts a mock LLM provider and
API stubs behind toxiproxy, runs your service against them, injects faults,
evaluates your real alert rules, routes alerts through your real escalation
policy, runs your real runbook, and scores the response.`

// run executes one invocation and returns its exit code: the one the
// command's error carries (exitcode.Of), read here and nowhere else.
func run(ctx context.Context, args []string, e *env) exitcode.Code {
	if len(args) == 0 {
		writeHelp(e.stderr)
		return exitcode.Usage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		writeHelp(e.stdout)
		return exitcode.OK
	case "help":
		if len(args) > 1 {
			c, _ := findCommand(args[1])
			if c != nil {
				writeCommandHelp(e.stdout, c)
				return exitcode.OK
			}
			fmt.Fprintf(e.stderr, "drill: unknown command %q; run 'drill help'\n", args[1])
			return exitcode.Usage
		}
		writeHelp(e.stdout)
		return exitcode.OK
	}
	c, names := findCommand(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "drill: unknown command %q; commands are: %s\n", name, strings.Join(names, ", "))
		return exitcode.Usage
	}
	fs := flag.NewFlagSet("drill "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runFn := c.flags(fs)
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			writeCommandHelp(e.stdout, c)
			return exitcode.OK
		}
		fmt.Fprintf(e.stderr, "drill %s: %v\nrun 'drill help %s' for usage\n", c.name, err, c.name)
		return exitcode.Usage
	}
	err = runFn(ctx, e, rest)
	if err != nil && !exitcode.IsSilent(err) {
		fmt.Fprintf(e.stderr, "drill %s: %v\n", c.name, err)
	}
	return exitcode.Of(err)
}

// parseInterspersed parses flags wherever they stand among the arguments,
// as users type them: `drill run cost-spike --plan` must plan, not run a
// real drill with --plan taken for a drill's name. The standard flag
// package stops at the first argument that is not a flag. Everything after
// a "--" is an argument.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
