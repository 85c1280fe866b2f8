package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/drillkit/drill/internal/stats"
)

// Alpha is the family-wise significance level of a report: the chance
// that an unchanged team gets any flag at all, over every metric and
// family compared, is at most Alpha.
const Alpha = 0.05

// Power is the chance of seeing a change of the minimum size that the
// "runs needed" estimates are sized for.
const Power = 0.8

// Correction names the multiple-comparison method, for the report and
// its JSON.
const Correction = "holm"

// Test names.
const (
	TestFisher      = "fisher"       // Fisher's exact test, for rates
	TestMannWhitney = "mann-whitney" // Mann-Whitney U, for timings and counts per scenario
)

// Comparison is one metric of one group, baseline against current: the
// test, its p-value before and after the correction, the verdict and how
// many runs a period would show a change of the minimum size.
type Comparison struct {
	Group  string `json:"group"`
	Metric string `json:"metric"` // pass_rate, time_to_detect, false_alarm_rate, detect_phase, handoffs_per_scenario, ...
	Test   string `json:"test"`   // fisher or mann-whitney
	// Baseline and Current are the values compared: a rate, a median
	// (seconds) or a mean per scenario; nil without samples.
	Baseline  *float64 `json:"baseline"`
	Current   *float64 `json:"current"`
	BaselineN int      `json:"baseline_n"` // trials (rates) or samples
	CurrentN  int      `json:"current_n"`
	// P is the two-sided p-value, PAdjusted after Holm's correction; nil
	// when not tested (no data on a side, or the same data as SameAs).
	P         *float64 `json:"p"`
	PAdjusted *float64 `json:"p_adjusted"`
	// Counted is true when the comparison is in the correction: its data
	// could reach significance at all (Tarone's screen).
	Counted bool `json:"counted"`
	// SameAs names the comparison ("overall time_to_detect") with exactly
	// the same data, which stands for this one: tested and counted once.
	SameAs string `json:"same_as,omitempty"`
	Kind   string `json:"kind,omitempty"` // regression or improvement, when flagged
	// Verdict says in words why the comparison is or is not flagged.
	Verdict string `json:"verdict"`
	// RunsNeeded is how many runs each period needs for a change of the
	// minimum size to be seen (Power, at Alpha over the comparisons
	// made); 0 when it cannot be estimated (see RunsNote). MoreRuns is
	// how many more the smaller period needs.
	RunsNeeded int    `json:"runs_needed"`
	MoreRuns   int    `json:"more_runs"`
	RunsNote   string `json:"runs_note,omitempty"`

	x1, x2 int       // successes, for rates
	bs, cs []float64 // samples, for rank tests
	pmin   float64   // the smallest p-value the data allow
	level  float64   // the level Holm's step tests this comparison at
	runs   [2]int    // runs in each period
	kind   metricKind
	scope  string // the group, or "overall" for a family that is all of it
}

type metricKind int

const (
	rateHigherBetter metricKind = iota // pass rate
	rateLowerBetter                    // false alarm rate
	duration                           // timings and phases, seconds
	perScenario                        // handoffs and role gaps per scenario
)

