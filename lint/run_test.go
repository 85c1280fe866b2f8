package lint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/team"
)

// diskTeam copies the clean team to a temporary directory, applies edits
// (file, old, new; old "" writes new as the whole file) and loads it.
func diskTeam(t *testing.T, edits ...[3]string) *team.Team {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(cleanDir)))
	for _, e := range edits {
		p := filepath.Join(dir, filepath.FromSlash(e[0]))
		if e[1] == "" {
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(e[2]), 0o644))
			continue
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Contains(t, string(b), e[1], "in %s", e[0])
		require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), e[1], e[2], 1)), 0o644))
	}
	tm, err := team.Load(dir)
	require.NoError(t, err)
	return tm
}

func run(t *testing.T, tm *team.Team, opts Options) *Report {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = lintNow
	}
	r, err := Run(context.Background(), tm, opts)
	require.NoError(t, err)
	return r
}

func strs(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

func TestRunCleanTeam(t *testing.T) {
	tm := diskTeam(t)
	r := run(t, tm, Options{})
	require.Empty(t, r.Findings)
	require.Equal(t, tm.Dir, r.Team)
	require.Equal(t, 10, r.FilesRead, "drill.yaml, 3 alert files, 2 runbooks, 3 escalation files, 1 feature")
	require.Equal(t, len(tm.Files), r.FilesRead)
	require.False(t, r.Failed())
	require.Equal(t, Summary{FilesRead: 10}, r.Summary())
}

// Run assembles every kind of check (the team's files, feature files,
// promtool tests) into one sorted list, each at the position its source
// gives, with drill.yaml's severities.
func TestRunAssemblesEveryCheck(t *testing.T) {
	tm := diskTeam(t,
		[3]string{"alerts/llm.yaml", "for: 2m", "for: 30s"},
		[3]string{"features/cost-spike.feature", "When traffic surges 10x", "When traffic goes wild"},
		[3]string{"features/broken.feature", "", "Feature: broken\n  Scenario: s\n    Given the team's environment is running\n  Scenario Outline without examples\n"},
		[3]string{"alerts/tests/llm_test.yaml", "exp_alerts: []", "exp_alerts: [{exp_labels: {severity: page}}]"},
		// A promtool test file that does not load hides no other file's failures.
		[3]string{"alerts/tests/bad_test.yaml", "", "rule_files: [../provider.yaml]\ntests:\n  - intervall: 1m\n"},
		[3]string{"drill.yaml", "alert-description-vague: warning", "alert-description-vague: warning\n    feature-syntax: info"},
	)
	r := run(t, tm, Options{})
	require.Equal(t, []string{
		"alerts/llm.yaml:7:9: alert-for-short warning: alert LLMSpendSpike: for: 30s is shorter than two evaluation intervals (30s); expected 1m or more",
		"alerts/tests/bad_test.yaml:3:5: promtool-test-failed error: tests[0].intervall: unknown field; valid fields are: interval, input_series, alert_rule_test, promql_expr_test, external_labels, external_url, name, start_timestamp",
		"alerts/tests/llm_test.yaml:8:20: promtool-test-failed error: unnamed#0, alert LLMProviderErrors at 10m:\n" +
			"    alertname: LLMProviderErrors, time: 10m,\n" +
			"        exp:[\n" +
			"            0:\n" +
			"              Labels:{alertname=\"LLMProviderErrors\", severity=\"page\"}\n" +
			"              Annotations:{}\n" +
			"            ],\n" +
			"        got:[]",
		"features/broken.feature:4:3: feature-syntax info: expected: #EOF, #TableRow, #DocStringSeparator, #StepLine, #TagLine, #ExamplesLine, #ScenarioLine, #RuleLine, #Comment, #Empty, got \"  Scenario Outline without examples\"",
		"features/cost-spike.feature:4:1: feature-undefined-step error: undefined step: When traffic goes wild (closest known step: When traffic surges 10x)",
	}, strs(r.Findings))
	require.Equal(t, Summary{Errors: 3, Warnings: 1, Infos: 1, Files: 5, FilesRead: 12}, r.Summary())
	require.True(t, r.Failed())
}

func TestRunStrictFailsOnWarnings(t *testing.T) {
	tm := diskTeam(t, [3]string{"alerts/llm.yaml", "for: 2m", "for: 30s"})
	r := run(t, tm, Options{})
	require.Len(t, r.Findings, 1)
	require.False(t, r.Failed(), "a warning alone is lint clean")
	r = run(t, tm, Options{Strict: true})
	require.True(t, r.Failed())
	require.Zero(t, r.Summary().Errors)
}

// What a drill would refuse before starting is an error, not a finding.
func TestRunRefusesWhatADrillWould(t *testing.T) {
	tm := diskTeam(t, [3]string{"drill.yaml", "  rate: 5", "  rate: fast"})
	_, err := Run(context.Background(), tm, Options{Now: lintNow})
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	require.ErrorContains(t, err, `drill.yaml:25:9: traffic.rate: expected a number, got "fast"`)

	// A fault a team's drill injects at a target that does not exist.
	tm = diskTeam(t, [3]string{"features/cost-spike.feature", "When traffic surges 10x", `When provider "nope" returns 503 for 30% of requests`})
	_, err = Run(context.Background(), tm, Options{Now: lintNow})
	require.ErrorAs(t, err, &refused)
	require.ErrorContains(t, err, "features/cost-spike.feature:4:")
}

func TestRunRefusesUnknownCheckIDs(t *testing.T) {
	tm := diskTeam(t, [3]string{"drill.yaml", "alert-description-vague: warning", "alert-description-vage: warning"})
	_, err := Run(context.Background(), tm, Options{Now: lintNow})
	var ps team.Problems
	require.ErrorAs(t, err, &ps)
	require.Len(t, ps, 1)
	require.Equal(t, "lint.severity.alert-description-vage", ps[0].Field)
	var refused *RefusedError
	require.False(t, errors.As(err, &refused))
}

func TestRunStopsWithItsContext(t *testing.T) {
	tm := diskTeam(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, tm, Options{Now: lintNow})
	require.ErrorIs(t, err, context.Canceled)
}

// Promtool tests run from disk: a team from an fs.FS that has some is an
// error, never a silent skip.
func TestRunPromtoolTestsNeedTheTeamOnDisk(t *testing.T) {
	tm, err := team.LoadFS(os.DirFS(cleanDir), ".")
	require.NoError(t, err)
	_, err = promtoolFindings(context.Background(), tm)
	require.ErrorContains(t, err, "promtool rule tests run from disk")
}

// A team keeping its promtool tests under tests/, outside paths.alerts,
// with rule_files reaching back into alerts/: the tests run, and the alerts
// they name count as tested.
func TestRunPromtoolTestsOutsideAlerts(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(cleanDir)))
	require.NoError(t, os.Remove(filepath.Join(dir, "alerts", "tests", "llm_test.yaml")))
	tm, err := team.Load(dir)
	require.NoError(t, err)
	require.Contains(t, strs(run(t, tm, Options{}).Findings), "alerts/provider.yaml:11:11: alert-untested warning: alert LLMProviderErrors is exercised by no drill in features/ and no promtool test (alert_rule_test alertname)")

	test := "rule_files: [../alerts/provider.yaml]\ntests:\n  - interval: 1m\n    alert_rule_test:\n      - eval_time: 10m\n        alertname: LLMProviderErrors\n        exp_alerts: []\n"
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "tests"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tests", "provider_test.yaml"), []byte(test), 0o644))
	tm, err = team.Load(dir)
	require.NoError(t, err)
	r := run(t, tm, Options{})
	require.Empty(t, r.Findings, "the test under tests/ counts LLMProviderErrors as tested")
	require.Contains(t, tm.Files, "tests/provider_test.yaml")

	// It really runs: an expectation the rules do not meet fails there.
	failing := strings.Replace(test, "exp_alerts: []", "exp_alerts: [{exp_labels: {severity: page}}]", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tests", "provider_test.yaml"), []byte(failing), 0o644))
	tm, err = team.Load(dir)
	require.NoError(t, err)
	got := strs(run(t, tm, Options{}).Findings)
	require.Len(t, got, 1)
	require.True(t, strings.HasPrefix(got[0], "tests/provider_test.yaml:6:20: promtool-test-failed error: unnamed#0, alert LLMProviderErrors at 10m:\n"), got[0])
}

