package alerting

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func TestRunRuleTestsPassingFiles(t *testing.T) {
	fails, err := RunRuleTests([]string{"testdata/fidelity/chain_test.yaml", "testdata/fidelity/boundary_test.yaml"})
	require.NoError(t, err)
	require.Empty(t, fails)
}

func TestRunRuleTestsFailuresAsPromtoolWordsThem(t *testing.T) {
	fails, err := RunRuleTests([]string{"testdata/fidelity/stale_test.yaml"})
	require.NoError(t, err)
	require.Len(t, fails, 3)
	require.Equal(t, "deliberately wrong expectations", fails[0].Test)
	require.Equal(t, "TargetDown", fails[0].Alertname)
	require.Equal(t, "up", fails[2].Expr)
	var b strings.Builder
	for _, f := range fails {
		b.WriteString(f.Error())
		b.WriteString("\n\n")
	}
	golden := "testdata/ruletests/stale_failures.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.Equal(t, string(want), b.String())
}

func TestRunRuleTestsBadInput(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/ruletests/unknown_field_test.yaml": "testdata/ruletests/unknown_field_test.yaml:4:5: tests[0].input_serie: unknown field; valid fields are: interval, input_series, alert_rule_test, promql_expr_test, external_labels, external_url, name, start_timestamp",
		"testdata/ruletests/bad_duration_test.yaml":  `testdata/ruletests/bad_duration_test.yaml:5:20: tests[0].alert_rule_test[0].eval_time: expected a duration such as 30s, 5m or 1h30m, got "5 minutes"`,
		"testdata/ruletests/nope.yaml":               "testdata/ruletests/nope.yaml: no such file or directory",
	} {
		_, err := RunRuleTests([]string{file})
		require.ErrorContains(t, err, want, file)
	}
	// A misspelt field inside a list item is found too (yaml.v3's
	// KnownFields did not reach into items with their own UnmarshalYAML).
	nested := filepath.Join(t.TempDir(), "nested_test.yaml")
	require.NoError(t, os.WriteFile(nested, []byte("rule_files: []\ntests:\n  - input_series: [{series: up, valus: '1'}]\n    alert_rule_test: [{eval_time: 1m, alertnme: X}]\n"), 0o600))
	_, err := RunRuleTests([]string{nested})
	require.EqualError(t, err, nested+":3:33: tests[0].input_series[0].valus: unknown field; valid fields are: series, values\n"+
		nested+":4:39: tests[0].alert_rule_test[0].alertnme: unknown field; valid fields are: eval_time, alertname, exp_alerts")

	fails, err := RunRuleTests([]string{"testdata/ruletests/bad_series_test.yaml"})
	require.NoError(t, err)
	require.Len(t, fails, 1)
	require.Contains(t, fails[0].Message, `input_series (line 5): "up{job=\"a\""`)
	fails, err = RunRuleTests([]string{"testdata/ruletests/missing_rules_test.yaml"})
	require.NoError(t, err)
	require.Len(t, fails, 1)
	require.Contains(t, fails[0].Message, "rule_files: no file matches pattern testdata/rules/nope-*.yaml")
}

// A team's promtool test may name only the team's own rule files: a rule
// file reached by ../ or by a link out of the team is a problem naming
// it, and nothing of it is read or echoed.
func TestRunTeamRuleTestsStayInTheTeam(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "team")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "alerts"), 0o755))
	secret := filepath.Join(base, "shadow.yaml")
	require.NoError(t, os.WriteFile(secret, []byte("groups:\n- name: s3cr3t\n  rules: [{alert: S3cr3t, expr: up}]\n"), 0o600))
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "alerts", "link.yaml")))
	write := func(name, rules string) string {
		p := filepath.Join(dir, "alerts", name)
		require.NoError(t, os.WriteFile(p, []byte("rule_files: ["+rules+"]\ntests:\n  - interval: 1m\n    input_series: [{series: up, values: '1'}]\n"), 0o600))
		return p
	}
	up := write("up_test.yaml", "../../shadow.yaml")
	_, err := RunTeamRuleTests(dir, []string{up})
	require.EqualError(t, err, up+": rule_files: "+secret+": expected a rule file inside the team directory "+dir)
	link := write("link_test.yaml", "link.yaml")
	_, err = RunTeamRuleTests(dir, []string{link})
	real, _ := filepath.EvalSymlinks(secret)
	require.EqualError(t, err, link+`: rule_files: `+filepath.Join(dir, "alerts", "link.yaml")+`: a symbolic link to "`+real+`", outside the team directory; expected a file inside it (drill reads nothing of a team from outside its directory)`)
	require.NotContains(t, err.Error(), "s3cr3t")
	// The test file itself, a link out of the team.
	require.NoError(t, os.Symlink(secret, filepath.Join(dir, "alerts", "out_test.yaml")))
	_, err = RunTeamRuleTests(dir, []string{filepath.Join(dir, "alerts", "out_test.yaml")})
	require.ErrorContains(t, err, "outside the team directory")
	// Inside the team, the same test runs.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alerts", "ok.yaml"), []byte("groups:\n- name: g\n  rules: [{alert: Up, expr: up > 0}]\n"), 0o600))
	fails, err := RunTeamRuleTests(dir, []string{write("ok_test.yaml", "ok.yaml")})
	require.NoError(t, err)
	require.Empty(t, fails)
	// A team directory given relative to the working directory, as lint
	// gives it when it finds the team upward.
	t.Chdir(filepath.Join(dir, "alerts"))
	fails, err = RunTeamRuleTests("..", []string{filepath.Join("..", "alerts", "ok_test.yaml")})
	require.NoError(t, err)
	require.Empty(t, fails)
}