// comparisons lists a group's comparisons, in the order the tables show
// them, with their samples; nothing is tested yet. scope is the group's
// name, or "overall" when the group holds every scenario of the window.
func comparisons(name, scope string, base, cur *collector) []Comparison {
	runs := [2]int{base.runs, cur.runs}
	var out []Comparison
	rate := func(metric string, kind metricKind, x1, n1, x2, n2 int) {
		c := Comparison{Group: name, Metric: metric, Test: TestFisher, BaselineN: n1, CurrentN: n2, x1: x1, x2: x2, runs: runs, kind: kind, scope: scope}
		if n1 > 0 {
			c.Baseline = ptr(float64(x1) / float64(n1))
		}
		if n2 > 0 {
			c.Current = ptr(float64(x2) / float64(n2))
		}
		out = append(out, c)
	}
	ranked := func(metric string, kind metricKind, bs, cs []float64) {
		c := Comparison{Group: name, Metric: metric, Test: TestMannWhitney, BaselineN: len(bs), CurrentN: len(cs), bs: bs, cs: cs, runs: runs, kind: kind, scope: scope}
		c.Baseline, c.Current = centre(bs, kind), centre(cs, kind)
		out = append(out, c)
	}
	rate("pass_rate", rateHigherBetter, base.passed, base.judged, cur.passed, cur.judged)
	for i, t := range timings {
		ranked(t.key, duration, base.times[i], cur.times[i])
	}
	rate("false_alarm_rate", rateLowerBetter, base.falseAlarms, base.alerts, cur.falseAlarms, cur.alerts)
	if base.phases.breakdowns == 0 && cur.phases.breakdowns == 0 && base.phases.roleGapsTotal() == 0 && cur.phases.roleGapsTotal() == 0 {
		return out // no fault injected, no role configured: the tables show no breakdown
	}
	seen := map[string][]float64{}
	for n := range base.phases.phases {
		seen[n] = nil
	}
	for n := range cur.phases.phases {
		seen[n] = nil
	}
	for _, p := range phaseOrder(seen) {
		ranked(p+"_phase", duration, base.phases.phases[p], cur.phases.phases[p])
	}
	ranked("handoffs_per_scenario", perScenario, base.phases.handoffs, cur.phases.handoffs)
	ranked("role_gaps_per_scenario", perScenario, base.phases.roleGaps, cur.phases.roleGaps)
	return out
}

// centre is what a comparison shows of a sample: the median of
// durations, the mean of counts per scenario.
func centre(xs []float64, kind metricKind) *float64 {
	if len(xs) == 0 {
		return nil
	}
	if kind == perScenario {
		var s float64
		for _, x := range xs {
			s += x
		}
		return ptr(s / float64(len(xs)))
	}
	return ptr(stats.Median(xs))
}

// twins are the phases that are a timing of the same scenarios whenever
// the phase ended: detect is time to detect once an alert fired,
// acknowledge is time to acknowledge, verify is time to mitigate when no
// runbook step ran (diagnose and remediate took no time).
var twins = map[string]string{
	"detect_phase":      "time_to_detect",
	"acknowledge_phase": "time_to_acknowledge",
	"verify_phase":      "time_to_mitigate",
}

// fingerprint identifies a comparison's data: two comparisons with the
// same fingerprint are the same test on the same scenarios, made and
// counted once. That is a family holding every scenario of the window
// (its scope is overall's), and a phase with exactly its twin timing's
// values. Equal numbers of different scenarios are not the same data.
func (c *Comparison) fingerprint() string {
	var b strings.Builder
	metric := c.Metric
	if t, ok := twins[metric]; ok {
		metric = t
	}
	b.WriteString(c.scope + "|" + metric)
	if c.Test == TestFisher {
		fmt.Fprintf(&b, "|%d/%d|%d/%d", c.x1, c.BaselineN, c.x2, c.CurrentN)
		return b.String()
	}
	for _, s := range [][]float64{c.bs, c.cs} {
		b.WriteString("|")
		for _, v := range sorted(s) {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64) + ",")
		}
	}
	return b.String()
}