// A drill.yaml with team: and nothing else lints runbooks, rules,
// escalation and features; only --live, which starts a world, needs the
// topology, and says so.
func TestRunTeamOnlyConfig(t *testing.T) {
	tm := diskTeam(t, [3]string{"drill.yaml", "", "team:\n  id: ml-platform\n"})
	r := run(t, tm, Options{})
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID+" "+f.File)
	}
	require.Equal(t, []string{
		"runbook-unbound-variable runbooks/llm-cost-spike.md",
	}, ids, "the runbooks' $GATEWAY_ADMIN is bound in the full drill.yaml only")
	require.Equal(t, 10, r.FilesRead)

	_, err := Run(context.Background(), tm, Options{Now: lintNow, Live: true})
	var refused *RefusedError
	require.ErrorAs(t, err, &refused)
	require.ErrorContains(t, err, "--live: drill.yaml: no topology: this command starts a world, which needs at least providers:")
}

// The support bot team (scenarios/testdata/supportbot: a service with an
// API of its own, promtool tests under tests/) lints clean, its alerts
// counted as tested by the tests outside alerts/.
func TestSupportBotTeamLintsClean(t *testing.T) {
	tm, err := team.Load(filepath.Join("..", "scenarios", "testdata", "supportbot"))
	require.NoError(t, err)
	require.Len(t, tm.PromtoolTests, 1)
	require.Equal(t, "tests/supportbot_test.yaml", tm.PromtoolTests[0].File)
	r := run(t, tm, Options{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	require.Empty(t, strs(r.Findings))
}
