package strictyaml_test

import (
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/response"
	"github.com/drillkit/drill/stubs"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
	"github.com/stretchr/testify/require"
)

// drillYAML decodes drill.yaml as a run does: team owns the file, the
// testbed and the response engine decode their sections.
func drillYAML(data string) error {
	cfg, err := team.ParseConfig("drill.yaml", []byte(data))
	if err != nil {
		return err
	}
	if _, err := testbed.ParseTopology(cfg.File, testbed.Sections{Providers: cfg.Providers, Stubs: cfg.Stubs,
		Service: cfg.Service, Traffic: cfg.Traffic, Toxiproxy: cfg.Toxiproxy}); err != nil {
		return err
	}
	_, err = response.ParseResponders(cfg.File, cfg.Responders)
	return err
}

// promtoolTest runs data as the promtool test file t_test.yaml in the
// working directory (a temporary one: see the test).
func promtoolTest(data string) error {
	if err := os.WriteFile("t_test.yaml", []byte(data), 0o600); err != nil {
		return err
	}
	_, err := alerting.RunRuleTests([]string{"t_test.yaml"})
	return err
}

var unknownShape = regexp.MustCompile(`^[^:]+:\d+:\d+: \S+: unknown field; valid fields are: [a-z0-9_]+(, [a-z0-9_]+)*$`)

