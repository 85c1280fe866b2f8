package scenarios

import (
	"context"
	"net/http"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// Observer follows a run as it goes, for a facilitator console
// (console.Server implements it): each scenario as it begins, its
// world's event log and live control API once the world is up, its
// steps' states, the lines its steps tell the room, and its verdict.
// Its methods are called from the run's goroutines and must not block.
type Observer interface {
	// Begin: a scenario starts; where is its FILE:LINE, steps its step
	// texts in order (background first).
	Begin(name, where string, steps []string)
	// Attach: the scenario's world is up. api is its live control API
	// (nil unless live); evidence counts what each fault affected so far.
	Attach(log *timeline.Log, api http.Handler, evidence func(context.Context) (map[string]int64, error))
	// Step: step index is "running", or ended with a scoring.StepStatus
	// and its error.
	Step(index int, status, err string)
	// Tell: a line a live step shows the room (what it waits for).
	Tell(msg string)
	// End: the scenario was judged.
	End(rec *scoring.Scenario)
}
