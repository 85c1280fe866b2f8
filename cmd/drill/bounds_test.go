package main

import (
	"testing"

	"github.com/stretchr/testify/require"
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
			require.Equal(t, exitUsage, code, "%v: %s", args, errs)
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
		require.Equal(t, exitUsage, code, "%v: %s", args, errs)
		require.Regexp(t, `escalation/policies\.yaml:\d+:\d+: policies\[0\]\.loops: policy ml-platform repeats its rules 1000000000 times and every rule's escalate_after is 0`, errs, "%v", args)
	}
}
