package scoring

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/exitcode"
)

// Gate is a parsed threshold over a scorecard summary, such as
// `pass_rate >= 0.9` or `time_to_detect_p90 < 5m`.
type Gate struct {
	Source string
	Metric string
	Op     string
	Value  float64 // seconds for timing metrics
}

// GateResult is the outcome of one gate on one scorecard.
type GateResult struct {
	Gate   string  `json:"gate"`
	OK     bool    `json:"ok"`
	Actual float64 `json:"actual"`
	Reason string  `json:"reason,omitempty"`
}

type gateMetric struct {
	timing   bool
	fraction bool // a rate from 0 to 1
	// verdict marks the metrics that judge the verdicts themselves (pass
	// rates and their bounds, counts of passed, failed, inconclusive and
	// flaky): in a repeated run, gates on them decide whether failed
	// repetitions fail the run (Scorecard.GatedExitCode).
	verdict bool
	get     func(Summary) (float64, bool)
	// detail, when set, says where a missed value came from.
	detail func(Summary) string
}

func timingMetric(pick func(Summary) Stat, q func(Stat) *Seconds) gateMetric {
	return gateMetric{timing: true, get: func(s Summary) (float64, bool) {
		v := q(pick(s))
		if v == nil {
			return 0, false
		}
		return float64(*v), true
	}}
}

func countMetric(f func(Summary) int) gateMetric {
	return gateMetric{get: func(s Summary) (float64, bool) { return float64(f(s)), true }}
}

func verdictMetric(m gateMetric) gateMetric { m.verdict = true; return m }

// judged is the number of runs of scenarios that say something of the
// team: passed, failed and inconclusive ones.
func (s Summary) judged() int { return s.Passed + s.Failed + s.Inconclusive }

// passRateBound is the lower (or upper) end of the Wilson interval of
// the run's pass rate: over every judged repetition in a repeated run,
// over the scenarios' single runs otherwise.
func passRateBound(upper bool) gateMetric {
	return gateMetric{fraction: true, verdict: true,
		get: func(s Summary) (float64, bool) {
			iv, ok := wilson(s.Passed, s.judged())
			if upper {
				return iv.Hi, ok
			}
			return iv.Lo, ok
		},
		detail: func(s Summary) string {
			return fmt.Sprintf("the 95%% Wilson interval of %d passed of %d judged run(s); more runs (--repeat) narrow it", s.Passed, s.judged())
		}}
}

// scenarioPassRateLower is the lowest of the scenarios' own pass-rate
// lower bounds: the scenario the run is least sure passes. Without
// repetitions each scenario ran once: the bound of 1 pass in 1 run
// (21%) when all passed, 0 when one did not.
func scenarioPassRateLower(s Summary) (float64, bool) {
	if s.Repeats == nil {
		if s.judged() == 0 {
			return 0, false
		}
		k := 1
		if s.Failed+s.Inconclusive > 0 {
			k = 0
		}
		iv, ok := wilson(k, 1)
		return iv.Lo, ok
	}
	low, found := 1.0, false
	for _, r := range s.Repeats {
		if r.PassRateInterval != nil {
			low, found = math.Min(low, r.PassRateInterval.Lo), true
		}
	}
	return low, found
}

