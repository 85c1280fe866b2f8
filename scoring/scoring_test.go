package scoring

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/timeline"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ev(seq int64, d time.Duration, k timeline.Kind, subject string) timeline.Event {
	return timeline.Event{Seq: seq, At: at(d), Kind: k, Subject: subject}
}

func evA(seq int64, d time.Duration, k timeline.Kind, subject string, kv ...string) timeline.Event {
	e := ev(seq, d, k, subject)
	e.Attrs = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attrs[kv[i]] = kv[i+1]
	}
	return e
}

// fixture is a run of three scenarios: one that passed with a full
// response, one that failed with a false alarm in its control window, and
// one inconclusive.
func fixture() *Scorecard {
	passed := Scenario{
		Name: "Spend spike is capped by the runbook", Feature: "features/cost-spike.feature", Line: 7,
		Tags: []string{"@cost-spike"}, Family: "cost-spike", Status: Passed,
		Steps: []Step{
			{Keyword: "Given ", Text: "the team's environment is running", Line: 8, Status: "passed"},
			{Keyword: "When ", Text: `provider "primary" bills 10x tokens`, Line: 9, Status: "passed"},
			{Keyword: "Then ", Text: `alert "LLMSpendSpike" fires within 10m`, Line: 10, Status: "passed"},
		},
		Evidence:       map[string]int64{"billing-spike": 412},
		ExpectedAlerts: []string{"LLMSpendSpike"},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, 5*time.Minute, timeline.ControlEnd, ""),
			ev(3, 5*time.Minute, timeline.FaultOn, "billing-spike"),
			ev(4, 9*time.Minute, timeline.AlertFiring, "LLMSpendSpike"),
			ev(5, 9*time.Minute+30*time.Second, timeline.Page, "alice"),
			ev(6, 11*time.Minute, timeline.Ack, "alice"),
			ev(7, 14*time.Minute, timeline.Recovered, "spend below $2/min"),
			evA(8, 9*time.Minute+30*time.Second, timeline.BrokenLink, "communications_lead", "kind", "role", "reason", "unfilled", "role", "communications_lead"),
			evA(9, 10*time.Minute, timeline.RoleAssigned, "bob", "role", "incident_commander", "since_firing", "1m0s", "within", "5m0s", "exclusive_with", "operations_lead", "via", "simulated"),
			evA(10, 10*time.Minute+30*time.Second, timeline.RoleAssigned, "alice", "role", "operations_lead", "since_firing", "1m30s", "via", "simulated"),
			evA(11, 11*time.Minute, timeline.StepStart, "diagnosis-1", "runbook", "llm-cost-spike", "section", "Diagnosis", "phase", "diagnose", "index", "1", "manual", "true"),
			evA(12, 13*time.Minute, timeline.StepEnd, "diagnosis-1", "runbook", "llm-cost-spike", "section", "Diagnosis", "phase", "diagnose", "index", "1", "manual", "true", "line", "runbooks/llm-cost-spike.md:19"),
			evA(13, 13*time.Minute, timeline.StepStart, "cap-spend", "runbook", "llm-cost-spike", "section", "Mitigation", "phase", "mitigate", "index", "1", "manual", "false"),
			evA(14, 13*time.Minute+5*time.Second, timeline.StepEnd, "cap-spend", "runbook", "llm-cost-spike", "section", "Mitigation", "phase", "mitigate", "index", "1", "manual", "false", "line", "runbooks/llm-cost-spike.md:23"),
			evA(15, 13*time.Minute+5*time.Second, timeline.StepStart, "check-spend", "runbook", "llm-cost-spike", "section", "Verification", "index", "1", "manual", "false"),
			evA(16, 13*time.Minute+10*time.Second, timeline.StepEnd, "check-spend", "runbook", "llm-cost-spike", "section", "Verification", "index", "1", "manual", "false", "line", "runbooks/llm-cost-spike.md:30"),
			evA(17, 12*time.Minute, timeline.StatusUpdate, "bob", "role", "incident_commander"),
		},
		WallSeconds: 12.5,
	}
	failed := Scenario{
		Name: "Provider outage fails over", Feature: "features/outage.feature", Line: 5,
		Tags: []string{"@inference-outage"}, Family: "inference-outage", Status: Failed,
		Reason: `step "alert \"LLMProviderDown\" fires within 5m" failed: the alert did not fire within 5m`,
		Steps: []Step{
			{Keyword: "Then ", Text: `alert "LLMProviderDown" fires within 5m`, Line: 9, Status: "failed", Error: "the alert did not fire within 5m"},
		},
		Evidence:       map[string]int64{"outage": 37},
		ExpectedAlerts: []string{"LLMProviderDown"},
		Events: []timeline.Event{
			ev(1, 0, timeline.ScenarioStart, ""),
			ev(2, 2*time.Minute, timeline.AlertFiring, "LLMLatencyHigh"),
			ev(3, 5*time.Minute, timeline.ControlEnd, ""),
			ev(4, 5*time.Minute, timeline.FaultOn, "outage"),
			ev(5, 7*time.Minute, timeline.AlertFiring, "LLMSpendSpike"),
			evA(6, 8*time.Minute, timeline.HarnessLag, "alerting", "skipped", "2", "interval", "15s"),
			evA(7, 9*time.Minute, timeline.HarnessLag, "alerting", "skipped", "5", "interval", "15s"),
			{Seq: 8, At: at(0), Kind: timeline.HarnessWarning, Subject: "speed", Message: "alert times are approximate", Attrs: map[string]string{"steady_speed": "12"}},
			{Seq: 9, At: at(0), Kind: timeline.HarnessWarning, Subject: "speed", Message: "alert times are approximate", Attrs: map[string]string{"steady_speed": "12"}},
		},
		WallSeconds: 9,
	}
	inconclusive := Scenario{
		Name: "Search API times out", Feature: "features/search.feature", Line: 3,
		Tags: []string{"@third-party-failure"}, Family: "third-party-failure", Status: Inconclusive,
		Reason:   "no proof the fault fired: fault search-timeout affected 0 requests",
		Evidence: map[string]int64{"search-timeout": 0},
		Events:   []timeline.Event{ev(1, 0, timeline.ScenarioStart, "")},
	}
	c := &Scorecard{
		SchemaVersion: SchemaVersion, RunID: "20261126T090000-1", Team: "acme-ml",
		StartedAt: t0, FinishedAt: t0.Add(30 * time.Second), Speed: 60, Seed: 1,
		Scenarios: []Scenario{passed, failed, inconclusive},
		Lint:      []Finding{{ID: "runbook-stale", Severity: "warning", File: "runbooks/outage.md", Line: 1, Message: "last reviewed 2026-01-01, review every 90d: 239 days overdue"}},
	}
	c.Summary = Summarize(c.Scenarios)
	return c
}

