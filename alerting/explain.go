package alerting

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"

	"github.com/drillkit/drill/internal/textdist"
)

// Limits of a series check, so that a selector over a high-cardinality
// metric or a long recording-rule chain yields a bounded message.
const (
	// MaxListedValues is how many values of a label (or label names) a
	// check lists; the rest are counted.
	MaxListedValues = 10
	// MaxClosestNames is how many of the closest stored metric names a
	// check suggests for a metric with no series.
	MaxClosestNames = 3
	// MaxRecordingDepth is how deep a check follows recording rules that
	// recorded nothing into the selectors of their expressions.
	MaxRecordingDepth = 8
	// MaxReachSteps bounds the evaluations of a Reached range query, as
	// Prometheus bounds a range query's resolution (11,000 points): over
	// a longer range the step grows.
	MaxReachSteps = 11000
	// NearEdits is how many edits away a value or label name may be from
	// what an equality matcher asks for to be offered as the one likely
	// meant (MatcherCheck.Near): at most this many, and at most a third of
	// the asked-for value's length (at least one).
	NearEdits = 2
)

// NoSeries says why a selector matched no series.
type NoSeries string

// Why a selector matched no series.
const (
	// NoMetric: no stored series has the selector's metric name at all
	// (SelectorCheck.Closest are the nearest names that do).
	NoMetric NoSeries = "no-metric"
	// RecordedNothing: a recording rule of the team writes the metric
	// but recorded nothing (SelectorCheck.Because says why).
	RecordedNothing NoSeries = "recorded-nothing"
	// AlertInactive: an ALERTS or ALERTS_FOR_STATE selector of an alert
	// that was never pending or firing, so Prometheus wrote no such
	// series.
	AlertInactive NoSeries = "alert-inactive"
	// Excluded: the metric has series, and the selector's label matchers
	// exclude every one (SelectorCheck.Matchers say which and what the
	// series carry instead).
	Excluded NoSeries = "excluded"
)

// SelectorCheck is what one vector selector of a rule matched in the
// series stored over a time range.
type SelectorCheck struct {
	// Selector is the selector as PromQL prints it, without offset or @.
	Selector string `json:"selector"`
	// Metric is its fixed metric name; "" when it has none.
	Metric string `json:"metric,omitempty"`
	// Series is how many series it matched; 0 sets Reason.
	Series int      `json:"series"`
	Reason NoSeries `json:"reason,omitempty"`
	// Closest (NoMetric) are the stored metric names nearest to Metric.
	Closest []string `json:"closest,omitempty"`
	// Matchers (Excluded) are the label matchers that exclude every
	// series, each with the values the series carry instead. Empty when
	// each matcher alone matches some series and only their combination
	// matches none.
	Matchers []MatcherCheck `json:"matchers,omitempty"`
	// Because (RecordedNothing) are the checks of the selectors of the
	// recording rule's expression, followed at most MaxRecordingDepth
	// rules deep.
	Because []SelectorCheck `json:"because,omitempty"`
	// Alert (AlertInactive) is the alert whose ALERTS series it selects.
	Alert string `json:"alert,omitempty"`
}

// Matched reports whether the selector matched at least one series.
func (c SelectorCheck) Matched() bool { return c.Series > 0 }

// MatcherCheck is one label matcher that excludes every series of the
// metric that the selector's other matchers select (Among).
type MatcherCheck struct {
	Matcher string `json:"matcher"` // status=~"5.."
	Label   string `json:"label"`
	// Among is the selector of the series it was checked against: the
	// metric with the selector's other matchers.
	Among string `json:"among"`
	// Values are the label's values on those series, sorted, at most
	// MaxListedValues of them; More counts the rest.
	Values []string `json:"values,omitempty"`
	More   int      `json:"more,omitempty"`
	// Absent: none of those series carries the label; Labels are the
	// label names they carry instead (at most MaxListedValues).
	Absent bool     `json:"absent,omitempty"`
	Labels []string `json:"labels,omitempty"`
	// Near are the values (label names, when Absent) within two edits
	// of what an equality matcher asks for: likely the one meant.
	Near []string `json:"near,omitempty"`
}

