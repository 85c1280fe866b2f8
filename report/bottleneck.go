package report

import (
	"fmt"
	"sort"

	"github.com/drillkit/drill/scoring"
)

// PhaseStat is one phase of time to recover in one window: its median
// and p90 over the scenarios that reached it, and in how many of them it
// was the longest phase (the bottleneck).
type PhaseStat struct {
	Name string `json:"name"`
	Stat
	Bottleneck int `json:"bottleneck"`
}

// breakdownOf returns a scenario's breakdown and role gaps. Scorecards
// recorded before the scorecard carried a breakdown still hold their
// events, so the breakdown is derived from them with the scorer's own
// analysis (on a copy: the stored record is not touched).
func breakdownOf(sc scoring.Scenario) (*scoring.Breakdown, []scoring.RoleGap) {
	if sc.Breakdown != nil || len(sc.Events) == 0 {
		return sc.Breakdown, sc.RoleGaps
	}
	c := sc
	// Analyze reuses the Alerts slice; give it its own.
	c.Alerts, c.Roles, c.RoleGaps, c.Breakdown = nil, nil, nil, nil
	scoring.Analyze(&c)
	return c.Breakdown, c.RoleGaps
}

// phaseCollector gathers the breakdowns of one group in one window.
type phaseCollector struct {
	breakdowns, handoffs, roleGaps, scenarios int
	phases                                    map[string][]float64
	total                                     map[string]float64
	bottlenecks                               map[string]int
}

func (c *phaseCollector) add(sc scoring.Scenario) {
	b, gaps := breakdownOf(sc)
	c.scenarios++
	c.roleGaps += len(gaps)
	if b == nil {
		return
	}
	if c.phases == nil {
		c.phases, c.total, c.bottlenecks = map[string][]float64{}, map[string]float64{}, map[string]int{}
	}
	c.breakdowns++
	c.handoffs += b.Handoffs
	for _, p := range b.Phases {
		c.phases[p.Name] = append(c.phases[p.Name], float64(p.Seconds))
		c.total[p.Name] += float64(p.Seconds)
	}
	if b.Bottleneck != "" {
		c.bottlenecks[b.Bottleneck]++
	}
}

