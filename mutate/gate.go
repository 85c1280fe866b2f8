package mutate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/drillkit/drill/scoring"
)

// Gate is a threshold on a mutation run, with the syntax of drill run's
// gates (scoring.SplitGate, scoring.Compare): `METRIC OP VALUE`.
// scoring's metrics read a scorecard's summary, which has no mutation
// score, so mutate names its own.
type Gate struct {
	Source string
	Metric string
	Op     string
	Value  float64
}

// GateResult is one gate checked on a report.
type GateResult struct {
	Gate   string  `json:"gate"`
	OK     bool    `json:"ok"`
	Actual float64 `json:"actual"`
	Reason string  `json:"reason,omitempty"`
}

// gateMetrics are the metrics a mutation gate may name.
var gateMetrics = map[string]struct {
	fraction bool
	get      func(*Report) (float64, bool)
}{
	"mutation_score": {true, func(r *Report) (float64, bool) { return r.Total.Score, r.Total.Counted > 0 }},
	"survived":       {false, func(r *Report) (float64, bool) { return float64(r.Total.Survived), true }},
	"killed":         {false, func(r *Report) (float64, bool) { return float64(r.Total.Killed), true }},
	"invalid":        {false, func(r *Report) (float64, bool) { return float64(r.Total.Invalid), true }},
}

// GateMetricNames lists the metrics a mutation gate may name.
const GateMetricNames = "mutation_score, survived, killed, invalid"

// ParseGate parses `METRIC OP VALUE`: OP one of < <= > >= == !=, VALUE a
// number or a percentage (80%); mutation_score is a fraction from 0 to 1.
func ParseGate(src string) (Gate, error) {
	s := strings.TrimSpace(src)
	name, op, val, err := scoring.SplitGate(src, "mutation_score >= 0.8")
	if err != nil {
		return Gate{}, err
	}
	m, ok := gateMetrics[name]
	if !ok {
		return Gate{}, fmt.Errorf("gate %q: unknown metric %q; drill mutate's gates take %s (drill run's gates read a run's scorecard)", src, name, GateMetricNames)
	}
	g := Gate{Source: s, Metric: name, Op: op}
	switch {
	case val == "":
		return Gate{}, fmt.Errorf("gate %q: missing the value after %s", src, op)
	case strings.HasSuffix(val, "%"):
		g.Value, err = strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
		g.Value /= 100
	default:
		g.Value, err = strconv.ParseFloat(val, 64)
	}
	if err != nil {
		return Gate{}, fmt.Errorf("gate %q: want a number or a percentage such as 80%%, got %q", src, val)
	}
	if m.fraction && (g.Value < 0 || g.Value > 1) {
		return Gate{}, fmt.Errorf("gate %q: %s is a fraction from 0 to 1 (or a percentage such as 80%%), got %s", src, name, val)
	}
	return g, nil
}

// Check evaluates the gate on a report. A mutation score with no mutant
// counted cannot be shown to meet its gate: it fails, saying so.
func (g Gate) Check(r *Report) GateResult {
	res := GateResult{Gate: g.Source}
	v, ok := gateMetrics[g.Metric].get(r)
	if !ok {
		res.Reason = "no mutant was counted (killed or survived)"
		return res
	}
	res.Actual = v
	res.OK = scoring.Compare(v, g.Op, g.Value)
	if !res.OK {
		res.Reason = fmt.Sprintf("%s is %s", g.Metric, strconv.FormatFloat(v, 'f', -1, 64))
	}
	return res
}