func TestAnalyzeTimings(t *testing.T) {
	c := fixture()
	tm := c.Scenarios[0].Timings
	require.Equal(t, 4*time.Minute, tm.TimeToDetect.Duration())
	require.Equal(t, 90*time.Second, tm.TimeToAcknowledge.Duration())
	require.Equal(t, 3*time.Minute, tm.TimeToMitigate.Duration())
	require.Equal(t, 9*time.Minute, tm.TimeToRecover.Duration())

	f := c.Scenarios[1]
	require.Nil(t, f.Timings.TimeToDetect, "only unexpected alerts fired: nothing was detected")
	require.Len(t, f.Alerts, 2)
	require.True(t, f.Alerts[0].FalseAlarm)
	require.Contains(t, f.Alerts[0].Why, "control window")
	require.True(t, f.Alerts[1].FalseAlarm)
	require.Contains(t, f.Alerts[1].Why, "no step")
}

// Evaluation falling behind the drill clock is a warning that says how
// late alert times may be, summed over the scenario; a harness.warning
// event is a warning as it is. Neither changes the verdict.
func TestLagWarnings(t *testing.T) {
	c := fixture()
	f := c.Scenarios[1]
	require.Equal(t, []string{"alerting fell behind the drill clock 2 time(s) and skipped 7 evaluation(s): " +
		"alert times may be late by up to 1m15s; run at a lower --speed for exact times",
		"alert times are approximate"}, f.Warnings, "lag summed up, then each harness.warning once")
	require.True(t, f.SpeedWarned)
	require.Equal(t, 12.0, f.SteadySpeed)
	require.Equal(t, 1, c.Summary.SpeedWarned)
	require.Equal(t, 12.0, c.Summary.SteadySpeed)
	require.Equal(t, Failed, f.Status)
	require.Empty(t, c.Scenarios[0].Warnings)
}

func TestSummary(t *testing.T) {
	s := fixture().Summary
	require.Equal(t, 3, s.Total)
	require.Equal(t, 1, s.Passed)
	require.InDelta(t, 1.0/3, s.PassRate, 1e-9, "inconclusive counts against the pass rate")
	require.Equal(t, 3, s.Alerts)
	require.Equal(t, 2, s.FalseAlarms)
	require.Equal(t, Precision{Firings: 2, Explained: 1, Precision: 0.5}, s.Precision["LLMSpendSpike"])
	require.Equal(t, 1, s.TimeToDetect.N)
	require.Equal(t, Family{Total: 1, Passed: 1, PassRate: 1}, s.Families["cost-spike"])
}

