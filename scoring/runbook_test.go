package scoring

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/timeline"
)

// A live drill's scorecard says which runbook steps the people followed,
// skipped or never recorded; it validates against the schema.
func TestLiveRunbookRecord(t *testing.T) {
	t0 := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	ev := func(seq int64, d time.Duration, kind timeline.Kind, subject string, kv ...string) timeline.Event {
		a := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			a[kv[i]] = kv[i+1]
		}
		return timeline.Event{Seq: seq, At: t0.Add(d), Kind: kind, Subject: subject, Attrs: a}
	}
	sc := Scenario{Name: "live", Status: Passed, Events: []timeline.Event{
		ev(1, 0, timeline.FaultOn, "billing"),
		ev(2, 2*time.Minute, timeline.RunbookStart, "cost", "via", "live", "user", "alice", "runbook", "cost", "steps", "look,cap,verify,extra"),
		ev(3, 4*time.Minute, timeline.StepEnd, "look", "via", "live", "runbook", "cost", "status", "done", "user", "alice", "took", "2m0s", "phase", "diagnose"),
		ev(4, 5*time.Minute, timeline.StepEnd, "cap", "via", "live", "runbook", "cost", "status", "failed", "user", "bob", "exit_code", "7", "took", "1s"),
		ev(5, 6*time.Minute, timeline.StepEnd, "cap", "via", "live", "runbook", "cost", "status", "ok", "user", "bob", "exit_code", "0", "took", "2s"),
		ev(6, 7*time.Minute, timeline.StepEnd, "verify", "via", "live", "runbook", "cost", "status", "skipped", "user", "bob", "why", "graph is flat"),
		ev(7, 7*time.Minute, timeline.StepEnd, "other", "runbook", "cost", "status", "ok"),
	}}
	Analyze(&sc)
	require.NotNil(t, sc.Runbook)
	require.Equal(t, 2, sc.Runbook.Followed)
	require.Equal(t, 4, sc.Runbook.Total)
	require.Equal(t, "runbook cost: 2 of 4 step(s) followed; done look (by alice, 2m0s); ran cap (by bob, 2s); skipped verify (by bob, graph is flat); not followed extra",
		sc.Runbook.Text(), "the last mark of a step counts; a simulated step is not the people's")

	c := &Scorecard{SchemaVersion: SchemaVersion, RunID: "r", Speed: 1, Scenarios: []Scenario{sc}}
	var txt bytes.Buffer
	require.NoError(t, WriteText(&txt, c, nil))
	require.Contains(t, txt.String(), "the runbook in the room (steps recorded with drill runbook)\nlive\n  runbook cost: 2 of 4")
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, c, nil))
	require.Contains(t, md.String(), "### The runbook in the room")

	sch := compileSchema(t)
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, c))
	raw := b.String()
	doc, err := jsonschema.UnmarshalJSON(&b)
	require.NoError(t, err)
	require.NoError(t, sch.Validate(doc))
	bad := strings.Replace(raw, `"not_followed"`, `"forgotten"`, 1)
	doc, err = jsonschema.UnmarshalJSON(strings.NewReader(bad))
	require.NoError(t, err)
	require.Error(t, sch.Validate(doc), "a made-up step status fails the schema")

	sim := Scenario{Name: "sim", Events: []timeline.Event{ev(1, 0, timeline.RunbookStart, "cost", "runbook", "cost")}}
	Analyze(&sim)
	require.Nil(t, sim.Runbook, "a simulated run has no record")
}