// phaseOrder is the scorer's phases in order, then any other name the
// breakdowns carry, sorted.
func phaseOrder(seen map[string][]float64) []string {
	out := append([]string(nil), scoring.PhaseNames...)
	known := map[string]bool{}
	for _, n := range out {
		known[n] = true
	}
	var extra []string
	for n := range seen {
		if !known[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

func (c *phaseCollector) fill(m *Metrics) {
	m.Breakdowns, m.Handoffs, m.RoleGaps = c.breakdowns, c.handoffs, c.roleGaps
	if c.breakdowns > 0 {
		m.HandoffsPerScenario = ptr(float64(c.handoffs) / float64(c.breakdowns))
	}
	if c.scenarios > 0 {
		m.RoleGapsPerScenario = ptr(float64(c.roleGaps) / float64(c.scenarios))
	}
	if c.breakdowns == 0 {
		m.Phases = []PhaseStat{} // JSON: an empty list, not null
		return
	}
	for _, name := range phaseOrder(c.phases) {
		m.Phases = append(m.Phases, PhaseStat{Name: name, Stat: stat(c.phases[name]), Bottleneck: c.bottlenecks[name]})
	}
	// The most frequent bottleneck; on a tie the phase with more time in
	// it, as the scorecard names a run's.
	for _, name := range phaseOrder(c.phases) {
		n := c.bottlenecks[name]
		if n == 0 {
			continue
		}
		best := c.bottlenecks[m.Bottleneck]
		if m.Bottleneck == "" || n > best || (n == best && c.total[name] > c.total[m.Bottleneck]) {
			m.Bottleneck = name
		}
	}
	m.BottleneckCount = c.bottlenecks[m.Bottleneck]
}

// phase returns the named phase's stat (zero when the window has none).
func (m *Metrics) phase(name string) PhaseStat {
	for _, p := range m.Phases {
		if p.Name == name {
			return p
		}
	}
	return PhaseStat{Name: name}
}

// phaseNames are the phases either window of a group shows.
func phaseNames(g Group) []string {
	seen := map[string][]float64{}
	for _, p := range append(append([]PhaseStat(nil), g.Baseline.Phases...), g.Current.Phases...) {
		seen[p.Name] = nil
	}
	if len(seen) == 0 {
		return nil
	}
	return phaseOrder(seen)
}

// comparePhases applies the rule to a group's phases, handoffs and role
// gaps: a phase p90 like a timing's; handoffs and role gaps per scenario
// by the same relative change, where any rise from none is a regression.
// A phase change that repeats a timing change already flagged (detect is
// time to detect whenever an alert fired) is left out of timed's list.
func comparePhases(g Group, o Options, timed []Change) []Change {
	var out []Change
	for _, name := range phaseNames(g) {
		b, c := g.Baseline.phase(name), g.Current.phase(name)
		ch, ok := relChange(g.Name, name+"_phase_p90", b.P90, c.P90, b.N, c.N, o, false)
		if ok && !sameAs(ch, timed) {
			out = append(out, ch)
		}
	}
	if ch, ok := relChange(g.Name, "handoffs_per_scenario", g.Baseline.HandoffsPerScenario, g.Current.HandoffsPerScenario,
		g.Baseline.Breakdowns, g.Current.Breakdowns, o, true); ok {
		out = append(out, ch)
	}
	if ch, ok := relChange(g.Name, "role_gaps_per_scenario", g.Baseline.RoleGapsPerScenario, g.Current.RoleGapsPerScenario,
		g.Baseline.Judged, g.Current.Judged, o, true); ok {
		out = append(out, ch)
	}
	return out
}

// relChange flags a lower-is-better value that moved by o.TimingChange
// or more relative to its baseline. fromZero counts a rise from a zero
// baseline as a regression (counts); durations need a positive baseline.
func relChange(group, metric string, b, c *float64, nb, nc int, o Options, fromZero bool) (Change, bool) {
	if b == nil || c == nil || nb < o.MinSamples || nc < o.MinSamples {
		return Change{}, false
	}
	ch := Change{Group: group, Metric: metric, Baseline: *b, Current: *c}
	if *b <= 0 {
		if !fromZero || *c <= 0 {
			return Change{}, false
		}
		ch.Kind = "regression"
		return ch, true
	}
	rel := (*c - *b) / *b
	switch {
	case rel >= o.TimingChange-1e-9:
		ch.Kind = "regression"
	case rel <= -o.TimingChange+1e-9:
		ch.Kind = "improvement"
	default:
		return Change{}, false
	}
	return ch, true
}

// bottleneckCell is "verify (5 of 8)".
func bottleneckCell(m Metrics) string {
	if m.Bottleneck == "" {
		return "— (0)"
	}
	return fmt.Sprintf("%s (%d of %d)", m.Bottleneck, m.BottleneckCount, m.Breakdowns)
}

// perScenarioCell is "0.50 (4/8)".
func perScenarioCell(v *float64, num, den int) string {
	if v == nil {
		return "— (0)"
	}
	return fmt.Sprintf("%.2f (%d/%d)", *v, num, den)
}

// phaseLabel is the short name bars and tables use.
func phaseLabel(name string) string {
	if name == scoring.PhaseAcknowledge {
		return "ack"
	}
	return name
}

// sameAs reports whether ch, a phase change, repeats the change of the
// timing the phase usually equals (detect is time to detect, acknowledge
// time to acknowledge, unless the phase never ended): one finding, not two.
func sameAs(ch Change, list []Change) bool {
	twin := map[string]string{
		scoring.PhaseDetect + "_phase_p90":      "time_to_detect_p90",
		scoring.PhaseAcknowledge + "_phase_p90": "time_to_acknowledge_p90",
	}[ch.Metric]
	for _, c := range list {
		if c.Metric == twin && c.Kind == ch.Kind && c.Baseline == ch.Baseline && c.Current == ch.Current {
			return true
		}
	}
	return false
}
