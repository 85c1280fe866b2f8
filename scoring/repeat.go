package scoring

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/drillkit/drill/internal/stats"
)

// Confidence is the confidence of every interval the scorecard reports:
// 95%.
const Confidence = 0.95

// Flaky is the verdict of a scenario whose repetitions disagree: some
// passed and some failed. Only a Repeat has it; a single run of a
// scenario never does.
const Flaky Verdict = "flaky"

// RepeatVerdicts returns every verdict a Repeat can have, in the order
// the scorecard schema lists them.
func RepeatVerdicts() []Verdict { return append(Verdicts(), Flaky) }

// Repetition says which of the runs of a scenario a record is, in a run
// that repeats every scenario (drill run --repeat N).
type Repetition struct {
	// Index counts the repetitions from 1.
	Index int `json:"index"`
	// Seed is the run seed the repetition ran with: the run's --seed
	// plus Index-1. `drill run --seed SEED FEATURE:LINE` runs it alone,
	// in the same world.
	Seed int64 `json:"seed"`
	// Rerun is that command, with the flags of the run that change a
	// drill's outcome (team, speed, control window).
	Rerun string `json:"rerun"`
}

// RateInterval is a confidence interval of a rate, from 0 to 1.
type RateInterval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// Estimate is a quantile of a timing over repetitions with its
// distribution-free confidence interval (stats.QuantileInterval). A side
// the repetitions are too few to bound is absent: 5 runs bound no median
// at 95% (6 do), and a p90 needs 36 runs for an upper bound.
type Estimate struct {
	Seconds Seconds  `json:"seconds"`
	Lo      *Seconds `json:"lo,omitempty"`
	Hi      *Seconds `json:"hi,omitempty"`
	// Coverage is the interval's actual confidence: at least Confidence
	// when both sides are bounded; with a side unbounded, that of the
	// other alone, and 1 (nothing bounded) with neither.
	Coverage float64 `json:"coverage"`
}

// RepeatStat is one timing of a scenario over its judged repetitions.
type RepeatStat struct {
	N      int       `json:"n"`
	Median *Estimate `json:"median,omitempty"`
	P90    *Estimate `json:"p90,omitempty"` // nearest rank, as Stat's
}

// RepeatOutcome is one verdict the repetitions of a scenario reached.
type RepeatOutcome struct {
	Status Verdict `json:"status"`
	// Seeds are the run seeds of the repetitions that reached it.
	Seeds []int64 `json:"seeds"`
	// Reason is the first such repetition's reason.
	Reason string `json:"reason,omitempty"`
	// Rerun reproduces it: the first such repetition, alone.
	Rerun string `json:"rerun"`
}

// Repeat is one scenario over the repetitions of a run.
type Repeat struct {
	Name    string `json:"name"`
	Feature string `json:"feature"`
	Line    int    `json:"line"`
	Family  string `json:"family,omitempty"`
	// Verdict is flaky when some repetitions passed and some failed;
	// failed when some failed and none passed; inconclusive when none
	// failed and some were inconclusive (passed or not); error when a
	// harness error ended every one; passed when every judged one passed.
	Verdict Verdict `json:"verdict"`
	// Runs counts the repetitions; Passed, Failed, Inconclusive and
	// Errors their verdicts. Harness errors say nothing about the team:
	// they are neither failures nor judged.
	Runs         int `json:"runs"`
	Passed       int `json:"passed"`
	Failed       int `json:"failed"`
	Inconclusive int `json:"inconclusive"`
	Errors       int `json:"errors"`
	// PassRate is passed over judged (passed, failed, inconclusive);
	// PassRateInterval its Wilson interval, absent when no repetition
	// was judged.
	PassRate         float64       `json:"pass_rate"`
	PassRateInterval *RateInterval `json:"pass_rate_interval,omitempty"`

	TimeToDetect      RepeatStat `json:"time_to_detect"`
	TimeToAcknowledge RepeatStat `json:"time_to_acknowledge"`
	TimeToMitigate    RepeatStat `json:"time_to_mitigate"`
	TimeToRecover     RepeatStat `json:"time_to_recover"`

	// Outcomes has one entry per verdict reached, in Verdicts' order,
	// with the seeds that reproduce it.
	Outcomes []RepeatOutcome `json:"outcomes"`
}

// judged is the number of repetitions that say something of the team.
func (r Repeat) judged() int { return r.Passed + r.Failed + r.Inconclusive }

// Outcome returns the entry of the verdict v, if the repetitions reached it.
func (r Repeat) Outcome(v Verdict) (RepeatOutcome, bool) {
	for _, o := range r.Outcomes {
		if o.Status == v {
			return o, true
		}
	}
	return RepeatOutcome{}, false
}

// wilson is the Wilson interval of k passes in n judged runs, false
// when there were none.
func wilson(k, n int) (RateInterval, bool) {
	lo, hi, err := stats.Wilson(k, n, Confidence)
	if err != nil {
		return RateInterval{}, false
	}
	return RateInterval{Lo: lo, Hi: hi}, true
}

// repeated reports whether the scenarios are repetitions.
func repeated(scs []Scenario) bool {
	for _, sc := range scs {
		if sc.Repetition != nil {
			return true
		}
	}
	return false
}

