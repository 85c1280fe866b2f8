package scenarios

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
)

// selection parses one feature file of steps into a selection, as Select
// would give it.
func selection(t *testing.T, steps ...string) *Selection {
	t.Helper()
	src := "Feature: f\n  Scenario: s\n    " + strings.Join(steps, "\n    ") + "\n"
	scs, err := features.Parse("features/f.feature", []byte(src))
	require.NoError(t, err)
	require.Empty(t, features.Check(scs), "the steps are in the catalog")
	return &Selection{Scenarios: scs}
}

// Each kind of name: a name the demo team has passes; a misspelt one is
// refused with its file:line, the step and the closest names.
func TestCheckNames(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	for _, c := range []struct {
		step string // a step before it, when given, is its first line
		want string // "" passes
	}{
		{`Then alert "LLMSpendSpike" fires within 10m`, ""},
		{`Then alert "LLMSpendSpik" fires within 10m`, `unknown alert "LLMSpendSpik"; closest: LLMSpendSpike`},
		{`Then alert "LLMGatewayError" may fire`, `unknown alert "LLMGatewayError"; closest: LLMGatewayErrors`},
		{`Then alert "LLMProviderDwn" does not fire within 15m`, `unknown alert "LLMProviderDwn"; closest: `},
		{`Then alert "LLMQualityDegarded" links a runbook that exists, is fresh and has an owner`, `unknown alert "LLMQualityDegarded"; closest: LLMQualityDegraded`},
		// A page is an alert's: a step before waits for one.
		{"Then an alert fires within 10m\nAnd the page reaches an on-call responder of team \"ml-platform\" within 5m", ""},
		{"Then an alert fires within 10m\nAnd the page reaches an on-call responder of team \"ml-platfrom\" within 5m", `unknown team "ml-platfrom"; closest: ml-platform`},
		{`Given responder "alice" is unavailable`, ""},
		{`Given responder "alce" is unavailable`, `unknown responder "alce"; closest: alice`},
		{`Then role "communications_lead" is assigned within 15m`, ""},
		{`Then role "Communications Lead" is assigned within 15m`, ""},
		{`Then role "comunications_lead" is assigned within 15m`, `unknown role "comunications_lead"; closest: communications_lead`},
		{`When provider "secondary" is down`, ""},
		{`When provider "primry" is down`, `unknown provider "primry"; closest: primary`},
		{`When provider "search" is down`, ""}, // a stub's proxy: the fault check's to judge
		{`When the "search" API returns 503`, ""},
		{`When the "serch" API returns 503`, `unknown stub "serch"; closest: search`},
		{`When fault "outage" hits "secondary"`, ""},
		{`When fault "traffic-surge" hits "traffic"`, ""},
		{`When fault "outage" hits "secundary"`, `unknown fault target "secundary"; closest: secondary`},
		{`Given steady traffic of 3 requests per second with the "agent" mix`, ""},
		{`Given steady traffic of 3 requests per second with the "agnet" mix`, `unknown traffic mix "agnet"; closest: agent`},
		// PromQL: the team's recording rules, drill's own parts, the
		// alerting engine's series, and the alerts of ALERTS.
		{`Then following the runbook brings "gateway:error_ratio < 0.2" true within 10m`, ""},
		{`Then "sum(rate(drill_gateway_requests_total{route='agent'}[2m])) > 0" holds for 5m`, ""},
		{`Then "sum(rate(drill_gateway_agent_steps_sum[2m])) / sum(rate(drill_gateway_agent_steps_count[2m])) <= 3" holds for 5m`, ""},
		{`Then "sum(rate(drill_traffic_requests_total[1m])) > 0" holds for 5m`, ""},
		{`Then "sum(drill_mockllm_requests_total) > 0 and sum(drill_stub_requests_total) > 0" holds for 5m`, ""},
		{`Then "min(up) == 1" holds for 5m`, ""},
		{`Then "{__name__='drill_gateway_requests_total'}" holds for 5m`, ""},
		{`Then "count(ALERTS{alertname='LLMGatewayErrors'}) == 0" holds for 5m`, ""},
		{`Then following the runbook brings "gateway:error_ration < 0.2" true within 10m`,
			`condition "gateway:error_ration < 0.2": unknown metric "gateway:error_ration"; closest: gateway:error_ratio (known metrics are those of the alerting engine, the traffic generator, the mock providers, the stubs, the built-in gateway, the team's rules)`},
		{`Then "sum(rate(drill_gateway_requests_totl[1m])) > 0" holds for 5m`, `condition "sum(rate(drill_gateway_requests_totl[1m])) > 0": unknown metric "drill_gateway_requests_totl"; closest: drill_gateway_requests_total, `},
		{`Then "drill_gateway_agent_steps_total > 0" holds for 5m`, `condition "drill_gateway_agent_steps_total > 0": unknown metric "drill_gateway_agent_steps_total"; closest: drill_gateway_agent_steps_count`},
		{`Then "sum(rate(drill_gateway_requests_total[1m]) > 0" holds for 5m`, `condition "sum(rate(drill_gateway_requests_total[1m]) > 0" is not valid PromQL: 1:47: parse error: unclosed left parenthesis`},
		{`Then "drill_gateway_requests_total[1m]" holds for 5m`, `condition "drill_gateway_requests_total[1m]" returns a range vector; want an instant vector or a scalar`},
		{`Then "count(ALERTS{alertname='LLMGatewayError'}) == 0" holds for 5m`, `condition "count(ALERTS{alertname='LLMGatewayError'}) == 0": unknown alert "LLMGatewayError"; closest: LLMGatewayErrors`},
	} {
		steps := strings.Split(c.step, "\n")
		line := 2 + len(steps)
		err := CheckNames(selection(t, steps...), tm, top)
		if c.want == "" {
			require.NoError(t, err, c.step)
			continue
		}
		require.ErrorContains(t, err, fmt.Sprintf("features/f.feature:%d: %s: %s", line, steps[len(steps)-1], c.want), c.step)
	}
}

