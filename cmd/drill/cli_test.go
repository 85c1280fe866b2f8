package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/testbed"
)

// runCLI runs drill with args and returns its exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (exitcode.Code, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "drill ")
}

func TestUnknownCommandListsKnownOnes(t *testing.T) {
	code, _, errs := runCLI(t, "explode")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `unknown command "explode"`)
	require.Contains(t, errs, "version")
}

func TestNoArgsIsUsageError(t *testing.T) {
	code, _, errs := runCLI(t)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "Usage:")
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		code, out, _ := runCLI(t, "help", c.name)
		require.Equal(t, exitcode.OK, code, c.name)
		require.Contains(t, out, "Usage: drill "+c.name)
		code, out2, _ := runCLI(t, c.name, "--help")
		require.Equal(t, exitcode.OK, code, c.name)
		require.Equal(t, out, out2)
	}
}

func TestBadFlagIsUsageError(t *testing.T) {
	code, _, errs := runCLI(t, "version", "--nope")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "flag provided but not defined")
}

// Flags count wherever they stand: `drill run cost-spike --plan` plans
// and runs nothing, and a gate after the name is checked.
func TestFlagsAfterArguments(t *testing.T) {
	code, out, errs := runCLI(t, "run", "cost-spike", "--plan", "--speed", "5")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "speed ×5: one drill minute takes 12s of real time")
	require.NotContains(t, out, "pass rate", "a plan runs nothing")
	require.NotContains(t, out, "warning:", "at ×5 the demo's traffic fills its rule windows")
	require.Contains(t, out, "control window 13m: the default, long enough for every alerting rule to show noise", "the plan shows the window it will use")
	_, out, _ = runCLI(t, "run", "cost-spike", "--plan", "--control-window", "2m")
	require.Contains(t, out, "control window 2m (--control-window)\n  warning: the control window of 2m (--control-window) is too short to show these rules' noise: ")

	code, _, errs = runCLI(t, "run", "cost-spike", "--plan", "--gate", "nonsense")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `gate "nonsense"`)

	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	v := fs.Bool("v", false, "")
	rest, err := parseInterspersed(fs, []string{"a", "-v", "b", "--", "-c", "d"})
	require.NoError(t, err)
	require.True(t, *v)
	require.Equal(t, []string{"a", "b", "-c", "d"}, rest, "after --, everything is an argument")
}

// A plan says when the traffic, at the chosen speed, leaves too few
// requests in the rules' windows for steady alert times, and what to do.
// A live game day runs in real time: its plan says so, and a scenario
// that sets its own speed is refused up front, as is a speed of 0.
func TestPlanWarnsOfThinTraffic(t *testing.T) {
	code, out, errs := runCLI(t, "run", "--plan", "--speed", "600", "features/inference-outage.feature:8")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "warning: alert and recovery times are approximate at ×600: 5 requests per second leave few requests in these alert windows: ")
	require.Contains(t, out, "LLMGatewayErrors [5m] 2")
	require.Contains(t, out, "at speed 24 or lower (--speed)")

	code, out, errs = runCLI(t, "run", "--plan", "--live", "features/inference-outage.feature:8")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "speed ×1: one drill minute takes 1m0s of real time")
	require.NotContains(t, out, "warning:")

	dir := copyTeam(t, [3]string{"features/cost-spike.feature", "Given the team's environment is running", "Given the drill clock runs at speed 0\n    And the team's environment is running"})
	code, _, errs = runCLI(t, "run", "--team", dir, "--plan", "--no-builtin", "--all")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "features/cost-spike.feature:3: the drill clock's speed: want a number of drill seconds per real second from 0.1 to 1000, got 0")
	dir = copyTeam(t, [3]string{"features/cost-spike.feature", "Given the team's environment is running", "Given the drill clock runs at speed 1000000000\n    And the team's environment is running"})
	code, _, errs = runCLI(t, "run", "--team", dir, "--plan", "--no-builtin", "--all")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "features/cost-spike.feature:3: the drill clock's speed: want a number of drill seconds per real second from 0.1 to 1000, got 1e+09")
	dir = copyTeam(t, [3]string{"features/cost-spike.feature", "Given the team's environment is running", "Given the drill clock runs at speed 30\n    And the team's environment is running"})
	code, out, errs = runCLI(t, "run", "--team", dir, "--plan", "--no-builtin", "--all")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "speed ×30: one drill minute takes 2s of real time")
	code, _, errs = runCLI(t, "run", "--team", dir, "--plan", "--no-builtin", "--all", "--live")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "features/cost-spike.feature:3: the scenario sets the drill clock's speed, and a live game day (--live) runs in real time")
}

// Names are or-ed, so one that selects nothing is an error even beside
// one that selects something.
func TestMisspeltNameBesideAGoodOne(t *testing.T) {
	code, _, errs := runCLI(t, "run", "--plan", "cost-spike", "cost-spkie")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "no scenario is named cost-spkie; known names: ")
}

// What cmd/drill adds to package exitcode (tested there): a library's
// error type carries its own code through the command's wrapping, a
// caller that knows more decides, and usageErrorf is a usage error whose
// reason run still prints.
func TestExitCodes(t *testing.T) {
	he := &testbed.HarnessError{Op: "start", Err: os.ErrExist}
	require.Equal(t, exitcode.Harness, exitcode.Of(fmt.Errorf("up: %w", he)))
	require.Equal(t, exitcode.Usage, exitcode.Of(exitcode.With(exitcode.Usage, he)))
	require.Equal(t, exitcode.Usage, exitcode.Of(usageErrorf("--speed: %s", "bad")))
	require.EqualError(t, usageErrorf("--speed: %s", "bad"), "--speed: bad")
	require.False(t, exitcode.IsSilent(usageErrorf("--speed: bad")))
}

