package team

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// AlertRule is one alerting or recording rule, with where it is written.
type AlertRule struct {
	Alert  string // alert name; empty for a recording rule
	Record string // recorded metric; empty for an alert
	Expr   string
	// For is the pending duration; ForSet says whether `for:` was written.
	For           time.Duration
	ForSet        bool
	KeepFiringFor time.Duration
	Labels        map[string]string
	Annotations   map[string]string

	Group         string
	GroupInterval time.Duration // 0: the global evaluation interval
	File          string
	Line, Col     int

	expr parser.Expr
}

// Name is the alert name or the recorded metric.
func (r *AlertRule) Name() string {
	if r.Alert != "" {
		return r.Alert
	}
	return r.Record
}

// ParsedExpr is the rule's PromQL expression, parsed.
func (r *AlertRule) ParsedExpr() parser.Expr { return r.expr }

// RuleFile is one file of rules as Prometheus' rulefmt reads it, plus
// whether it was a PrometheusRule custom resource.
type RuleFile struct {
	File   string
	CR     bool
	Groups *rulefmt.RuleGroups
}

// PromtoolTest is a promtool rule-test file and the alerts it tests.
type PromtoolTest struct {
	File  string
	Cases []TestCase // every alert_rule_test and promql_expr_test, in file order
}

// Alerts maps each alert the file tests to where an alert_rule_test first
// names it.
func (t *PromtoolTest) Alerts() map[string]Pos {
	m := map[string]Pos{}
	for _, c := range t.Cases {
		if _, ok := m[c.Alertname]; c.Alertname != "" && !ok {
			m[c.Alertname] = c.Pos
		}
	}
	return m
}

// TestCase is one check of a promtool test file: an alert_rule_test
// (Alertname set) or a promql_expr_test (Expr set) at EvalTime, and where
// its alertname or expr is written, so a failure can point there.
type TestCase struct {
	Group           string // the test group's name, or unnamed#<index> as promtool says
	Alertname, Expr string
	EvalTime        time.Duration
	Pos             Pos
}

// CaseAt is where the check of alertname or expr at evalTime in the test
// group named group is written: the case with all of them, else the first
// of the group with the name or expr, else false.
func (t *PromtoolTest) CaseAt(group, alertname, expr string, evalTime time.Duration) (Pos, bool) {
	var first *TestCase
	for i := range t.Cases {
		c := &t.Cases[i]
		if c.Group != group || c.Alertname != alertname || c.Expr != expr {
			continue
		}
		if c.EvalTime == evalTime {
			return c.Pos, true
		}
		if first == nil {
			first = c
		}
	}
	if first == nil {
		return Pos{}, false
	}
	return first.Pos, true
}

var (
	promParser = parser.NewParser(parser.Options{})
	nopLogger  = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// ruleFileKind tells a rule file, a PrometheusRule CR and a promtool test
// file apart by their top-level keys.
func ruleFileKind(root *yaml.Node) string {
	if root == nil || root.Kind != yaml.MappingNode {
		return "rules"
	}
	keys := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		keys[root.Content[i].Value] = root.Content[i+1]
	}
	if k := keys["kind"]; k != nil {
		if k.Value == "PrometheusRule" {
			return "cr"
		}
		// A Kubernetes resource of another kind (a ConfigMap holding
		// rules, a Deployment in the wrong directory): rulefmt's field
		// errors about it would not say what is wrong.
		return "other"
	}
	if keys["tests"] != nil && keys["rule_files"] != nil {
		return "test"
	}
	return "rules"
}

// mapValue is the key and value nodes of a mapping's key, or nils.
func mapValue(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	k, v, found := strictyaml.Find(n, key)
	if !found {
		return nil, nil
	}
	return k, v
}

