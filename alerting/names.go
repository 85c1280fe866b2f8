package alerting

import (
	"github.com/prometheus/prometheus/promql/parser"
)

// The series the engine writes for every scrape target beside what the
// target exposes, as Prometheus' scrape loop does.
const (
	seriesUp             = "up"
	seriesScrapeDuration = "scrape_duration_seconds"
	seriesSamplesScraped = "scrape_samples_scraped"
)

// The series Prometheus' rules package writes for alerting rules (its own
// names for them are unexported), labelled alertname.
const (
	SeriesAlerts         = "ALERTS"
	SeriesAlertsForState = "ALERTS_FOR_STATE"
)

// SeriesNames are the metric names the engine itself writes into a
// drill's storage, whatever the targets expose: each target's up and
// scrape_* series, and the ALERTS and ALERTS_FOR_STATE series of the
// team's alerting rules.
func SeriesNames() []string {
	return []string{seriesUp, seriesScrapeDuration, seriesSamplesScraped, SeriesAlerts, SeriesAlertsForState}
}

// ParseExpr parses a PromQL expression as the engine's queries and rules
// do (promtool's options, no feature flags), so that an expression
// checked with it before a drill is one the drill can evaluate.
func ParseExpr(expr string) (parser.Expr, error) { return rulesParser.ParseExpr(expr) }
