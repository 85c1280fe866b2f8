package lint

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/testfs"

	"github.com/drillkit/drill/team"
)

var update = flag.Bool("update", false, "rewrite golden files")

// lintNow is the reference time of the golden tests: the next 28 days span
// both the US (Mar 8) and the EU (Mar 29) daylight-saving change.
var lintNow = time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)

var exposed = []string{"drill_gateway_cost_usd", "gen_ai_client_operation_duration_seconds", "up"}

// cleanDir is the team package's clean team, which every test mutates.
var cleanDir = filepath.Join("..", "team", "testdata", "clean")

// amDir is the team package's team routed by its alertmanager.yml.
var amDir = filepath.Join("..", "team", "testdata", "amroute")

// cleanFS returns the clean team as an in-memory file system to mutate.
func cleanFS(t *testing.T) fstest.MapFS { return testfs.Copy(t, cleanDir) }

var replace = testfs.Replace

// checkTeam runs the checks of the team's files as Run does, with their
// severities, sorted: everything but the feature files and promtool
// tests, which need the team on disk.
func checkTeam(tm *team.Team, opts Options) []Finding {
	opts = opts.withDefaults(tm)
	return finish(func(id string) Severity { return SeverityOf(tm.Config, id) }, teamFindings(context.Background(), tm, opts))
}

func lintFS(t *testing.T, m fstest.MapFS) []Finding {
	t.Helper()
	tm, err := team.LoadFS(m, ".")
	require.NoError(t, err)
	fs := checkTeam(tm, Options{Now: lintNow, ExposedMetrics: exposed})
	for _, f := range fs {
		_, ok := checkByID[f.ID]
		require.True(t, ok, "finding of an unregistered check: %s", f)
	}
	return fs
}

func TestCleanTeamHasNoFindings(t *testing.T) {
	tm, err := team.Load(cleanDir)
	require.NoError(t, err)
	tm.Dir = "" // the git check has its own test
	require.Empty(t, checkTeam(tm, Options{Now: lintNow, ExposedMetrics: exposed}))
	require.Len(t, tm.Alerts(), 2)
	require.Len(t, tm.Rules, 3)
	require.Len(t, tm.Runbooks, 2)
}

const gatewayDown = `
      - alert: GatewayDown
        expr: up{job="gateway"} == 0
        for: 2m
        labels: {severity: critical, team: ml-platform}
        annotations:
          summary: Gateway down
          description: The gateway target reports up == 0.
`

