package alerting

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
)

// Health is what a condition reads on the drill's data at one instant.
type Health int

// The readings of a condition. An alert that resolves is not by itself
// evidence of health: its expression also goes empty when the series it
// reads vanish (the service died, its /metrics fails) or when a window
// holds too few samples to compute a rate. Only Good is.
const (
	// NoData: nothing to judge by. The expression returned no sample
	// (or only NaN), a selector has no fresh sample, or a target whose
	// series the condition reads fails its scrapes.
	NoData Health = iota
	// Bad: the data reads bad: an alert's condition still holds, or a
	// condition a step waits for is false.
	Bad
	// Good: the data reads good: an alert's expression without its
	// final comparison returns values on the good side of the threshold
	// (or, for an expression without that shape, every selector has
	// fresh samples), or a condition returns a sample.
	Good
)

func (h Health) String() string {
	switch h {
	case Good:
		return "good"
	case Bad:
		return "bad"
	}
	return "no data"
}

// Reading is a condition's health at one drill instant, with what it
// was read from ("gateway:cost_usd_per_minute is 0.3, still above its
// threshold 0.1"; "no data: ...").
type Reading struct {
	Health Health
	Detail string
}

// ReadAlert reads the condition of the alerting rule named name on the
// data at drill time t:
//
//   - when a target whose series the rule reads (through the recording
//     rules it selects) failed its scrape at t, the reading is NoData:
//     its series vanished, and an alert reading nothing is not healthy;
//   - an expression whose top is a comparison with a threshold
//     (`expr > 0.1`, `0.1 < expr`) is read by evaluating `expr` and
//     comparing each sample: Good when every sample is on the good side,
//     Bad when one is on the alert's side, NoData when there is no
//     sample or only NaN;
//   - a comparison of two vectors is read in its `bool` form;
//   - `A and B` and `A unless B` read A (the right side only filters);
//     `A or B` reads both, and is only as good as the worse;
//   - any other expression (absent(x), a bare rate) is Good when every
//     selector in it has a fresh sample at t, else NoData.
//
// Several rules of one name are read together: the worst reading wins.
func (e *Engine) ReadAlert(ctx context.Context, name string, t time.Time) (Reading, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Reading{}, ErrClosed
	}
	var exprs []parser.Expr
	for _, g := range e.core.groups {
		for _, ar := range g.AlertingRules() {
			if ar.Name() == name {
				exprs = append(exprs, ar.Query())
			}
		}
	}
	if len(exprs) == 0 {
		return Reading{}, fmt.Errorf("alerting: no alerting rule named %q", name)
	}
	var out Reading
	for i, x := range exprs {
		r, err := e.scrapesOK(ctx, x, t)
		if err == nil && r.Health == Good {
			r, err = e.readAlertExpr(ctx, x, t)
		}
		if err != nil {
			return Reading{}, err
		}
		if i == 0 || worse(r, out) {
			out = r
		}
	}
	return out, nil
}

