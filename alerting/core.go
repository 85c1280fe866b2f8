package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/drillkit/drill/internal/tempdir"
	"github.com/drillkit/drill/timeline"
)

// Alert is one active alert instance of an alerting rule.
type Alert struct {
	Name        string            // alertname
	State       string            // "pending" or "firing"
	Labels      map[string]string // identifying labels, alertname included
	Annotations map[string]string // rendered annotations
	Value       float64           // the expression's value at the last evaluation
	ActiveAt    time.Time         // drill time the condition first held
	FiredAt     time.Time         // drill time it started firing; zero while pending
}

// Transition is one alert state change observed at an evaluation.
type Transition struct {
	At    time.Time
	Kind  timeline.Kind // AlertPending, AlertFiring or AlertResolved
	Alert Alert         // the alert as last seen (for a resolution: before it ended)
}

// rulesParser parses rule expressions as promtool does without feature
// flags, so a rule that promtool rejects is rejected here too.
var rulesParser = parser.NewParser(parser.Options{})

// seriesParser parses promtool's input_series notation; promtool loads
// series through promqltest, which uses these options.
var seriesParser = parser.NewParser(parser.Options{
	EnableExperimentalFunctions: true,
	EnableBinopFillModifiers:    true,
	EnableUnquotedUTF8Names:     true,
})

// core is the storage, query engine and rule groups shared by the live
// Engine and by RunRuleTests: both evaluate rules the same way.
type core struct {
	dir    string
	db     *tsdb.DB
	qe     *promql.Engine
	logger *slog.Logger

	groups   []*rules.Group
	level    map[*rules.Group]int // see groupLevels
	extLabel labels.Labels

	prev map[alertKey]*rules.Alert // last seen active alerts (copies)
}

// openCore opens an empty TSDB in a fresh directory under tempDir and a
// PromQL engine over it. subqueryStep is the default subquery step (the
// evaluation interval, as in Prometheus).
func openCore(tempDir string, logger *slog.Logger, subqueryStep time.Duration, maxSamples int) (*core, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	dir, err := tempdir.Make(tempDir, "alerting") // swept by the next drill if this one is killed
	if err != nil {
		return nil, fmt.Errorf("alerting: creating the TSDB directory: %w", err)
	}
	opts := tsdb.DefaultOptions()
	// One head block for a whole drill: nothing is compacted or dropped
	// while it runs, and samples stamped at any drill start are accepted.
	opts.MinBlockDuration = int64(24 * time.Hour / time.Millisecond)
	opts.MaxBlockDuration = opts.MinBlockDuration
	opts.RetentionDuration = 0
	opts.WALSegmentSize = -1 // a throwaway store: no write-ahead log, no fsync
	opts.NoLockfile = true
	db, err := tsdb.Open(dir, logger, nil, opts, tsdb.NewDBStats())
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("alerting: opening the TSDB in %s: %w", dir, err)
	}
	step := subqueryStep.Milliseconds()
	qe := promql.NewEngine(promql.EngineOpts{
		Logger:                   logger,
		MaxSamples:               maxSamples,
		Timeout:                  2 * time.Minute,
		NoStepSubqueryIntervalFn: func(int64) int64 { return step },
		EnableAtModifier:         true,
		EnableNegativeOffset:     true,
		Parser:                   rulesParser,
	})
	return &core{dir: dir, db: db, qe: qe, logger: logger, prev: map[alertKey]*rules.Alert{}}, nil
}

