package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/internal/docgen"
	"github.com/drillkit/drill/internal/exitcode"
)

var update = flag.Bool("update", false, "rewrite docs/commands.md and the README's generated parts")

// shellWords splits an example as a POSIX shell would split its words:
// blanks separate them, and '...' and "..." quote (no escapes, no
// expansion: the examples need neither).
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			if strings.ContainsRune(`\$*?;&|<>()`+"`", r) {
				return nil, fmt.Errorf("%q: %q needs a shell; keep examples to plain words and quotes", line, r)
			}
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%q: unbalanced %c", line, quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	w, err := shellWords(`drill run --gate 'pass_rate >= 0.9' --note "a b"c  x`)
	require.NoError(t, err)
	require.Equal(t, []string{"drill", "run", "--gate", "pass_rate >= 0.9", "--note", "a bc", "x"}, w)
	_, err = shellWords(`drill note 'oops`)
	require.ErrorContains(t, err, "unbalanced '")
	_, err = shellWords(`drill faults > docs/faults.md`)
	require.ErrorContains(t, err, "needs a shell")
}

// exitInProse finds exit codes stated in a help text's prose: they belong
// in the command's exits, where the help, docs/commands.md and this test
// read them.
var exitInProse = regexp.MustCompile(`(?i)\bexit(s| codes?| status)?( with)?( status)? \d`)

// Every command carries what its help renders: a summary, its exit codes
// (in order, each one drill has, with a meaning), at least one example,
// and a meaning for every flag; every example is an invocation of the
// command whose flags parse with the command's own flags, so an example
// cannot outlive a renamed or removed flag.
func TestEveryCommandIsDocumented(t *testing.T) {
	require.NotEmpty(t, commands())
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			require.NotEmpty(t, c.summary)
			require.NotRegexp(t, exitInProse, c.help, "exit codes belong in exits, not in the help's prose")

			require.NotEmpty(t, c.exits, "no exit codes")
			var codes []exitcode.Code
			for _, x := range c.exits {
				require.Contains(t, exitcode.All(), x.code, "exit %d is no code of drill's", int(x.code))
				require.NotEmpty(t, x.meaning(), "exit %d", int(x.code))
				codes = append(codes, x.code)
			}
			require.True(t, slices.IsSorted(codes), "exits out of order: %v", codes)
			require.Len(t, slices.Compact(slices.Clone(codes)), len(codes), "an exit code listed twice: %v", codes)
			// run() itself returns these for every command: success, and a
			// flag that does not parse.
			require.Contains(t, codes, exitcode.OK)
			require.Contains(t, codes, exitcode.Usage)

			for _, d := range flagDocs(c) {
				require.NotEmpty(t, d.usage, "--%s says nothing", d.name)
			}

			require.NotEmpty(t, c.examples, "no example")
			for _, ex := range c.examples {
				require.NotEmpty(t, ex.what, "%s: says not what it does", ex.line)
				words, err := shellWords(ex.line)
				require.NoError(t, err)
				require.GreaterOrEqual(t, len(words), 2, ex.line)
				require.Equal(t, []string{"drill", c.name}, words[:2], "%s is no example of drill %s", ex.line, c.name)
				_, err = parseInterspersed(commandFlags(c), words[2:])
				require.NoError(t, err, "example %q: its flags do not parse", ex.line)
			}

			_, out, _ := runCLI(t, "help", c.name)
			for _, want := range []string{"Usage: " + synopsis(c) + "\n", "\nExit codes:\n", "\nExamples:\n"} {
				require.Contains(t, out, want)
			}
			for _, d := range flagDocs(c) {
				require.Contains(t, out, "\n  --"+d.name)
			}
			for _, x := range c.exits {
				require.Regexp(t, fmt.Sprintf(`\n  %-4d \S`, int(x.code)), out)
			}
			for _, ex := range c.examples {
				require.Contains(t, out, "\n  "+ex.line+"\n")
			}
		})
	}
}

// A flag's default is shown where it is not its type's zero value, quoted
// for a string, and the help names flags as users type them.
func TestCommandHelpShowsFlagDefaults(t *testing.T) {
	_, out, _ := runCLI(t, "help", "run")
	require.Contains(t, out, "\n  --speed float\n        drill seconds per real second, from 0.1 to 1000 (1 for a real-time game\n        day) (default 60)\n")
	require.Contains(t, out, "\n  --seed N\n        run seed N: each scenario's world is seeded from it and the scenario's\n        FILE:LINE (faults, responders, content) (default 1)\n")
	require.Contains(t, out, `(default ".drill/history.db")`)
	require.Contains(t, out, "\n  --plan\n        print the timeline")
	require.NotContains(t, out, "--plan (default false)")
	require.NotContains(t, out, "\n  -speed", "flags are written as users type them, with two dashes")
	_, out, _ = runCLI(t, "help", "version")
	require.NotContains(t, out, "Flags:", "version has no flags")
}

