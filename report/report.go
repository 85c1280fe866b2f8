package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/stats"
	"github.com/drillkit/drill/scoring"
)

// Options choose the window, the baseline and the smallest change the
// report flags.
type Options struct {
	Now      time.Time     // end of the window; zero means time.Now()
	Since    time.Duration // length of the window, ending at Now
	Baseline time.Duration // the first part of the window; the rest is "current"

	// MinRateChange is the smallest change of a rate (pass rate, false
	// alarm rate) flagged, in percentage points; MinRelativeChange the
	// smallest change of a timing's or a phase's median, or of handoffs
	// or role gaps per scenario, relative to the baseline (0.2 is 20%).
	// A change must also be significant (see Alpha) and show at the
	// resolution the report prints.
	MinRateChange     float64
	MinRelativeChange float64

	// Team selects the runs of one team (the scorecard's team ID); ""
	// or AllTeams reports every run given, of whichever team.
	Team string
}

// AllTeams is Options.Team for a report over every team's runs (drill
// report --team all): one set of numbers for the organisation.
const AllTeams = "all"

// DefaultOptions are the report's defaults: 30 days, the first 14 of them
// the baseline (two weeks, as a team records before changing its
// process); changes of at least 5 points or 20%.
func DefaultOptions() Options {
	return Options{Since: 30 * 24 * time.Hour, Baseline: 14 * 24 * time.Hour, MinRateChange: 5, MinRelativeChange: 0.20}
}

// Report compares the current part of a window with its baseline, overall
// and per scenario family, and carries what the HTML draws.
type Report struct {
	Team string `json:"team"`
	// Teams are the teams whose runs the report counts, sorted: Team's
	// alone, or every team's for a report of all teams (Team is then
	// "all").
	Teams       []string  `json:"teams"`
	WindowStart time.Time `json:"window_start"`
	BaselineEnd time.Time `json:"baseline_end"` // current window starts here
	WindowEnd   time.Time `json:"window_end"`
	Rule        string    `json:"rule"`
	Correction  string    `json:"correction"` // "holm"
	// Tested is how many comparisons were tested, Counted how many of
	// them the correction counts (the others could not reach
	// significance on their data).
	Tested      int          `json:"tested"`
	Counted     int          `json:"counted"`
	Groups      []Group      `json:"groups"` // "overall" first, then families by name
	Changes     []Change     `json:"changes"`
	Comparisons []Comparison `json:"comparisons"`
	Runs        []RunPoint   `json:"runs"`
	// Interrupted lists the runs in the window that were interrupted
	// (Ctrl-C): partial, so left out of every number.
	Interrupted []string `json:"interrupted_runs"`
	// Latest is the newest run in the window, whose scenarios' timelines
	// the HTML report draws.
	Latest *scoring.Scorecard `json:"-"`
}

// Group holds the metrics of one family ("overall" for all of them).
type Group struct {
	Name     string  `json:"name"`
	Baseline Metrics `json:"baseline"`
	Current  Metrics `json:"current"`
}

// Metrics aggregate the scenarios of the runs in one window.
type Metrics struct {
	Runs              int      `json:"runs"`
	Judged            int      `json:"judged"` // passed + failed + inconclusive; harness errors say nothing of the team
	Passed            int      `json:"passed"`
	PassRate          *float64 `json:"pass_rate"`
	TimeToDetect      Stat     `json:"time_to_detect"`
	TimeToAcknowledge Stat     `json:"time_to_acknowledge"`
	TimeToMitigate    Stat     `json:"time_to_mitigate"`
	TimeToRecover     Stat     `json:"time_to_recover"`
	Alerts            int      `json:"alerts"`
	FalseAlarms       int      `json:"false_alarms"`
	FalseAlarmRate    *float64 `json:"false_alarm_rate"`

	// Breakdowns is how many scenarios had time to recover broken into
	// phases (a fault was injected); Phases summarise each phase over
	// them, in order; Bottleneck is the phase most often the longest
	// (ties: the one with more time), in BottleneckCount of them.
	Breakdowns          int         `json:"breakdowns"`
	Phases              []PhaseStat `json:"phases"`
	Bottleneck          string      `json:"bottleneck"`
	BottleneckCount     int         `json:"bottleneck_count"`
	Handoffs            int         `json:"handoffs"`              // escalation hops and re-pages
	HandoffsPerScenario *float64    `json:"handoffs_per_scenario"` // over Breakdowns
	RoleGaps            int         `json:"role_gaps"`             // roles unfilled, late or shared
	RoleGapsPerScenario *float64    `json:"role_gaps_per_scenario"`
}

