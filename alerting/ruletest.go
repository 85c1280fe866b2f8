package alerting

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/storage"
)

// TestFailure is one failed check of a promtool-format rule unit test
// file, worded as `promtool test rules` words it.
type TestFailure struct {
	File      string        // the test file
	Test      string        // the test group's name, or "unnamed#<index>"
	Alertname string        // set for an alert_rule_test failure
	Expr      string        // set for a promql_expr_test failure
	EvalTime  time.Duration // the eval_time of the failed check
	Message   string        // promtool's failure text
}

// Error renders the failure with its file, as promtool prints it under
// the file's "FAILED:" line.
func (f TestFailure) Error() string { return f.File + ":\n" + f.Message }

// ruleTestMaxSamples is promtool's query sample limit in rule tests.
const ruleTestMaxSamples = 10000

// unitTestFile is a promtool rule unit test file.
type unitTestFile struct {
	RuleFiles          []string      `yaml:"rule_files"`
	EvaluationInterval duration      `yaml:"evaluation_interval"`
	GroupEvalOrder     []string      `yaml:"group_eval_order"`
	Tests              []testGroupIn `yaml:"tests"`
	FuzzyCompare       bool          `yaml:"fuzzy_compare"`
}

type testGroupIn struct {
	Interval        duration          `yaml:"interval"`
	InputSeries     []seriesIn        `yaml:"input_series"`
	AlertRuleTests  []alertTestIn     `yaml:"alert_rule_test"`
	PromqlExprTests []exprTestIn      `yaml:"promql_expr_test"`
	ExternalLabels  map[string]string `yaml:"external_labels"`
	ExternalURL     string            `yaml:"external_url"`
	Name            string            `yaml:"name"`
	StartTimestamp  startTime         `yaml:"start_timestamp"`
}

type seriesIn struct {
	At     strictyaml.Pos
	Series string `yaml:"series"`
	Values string `yaml:"values"`
}