// ReadCondition reads a PromQL condition at drill time t as a step that
// waits for it does: Good when it returns a sample (as an alert
// expression is true when it does) and no target whose series it reads
// failed its scrape at t; NoData when such a target failed, or when it
// returns nothing and one of its selectors has no fresh sample; Bad
// (false) when it returns nothing on fresh data.
func (e *Engine) ReadCondition(ctx context.Context, expr string, t time.Time) (Reading, error) {
	x, err := rulesParser.ParseExpr(expr)
	if err != nil {
		return Reading{}, fmt.Errorf("alerting: condition %q: %w", expr, err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Reading{}, ErrClosed
	}
	if r, err := e.scrapesOK(ctx, x, t); err != nil || r.Health != Good {
		return r, err
	}
	vec, err := e.queryExpr(ctx, x, t)
	if err != nil {
		return Reading{}, err
	}
	if len(vec) > 0 {
		return Reading{Health: Good, Detail: fmt.Sprintf("%s returns %s", clip(expr), formatValue(vec[0].F))}, nil
	}
	fresh, err := e.readFresh(ctx, x, t)
	if err != nil || fresh.Health != Good {
		return fresh, err
	}
	return Reading{Health: Bad, Detail: fmt.Sprintf("%s returns no sample: it is false", clip(expr))}, nil
}

// worse reports whether a is a worse reading than b: Bad, then NoData,
// then Good.
func worse(a, b Reading) bool {
	rank := map[Health]int{Bad: 0, NoData: 1, Good: 2}
	return rank[a.Health] < rank[b.Health]
}

func (e *Engine) readAlertExpr(ctx context.Context, x parser.Expr, t time.Time) (Reading, error) {
	x = unparen(x)
	if b, ok := x.(*parser.BinaryExpr); ok {
		switch {
		case b.Op.IsComparisonOperator() && !b.ReturnBool:
			return e.readComparison(ctx, b, t)
		case b.Op == parser.LAND || b.Op == parser.LUNLESS:
			return e.readAlertExpr(ctx, b.LHS, t)
		case b.Op == parser.LOR:
			l, err := e.readAlertExpr(ctx, b.LHS, t)
			if err != nil {
				return Reading{}, err
			}
			r, err := e.readAlertExpr(ctx, b.RHS, t)
			if err != nil {
				return Reading{}, err
			}
			if worse(r, l) {
				return r, nil
			}
			return l, nil
		}
	}
	return e.readFresh(ctx, x, t)
}

// readComparison reads `lhs OP rhs`. With a threshold on one side, the
// other side is evaluated and each sample compared; otherwise the `bool`
// form says, per matched pair, whether the condition holds.
func (e *Engine) readComparison(ctx context.Context, b *parser.BinaryExpr, t time.Time) (Reading, error) {
	lhs, rhs, op := b.LHS, b.RHS, b.Op
	if constant(lhs) && !constant(rhs) {
		lhs, rhs, op = rhs, lhs, flip(op)
	}
	if !constant(rhs) {
		return e.readVectorComparison(ctx, b, t)
	}
	thr, err := e.queryExpr(ctx, rhs, t)
	if err != nil {
		return Reading{}, err
	}
	if len(thr) != 1 || math.IsNaN(thr[0].F) {
		return Reading{Health: NoData, Detail: fmt.Sprintf("no data: the threshold %s has no value", clip(rhs.String()))}, nil
	}
	threshold := thr[0].F
	vec, err := e.queryExpr(ctx, lhs, t)
	if err != nil {
		return Reading{}, err
	}
	name := clip(unparen(lhs).String())
	if len(vec) == 0 {
		return Reading{Health: NoData, Detail: fmt.Sprintf("no data: %s returns no sample", name)}, nil
	}
	var good *promql.Sample
	for i := range vec {
		s := &vec[i]
		if math.IsNaN(s.F) {
			continue
		}
		if holds(op, s.F, threshold) {
			return Reading{Health: Bad, Detail: fmt.Sprintf("%s is %s%s, still %s its threshold %s",
				name, formatValue(s.F), seriesNote(s.Metric, len(vec)), opWords[op], formatValue(threshold))}, nil
		}
		if good == nil {
			good = s
		}
	}
	if good == nil {
		return Reading{Health: NoData, Detail: fmt.Sprintf("no data: %s is NaN (nothing to divide in its window)", name)}, nil
	}
	return Reading{Health: Good, Detail: fmt.Sprintf("%s is %s%s, no longer %s its threshold %s",
		name, formatValue(good.F), seriesNote(good.Metric, len(vec)), opWords[op], formatValue(threshold))}, nil
}

func (e *Engine) readVectorComparison(ctx context.Context, b *parser.BinaryExpr, t time.Time) (Reading, error) {
	lhs, err := e.queryExpr(ctx, b.LHS, t)
	if err != nil {
		return Reading{}, err
	}
	numbers := 0
	for _, s := range lhs {
		if !math.IsNaN(s.F) {
			numbers++
		}
	}
	name := clip(b.String())
	if numbers == 0 {
		return Reading{Health: NoData, Detail: fmt.Sprintf("no data: %s has no value on its left side", name)}, nil
	}
	asBool := *b
	asBool.ReturnBool = true
	vec, err := e.queryExpr(ctx, &asBool, t)
	if err != nil {
		return Reading{}, err
	}
	if len(vec) == 0 {
		return Reading{Health: NoData, Detail: fmt.Sprintf("no data: %s matches no pair of samples", name)}, nil
	}
	bad := 0
	for _, s := range vec {
		if s.F == 1 {
			bad++
		}
	}
	if bad > 0 {
		return Reading{Health: Bad, Detail: fmt.Sprintf("%s still holds for %d of %d series", name, bad, len(vec))}, nil
	}
	return Reading{Health: Good, Detail: fmt.Sprintf("%s is false on all %d series", name, len(vec))}, nil
}

// readFresh is Good when every selector of x has a fresh sample at t
// (an instant selection: not stale, within the lookback), else NoData.
func (e *Engine) readFresh(ctx context.Context, x parser.Expr, t time.Time) (Reading, error) {
	var names []string
	for _, vs := range selectors(x) {
		vec, err := e.queryExpr(ctx, bare(vs), t)
		if err != nil {
			return Reading{}, err
		}
		if len(vec) == 0 {
			return Reading{Health: NoData, Detail: fmt.Sprintf("no data: %s has no fresh sample", bare(vs))}, nil
		}
		names = append(names, bare(vs).String())
	}
	if len(names) == 0 {
		return Reading{Health: NoData, Detail: fmt.Sprintf("no data: %s reads no series", clip(x.String()))}, nil
	}
	return Reading{Health: Good, Detail: "fresh samples of " + clip(strings.Join(names, ", "))}, nil
}

// scrapesOK is NoData when a target that exposed series x reads (through
// the recording rules it selects) failed its scrape at t, else Good.
func (e *Engine) scrapesOK(ctx context.Context, x parser.Expr, t time.Time) (Reading, error) {
	if e.firstTick.IsZero() || !t.After(e.firstTick) {
		return Reading{Health: Good}, nil
	}
	span := model.Duration(t.Sub(e.firstTick) + time.Millisecond)
	jobs := map[string]bool{}
	for _, vs := range e.baseSelectors(x) {
		q := fmt.Sprintf("group by (job) (last_over_time(%s[%s]))", bare(vs), span)
		vec, err := e.core.query(ctx, q, t)
		if err != nil {
			return Reading{}, fmt.Errorf("alerting: finding the targets of %s: %w", bare(vs), err)
		}
		for _, s := range vec {
			jobs[s.Metric.Get("job")] = true
		}
	}
	for _, st := range e.targets {
		if !jobs[st.Name] {
			continue
		}
		vec, err := e.core.query(ctx, "up{job="+strconv.Quote(st.Name)+"}", t)
		if err != nil {
			return Reading{}, err
		}
		for _, s := range vec {
			if s.F == 0 {
				since := ""
				if !st.failingSince.IsZero() && !st.failingSince.After(t) {
					since = " since " + st.failingSince.UTC().Format(time.TimeOnly)
				}
				return Reading{Health: NoData, Detail: fmt.Sprintf("no data: scraping %s (job %s) fails%s, so the series it exposes are gone", st.URL, st.Name, since)}, nil
			}
		}
	}
	return Reading{Health: Good}, nil
}

// baseSelectors are the selectors of x with the recording rules it
// selects replaced by the selectors of their expressions, recursively:
// the scraped series x rests on.
func (e *Engine) baseSelectors(x parser.Expr) []*parser.VectorSelector {
	recorded := map[string][]parser.Expr{}
	for _, g := range e.core.groups {
		for _, r := range g.Rules() {
			if rr, ok := r.(*rules.RecordingRule); ok {
				recorded[rr.Name()] = append(recorded[rr.Name()], rr.Query())
			}
		}
	}
	var out []*parser.VectorSelector
	seen := map[string]bool{}
	var walk func(parser.Expr)
	walk = func(x parser.Expr) {
		for _, vs := range selectors(x) {
			name := metricName(vs)
			if defs, ok := recorded[name]; ok && name != "" {
				if !seen[name] {
					seen[name] = true
					for _, d := range defs {
						walk(d)
					}
				}
				continue
			}
			out = append(out, vs)
		}
	}
	walk(x)
	return out
}

// selectors are the vector selectors of x, those under range selectors
// included.
func selectors(x parser.Expr) []*parser.VectorSelector {
	var out []*parser.VectorSelector
	parser.Inspect(x, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, vs)
		}
		return nil
	})
	return out
}