// repeatsOf groups analysed scenarios that are repetitions by their
// place (feature:line), in the order each first appears.
func repeatsOf(scs []Scenario) []Repeat {
	type acc struct {
		r                  Repeat
		ttd, tta, ttm, ttr []float64
	}
	var order []string
	groups := map[string]*acc{}
	for _, sc := range scs {
		if sc.Repetition == nil {
			continue
		}
		key := fmt.Sprintf("%s:%d", sc.Feature, sc.Line)
		a := groups[key]
		if a == nil {
			a = &acc{r: Repeat{Name: sc.Name, Feature: sc.Feature, Line: sc.Line, Family: sc.Family}}
			groups[key] = a
			order = append(order, key)
		}
		r := &a.r
		switch sc.Status {
		case Passed:
			r.Passed++
		case Failed:
			r.Failed++
		case Inconclusive:
			r.Inconclusive++
		case Error:
			r.Errors++
		default: // not judged at all; Summarize counts it nowhere either
			continue
		}
		r.Runs++
		outcome := -1
		for i, o := range r.Outcomes {
			if o.Status == sc.Status {
				outcome = i
			}
		}
		if outcome < 0 {
			r.Outcomes = append(r.Outcomes, RepeatOutcome{Status: sc.Status, Reason: sc.Reason, Rerun: sc.Repetition.Rerun})
			outcome = len(r.Outcomes) - 1
		}
		r.Outcomes[outcome].Seeds = append(r.Outcomes[outcome].Seeds, sc.Repetition.Seed)
		if sc.Status == Error { // the harness failed: its timings say nothing of the team
			continue
		}
		t := sc.Timings
		for _, c := range []struct {
			dst *[]float64
			v   *Seconds
		}{{&a.ttd, t.TimeToDetect}, {&a.tta, t.TimeToAcknowledge}, {&a.ttm, t.TimeToMitigate}, {&a.ttr, t.TimeToRecover}} {
			if c.v != nil {
				*c.dst = append(*c.dst, float64(*c.v))
			}
		}
	}
	out := make([]Repeat, 0, len(order))
	for _, key := range order {
		a := groups[key]
		r := a.r
		if n := r.judged(); n > 0 {
			r.PassRate = float64(r.Passed) / float64(n)
			if iv, ok := wilson(r.Passed, n); ok {
				r.PassRateInterval = &iv
			}
		}
		switch {
		case r.judged() == 0:
			r.Verdict = Error
		case r.Passed > 0 && r.Failed > 0:
			r.Verdict = Flaky
		case r.Failed > 0:
			r.Verdict = Failed
		case r.Inconclusive > 0:
			r.Verdict = Inconclusive
		default:
			r.Verdict = Passed
		}
		slices.SortStableFunc(r.Outcomes, func(a, b RepeatOutcome) int {
			return slices.Index(Verdicts(), a.Status) - slices.Index(Verdicts(), b.Status)
		})
		r.TimeToDetect, r.TimeToAcknowledge = repeatStat(a.ttd), repeatStat(a.tta)
		r.TimeToMitigate, r.TimeToRecover = repeatStat(a.ttm), repeatStat(a.ttr)
		out = append(out, r)
	}
	return out
}

func repeatStat(xs []float64) RepeatStat {
	if len(xs) == 0 {
		return RepeatStat{}
	}
	return RepeatStat{N: len(xs), Median: estimate(xs, 0.5, stats.Median(xs)), P90: estimate(xs, 0.9, stats.NearestRank(xs, 0.9))}
}

// estimate is the q-quantile v of xs (not empty) with its interval.
func estimate(xs []float64, q, v float64) *Estimate {
	e := &Estimate{Seconds: Seconds(v)}
	iv, err := stats.QuantileInterval(xs, q, Confidence)
	if err != nil { // only for no values or q outside (0, 1): not called so
		return e
	}
	if !math.IsInf(iv.Lo, 0) {
		lo := Seconds(iv.Lo)
		e.Lo = &lo
	}
	if !math.IsInf(iv.Hi, 0) {
		hi := Seconds(iv.Hi)
		e.Hi = &hi
	}
	e.Coverage = iv.Coverage
	return e
}

// formatEstimate writes a quantile and its interval for people:
// "4m30s (95%: 4m0s–5m0s)", "(95%: ≥4m0s)" with only a lower bound,
// "(95%: unbounded)" with neither.
func formatEstimate(e *Estimate) string {
	if e == nil {
		return "—"
	}
	v := FormatSeconds(&e.Seconds)
	switch {
	case e.Lo != nil && e.Hi != nil:
		return fmt.Sprintf("%s (95%%: %s–%s)", v, FormatSeconds(e.Lo), FormatSeconds(e.Hi))
	case e.Lo != nil:
		return fmt.Sprintf("%s (95%%: ≥%s)", v, FormatSeconds(e.Lo))
	case e.Hi != nil:
		return fmt.Sprintf("%s (95%%: ≤%s)", v, FormatSeconds(e.Hi))
	}
	return v + " (95%: unbounded)"
}

// formatRate writes a rate and its interval: "60% (95%: 23%–88%)".
func formatRate(rate float64, iv *RateInterval) string {
	if iv == nil {
		return "—"
	}
	return fmt.Sprintf("%s (95%%: %s–%s)", percent(rate), percent(iv.Lo), percent(iv.Hi))
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// seedList writes seeds as "1, 3, 4".
func seedList(seeds []int64) string {
	s := make([]string, len(seeds))
	for i, v := range seeds {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

// repeatTimings names the timings of a Repeat, in the order the
// summaries show them.
func repeatTimings(r Repeat) []struct {
	name string
	st   RepeatStat
} {
	return []struct {
		name string
		st   RepeatStat
	}{
		{"time to detect", r.TimeToDetect}, {"time to acknowledge", r.TimeToAcknowledge},
		{"time to mitigate", r.TimeToMitigate}, {"time to recover", r.TimeToRecover},
	}
}
