package alerting

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
)

// maxUnseen bounds the series an explanation lists as born above zero.
const maxUnseen = 3

// Unseen is a counter series that first appeared, after drill began
// scraping, already above zero. rate(), increase() and irate() count
// only the rises between a series' samples, so the events that took it
// from nothing to its first value never reach a rule over it: a counter
// that is created on its first event (a Prometheus client's
// WithLabelValues called only when something fails) hides that event.
type Unseen struct {
	Series string    `json:"series"`
	Value  float64   `json:"value"` // its first sample
	At     time.Time `json:"at"`    // when it was taken
}

// String says what the rule could not see, and the usual fix.
func (u Unseen) String() string {
	return fmt.Sprintf("%s appeared at %s already at %s: rate() and increase() count only rises between samples, so the rule never saw the first %s",
		u.Series, u.At.Format(time.TimeOnly), formatValue(u.Value), formatValue(u.Value))
}

// unseenAdvice is said once after the series an explanation lists.
const unseenAdvice = "export such a counter at 0 from the start for each label value known in advance (in a Prometheus client, call WithLabelValues for them at start-up)"

// unseen finds, among the series that x reads through rate(), increase()
// or irate(), those whose first sample in the checked range came later
// than grace after its start and was above zero: created at their first
// event, which the rule therefore never saw. Series present from the
// first scrapes were counting before drill came, which is no defect.
func (sc *seriesCheck) unseen(x parser.Expr, grace time.Duration) ([]Unseen, error) {
	var sels []*parser.VectorSelector
	parser.Inspect(x, func(n parser.Node, _ []parser.Node) error {
		call, ok := n.(*parser.Call)
		if !ok {
			return nil
		}
		switch call.Func.Name {
		case "rate", "increase", "irate":
		default:
			return nil
		}
		for _, arg := range call.Args {
			if ms, ok := arg.(*parser.MatrixSelector); ok {
				if vs, ok := ms.VectorSelector.(*parser.VectorSelector); ok {
					sels = append(sels, bare(vs))
				}
			}
		}
		return nil
	})
	var out []Unseen
	seen := map[string]bool{}
	after := sc.mint + grace.Milliseconds()
	for _, vs := range sels {
		if err := sc.ctx.Err(); err != nil {
			return nil, err
		}
		set := sc.q.Select(sc.ctx, false, &storage.SelectHints{Start: sc.mint, End: sc.maxt}, vs.LabelMatchers...)
		var it chunkenc.Iterator
		for set.Next() {
			s := set.At()
			key := seriesName(s.Labels())
			if seen[key] {
				continue
			}
			seen[key] = true
			it = s.Iterator(it)
			if it.Next() != chunkenc.ValFloat {
				continue
			}
			t, v := it.At()
			if t > after && v > 0 && len(out) < maxUnseen {
				out = append(out, Unseen{Series: key, Value: v, At: time.UnixMilli(t).UTC()})
			}
		}
		if err := set.Err(); err != nil {
			return nil, fmt.Errorf("alerting: selecting %s: %w", vs, err)
		}
	}
	return out, nil
}

// unseenString is the sentence a rule's explanation ends with when it
// lists series born above zero.
func unseenString(us []Unseen) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, "; ") + ": " + unseenAdvice
}

// seriesName writes a series as PromQL does: name{label="value", ...}.
func seriesName(ls labels.Labels) string {
	var b strings.Builder
	b.WriteString(ls.Get(model.MetricNameLabel))
	first := true
	ls.Range(func(l labels.Label) {
		if l.Name == model.MetricNameLabel {
			return
		}
		if first {
			b.WriteByte('{')
			first = false
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", l.Name, l.Value)
	})
	if !first {
		b.WriteByte('}')
	}
	return b.String()
}