// The README's command table and `drill help` list the same commands.
func TestReadmeListsEveryCommand(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(b)
	_, help, _ := runCLI(t, "help")
	for _, c := range commands() {
		require.Contains(t, readme, "`drill "+c.name, "README.md does not document drill %s", c.name)
		require.Contains(t, help, "  "+c.name+" ", "drill help does not list %s", c.name)
	}
}

// A run stopped by Ctrl-C tears its worlds down and exits 130, not 4: it
// is neither the team's failure nor the harness's.
func TestInterruptedRunExits130(t *testing.T) {
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came at once
	var out, errb bytes.Buffer
	code := run(ctx, []string{"run", "--no-history", "cost-spike"}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	require.Equal(t, exitcode.Interrupted, code, "stdout: %s\nstderr: %s", out.String(), errb.String())
	require.Contains(t, errb.String(), "interrupted")
}

// Values that make no sense are refused up front, never replaced by a
// default without a word.
func TestRunRejectsNonsenseValues(t *testing.T) {
	for _, c := range []struct{ flag, value, want string }{
		{"--speed", "NaN", "--speed: want a number of drill seconds per real second from 0.1 to 1000, got NaN"},
		{"--speed", "Inf", "--speed: want a number of drill seconds per real second from 0.1 to 1000, got +Inf"},
		{"--speed", "-1", "--speed: want a number of drill seconds per real second from 0.1 to 1000, got -1"},
		{"--speed", "1e9", "--speed: want a number of drill seconds per real second from 0.1 to 1000, got 1e+09"},
		{"--speed", "0.01", "--speed: want a number of drill seconds per real second from 0.1 to 1000, got 0.01"},
		{"--parallel", "0", "--parallel: want 1 or more"},
		{"--control-window", "0s", "--control-window: want a positive drill time"},
		{"--control-window", "-5m", "--control-window: want a positive drill time"},
	} {
		code, _, errs := runCLI(t, "run", "--plan", c.flag, c.value, "cost-spike")
		require.Equal(t, exitcode.Usage, code, "%s %s", c.flag, c.value)
		require.Contains(t, errs, c.want, "%s %s", c.flag, c.value)
	}
}

func TestTagsNeedTheirAt(t *testing.T) {
	code, _, errs := runCLI(t, "run", "--plan", "--tags", "cost-spike")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `tag "cost-spike": tags start with @, e.g. @cost-spike`)
	code, _, errs = runCLI(t, "run", "--plan", "--tags", "@cost-spike && ~@slow")
	require.Equal(t, exitcode.OK, code, errs)
	// cucumber's own language, and a malformed expression shows it.
	code, out, errs := runCLI(t, "run", "--plan", "--tags", "@cost-spike and not (@slow or @wip)")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "@cost-spike")
	code, _, errs = runCLI(t, "run", "--plan", "--tags", "@cost-spike and (not @slow")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "Unmatched (")
	require.Contains(t, errs, "tags (each starting with @) joined by and, or, not and parentheses")
}

func TestLiveRefusesASpeed(t *testing.T) {
	code, _, errs := runCLI(t, "run", "--live", "--speed", "60", "cost-spike")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--live runs in real time")
}

// drill steps --search keeps the steps holding every word, with their
// phrasings; a search that finds nothing is a usage error.
func TestStepsSearch(t *testing.T) {
	code, out, _ := runCLI(t, "steps", "--search", "acknowledged")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "Then the page is acknowledged within {duration}")
	require.Contains(t, out, "also: ")
	require.Contains(t, out, "{duration}: drill time")
	require.NotContains(t, out, "bills {factor} tokens")
	code, _, errOut := runCLI(t, "steps", "--search", "nosuchwordanywhere")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errOut, "no step holds every one of those words")
	code, _, _ = runCLI(t, "steps", "--search", "page", "--format", "json")
	require.Equal(t, exitcode.Usage, code)
}

// The console is for a live game day, and its flags go with --console.
func TestConsoleFlags(t *testing.T) {
	code, _, errs := runCLI(t, "run", "--console", "cost-spike")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--console goes with --live")
	code, _, errs = runCLI(t, "run", "--live", "--console-addr", "127.0.0.1:9999", "cost-spike")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--console-addr goes with --console")
	code, _, errs = runCLI(t, "run", "--live", "--console", "--console-keep", "-1s", "cost-spike")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--console-keep: want a duration of 0 or more, got -1s")
	code, _, errs = runCLI(t, "up", "--console-addr", "127.0.0.1:9999")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--console-addr goes with --console")
}

// FILE:LINE at a line that holds no scenario names the lines that do;
// a file the team lacks is named with the files it has. A base name
// selects as the team's path does.
func TestRunAtALineWithoutAScenario(t *testing.T) {
	code, _, errs := runCLI(t, "run", "--plan", "features/inference-outage.feature:99")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "features/inference-outage.feature:99 holds no scenario; the scenarios of features/inference-outage.feature are at lines 8 (Most requests fail and ml-platform fails over)")
	code, _, errs = runCLI(t, "run", "--plan", "features/nope.feature:3")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "the team has no feature file features/nope.feature; it has: ")
	code, out, errs := runCLI(t, "run", "--plan", "inference-outage.feature:8")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "features/inference-outage.feature:8")
}