// Stat is a timing's median and 90th percentile (nearest rank), seconds.
type Stat struct {
	N      int      `json:"n"`
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

// Change is a flagged difference between baseline and current: a rate,
// or the median of a timing or phase (seconds), or a count per scenario.
type Change struct {
	Group     string   `json:"group"`
	Metric    string   `json:"metric"` // pass_rate, false_alarm_rate, time_to_detect, verify_phase, handoffs_per_scenario, ...
	Baseline  float64  `json:"baseline"`
	Current   float64  `json:"current"`
	Kind      string   `json:"kind"` // regression or improvement
	Test      string   `json:"test"` // fisher or mann-whitney
	P         float64  `json:"p"`
	PAdjusted float64  `json:"p_adjusted"`     // Holm
	Also      []string `json:"also,omitempty"` // groups with the same data, and so the same change
}

// RunPoint is one run on the trend charts.
type RunPoint struct {
	RunID          string    `json:"run_id"`
	StartedAt      time.Time `json:"started_at"`
	InBaseline     bool      `json:"in_baseline"`
	Judged         int       `json:"judged"`
	PassRate       *float64  `json:"pass_rate"`
	DetectMedian   *float64  `json:"time_to_detect_median"`
	RecoverMedian  *float64  `json:"time_to_recover_median"`
	FalseAlarmRate *float64  `json:"false_alarm_rate"`
	// Bottleneck is the phase most often the longest in the run's
	// scenarios, in BottleneckCount of its Breakdowns; PhaseMedians the
	// median of each phase, seconds.
	Bottleneck      string             `json:"bottleneck,omitempty"`
	BottleneckCount int                `json:"bottleneck_count,omitempty"`
	Breakdowns      int                `json:"breakdowns,omitempty"`
	PhaseMedians    map[string]float64 `json:"phase_medians,omitempty"`
}

// The timings, in the order every format shows them.
var timings = []struct {
	key, label string
	pick       func(*Metrics) *Stat
	from       func(scoring.Timings) *scoring.Seconds
}{
	{"time_to_detect", "time to detect", func(m *Metrics) *Stat { return &m.TimeToDetect }, func(t scoring.Timings) *scoring.Seconds { return t.TimeToDetect }},
	{"time_to_acknowledge", "time to acknowledge", func(m *Metrics) *Stat { return &m.TimeToAcknowledge }, func(t scoring.Timings) *scoring.Seconds { return t.TimeToAcknowledge }},
	{"time_to_mitigate", "time to mitigate", func(m *Metrics) *Stat { return &m.TimeToMitigate }, func(t scoring.Timings) *scoring.Seconds { return t.TimeToMitigate }},
	{"time_to_recover", "time to recover", func(m *Metrics) *Stat { return &m.TimeToRecover }, func(t scoring.Timings) *scoring.Seconds { return t.TimeToRecover }},
}

// Build computes the report over cards (any order; runs outside the
// window are ignored, interrupted runs listed and left out).
func Build(cards []*scoring.Scorecard, o Options) (*Report, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Since <= 0 {
		return nil, errors.New("report: the window (--since) must be positive")
	}
	if o.Baseline <= 0 || o.Baseline >= o.Since {
		return nil, fmt.Errorf("report: the baseline (%s) must be positive and shorter than the window (%s): it is the window's first part",
			FormatWindow(o.Baseline), FormatWindow(o.Since))
	}
	if !(o.MinRateChange >= 0 && o.MinRateChange <= 100) {
		return nil, fmt.Errorf("report: the minimum rate change (--min-rate-change) is %v points: want 0 to 100", o.MinRateChange)
	}
	if !(o.MinRelativeChange >= 0) || math.IsInf(o.MinRelativeChange, 0) {
		return nil, fmt.Errorf("report: the minimum relative change (--min-relative-change) is %v: want 0%% or more", o.MinRelativeChange)
	}
	r := &Report{
		WindowEnd:   o.Now.UTC(),
		WindowStart: o.Now.Add(-o.Since).UTC(),
		Rule:        rule(o),
		Correction:  Correction,
	}
	r.BaselineEnd = r.WindowStart.Add(o.Baseline)

	var in []*scoring.Scorecard
	for _, c := range cards {
		if c == nil || c.StartedAt.Before(r.WindowStart) || c.StartedAt.After(r.WindowEnd) {
			continue
		}
		if o.Team != "" && o.Team != AllTeams && c.Team != o.Team {
			continue
		}
		in = append(in, c)
	}
	sort.SliceStable(in, func(i, j int) bool {
		if !in[i].StartedAt.Equal(in[j].StartedAt) {
			return in[i].StartedAt.Before(in[j].StartedAt)
		}
		return in[i].RunID < in[j].RunID
	})
	kept := in[:0:0]
	for _, c := range in {
		if c.Interrupted {
			r.Interrupted = append(r.Interrupted, c.RunID)
			continue
		}
		kept = append(kept, c)
	}
	in = kept
	if len(in) > 0 {
		r.Latest = in[len(in)-1]
		r.Team = r.Latest.Team
	}
	for _, c := range in {
		if !slices.Contains(r.Teams, c.Team) {
			r.Teams = append(r.Teams, c.Team)
		}
	}
	slices.Sort(r.Teams)
	if o.Team == AllTeams || len(r.Teams) > 1 {
		r.Team = AllTeams
	}

	type acc struct{ base, cur collector }
	groups := map[string]*acc{"overall": {}}
	for _, c := range in {
		inBase := c.StartedAt.Before(r.BaselineEnd)
		var point collector
		seen := map[string]bool{}
		for _, sc := range c.Scenarios {
			fam := sc.Family
			if fam == "" {
				fam = "(no family)"
			}
			if groups[fam] == nil {
				groups[fam] = &acc{}
			}
			for _, name := range []string{"overall", fam} {
				g := &groups[name].cur
				if inBase {
					g = &groups[name].base
				}
				if !seen[name] {
					g.runs++
					seen[name] = true
				}
				g.add(sc)
			}
			point.add(sc)
		}
		m := point.metrics()
		rp := RunPoint{RunID: c.RunID, StartedAt: c.StartedAt.UTC(), InBaseline: inBase, Judged: m.Judged,
			PassRate: m.PassRate, DetectMedian: m.TimeToDetect.Median, RecoverMedian: m.TimeToRecover.Median, FalseAlarmRate: m.FalseAlarmRate,
			Bottleneck: m.Bottleneck, BottleneckCount: m.BottleneckCount, Breakdowns: m.Breakdowns}
		for _, p := range m.Phases {
			if p.Median != nil {
				if rp.PhaseMedians == nil {
					rp.PhaseMedians = map[string]float64{}
				}
				rp.PhaseMedians[p.Name] = *p.Median
			}
		}
		r.Runs = append(r.Runs, rp)
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		if n != "overall" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range append([]string{"overall"}, names...) {
		g := Group{Name: n, Baseline: groups[n].base.metrics(), Current: groups[n].cur.metrics()}
		g.Baseline.Runs, g.Current.Runs = groups[n].base.runs, groups[n].cur.runs
		r.Groups = append(r.Groups, g)
		scope, all := n, groups["overall"]
		if groups[n].base.scenarios == all.base.scenarios && groups[n].cur.scenarios == all.cur.scenarios {
			scope = "overall" // a family that is every scenario: overall's data
		}
		r.Comparisons = append(r.Comparisons, comparisons(n, scope, &groups[n].base, &groups[n].cur)...)
	}
	decide(r.Comparisons, o)
	r.Changes = changes(r.Comparisons)
	for _, c := range r.Comparisons {
		if c.P != nil && c.SameAs == "" {
			r.Tested++
			if c.Counted {
				r.Counted++
			}
		}
	}
	return r, nil
}

// rule is the report's rule in words.
func rule(o Options) string {
	return fmt.Sprintf("a change is flagged only when it is unlikely to be chance and at least the minimum change. "+
		"Rates (pass rate, false alarm rate): Fisher's exact test, p < %[1]s after Holm's correction over the comparisons of the report "+
		"whose samples could reach significance, and a change of %[2]s points or more. Timings, phases, handoffs and role gaps per "+
		"scenario: the Mann-Whitney U test, p < %[1]s after the same correction, and credibly more than %[3]s%% of the baseline's "+
		"median (mean, for counts): moved back by %[3]s%%, the current values still differ at the level Holm tested them at. "+
		"Never when the two values print alike. \"runs\": the runs a period needs to flag a change of twice the minimum %[4]s times in 10",
		trimFloat(Alpha), trimFloat(o.MinRateChange), trimFloat(o.MinRelativeChange*100), trimFloat(Power*10))
}

// changes are the flagged comparisons, each once, with the groups whose
// identical data it stands for.
func changes(all []Comparison) []Change {
	var out []Change
	index := map[string]int{}
	for _, c := range all {
		if c.Kind == "" {
			continue
		}
		if c.SameAs != "" {
			if i, ok := index[c.SameAs]; ok && c.Group != out[i].Group && !slices.Contains(out[i].Also, c.Group) {
				out[i].Also = append(out[i].Also, c.Group)
			}
			continue
		}
		index[c.Group+" "+c.Metric] = len(out)
		out = append(out, Change{Group: c.Group, Metric: c.Metric, Baseline: *c.Baseline, Current: *c.Current, Kind: c.Kind,
			Test: c.Test, P: *c.P, PAdjusted: *c.PAdjusted})
	}
	return out
}

// collector gathers the scenarios of one group in one window.
type collector struct {
	runs, scenarios, judged, passed, alerts, falseAlarms int
	times                                                [4][]float64
	phases                                               phaseCollector
}

func (c *collector) add(sc scoring.Scenario) {
	c.scenarios++
	if sc.Status == scoring.Error {
		return // a harness failure says nothing about the team
	}
	c.judged++
	if sc.Status == scoring.Passed {
		c.passed++
	}
	for i, t := range timings {
		if v := t.from(sc.Timings); v != nil {
			c.times[i] = append(c.times[i], float64(*v))
		}
	}
	c.phases.add(sc)
	for _, a := range sc.Alerts {
		c.alerts++
		if a.FalseAlarm {
			c.falseAlarms++
		}
	}
}

func (c *collector) metrics() Metrics {
	m := Metrics{Runs: c.runs, Judged: c.judged, Passed: c.passed, Alerts: c.alerts, FalseAlarms: c.falseAlarms}
	if c.judged > 0 {
		m.PassRate = ptr(float64(c.passed) / float64(c.judged))
	}
	if c.alerts > 0 {
		m.FalseAlarmRate = ptr(float64(c.falseAlarms) / float64(c.alerts))
	}
	for i, t := range timings {
		*t.pick(&m) = stat(c.times[i])
	}
	c.phases.fill(&m)
	return m
}

// stat is the median and the nearest-rank 90th percentile, as the
// scorecard computes them.
func stat(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	return Stat{N: len(xs), Median: ptr(stats.Median(xs)), P90: ptr(stats.NearestRank(xs, 0.9))}
}

func ptr(f float64) *float64 { return &f }

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ParseWindow parses a window length: "30d", "2w", "36h", "90m" or any
// time.ParseDuration form.
func ParseWindow(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			f, err := strconv.ParseFloat(n, 64)
			if err != nil || f <= 0 || math.IsInf(f, 0) {
				return 0, fmt.Errorf("%q: want a positive number of days or weeks, like 30d or 2w", s)
			}
			return time.Duration(f * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive window like 30d, 2w or 36h", s)
	}
	return d, nil
}

// FormatWindow writes a window length in days when it is whole days.
func FormatWindow(d time.Duration) string {
	day := 24 * time.Hour
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}
