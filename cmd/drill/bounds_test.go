package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/timeline"
)

// Issue 16: `When provider "primary" bills 100000000000000000000x tokens`
// passed --plan and the mock then panicked mid-drill. Every fault
// parameter's range is checked before any world starts, by --plan, run
// and lint alike, with the file, line and range.
func TestOutOfRangeFaultIsRefusedBeforeAnyWorld(t *testing.T) {
	for _, tc := range []struct{ step, want string }{
		{`When provider "openai" bills 100000000000000000000x tokens`,
			`features/cost-spike.feature:4: When provider "openai" bills 100000000000000000000x tokens: billing-spike: parameter "factor": want a number above 1 and at most 1000, got "100000000000000000000"`},
		{`When traffic surges 1000000x`,
			`features/cost-spike.feature:4: When traffic surges 1000000x: traffic-surge: parameter "factor": want a number above 0 and at most 100, got "1000000"`},
		{`When the stream from provider "openai" is cut after 99999999999999999999 tokens`,
			`stream-cut: parameter "after_tokens": want tokens from 0 to 1000000, got "99999999999999999999"`},
	} {
		dir := copyTeam(t, [3]string{"features/cost-spike.feature", "When traffic surges 10x", tc.step})
		for _, args := range [][]string{
			{"run", "--team", dir, "--plan", "--no-builtin", "--all"},
			{"run", "--team", dir, "--no-history", "--no-builtin", "--all"},
			{"lint", "--team", dir},
		} {
			code, _, errs := runCLI(t, args...)
			require.Equal(t, exitcode.Usage, code, "%v: %s", args, errs)
			require.Contains(t, errs, tc.want, "%v", args)
		}
	}
}

// Issue 16: an escalation policy with loops: 1000000000 and escalate_after
// 0m made `drill run` grow without end. It is refused before any world
// starts, by --plan, run and lint, naming the file, line and policy.
func TestZeroDelayLoopIsRefusedBeforeAnyWorld(t *testing.T) {
	dir := copyTeam(t,
		[3]string{"escalation/policies.yaml", "    loops: 2\n    rules:\n      - escalate_after: 10m", "    loops: 1000000000\n    rules:\n      - escalate_after: 0m"},
		[3]string{"escalation/policies.yaml", "      - escalate_after: 15m", "      - escalate_after: 0s"})
	for _, args := range [][]string{
		{"run", "--team", dir, "--plan", "--no-builtin", "--all"},
		{"run", "--team", dir, "--no-history", "--no-builtin", "--all"},
		{"lint", "--team", dir},
	} {
		code, _, errs := runCLI(t, args...)
		require.Equal(t, exitcode.Usage, code, "%v: %s", args, errs)
		require.Regexp(t, `escalation/policies\.yaml:\d+:\d+: policies\[0\]\.loops: policy ml-platform repeats its rules 1000000000 times and every rule's escalate_after is 0`, errs, "%v", args)
	}
}

// Every limit is documented: the README's Limits section and
// docs/escalation.md state the numbers the code enforces (the fault
// ranges are in docs/faults.md, generated from the catalog).
func TestReadmeStatesEveryLimit(t *testing.T) {
	read := func(path string) string { // with every run of white space as one space
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return strings.Join(strings.Fields(string(b)), " ")
	}
	readme, escalation := read("../../README.md"), read("../../docs/escalation.md")
	lim := loopback.DefaultLimits
	for _, want := range []string{
		fmt.Sprintf("at most %d faults held at once", faultmode.MaxFaults),
		fmt.Sprintf("evidence for at most %d fault IDs", faultmode.MaxEvidence),
		fmt.Sprintf("(%d bytes)", faultmode.MaxControlBody),
		fmt.Sprintf("at most %d bytes (no `/`", faultmode.MaxIDBytes),
		fmt.Sprintf("a mode of %d", faultmode.MaxModeBytes),
		fmt.Sprintf("target glob of %d", faultmode.MaxTargetBytes),
		fmt.Sprintf("at most %d bytes of a value", faultmode.MaxEchoBytes),
		fmt.Sprintf("request headers within %s", lim.HeaderTimeout),
		fmt.Sprintf("within %s of its first byte", lim.ReadTimeout),
		fmt.Sprintf("closed after %s", faultmode.FormatDuration(lim.IdleTimeout)),
		fmt.Sprintf("headers of at most %d MiB", lim.MaxHeaderBytes>>20),
		"saturate at 10^12 per count",
		"cost at 10^12 USD",
		fmt.Sprintf("%d pages and %d notifications", response.DefaultLimits.Pages, response.DefaultLimits.Notifications),
		fmt.Sprintf("most %d events", response.DefaultLimits.Events),
		fmt.Sprintf("take %g to %g drill seconds per real second", float64(timeline.MinSpeed), float64(timeline.MaxSpeed)),
	} {
		require.True(t, strings.Contains(readme, want), "README.md's Limits section does not say %q", want)
	}
	require.EqualValues(t, 1e12, mockllm.MaxTokens)
	require.EqualValues(t, 1e12, mockllm.MaxCostUSD)
	for _, want := range []string{
		fmt.Sprintf("**%d pages**", response.DefaultLimits.Pages),
		fmt.Sprintf("**%d notifications**", response.DefaultLimits.Notifications),
		fmt.Sprintf("**%d events**", response.DefaultLimits.Events),
	} {
		require.True(t, strings.Contains(escalation, want), "docs/escalation.md does not say %q", want)
	}
}
