package alerting

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
)

// groupAccess is what one rule group's evaluation reads from and writes
// to the store, by metric name.
type groupAccess struct {
	writes      map[string]bool // recorded names; "ALERTS\xff"+alertname for alerting rules
	reads       map[string]bool // metric names its selectors fix
	readsAlerts bool            // selects ALERTS or ALERTS_FOR_STATE
	readsAny    bool            // a selector without a fixed name, or a template that may query
	hasAlerts   bool
}

// alertsKey is the write key of an alerting rule: its ALERTS and
// ALERTS_FOR_STATE series. Metric names cannot hold \xff, so it never
// equals a recorded name.
func alertsKey(name string) string { return "ALERTS\xff" + name }

func accessOf(g *rules.Group) *groupAccess {
	a := &groupAccess{writes: map[string]bool{}, reads: map[string]bool{}}
	for _, r := range g.Rules() {
		a.addReads(r.Query())
		switch r := r.(type) {
		case *rules.RecordingRule:
			a.writes[r.Name()] = true
			if n := r.Labels().Get(model.MetricNameLabel); n != "" {
				a.writes[n] = true
			}
		case *rules.AlertingRule:
			a.hasAlerts = true
			a.writes[alertsKey(r.Name())] = true
			// The template function query reads any series at all.
			for _, ls := range []labels.Labels{r.Labels(), r.Annotations()} {
				ls.Range(func(l labels.Label) {
					if strings.Contains(l.Value, "query") {
						a.readsAny = true
					}
				})
			}
		default:
			a.readsAny = true // a rule kind this code does not know: assume the worst
		}
	}
	return a
}

// addReads records the metric names expr selects. A selector whose name
// is not one fixed string (a regexp on __name__, or none) reads anything.
func (a *groupAccess) addReads(expr parser.Expr) {
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			name := ""
			for _, m := range n.LabelMatchers {
				if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
			switch name {
			case "":
				a.readsAny = true
			case SeriesAlerts, SeriesAlertsForState:
				a.readsAlerts = true
			default:
				a.reads[name] = true
			}
		case *parser.Call:
			if n.Func != nil && n.Func.Name == "info" { // selects target_info-like series implicitly
				a.readsAny = true
			}
		}
		return nil
	})
}

// conflicts reports whether the results of a and b could depend on which
// is evaluated first: one reads what the other writes, or both write the
// same series.
func conflicts(a, b *groupAccess) bool {
	if (a.readsAny && len(b.writes) > 0) || (b.readsAny && len(a.writes) > 0) {
		return true
	}
	if (a.readsAlerts && b.hasAlerts) || (b.readsAlerts && a.hasAlerts) {
		return true
	}
	for k := range a.writes {
		if b.writes[k] || b.reads[k] {
			return true
		}
	}
	for k := range b.writes {
		if a.reads[k] {
			return true
		}
	}
	return false
}

// groupLevels gives each group, in evaluation order, a level: a group's
// level is one more than that of every earlier group it conflicts with.
// Groups of one level are independent of each other, so evaluating the
// levels in order, the groups of a level concurrently, gives the results
// of evaluating every group in order (what promtool does), while using
// every core as Prometheus' own per-group goroutines do.
func groupLevels(groups []*rules.Group) []int {
	acc := make([]*groupAccess, len(groups))
	levels := make([]int, len(groups))
	for j, g := range groups {
		acc[j] = accessOf(g)
		for i := range j {
			if levels[i] >= levels[j] && conflicts(acc[i], acc[j]) {
				levels[j] = levels[i] + 1
			}
		}
	}
	return levels
}

// evalLevels evaluates groups at ts level by level, at most GOMAXPROCS
// groups at a time, and returns each group's rule errors in the groups'
// order. level gives each group's level.
func evalLevels(ctx context.Context, ts time.Time, groups []*rules.Group, level func(*rules.Group) int) [][]error {
	errs := make([][]error, len(groups))
	evalOne := func(i int) {
		g := groups[i]
		g.Eval(ctx, ts)
		for _, r := range g.Rules() {
			if err := r.LastError(); err != nil {
				errs[i] = append(errs[i], ruleError(r.Name(), ts, err))
			}
		}
	}
	byLevel := map[int][]int{}
	maxLevel := 0
	for i, g := range groups {
		l := level(g)
		byLevel[l] = append(byLevel[l], i)
		maxLevel = max(maxLevel, l)
	}
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 1))
	for l := 0; l <= maxLevel; l++ {
		idx := byLevel[l]
		if len(idx) == 1 {
			evalOne(idx[0])
			continue
		}
		var wg sync.WaitGroup
		for _, i := range idx {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				evalOne(i)
			})
		}
		wg.Wait()
	}
	return errs
}