// gateMetrics is the registry of metrics a gate may name.
var gateMetrics = func() map[string]gateMetric {
	m := map[string]gateMetric{
		"pass_rate":        {fraction: true, verdict: true, get: func(s Summary) (float64, bool) { return s.PassRate, s.judged() > 0 }},
		"false_alarm_rate": {fraction: true, get: func(s Summary) (float64, bool) { return s.FalseAlarmRate, true }},
		"false_alarms":     countMetric(func(s Summary) int { return s.FalseAlarms }),
		"passed":           verdictMetric(countMetric(func(s Summary) int { return s.Passed })),
		"failed":           verdictMetric(countMetric(func(s Summary) int { return s.Failed })),
		"inconclusive":     verdictMetric(countMetric(func(s Summary) int { return s.Inconclusive })),
		"errors":           countMetric(func(s Summary) int { return s.Errors }),
		"total":            countMetric(func(s Summary) int { return s.Total }),
		// Scenarios whose alert and recovery times the run's speed made
		// approximate: `speed_warned == 0` keeps timing gates honest.
		"speed_warned": countMetric(func(s Summary) int { return s.SpeedWarned }),
		// The Wilson 95% bounds of the pass rate, and the lowest lower
		// bound of any one scenario: `pass_rate_lower >= 0.9` holds only
		// when the runs make a pass rate below 90% unlikely.
		"pass_rate_lower":          passRateBound(false),
		"pass_rate_upper":          passRateBound(true),
		"scenario_pass_rate_lower": {fraction: true, verdict: true, get: scenarioPassRateLower},
		// Scenarios whose repetitions both passed and failed.
		"flaky": verdictMetric(countMetric(func(s Summary) int { return s.Flaky })),
	}
	timings := map[string]func(Summary) Stat{
		"time_to_detect":      func(s Summary) Stat { return s.TimeToDetect },
		"time_to_acknowledge": func(s Summary) Stat { return s.TimeToAcknowledge },
		"time_to_mitigate":    func(s Summary) Stat { return s.TimeToMitigate },
		"time_to_recover":     func(s Summary) Stat { return s.TimeToRecover },
	}
	for name, pick := range timings {
		m[name+"_p50"] = timingMetric(pick, func(s Stat) *Seconds { return s.Median })
		m[name+"_p90"] = timingMetric(pick, func(s Stat) *Seconds { return s.P90 })
		m[name+"_max"] = timingMetric(pick, func(s Stat) *Seconds { return s.Max })
	}
	return m
}()

