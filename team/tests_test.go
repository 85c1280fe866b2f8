package team

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

const outsideTest = `rule_files: [../alerts/llm.yaml]
tests:
  - interval: 1m
    alert_rule_test:
      - eval_time: 5m
        alertname: LLMSpendSpike
        exp_alerts: []
`

func testFiles(tm *Team) []string {
	var out []string
	for _, pt := range tm.PromtoolTests {
		out = append(out, pt.File)
	}
	return out
}

// A promtool test file is one by its content, wherever it lies in the team
// directory; other YAML (a Kubernetes manifest, a Helm template) and other
// tools' trees are passed over.
func TestLoadFindsPromtoolTestsAnywhere(t *testing.T) {
	fsys := cleanFS(t)
	fsys["tests/llm_test.yaml"] = &fstest.MapFile{Data: []byte(outsideTest)}
	fsys["deploy/rules/spend_test.yml"] = &fstest.MapFile{Data: []byte(outsideTest)}
	fsys["deploy/chart/values.yaml"] = &fstest.MapFile{Data: []byte("image: {{ .Values.image }}\ntests: [a]\n")}
	fsys["deploy/configmap.yaml"] = &fstest.MapFile{Data: []byte("kind: ConfigMap\ndata: {rule_files: x}\n")}
	fsys["node_modules/pkg/x_test.yaml"] = &fstest.MapFile{Data: []byte(outsideTest)}
	fsys[".github/x_test.yaml"] = &fstest.MapFile{Data: []byte(outsideTest)}
	tm, err := LoadFS(fsys, ".")
	require.NoError(t, err)
	require.Equal(t, []string{"alerts/tests/llm_test.yaml", "deploy/rules/spend_test.yml", "tests/llm_test.yaml"}, testFiles(tm))
	require.Contains(t, tm.Files, "tests/llm_test.yaml")
	require.NotContains(t, tm.Files, "deploy/configmap.yaml", "only the files drill took count as read")
	pos, ok := tm.PromtoolTests[2].Alerts()["LLMSpendSpike"]
	require.True(t, ok)
	require.Equal(t, Pos{Line: 6, Col: 20}, pos)

	// A file with both keys that does not parse is a problem, not passed over.
	fsys["tests/broken_test.yaml"] = &fstest.MapFile{Data: []byte("rule_files: [a]\ntests: [\n")}
	_, err = LoadFS(fsys, ".")
	require.ErrorContains(t, err, "tests/broken_test.yaml:")
}

// paths.tests narrows the search to one directory, whose unreadable files
// are problems; test files under paths.alerts still count.
func TestLoadPathsTestsNarrows(t *testing.T) {
	fsys := cleanFS(t)
	fsys["tests/llm_test.yaml"] = &fstest.MapFile{Data: []byte(outsideTest)}
	fsys["deploy/spend_test.yaml"] = &fstest.MapFile{Data: []byte(outsideTest)}
	replace(t, fsys, "drill.yaml", "  runbooks: runbooks\n", "  runbooks: runbooks\n  tests: tests\n")
	tm, err := LoadFS(fsys, ".")
	require.NoError(t, err)
	require.Equal(t, []string{"alerts/tests/llm_test.yaml", "tests/llm_test.yaml"}, testFiles(tm))

	fsys["tests/big_test.yaml"] = &fstest.MapFile{Data: make([]byte, 2<<20)}
	_, err = LoadFS(fsys, ".")
	require.ErrorContains(t, err, "tests/big_test.yaml: ")

	replace(t, fsys, "drill.yaml", "  tests: tests\n", "  tests: nope\n")
	_, err = LoadFS(fsys, ".")
	require.ErrorContains(t, err, `drill.yaml:7:3: paths.tests: cannot read "nope"`)
	replace(t, fsys, "drill.yaml", "  tests: nope\n", "  tests: ../up\n")
	_, err = LoadFS(fsys, ".")
	require.ErrorContains(t, err, `paths.tests: expected a path inside the team directory, got "../up"`)
}

// The search looks at MaxTestScan YAML files at most, then asks for
// paths.tests.
func TestLoadTestScanIsBounded(t *testing.T) {
	fsys := cleanFS(t)
	for i := 0; i <= MaxTestScan; i++ {
		fsys[fmt.Sprintf("deploy/m%05d.yaml", i)] = &fstest.MapFile{Data: []byte("kind: ConfigMap\n")}
	}
	_, err := LoadFS(fsys, ".")
	require.ErrorContains(t, err, fmt.Sprintf("drill.yaml: paths.tests: more than %d YAML files", MaxTestScan))
}