// bare is a selector's metric name and matchers, without offset or @.
func bare(vs *parser.VectorSelector) *parser.VectorSelector {
	return &parser.VectorSelector{Name: vs.Name, LabelMatchers: vs.LabelMatchers}
}

func metricName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

func unparen(x parser.Expr) parser.Expr {
	for {
		p, ok := x.(*parser.ParenExpr)
		if !ok {
			return x
		}
		x = p.Expr
	}
}

// constant reports whether x is a scalar that reads no series: a
// threshold.
func constant(x parser.Expr) bool {
	if x.Type() != parser.ValueTypeScalar {
		return false
	}
	reads := false
	parser.Inspect(x, func(n parser.Node, _ []parser.Node) error {
		switch n.(type) {
		case *parser.VectorSelector, *parser.MatrixSelector:
			reads = true
		}
		return nil
	})
	return !reads
}

// flip turns `c OP x` into `x flip(OP) c`.
func flip(op parser.ItemType) parser.ItemType {
	switch op {
	case parser.GTR:
		return parser.LSS
	case parser.LSS:
		return parser.GTR
	case parser.GTE:
		return parser.LTE
	case parser.LTE:
		return parser.GTE
	}
	return op // == and != are symmetric
}

// holds reports whether v OP threshold: the alert's side.
func holds(op parser.ItemType, v, threshold float64) bool {
	switch op {
	case parser.GTR:
		return v > threshold
	case parser.LSS:
		return v < threshold
	case parser.GTE:
		return v >= threshold
	case parser.LTE:
		return v <= threshold
	case parser.EQLC:
		return v == threshold
	case parser.NEQ:
		return v != threshold
	}
	return false
}

var opWords = map[parser.ItemType]string{
	parser.GTR: "above", parser.LSS: "below", parser.GTE: "at or above", parser.LTE: "at or below",
	parser.EQLC: "equal to", parser.NEQ: "different from",
}

// queryExpr evaluates a parsed expression at t. The caller holds e.mu.
func (e *Engine) queryExpr(ctx context.Context, x parser.Expr, t time.Time) (promql.Vector, error) {
	vec, err := e.core.query(ctx, x.String(), t)
	if err != nil {
		return nil, fmt.Errorf("alerting: reading %s: %w", clip(x.String()), err)
	}
	return vec, nil
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// seriesNote names the series of a sample when there were several.
func seriesNote(m labels.Labels, n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf(" on %s (%d series)", m.String(), n)
}

// clip shortens a long expression for a message.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
