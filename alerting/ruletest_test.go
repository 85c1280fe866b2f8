package alerting

import (
	"flag"
	"os"
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
		"testdata/ruletests/unknown_field_test.yaml": `testdata/ruletests/unknown_field_test.yaml:4: unknown field "input_serie"`,
		"testdata/ruletests/bad_duration_test.yaml":  `line 5: "5 minutes" is not a duration; want e.g. 30s, 5m, 1h30m`,
		"testdata/ruletests/nope.yaml":               "no such file or directory",
	} {
		_, err := RunRuleTests([]string{file})
		require.ErrorContains(t, err, want, file)
	}
	fails, err := RunRuleTests([]string{"testdata/ruletests/bad_series_test.yaml"})
	require.NoError(t, err)
	require.Len(t, fails, 1)
	require.Contains(t, fails[0].Message, `input_series (line 5): "up{job=\"a\""`)
	fails, err = RunRuleTests([]string{"testdata/ruletests/missing_rules_test.yaml"})
	require.NoError(t, err)
	require.Len(t, fails, 1)
	require.Contains(t, fails[0].Message, "rule_files: no file matches pattern testdata/rules/nope-*.yaml")
}
