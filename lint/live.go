package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/internal/textdist"
	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/team"
)

// liveFindings run the live series check (scenarios.CheckSeries) and
// judge what each selector of each rule matched in the live world:
//
//   - a selector that matched series is fine, and so is one of a metric a
//     recording rule of the team writes, or of the ALERTS of one of its
//     alerts: the rule that writes it is checked on its own;
//   - a metric name no target exposed, no rule records and none of
//     drill's parts in the topology exports is rule-selector-no-series,
//     with the closest names: nothing will ever write it;
//   - a metric drill's parts export that had no series yet (a label
//     vector nothing counted in, such as the gateway's validation
//     failures in a healthy world) is no finding: it exists;
//   - a metric with series whose label matchers exclude them all is
//     rule-selector-no-series when an equality matcher asks for a value
//     (or a label) within two edits of one the series carry, a likely
//     typo, and rule-selector-unmatched otherwise: a healthy world writes
//     no 5xx status, so a value an incident writes cannot be told from a
//     wrong one here; a drill that injects the fault can, and its
//     "fires" step names the selector.
func liveFindings(ctx context.Context, t *team.Team, opts Options) ([]Finding, error) {
	rep, err := scenarios.CheckSeries(ctx, t, scenarios.SeriesOptions{Settle: opts.LiveSettle})
	if err != nil {
		return nil, err
	}
	return judgeSeries(rep), nil
}

func judgeSeries(rep *scenarios.SeriesReport) []Finding {
	exported := map[string]bool{}
	for _, n := range rep.Exported {
		exported[n] = true
	}
	var out []Finding
	for _, rs := range rep.Rules {
		r := rs.Rule
		what := "alert " + r.Alert
		if r.Record != "" {
			what = "recording rule " + r.Record
		}
		for _, c := range rs.Selectors {
			if c.Matched() {
				continue
			}
			id, msg := "", ""
			switch c.Reason {
			case alerting.RecordedNothing, alerting.AlertInactive:
				continue
			case alerting.NoMetric:
				if exported[c.Metric] {
					continue
				}
				id = "rule-selector-no-series"
				msg = fmt.Sprintf("%s matched no series in the live world: no target exposed %s and no rule records it", c.Selector, c.Metric)
				if near := textdist.Closest(c.Metric, append(append([]string(nil), c.Closest...), rep.Exported...), alerting.MaxClosestNames); len(near) > 0 {
					msg += " (closest: " + strings.Join(near, ", ") + ")"
				}
				if rep.Open {
					msg += "; a metric the service exposes only once it counts something is not seen before then: initialise its series to 0, as Prometheus' instrumentation guidelines advise"
				}
			default:
				id = "rule-selector-unmatched"
				for _, m := range c.Matchers {
					if len(m.Near) > 0 {
						id = "rule-selector-no-series"
					}
				}
				msg = strings.Replace(c.String(), " matched no series", " matched no series in the live world", 1)
				if id == "rule-selector-unmatched" {
					msg += "; right if only an incident writes a matching value, which a drill injecting the fault checks"
				}
			}
			out = append(out, Finding{ID: id, File: r.File, Line: r.Line, Col: r.Col, Message: what + ": " + msg})
		}
	}
	return out
}
