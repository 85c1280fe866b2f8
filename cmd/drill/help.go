package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/drillkit/drill/internal/exitcode"
)

// exit is one code a command exits with.
type exit struct {
	code exitcode.Code
	why  string // what the code means for this command; empty: code.Meaning()
}

func (x exit) meaning() string {
	if x.why != "" {
		return x.why
	}
	return x.code.Meaning()
}

// example is one invocation of a command, as its help shows it.
type example struct {
	line string // as typed, from "drill": drill run cost-spike --speed 12
	what string // what it does
}

// flagDoc is one flag as the help shows it.
type flagDoc struct {
	name, arg, usage string
	def              string // empty when the default is the type's zero value
	quoted           bool   // a string default, quoted in the terminal
}

// commandFlags declares c's flags on a set of their own.
func commandFlags(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("drill "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.flags(fs)
	return fs
}

// flagDocs lists c's flags in lexical order.
func flagDocs(c *command) []flagDoc {
	var out []flagDoc
	commandFlags(c).VisitAll(func(f *flag.Flag) {
		arg, usage := flag.UnquoteUsage(f)
		d := flagDoc{name: f.Name, arg: arg, usage: usage}
		if !isZeroValue(f) {
			d.def, d.quoted = f.DefValue, arg == "string"
		}
		out = append(out, d)
	})
	return out
}

// isZeroValue reports whether f's default is its type's zero value, which
// the help does not show (as the flag package's own help does not).
func isZeroValue(f *flag.Flag) bool {
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	v, ok := z.Interface().(flag.Value)
	return ok && f.DefValue == v.String()
}

// wrap writes text folded at 80 columns, its first line after first and
// the others after rest.
func wrap(w io.Writer, first, rest, text string) {
	line, pad := first, first
	for _, word := range strings.Fields(text) {
		if len(line) > len(pad) && len(line)+1+len(word) > 80 {
			fmt.Fprintln(w, line)
			line, pad = rest, rest
		}
		if len(line) > len(pad) {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(w, line)
}

// writeHelp writes `drill help`: every command and every exit code.
func writeHelp(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  drill <command> [flags] [arguments]\n\nCommands:\n", toolSummary)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nRun 'drill help <command>' for a command's flags, exit codes and examples;\ndocs/commands.md has them all.\n\nExit codes:\n")
	for _, code := range exitcode.All() {
		writeExit(w, exit{code: code})
	}
}

func writeExit(w io.Writer, x exit) {
	wrap(w, fmt.Sprintf("  %-4d ", int(x.code)), strings.Repeat(" ", 7), x.meaning())
}

// writeCommandHelp writes `drill help NAME`: the synopsis, what the
// command does, its flags with their defaults, its exit codes and
// examples.
func writeCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", synopsis(c), c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	if fds := flagDocs(c); len(fds) > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		for _, d := range fds {
			fmt.Fprintf(w, "  --%s", d.name)
			if d.arg != "" {
				fmt.Fprintf(w, " %s", d.arg)
			}
			fmt.Fprintln(w)
			usage := d.usage
			switch {
			case d.def != "" && d.quoted:
				usage += fmt.Sprintf(" (default %q)", d.def)
			case d.def != "":
				usage += fmt.Sprintf(" (default %s)", d.def)
			}
			wrap(w, "        ", "        ", usage)
		}
	}
	fmt.Fprint(w, "\nExit codes:\n")
	for _, x := range c.exits {
		writeExit(w, x)
	}
	fmt.Fprint(w, "\nExamples:\n")
	for i, ex := range c.examples {
		if i > 0 {
			fmt.Fprintln(w)
		}
		wrap(w, "  # ", "  # ", ex.what)
		fmt.Fprintf(w, "  %s\n", ex.line)
	}
}

// synopsis is "drill NAME USAGE".
func synopsis(c *command) string {
	return strings.TrimSpace("drill " + c.name + " " + c.usage)
}

// The Markdown below is docs/commands.md and parts of the README, checked
// by TestDocs: go test ./cmd/drill -run TestDocs -update rewrites them.

// docsHow is how to regenerate what this file renders into the docs.
const docsHow = "go test ./cmd/drill -run TestDocs -update"

