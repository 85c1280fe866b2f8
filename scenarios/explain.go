package scenarios

import (
	"context"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/timeline"
)

var _ features.AlertExplainer = (*world)(nil)

// ExplainAlert says why alert never went pending, from what the alerting
// engine scraped and recorded since the world became ready (its
// ScenarioStart event) until now: the world is a features.AlertExplainer,
// so a "fires" step's failure names the selectors that matched no series.
func (w *world) ExplainAlert(ctx context.Context, alert string) (alerting.Explanation, error) {
	_, ae, err := w.running()
	if err != nil {
		return alerting.Explanation{}, err
	}
	log, clock := w.Log(), w.Clock()
	to := clock.Now()
	from := to
	if e, ok := log.Find(timeline.OfKind(timeline.ScenarioStart, "")); ok {
		from = e.At
	}
	return ae.ExplainAlert(ctx, alert, from, to)
}
