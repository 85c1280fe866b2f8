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

// Rule is an alerting or recording rule as RuleWindows reads it: File
// names it in errors.
type Rule struct {
	Alert, Record, Expr, File string
}

// RuleWindows returns the window of every alerting rule of rules that
// counts events over a range, shortest first (ties by name). Alerting
// rules over instant values only (a gauge above a threshold) have no
// window and are left out.
func RuleWindows(rules []Rule) ([]Window, error) {
	type alert struct {
		name string
		expr parser.Expr
	}
	var alerts []alert
	recorded := map[string][]parser.Expr{} // a name may be recorded by several rules
	var errs []error
	for _, r := range rules {
		expr, err := rulesParser.ParseExpr(r.Expr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: rule %s: %w", r.File, r.Alert+r.Record, err))
			continue
		}
		if r.Record != "" {
			recorded[r.Record] = append(recorded[r.Record], expr)
		} else {
			alerts = append(alerts, alert{r.Alert, expr})
		}
	}
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
		if i, ok := at[a.name]; ok {
			out[i].Range = min(out[i].Range, d)
			continue
		}
		at[a.name] = len(out)
		out = append(out, Window{Alert: a.name, Range: d})
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
