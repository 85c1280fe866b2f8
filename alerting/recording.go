package alerting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"

	"github.com/drillkit/drill/timeline"
)

// RecordLimit bounds what an engine keeps for its Recording: MaxSeries
// scraped series, and MaxSamples samples over all of them (series ×
// samples each); the ticks and the alert transitions kept count against
// MaxSamples too. A recording past either is not made.
type RecordLimit struct {
	MaxSeries  int
	MaxSamples int
}

// DefaultRecordLimit is 10,000 series and 1,000,000 samples: about
// 16 MiB of samples (a timestamp and a value each), far more than a
// drill of the built-in topology scrapes (a few hundred series at one
// sample an evaluation interval).
var DefaultRecordLimit = RecordLimit{MaxSeries: 10_000, MaxSamples: 1_000_000}

func (l RecordLimit) check() error {
	if l.MaxSeries <= 0 || l.MaxSamples <= 0 {
		return fmt.Errorf("alerting: Options.Record is %d series and %d samples; want both above 0", l.MaxSeries, l.MaxSamples)
	}
	return nil
}

// ErrRecordingTooLarge is the error of a Recording past its RecordLimit.
var ErrRecordingTooLarge = errors.New("alerting: the recording is past its bound")

// recorder keeps an engine's ticks and transitions for its Recording.
type recorder struct {
	limit       RecordLimit
	ticks       []time.Time
	transitions []Transition
	over        bool // past limit.MaxSamples: kept no more
}

// tick keeps the drill time of a tick and its transitions. A nil
// recorder keeps nothing.
func (r *recorder) tick(t time.Time, trs []Transition) {
	if r == nil || r.over {
		return
	}
	if len(r.ticks)+len(r.transitions)+1+len(trs) > r.limit.MaxSamples {
		r.over, r.ticks, r.transitions = true, nil, nil
		return
	}
	r.ticks = append(r.ticks, t)
	r.transitions = append(r.transitions, trs...)
}

// Sample is one stored sample: a drill time in milliseconds and a value
// (a staleness marker is a NaN of its own bits, kept as it is).
type Sample struct {
	T int64
	V float64
}

// Series is one stored series: its labels and its samples, oldest first.
type Series struct {
	Labels  labels.Labels
	Samples []Sample
}

// Recording is what a drill's engine scraped and when it evaluated:
// enough to evaluate other rules over the same metrics at the same
// instants (Replay). Series are the scraped series only (counters
// already multiplied by the speed; up and the scrape's own series
// included); what the rules recorded is left out, a replay records it
// again.
type Recording struct {
	Series []Series
	// Ticks are the drill times the engine evaluated at, in order (ticks
	// skipped while it fell behind are not among them).
	Ticks []time.Time
	// Transitions are the alert transitions the engine emitted, in
	// order: a replay of the same rules must give them back.
	Transitions []Transition
	// EvalInterval is Options.EvalInterval (0: each group's own);
	// ExternalLabels and ExternalURL are the engine's.
	EvalInterval   time.Duration
	ExternalLabels map[string]string
	ExternalURL    string
	// Samples is the number of samples in Series.
	Samples int
}

// Recording copies out what the engine scraped, when it ticked and the
// transitions it emitted, for Replay. It needs Options.Record; a
// recording past that limit is ErrRecordingTooLarge, saying by how much.
// Call it once the engine stopped ticking (its Run ended), before Close.
func (e *Engine) Recording(ctx context.Context) (*Recording, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return nil, ErrClosed
	}
	if e.rec == nil {
		return nil, errors.New("alerting: the engine keeps no recording (Options.Record is nil)")
	}
	lim := e.rec.limit
	if e.rec.over {
		return nil, fmt.Errorf("%w: more than %d ticks, transitions and samples", ErrRecordingTooLarge, lim.MaxSamples)
	}
	scraped := map[uint64]labels.Labels{}
	for _, st := range e.targets {
		if st.seenOver {
			return nil, fmt.Errorf("%w: target %s exposed more than %d series", ErrRecordingTooLarge, st.Name, lim.MaxSeries)
		}
		for h, l := range st.seen {
			scraped[h] = l
		}
	}
	if len(scraped) > lim.MaxSeries {
		return nil, fmt.Errorf("%w: %d series scraped, more than %d", ErrRecordingTooLarge, len(scraped), lim.MaxSeries)
	}
	budget := lim.MaxSamples - len(e.rec.ticks) - len(e.rec.transitions)
	series, n, err := dump(ctx, e.core.db, func(l labels.Labels) bool {
		s, ok := scraped[l.Hash()]
		return ok && labels.Equal(s, l)
	}, budget)
	if err != nil {
		return nil, err
	}
	return &Recording{
		Series: series, Ticks: slices.Clone(e.rec.ticks), Transitions: slices.Clone(e.rec.transitions),
		EvalInterval: e.evalOpt, ExternalLabels: e.ext, ExternalURL: e.url, Samples: n,
	}, nil
}