// ParseRules reads a Prometheus rule file or a PrometheusRule custom
// resource (its .spec) with Prometheus' own rulefmt, so errors read as
// promtool's, and returns the rules with file and line. A promtool test file
// is returned as test instead.
func ParseRules(file string, data []byte) (rules []*AlertRule, test *PromtoolTest, err error) {
	doc, probs := strictyaml.Parse(file, data)
	if probs != nil {
		return nil, nil, probs
	}
	root := doc.Root
	content, colShift, groupsParent := data, 0, root
	switch ruleFileKind(root) {
	case "test":
		return nil, parsePromtoolTest(file, root), nil
	case "other":
		_, k := mapValue(root, "kind")
		return nil, nil, Problems{{File: file, Line: k.Line, Col: k.Column, Field: "kind",
			Msg: fmt.Sprintf("not a PrometheusRule: a Kubernetes resource of kind %s; expected a Prometheus rule file (groups: at the top) or a PrometheusRule resource (kind: PrometheusRule, spec.groups)", teamfile.Excerpt(k.Value))}}
	case "cr":
		specKey, spec := mapValue(root, "spec")
		if spec == nil {
			return nil, nil, Problems{{File: file, Line: root.Line, Col: root.Column, Field: "spec", Msg: "missing; a PrometheusRule needs spec.groups"}}
		}
		content, colShift = crSpec(data, root, specKey, spec)
		groupsParent = spec
	}
	rgs, errs := rulefmt.Parse(content, false, model.UTF8Validation, promParser, nopLogger)
	if len(errs) > 0 {
		seen := map[string]bool{}
		for _, e := range errs {
			for _, p := range ruleProblem(file, e, colShift) {
				if p.Line == 0 && !locateRule(&p, groupsParent) {
					locate(&p, root) // yaml.v3 drops positions of custom unmarshal errors
				}
				if !seen[p.String()] { // rulefmt decodes twice and may report twice
					seen[p.String()] = true
					probs = append(probs, p)
				}
			}
		}
		probs.Sort()
		return nil, nil, probs
	}
	_, groupsNode := mapValue(groupsParent, "groups")
	for gi, g := range rgs.Groups {
		var rulesNode *yaml.Node
		if groupsNode != nil && gi < len(groupsNode.Content) {
			_, rulesNode = mapValue(groupsNode.Content[gi], "rules")
		}
		for ri, r := range g.Rules {
			ar := &AlertRule{
				Alert: r.Alert, Record: r.Record, Expr: r.Expr,
				For: time.Duration(r.For), KeepFiringFor: time.Duration(r.KeepFiringFor),
				Labels: r.Labels, Annotations: r.Annotations,
				Group: g.Name, GroupInterval: time.Duration(g.Interval), File: file,
			}
			if rulesNode != nil && ri < len(rulesNode.Content) {
				rn := rulesNode.Content[ri]
				ar.Line, ar.Col = rn.Line, rn.Column
				k, _ := mapValue(rn, "alert")
				if k == nil {
					k, _ = mapValue(rn, "record")
				}
				if k != nil {
					ar.Line, ar.Col = k.Line, k.Column
				}
				fk, _ := mapValue(rn, "for")
				ar.ForSet = fk != nil
			}
			ar.expr, _ = promParser.ParseExpr(r.Expr) // rulefmt validated it
			rules = append(rules, ar)
		}
	}
	return rules, nil, nil
}

// crSpec cuts a PrometheusRule's spec out of the original text, keeping
// its line numbers (other lines blanked) and removing its indentation, so
// rulefmt's line:col positions still point into the original file once the
// returned column shift is added back.
func crSpec(data []byte, root, specKey, spec *yaml.Node) ([]byte, int) {
	if spec.Kind != yaml.MappingNode || spec.Line == specKey.Line {
		b, _ := yaml.Marshal(spec) // flow style: positions are approximate
		return b, 0
	}
	end := 1 << 30
	for i := 0; i+1 < len(root.Content); i += 2 {
		if l := root.Content[i].Line; l > specKey.Line && l-1 < end {
			end = l - 1
		}
	}
	indent := spec.Column - 1
	lines := strings.SplitAfter(string(data), "\n")
	var b strings.Builder
	for i, line := range lines {
		n := i + 1
		switch {
		case n < spec.Line || n > end:
			b.WriteString("\n")
		case len(line) >= indent && strings.TrimSpace(line[:indent]) == "":
			b.WriteString(line[indent:])
		default: // blank or comment lines indented less than the spec
			b.WriteString("\n")
		}
	}
	return []byte(b.String()), indent
}

var rulePosRe = regexp.MustCompile(`^(\d+):(\d+): (?:\d+:\d+: )?(.*)$`)