// decide tests every comparison, corrects for their number and flags the
// ones that pass the rule.
func decide(all []Comparison, o Options) {
	first := map[string]int{}
	var tested []int
	for i := range all {
		c := &all[i]
		if c.BaselineN == 0 || c.CurrentN == 0 {
			switch {
			case c.BaselineN == 0 && c.CurrentN == 0:
				c.Verdict = "no data"
			case c.BaselineN == 0:
				c.Verdict = "no data in the baseline"
			default:
				c.Verdict = "no data in the current period"
			}
			continue
		}
		fp := c.fingerprint()
		if j, ok := first[fp]; ok {
			c.SameAs = all[j].Group + " " + all[j].Metric
			continue
		}
		first[fp] = i
		var t stats.Test
		var err error
		if c.Test == TestFisher {
			t, err = stats.FisherExact(c.x1, c.BaselineN, c.x2, c.CurrentN)
		} else {
			var r stats.RankTest
			r, err = stats.MannWhitney(c.bs, c.cs)
			t = r.Test
		}
		if err != nil { // the collectors give counts within range and finite values
			c.Verdict = "not tested: " + err.Error()
			continue
		}
		c.P, c.pmin = ptr(t.P), t.PMin
		tested = append(tested, i)
	}
	pmins := make([]float64, len(tested))
	for k, i := range tested {
		pmins[k] = all[i].pmin
	}
	keep := stats.Tarone(pmins, Alpha)
	var counted []int
	var ps []float64
	for k, i := range tested {
		if keep[k] {
			counted = append(counted, i)
			ps = append(ps, *all[i].P)
		}
	}
	adj := stats.Holm(ps)
	for k, i := range counted {
		all[i].Counted, all[i].PAdjusted = true, ptr(adj[k])
	}
	order := append([]int(nil), counted...)
	sort.SliceStable(order, func(a, b int) bool { return *all[order[a]].P < *all[order[b]].P })
	for rank, i := range order {
		all[i].level = Alpha / float64(len(order)-rank)
	}
	// Runs are sized at Holm's strictest step over the comparisons whose
	// data vary at all: those that could enter the correction as data grow.
	varying := 0
	for _, i := range tested {
		if all[i].pmin < 1 {
			varying++
		}
	}
	alphaRuns := Alpha / float64(max(1, varying))
	for _, i := range tested {
		c := &all[i]
		c.Kind, c.Verdict = judgeChange(c, o)
	}
	for i := range all {
		c := &all[i]
		if c.SameAs != "" {
			j := first[c.fingerprint()]
			c.P, c.PAdjusted, c.Counted, c.Kind = all[j].P, all[j].PAdjusted, all[j].Counted, all[j].Kind
			c.Verdict = "the same data as " + strings.ReplaceAll(c.SameAs, "_", " ") + ": " + all[j].Verdict
		}
		c.RunsNeeded, c.MoreRuns, c.RunsNote = runsNeeded(c, o, alphaRuns)
	}
}

// judgeChange applies the rule to a tested comparison.
func judgeChange(c *Comparison, o Options) (kind, verdict string) {
	pText := "p " + formatP(*c.P)
	if !c.Counted {
		return "", pText + ": too few samples for any split of them to reach significance; not counted in the correction"
	}
	pText += ", Holm " + formatP(*c.PAdjusted)
	if *c.PAdjusted >= Alpha {
		return "", pText + ": could be chance"
	}
	b, cur := *c.Baseline, *c.Current
	if show(b, c.kind) == show(cur, c.kind) {
		return "", pText + ": the same at the resolution shown (" + show(b, c.kind) + ")"
	}
	worse := false
	switch c.kind {
	case rateHigherBetter, rateLowerBetter:
		d := (cur - b) * 100
		if math.Abs(d) < o.MinRateChange-1e-9 {
			return "", fmt.Sprintf("%s: %+.1f points, below the minimum change of %s", pText, d, trimFloat(o.MinRateChange))
		}
		worse = (d < 0) == (c.kind == rateHigherBetter)
	default:
		worse = cur > b
		if b > 0 {
			rel := (cur - b) / b
			if math.Abs(rel) < o.MinRelativeChange-1e-9 {
				return "", fmt.Sprintf("%s: %+.0f%%, below the minimum change of %s%%", pText, rel*100, trimFloat(o.MinRelativeChange*100))
			}
			// The minimum change is a margin: moved back by it, the current
			// values must still differ from the baseline's at the level
			// Holm tested this comparison at. A chance shift of a noisy
			// timing often exceeds 20%; one that is significant beyond it
			// is rare.
			d := o.MinRelativeChange * b
			moved := make([]float64, len(c.cs))
			for i, v := range c.cs {
				if worse {
					moved[i] = v - d
				} else {
					moved[i] = v + d
				}
			}
			m, err := stats.MannWhitney(c.bs, moved)
			if err != nil || m.P >= c.level || (m.Z < 0) != worse {
				mp := 1.0
				if err == nil {
					mp = m.P
				}
				return "", fmt.Sprintf("%s: %+.0f%%, but not clearly beyond the minimum change of %s%% (p %s moved back by it, at level %s)",
					pText, rel*100, trimFloat(o.MinRelativeChange*100), formatP(mp), formatP(c.level))
			}
		}
	}
	kind = "improvement"
	if worse {
		kind = "regression"
	}
	return kind, kind + ": " + pText
}