// GateMetrics lists the metric names a gate may use, sorted.
func GateMetrics() []string {
	names := make([]string, 0, len(gateMetrics))
	for n := range gateMetrics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// gateDocs document the gate metrics, in the order docs/ci.md's Gates
// table lists them; the timings' rows come from Metrics. Every gate
// metric is in exactly one row (TestGateDocsCoverEveryMetric).
var gateDocs = []struct {
	names []string
	doc   string
}{
	{[]string{"pass_rate"}, "passed / (passed + failed + inconclusive), over every scenario run (every repetition, with `--repeat`); harness errors are left out"},
	{[]string{"pass_rate_lower", "pass_rate_upper"}, "the 95% Wilson score interval of `pass_rate`: `pass_rate_lower >= 0.9` holds only when the runs make a pass rate below 90% unlikely"},
	{[]string{"scenario_pass_rate_lower"}, "the lowest of the scenarios' own `pass_rate_lower`: the scenario the run is least sure passes"},
	{[]string{"flaky"}, "scenarios whose repetitions both passed and failed (0 without `--repeat`)"},
	{[]string{"passed", "failed", "inconclusive", "errors", "total"}, "counts of scenario runs by verdict (`errors`: harness errors)"},
	{[]string{"false_alarms", "false_alarm_rate"}, "`false_alarms` counts " + falseAlarmMeaning() + "; `false_alarm_rate` is their share of every alert firing"},
	{[]string{"speed_warned"}, "scenarios whose alert times the run's speed made approximate (`speed_warned == 0` keeps timing gates honest)"},
}

func falseAlarmMeaning() string {
	m, _ := MetricNamed("false_alarms")
	return m.Meaning
}

// GatesMarkdown renders the table of the metrics a gate may name.
func GatesMarkdown() string {
	var b strings.Builder
	b.WriteString("| metric | what it is |\n|---|---|\n")
	row := func(names []string, doc string) {
		for i, n := range names {
			names[i] = "`" + n + "`"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", strings.Join(names, ", "), doc)
	}
	for _, d := range gateDocs {
		row(append([]string(nil), d.names...), d.doc)
	}
	for _, m := range MetricsOf(KindTiming) {
		row([]string{m.Field + "_p50", m.Field + "_p90", m.Field + "_max"},
			m.Name+", "+m.Span()+": the median, p90 (nearest rank) and maximum over the scenario runs where it happened")
	}
	return b.String()
}

var gateOps = []string{"<=", ">=", "==", "!=", "<", ">"}

// SplitGate splits a gate `METRIC OP VALUE` into its three parts, OP one
// of < <= > >= == !=, for every command's gates (drill run's here, drill
// mutate's on its own metrics); example is the gate the error shows.
func SplitGate(src, example string) (metric, op, value string, err error) {
	s := strings.TrimSpace(src)
	at := -1
	for _, o := range gateOps {
		if i := strings.Index(s, o); i > 0 {
			op, at = o, i
			break
		}
	}
	if at < 0 {
		return "", "", "", fmt.Errorf("gate %q: want METRIC OP VALUE with OP one of < <= > >= == !=, e.g. '%s'", src, example)
	}
	return strings.TrimSpace(s[:at]), op, strings.TrimSpace(s[at+len(op):]), nil
}

// Compare reports whether v OP want holds, OP as SplitGate gives it.
func Compare(v float64, op string, want float64) bool {
	switch op {
	case "<":
		return v < want
	case "<=":
		return v <= want
	case ">":
		return v > want
	case ">=":
		return v >= want
	case "==":
		return v == want
	case "!=":
		return v != want
	}
	return false
}

// ParseGate parses `METRIC OP VALUE`. OP is one of < <= > >= == !=; VALUE
// is a number, a percentage (90%) or, for timing metrics, a duration (5m,
// 90s).
func ParseGate(src string) (Gate, error) {
	s := strings.TrimSpace(src)
	name, op, val, err := SplitGate(src, "pass_rate >= 0.9")
	if err != nil {
		return Gate{}, err
	}
	m, ok := gateMetrics[name]
	if !ok {
		return Gate{}, fmt.Errorf("gate %q: unknown metric %q; valid metrics: %s", src, name, strings.Join(GateMetrics(), ", "))
	}
	g := Gate{Source: s, Metric: name, Op: op}
	switch {
	case val == "":
		return Gate{}, fmt.Errorf("gate %q: missing the value after %s", src, op)
	case m.timing:
		d, err := time.ParseDuration(val)
		if err != nil {
			return Gate{}, fmt.Errorf("gate %q: %s is a duration; want a value such as 90s or 5m, got %q", src, name, val)
		}
		g.Value = d.Seconds()
	case strings.HasSuffix(val, "%"):
		f, err := strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
		if err != nil {
			return Gate{}, fmt.Errorf("gate %q: want a percentage such as 90%%, got %q", src, val)
		}
		g.Value = f / 100
	default:
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return Gate{}, fmt.Errorf("gate %q: want a number, got %q", src, val)
		}
		g.Value = f
	}
	if m.fraction && (g.Value < 0 || g.Value > 1) {
		return Gate{}, fmt.Errorf("gate %q: %s is a fraction from 0 to 1 (or a percentage such as 90%%), got %s", src, name, val)
	}
	return g, nil
}

// Check evaluates the gate against a summary. A timing metric with no
// samples cannot be shown to meet its gate: it fails, saying so.
func (g Gate) Check(s Summary) GateResult {
	r := GateResult{Gate: g.Source}
	v, ok := gateMetrics[g.Metric].get(s)
	if !ok {
		r.Reason = fmt.Sprintf("no scenario produced %s", g.Metric)
		return r
	}
	r.Actual = v
	r.OK = Compare(v, g.Op, g.Value)
	if !r.OK {
		r.Reason = fmt.Sprintf("%s is %s", g.Metric, formatValue(g.Metric, v))
		if d := gateMetrics[g.Metric].detail; d != nil {
			r.Reason += " (" + d(s) + ")"
		}
	}
	return r
}

// GatedExitCode is the code a run ends with under its gates, given the
// results of checking them (in any order). A harness error exits
// Harness whatever the gates say, and a missed gate exits Failed.
// Otherwise it is ExitCode: a failed, inconclusive or flaky scenario
// exits Failed; except in a repeated run (Repeat above 1) with a gate on
// a metric that judges the verdicts (pass_rate, its bounds, the passed,
// failed, inconclusive and flaky counts): the team said with those gates
// how often a drill may fail, so when they all hold the run exits OK.
func (c *Scorecard) GatedExitCode(gates []Gate, results []GateResult) exitcode.Code {
	code := c.ExitCode()
	if code == exitcode.Harness {
		return code
	}
	for _, r := range results {
		if !r.OK {
			return exitcode.Failed
		}
	}
	if code == exitcode.Failed && c.Repeat > 1 {
		for _, g := range gates {
			if gateMetrics[g.Metric].verdict {
				return exitcode.OK
			}
		}
	}
	return code
}

func formatValue(metric string, v float64) string {
	if gateMetrics[metric].timing {
		return time.Duration(v * float64(time.Second)).Round(time.Second).String()
	}
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}
