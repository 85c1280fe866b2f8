package alerting

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// Window is the shortest range over which an alerting rule counts events:
// the smallest range of rate, irate, increase or resets ([5m] in
// rate(x[5m])) in its expression or in the recording rules it reads,
// followed by name through any group or file.
// How many requests a drill's traffic puts into that range decides how
// steady the rule's value, and so its alert times, are from run to run.
type Window struct {
	Alert string
	Range time.Duration
}

// Rule is an alerting or recording rule as RuleWindows and NoiseWindows
// read it: File names it in errors; For is an alert's pending duration
// and Interval its group's evaluation interval (0: DefaultEvalInterval).
type Rule struct {
	Alert, Record, Expr, File string
	For, Interval             time.Duration
}

// RuleWindows returns the window of every alerting rule of rules that
// counts events over a range, shortest first (ties by name). Alerting
// rules over instant values only (a gauge above a threshold) have no
// window and are left out.
func RuleWindows(rules []Rule) ([]Window, error) {
	alerts, recorded, errs := parseRules(rules)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var out []Window
	at := map[string]int{} // an alert name defined twice keeps its shortest window
	for _, a := range alerts {
		d := shortestRange(a.expr, recorded, map[string]bool{})
		if d <= 0 {
			continue
		}
		if i, ok := at[a.r.Alert]; ok {
			out[i].Range = min(out[i].Range, d)
			continue
		}
		at[a.r.Alert] = len(out)
		out = append(out, Window{Alert: a.r.Alert, Range: d})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Range != out[j].Range {
			return out[i].Range < out[j].Range
		}
		return out[i].Alert < out[j].Alert
	})
	return out, nil
}

// countsEvents are the range functions whose value rests on what a
// counter counted in the window (requests, errors, tokens, cost):
// functions of a counter's increase. The *_over_time functions read
// samples, one per scrape at any speed, and are left out.
var countsEvents = map[string]bool{"rate": true, "irate": true, "increase": true, "resets": true}

// shortestRange is the smallest range of a counting function (see
// countsEvents) in expr or, through the names it selects, in the
// recording rules it reads; 0 when there is none. seen stops
// recording-rule cycles.
func shortestRange(expr parser.Expr, recorded map[string][]parser.Expr, seen map[string]bool) time.Duration {
	var best time.Duration
	keep := func(d time.Duration) {
		if d > 0 && (best == 0 || d < best) {
			best = d
		}
	}
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.Call:
			// Only functions that count what happened in the window read
			// requests: rate(errors_total[5m]). max_over_time(up[5m])
			// counts scrapes, which a drill makes at every speed.
			if countsEvents[n.Func.Name] {
				for _, a := range n.Args {
					if m, ok := a.(*parser.MatrixSelector); ok {
						keep(m.Range)
					}
				}
			}
		case *parser.VectorSelector:
			name := n.Name
			for _, m := range n.LabelMatchers {
				if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
			if name == "" || seen[name] {
				return nil
			}
			seen[name] = true
			for _, e := range recorded[name] {
				keep(shortestRange(e, recorded, seen))
			}
		}
		return nil
	})
	return best
}

// NoiseWindow is how long an alerting rule needs, from the start of a
// drill's data, before it can show noise: a rule that pages without any
// fault fills its longest range window, then holds for its `for`, and is
// seen within two evaluation intervals. A control window shorter than
// Need cannot show that rule's false alarms.
type NoiseWindow struct {
	Alert string
	// For is the rule's pending duration; Range the longest range its
	// expression reads (range selectors and subqueries, nested ranges
	// added, through the recording rules it selects; offsets are not
	// counted: no drill waits for a week-over-week comparison); Interval
	// its group's evaluation interval.
	For, Range, Interval time.Duration
}

// Need is For + Range + 2 × Interval.
func (n NoiseWindow) Need() time.Duration { return n.For + n.Range + 2*n.Interval }

// NoiseWindows returns the noise window of every alerting rule of rules,
// in their order (an alert defined twice appears twice).
func NoiseWindows(rules []Rule) ([]NoiseWindow, error) {
	alerts, recorded, errs := parseRules(rules)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]NoiseWindow, 0, len(alerts))
	for _, a := range alerts {
		itv := a.r.Interval
		if itv <= 0 {
			itv = DefaultEvalInterval
		}
		out = append(out, NoiseWindow{Alert: a.r.Alert, For: a.r.For, Range: longestRange(a.expr, recorded, map[string]bool{}), Interval: itv})
	}
	return out, nil
}

// longestRange is the longest span of data expr reads back from its
// evaluation: a range selector's range, a subquery's range plus what its
// expression reads, and through the names it selects, what the
// recording rules defining them read. onPath stops recording-rule cycles.
func longestRange(expr parser.Node, recorded map[string][]parser.Expr, onPath map[string]bool) time.Duration {
	switch n := expr.(type) {
	case *parser.MatrixSelector:
		return n.Range + longestRange(n.VectorSelector, recorded, onPath)
	case *parser.SubqueryExpr:
		return n.Range + longestRange(n.Expr, recorded, onPath)
	case *parser.VectorSelector:
		name := n.Name
		for _, m := range n.LabelMatchers {
			if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" || onPath[name] {
			return 0
		}
		onPath[name] = true
		defer delete(onPath, name)
		var best time.Duration
		for _, e := range recorded[name] {
			best = max(best, longestRange(e, recorded, onPath))
		}
		return best
	}
	var best time.Duration
	for _, c := range parser.Children(expr) {
		best = max(best, longestRange(c, recorded, onPath))
	}
	return best
}

// parsedRule is an alerting rule with its parsed expression.
type parsedRule struct {
	r    Rule
	expr parser.Expr
}

// parseRules parses every rule's expression: the alerting rules in their
// order, the expressions recording each name (a name may be recorded by
// several rules), and an error per rule that does not parse.
func parseRules(rules []Rule) (alerts []parsedRule, recorded map[string][]parser.Expr, errs []error) {
	recorded = map[string][]parser.Expr{}
	for _, r := range rules {
		expr, err := rulesParser.ParseExpr(r.Expr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: rule %s: %w", r.File, r.Alert+r.Record, err))
			continue
		}
		if r.Record != "" {
			recorded[r.Record] = append(recorded[r.Record], expr)
		} else {
			alerts = append(alerts, parsedRule{r, expr})
		}
	}
	return alerts, recorded, errs
}