func TestErrorsLeftOutOfPassRate(t *testing.T) {
	s := Summarize([]Scenario{{Status: Passed}, {Status: Error}})
	require.Equal(t, 1.0, s.PassRate)
	c := &Scorecard{Summary: s}
	require.Equal(t, exitcode.Harness, c.ExitCode(), "a harness error exits 4, never 0")
}

func TestStat(t *testing.T) {
	st := stat([]float64{10, 1, 5, 3, 7, 9, 2, 8, 4, 6})
	require.Equal(t, 10, st.N)
	require.Equal(t, Seconds(5.5), *st.Median)
	require.Equal(t, Seconds(9), *st.P90)
	require.Equal(t, Seconds(10), *st.Max)
	require.Equal(t, Stat{}, stat(nil))
}

func TestGates(t *testing.T) {
	s := fixture().Summary
	cases := []struct {
		src, err string
		ok       bool
	}{
		{src: "pass_rate >= 0.3", ok: true},
		{src: "pass_rate >= 90%", ok: false},
		{src: "time_to_detect_p90 < 5m", ok: true},
		{src: "time_to_detect_p90<=3m", ok: false},
		{src: "false_alarms == 2", ok: true},
		{src: "time_to_acknowledge_max > 1m", ok: true},
		{src: "speed_warned == 0", ok: false},
		{src: "pass_rate", err: "want METRIC OP VALUE"},
		{src: "mttr < 5m", err: `unknown metric "mttr"; valid metrics: errors, failed`},
		{src: "time_to_detect_p90 < 0.5", err: "is a duration; want a value such as 90s"},
		{src: "pass_rate >= x", err: `want a number, got "x"`},
		{src: "pass_rate >=", err: "missing the value"},
		{src: "pass_rate >= 9", err: "pass_rate is a fraction from 0 to 1 (or a percentage such as 90%), got 9"},
		{src: "false_alarm_rate <= 120%", err: "false_alarm_rate is a fraction from 0 to 1"},
	}
	for _, tc := range cases {
		g, err := ParseGate(tc.src)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.src)
			continue
		}
		require.NoError(t, err, tc.src)
		require.Equal(t, tc.ok, g.Check(s).OK, tc.src)
	}
}

func TestGateWithoutSamplesFails(t *testing.T) {
	g, err := ParseGate("time_to_mitigate_p90 < 1h")
	require.NoError(t, err)
	r := g.Check(Summary{})
	require.False(t, r.OK)
	require.Equal(t, "no scenario produced time_to_mitigate_p90", r.Reason)
}

func TestGoldenOutputs(t *testing.T) {
	c := fixture()
	gates := []GateResult{}
	for _, src := range []string{"pass_rate >= 0.9", "time_to_detect_p90 < 5m"} {
		g, err := ParseGate(src)
		require.NoError(t, err)
		gates = append(gates, g.Check(c.Summary))
	}
	goldenWrites(t, c, gates, filepath.Join("testdata", "golden"))
}

func TestScorecardValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)

	isolated := fixture()
	isolated.Sandbox = "bwrap+netns"
	isolated.BlockedConnections = []BlockedConnection{{Proto: "tcp", Address: "192.0.2.1:80", Count: 2, First: isolated.StartedAt,
		By: []string{"step cap-spend (runbooks/llm-cost-spike.md:25)"}}}
	for name, c := range map[string]*Scorecard{"fixture": fixture(), "isolated": isolated, "empty": {SchemaVersion: SchemaVersion, RunID: "r", Speed: 1}} {
		var b bytes.Buffer
		require.NoError(t, WriteJSON(&b, c))
		doc, err := jsonschema.UnmarshalJSON(&b)
		require.NoError(t, err)
		require.NoError(t, sch.Validate(doc), name)
	}

	// The schema is not vacuous: a scorecard with a made-up status, or
	// a made-up isolation, fails.
	bad := fixture()
	bad.Scenarios[0].Status = "green"
	odd := fixture()
	odd.Sandbox = "chroot"
	for _, c := range []*Scorecard{bad, odd} {
		var b bytes.Buffer
		require.NoError(t, WriteJSON(&b, c))
		doc, err := jsonschema.UnmarshalJSON(&b)
		require.NoError(t, err)
		require.Error(t, sch.Validate(doc))
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./scoring -update to create it")
	require.Equal(t, string(want), string(got))
}

