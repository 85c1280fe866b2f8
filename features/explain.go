package features

import (
	"context"
	"time"

	"github.com/drillkit/drill/alerting"
)

// AlertExplainer is an Env that can say why an alert never went pending:
// which selectors of its expression matched no series in the metrics the
// drill scraped during the scenario and which label values those metrics
// carry instead, or, when every selector matched, the value the
// expression reached against its threshold (alerting.Explanation). The
// scenarios package's world is one; a step whose Env is not words its
// failure without it.
type AlertExplainer interface {
	ExplainAlert(ctx context.Context, alert string) (alerting.Explanation, error)
}

// explainTimeout bounds, in real time, the series check a failure
// message runs: it reads the drill's store, and never waits on the world.
const explainTimeout = 30 * time.Second

// neverPending is why alert never went pending, for a failure message.
func (s *State) neverPending(alert string) string {
	const plain = "its expression stayed false"
	ex, ok := s.Env.(AlertExplainer)
	if !ok {
		return plain
	}
	// The step's wait is over when this runs (its deadline passed), so a
	// context of its own bounds the check.
	ctx, cancel := context.WithTimeout(context.Background(), explainTimeout)
	defer cancel()
	x, err := ex.ExplainAlert(ctx, alert)
	if err != nil {
		return plain + " (drill could not check its selectors: " + err.Error() + ")"
	}
	return plain + ": " + x.String()
}
