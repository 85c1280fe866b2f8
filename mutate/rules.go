package mutate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/team"
)

var promParser = parser.NewParser(parser.Options{})

// The operators on alerting and recording rules.
const (
	OpThresholdUp   = "threshold-x10"
	OpThresholdDown = "threshold-x0.1"
	OpFlip          = "comparison-flipped"
	OpFor           = "for-x5"
	OpLabel         = "label-value-changed"
	OpMetric        = "metric-renamed"
	OpShorter       = "window-shortened"
	OpLonger        = "window-lengthened"
	OpRuleRemoved   = "rule-removed"
)

// exprChange is one change of a PromQL expression: the expression after
// it, or "" when it prints as the original does (equivalent).
type exprChange struct {
	op, what, desc, expr string
}

// exprChanges lists every operator's change of src, node by node in the
// parser's walk order; each is made on a fresh parse.
func exprChanges(src string) ([]exprChange, error) {
	base, err := promParser.ParseExpr(src)
	if err != nil {
		return nil, err
	}
	orig := base.String()
	var nodes []parser.Node
	parser.Inspect(base, func(n parser.Node, _ []parser.Node) error { nodes = append(nodes, n); return nil })
	// at reparses src and changes its k-th node with f; f returns what
	// it changed, "" when it does not apply.
	at := func(k int, f func(parser.Node) string) (string, string) {
		e, _ := promParser.ParseExpr(src)
		i, what := 0, ""
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if i == k {
				what = f(n)
			}
			i++
			return nil
		})
		if what == "" {
			return "", ""
		}
		out := e.String()
		if out == orig {
			out = ""
		}
		return what, out
	}
	var out []exprChange
	add := func(k int, op, desc string, f func(parser.Node) string) {
		if what, expr := at(k, f); what != "" {
			out = append(out, exprChange{op: op, what: what, desc: fmt.Sprintf(desc, what), expr: expr})
		}
	}
	for k, n := range nodes {
		switch n := n.(type) {
		case *parser.BinaryExpr:
			if !n.Op.IsComparisonOperator() || number(n) == nil {
				continue
			}
			scale := func(f float64) func(parser.Node) string {
				return func(m parser.Node) string {
					lit := number(m.(*parser.BinaryExpr))
					old := lit.Val
					lit.Val, _ = strconv.ParseFloat(strconv.FormatFloat(old*f, 'g', 12, 64), 64)
					return fmt.Sprintf("%s %s → %s", m.(*parser.BinaryExpr).Op, fmtNum(old), fmtNum(lit.Val))
				}
			}
			add(k, OpThresholdUp, "threshold ×10 (%s)", scale(10))
			add(k, OpThresholdDown, "threshold ×0.1 (%s)", scale(0.1))
			add(k, OpFlip, "comparison flipped (%s)", func(m parser.Node) string {
				b := m.(*parser.BinaryExpr)
				flipped, ok := flips[b.Op]
				if !ok {
					return ""
				}
				old := b.Op
				b.Op = flipped
				return fmt.Sprintf("%s → %s", old, flipped)
			})
		case *parser.VectorSelector:
			if n.Name != "" {
				add(k, OpMetric, "metric %s", func(m parser.Node) string {
					v := m.(*parser.VectorSelector)
					old := v.Name
					v.Name += "_mutant"
					for i, lm := range v.LabelMatchers {
						if lm.Name == model.MetricNameLabel {
							v.LabelMatchers[i] = labels.MustNewMatcher(lm.Type, lm.Name, v.Name)
						}
					}
					return old + " → " + v.Name
				})
			}
			for i, lm := range n.LabelMatchers {
				if lm.Name == model.MetricNameLabel || (lm.Type != labels.MatchEqual && lm.Type != labels.MatchRegexp) {
					continue
				}
				add(k, OpLabel, "selector %s", func(m parser.Node) string {
					v := m.(*parser.VectorSelector)
					old := v.LabelMatchers[i]
					nm, err := labels.NewMatcher(old.Type, old.Name, "mutant_"+old.Value)
					if err != nil {
						return ""
					}
					v.LabelMatchers[i] = nm
					return fmt.Sprintf("%s → %s", old, nm)
				})
			}
		case *parser.MatrixSelector:
			if n.RangeExpr != nil || n.Range <= 0 {
				continue
			}
			window := func(f float64) func(parser.Node) string {
				return func(m parser.Node) string {
					ms := m.(*parser.MatrixSelector)
					old := ms.Range
					ms.Range = max(time.Duration(float64(ms.Range)*f).Truncate(time.Second), time.Second)
					return fmt.Sprintf("[%s] → [%s]", model.Duration(old), model.Duration(ms.Range))
				}
			}
			add(k, OpShorter, "range window shortened %s", window(0.25))
			add(k, OpLonger, "range window lengthened %s", window(4))
		}
	}
	return out, nil
}