// checkCases mutate the clean team so that it triggers one check (plus,
// where a check summarises others, the checks in also).
var checkCases = []struct {
	id     string
	also   []string
	mutate func(t *testing.T, m fstest.MapFS)
}{
	{"runbook-missing", nil, func(t *testing.T, m fstest.MapFS) {
		m["alerts/llm.yaml"].Data = append(m["alerts/llm.yaml"].Data, gatewayDown...)
		replace(t, m, "features/cost-spike.feature", "fires", "and GatewayDown fire")
	}},
	{"runbook-link-missing", []string{"ownership-team-mismatch"}, func(t *testing.T, m fstest.MapFS) {
		m["alerts/llm.yaml"].Data = append(m["alerts/llm.yaml"].Data, gatewayDown...)
		replace(t, m, "features/cost-spike.feature", "fires", "and GatewayDown fire")
		replace(t, m, "runbooks/provider-errors.md", "owner: sre\n", "owner: sre\nalerts: [GatewayDown]\n")
	}},
	{"runbook-link-broken", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "runbooks/LLM-Cost-Spike", "runbooks/llm-cost-spik")
	}},
	{"runbook-orphan", nil, func(t *testing.T, m fstest.MapFS) {
		m["runbooks/old.md"] = &fstest.MapFile{Data: []byte(strings.Replace(string(m["runbooks/provider-errors.md"].Data), "id: provider-errors", "id: old-thing", 1))}
	}},
	{"runbook-unknown-alert", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/llm-cost-spike.md", "[LLMSpendSpike]", "[LLMSpendSpike, LLMBudgetGone]")
	}},
	{"runbook-no-owner", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "owner: sre\n", "")
	}},
	{"runbook-no-review-date", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "last_reviewed: 2026-03-01\n", "")
	}},
	{"runbook-stale", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "last_reviewed: 2026-03-01", "last_reviewed: 2025-10-01")
	}},
	{"runbook-owner-unknown", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "owner: sre", "owner: platform-x")
	}},
	{"runbook-escalation-unknown", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/llm-cost-spike.md", "escalation: ml-platform", "escalation: ml-platfrom")
	}},
	{"runbook-section-missing", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "## Impact\nUsers see errors unless the gateway falls back.\n\n", "")
	}},
	{"runbook-mitigation-not-actionable", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "with `curl -X POST $GATEWAY_ADMIN/fallback`", "as usual")
	}},
	{"runbook-unbound-variable", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/llm-cost-spike.md", `$GATEWAY_ADMIN/budget" -d`, `$GATEWAY_ADMIN/budget?region=$REGION" -d`)
	}},
	{"runbook-attribute-ignored", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/llm-cost-spike.md", `sh {"name":"cap-spend"}`, `sh {"name":"cap-spend","cwd":"/srv/gateway","background":false}`)
	}},
	{"runbook-placeholder", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/provider-errors.md", "status page.", "status page at <status-url>.")
	}},
	{"runbook-escalation-reference-unknown", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/llm-cost-spike.md", "`incident_commander`", "`incident_commandr`")
	}},
	{"runbook-decision-no-criterion", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "runbooks/llm-cost-spike.md", "2. Tell the top caller's owner.", "2. If spend keeps rising, tell the top caller's owner.")
	}},
	{"ownership-team-mismatch", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "team: ml-platform", "team: sre")
	}},
	{"ownership-unreachable", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "teams:", "  - {id: frank, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}\nteams:")
		replace(t, m, "runbooks/provider-errors.md", "owner: sre", "owner: frank")
	}},
	{"role-unfillable", []string{"escalation-target-missing"}, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/roles.yaml", "users: [bob, carol]", "users: [frank]")
	}},
	{"role-severity-unknown", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/roles.yaml", "required_for: [critical, page]", "required_for: [critical, sev1]")
	}},
	{"escalation-unrouted-alert", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/provider.yaml", "service: llm-gateway", "service: gateway")
		replace(t, m, "escalation/policies.yaml", "  - default: true\n    policy: sre\n", "")
	}},
	{"escalation-routes-ignored", nil, func(t *testing.T, m fstest.MapFS) {
		am := testfs.Copy(t, amDir)
		m["alertmanager.yml"] = am["alertmanager.yml"]
		replace(t, m, "drill.yaml", "  runbooks: runbooks\n", "  runbooks: runbooks\n  alertmanager: alertmanager.yml\nalertmanager: {receivers: {pd-ml-platform: ml-platform}}\n")
	}},
	{"escalation-contact-unknown", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "{after: 3m, via: sms}", "{after: 3m, via: pigeon}")
	}},
	{"escalation-route-no-policy", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/policies.yaml", "default: true\n    policy: sre", "default: true\n    policy: sre-oncall")
	}},
	{"escalation-team-no-policy", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "schedules:", "  - {id: data, members: [dave]}\nschedules:")
	}},
	{"escalation-target-missing", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/policies.yaml", "targets: [{user: erin}]", "targets: [{user: frank}]")
	}},
	{"escalation-target-empty", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/policies.yaml", "targets: [{user: erin}]", "targets: []")
	}},
	{"escalation-target-inactive", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "teams:", "  - {id: frank, active: false, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}\nteams:")
		replace(t, m, "escalation/policies.yaml", "targets: [{user: erin}]", "targets: [{user: frank}]")
	}},
	{"escalation-coverage-gap", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "start: 2026-01-01T08:00:00", "start: 2026-03-20T08:00:00")
	}},
	{"escalation-no-final-responder", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/policies.yaml", "      - escalate_after: 10m\n        targets: [{user: erin}]\n", "")
	}},
	{"escalation-notification-slow", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "{id: carol, contact_methods: [{type: push}], notification_rules: [{after: 1m", "{id: carol, contact_methods: [{type: push}], notification_rules: [{after: 12m")
	}},
	{"escalation-unreachable", []string{"escalation-target-inactive"}, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/people.yaml", "teams:", "  - {id: frank, active: false, contact_methods: [{type: push}], notification_rules: [{after: 0m, via: push}]}\nteams:")
		replace(t, m, "escalation/policies.yaml", "routes:", "  - id: ghosts\n    team: sre\n    loops: 3\n    rules:\n      - escalate_after: 5m\n        targets: [{user: frank}]\nroutes:")
	}},
	{"escalation-no-assignment", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "escalation/policies.yaml", "        assignment: all\n", "")
	}},
	{"alert-no-comparison", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "rate5m * 60 > 2", "rate5m * 60")
	}},
	{"alert-for-missing", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "        for: 2m\n", "")
	}},
	{"alert-for-short", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "for: 2m", "for: 30s")
	}},
	// The incident commander's role is required for page: with the only
	// page alert's severity gone, no rule carries it.
	{"alert-no-severity", []string{"role-severity-unknown"}, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/provider.yaml", "            severity: page\n", "")
	}},
	{"alert-no-summary", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/provider.yaml", "            summary: LLM provider error ratio above 5%\n", "")
	}},
	{"alert-no-description", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/provider.yaml", "            description: More than 5% of LLM calls fail.\n", "")
	}},
	{"alert-description-vague", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/provider.yaml", "More than 5% of LLM calls fail.", "Many LLM calls fail.")
	}},
	{"alert-metric-unexposed", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "expr: drill:llm_cost_usd:rate5m * 60 > 2", "expr: llm_spend_dollars * 60 > 2")
	}},
	{"alert-metric-outside-drill", nil, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/llm.yaml", "    rules:\n", "    rules:\n      - record: node:cpu:rate5m\n        expr: sum(rate(node_cpu_seconds_total[5m]))\n")
	}},
	{"promtool-test-unknown-alert", []string{"alert-untested"}, func(t *testing.T, m fstest.MapFS) {
		replace(t, m, "alerts/tests/llm_test.yaml", "alertname: LLMProviderErrors", "alertname: LLMProviderErrorz")
	}},
	{"alert-untested", nil, func(t *testing.T, m fstest.MapFS) {
		delete(m, "features/cost-spike.feature")
	}},
}

