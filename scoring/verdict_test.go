package scoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
)

func steps(statuses ...StepStatus) []Step {
	out := make([]Step, len(statuses))
	for i, s := range statuses {
		out[i] = Step{Text: fmt.Sprintf("step %d", i+1), Status: s}
	}
	return out
}

// TestJudge is the honesty rule: a drill passes only when every step
// passed and every fault provably fired; a harness failure is never a
// failed drill; no proof is inconclusive, never passed.
func TestJudge(t *testing.T) {
	proven := []Evidence{{ID: "f", Affected: 3, Source: EvidenceControlAPI}}
	failedAt9 := []Step{{Text: "ok", Line: 8, Status: StepPassed}, {Text: "x", Line: 9, Status: StepFailed, Error: "boom"}, {Text: "after", Line: 10, Status: StepSkipped}}
	for _, c := range []struct {
		name       string
		feature    string
		steps      []Step
		o          Outcome
		want       Verdict
		wantReason string
	}{
		{name: "every step passed, the fault fired", steps: steps(StepPassed, StepPassed), o: Outcome{Evidence: proven},
			want: Passed},
		{name: "skipped steps leave the verdict to the evidence", steps: steps(StepPassed, StepSkipped), o: Outcome{Evidence: proven},
			want: Passed},
		{name: "a teardown error does not change a pass, and is said", steps: steps(StepPassed), o: Outcome{Evidence: proven, Teardown: errors.New("port still bound")},
			want: Passed, wantReason: "teardown: port still bound"},

		{name: "a harness failure is an error whatever the steps said", steps: steps(StepFailed), o: Outcome{Harness: os.ErrClosed, Evidence: proven},
			want: Error, wantReason: "harness: file already closed"},
		{name: "a harness failure beats passing steps", steps: steps(StepPassed), o: Outcome{Harness: errors.New("service crashed"), Evidence: proven},
			want: Error, wantReason: "harness: service crashed"},

		{name: "a failed step fails, named by file and line", feature: "f.feature", steps: failedAt9, o: Outcome{Steps: context.DeadlineExceeded, Evidence: proven},
			want: Failed, wantReason: `f.feature:9: step "x" failed: boom`},
		{name: "a failed step without a line", steps: []Step{{Text: "x", Status: StepFailed, Error: "boom"}}, o: Outcome{Evidence: proven},
			want: Failed, wantReason: `step "x" failed: boom`},
		{name: "a failed step fails even with no fault", steps: steps(StepFailed), o: Outcome{},
			want: Failed, wantReason: `step "step 1" failed: `},
		{name: "undefined fails", steps: steps(StepPassed, StepUndefined), o: Outcome{Evidence: proven},
			want: Failed, wantReason: `step "step 2" undefined: `},
		{name: "pending fails", steps: steps(StepPending), o: Outcome{Evidence: proven},
			want: Failed, wantReason: `step "step 1" pending: `},
		{name: "ambiguous fails", steps: steps(StepAmbiguous), o: Outcome{Evidence: proven},
			want: Failed, wantReason: `step "step 1" ambiguous: `},
		{name: "godog's error fails the scenario when no step says why", steps: steps(StepPassed), o: Outcome{Steps: errors.New("after hook: boom"), Evidence: proven},
			want: Failed, wantReason: "after hook: boom"},
		{name: "an interrupted scenario is an error, not a failure", steps: steps(StepPassed, StepFailed), o: Outcome{Steps: fmt.Errorf("step: %w", context.Canceled), Evidence: proven},
			want: Error, wantReason: "interrupted"},

		{name: "no fault injected is inconclusive", steps: steps(StepPassed), o: Outcome{},
			want: Inconclusive, wantReason: "no fault was injected, so nothing proves the response was exercised"},
		{name: "a fault that affected nothing is inconclusive", steps: steps(StepPassed), o: Outcome{Evidence: []Evidence{{ID: "f", Affected: 0, Source: EvidenceToxiproxy}}},
			want: Inconclusive, wantReason: "no proof the fault fired: f affected 0"},
		{name: "a count from a backend that cannot count proves nothing", steps: steps(StepPassed), o: Outcome{Evidence: []Evidence{{ID: "f", Affected: 12, Source: EvidenceUnavailable}}},
			want: Inconclusive, wantReason: "no proof the fault fired: f affected 12"},
		{name: "a count that failed proves nothing", steps: steps(StepPassed), o: Outcome{Evidence: []Evidence{{ID: "f", Affected: 5, Source: EvidenceControlAPI, Error: "control API: connection refused"}}},
			want: Inconclusive, wantReason: "no proof the fault fired: f affected 5 (control API: connection refused)"},
		{name: "one unproven fault of two is inconclusive, and only it is named", steps: steps(StepPassed),
			o:    Outcome{Evidence: []Evidence{{ID: "a", Affected: 2, Source: EvidenceTraffic}, {ID: "b", Affected: -1, Source: EvidenceToxiproxy}}},
			want: Inconclusive, wantReason: "no proof the fault fired: b affected -1"},
		{name: "every unproven fault is named", steps: steps(StepPassed),
			o:    Outcome{Evidence: []Evidence{{ID: "a", Source: EvidenceToxiproxy}, {ID: "b", Affected: 1, Source: EvidenceUnavailable}}},
			want: Inconclusive, wantReason: "no proof the fault fired: a affected 0; b affected 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := &Scenario{Feature: c.feature, Steps: c.steps}
			Judge(sc, c.o)
			require.Equal(t, c.want, sc.Status)
			require.Equal(t, c.wantReason, sc.Reason)
		})
	}
}

