package main

import (
	"testing"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/stretchr/testify/require"
)

func TestLintChecksFeatureSteps(t *testing.T) {
	dir := copyTeam(t, [3]string{"features/cost-spike.feature", "When traffic surges 10x", "When traffic goes wild"})
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, dir+"/features/cost-spike.feature:4:1: feature-undefined-step error: undefined step: When traffic goes wild")
}

func TestLintRunsPromtoolTests(t *testing.T) {
	dir := copyTeam(t, [3]string{"alerts/tests/llm_test.yaml", "exp_alerts: []", "exp_alerts: [{exp_labels: {severity: page}}]"})
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, "alerts/tests/llm_test.yaml:8:20: promtool-test-failed error: unnamed#0, alert LLMProviderErrors at 10m:\n"+
		"    alertname: LLMProviderErrors, time: 10m,\n"+
		"        exp:[\n"+
		"            0:\n"+
		"              Labels:{alertname=\"LLMProviderErrors\", severity=\"page\"}\n"+
		"              Annotations:{}\n"+
		"            ],\n"+
		"        got:[]\n", "at the alert_rule_test naming the alert, worded and laid out as promtool prints it")
}

// A failed promql_expr_test is reported at its expr, the one evaluated at
// the failing eval_time when several check the same expression.
func TestLintPromtoolExprTestAtItsLine(t *testing.T) {
	dir := copyTeam(t, [3]string{"alerts/tests/llm_test.yaml", "exp_alerts: []", `exp_alerts: []
    promql_expr_test:
      - expr: vector(1)
        eval_time: 1m
        exp_samples: [{labels: '{}', value: 1}]
      - expr: vector(1)
        eval_time: 2m
        exp_samples: [{labels: '{}', value: 2}]`})
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, "alerts/tests/llm_test.yaml:14:15: promtool-test-failed error: unnamed#0, expr vector(1) at 2m:")

	// The same check in a second test group: the failure is the second's.
	dir = copyTeam(t, [3]string{"alerts/tests/llm_test.yaml", "exp_alerts: []", `exp_alerts: []
    promql_expr_test:
      - expr: vector(1)
        eval_time: 1m
        exp_samples: [{labels: '{}', value: 1}]
  - name: second
    interval: 1m
    promql_expr_test:
      - expr: vector(1)
        eval_time: 1m
        exp_samples: [{labels: '{}', value: 2}]`})
	code, out, _ = runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, "alerts/tests/llm_test.yaml:17:15: promtool-test-failed error: second, expr vector(1) at 1m:")
}

func TestLintFallsBackToDemoTeam(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, errs := runCLI(t, "lint")
	require.Equal(t, exitcode.OK, code, out+errs)
	require.Contains(t, errs, "linting the built-in demo team acme-ml")
	require.Regexp(t, `: 0 errors, 0 warnings, 0 info in [1-9][0-9]* files read \(0 with findings\)\n$`, out, "it read the demo's files")
}

// A feature syntax error is reported at its own line, not at 1:1.
func TestLintFeatureSyntaxAtItsLine(t *testing.T) {
	dir := copyTeam(t, [3]string{"features/cost-spike.feature", "When traffic surges 10x", "When traffic surges 10x\n  Scenario Outline without examples"})
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	require.Regexp(t, `features/cost-spike\.feature:5:\d+: feature-syntax error: `, out)
}

// A promtool test file that does not load is reported at its line, in
// the user's words.
func TestLintPromtoolTestLoadErrorAtItsLine(t *testing.T) {
	dir := copyTeam(t, [3]string{"alerts/tests/llm_test.yaml", "  - interval: 1m", "  - intervall: 1m"})
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, "alerts/tests/llm_test.yaml:4:5: promtool-test-failed error: tests[0].intervall: unknown field; valid fields are: interval,")
}

// lint.severity applies to the checks drill lint runs itself.
func TestLintSeverityForDrillChecks(t *testing.T) {
	dir := copyTeam(t,
		[3]string{"features/cost-spike.feature", "When traffic surges 10x", "When traffic goes wild"},
		[3]string{"drill.yaml", "alert-description-vague: warning", "alert-description-vague: warning\n    feature-undefined-step: warning"})
	code, out, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code, out+errs)
	require.Contains(t, out, "feature-undefined-step warning: undefined step")
	code, out, _ = runCLI(t, "lint", "--checks")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "promtool-test-failed")
}
