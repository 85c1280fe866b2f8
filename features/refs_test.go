package features

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// Every kind of name a step refers to is listed with its file, line and
// step, as written; groups that name nothing are not.
func TestReferences(t *testing.T) {
	for _, c := range []struct {
		step string
		want []Reference // File, Line and Step are filled in below
	}{
		{`Then alert "LLMSpendSpike" fires within 10m`, []Reference{{Kind: RefAlert, Name: "LLMSpendSpike"}}},
		{`Then alert "LLMLatencyHigh" may fire`, []Reference{{Kind: RefAlert, Name: "LLMLatencyHigh"}}},
		{`Then alert "LLMProviderDown" does not fire within 15m`, []Reference{{Kind: RefAlert, Name: "LLMProviderDown"}}},
		{`Then alert "LLMSpendSpike" links a runbook that exists, is fresh and has an owner`, []Reference{{Kind: RefAlert, Name: "LLMSpendSpike"}}},
		{`Then the page reaches an on-call responder of team "ml-platform" within 5m`, []Reference{{Kind: RefTeam, Name: "ml-platform"}}},
		{`Given responder "alice" is unavailable`, []Reference{{Kind: RefResponder, Name: "alice"}}},
		{`Then role "communications_lead" is assigned within 15m`, []Reference{{Kind: RefRole, Name: "communications_lead"}}},
		{`Given steady traffic of 4 requests per second with the "agent" mix`, []Reference{{Kind: RefMix, Name: "agent"}}},
		{`When provider "primary" returns 503 for 30% of requests for 2m`, []Reference{{Kind: RefProvider, Name: "primary"}}},
		{`When the stream from provider "secondary" is cut after 20 tokens`, []Reference{{Kind: RefProvider, Name: "secondary"}}},
		{`When the "search" API returns 503`, []Reference{{Kind: RefStub, Name: "search"}}},
		{`When fault "provider-error" hits "primary" with status=529, probability=0.5 for 10m`,
			[]Reference{{Kind: RefFault, Name: "provider-error"}, {Kind: RefTarget, Name: "primary"}}},
		{`Then following the runbook brings "gateway:error_ratio < 0.2" true within 10m`, []Reference{{Kind: RefPromQL, Name: "gateway:error_ratio < 0.2"}}},
		{`Then "sum(rate(drill_traffic_requests_total{outcome=\"ok\"}[1m])) > 0" holds for 5m`,
			[]Reference{{Kind: RefPromQL, Name: `sum(rate(drill_traffic_requests_total{outcome=\"ok\"}[1m])) > 0`}}},
		// Steps that name nothing of the team.
		{`When the primary provider is down`, nil},
		{`Then an alert fires within 10m`, nil},
		{`Given steady traffic of 5 requests per second`, nil},
		{`Then an incident commander is assigned within 5m`, nil},
		{`When traffic surges 3x for 10m`, nil},
		// An undefined step names nothing (Check reports it).
		{`Then alert "X" explodes`, nil},
	} {
		kw, text, _ := strings.Cut(c.step, " ")
		scs, err := Parse("features/f.feature", []byte("Feature: f\n  Scenario: s\n    "+kw+" "+text+"\n"))
		require.NoError(t, err, c.step)
		for i := range c.want {
			c.want[i].File, c.want[i].Line, c.want[i].Step = "features/f.feature", 3, c.step
		}
		require.Equal(t, c.want, References(scs), c.step)
	}
}

// An outline's placeholders are resolved per Examples row: a name from a
// row is listed once per row, at that row's line, and a name the outline
// writes itself at the step's line. Gherkin fills in no Background step,
// so a placeholder there is the name as written.
func TestReferencesOfAnOutline(t *testing.T) {
	src := `Feature: f
  Background:
    Given responder "<who>" is unavailable
    And responder "carol" is unavailable

  Scenario Outline: <alert> pages <team>
    When provider "primary" is down
    Then alert "<alert>" fires within 10m
    And the page reaches an on-call responder of team "<team>" within 5m

    Examples:
      | alert            | team        |
      | LLMGatewayErrors | ml-platform |
      | LLMGatewayEror   | sre         |
`
	scs, err := Parse("features/f.feature", []byte(src))
	require.NoError(t, err)
	require.Len(t, scs, 2)
	got := References(scs)
	var at []string
	for _, r := range got {
		at = append(at, r.File+":"+strconv.Itoa(r.At())+" "+string(r.Kind)+" "+r.Name)
	}
	require.Equal(t, []string{
		"features/f.feature:3 responder <who>",
		"features/f.feature:4 responder carol",
		"features/f.feature:7 provider primary",
		"features/f.feature:13 alert LLMGatewayErrors",
		"features/f.feature:13 team ml-platform",
		"features/f.feature:3 responder <who>",
		"features/f.feature:4 responder carol",
		"features/f.feature:7 provider primary",
		"features/f.feature:14 alert LLMGatewayEror",
		"features/f.feature:14 team sre",
	}, at)
	require.Equal(t, Reference{File: "features/f.feature", Line: 8, Row: 14, Step: `Then alert "LLMGatewayEror" fires within 10m`, Kind: RefAlert, Name: "LLMGatewayEror"}, got[8])
	require.Zero(t, got[2].Row, "the outline writes this name itself")
}