// drill help lists every command and every exit code drill has.
func TestHelpListsEveryCommandAndExitCode(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}} {
		code, out, _ := runCLI(t, args...)
		require.Equal(t, exitcode.OK, code)
		for _, c := range commands() {
			require.Regexp(t, `\n  `+c.name+` +`+regexp.QuoteMeta(c.summary)+`\n`, out)
		}
		for _, c := range exitcode.All() {
			require.Regexp(t, fmt.Sprintf(`\n  %-4d \S`, int(c)), out)
		}
	}
}

// docs/commands.md, the README's command and exit-code tables and the
// exit codes of drill ci and drill lint in their docs are generated from the command registry and
// internal/exitcode; this keeps them in step.
func TestDocs(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeCommandsMarkdown(&b))
	require.NoError(t, docgen.CheckFile("../../docs/commands.md", b.String(), docsHow, *update))
	require.NoError(t, docgen.Check("../../README.md", "commands", commandTable("docs/"), docsHow, *update))
	require.NoError(t, docgen.Check("../../README.md", "exit-codes", exitCodeTable(), docsHow, *update))
	for _, d := range []struct{ doc, part, command string }{
		{"../../docs/ci.md", "ci-exits", "ci"},
		{"../../docs/drill-yaml.md", "lint-exits", "lint"},
	} {
		c, _ := findCommand(d.command)
		require.NoError(t, docgen.Check(d.doc, d.part, exitTable(c.exits), docsHow, *update))
	}
	lint, _ := findCommand("lint")
	require.NoError(t, docgen.Check("../../docs/drill-yaml.md", "lint-synopsis", "```\n"+synopsis(lint)+"\n```\n", docsHow, *update))
}

// What the generated docs say is what drill help says.
func TestCommandsDocMatchesHelp(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeCommandsMarkdown(&b))
	doc := b.String()
	for _, c := range commands() {
		i := strings.Index(doc, "\n## drill "+c.name+"\n")
		require.GreaterOrEqual(t, i, 0, "no section for drill %s", c.name)
		sec := doc[i+1:]
		if j := strings.Index(sec, "\n## "); j >= 0 {
			sec = sec[:j]
		}
		require.Contains(t, sec, "```\n"+synopsis(c)+"\n```")
		for _, d := range flagDocs(c) {
			require.Contains(t, sec, "| `--"+d.name)
		}
		for _, x := range c.exits {
			require.Contains(t, sec, fmt.Sprintf("| `%d` | %s |", int(x.code), cell(x.meaning())))
		}
		for _, ex := range c.examples {
			require.Contains(t, sec, "\n"+ex.line+"\n")
		}
	}
	require.Contains(t, doc, "changes touch:\n\n```\n  a runbook      → the alerts it answers", "ci's indented list is preformatted")
	require.Contains(t, doc, "| `--user string` | $DRILL_USER, else $USER | who acknowledges |", "a default said in words has its column")
	require.Contains(t, doc, "```\ndrill serve <kind> [--addr ADDR]", "a synopsis is code, not HTML")
	require.Contains(t, doc, "| exit code | meaning |\n|---|---|\n| `0` |", "the codes of drill, once")
}

// One --seed for every command that takes one: the same type, the same
// range, the same message.
func TestSeedIsOneFlag(t *testing.T) {
	for _, name := range []string{"run", "ci", "up", "serve"} {
		c, _ := findCommand(name)
		require.NotNil(t, c, name)
		f := commandFlags(c).Lookup("seed")
		require.NotNil(t, f, "drill %s has no --seed", name)
		require.IsType(t, &seedFlag{}, f.Value, "drill %s --seed", name)
		for _, bad := range []string{"-1", "x", "1.5", "18446744073709551615"} {
			_, err := parseInterspersed(commandFlags(c), []string{"--seed", bad})
			require.ErrorContains(t, err, "want a whole number from 0 to 9223372036854775807", "drill %s --seed %s", name, bad)
		}
		fs := commandFlags(c)
		_, err := parseInterspersed(fs, []string{"--seed", "9223372036854775807"})
		require.NoError(t, err)
		require.Equal(t, int64(9223372036854775807), fs.Lookup("seed").Value.(*seedFlag).n)
	}
	code, _, errs := runCLI(t, "run", "--plan", "--seed", "-3", "cost-spike")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `invalid value "-3" for flag -seed: want a whole number from 0 to`)
}

// The README's prose states drill run's defaults of --speed and
// --control-window; they are the flags'.
func TestReadmeStatesRunDefaults(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := strings.Join(strings.Fields(string(b)), " ") // as wrapped anywhere
	c, _ := findCommand("run")
	fs := commandFlags(c)
	speed := fs.Lookup("speed").DefValue
	// The control window's default is computed from the team's rules,
	// never below features.DefaultControlWindow.
	require.Equal(t, "0s", fs.Lookup("control-window").DefValue)
	window := strings.TrimSuffix(features.DefaultControlWindow.String(), "0s") // 5m0s → 5m
	for _, want := range []string{
		"at the default `--speed " + speed + "`",
		"(1 for a live game day, " + speed + " by default)",
		"two evaluation intervals, and at least " + window,
	} {
		require.Contains(t, readme, want, "README.md states a default drill run does not have")
	}
}
