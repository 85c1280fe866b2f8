package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// promtool finds the oracle: $PROMTOOL, else promtool on PATH. It must be
// built from the same Prometheus version as the embedded engine (v0.316.0);
// Debian's promtool 2.x differs at range boundaries.
func promtool(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("fidelity: skipped under -short (runs promtool)")
	}
	bin := os.Getenv("PROMTOOL")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("promtool"); err != nil {
			t.Skip("fidelity: promtool not found ($PROMTOOL or PATH); install: go install github.com/prometheus/prometheus/cmd/promtool@v0.316.0")
		}
	}
	// A go-installed promtool carries its module version; a release build
	// says it with --version.
	if out, err := exec.Command("go", "version", "-m", bin).Output(); err == nil && promtoolModule.Match(out) {
		return bin
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	require.NoError(t, err, "promtool --version: %s", out)
	require.Contains(t, string(out), "version 3.16.0 ", "promtool must be built from prometheus v0.316.0 (3.16.0), got: %s", out)
	return bin
}

// runPromtool runs `promtool test rules` and returns whether it passed and
// what it printed on stderr (the failures).
func runPromtool(t *testing.T, bin, file string) (bool, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "test", "rules", file)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exitErr, ok := errors.AsType[*exec.ExitError](err); ok && exitErr.ExitCode() == 1 {
		return false, stderr.String()
	}
	require.NoError(t, err, "promtool: %s%s", stdout.String(), stderr.String())
	return true, stderr.String()
}

var promtoolModule = regexp.MustCompile(`github\.com/prometheus/prometheus\s+v0\.316\.0\s`)

type step struct {
	test   string
	at     time.Duration
	rules  []string
	active []Alert
}

// TestFidelityWithPromtool runs the same promtool-format files through
// promtool and through this package and requires (1) the same verdicts and
// failure texts and (2) the same alert trajectory: every pending and
// firing alert, with labels and annotations, at every evaluation, which
// promtool checks from assertions generated from our trajectory.
func TestFidelityWithPromtool(t *testing.T) {
	bin := promtool(t)
	files, err := filepath.Glob("testdata/fidelity/*_test.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			// (1) Same verdicts, same failure texts.
			ours, err := RunRuleTests([]string{file})
			require.NoError(t, err)
			passed, stderr := runPromtool(t, bin, file)
			require.Equal(t, passed, len(ours) == 0, "promtool passed=%v, we found %d failures; promtool said:\n%s", passed, len(ours), stderr)
			require.Equal(t, strings.Count(stderr, ", time: "), len(ours), "failure count differs; promtool said:\n%s", stderr)
			for _, f := range ours {
				require.Contains(t, stderr, f.Message, "promtool does not report this failure as we word it")
			}

			// (2) Same trajectory.
			var steps []step
			_, err = runRuleTestFile(file, func(test string, at time.Duration, rules []string, active []Alert) {
				steps = append(steps, step{test, at, rules, active})
			}, nil)
			require.NoError(t, err)
			var pending, firing int
			for _, s := range steps {
				for _, a := range s.active {
					if a.State == "firing" {
						firing++
					} else {
						pending++
					}
				}
			}
			require.Positive(t, pending, "the case must exercise pending alerts")
			require.Positive(t, firing, "the case must exercise firing alerts")

			gen := trajectoryFile(t, file, steps, -1)
			passed, stderr = runPromtool(t, bin, gen)
			require.True(t, passed, "promtool disagrees with our alert trajectory:\n%s", stderr)

			// The generated assertions must be able to fail: drop one firing
			// alert from one step and promtool must object.
			first := slices.IndexFunc(steps, func(s step) bool {
				return slices.ContainsFunc(s.active, func(a Alert) bool { return a.State == "firing" })
			})
			mutated := trajectoryFile(t, file, steps, first)
			passed, _ = runPromtool(t, bin, mutated)
			require.False(t, passed, "promtool accepted a trajectory with a firing alert removed")
		})
	}
}

// trajectoryFile writes a copy of the test file whose assertions are our
// trajectory: at every evaluation, the firing alerts of every alerting rule
// (alert_rule_test) and the ALERTS series with pending and firing states
// (promql_expr_test). With drop >= 0, the firing alerts of that step are
// left out of the alert_rule_test, to prove the check can fail.
func trajectoryFile(t *testing.T, file string, steps []step, drop int) string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(b, &doc))
	var ruleFiles []any
	for _, rf := range doc["rule_files"].([]any) {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(file), rf.(string)))
		require.NoError(t, err)
		ruleFiles = append(ruleFiles, abs)
	}
	doc["rule_files"] = ruleFiles
	tests := doc["tests"].([]any)
	for i, tgAny := range tests {
		tg := tgAny.(map[string]any)
		name, _ := tg["name"].(string)
		if name == "" {
			name = fmt.Sprintf("unnamed#%d", i)
		}
		var alertTests, exprTests []any
		for si, s := range steps {
			if s.test != name {
				continue
			}
			at := model.Duration(s.at).String()
			var series []any
			for _, rule := range s.rules {
				exp := []any{}
				for _, a := range s.active {
					if a.Name != rule {
						continue
					}
					series = append(series, map[string]any{"labels": alertsSeries(a), "value": 1})
					if a.State != "firing" || si == drop {
						continue
					}
					l := map[string]any{}
					for k, v := range a.Labels {
						if k != "alertname" {
							l[k] = v
						}
					}
					ann := map[string]any{}
					for k, v := range a.Annotations {
						ann[k] = v
					}
					exp = append(exp, map[string]any{"exp_labels": l, "exp_annotations": ann})
				}
				alertTests = append(alertTests, map[string]any{"eval_time": at, "alertname": rule, "exp_alerts": exp})
			}
			if series == nil {
				series = []any{}
			}
			exprTests = append(exprTests, map[string]any{"expr": "ALERTS", "eval_time": at, "exp_samples": series})
		}
		tg["alert_rule_test"] = alertTests
		tg["promql_expr_test"] = exprTests
	}
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "trajectory_"+strconv.Itoa(drop+1)+"_test.yaml")
	require.NoError(t, os.WriteFile(path, out, 0o644))
	return path
}

// alertsSeries renders the ALERTS series of an alert in PromQL notation.
func alertsSeries(a Alert) string {
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := []string{"alertstate=" + strconv.Quote(a.State)}
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.Quote(a.Labels[k]))
	}
	return "ALERTS{" + strings.Join(parts, ",") + "}"
}