var flips = map[parser.ItemType]parser.ItemType{
	parser.GTR: parser.LSS, parser.LSS: parser.GTR, parser.GTE: parser.LTE, parser.LTE: parser.GTE,
	parser.EQLC: parser.NEQ, parser.NEQ: parser.EQLC,
}

// number is the literal side of a comparison, or nil.
func number(b *parser.BinaryExpr) *parser.NumberLiteral {
	if n, ok := b.RHS.(*parser.NumberLiteral); ok {
		return n
	}
	if n, ok := b.LHS.(*parser.NumberLiteral); ok {
		return n
	}
	return nil
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'g', 6, 64) }

// ruleFiles are the team's rule files, in the order loaded.
func ruleFiles(t *team.Team) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range t.Rules {
		if !seen[r.File] {
			seen[r.File] = true
			out = append(out, r.File)
		}
	}
	return out
}

// groupsOf is the groups of a rule file: at the top, or under spec: in a
// PrometheusRule resource.
func groupsOf(body *yaml.Node) []*yaml.Node {
	if g := items(body, "groups"); g != nil {
		return g
	}
	return items(get(body, "spec"), "groups")
}

// ruleNode finds the rule named name (alert or record) in the tree; the
// n-th of that name (from 0) where one name repeats.
func ruleNode(body *yaml.Node, name string, n int) (group *yaml.Node, idx int, rule *yaml.Node) {
	for _, g := range groupsOf(body) {
		for i, r := range items(g, "rules") {
			if str(r, "alert") == name || str(r, "record") == name {
				if n == 0 {
					return g, i, r
				}
				n--
			}
		}
	}
	return nil, 0, nil
}

func ruleMutants(t *team.Team, _ GenOptions) ([]*Mutant, error) {
	var out []*Mutant
	for _, file := range ruleFiles(t) {
		nth := map[string]int{}
		for _, r := range t.Rules {
			if r.File != file {
				continue
			}
			name, n := r.Name(), nth[r.Name()]
			nth[name]++
			concern := []string{r.Alert}
			kind := "alert"
			if r.Alert == "" {
				kind, concern = "recording rule", readers(t, r.Record)
			}
			mk := func(op, target, desc string, change func(rule *yaml.Node) bool) error {
				m := newMutant(file, Rules, op, target)
				m.Description = fmt.Sprintf("%s %s: %s", kind, name, desc)
				m.Alerts = concern
				content, err := mutateYAML(t, file, func(body *yaml.Node) bool {
					_, _, rule := ruleNode(body, name, n)
					return rule != nil && change(rule)
				})
				if err != nil {
					return err
				}
				m.content = content
				out = append(out, m)
				return nil
			}
			changes, err := exprChanges(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, name, err) // team.Load parsed it
			}
			for _, c := range changes {
				target := name
				switch c.op {
				case OpLabel, OpMetric:
					target = name + "/" + strings.FieldsFunc(c.what, func(r rune) bool { return r == ' ' || r == '=' || r == '!' || r == '~' })[0]
				}
				expr := c.expr
				if err := mk(c.op, target, c.desc, func(rule *yaml.Node) bool {
					if expr == "" {
						return false // prints as the original: equivalent
					}
					set(rule, "expr", expr)
					return true
				}); err != nil {
					return nil, err
				}
			}
			if r.Alert != "" && r.ForSet && r.For > 0 {
				longer := model.Duration(5 * r.For)
				if err := mk(OpFor, name, fmt.Sprintf("for: %s → %s", model.Duration(r.For), longer), func(rule *yaml.Node) bool {
					set(rule, "for", longer.String())
					return true
				}); err != nil {
					return nil, err
				}
			}
			if err := mk(OpRuleRemoved, name, "removed", func(*yaml.Node) bool { return true }); err != nil {
				return nil, err
			}
			// the removal itself, on the group found again
			last := out[len(out)-1]
			last.content, err = mutateYAML(t, file, func(body *yaml.Node) bool {
				g, i, rule := ruleNode(body, name, n)
				return rule != nil && remove(g, "rules", i)
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// readers are the alerts whose expressions read the recorded metric.
func readers(t *team.Team, record string) []string {
	var out []string
	for _, r := range t.Alerts() {
		found := false
		parser.Inspect(r.ParsedExpr(), func(n parser.Node, _ []parser.Node) error {
			if v, ok := n.(*parser.VectorSelector); ok && v.Name == record {
				found = true
			}
			return nil
		})
		if found {
			out = append(out, r.Alert)
		}
	}
	return out
}