// writeCommandsMarkdown writes docs/commands.md: every command's synopsis,
// help, flags, exit codes and examples, as drill help shows them.
func writeCommandsMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Commands\n\n<!-- Generated from the command registry in cmd/drill (drill help shows the\n     same); " + docsHow + " rewrites it.\n     Do not edit by hand. -->\n\n")
	b.WriteString("Every command of drill, as `drill help <command>` prints it. Flags may\nstand before or after the arguments; everything after `--` is an argument.\n\n")
	b.WriteString(commandTable(""))
	b.WriteString("\nEvery command exits with one of these codes; each command below says what\nthey mean for it:\n\n")
	b.WriteString(exitCodeTable())
	for _, c := range commands() {
		fmt.Fprintf(&b, "\n## drill %s\n\n%s.\n\n```\n%s\n```\n", c.name, capitalize(c.summary), synopsis(c))
		if c.help != "" {
			b.WriteString("\n" + markdownProse(strings.TrimSpace(c.help)))
		}
		if fds := flagDocs(c); len(fds) > 0 {
			b.WriteString("\n| flag | default | meaning |\n|---|---|---|\n")
			for _, d := range fds {
				name := "--" + d.name
				if d.arg != "" {
					name += " " + d.arg
				}
				def, usage := "", d.usage
				if d.def != "" {
					def = "`" + strings.ReplaceAll(d.def, "|", `\|`) + "`"
				} else if u, said, ok := strings.Cut(usage, " (default: "); ok && strings.HasSuffix(said, ")") && !strings.Contains(said, "(") {
					// a default the code computes, said in words: its column
					def, usage = cell(strings.TrimSuffix(said, ")")), u
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", strings.ReplaceAll(name, "|", `\|`), def, cell(usage))
			}
		}
		b.WriteString("\n" + exitTable(c.exits))
		b.WriteString("\n```sh\n")
		for i, ex := range c.examples {
			if i > 0 {
				b.WriteString("\n")
			}
			wrap(&b, "# ", "# ", ex.what)
			b.WriteString(ex.line + "\n")
		}
		b.WriteString("```\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// commandTable is a Markdown table of every command and its summary,
// each linking to its section of docs/commands.md at dir ("" from
// docs/ itself, "docs/" from the README).
func commandTable(dir string) string {
	var b strings.Builder
	b.WriteString("| command | what it does |\n|---|---|\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "| [`drill %s`](%s#drill-%s) | %s |\n", c.name, dir+"commands.md", c.name, cell(c.summary))
	}
	if dir == "" {
		return strings.ReplaceAll(b.String(), "](commands.md#", "](#")
	}
	return b.String()
}

// exitCodeTable is a Markdown table of every exit code drill has and its
// meaning.
func exitCodeTable() string {
	all := make([]exit, 0, len(exitcode.All()))
	for _, c := range exitcode.All() {
		all = append(all, exit{code: c})
	}
	return exitTable(all)
}

// exitTable is a Markdown table of exit codes and what they mean.
func exitTable(exits []exit) string {
	var b strings.Builder
	b.WriteString("| exit code | meaning |\n|---|---|\n")
	for _, x := range exits {
		fmt.Fprintf(&b, "| `%d` | %s |\n", int(x.code), cell(x.meaning()))
	}
	return b.String()
}

// markdownProse turns a help text written for the terminal into Markdown:
// its paragraphs stay as they are, and lines indented by two spaces or
// more (lists, tables) become preformatted blocks.
func markdownProse(text string) string {
	var b strings.Builder
	inBlock := false
	for _, line := range strings.Split(text, "\n") {
		indented := strings.HasPrefix(line, "  ")
		switch {
		case indented && !inBlock:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n\n") {
				b.WriteString("\n")
			}
			b.WriteString("```\n")
			inBlock = true
		case !indented && inBlock:
			b.WriteString("```\n")
			inBlock = false
			if line != "" {
				b.WriteString("\n")
			}
		}
		if indented {
			b.WriteString(line + "\n")
			continue
		}
		b.WriteString(escapeMarkdown(line) + "\n")
	}
	if inBlock {
		b.WriteString("```\n")
	}
	return b.String()
}

// escapeMarkdown keeps a line of terminal prose literal in Markdown:
// <kind> is no HTML tag, and *.md no emphasis.
var escapeMarkdown = strings.NewReplacer(`\`, `\\`, "<", `\<`, "*", `\*`, "`", "\\`").Replace

// cell is text fit for a Markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(escapeMarkdown(s), "|", `\|`)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