// A harness error says nothing of the team: a scenario whose harness
// failed after the alert fired and was acknowledged adds nothing to the
// run's response timings, though its own timings are still shown.
func TestSummarizeLeavesHarnessErrorsOutOfTimings(t *testing.T) {
	c := fixture()
	broken := c.Scenarios[0]
	broken.Name, broken.Status, broken.Reason = "harness failed mid-drill", Error, "the service under test crashed"
	broken.Events = append([]timeline.Event(nil), broken.Events...)
	for i := range broken.Events {
		if broken.Events[i].Kind == timeline.Ack {
			broken.Events[i].At = at(30 * time.Minute) // a far slower acknowledgement
		}
	}
	with := Summarize(append(append([]Scenario(nil), c.Scenarios...), broken))
	require.Equal(t, 1, with.Errors)
	require.Equal(t, c.Summary.TimeToAcknowledge, with.TimeToAcknowledge)
	require.Equal(t, c.Summary.TimeToDetect, with.TimeToDetect)
	scs := []Scenario{broken}
	Summarize(scs)
	require.NotNil(t, scs[0].Timings.TimeToAcknowledge, "the scenario's own timing is kept")
}

// The text and Markdown summaries say which isolation was in force and
// which connections the drill world's network refused.
func TestSummariesSayTheSandbox(t *testing.T) {
	c := fixture()
	c.Sandbox = "bwrap+netns"
	for i := 0; i < maxBlockedLines+2; i++ {
		c.BlockedConnections = append(c.BlockedConnections, BlockedConnection{Proto: "tcp", Address: fmt.Sprintf("192.0.2.%d:80", i+1), Count: 1 + i%2,
			First: c.StartedAt, By: []string{"step cap-spend (runbooks/llm-cost-spike.md:25)"}})
	}
	var txt, md bytes.Buffer
	require.NoError(t, WriteText(&txt, c, nil))
	require.NoError(t, WriteMarkdown(&md, c, nil))
	require.Contains(t, txt.String(), "\nsandbox bwrap+netns: runbook steps in namespaces (bwrap), the drill world's network loopback only\n")
	require.Contains(t, txt.String(), "\nrefused connection: tcp 192.0.2.1:80 (step cap-spend (runbooks/llm-cost-spike.md:25))\n")
	require.Contains(t, txt.String(), "\nrefused connection: tcp 192.0.2.2:80 ×2 (step cap-spend")
	require.NotContains(t, txt.String(), "192.0.2.11:80", "at most maxBlockedLines are listed")
	require.Contains(t, txt.String(), "\n… and 2 more refused connections (scorecard.json)\n")
	require.Contains(t, md.String(), "| isolation | sandbox bwrap+netns: runbook steps in namespaces (bwrap), the drill world's network loopback only |\n")

	c = fixture()
	c.Sandbox = "process-group"
	txt.Reset()
	require.NoError(t, WriteText(&txt, c, nil))
	require.Contains(t, txt.String(), "\nsandbox process-group: runbook steps without namespaces, the drill world in the host's network\n")
	require.NotContains(t, txt.String(), "refused connection")

	txt.Reset()
	require.NoError(t, WriteText(&txt, fixture(), nil))
	require.NotContains(t, txt.String(), "sandbox", "a scorecard from before the field says nothing of it")
}

// goldenWrites compares every writer's output for c with the golden files
// in dir (rewritten with -update).
func goldenWrites(t *testing.T, c *Scorecard, gates []GateResult, dir string) {
	t.Helper()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"scorecard.json": func(b *bytes.Buffer) error { return WriteJSON(b, c) },
		"junit.xml":      func(b *bytes.Buffer) error { return WriteJUnit(b, c) },
		"summary.md":     func(b *bytes.Buffer) error { return WriteMarkdown(b, c, gates) },
		"summary.txt":    func(b *bytes.Buffer) error { return WriteText(b, c, gates) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, write(&b))
			golden(t, filepath.Join(dir, name), b.Bytes())
		})
	}
}

// compileSchema compiles the scorecard's JSON schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	var schemaDoc any
	require.NoError(t, json.Unmarshal(Schema, &schemaDoc))
	comp := jsonschema.NewCompiler()
	require.NoError(t, comp.AddResource("scorecard.schema.json", schemaDoc))
	sch, err := comp.Compile("scorecard.schema.json")
	require.NoError(t, err)
	return sch
}

// schemaValidator validates a scorecard as WriteJSON writes it against
// the schema.
func schemaValidator(t *testing.T) func(*Scorecard) error {
	sch := compileSchema(t)
	return func(c *Scorecard) error {
		var b bytes.Buffer
		require.NoError(t, WriteJSON(&b, c))
		doc, err := jsonschema.UnmarshalJSON(&b)
		require.NoError(t, err)
		return sch.Validate(doc)
	}
}