// Reached is how close an alert's expression came to holding, when every
// selector of it matched series: the extreme value its expression
// without the final comparison reached, at the evaluation interval.
type Reached struct {
	// Expr is the expression without its final comparison; the whole
	// expression when it has none.
	Expr string `json:"expr"`
	// Op and Threshold are the final comparison (`> 0.2`); empty and nil
	// when the expression has none with a constant side.
	Op        string   `json:"op,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	// Value is the highest value Expr reached (the lowest, for < and
	// <=), at At on Series (its labels, when Expr returned several); nil
	// when it returned no number at any evaluation.
	Value  *float64  `json:"value,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Series string    `json:"series,omitempty"`
}

// RuleCheck is the series check of one alerting rule.
type RuleCheck struct {
	Expr      string          `json:"expr"`
	Selectors []SelectorCheck `json:"selectors"`
	// Reached is set when every selector matched series.
	Reached *Reached `json:"reached,omitempty"`
	// Unseen are counter series the rule reads through rate() or
	// increase() that appeared mid-drill already above zero, hiding their
	// first events from it (at most 3); set only with Reached.
	Unseen []Unseen `json:"unseen,omitempty"`
}

// Explanation says why an alert never went pending over a drill's time
// range: which selectors of its expression matched no series in what the
// engine scraped and recorded, and what those metrics carry instead; or,
// when every selector matched, how close the expression came to its
// threshold. String is the paragraph a step failure carries.
type Explanation struct {
	Alert string      `json:"alert"`
	From  time.Time   `json:"from"`
	To    time.Time   `json:"to"`
	Rules []RuleCheck `json:"rules"` // one per alerting rule of that name
}

// ExplainAlert checks every selector of the alerting rules named name
// against the series stored between from and to (drill time) and, where
// every selector matched, evaluates the expression without its final
// comparison at the engine's interval over that range.
func (e *Engine) ExplainAlert(ctx context.Context, name string, from, to time.Time) (Explanation, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return Explanation{}, ErrClosed
	}
	return e.core.explainAlert(ctx, name, from, to, e.interval)
}

