package team

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func seed(f *testing.F, files ...string) {
	for _, p := range files {
		b, err := os.ReadFile(filepath.Join("testdata", "clean", p))
		require.NoError(f, err)
		f.Add(b)
	}
}

// requireProblems checks an error is a non-empty Problems naming the file.
func requireProblems(t *testing.T, file string, err error) {
	if err == nil {
		return
	}
	var ps Problems
	require.True(t, errors.As(err, &ps), "%T: %v", err, err)
	require.NotEmpty(t, ps)
	for _, p := range ps {
		require.Equal(t, file, p.File)
		require.NotEmpty(t, p.Msg)
	}
}

func FuzzParseRunbook(f *testing.F) {
	seed(f, "runbooks/llm-cost-spike.md", "runbooks/provider-errors.md")
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("---\nid: [\n---\n## Mitigation\n1. x\n   ```sh {\"name\":\n   ```\n"))
	f.Add([]byte("---\nalerts: {a: b}\nlast_reviewed: 2026-13-45\n---\n```bash {bad}\n$X\n```\n"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rb, err := ParseRunbook("r.md", data)
		requireProblems(t, "r.md", err)
		if err == nil {
			require.NotEmpty(t, rb.ID)
			for _, s := range rb.Sections {
				for i, st := range s.Steps {
					require.Equal(t, i+1, st.Index)
					require.Positive(t, st.Line)
				}
			}
		}
	})
}

func FuzzParseEscalation(f *testing.F) {
	seed(f, "escalation/people.yaml", "escalation/policies.yaml")
	f.Add([]byte(dstSchedules))
	f.Add([]byte("users: {id: x}\nschedules: [{id: s, timezone: Local, layers: [{start: 2026-01-01, rotation: 1ms, users: [a], restrictions: [{type: weekly, from: \"Sun 24:00\", to: \"Sun 00:00\"}]}]}]\n"))
	f.Add([]byte("routes: [{match_re: {a: \"(\"}, policy: p}]\npolicies: [{id: p, loops: -1, rules: [{escalate_after: -5m, targets: [{}]}]}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEscalation("e.yaml", data)
		requireProblems(t, "e.yaml", err)
		if err != nil {
			return
		}
		e.index()
		from := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
		for _, s := range e.Schedules {
			_, _ = e.OnCall(s.ID, from)
			_, covered := s.Coverage(from, 1)
			require.True(t, covered >= 0 && covered <= 1)
		}
		e.Route(map[string]string{"team": "x"})
	})
}

func FuzzParseDrillFile(f *testing.F) {
	seed(f, "drill.yaml")
	f.Add([]byte("team: {id: x}\nlint: {severity: {runbook-stale: loud}, coverage_days: 9999}\n"))
	f.Add([]byte("paths: [a]\nvariables: {A: [1]}\nservice: &s {a: *s}\n"))
	f.Add([]byte("---\n...\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("drill.yaml", data)
		requireProblems(t, "drill.yaml", err)
		require.NotNil(t, c)
		require.NotEmpty(t, c.Paths.Alerts)
	})
}

func FuzzParseRules(f *testing.F) {
	seed(f, "alerts/llm.yaml", "alerts/provider.yaml", "alerts/tests/llm_test.yaml")
	f.Add([]byte("kind: PrometheusRule\nspec: {groups: [{name: a, rules: [{alert: A, expr: up}]}]}\n"))
	f.Add([]byte("kind: PrometheusRule\nspec:\n  groups:\n- name: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _, err := ParseRules("a.yaml", data)
		requireProblems(t, "a.yaml", err)
		for _, r := range rules {
			require.NotNil(t, r.ParsedExpr())
		}
	})
}