func TestEvidenceProven(t *testing.T) {
	require.True(t, Evidence{Affected: 1, Source: EvidenceToxiproxy}.Proven())
	require.False(t, Evidence{Affected: 0, Source: EvidenceToxiproxy}.Proven())
	require.False(t, Evidence{Affected: 1, Source: EvidenceUnavailable}.Proven())
	require.False(t, Evidence{Affected: 1, Source: EvidenceToxiproxy, Error: "x"}.Proven())
}

func TestStepStatusFails(t *testing.T) {
	var fails []StepStatus
	for _, s := range StepStatuses() {
		if s.Fails() {
			fails = append(fails, s)
		}
	}
	require.Equal(t, []StepStatus{StepFailed, StepUndefined, StepPending, StepAmbiguous}, fails)
}

// The schema's enums are the types' constants, so that a verdict or step
// status added to one is added to the other.
func TestSchemaEnumsAreTheConstants(t *testing.T) {
	var doc struct {
		Defs struct {
			Status struct {
				Enum []string `json:"enum"`
			} `json:"status"`
			Step struct {
				Properties struct {
					Status struct {
						Enum []string `json:"enum"`
					} `json:"status"`
				} `json:"properties"`
			} `json:"step"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(Schema, &doc))
	var verdicts, statuses []string
	for _, v := range Verdicts() {
		verdicts = append(verdicts, string(v))
	}
	for _, s := range StepStatuses() {
		statuses = append(statuses, string(s))
	}
	require.Equal(t, doc.Defs.Status.Enum, verdicts)
	require.Equal(t, doc.Defs.Step.Properties.Status.Enum, statuses)
}

func TestScorecardExitCode(t *testing.T) {
	for _, c := range []struct {
		s    Summary
		want exitcode.Code
	}{
		{Summary{Total: 2, Passed: 2}, exitcode.OK},
		{Summary{}, exitcode.OK},
		{Summary{Total: 2, Passed: 1, Failed: 1}, exitcode.Failed},
		{Summary{Total: 2, Passed: 1, Inconclusive: 1}, exitcode.Failed},
		{Summary{Total: 3, Failed: 1, Inconclusive: 1, Errors: 1}, exitcode.Harness},
	} {
		require.Equal(t, c.want, (&Scorecard{Summary: c.s}).ExitCode(), "%+v", c.s)
	}
}