// loadRules loads the rule files' groups in file order, then group order
// within a file (or by evalOrder, promtool's group_eval_order, first).
// interval is the default for groups that set none.
func (c *core) loadRules(files []string, interval time.Duration, ext labels.Labels, externalURL string, evalOrder []string) []error {
	loader := crLoader{parser: rulesParser, logger: c.logger}
	m := rules.NewManager(&rules.ManagerOptions{
		QueryFunc:    rules.EngineQueryFunc(c.qe, untrimmed{c.db}),
		AppendableV2: c.db,
		Queryable:    c.db,
		Context:      context.Background(),
		NotifyFunc:   func(context.Context, string, ...*rules.Alert) {},
		Logger:       c.logger,
		Parser:       rulesParser,
		GroupLoader:  loader,
		// Prometheus evaluates rules that depend on no other rule of their
		// group concurrently; results are the same, ticks are shorter.
		ConcurrentEvalsEnabled: true,
		MaxConcurrentEvals:     int64(runtime.GOMAXPROCS(0)),
	})
	byKey, errs := m.LoadGroups(interval, ext, externalURL, nil, false, files...)
	if errs != nil {
		return errs
	}
	// LoadGroups returns a map; rebuild the files' own order so groups
	// evaluate deterministically (a recording rule chain across groups
	// depends on it).
	type ranked struct {
		g          *rules.Group
		order, pos int
	}
	orderOf := map[string]int{}
	for i, name := range evalOrder {
		orderOf[name] = i
	}
	var list []ranked
	pos := 0
	for _, f := range files {
		rgs, errs := loader.Load(f, false, model.UTF8Validation)
		if errs != nil {
			return errs
		}
		for _, rg := range rgs.Groups {
			g, ok := byKey[rules.GroupKey(f, rg.Name)]
			if !ok {
				continue
			}
			delete(byKey, rules.GroupKey(f, rg.Name))
			list = append(list, ranked{g: g, order: orderOf[rg.Name], pos: pos})
			pos++
		}
	}
	slices.SortStableFunc(list, func(a, b ranked) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return a.pos - b.pos
	})
	c.groups = c.groups[:0]
	for _, r := range list {
		for _, ar := range r.g.AlertingRules() {
			// Nothing to restore from in a fresh store; mark restored so the
			// ALERTS and ALERTS_FOR_STATE series are written from the start.
			ar.SetRestored(true)
		}
		c.groups = append(c.groups, r.g)
	}
	c.level = map[*rules.Group]int{}
	for i, l := range groupLevels(c.groups) {
		c.level[c.groups[i]] = l
	}
	c.extLabel = ext
	return nil
}

// eval evaluates groups at ts, as if in order (see groupLevels), and
// returns the alert transitions since the previous evaluation, plus every
// rule error.
func (c *core) eval(ctx context.Context, ts time.Time, groups []*rules.Group) ([]Transition, []error) {
	var errs []error
	for _, ge := range evalLevels(ctx, ts, groups, func(g *rules.Group) int { return c.level[g] }) {
		errs = append(errs, ge...)
	}
	return c.transitions(ts, groups), errs
}

func ruleError(rule string, ts time.Time, err error) error {
	return fmt.Errorf("rule: %s, time: %s, err: %w", rule, ts.UTC().Format(time.RFC3339), err)
}

// alertKey identifies an alert instance: Prometheus itself keys a rule's
// alerts by their label hash.
type alertKey struct {
	rule string
	hash uint64
}