// ruleProblem splits rulefmt's "line:col: message" form into a Problem;
// yaml.v3's errors, which rulefmt passes on, are read by strictyaml.
func ruleProblem(file string, err error, colShift int) Problems {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) || strings.HasPrefix(msg, "yaml: ") {
		return strictyaml.YAMLError(file, err)
	}
	if m := rulePosRe.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		c, _ := strconv.Atoi(m[2])
		return Problems{{File: file, Line: l, Col: c + colShift, Msg: m[3]}}
	}
	return Problems{{File: file, Msg: msg}}
}

// parsePromtoolTest collects the alert names a promtool test file tests;
// running the tests is another package's job.
func parsePromtoolTest(file string, root *yaml.Node) *PromtoolTest {
	t := &PromtoolTest{File: file}
	_, tests := mapValue(root, "tests")
	if tests == nil || tests.Kind != yaml.SequenceNode {
		return t
	}
	evalTime := func(item *yaml.Node) time.Duration {
		_, v := mapValue(item, "eval_time")
		if v == nil {
			return 0
		}
		d, _ := model.ParseDuration(v.Value) // a bad one fails the test run, which reports it
		return time.Duration(d)
	}
	for ti, tc := range tests.Content {
		group := fmt.Sprintf("unnamed#%d", ti)
		if _, name := mapValue(tc, "name"); name != nil && name.Kind == yaml.ScalarNode && name.Value != "" {
			group = name.Value
		}
		if _, arts := mapValue(tc, "alert_rule_test"); arts != nil && arts.Kind == yaml.SequenceNode {
			for _, art := range arts.Content {
				if _, name := mapValue(art, "alertname"); name != nil && name.Kind == yaml.ScalarNode {
					t.Cases = append(t.Cases, TestCase{Group: group, Alertname: name.Value, EvalTime: evalTime(art), Pos: posOf(name)})
				}
			}
		}
		if _, ets := mapValue(tc, "promql_expr_test"); ets != nil && ets.Kind == yaml.SequenceNode {
			for _, et := range ets.Content {
				if _, expr := mapValue(et, "expr"); expr != nil && expr.Kind == yaml.ScalarNode {
					t.Cases = append(t.Cases, TestCase{Group: group, Expr: expr.Value, EvalTime: evalTime(et), Pos: posOf(expr)})
				}
			}
		}
	}
	return t
}

var (
	ruleRef     = regexp.MustCompile(`group "((?:[^"\\]|\\.)*)", rule (\d+)`)
	templateRef = regexp.MustCompile(`(annotation|label) "((?:[^"\\]|\\.)*)"`)
)

// locateRule gives a problem that names its group and rule ("group
// \"g\", rule 2, ...") the position of that rule, or of the annotation or
// label it names: a value equal to the message's quote may stand anywhere.
func locateRule(p *Problem, groupsParent *yaml.Node) bool {
	m := ruleRef.FindStringSubmatch(p.Msg)
	if m == nil {
		return false
	}
	name, err := strconv.Unquote(`"` + m[1] + `"`)
	if err != nil {
		return false
	}
	idx, _ := strconv.Atoi(m[2])
	_, groups := mapValue(groupsParent, "groups")
	if groups == nil || groups.Kind != yaml.SequenceNode {
		return false
	}
	for _, g := range groups.Content {
		if _, n := mapValue(g, "name"); n == nil || n.Value != name {
			continue
		}
		_, rules := mapValue(g, "rules")
		if rules == nil || rules.Kind != yaml.SequenceNode || idx < 1 || idx > len(rules.Content) {
			return false
		}
		at := rules.Content[idx-1]
		if t := templateRef.FindStringSubmatch(p.Msg); t != nil {
			if _, block := mapValue(at, t[1]+"s"); block != nil {
				if _, v := mapValue(block, t[2]); v != nil {
					at = v
				}
			}
		}
		p.Line, p.Col = at.Line, at.Column
		return true
	}
	return false
}

var lastQuoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"[^"]*$`)

// locate gives a problem without a position the position of the first
// scalar whose value its message quotes last.
func locate(p *Problem, root *yaml.Node) {
	m := lastQuoted.FindStringSubmatch(p.Msg)
	if m == nil {
		return
	}
	want, err := strconv.Unquote(`"` + m[1] + `"`)
	if err != nil {
		return
	}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n == nil {
			return false
		}
		if n.Kind == yaml.ScalarNode && n.Value == want {
			p.Line, p.Col = n.Line, n.Column
			return true
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	walk(root)
}