func TestEachCheckTriggersAlone(t *testing.T) {
	var golden []string
	for _, c := range checkCases {
		t.Run(c.id, func(t *testing.T) {
			m := cleanFS(t)
			c.mutate(t, m)
			fs := lintFS(t, m)
			var ids []string
			for _, f := range fs {
				if f.ID == c.id {
					golden = append(golden, f.String())
				}
				ids = append(ids, f.ID)
			}
			want := append([]string{c.id}, c.also...)
			sort.Strings(ids)
			sort.Strings(want)
			ids = dedup(ids)
			require.Equal(t, want, ids, "findings: %v", fs)
		})
	}
	checkGolden(t, filepath.Join("testdata", "checks.golden"), strings.Join(golden, "\n")+"\n")
}

func dedup(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	require.Equal(t, string(want), got)
}

// Every registered check has a case above (or its own test, for git).
func TestEveryCheckIsTested(t *testing.T) {
	covered := map[string]bool{"runbook-older-than-rule": true} // TestRunbookOlderThanRule
	covered["escalation-receiver-no-policy"] = true             // TestAlertmanagerReceiverNoPolicy
	covered["escalation-inhibit-rule-dead"] = true              // TestAlertmanagerInhibitRuleDead
	for _, id := range []string{"feature-syntax", "feature-undefined-step", "promtool-test-failed"} {
		covered[id] = true // on a team on disk: run_test.go
	}
	for _, id := range []string{"rule-selector-no-series", "rule-selector-unmatched"} {
		covered[id] = true // in a live world and from built reports: live_test.go
	}
	for _, c := range checkCases {
		covered[c.id] = true
	}
	for _, c := range Checks() {
		require.True(t, covered[c.ID], "no test case for %s", c.ID)
		require.NotEmpty(t, c.Rationale)
	}
}

func TestSeverityOverride(t *testing.T) {
	m := cleanFS(t)
	replace(t, m, "alerts/provider.yaml", "More than 5% of LLM calls fail.", "Many LLM calls fail.")
	replace(t, m, "drill.yaml", "alert-description-vague: warning", "alert-description-vague: off")
	require.Empty(t, lintFS(t, m))
	m = cleanFS(t)
	replace(t, m, "alerts/llm.yaml", "for: 2m", "for: 30s")
	replace(t, m, "drill.yaml", "alert-description-vague: warning", "alert-for-short: error")
	fs := lintFS(t, m)
	require.Len(t, fs, 1)
	require.Equal(t, SeverityError, fs[0].Severity)
}