type alertTestIn struct {
	EvalTime  duration   `yaml:"eval_time"`
	Alertname string     `yaml:"alertname"`
	ExpAlerts []expAlert `yaml:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `yaml:"exp_labels"`
	ExpAnnotations map[string]string `yaml:"exp_annotations"`
}

type exprTestIn struct {
	Expr       string      `yaml:"expr"`
	EvalTime   duration    `yaml:"eval_time"`
	ExpSamples []expSample `yaml:"exp_samples"`
}

type expSample struct {
	Labels    string  `yaml:"labels"`
	Value     float64 `yaml:"value"`
	Histogram string  `yaml:"histogram"`
}

// duration is a Prometheus duration ("1m", "1h30m") in YAML.
type duration time.Duration

// ParseScalar and Expected make duration a strictyaml.Scalar; so for
// startTime.
func (d *duration) ParseScalar(s string) error {
	v, err := model.ParseDuration(s)
	*d = duration(v)
	return err
}

// Expected says what a duration accepts.
func (*duration) Expected() string { return "a duration such as 30s, 5m or 1h30m" }

func (d duration) String() string { return model.Duration(d).String() }

// startTime is a start_timestamp: RFC 3339 or Unix seconds.
type startTime struct{ time.Time }

func (s *startTime) ParseScalar(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		sec, frac := math.Modf(f)
		s.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	s.Time = t
	return err
}

// Expected says what a startTime accepts.
func (*startTime) Expected() string { return "an RFC 3339 time or Unix seconds" }

// RunRuleTests runs promtool-format rule unit test files (rule_files,
// evaluation_interval, group_eval_order, tests with input_series,
// alert_rule_test and promql_expr_test) through the same store, PromQL
// engine and rule evaluation as the live Engine. It returns the failed
// checks; the error is for files that cannot be read or parsed (for one
// that does not parse, a strictyaml.Problems naming the file and, where
// known, the line).
func RunRuleTests(files []string) ([]TestFailure, error) {
	return runRuleTests(nil, files)
}

// RunTeamRuleTests is RunRuleTests for test files of the team in dir:
// each test file, and every rule file its rule_files names, must lie in
// dir (links resolved), read through internal/teamfile; one outside it is
// a problem naming it, and nothing of it is read.
func RunTeamRuleTests(dir string, files []string) ([]TestFailure, error) {
	root, err := teamfile.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	defer root.Close()
	return runRuleTests(root, files)
}

func runRuleTests(root *teamfile.Root, files []string) ([]TestFailure, error) {
	var all []TestFailure
	for _, f := range files {
		fails, err := runRuleTestFile(f, nil, root)
		if err != nil {
			return all, err
		}
		all = append(all, fails...)
	}
	return all, nil
}

// stepHook observes every evaluation of a test group: the fidelity test
// uses it to read the whole alert trajectory.
type stepHook func(test string, at time.Duration, alertRules []string, active []Alert)

func runRuleTestFile(file string, hook stepHook, team *teamfile.Root) ([]TestFailure, error) {
	b, err := readTestFile(team, file)
	var ps strictyaml.Problems
	if errors.As(err, &ps) {
		return nil, ps
	}
	if err != nil {
		return nil, fmt.Errorf("alerting: %w", err)
	}
	var in unitTestFile
	if _, probs := strictyaml.Decode(file, b, &in); len(probs) > 0 {
		return nil, probs.Err()
	}
	ruleFiles, fails := resolveRuleFiles(file, in.RuleFiles)
	if team != nil {
		for _, rf := range ruleFiles {
			if err := inTeam(team, rf); err != nil {
				return nil, strictyaml.Problems{{File: file, Field: "rule_files", Msg: err.Error()}}
			}
		}
	}
	if in.EvaluationInterval == 0 {
		in.EvaluationInterval = duration(time.Minute)
	}
	seenOrder := map[string]bool{}
	for _, g := range in.GroupEvalOrder {
		if seenOrder[g] {
			return nil, strictyaml.Problems{{File: file, Field: "group_eval_order", Msg: "group name repeated in evaluation order: " + g}}
		}
		seenOrder[g] = true
	}
	for i, tg := range in.Tests {
		name := tg.Name
		if name == "" {
			name = fmt.Sprintf("unnamed#%d", i)
		}
		if tg.Interval == 0 {
			tg.Interval = in.EvaluationInterval
		}
		for _, msg := range runTestGroup(tg, name, time.Duration(in.EvaluationInterval), in.GroupEvalOrder, in.FuzzyCompare, ruleFiles, hook) {
			msg.File, msg.Test = file, name
			fails = append(fails, msg)
		}
	}
	for i := range fails {
		fails[i].File = file
	}
	return fails, nil
}

// readTestFile reads a promtool test file: through the team's Root when
// there is one (no link out of the team), else as any YAML file.
func readTestFile(team *teamfile.Root, file string) ([]byte, error) {
	if team == nil {
		return strictyaml.ReadFile(file)
	}
	rel, ok := team.RelPath(file)
	if !ok {
		return nil, strictyaml.Problems{{File: file, Msg: "expected a file inside the team directory " + team.Dir()}}
	}
	b, err := team.ReadFile(rel, file, strictyaml.MaxBytes)
	var te *teamfile.Error
	if errors.As(err, &te) && !errors.Is(err, fs.ErrNotExist) {
		return nil, strictyaml.Problems{{File: te.File, Msg: te.Msg}}
	}
	return b, err
}

// inTeam checks that a rule file a test names is a regular file of the
// team: one of its own rule files, not whatever a link or a ../ reaches.
func inTeam(team *teamfile.Root, file string) error {
	rel, ok := team.RelPath(file)
	if !ok {
		return fmt.Errorf("%s: expected a rule file inside the team directory %s", file, team.Dir())
	}
	_, err := team.ReadFile(rel, file, strictyaml.MaxBytes)
	return err
}

// resolveRuleFiles joins rule_files to the test file's directory and
// expands globs. A pattern matching nothing is a failure: promtool only
// warns, but a test of no rules proves nothing about the team's alerts.
func resolveRuleFiles(testFile string, patterns []string) ([]string, []TestFailure) {
	var out []string
	var fails []TestFailure
	for _, p := range patterns {
		if p != "" && !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(testFile), p)
		}
		m, err := filepath.Glob(p)
		if err != nil || len(m) == 0 {
			fails = append(fails, TestFailure{Message: fmt.Sprintf("    rule_files: no file matches pattern %s", p)})
			continue
		}
		out = append(out, m...)
	}
	return out, fails
}

type loadedSeries struct {
	lset    labels.Labels
	samples []loadedSample
	next    int
}

type loadedSample struct {
	t int64
	v float64
	h *histogram.FloatHistogram
}

func runTestGroup(tg testGroupIn, name string, evalInterval time.Duration, order []string, fuzzy bool, ruleFiles []string, hook stepHook) []TestFailure {
	fail := func(format string, a ...any) []TestFailure {
		return []TestFailure{{Message: fmt.Sprintf(format, a...)}}
	}
	mint := time.Unix(0, 0).UTC()
	if !tg.StartTimestamp.IsZero() {
		mint = tg.StartTimestamp.Time
	}
	// input_series in promtool's notation, through PromQL's own parser.
	byHash := map[uint64]*loadedSeries{}
	var series []*loadedSeries
	for _, s := range tg.InputSeries {
		lset, vals, err := seriesParser.ParseSeriesDesc(s.Series + " " + s.Values)
		if err != nil {
			return fail("    input_series (line %d): %q: %v", s.At.Line, s.Series, err)
		}
		ls := &loadedSeries{lset: lset}
		for i, v := range vals {
			if v.Omitted {
				continue
			}
			ls.samples = append(ls.samples, loadedSample{t: timestamp.FromTime(mint.Add(time.Duration(i) * time.Duration(tg.Interval))), v: v.Value, h: v.Histogram})
		}
		if old, ok := byHash[lset.Hash()]; ok {
			*old = *ls // a later definition replaces an earlier one, as in promtool
			continue
		}
		byHash[lset.Hash()] = ls
		series = append(series, ls)
	}

	c, err := openCore("", nil, evalInterval, ruleTestMaxSamples)
	if err != nil {
		return fail("    %v", err)
	}
	defer c.close()
	if errs := c.loadRules(ruleFiles, time.Duration(tg.Interval), labels.FromMap(tg.ExternalLabels), tg.ExternalURL, order); errs != nil {
		var out []TestFailure
		for _, e := range errs {
			out = append(out, TestFailure{Message: e.Error()})
		}
		return out
	}
	var alertRules []string
	for _, g := range c.groups {
		for _, ar := range g.AlertingRules() {
			alertRules = append(alertRules, ar.Name())
		}
	}

	var maxEval duration
	byTime := map[duration][]alertTestIn{}
	var times []duration
	for _, at := range tg.AlertRuleTests {
		if at.Alertname == "" {
			in := ""
			if tg.Name != "" {
				in = fmt.Sprintf(" (in TestGroup %s)", tg.Name)
			}
			return fail("an item under alert_rule_test misses required attribute alertname at eval_time %v%s", at.EvalTime, in)
		}
		if _, ok := byTime[at.EvalTime]; !ok {
			times = append(times, at.EvalTime)
		}
		byTime[at.EvalTime] = append(byTime[at.EvalTime], at)
		maxEval = max(maxEval, at.EvalTime)
	}
	for _, et := range tg.PromqlExprTests {
		maxEval = max(maxEval, et.EvalTime)
	}
	slices.Sort(times)
	maxt := mint.Add(time.Duration(maxEval))
	ctx := context.Background()
	testName := ""
	if tg.Name != "" {
		testName = fmt.Sprintf("    name: %s,\n", tg.Name)
	}

	var fails []TestFailure
	curr := 0
	for ts := mint; !ts.After(maxt); ts = ts.Add(evalInterval) {
		if err := appendTill(c.db, series, timestamp.FromTime(ts)); err != nil {
			return append(fails, TestFailure{Message: "    " + err.Error()})
		}
		var evalErrs []TestFailure
		for _, g := range c.groups {
			g.Eval(ctx, ts)
			for _, r := range g.Rules() {
				if r.LastError() != nil {
					evalErrs = append(evalErrs, TestFailure{Message: fmt.Sprintf("    rule: %s, time: %s, err: %v", r.Name(), ts.Sub(time.Unix(0, 0).UTC()), r.LastError())})
				}
			}
		}
		if len(evalErrs) > 0 {
			return append(fails, evalErrs...)
		}
		if hook != nil {
			hook(name, ts.Sub(mint), alertRules, c.active())
		}
		// Alert checks whose eval_time falls in [ts, ts+evalInterval) read
		// the state of this evaluation.
		for curr < len(times) && ts.Sub(mint) <= time.Duration(times[curr]) && time.Duration(times[curr]) < ts.Add(evalInterval).Sub(mint) {
			fails = append(fails, checkAlerts(c, byTime[times[curr]], testName, fuzzy)...)
			curr++
		}
	}
	for _, et := range tg.PromqlExprTests {
		if f := checkExpr(ctx, c, et, mint, fuzzy); f != nil {
			fails = append(fails, *f)
		}
	}
	return fails
}

// appendTill appends every loaded sample at or before t.
func appendTill(db storage.AppendableV2, series []*loadedSeries, t int64) error {
	app := db.AppenderV2(context.Background())
	for _, s := range series {
		for ; s.next < len(s.samples) && s.samples[s.next].t <= t; s.next++ {
			smp := s.samples[s.next]
			if _, err := app.Append(0, s.lset, 0, smp.t, smp.v, nil, smp.h, storage.AppendV2Options{}); err != nil {
				_ = app.Rollback()
				return fmt.Errorf("loading %s: %w", s.lset, err)
			}
		}
	}
	return app.Commit()
}

type labelsAndAnnotations struct {
	labels, annotations labels.Labels
}

func sortLA(s []labelsAndAnnotations) {
	slices.SortFunc(s, func(a, b labelsAndAnnotations) int {
		if d := labels.Compare(a.labels, b.labels); d != 0 {
			return d
		}
		return labels.Compare(a.annotations, b.annotations)
	})
}

func formatLA(s []labelsAndAnnotations) string {
	if len(s) == 0 {
		return "[]"
	}
	var b strings.Builder
	b.WriteString("[\n")
	for i, la := range s {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "%d:\n  Labels:%s\n  Annotations:%s", i, la.labels, la.annotations)
	}
	b.WriteString("\n]")
	return indent(b.String(), "            ")
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}

func checkAlerts(c *core, tests []alertTestIn, testName string, fuzzy bool) []TestFailure {
	got := map[string][]labelsAndAnnotations{}
	for _, a := range c.active() {
		if a.State == "firing" {
			got[a.Name] = append(got[a.Name], labelsAndAnnotations{labels.FromMap(a.Labels), labels.FromMap(a.Annotations)})
		}
	}
	var fails []TestFailure
	for _, at := range tests {
		var exp []labelsAndAnnotations
		for _, ea := range at.ExpAlerts {
			l := map[string]string{}
			for k, v := range ea.ExpLabels {
				l[k] = v
			}
			l[labels.AlertName] = at.Alertname
			exp = append(exp, labelsAndAnnotations{labels.FromMap(l), labels.FromMap(ea.ExpAnnotations)})
		}
		g := got[at.Alertname]
		sortLA(exp)
		sortLA(g)
		if !slices.EqualFunc(exp, g, func(a, b labelsAndAnnotations) bool {
			return labels.Equal(a.labels, b.labels) && labels.Equal(a.annotations, b.annotations)
		}) {
			fails = append(fails, TestFailure{
				Alertname: at.Alertname, EvalTime: time.Duration(at.EvalTime),
				Message: fmt.Sprintf("%s    alertname: %s, time: %s, \n        exp:%v, \n        got:%v",
					testName, at.Alertname, at.EvalTime, formatLA(exp), formatLA(g)),
			})
		}
	}
	_ = fuzzy // alert values are not compared, as in promtool
	return fails
}

type gotSample struct {
	lset labels.Labels
	v    float64
	h    string
}

func (s gotSample) String() string {
	if s.h != "" {
		return s.lset.String() + " " + s.h
	}
	return s.lset.String() + " " + strconv.FormatFloat(s.v, 'E', -1, 64)
}

func samplesString(s []gotSample) string {
	if len(s) == 0 {
		return "nil"
	}
	parts := make([]string, len(s))
	for i, x := range s {
		parts[i] = x.String()
	}
	return strings.Join(parts, ", ")
}

func checkExpr(ctx context.Context, c *core, et exprTestIn, mint time.Time, fuzzy bool) *TestFailure {
	f := func(msg string) *TestFailure {
		return &TestFailure{Expr: et.Expr, EvalTime: time.Duration(et.EvalTime), Message: msg}
	}
	vec, err := c.query(ctx, et.Expr, mint.Add(time.Duration(et.EvalTime)))
	if err != nil {
		return f(fmt.Sprintf("    expr: %q, time: %s, err: %s", et.Expr, et.EvalTime, err))
	}
	got := make([]gotSample, 0, len(vec))
	for _, s := range vec {
		gs := gotSample{lset: s.Metric, v: s.F}
		if s.H != nil {
			gs.h = s.H.TestExpression()
		}
		got = append(got, gs)
	}
	exp := make([]gotSample, 0, len(et.ExpSamples))
	for _, s := range et.ExpSamples {
		lset, err := rulesParser.ParseMetric(s.Labels)
		var h string
		if err == nil && s.Histogram != "" {
			_, vals, perr := rulesParser.ParseSeriesDesc("{} " + s.Histogram)
			switch {
			case perr != nil:
				err = perr
			case len(vals) != 1:
				err = fmt.Errorf("expected 1 value, got %d", len(vals))
			case vals[0].Histogram == nil:
				err = fmt.Errorf("expected histogram, got %v", vals[0])
			default:
				h = vals[0].Histogram.TestExpression()
			}
		}
		if err != nil {
			return f(fmt.Sprintf("    expr: %q, time: %s, err: %v", et.Expr, et.EvalTime, fmt.Errorf("labels %q: %w", s.Labels, err)))
		}
		exp = append(exp, gotSample{lset: lset, v: s.Value, h: h})
	}
	byLabels := func(a, b gotSample) int { return labels.Compare(a.lset, b.lset) }
	slices.SortStableFunc(exp, byLabels)
	slices.SortStableFunc(got, byLabels)
	equal := slices.EqualFunc(exp, got, func(a, b gotSample) bool {
		if !labels.Equal(a.lset, b.lset) || a.h != b.h {
			return false
		}
		if a.h != "" {
			return true // the histogram carries the value; Value is ignored
		}
		return floatEqual(a.v, b.v, fuzzy)
	})
	if !equal {
		return f(fmt.Sprintf("    expr: %q, time: %s,\n        exp: %v\n        got: %v", et.Expr, et.EvalTime, samplesString(exp), samplesString(got)))
	}
	return nil
}

// floatEqual compares as promtool's cmp does: exactly (NaN never equals),
// or within one ulp when fuzzy_compare is set.
func floatEqual(x, y float64, fuzzy bool) bool {
	if x == y {
		return true
	}
	return fuzzy && (math.Nextafter(x, math.Inf(-1)) == y || math.Nextafter(x, math.Inf(1)) == y)
}