// transitions compares the active alerts of groups with those seen at the
// previous evaluation. The state machine is Prometheus'; this only reads
// it. ActiveAlerts returns copies, kept as they are as the alerts last
// seen: only a transition pays for converting one to an Alert.
func (c *core) transitions(ts time.Time, groups []*rules.Group) []Transition {
	var out []Transition
	evaluated := map[string]bool{} // only the evaluated groups' alerts can have ended
	seen := make(map[alertKey]bool, len(c.prev))
	for _, g := range groups {
		for _, ar := range g.AlertingRules() {
			evaluated[ar.Name()] = true
			for _, a := range ar.ActiveAlerts() {
				k := alertKey{ar.Name(), a.Labels.Hash()}
				p, was := c.prev[k]
				switch {
				case !was && a.State == rules.StatePending, was && p.State == rules.StateFiring && a.State == rules.StatePending:
					out = append(out, Transition{At: ts, Kind: timeline.AlertPending, Alert: c.snapshot(ar.Name(), a)})
				case a.State == rules.StateFiring && (!was || p.State != rules.StateFiring):
					out = append(out, Transition{At: ts, Kind: timeline.AlertFiring, Alert: c.snapshot(ar.Name(), a)})
				}
				c.prev[k] = a
				seen[k] = true
			}
		}
	}
	for k, p := range c.prev {
		if !seen[k] && evaluated[k.rule] {
			out = append(out, Transition{At: ts, Kind: timeline.AlertResolved, Alert: c.snapshot(k.rule, p)})
			delete(c.prev, k)
		}
	}
	slices.SortFunc(out, func(a, b Transition) int {
		if a.Alert.Name != b.Alert.Name {
			return cmpString(a.Alert.Name, b.Alert.Name)
		}
		return labels.Compare(labels.FromMap(a.Alert.Labels), labels.FromMap(b.Alert.Labels))
	})
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (c *core) snapshot(name string, a *rules.Alert) Alert {
	state := "pending"
	if a.State == rules.StateFiring {
		state = "firing"
	}
	return Alert{
		Name:        name,
		State:       state,
		Labels:      a.Labels.Map(),
		Annotations: a.Annotations.Map(),
		Value:       a.Value,
		ActiveAt:    a.ActiveAt,
		FiredAt:     a.FiredAt,
	}
}

// active returns the current active alerts of every group, sorted.
func (c *core) active() []Alert {
	var out []Alert
	for _, g := range c.groups {
		for _, ar := range g.AlertingRules() {
			for _, a := range ar.ActiveAlerts() {
				out = append(out, c.snapshot(ar.Name(), a))
			}
		}
	}
	slices.SortFunc(out, func(a, b Alert) int {
		if a.Name != b.Name {
			return cmpString(a.Name, b.Name)
		}
		return labels.Compare(labels.FromMap(a.Labels), labels.FromMap(b.Labels))
	})
	return out
}

// event turns a transition into a timeline event. External labels are
// added where the alert lacks them, as Prometheus does when it sends an
// alert to Alertmanager.
func (c *core) event(t Transition) timeline.Event {
	lbls := make(map[string]string, len(t.Alert.Labels)+c.extLabel.Len())
	c.extLabel.Range(func(l labels.Label) { lbls[l.Name] = l.Value })
	for k, v := range t.Alert.Labels {
		lbls[k] = v
	}
	attrs := make(map[string]string, len(t.Alert.Annotations)+3)
	for k, v := range t.Alert.Annotations {
		attrs[k] = v
	}
	attrs["value"] = strconv.FormatFloat(t.Alert.Value, 'g', -1, 64)
	if !t.Alert.ActiveAt.IsZero() {
		attrs[timeline.ActiveAt] = t.Alert.ActiveAt.UTC().Format(time.RFC3339Nano)
	}
	if t.Kind == timeline.AlertResolved {
		attrs["previous_state"] = t.Alert.State
	}
	return timeline.Event{At: t.At, Kind: t.Kind, Subject: t.Alert.Name, Labels: lbls, Attrs: attrs}
}

// query evaluates expr at t; a scalar becomes a one-sample vector with no
// labels, as promtool's promql_expr_test treats it.
func (c *core) query(ctx context.Context, expr string, t time.Time) (promql.Vector, error) {
	q, err := c.qe.NewInstantQuery(ctx, untrimmed{c.db}, nil, expr, t)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	res := q.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{promql.Sample{T: v.T, F: v.V, Metric: labels.EmptyLabels()}}, nil
	default:
		return nil, fmt.Errorf("the expression returns a %s; want an instant vector or a scalar", res.Value.Type())
	}
}

// close releases the engine and store and removes the directory.
func (c *core) close() error {
	var errs []error
	if err := c.qe.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := c.db.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("alerting: closing the store: %w", err)
	}
	return nil
}