// Every problem is reported at once, each line once although an outline
// repeats it; a name from an Examples row is reported at that row.
func TestCheckNamesReportsEveryProblemOnce(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	src := `Feature: f
  Scenario Outline: s <alert>
    Given responder "alce" is unavailable
    When provider "primary" is down
    Then alert "<alert>" fires within 10m

    Examples:
      | alert            |
      | LLMGatewayErrors |
      | LLMGatewayEror   |
      | LLMSpendSpike    |
`
	scs, err := features.Parse("features/f.feature", []byte(src))
	require.NoError(t, err)
	err = CheckNames(&Selection{Scenarios: scs}, tm, top)
	require.Equal(t, `features/f.feature:3: Given responder "alce" is unavailable: unknown responder "alce"; closest: alice
features/f.feature:10: Then alert "LLMGatewayEror" fires within 10m (the step at line 5, filled in by this Examples row): unknown alert "LLMGatewayEror"; closest: LLMGatewayErrors`, err.Error())
}

// A metric of the team's own service (a command or an image) cannot be
// known before it runs: it is not refused. A condition that does not
// parse still is, and without the built-in gateway its metrics are gone.
func TestCheckNamesOfACommandService(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	own := `Then "sum(rate(app_llm_calls_total{result='failed'}[2m])) > 0" holds for 5m`
	require.ErrorContains(t, CheckNames(selection(t, own), tm, top), `unknown metric "app_llm_calls_total"`, "the built-in gateway exports no such metric")

	top.Service = testbed.Service{Command: []string{"node", "server.js"}, Metrics: "/metrics"}
	require.NoError(t, CheckNames(selection(t, own), tm, top))
	require.ErrorContains(t, CheckNames(selection(t, `Then "sum(rate(app_llm_calls_total[2m]) > 0" holds for 5m`), tm, top), "is not valid PromQL")

	top.Service = testbed.Service{Image: "acme/gateway:1", Metrics: "/metrics"}
	require.NoError(t, CheckNames(selection(t, own), tm, top))

	// A service without a metrics path exports nothing drill scrapes.
	top.Service = testbed.Service{Command: []string{"node", "server.js"}}
	require.ErrorContains(t, CheckNames(selection(t, own), tm, top), `unknown metric "app_llm_calls_total"`)
	err = CheckNames(selection(t, `Then "max(drill_gateway_breaker_state) > 0" holds for 5m`), tm, top)
	require.ErrorContains(t, err, `unknown metric "drill_gateway_breaker_state"`, "no built-in gateway runs, and no rule reads it")
	require.NotContains(t, err.Error(), "the built-in gateway,")
}