// dump reads every series of db that keep accepts, sorted by labels, at
// most budget samples in all (past it, ErrRecordingTooLarge).
func dump(ctx context.Context, db storage.Queryable, keep func(labels.Labels) bool, budget int) ([]Series, int, error) {
	q, err := db.Querier(math.MinInt64, math.MaxInt64)
	if err != nil {
		return nil, 0, fmt.Errorf("alerting: reading the store: %w", err)
	}
	defer q.Close()
	set := q.Select(ctx, true, nil, labels.MustNewMatcher(labels.MatchNotEqual, model.MetricNameLabel, ""))
	var out []Series
	n := 0
	var it chunkenc.Iterator
	for set.Next() {
		s := set.At()
		if !keep(s.Labels()) {
			continue
		}
		rs := Series{Labels: s.Labels()}
		it = s.Iterator(it)
		for vt := it.Next(); vt != chunkenc.ValNone; vt = it.Next() {
			if vt != chunkenc.ValFloat {
				return nil, 0, fmt.Errorf("alerting: series %s holds a %s sample; a recording keeps float samples only", s.Labels(), vt)
			}
			if n++; n > budget {
				return nil, 0, fmt.Errorf("%w: more than %d samples", ErrRecordingTooLarge, budget)
			}
			t, v := it.At()
			rs.Samples = append(rs.Samples, Sample{T: t, V: v})
		}
		if err := it.Err(); err != nil {
			return nil, 0, fmt.Errorf("alerting: reading %s: %w", s.Labels(), err)
		}
		out = append(out, rs)
	}
	if err := set.Err(); err != nil {
		return nil, 0, fmt.Errorf("alerting: reading the store: %w", err)
	}
	return out, n, nil
}

// Replayed is what rules evaluated to over a Recording.
type Replayed struct {
	// Transitions are the alert transitions, in order.
	Transitions []Transition
	// Outputs are every series the rules wrote (recorded series, ALERTS
	// and ALERTS_FOR_STATE), sorted by labels.
	Outputs []Series
	// Errors are the rule evaluation errors, tick by tick.
	Errors []string
}

// Replay evaluates the rule files over a recording as the engine that
// made it evaluated its own: a fresh store, the recorded samples appended
// up to each recorded tick, the groups due at that tick evaluated there
// with Prometheus' rules package (for:, keep_firing_for and the rest as
// in the drill). Replaying the engine's own rule files gives its
// transitions back; other rules show what they would have done on the
// same metrics. tempDir is where the store is made ("" is os.TempDir);
// it is removed before Replay returns.
func Replay(ctx context.Context, rec *Recording, ruleFiles []string, tempDir string) (*Replayed, error) {
	def := rec.EvalInterval
	if def == 0 {
		def = DefaultEvalInterval
	}
	c, err := openCore(tempDir, nil, def, liveMaxSamples)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if errs := c.loadRules(ruleFiles, def, labels.FromMap(rec.ExternalLabels), rec.ExternalURL, nil); errs != nil {
		return nil, fmt.Errorf("alerting: loading rules: %w", errors.Join(errs...))
	}
	schedule, _ := scheduleOf(c.groups, rec.EvalInterval, def)
	next := make([]int, len(rec.Series))
	input := make(map[uint64]labels.Labels, len(rec.Series))
	for _, s := range rec.Series {
		input[s.Labels.Hash()] = s.Labels
	}
	out := &Replayed{}
	for _, t := range rec.Ticks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ms := timestamp.FromTime(t)
		app := c.db.AppenderV2(ctx)
		for i, s := range rec.Series {
			for ; next[i] < len(s.Samples) && s.Samples[next[i]].T <= ms; next[i]++ {
				smp := s.Samples[next[i]]
				if _, err := app.Append(0, s.Labels, 0, smp.T, smp.V, nil, nil, storage.AppendV2Options{}); err != nil {
					_ = app.Rollback()
					return nil, fmt.Errorf("alerting: replaying %s at %s: %w", s.Labels, t.Format(time.RFC3339), err)
				}
			}
		}
		if err := app.Commit(); err != nil {
			return nil, fmt.Errorf("alerting: replaying the samples at %s: %w", t.Format(time.RFC3339), err)
		}
		trs, errs := c.eval(ctx, t, due(schedule, t))
		out.Transitions = append(out.Transitions, trs...)
		for _, e := range errs {
			out.Errors = append(out.Errors, e.Error())
		}
	}
	out.Outputs, _, err = dump(ctx, c.db, func(l labels.Labels) bool {
		s, ok := input[l.Hash()]
		return !ok || !labels.Equal(s, l)
	}, math.MaxInt)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Difference says how b differs from a, "" when not at all: the first
