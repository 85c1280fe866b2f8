package team

import (
	"errors"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"
)

func problemsOf(t *testing.T, m fstest.MapFS) []string {
	t.Helper()
	_, err := LoadFS(m, ".")
	require.Error(t, err)
	var ps Problems
	require.True(t, errors.As(err, &ps), "%T", err)
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestMalformedInputs(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, m fstest.MapFS)
		want   []string
	}{
		{"yaml syntax", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "drill.yaml", "  name: ML Platform", "  name: [ML Platform")
		}, []string{"drill.yaml:2: invalid YAML: did not find expected ',' or ']'"}},
		{"unknown field and wrong types, all at once", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "escalation/people.yaml", "{id: bob,", "{id: bob, pager: yes,")
			replace(t, m, "escalation/policies.yaml", "loops: 2", "loops: two")
			replace(t, m, "escalation/people.yaml", "    contact_methods:", "    active: maybe\n    contact_methods:")
		}, []string{
			`escalation/people.yaml:5:13: users[0].active: expected true or false, got "maybe"`,
			"escalation/people.yaml:12:15: users[1].pager: unknown field; valid fields are: id, name, timezone, active, contact_methods, notification_rules",
			`escalation/policies.yaml:4:12: policies[0].loops: expected an integer, got "two"`,
		}},
		{"missing required field", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "escalation/policies.yaml", "  - escalate_after: 5m\n", "  - targets: []\n")
		}, nil}, // checked below by prefix: policies.yaml rule without escalate_after
		{"no front matter", func(t *testing.T, m fstest.MapFS) {
			m["runbooks/plain.md"] = &fstest.MapFile{Data: []byte("# Just text\n")}
		}, []string{"runbooks/plain.md:1:1: missing front matter; expected the file to start with a --- line, YAML (id, owner, alerts, last_reviewed, ...), and a closing --- line"}},
		{"front matter not closed", func(t *testing.T, m fstest.MapFS) {
			m["runbooks/open.md"] = &fstest.MapFile{Data: []byte("---\nid: open\n# Title\n")}
		}, []string{"runbooks/open.md:1:1: front matter is not closed; expected a --- line after it"}},
		{"bad front matter values", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "runbooks/provider-errors.md", "last_reviewed: 2026-03-01", "last_reviewed: last week\nreview_every: soon\nowners: [a]")
			replace(t, m, "escalation/policies.yaml", "escalate_after: 5m", "escalate_after: 99999999h")
		}, []string{
			`escalation/policies.yaml:14:25: policies[1].rules[0].escalate_after: expected a duration like 90s, 10m, 12h, 7d or 1w, got "99999999h" (out of range: a duration holds at most about 292 years)`,
			`runbooks/provider-errors.md:4:16: last_reviewed: expected a date like 2026-10-01, got "last week"`,
			`runbooks/provider-errors.md:5:15: review_every: expected a duration like 90s, 10m, 12h, 7d or 1w, got "soon"`,
			"runbooks/provider-errors.md:6:1: owners: unknown field; valid fields are: id, owner, alerts, escalation, last_reviewed, review_every, services",
		}},
		{"impossible date", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "runbooks/provider-errors.md", "last_reviewed: 2026-03-01", "last_reviewed: 2026-02-30")
		}, []string{`runbooks/provider-errors.md:4:16: last_reviewed: expected a date like 2026-10-01, got "2026-02-30"`}},
		{"bad info string", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "runbooks/llm-cost-spike.md", `sh {"name":"cap-spend"}`, `sh {name: cap-spend}`)
		}, []string{`runbooks/llm-cost-spike.md:23:1: code block info string: expected Runme-style JSON attributes like sh {"name":"cap-spend"}, got "{name: cap-spend}"`}},
		{"named step in a language drill does not run", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "runbooks/llm-cost-spike.md", `sh {"name":"cap-spend"}`, `zsh {"name":"cap-spend"}`)
		}, []string{`runbooks/llm-cost-spike.md:23:1: code block language: a named step in "zsh" cannot run: drill runs sh, bash and shell blocks, and python blocks with a name or an interpreter`}},
		{"Runme attributes of the wrong type or out of range", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "runbooks/llm-cost-spike.md", `sh {"name":"cap-spend"}`, `sh {"name":"cap-spend","cwd":7,"interpreter":false,"background":"maybe","ignoreErrors":1,"promptEnv":"sometimes"}`)
		}, []string{
			`runbooks/llm-cost-spike.md:23:1: code block background: expected true or false, got "maybe"`,
			`runbooks/llm-cost-spike.md:23:1: code block promptEnv: expected true, false or auto, got "sometimes"`,
			`runbooks/llm-cost-spike.md:23:1: code block ignoreErrors: expected true or false, got "1"`,
			`runbooks/llm-cost-spike.md:23:1: code block cwd: expected a directory path as a string`,
			`runbooks/llm-cost-spike.md:23:1: code block interpreter: expected the interpreter's name as a string`,
		}},
		{"bad PromQL", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "alerts/llm.yaml", "rate5m * 60 > 2", "rate5m * > 2")
		}, []string{`alerts/llm.yaml:8:15: group "llm-gateway", rule 2, "LLMSpendSpike": could not parse expression: 1:29: parse error: unexpected <op:>>`}},
		{"bad PromQL in a PrometheusRule keeps the file's positions", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "alerts/provider.yaml", "> 0.05", "> > 0.05")
		}, []string{
			`alerts/provider.yaml:12:17: group "provider", rule 1, "LLMProviderErrors": could not parse expression: 2:69: parse error: unexpected <op:>>`,
		}},
		{"bad duration in a PrometheusRule", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "alerts/provider.yaml", "for: 5m", "for: 5 minutes")
		}, []string{
			`alerts/provider.yaml:15:16: unknown unit " minutes" in duration "5 minutes"`,
		}},
		{"rulefmt unknown field", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "alerts/llm.yaml", "        for: 2m\n", "        for: 2m\n        severity: critical\n")
		}, []string{`alerts/llm.yaml:10: unknown field "severity"`}},
		{"binary garbage", func(t *testing.T, m fstest.MapFS) {
			m["runbooks/blob.md"] = &fstest.MapFile{Data: []byte{0x7f, 'E', 'L', 'F', 0, 0xff, 0xfe}}
			m["escalation/blob.yaml"] = &fstest.MapFile{Data: []byte{0, 1, 2, 0xff}}
			m["features/blob.feature"] = &fstest.MapFile{Data: []byte{0x7f, 'E', 'L', 'F', 0, 0xff, 0xfe}}
			m["alerts/blob.yaml"] = &fstest.MapFile{Data: []byte{0x7f, 'E', 'L', 'F', 0, 0xff, 0xfe}}
		}, []string{
			"alerts/blob.yaml: not a UTF-8 text file; expected YAML",
			"escalation/blob.yaml: not a UTF-8 text file; expected YAML",
			"features/blob.feature: not a UTF-8 text file; expected a Gherkin feature file",
			"runbooks/blob.md: not a UTF-8 text file; expected a Markdown runbook",
		}},
		{"a user's timezone that does not exist", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "escalation/people.yaml", "    timezone: Europe/Berlin\n", "    timezone: Mars/Base\n")
		}, []string{`escalation/people.yaml:4:5: users[0].timezone: unknown timezone "Mars/Base"; expected an IANA name like Europe/Berlin`}},
		{"a Kubernetes resource that is not a PrometheusRule", func(t *testing.T, m fstest.MapFS) {
			m["alerts/cm.yaml"] = &fstest.MapFile{Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\ndata:\n  rules.yaml: |\n    groups: []\n")}
		}, []string{`alerts/cm.yaml:2:7: kind: not a PrometheusRule: a Kubernetes resource of kind "ConfigMap"; expected a Prometheus rule file (groups: at the top) or a PrometheusRule resource (kind: PrometheusRule, spec.groups)`}},
		{"missing directory", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "drill.yaml", "  runbooks: runbooks", "  runbooks: run-books")
		}, []string{`drill.yaml:6:3: paths.runbooks: cannot read "run-books": file does not exist`}},
		{"path escaping the team", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "drill.yaml", "  runbooks: runbooks", "  runbooks: ../elsewhere")
		}, []string{`drill.yaml:6:3: paths.runbooks: expected a path inside the team directory, got "../elsewhere"`}},
		{"schedule shapes", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "escalation/people.yaml", "timezone: America/New_York", "timezone: Mars/Olympus")
			replace(t, m, "escalation/people.yaml", `to: "Fri 18:00"`, `to: "Friday 6pm"`)
			replace(t, m, "escalation/people.yaml", "end: 2026-12-27T00:00:00", "end: 2026-12-20T00:00:00")
		}, []string{
			`escalation/people.yaml:33:13: schedules[0].layers[1].restrictions[0]: expected a weekly window like from: "Mon 09:00", to: "Fri 18:00", got type "weekly" from "Mon 09:00" to "Friday 6pm"`,
			"escalation/people.yaml:35:50: schedules[0].overrides[0].end: expected an end after start 2026-12-24T00:00",
			`escalation/people.yaml:37:5: schedules[1].timezone: unknown timezone "Mars/Olympus"; expected an IANA name like Europe/Berlin`,
		}},
		{"routes and targets", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "escalation/policies.yaml", "match_re: {service: \"llm-.*\"}", "match_re: {service: \"llm-(\"}")
			replace(t, m, "escalation/policies.yaml", "targets: [{user: erin}]", "targets: [{user: erin, team: sre}]")
			replace(t, m, "escalation/policies.yaml", "- default: true\n    policy: sre", "- policy: sre")
		}, []string{
			"escalation/policies.yaml:17:19: policies[1].rules[1].targets[0]: expected exactly one of schedule, user, team",
			"escalation/policies.yaml:21:16: routes[1].match_re.service: expected a regular expression: error parsing regexp: missing closing ): `llm-(`",
			"escalation/policies.yaml:23:5: routes[2]: expected match, match_re or default: true",
		}},
		{"duplicates across files", func(t *testing.T, m fstest.MapFS) {
			m["escalation/zz.yaml"] = &fstest.MapFile{Data: []byte("users:\n  - {id: alice}\n")}
			m["runbooks/copy.md"] = m["runbooks/provider-errors.md"]
		}, []string{
			"escalation/zz.yaml:2:5: user alice: duplicate id; first defined in escalation/people.yaml",
			`runbooks/provider-errors.md:2: id: duplicate runbook id "provider-errors"; also in runbooks/copy.md`,
		}},
		{"two documents", func(t *testing.T, m fstest.MapFS) {
			m["escalation/two.yaml"] = &fstest.MapFile{Data: []byte("users: []\n---\nteams: []\n")}
		}, []string{"escalation/two.yaml:2:1: a second YAML document; expected one document per file"}},
		{"a tab error is placed at the tab", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "drill.yaml", "  name: ML Platform", "\tname: ML Platform")
		}, []string{"drill.yaml:3:1: invalid YAML: found a tab character that violates indentation"}},
		{"a template error is placed at its annotation", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "alerts/llm.yaml", "summary: LLM spend is above $2/min", `summary: "{{ $labels.x "`)
		}, []string{`alerts/llm.yaml:14:20: group "llm-gateway", rule 2, "LLMSpendSpike": annotation "summary": template: __alert_LLMSpendSpike:1: unclosed action`}},
		{"zero lint values are judged, not defaulted", func(t *testing.T, m fstest.MapFS) {
			replace(t, m, "drill.yaml", "coverage_days: 28", "coverage_days: 0")
			replace(t, m, "drill.yaml", "evaluation_interval: 1m", "evaluation_interval: 0s")
			replace(t, m, "drill.yaml", "every: 90d", "every: 0d")
		}, []string{
			"drill.yaml:11:5: lint.review.every: expected a positive duration such as 90d",
			"drill.yaml:13:3: lint.evaluation_interval: expected a positive duration such as 1m",
			"drill.yaml:14:3: lint.coverage_days: expected 1 to 366 days, got 0",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := cleanFS(t)
			c.mutate(t, m)
			got := problemsOf(t, m)
			if c.want == nil {
				require.Equal(t, []string{
					"escalation/policies.yaml:14:9: policies[1].rules[0].escalate_after: missing; this field is required",
					"escalation/policies.yaml:15:9: policies[1].rules[0].targets: duplicate key; first given at line 14",
				}, got)
				return
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestMissingDrillYAML(t *testing.T) {
	_, err := Load(t.TempDir())
	require.EqualError(t, err, "drill.yaml: not found; a team directory needs a drill.yaml")
}

func TestTopologyKeptRaw(t *testing.T) {
	tm, err := Load(filepath.Join("testdata", "clean"))
	require.NoError(t, err)
	c := tm.Config
	require.Equal(t, "drill.yaml", c.File)
	require.NotNil(t, c.Service)
	require.Equal(t, 21, c.Service.Line)
	var svc struct{ Builtin string }
	require.NoError(t, c.Service.Decode(&svc))
	require.Equal(t, "gateway", svc.Builtin)
	require.NotNil(t, c.Providers)
	require.NotNil(t, c.Responders)
	require.Nil(t, c.Stubs)
	require.Equal(t, "{{ .Service.Admin }}", c.Variables["GATEWAY_ADMIN"])
	require.Equal(t, "runbooks", c.Paths.Runbooks)
	require.Equal(t, "escalation", c.Paths.Escalation)
}

func TestRunbookForAlert(t *testing.T) {
	tm, err := Load(filepath.Join("testdata", "clean"))
	require.NoError(t, err)
	byName := map[string]*AlertRule{}
	for _, r := range tm.Alerts() {
		byName[r.Alert] = r
	}
	// URL path, matched case-insensitively.
	rb, ok := tm.RunbookForAlert(byName["LLMSpendSpike"])
	require.True(t, ok)
	require.Equal(t, "llm-cost-spike", rb.ID)
	// File path.
	rb, ok = tm.RunbookForAlert(byName["LLMProviderErrors"])
	require.True(t, ok)
	require.Equal(t, "provider-errors", rb.ID)
	// Front matter only.
	r := *byName["LLMSpendSpike"]
	r.Annotations = nil
	rb, ok = tm.RunbookForAlert(&r)
	require.True(t, ok)
	require.Equal(t, "llm-cost-spike", rb.ID)
	r.Alert = "Nope"
	_, ok = tm.RunbookForAlert(&r)
	require.False(t, ok)

	mit, ok := rb.Section("mitigation")
	require.True(t, ok)
	require.Equal(t, Step{Index: 1, Text: "Cap spend:", Lang: "sh", Code: "curl -fsS -X POST \"$GATEWAY_ADMIN/budget\" -d '{\"usd_per_minute\": 2}'\n",
		Name: "cap-spend", Attrs: map[string]any{"name": "cap-spend"}, File: "runbooks/llm-cost-spike.md", Line: 23, Concrete: true}, mit.Steps[0])
	require.True(t, mit.Steps[1].Manual)
	require.Equal(t, "Tell the top caller's owner.", mit.Steps[1].Text)
	require.Equal(t, 2, mit.Steps[1].Index)
}

func TestRoute(t *testing.T) {
	tm, err := Load(filepath.Join("testdata", "clean"))
	require.NoError(t, err)
	e := tm.Escalation
	for _, c := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"team": "ml-platform"}, "ml-platform"},
		{map[string]string{"service": "llm-gateway"}, "ml-platform"},
		{map[string]string{"service": "xllm-gateway"}, "sre"}, // match_re is anchored
		{map[string]string{}, "sre"},
	} {
		got, ok := e.Route(c.labels)
		require.True(t, ok)
		require.Equal(t, c.want, got, "%v", c.labels)
	}
	p, ok := e.Policy("ml-platform")
	require.True(t, ok)
	require.Equal(t, 2, p.Runs())
	require.Equal(t, 10*time.Minute, p.Rules[0].EscalateAfter.D())
	u, _ := e.User("alice")
	after, ok := u.FirstNotification()
	require.True(t, ok)
	require.Zero(t, after)
}