// A metric any of the team's rules reads is taken as real: the team's
// rules say its service exports it.
func TestCheckNamesTakesWhatTheRulesRead(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	cond := `Then "sum(rate(app_llm_calls_total[2m])) > 0" holds for 5m`
	require.Error(t, CheckNames(selection(t, cond), tm, top))
	rules, _, err := team.ParseRules("alerts/app.rules.yaml", []byte(`groups:
  - name: app
    rules:
      - alert: AppCallsFailing
        expr: sum(rate(app_llm_calls_total{result="failed"}[5m])) > 1
`))
	require.NoError(t, err)
	tm.Rules = append(tm.Rules, rules...)
	require.NoError(t, CheckNames(selection(t, cond), tm, top))
	require.NoError(t, CheckNames(selection(t, `Then alert "AppCallsFailing" fires within 10m`), tm, top))
}

// A team without escalation files or stubs says so instead of suggesting
// nothing.
func TestCheckNamesWithNothingToName(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	tm.Escalation = &team.Escalation{}
	tm.Rules = nil
	top.Stubs = nil
	err = CheckNames(selection(t,
		`Given responder "alice" is unavailable`,
		`When the "search" API returns 503`,
		`Then alert "LLMSpendSpike" fires within 10m`,
		`And the page reaches an on-call responder of team "sre" within 5m`,
		`And role "scribe" is assigned within 15m`,
	), tm, top)
	require.Equal(t, `features/f.feature:3: Given responder "alice" is unavailable: unknown responder "alice"; the escalation files define no user
features/f.feature:4: When the "search" API returns 503: unknown stub "search"; drill.yaml defines no stub
features/f.feature:5: Then alert "LLMSpendSpike" fires within 10m: unknown alert "LLMSpendSpike"; the team's rule files define no alerting rule
features/f.feature:6: And the page reaches an on-call responder of team "sre" within 5m: unknown team "sre"; the escalation files define no team
features/f.feature:7: And role "scribe" is assigned within 15m: unknown role "scribe"; the escalation files define no roles: section`, err.Error())
}

// What Prepare checks of the steps reports a misspelt fault target once,
// by its name, though CheckFaults alone reports it too.
func TestCheckStepsReportsAFaultTargetOnce(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	sel := selection(t, `When provider "primry" is down`, `And fault "stub-error" hits "primary" with status=200`, `And fault "outage" hits "serch"`)
	err = CheckSteps(sel, tm, top, false)
	require.Equal(t, `features/f.feature:3: When provider "primry" is down: unknown provider "primry"; closest: primary
features/f.feature:5: And fault "outage" hits "serch": unknown fault target "serch"; closest: search
features/f.feature:4: And fault "stub-error" hits "primary" with status=200: stub-error: parameter "status": want HTTP status from 400 to 599, got "200"`, err.Error())
	require.ErrorContains(t, CheckFaults(sel, top), `outage: no target "primry"`)
}

// The built-in library, the demo team's features and the lint test team's
// all refer to names that exist.
func TestShippedFeaturesPassCheckNames(t *testing.T) {
	tm := demoTeam(t)
	top, err := Validate(tm)
	require.NoError(t, err)
	sel, err := Select(Options{Team: tm, All: true})
	require.NoError(t, err)
	require.NotEmpty(t, features.References(sel.Scenarios))
	require.NoError(t, CheckNames(sel, tm, top))
	require.NoError(t, CheckSteps(sel, tm, top, false))

	clean, err := team.Load("../team/testdata/clean")
	require.NoError(t, err)
	top, err = Validate(clean)
	require.NoError(t, err)
	sel, err = Select(Options{Team: clean, All: true, NoBuiltin: true})
	require.NoError(t, err)
	require.NoError(t, CheckNames(sel, clean, top))
}

// godog gets the files holding a selected scenario and the selection's
// tag expression in its own filter language, so a scenario drill did not
// select never reaches a report as skipped.
func TestSelectHandsGodogItsFilter(t *testing.T) {
	tm := demoTeam(t)
	sel, err := Select(Options{Team: tm, Tags: "@cost-spike or (@inference-outage and not @builtin)"})
	require.NoError(t, err)
	e, err := features.ParseTags(sel.Tags)
	require.NoError(t, err)
	require.Equal(t, e.Godog(), sel.godogTags)
	require.NotEmpty(t, sel.godogTags)
	var files []string
	for _, c := range sel.Contents {
		files = append(files, c.Name)
	}
	require.Equal(t, []string{"builtin/cost-spike.feature", "features/inference-outage.feature"}, files)
	for _, sc := range sel.Scenarios {
		require.True(t, e.Match(sc.Tags), sc.Name)
	}
}