// TestEveryFileKindNamesABadFieldAlike puts a misspelt field in every kind
// of YAML file drill reads, and expects one message shape,
// FILE:LINE:COL: FIELD: unknown field; valid fields are: ..., from this
// package: where the file's Go type is exported, decoding it here gives
// the very same problem.
func TestEveryFileKindNamesABadFieldAlike(t *testing.T) {
	t.Chdir(t.TempDir()) // for the file kinds read from disk
	for _, c := range []struct {
		kind, data string
		parse      func(data string) error
		want       string
		direct     any // the file's type, when exported: strictyaml itself must say the same
	}{
		{"drill.yaml", "team: {id: x}\ncolour: red\n", drillYAML,
			"drill.yaml:2:1: colour: unknown field; valid fields are: team, paths, lint, alertmanager, variables, responders, providers, stubs, service, traffic, toxiproxy",
			&team.Config{}},
		{"drill.yaml lint", "lint:\n  review: {evry: 90d}\n", drillYAML,
			"drill.yaml:2:12: lint.review.evry: unknown field; valid fields are: every", &team.Config{}},
		{"drill.yaml providers", "providers:\n  - {name: p, colour: red}\n", drillYAML,
			"drill.yaml:2:15: providers[0].colour: unknown field; valid fields are: name, config, seed, surfaces", nil},
		{"drill.yaml service", "providers: [{name: p}]\nservice: {builtin: gateway, colour: red}\n", drillYAML,
			"drill.yaml:2:29: service.colour: unknown field; valid fields are: builtin, gateway, command, dir, image, build, args, compose, service_name, port, env, health, metrics, admin, start_timeout", nil},
		{"drill.yaml service.gateway", "providers: [{name: p}]\nservice:\n  gateway:\n    colour: red\n", drillYAML,
			"drill.yaml:4:5: service.gateway.colour: unknown field; valid fields are: primary, secondary, search, primary_model, secondary_model, primary_kind, secondary_kind, " +
				"auto_failover, max_attempts, backoff_base, backoff_max, attempt_timeout, breaker, budget_usd_per_minute, prices, canary_marker, canary_answer, strict_validation, disabled_models, agent_max_steps, tool_timeout", nil},
		{"drill.yaml traffic", "providers: [{name: p}]\ntraffic:\n  shape: {kind: ramp, colour: red}\n", drillYAML,
			"drill.yaml:3:23: traffic.shape.colour: unknown field; valid fields are: kind, from, to, over, steps", nil},
		{"drill.yaml toxiproxy", "providers: [{name: p}]\ntoxiproxy: {colour: red}\n", drillYAML,
			"drill.yaml:2:13: toxiproxy.colour: unknown field; valid fields are: url, container", nil},
		{"drill.yaml responders", "providers: [{name: p}]\nresponders:\n  alice: {colour: red}\n", drillYAML,
			"drill.yaml:3:11: responders.alice.colour: unknown field; valid fields are: available, ack_delay, claim_delay", nil},
		{"drill.yaml responders ack_delay", "providers: [{name: p}]\nresponders:\n  alice: {ack_delay: {dist: constant, valu: 1m}}\n", drillYAML,
			"drill.yaml:3:39: responders.alice.ack_delay.valu: unknown field; valid fields are: dist, value, min, max, median, p90", nil},
		{"escalation", "users:\n  - {id: a, colour: red}\n", func(d string) error { _, err := team.ParseEscalation("people.yaml", []byte(d)); return err },
			"people.yaml:2:13: users[0].colour: unknown field; valid fields are: id, name, timezone, active, contact_methods, notification_rules",
			&team.Escalation{}},
		{"runbook front matter", "---\nid: r\ncolour: red\n---\n## Meaning\n", func(d string) error { _, err := team.ParseRunbook("r.md", []byte(d)); return err },
			"r.md:3:1: colour: unknown field; valid fields are: id, owner, alerts, escalation, last_reviewed, review_every, services", nil},
		{"stub file", "name: s\nroutes:\n  - {name: a, method: GET, path: /a, colour: red}\n", func(d string) error { _, err := stubs.Parse("s.yaml", []byte(d)); return err },
			"s.yaml:3:38: routes[0].colour: unknown field; valid fields are: name, method, path, match, response, latency", nil},
		{"stub file fault", "name: s\nroutes: [{name: a, method: GET, path: /a}]\nfaults:\n  - {mode: slow, colour: red}\n", func(d string) error { _, err := stubs.Parse("s.yaml", []byte(d)); return err },
			"s.yaml:4:18: faults[0].colour: unknown field; valid fields are: id, mode, target, probability, count, duration, params", nil},
		{"mockllm config", "models:\n  - {name: m, provider: openai, colour: red}\n", func(d string) error { _, err := mockllm.ParseConfig("m.yaml", []byte(d)); return err },
			"m.yaml:2:33: models[0].colour: unknown field; valid fields are: name, provider, kind, context_window, max_output_tokens, dimensions, price, latency, output_tokens, rate_limit",
			&mockllm.Config{}},
		{"mockllm latency", "models:\n  - {name: m, provider: openai, latency: {ttft: {mean: 1s, colour: red}}}\n", func(d string) error { _, err := mockllm.ParseConfig("m.yaml", []byte(d)); return err },
			"m.yaml:2:60: models[0].latency.ttft.colour: unknown field; valid fields are: dist, mean, stddev", &mockllm.Config{}},
		{"gateway config", "primary: {base_url: http://x, colour: red}\n", func(d string) error { _, err := gateway.ParseConfig("g.yaml", []byte(d)); return err },
			"g.yaml:1:31: primary.colour: unknown field; valid fields are: name, kind, base_url, model, api_key", &gateway.Config{}},
		{"promtool test file", "rule_files: []\ntests:\n  - interval: 1m\n    alert_rule_test: [{eval_time: 1m, colour: red}]\n", promtoolTest,
			"t_test.yaml:4:39: tests[0].alert_rule_test[0].colour: unknown field; valid fields are: eval_time, alertname, exp_alerts", nil},
		{"exporters", "exporters:\n  x: {preset: gitlab, colour: red}\n", func(d string) error { _, err := export.Parse("exporters.yaml", []byte(d)); return err },
			"exporters.yaml:2:23: exporters.x.colour: unknown field; valid fields are: type, preset, endpoint, token_env, token_header, token_prefix, schema, mutation, variables, body, method, headers, marker, severities, timeout, attempts, backoff", nil},
	} {
		t.Run(c.kind, func(t *testing.T) {
			err := c.parse(c.data)
			require.Error(t, err)
			var probs strictyaml.Problems
			require.True(t, errors.As(err, &probs), "%T: %v", err, err)
			var unknown []string
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.Contains(line, "unknown field") {
					unknown = append(unknown, line)
				}
			}
			require.Equal(t, []string{c.want}, unknown)
			require.Regexp(t, unknownShape, c.want)
			if c.direct != nil {
				file := strings.SplitN(c.want, ":", 2)[0]
				_, direct := strictyaml.Decode(file, []byte(c.data), c.direct)
				require.Contains(t, direct.Error(), c.want, "the same problem from the decoder itself")
			}
		})
	}
}

// gateway.Config is written in two places, a gateway config file and
// drill.yaml's service.gateway; a bad setting gets one message in both.
func TestGatewaySettingOneMessageInBothFiles(t *testing.T) {
	_, standalone := gateway.ParseConfig("g.yaml", []byte("max_attempts: lots\nbreaker: {window: soon}\n"))
	inDrill := drillYAML("providers: [{name: p}]\nservice:\n  gateway:\n    max_attempts: lots\n    breaker: {window: soon}\n")
	require.EqualError(t, standalone, `g.yaml:1:15: max_attempts: expected an integer, got "lots"`+"\n"+
		`g.yaml:2:19: breaker.window: expected a duration such as 500ms, 2s or 1m, got "soon"`)
	require.EqualError(t, inDrill, `drill.yaml:4:19: service.gateway.max_attempts: expected an integer, got "lots"`+"\n"+
		`drill.yaml:5:23: service.gateway.breaker.window: expected a duration such as 500ms, 2s or 1m, got "soon"`)
}