// An ID in lint.severity that names no check is a problem of drill.yaml,
// at its key, with the closest IDs.
func TestCheckConfigRefusesUnknownIDs(t *testing.T) {
	m := cleanFS(t)
	tm, err := team.LoadFS(m, ".")
	require.NoError(t, err)
	require.Empty(t, CheckConfig(tm.Config))
	replace(t, m, "drill.yaml", "alert-description-vague: warning", "alert-description-vage: warning\n    no-such-check: off")
	tm, err = team.LoadFS(m, ".")
	require.NoError(t, err, "team loads it; the lint package judges it")
	var got []string
	for _, p := range CheckConfig(tm.Config) {
		got = append(got, p.String())
	}
	require.Equal(t, []string{
		"drill.yaml:9:5: lint.severity.alert-description-vage: unknown check (did you mean alert-description-vague?); run 'drill lint --checks' for the list",
		"drill.yaml:10:5: lint.severity.no-such-check: unknown check; run 'drill lint --checks' for the list",
	}, got)
	require.Nil(t, CheckConfig(nil))
}

// A metric nothing in the drill world exposes is an error when it is a
// typo away from one it does (with the names meant), or when an alert the
// team's drills wait on reads it, through recording rules too; a metric
// outside drill's world that no drill needs is a warning.
func TestUnexposedMetricsJudged(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		want                 []string
	}{
		{"a typo in a recording rule an alert drilled reads", "alerts/llm.yaml", "drill_gateway_cost_usd_total", "drill_gateway_cost_usd_totl",
			[]string{"alerts/llm.yaml:5:9: alert-metric-unexposed error: recording rule drill:llm_cost_usd:rate5m reads drill_gateway_cost_usd_totl, which nothing in the drill world exposes and no rule records (did you mean drill_gateway_cost_usd_total?): it never has data"}},
		{"a far name in a recording rule an alert drilled reads", "alerts/llm.yaml", "drill_gateway_cost_usd_total", "spend_in_dollars_total",
			[]string{"alerts/llm.yaml:5:9: alert-metric-unexposed error: recording rule drill:llm_cost_usd:rate5m reads spend_in_dollars_total, which nothing in the drill world exposes and no rule records: it never has data, and alerts the team's drills wait on read it"}},
		{"a typo in an alert no drill names", "alerts/provider.yaml", `gen_ai_client_operation_duration_seconds_count{error_type!=""}`, `gen_ai_client_operation_duraton_seconds_count{error_type!=""}`,
			[]string{"alerts/provider.yaml:11:11: alert-metric-unexposed error: alert LLMProviderErrors reads gen_ai_client_operation_duraton_seconds_count, which nothing in the drill world exposes and no rule records (did you mean gen_ai_client_operation_duration_seconds_count?): it never has data"}},
		{"a production-only metric in an alert no drill names", "alerts/provider.yaml", `gen_ai_client_operation_duration_seconds_count{error_type!=""}`, `kube_pod_container_status_restarts_total{error_type!=""}`,
			[]string{"alerts/provider.yaml:11:11: alert-metric-outside-drill warning: alert LLMProviderErrors reads kube_pod_container_status_restarts_total, which nothing in the drill world exposes and no rule records: it has no data in a drill; if production exposes it, drill does not rehearse it"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := cleanFS(t)
			replace(t, m, c.file, c.old, c.new)
			var got []string
			for _, f := range lintFS(t, m) {
				if strings.HasPrefix(f.ID, "alert-metric-") {
					got = append(got, f.String())
				}
			}
			require.Equal(t, c.want, got)
		})
	}
}

func TestExposedMetricsNilSkipsCheck(t *testing.T) {
	m := cleanFS(t)
	replace(t, m, "alerts/llm.yaml", "expr: drill:llm_cost_usd:rate5m * 60 > 2", "expr: llm_spend_dollars * 60 > 2")
	tm, err := team.LoadFS(m, ".")
	require.NoError(t, err)
	require.Empty(t, checkTeam(tm, Options{Now: lintNow}))
}

// A severity set by a template may take any value, so no role's
// required_for can be judged against the rules.
func TestRoleSeverityWithTemplatedSeverity(t *testing.T) {
	m := cleanFS(t)
	replace(t, m, "escalation/roles.yaml", "required_for: [critical, page]", "required_for: [critical, sev1]")
	replace(t, m, "alerts/provider.yaml", "severity: page", `severity: '{{ if gt $value 0.5 }}sev1{{ else }}page{{ end }}'`)
	for _, f := range lintFS(t, m) {
		require.NotEqual(t, "role-severity-unknown", f.ID, f.String())
	}
}