// Every quoted argument of every catalog step is declared as a
// reference, so a new step that names something cannot skip the check
// before a run.
func TestEveryQuotedArgumentIsAReference(t *testing.T) {
	for _, s := range catalog {
		text := exampleLine(s)
		m, ok := matchOne(text)
		require.True(t, ok, s.Example)
		refs := s.Refs()
		for g, v := range m.args {
			if v == "" || !strings.Contains(text, `"`+v+`"`) {
				continue
			}
			require.Less(t, g, len(refs), "%s: value %d (%q) is quoted and declares no reference", s.Form, g+1, v)
			require.NotEmpty(t, refs[g], "%s: value %d (%q) is quoted and declares no reference", s.Form, g+1, v)
		}
		require.LessOrEqual(t, len(refs), len(m.args), "%s: a reference to a value the step does not have", s.Form)
	}
}

// A faults table names its kinds and targets at each row's line, and a
// doc string its PromQL condition, for the run to resolve before any
// world starts; a correlated outage names both providers.
func TestReferencesOfStepArguments(t *testing.T) {
	src := `Feature: f
  Scenario: s
    When these faults start at once:
      | fault       | target    |
      | outage      | primary   |
      | stub-outage | "search"  |
    And providers "primary" and "secondary" are down
    Then this condition holds for 5m:
      """
      up == 1
      """
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	require.Empty(t, Check(scs))
	var at []string
	for _, r := range References(scs) {
		at = append(at, strconv.Itoa(r.At())+" "+string(r.Kind)+" "+r.Name)
	}
	require.Equal(t, []string{
		"5 fault outage", "5 target primary", "6 fault stub-outage", "6 target search",
		"7 provider primary", "7 provider secondary",
		"8 promql up == 1",
	}, at)
}

// "it", "the alert" and "the page" refer to the alert a step before
// waited for; with no such step before them they refer to nothing, and
// Check says so at their line.
func TestReferenceWithoutASubject(t *testing.T) {
	src := `Feature: f
  Scenario: nothing before
    When provider "primary" is down
    Then it is acknowledged within 15 minutes
    And the alert resolves within 20 minutes
    And the page reaches the on-call of team "ml-platform" within 5 minutes

  Scenario: an alert before
    When provider "primary" is down
    Then alert "A" fires within 5 minutes
    And the page reaches the on-call of team "ml-platform" within 5 minutes
    And it is acknowledged within 15 minutes
    And the alert resolves within 20 minutes
`
	scs, err := Parse("f.feature", []byte(src))
	require.NoError(t, err)
	var got []string
	for _, p := range Check(scs) {
		got = append(got, strconv.Itoa(p.Line)+": "+p.Message)
	}
	require.Equal(t, []string{
		`4: "it" refers to the alert (or its page) of a step before, and no step before it in the scenario waits for an alert to fire; name the alert first, e.g. Then alert "NAME" fires within 10m`,
		`5: "the alert" refers to the alert (or its page) of a step before, and no step before it in the scenario waits for an alert to fire; name the alert first, e.g. Then alert "NAME" fires within 10m`,
		`6: "the page" refers to the alert (or its page) of a step before, and no step before it in the scenario waits for an alert to fire; name the alert first, e.g. Then alert "NAME" fires within 10m`,
	}, got)
}

// At run time "the alert" is the alert the step before waited for, not
// merely the first that fired: after B's step, it is B that must resolve.
func TestTheAlertIsTheStepBeforesAlert(t *testing.T) {
	ctx := context.Background()
	env := newFake()
	s := NewState(env, []string{"A", "B"})
	s.ControlWindow = 0
	require.NoError(t, s.ensureStarted(ctx))
	require.NoError(t, invokeStep(t, s, `provider "primary" is down`, ctx))
	at := env.clock.Now().Add(time.Minute)
	env.clock.Set(at)
	env.log.Append(alertEvent(timeline.AlertFiring, "A", at, at))
	env.clock.Set(at.Add(time.Minute))
	env.log.Append(alertEvent(timeline.AlertFiring, "B", at.Add(time.Minute), at.Add(time.Minute)))
	require.NoError(t, invokeStep(t, s, `alert "A" fires within 5m`, ctx))
	require.NoError(t, invokeStep(t, s, `alert "B" fires within 5m`, ctx))
	env.log.Append(alertEvent(timeline.AlertResolved, "A", at.Add(2*time.Minute), at))
	// A resolved, B did not: "the alert" (B) still fires.
	errc := make(chan error, 1)
	go func() { errc <- invokeStep(t, s, `the alert resolves within 10m`, ctx) }()
	err := untilDone(t, env, errc, time.Minute)
	require.EqualError(t, err, `alert "B" still fired 10m0s after it fired`)
}