// runsNeeded sizes each period for a change of twice the minimum size to
// be flagged with the chance Power, at the level alpha (Alpha over the
// comparisons whose data vary: Holm's strictest step). Twice, because a
// change is flagged only when it is credibly beyond the minimum: a rate's
// estimate must reach the minimum, a timing's shift must be significant
// beyond it; a true change of just the minimum is flagged half the time
// or less, however many runs.
func runsNeeded(c *Comparison, o Options, alpha float64) (need, more int, note string) {
	totalRuns := c.runs[0] + c.runs[1]
	samples := c.BaselineN + c.CurrentN
	if totalRuns == 0 || samples == 0 {
		return 0, 0, "no samples"
	}
	ref := c.Baseline
	if ref == nil {
		ref = c.Current
	}
	var n int
	var err error
	switch c.kind {
	case rateHigherBetter, rateLowerBetter:
		d := 2 * o.MinRateChange / 100
		for _, p2 := range []float64{*ref - d, *ref + d} {
			if p2 < 0 || p2 > 1 || d == 0 {
				continue
			}
			k, e := stats.TwoProportionsN(*ref, p2, alpha, Power)
			if e != nil {
				err = e
				continue
			}
			n = max(n, k)
		}
		if n == 0 {
			if err != nil {
				return 0, 0, err.Error()
			}
			return 0, 0, "no minimum change to size for"
		}
	default:
		shift := o.MinRelativeChange * *ref // 2·minimum, less the margin
		if o.MinRelativeChange == 0 {
			return 0, 0, "no minimum change to size for"
		}
		if shift <= 0 {
			return 0, 0, "a relative change of a zero " + map[bool]string{true: "median", false: "mean"}[c.kind == duration] + " has no size"
		}
		// A change must show at the resolution printed to be flagged.
		resolution := 0.01
		if c.kind == duration {
			resolution = 1
		}
		shift = math.Max(shift, resolution)
		// The spread as the rank test sees it: robust to a few outliers;
		// the standard deviation when most values are equal.
		sd := stats.RobustSD(c.bs, c.cs)
		if sd == 0 {
			sd = stats.PooledSD(c.bs, c.cs)
		}
		if math.IsNaN(sd) {
			return 0, 0, "too few samples to measure their spread"
		}
		if n, err = stats.RankTestN(shift, sd, alpha, Power); err != nil {
			return 0, 0, err.Error()
		}
	}
	perRun := float64(samples) / float64(totalRuns)
	need = int(math.Ceil(float64(n)/perRun - 1e-9))
	more = max(0, need-min(c.runs[0], c.runs[1]))
	return need, more, ""
}

// show is a value as the tables print it, for the display-resolution rule.
func show(v float64, kind metricKind) string {
	switch kind {
	case rateHigherBetter, rateLowerBetter:
		return pct(&v)
	case duration:
		return dur(&v)
	}
	return fmt.Sprintf("%.2f", v)
}

// formatP writes a p-value with two significant digits, "<0.0001" below.
func formatP(p float64) string {
	if p < 0.0001 {
		return "<0.0001"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}