// transition, rule error or rule output that differs. Values compare by
// their bits (a NaN equals the same NaN).
func (a *Replayed) Difference(b *Replayed) string {
	if d := DiffTransitions(a.Transitions, b.Transitions); d != "" {
		return d
	}
	for i := range max(len(a.Errors), len(b.Errors)) {
		ea, eb := at(a.Errors, i), at(b.Errors, i)
		if ea != eb {
			return fmt.Sprintf("rule error %q, against %q", orNone(ea), orNone(eb))
		}
	}
	for i := range max(len(a.Outputs), len(b.Outputs)) {
		if i >= len(a.Outputs) {
			return fmt.Sprintf("%s is recorded, against nothing", b.Outputs[i].Labels)
		}
		if i >= len(b.Outputs) {
			return fmt.Sprintf("%s is not recorded", a.Outputs[i].Labels)
		}
		sa, sb := a.Outputs[i], b.Outputs[i]
		if !labels.Equal(sa.Labels, sb.Labels) {
			if labels.Compare(sa.Labels, sb.Labels) < 0 {
				return fmt.Sprintf("%s is not recorded", sa.Labels)
			}
			return fmt.Sprintf("%s is recorded, against nothing", sb.Labels)
		}
		if d := diffSamples(sa.Samples, sb.Samples); d != "" {
			return fmt.Sprintf("%s: %s", sa.Labels, d)
		}
	}
	return ""
}

func diffSamples(a, b []Sample) string {
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return fmt.Sprintf("a sample %s at %s, against none", fmtV(b[i].V), timestamp.Time(b[i].T).UTC().Format(time.RFC3339))
		case i >= len(b):
			return fmt.Sprintf("no sample at %s, against %s", timestamp.Time(a[i].T).UTC().Format(time.RFC3339), fmtV(a[i].V))
		case a[i].T != b[i].T:
			return fmt.Sprintf("a sample at %s, against at %s", timestamp.Time(b[i].T).UTC().Format(time.RFC3339), timestamp.Time(a[i].T).UTC().Format(time.RFC3339))
		case math.Float64bits(a[i].V) != math.Float64bits(b[i].V):
			return fmt.Sprintf("%s at %s, against %s", fmtV(b[i].V), timestamp.Time(a[i].T).UTC().Format(time.RFC3339), fmtV(a[i].V))
		}
	}
	return ""
}

// DiffTransitions says where b, a sequence of transitions, differs from
// a, "" when nowhere: time, kind, alert, state, labels, annotations,
// value (by its bits), and when the episode began and fired.
func DiffTransitions(a, b []Transition) string {
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return fmt.Sprintf("%s, against nothing", describe(b[i]))
		case i >= len(b):
			return fmt.Sprintf("no %s", describe(a[i]))
		}
		x, y := a[i], b[i]
		if x.Kind != y.Kind || x.Alert.Name != y.Alert.Name || !mapsEqual(x.Alert.Labels, y.Alert.Labels) {
			return fmt.Sprintf("%s, against %s", describe(y), describe(x))
		}
		var d []string
		if !x.At.Equal(y.At) || math.Float64bits(x.Alert.Value) != math.Float64bits(y.Alert.Value) {
			d = append(d, fmt.Sprintf("at %s (value %s), against %s (value %s)", y.At.UTC().Format(time.RFC3339), fmtV(y.Alert.Value),
				x.At.UTC().Format(time.RFC3339), fmtV(x.Alert.Value)))
		}
		if x.Alert.State != y.Alert.State {
			d = append(d, fmt.Sprintf("was %s, against %s", y.Alert.State, x.Alert.State))
		}
		sameAt := x.At.Equal(y.At) // else the episode's times differ with it
		if sameAt && !x.Alert.ActiveAt.Equal(y.Alert.ActiveAt) {
			d = append(d, fmt.Sprintf("active since %s, against %s", y.Alert.ActiveAt.UTC().Format(time.RFC3339), x.Alert.ActiveAt.UTC().Format(time.RFC3339)))
		}
		if sameAt && !x.Alert.FiredAt.Equal(y.Alert.FiredAt) {
			d = append(d, fmt.Sprintf("firing since %s, against %s", y.Alert.FiredAt.UTC().Format(time.RFC3339), x.Alert.FiredAt.UTC().Format(time.RFC3339)))
		}
		if !mapsEqual(x.Alert.Annotations, y.Alert.Annotations) {
			d = append(d, "its annotations differ")
		}
		if len(d) > 0 {
			return fmt.Sprintf("%s %s %s", x.Alert.Name+labelText(x.Alert.Labels), kindText(x.Kind), strings.Join(d, "; "))
		}
	}
	return ""
}

func describe(t Transition) string {
	return fmt.Sprintf("%s %s at %s (value %s)", t.Alert.Name+labelText(t.Alert.Labels), kindText(t.Kind), t.At.UTC().Format(time.RFC3339), fmtV(t.Alert.Value))
}

func kindText(k timeline.Kind) string { return strings.TrimPrefix(string(k), "alert.") }

// labelText is an alert's labels but its name, as {a=b,c=d}.
func labelText(m map[string]string) string {
	var ls []string
	for k, v := range m {
		if k != labels.AlertName {
			ls = append(ls, k+"="+v)
		}
	}
	slices.Sort(ls)
	return "{" + strings.Join(ls, ",") + "}"
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func fmtV(v float64) string { return fmt.Sprintf("%g", v) }
