package scoring

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Verdict is a scenario's verdict.
type Verdict string

// The verdicts of a scenario.
const (
	Passed       Verdict = "passed"       // every step passed and every fault provably fired
	Failed       Verdict = "failed"       // a step failed: the team's response did not hold
	Inconclusive Verdict = "inconclusive" // no proof that the fault fired
	Error        Verdict = "error"        // the harness failed; says nothing of the team
)

// Verdicts returns every verdict, in the order the scorecard schema lists
// them.
func Verdicts() []Verdict { return []Verdict{Passed, Failed, Inconclusive, Error} }

// StepStatus is the outcome of one Gherkin step, as godog names it.
type StepStatus string

// The outcomes of a step. A step is skipped after a failed one.
const (
	StepPassed    StepStatus = "passed"
	StepFailed    StepStatus = "failed"
	StepSkipped   StepStatus = "skipped"
	StepUndefined StepStatus = "undefined" // no step definition matches its text
	StepPending   StepStatus = "pending"   // its definition is not written yet
	StepAmbiguous StepStatus = "ambiguous" // more than one definition matches
)

// StepStatuses returns every step status, in the order the scorecard
// schema lists them.
func StepStatuses() []StepStatus {
	return []StepStatus{StepPassed, StepFailed, StepSkipped, StepUndefined, StepPending, StepAmbiguous}
}

// Fails reports whether a step with this status fails its scenario:
// failed, undefined, pending and ambiguous do.
func (s StepStatus) Fails() bool {
	switch s {
	case StepFailed, StepUndefined, StepPending, StepAmbiguous:
		return true
	}
	return false
}

// EvidenceSource names where a fault's evidence comes from. FaultOff
// events carry it in Attrs["evidence"].
type EvidenceSource string

// The sources of fault evidence.
const (
	EvidenceToxiproxy  EvidenceSource = "toxiproxy-connections" // connections through the proxy while the fault was on
	EvidenceControlAPI EvidenceSource = "control-api"           // requests the mock counted as affected
	EvidenceTraffic    EvidenceSource = "traffic-requests"      // requests the traffic generator sent during the surge
	// EvidenceUnavailable is a backend that cannot count what the fault
	// did: whatever count it reports proves nothing, and the drill is
	// inconclusive.
	EvidenceUnavailable EvidenceSource = "unavailable"
)

// Evidence is what one fault did: how many connections (network kinds)
// or requests (app and traffic kinds) it affected, and where that count
// comes from.
type Evidence struct {
	ID       string         `json:"id"`
	Kind     string         `json:"kind"`
	Target   string         `json:"target"`
	Spec     string         `json:"spec"`
	On       bool           `json:"on"`
	Affected int64          `json:"affected"`
	Source   EvidenceSource `json:"source"`
	Error    string         `json:"error,omitempty"` // counting failed, or the fault's schedule did
}

// Proven reports whether the evidence proves the fault fired: it
// affected something, counted by a source that can count, without error.
func (e Evidence) Proven() bool {
	return e.Affected > 0 && e.Source != EvidenceUnavailable && e.Error == ""
}

// Outcome is what running a scenario left for its verdict.
type Outcome struct {
	// Harness is the testbed's own failure (a crash of the service under
	// test, a port in use), nil if none.
	Harness error
	// Steps is the error godog ended the scenario's steps with, nil if
	// they all passed.
	Steps error
	// Evidence is one entry per fault injected.
	Evidence []Evidence
	// Teardown is the error of closing the scenario's world.
	Teardown error
}

// Judge sets a scenario's verdict and its reason from its recorded steps
// and o. A harness failure is an error whatever the steps said; a failed
// step is a failure (an interrupted one an error); passing steps are a
// pass only when every fault injected provably fired: without a fault,
// or without proof, they are inconclusive, never passed.
func Judge(sc *Scenario, o Outcome) {
	switch {
	case o.Harness != nil:
		sc.Status, sc.Reason = Error, "harness: "+o.Harness.Error()
		return
	case o.Steps != nil || anyFailing(sc.Steps):
		sc.Status = Failed
		for _, s := range sc.Steps {
			if s.Status != StepPassed && s.Status != StepSkipped {
				sc.Reason = fmt.Sprintf("step %q %s: %s", s.Text, s.Status, s.Error)
				if s.Line > 0 {
					sc.Reason = fmt.Sprintf("%s:%d: %s", sc.Feature, s.Line, sc.Reason)
				}
				break
			}
		}
		if sc.Reason == "" && o.Steps != nil {
			sc.Reason = o.Steps.Error()
		}
		if errors.Is(o.Steps, context.Canceled) {
			sc.Status, sc.Reason = Error, "interrupted"
		}
		return
	}
	if len(o.Evidence) == 0 {
		sc.Status, sc.Reason = Inconclusive, "no fault was injected, so nothing proves the response was exercised"
		return
	}
	var unproven []string
	for _, e := range o.Evidence {
		if !e.Proven() {
			why := fmt.Sprintf("%s affected %d", e.ID, e.Affected)
			if e.Error != "" {
				why += " (" + e.Error + ")"
			}
			unproven = append(unproven, why)
		}
	}
	if len(unproven) > 0 {
		sc.Status, sc.Reason = Inconclusive, "no proof the fault fired: "+strings.Join(unproven, "; ")
		return
	}
	sc.Status = Passed
	if o.Teardown != nil {
		sc.Reason = "teardown: " + o.Teardown.Error()
	}
}

func anyFailing(steps []Step) bool {
	for _, s := range steps {
		if s.Status.Fails() {
			return true
		}
	}
	return false
}