// CheckSelectors checks every vector selector of expr, once each,
// against the series stored between from and to (drill time). A selector
// of a metric one of the loaded recording rules writes, or of the ALERTS
// of a loaded alerting rule, that matched nothing says so
// (RecordedNothing, AlertInactive) rather than blaming the metric.
func (e *Engine) CheckSelectors(ctx context.Context, expr string, from, to time.Time) ([]SelectorCheck, error) {
	x, err := rulesParser.ParseExpr(expr)
	if err != nil {
		return nil, fmt.Errorf("alerting: %q: %w", expr, err)
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	sc, err := e.core.newSeriesCheck(ctx, from, to)
	if err != nil {
		return nil, err
	}
	defer sc.close()
	return sc.checkExpr(x, 0, map[string]bool{})
}

func (c *core) explainAlert(ctx context.Context, name string, from, to time.Time, step time.Duration) (Explanation, error) {
	var exprs []parser.Expr
	for _, g := range c.groups {
		for _, ar := range g.AlertingRules() {
			if ar.Name() == name {
				exprs = append(exprs, ar.Query())
			}
		}
	}
	if len(exprs) == 0 {
		return Explanation{}, fmt.Errorf("alerting: no alerting rule named %q", name)
	}
	if to.Before(from) {
		from, to = to, from
	}
	sc, err := c.newSeriesCheck(ctx, from, to)
	if err != nil {
		return Explanation{}, err
	}
	defer sc.close()
	out := Explanation{Alert: name, From: from, To: to}
	for _, x := range exprs {
		checks, err := sc.checkExpr(x, 0, map[string]bool{})
		if err != nil {
			return Explanation{}, err
		}
		rc := RuleCheck{Expr: x.String(), Selectors: checks}
		if allMatched(checks) {
			r, err := c.reached(ctx, x, from, to, step)
			if err != nil {
				return Explanation{}, err
			}
			rc.Reached = &r
			grace := step
			if grace <= 0 {
				grace = DefaultEvalInterval
			}
			if rc.Unseen, err = sc.unseen(x, 2*grace); err != nil {
				return Explanation{}, err
			}
		}
		out.Rules = append(out.Rules, rc)
	}
	return out, nil
}

func allMatched(checks []SelectorCheck) bool {
	for _, c := range checks {
		if !c.Matched() {
			return false
		}
	}
	return true
}

// seriesCheck reads which series exist over one time range.
type seriesCheck struct {
	ctx      context.Context
	q        storage.Querier
	mint     int64
	maxt     int64
	recorded map[string][]parser.Expr // recording rules by the metric they write
	alerts   map[string]bool          // alerting rule names
	names    []string                 // every stored metric name, read once
	haveName bool
}

func (c *core) newSeriesCheck(ctx context.Context, from, to time.Time) (*seriesCheck, error) {
	mint, maxt := from.UnixMilli(), to.UnixMilli()
	if maxt < mint {
		mint, maxt = maxt, mint
	}
	q, err := c.db.Querier(mint, maxt)
	if err != nil {
		return nil, fmt.Errorf("alerting: reading the stored series: %w", err)
	}
	sc := &seriesCheck{ctx: ctx, q: q, mint: mint, maxt: maxt, recorded: map[string][]parser.Expr{}, alerts: map[string]bool{}}
	for _, g := range c.groups {
		for _, r := range g.Rules() {
			switch r := r.(type) {
			case *rules.RecordingRule:
				sc.recorded[r.Name()] = append(sc.recorded[r.Name()], r.Query())
			case *rules.AlertingRule:
				sc.alerts[r.Name()] = true
			}
		}
	}
	return sc, nil
}

func (sc *seriesCheck) close() { _ = sc.q.Close() }

// count is the number of series ms select.
func (sc *seriesCheck) count(ms []*labels.Matcher) (int, error) {
	if err := sc.ctx.Err(); err != nil {
		return 0, err
	}
	set := sc.q.Select(sc.ctx, false, &storage.SelectHints{Start: sc.mint, End: sc.maxt, Func: "series"}, ms...)
	n := 0
	for set.Next() {
		n++
	}
	if err := set.Err(); err != nil {
		return 0, fmt.Errorf("alerting: selecting %s: %w", matchersString(ms), err)
	}
	return n, nil
}

func (sc *seriesCheck) labelValues(name string, ms []*labels.Matcher) ([]string, error) {
	vs, _, err := sc.q.LabelValues(sc.ctx, name, nil, ms...)
	if err != nil {
		return nil, fmt.Errorf("alerting: reading the values of %s: %w", name, err)
	}
	return slices.DeleteFunc(vs, func(v string) bool { return v == "" }), nil
}

func (sc *seriesCheck) labelNames(ms []*labels.Matcher) ([]string, error) {
	ns, _, err := sc.q.LabelNames(sc.ctx, nil, ms...)
	if err != nil {
		return nil, fmt.Errorf("alerting: reading label names: %w", err)
	}
	return slices.DeleteFunc(ns, func(n string) bool { return n == model.MetricNameLabel }), nil
}

func (sc *seriesCheck) metricNames() ([]string, error) {
	if !sc.haveName {
		ns, err := sc.labelValues(model.MetricNameLabel, nil)
		if err != nil {
			return nil, err
		}
		sc.names, sc.haveName = ns, true
	}
	return sc.names, nil
}

// checkExpr checks the selectors of x, each once, in order. depth and
// seen bound and stop recursion through recording rules.
func (sc *seriesCheck) checkExpr(x parser.Expr, depth int, seen map[string]bool) ([]SelectorCheck, error) {
	var out []SelectorCheck
	done := map[string]bool{}
	for _, vs := range selectorsOf(x) {
		s := vs.String()
		if done[s] {
			continue
		}
		done[s] = true
		c, err := sc.checkSelector(vs, depth, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (sc *seriesCheck) checkSelector(vs *parser.VectorSelector, depth int, seen map[string]bool) (SelectorCheck, error) {
	name := metricName(vs)
	out := SelectorCheck{Selector: vs.String(), Metric: name}
	n, err := sc.count(vs.LabelMatchers)
	if err != nil {
		return out, err
	}
	if out.Series = n; n > 0 {
		return out, nil
	}
	var nameM *labels.Matcher
	var rest []*labels.Matcher
	for _, m := range vs.LabelMatchers {
		if name != "" && nameM == nil && m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual && m.Value == name {
			nameM = m
			continue
		}
		rest = append(rest, m)
	}
	if name == SeriesAlerts || name == SeriesAlertsForState {
		if a := equalValue(rest, "alertname"); a != "" && sc.alerts[a] {
			// Prometheus writes a rule's ALERTS only while it is active.
			n, err := sc.count([]*labels.Matcher{nameM, labels.MustNewMatcher(labels.MatchEqual, "alertname", a)})
			if err != nil {
				return out, err
			}
			if n == 0 {
				out.Reason, out.Alert = AlertInactive, a
				return out, nil
			}
		}
	}
	if name != "" {
		total, err := sc.count([]*labels.Matcher{nameM})
		if err != nil {
			return out, err
		}
		if total == 0 {
			return sc.noMetric(out, depth, seen)
		}
	}
	out.Reason = Excluded
	var base []*labels.Matcher
	if nameM != nil {
		base = []*labels.Matcher{nameM}
	}
	for i, m := range rest {
		among := append(append(slices.Clone(base), rest[:i]...), rest[i+1:]...)
		if len(among) == 0 {
			continue
		}
		n, err := sc.count(among)
		if err != nil {
			return out, err
		}
		if n == 0 {
			continue // another matcher excludes everything already
		}
		mc, err := sc.matcherCheck(m, among)
		if err != nil {
			return out, err
		}
		out.Matchers = append(out.Matchers, mc)
	}
	if len(out.Matchers) == 0 && len(base) > 0 {
		// Several matchers exclude everything: judge each against the
		// whole metric.
		for _, m := range rest {
			n, err := sc.count(append(slices.Clone(base), m))
			if err != nil {
				return out, err
			}
			if n > 0 {
				continue
			}
			mc, err := sc.matcherCheck(m, base)
			if err != nil {
				return out, err
			}
			out.Matchers = append(out.Matchers, mc)
		}
	}
	return out, nil
}

// noMetric explains a selector whose metric name has no series: a
// recording rule's output that recorded nothing (with why, recursively),
// else a name nothing exposed, with the nearest names stored.
func (sc *seriesCheck) noMetric(out SelectorCheck, depth int, seen map[string]bool) (SelectorCheck, error) {
	if defs, ok := sc.recorded[out.Metric]; ok {
		out.Reason = RecordedNothing
		if depth >= MaxRecordingDepth || seen[out.Metric] {
			return out, nil
		}
		seen[out.Metric] = true
		defer delete(seen, out.Metric)
		for _, d := range defs {
			because, err := sc.checkExpr(d, depth+1, seen)
			if err != nil {
				return out, err
			}
			out.Because = append(out.Because, because...)
		}
		return out, nil
	}
	out.Reason = NoMetric
	names, err := sc.metricNames()
	if err != nil {
		return out, err
	}
	if len(names) > 0 {
		out.Closest = textdist.Closest(out.Metric, names, MaxClosestNames)
	}
	return out, nil
}

// matcherCheck describes m, which excludes every series among selects.
func (sc *seriesCheck) matcherCheck(m *labels.Matcher, among []*labels.Matcher) (MatcherCheck, error) {
	mc := MatcherCheck{Matcher: m.String(), Label: m.Name, Among: matchersString(among)}
	values, err := sc.labelValues(m.Name, among)
	if err != nil {
		return mc, err
	}
	if len(values) == 0 {
		mc.Absent = true
		names, err := sc.labelNames(among)
		if err != nil {
			return mc, err
		}
		if m.Type == labels.MatchEqual || m.Type == labels.MatchRegexp {
			mc.Near = near(m.Name, names)
		}
		mc.Labels, _ = listed(names)
		return mc, nil
	}
	if m.Type == labels.MatchEqual {
		mc.Near = near(m.Value, values)
	}
	mc.Values, mc.More = listed(values)
	return mc, nil
}

// near are the candidates within NearEdits edits of want (fewer for a
// short want: at most a third of its length, at least one), ignoring
// case, and not want itself.
func near(want string, candidates []string) []string {
	var out []string
	w := []byte(strings.ToLower(want))
	limit := max(1, min(NearEdits, len(w)/3))
	for _, c := range candidates {
		if c != want && textdist.Levenshtein(w, []byte(strings.ToLower(c))) <= limit {
			out = append(out, c)
		}
	}
	return out
}

func listed(vs []string) ([]string, int) {
	vs = slices.Clone(vs)
	slices.Sort(vs)
	if len(vs) > MaxListedValues {
		return vs[:MaxListedValues], len(vs) - MaxListedValues
	}
	return vs, 0
}

func equalValue(ms []*labels.Matcher, name string) string {
	for _, m := range ms {
		if m.Name == name && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// matchersString prints matchers as a selector: name{a="b"}.
func matchersString(ms []*labels.Matcher) string {
	return (&parser.VectorSelector{Name: metricName(&parser.VectorSelector{LabelMatchers: ms}), LabelMatchers: ms}).String()
}

// selectorsOf are the vector selectors of x (those under range
// selectors and subqueries included), without offset or @.
func selectorsOf(x parser.Expr) []*parser.VectorSelector {
	vs := selectors(x)
	for i, v := range vs {
		vs[i] = bare(v)
	}
	return vs
}

// splitThreshold splits an alert expression at its top-level comparison
// with a constant side: `x > 0.2` and `0.2 < x` both give x, >, 0.2.
// ok is false for any other shape (no comparison, a comparison with
// bool, or of two vectors).
func splitThreshold(x parser.Expr) (lhs parser.Expr, op parser.ItemType, threshold parser.Expr, ok bool) {
	x = unparen(x)
	b, isBin := x.(*parser.BinaryExpr)
	if !isBin || !b.Op.IsComparisonOperator() || b.ReturnBool {
		return nil, 0, nil, false
	}
	switch {
	case constant(b.RHS) && !constant(b.LHS):
		return b.LHS, b.Op, b.RHS, true
	case constant(b.LHS) && !constant(b.RHS):
		return b.RHS, flip(b.Op), b.LHS, true
	}
	return nil, 0, nil, false
}

// reached evaluates x without its final comparison over [from, to] at
// step and keeps the value nearest to holding: the highest for > and >=,
// the lowest for < and <=, the highest for other shapes.
func (c *core) reached(ctx context.Context, x parser.Expr, from, to time.Time, step time.Duration) (Reached, error) {
	lhs, op, thr, split := splitThreshold(x)
	r := Reached{Expr: x.String()}
	if split {
		r.Expr, r.Op = lhs.String(), op.String()
		v, err := c.query(ctx, thr.String(), to)
		if err != nil {
			return r, fmt.Errorf("alerting: evaluating the threshold %s: %w", thr, err)
		}
		if len(v) == 1 {
			r.Threshold = &v[0].F
		}
	} else {
		lhs = x
	}
	if step <= 0 {
		step = DefaultEvalInterval
	}
	if n := to.Sub(from) / step; n > MaxReachSteps {
		step = to.Sub(from) / MaxReachSteps
	}
	q, err := c.qe.NewRangeQuery(ctx, untrimmed{c.db}, nil, lhs.String(), from, to, step)
	if err != nil {
		return r, fmt.Errorf("alerting: evaluating %s: %w", lhs, err)
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return r, fmt.Errorf("alerting: evaluating %s: %w", lhs, res.Err)
	}
	lowest := op == parser.LSS || op == parser.LTE
	var series []promql.Series
	switch v := res.Value.(type) {
	case promql.Matrix:
		series = v
	default:
		return r, fmt.Errorf("alerting: evaluating %s: got a %s", lhs, res.Value.Type())
	}
	var best *float64
	for _, s := range series {
		for _, p := range s.Floats {
			if math.IsNaN(p.F) {
				continue
			}
			if best == nil || (lowest && p.F < *best) || (!lowest && p.F > *best) {
				f := p.F
				best, r.At = &f, time.UnixMilli(p.T).In(from.Location())
				r.Series = ""
				if len(series) > 1 {
					r.Series = s.Metric.String()
				}
			}
		}
	}
	r.Value = best
	return r, nil
}

// The paragraph.

// String is one paragraph: for each rule, the selectors that matched no
// series and why, or how close the expression came to its threshold.
func (x Explanation) String() string {
	var parts []string
	for i, r := range x.Rules {
		p := r.String()
		if len(x.Rules) > 1 {
			p = fmt.Sprintf("rule %d of %d (%s): %s", i+1, len(x.Rules), clip(r.Expr), p)
		}
		parts = append(parts, p)
	}
	span := ""
	if !x.From.IsZero() {
		span = fmt.Sprintf(" (drill scraped from %s to %s)", x.From.Format(time.TimeOnly), x.To.Format(time.TimeOnly))
	}
	return strings.Join(parts, "; ") + span
}

// String says what kept one rule from holding.
func (r RuleCheck) String() string {
	var missing []string
	for _, c := range r.Selectors {
		if !c.Matched() {
			missing = append(missing, c.String())
		}
	}
	if len(missing) > 0 {
		return strings.Join(missing, "; ")
	}
	matched := make([]string, 0, len(r.Selectors))
	for _, c := range r.Selectors {
		matched = append(matched, fmt.Sprintf("%s: %d", c.Selector, c.Series))
	}
	every := "every selector matched series (" + strings.Join(matched, ", ") + ")"
	if len(r.Selectors) == 0 {
		every = "it selects no series"
	}
	if r.Reached == nil {
		return every
	}
	if len(r.Unseen) > 0 {
		return every + ", but " + r.Reached.String() + "; " + unseenString(r.Unseen)
	}
	return every + ", but " + r.Reached.String()
}

// String says how close the expression came to holding.
func (r Reached) String() string {
	expr := clip(r.Expr)
	if r.Value == nil {
		return expr + " returned no number at any evaluation (no sample, or only NaN)"
	}
	where := " at " + r.At.Format(time.TimeOnly)
	if r.Series != "" {
		where += " on " + r.Series
	}
	if r.Op == "" || r.Threshold == nil {
		return fmt.Sprintf("%s reached at most %s (%s) and the expression never returned a sample", expr, formatValue(*r.Value), strings.TrimPrefix(where, " "))
	}
	extreme := "at most"
	if r.Op == "<" || r.Op == "<=" {
		extreme = "at least"
	}
	return fmt.Sprintf("%s reached %s %s (%s), never %s its threshold %s", expr, extreme, formatValue(*r.Value),
		strings.TrimPrefix(where, " "), opWordsOf(r.Op), formatValue(*r.Threshold))
}

// String says what one selector matched, and why nothing when nothing.
func (c SelectorCheck) String() string {
	if c.Matched() {
		return fmt.Sprintf("%s matched %d series", c.Selector, c.Series)
	}
	head := c.Selector + " matched no series"
	switch c.Reason {
	case NoMetric:
		if len(c.Closest) == 0 {
			return head + ": nothing was scraped at all"
		}
		return fmt.Sprintf("%s: no metric named %s was scraped (closest: %s)", head, c.Metric, strings.Join(c.Closest, ", "))
	case RecordedNothing:
		why := ""
		var missing []string
		for _, b := range c.Because {
			if !b.Matched() {
				missing = append(missing, b.String())
			}
		}
		switch {
		case len(missing) > 0:
			why = ", because " + strings.Join(missing, "; ")
		case len(c.Because) > 0:
			why = ", though every selector of its expression matched series"
		}
		return fmt.Sprintf("%s: the recording rule %s recorded nothing%s", head, c.Metric, why)
	case AlertInactive:
		return fmt.Sprintf("%s: alert %s was never pending or firing, and Prometheus writes its %s series only while it is", head, c.Alert, c.Metric)
	case Excluded:
		if len(c.Matchers) == 0 {
			if c.Metric == "" {
				return head
			}
			return head + ": each of its label matchers matches some series, but no series matches them all"
		}
		var ms []string
		for _, m := range c.Matchers {
			ms = append(ms, m.String())
		}
		return head + ": " + strings.Join(ms, "; ")
	}
	return head
}

// String says what the series carry instead of what m asks for.
func (m MatcherCheck) String() string {
	if m.Absent {
		s := fmt.Sprintf("no series of %s has the label %s", m.Among, m.Label)
		if len(m.Labels) > 0 {
			s += " (its labels: " + strings.Join(m.Labels, ", ") + ")"
		}
		if len(m.Near) > 0 {
			s += "; did you mean " + quoteAll(m.Near) + "?"
		}
		return s
	}
	vals := strings.Join(m.Values, ", ")
	if m.More > 0 {
		vals += fmt.Sprintf(" and %d more", m.More)
	}
	s := fmt.Sprintf("%s carries %s = %s, none matching %s", m.Among, m.Label, vals, m.Matcher)
	if len(m.Near) > 0 {
		s += "; did you mean " + quoteAll(m.Near) + "?"
	}
	return s
}

// opWordsOf reads a comparison operator as words: ">" is "above".
func opWordsOf(op string) string {
	for k, w := range opWords {
		if k.String() == op {
			return w
		}
	}
	return op
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " or ")
}
