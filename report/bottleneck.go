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
	breakdowns  int
	handoffs    []float64 // per breakdown
	roleGaps    []float64 // per judged scenario
	phases      map[string][]float64
	total       map[string]float64
	bottlenecks map[string]int
}

func (c *phaseCollector) add(sc scoring.Scenario) {
	b, gaps := breakdownOf(sc)
	c.roleGaps = append(c.roleGaps, float64(len(gaps)))
	if b == nil {
		return
	}
	if c.phases == nil {
		c.phases, c.total, c.bottlenecks = map[string][]float64{}, map[string]float64{}, map[string]int{}
	}
	c.breakdowns++
	c.handoffs = append(c.handoffs, float64(b.Handoffs))
	// A phase that never ended is no sample of its statistics, as in the
	// scorecard's summary (scoring.Breakdown.Ended).
	for _, p := range b.Ended() {
		c.phases[p.Name] = append(c.phases[p.Name], float64(p.Seconds))
	}
	for _, p := range b.Phases {
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

func sum(xs []float64) int {
	var s float64
	for _, x := range xs {
		s += x
	}
	return int(s)
}

func (c *phaseCollector) roleGapsTotal() int { return sum(c.roleGaps) }

func (c *phaseCollector) fill(m *Metrics) {
	m.Breakdowns, m.Handoffs, m.RoleGaps = c.breakdowns, sum(c.handoffs), sum(c.roleGaps)
	if c.breakdowns > 0 {
		m.HandoffsPerScenario = ptr(float64(m.Handoffs) / float64(c.breakdowns))
	}
	if len(c.roleGaps) > 0 {
		m.RoleGapsPerScenario = ptr(float64(m.RoleGaps) / float64(len(c.roleGaps)))
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

// phaseLabel is the short name bars and tables use (scoring.PhaseLabel).
func phaseLabel(name string) string { return scoring.PhaseLabel(name) }
