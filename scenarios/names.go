package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/drillkit/drill/alerting"
	"github.com/drillkit/drill/features"
	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/textdist"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/stubs"
	"github.com/drillkit/drill/team"
	"github.com/drillkit/drill/testbed"
	"github.com/drillkit/drill/traffic"
)

// closestN is how many known names an unknown one's message suggests.
const closestN = 3

// CheckNames resolves every name the selected scenarios' steps refer to
// (features.References) against the team and the topology, without
// running anything: alerts against the team's alerting rules; teams,
// responders (users) and roles against the escalation files; providers,
// stubs and fault targets against drill.yaml; traffic mixes against the
// named mixes; and PromQL conditions, parsed as the alerting engine
// parses them, whose metric names must be ones a drill's storage can
// hold (see metricSet). A misspelt name is the team's invalid input, not
// a drill the team failed after a whole world ran. The error lists every
// unknown name at once, one line each, as
// "FILE:LINE: STEP: unknown alert "X"; closest: A, B".
func CheckNames(sel *Selection, t *team.Team, top testbed.Topology) error {
	errs, _ := checkNames(sel, t, top)
	return errors.Join(errs...)
}

// CheckSteps is everything Prepare checks of the selected scenarios'
// steps once the topology is valid: the names they refer to
// (CheckNames), the faults they inject (CheckFaults) and what their
// Given steps set (CheckSettings). A misspelt fault target is reported
// once, by CheckNames. `drill lint` calls it with live false.
func CheckSteps(sel *Selection, t *team.Team, top testbed.Topology, live bool) error {
	errs, refused := checkNames(sel, t, top)
	errs = append(errs, checkFaults(sel, top, refused))
	errs = append(errs, CheckSettings(sel, live))
	return errors.Join(errs...)
}

// stepKey identifies one step of one feature file, expanded.
type stepKey struct {
	file string
	line int
	step string
}

// checkNames returns the problems and the steps whose fault target it
// refused, for checkFaults not to refuse them again.
func checkNames(sel *Selection, t *team.Team, top testbed.Topology) ([]error, map[stepKey]bool) {
	k := newKnown(t, top)
	var errs []error
	refused := map[stepKey]bool{}
	seen := map[string]bool{}
	for _, r := range features.References(sel.Scenarios) {
		for _, why := range k.resolve(r) {
			where := fmt.Sprintf("%s:%d: %s", r.File, r.At(), r.Step)
			if r.Row > 0 {
				where += fmt.Sprintf(" (the step at line %d, filled in by this Examples row)", r.Line)
			}
			if msg := where + ": " + why; !seen[msg] {
				seen[msg] = true // a step of an outline repeats per row
				errs = append(errs, errors.New(msg))
			}
			switch r.Kind {
			case features.RefProvider, features.RefStub, features.RefTarget:
				refused[stepKey{r.File, r.Line, r.Step}] = true
			}
		}
	}
	return errs, refused
}

// known is what a team's names resolve against.
type known struct {
	t         *team.Team
	alerts    []string
	teams     []string
	users     []string
	roles     []string // ids, then names
	providers []string
	stubs     []string
	mixes     []string
	metrics   metricSet
}

func newKnown(t *team.Team, top testbed.Topology) *known {
	k := &known{t: t, metrics: metricsOf(t, top)}
	for _, r := range t.Alerts() {
		k.alerts = append(k.alerts, r.Alert)
	}
	if e := t.Escalation; e != nil {
		for _, g := range e.Teams {
			k.teams = append(k.teams, g.ID)
		}
		for _, u := range e.Users {
			k.users = append(k.users, u.ID)
		}
		for _, r := range e.Roles {
			k.roles = append(k.roles, r.ID)
		}
		for _, r := range e.Roles {
			if r.Name != "" {
				k.roles = append(k.roles, r.Name)
			}
		}
	}
	for _, p := range top.Providers {
		k.providers = append(k.providers, p.Name)
	}
	for _, s := range top.Stubs {
		k.stubs = append(k.stubs, s.Name)
	}
	for m := range mixes {
		k.mixes = append(k.mixes, m)
	}
	sort.Strings(k.mixes)
	return k
}

// resolve returns what is wrong with a reference: nothing when it names
// something that exists.
func (k *known) resolve(r features.Reference) []string {
	switch r.Kind {
	case features.RefAlert:
		return unknown("alert", r.Name, k.alerts, "the team's rule files define no alerting rule")
	case features.RefTeam:
		return unknown("team", r.Name, k.teams, "the escalation files define no team")
	case features.RefResponder:
		return unknown("responder", r.Name, k.users, "the escalation files define no user")
	case features.RefRole:
		if _, ok := features.FindRole(k.t.Escalation, r.Name); ok {
			return nil
		}
		return unknown("role", r.Name, k.roles, "the escalation files define no roles: section")
	case features.RefProvider:
		// A stub named where a provider is meant is the fault check's
		// to judge: some faults act on any proxy.
		if contains(k.stubs, r.Name) {
			return nil
		}
		return unknown("provider", r.Name, k.providers, "drill.yaml defines no provider")
	case features.RefStub:
		if contains(k.providers, r.Name) {
			return nil
		}
		return unknown("stub", r.Name, k.stubs, "drill.yaml defines no stub")
	case features.RefTarget:
		targets := append(append(append([]string(nil), k.providers...), k.stubs...), "traffic")
		return unknown("fault target", r.Name, targets, "")
	case features.RefMix:
		return unknown("traffic mix", r.Name, k.mixes, "")
	case features.RefPromQL:
		return k.condition(r.Name)
	}
	return nil // RefFault: CheckFaults resolves it with its parameters
}

// condition checks a PromQL condition of a step: it parses as the
// alerting engine parses queries, returns what a condition can be, and
// selects metrics and alerts that exist.
func (k *known) condition(expr string) []string {
	e, err := alerting.ParseExpr(expr)
	if err != nil {
		return []string{fmt.Sprintf("condition %q is not valid PromQL: %v", expr, err)}
	}
	if typ := e.Type(); typ != parser.ValueTypeVector && typ != parser.ValueTypeScalar {
		return []string{fmt.Sprintf("condition %q returns a %s; want an instant vector or a scalar", expr, parser.DocumentedType(typ))}
	}
	var out []string
	for _, name := range selectedNames(e, model.MetricNameLabel) {
		if k.metrics.has(name) {
			continue
		}
		out = append(out, fmt.Sprintf("condition %q: unknown metric %q; closest: %s (%s)",
			expr, name, strings.Join(textdist.Closest(name, k.metrics.sorted(), closestN), ", "), k.metrics.from))
	}
	for _, name := range alertNames(e) {
		for _, why := range unknown("alert", name, k.alerts, "the team's rule files define no alerting rule") {
			out = append(out, fmt.Sprintf("condition %q: %s", expr, why))
		}
	}
	return out
}

// unknown says that name is not one of the known names of what kind,
// with the closest ones, or none when it is; empty says why there are
// none.
func unknown(what, name string, names []string, empty string) []string {
	if contains(names, name) {
		return nil
	}
	if len(names) == 0 {
		return []string{fmt.Sprintf("unknown %s %q; %s", what, name, empty)}
	}
	return []string{fmt.Sprintf("unknown %s %q; closest: %s", what, name, strings.Join(textdist.Closest(name, names, closestN), ", "))}
}

func contains(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// metricSet is the metric names a drill's storage can hold, as far as
// they are known before any world starts. open is true when a part whose
// metrics cannot be known in advance is scraped (a command or image
// service with a metrics path): then a name outside the set may be real,
// and nothing is refused.
type metricSet struct {
	names map[string]bool
	open  bool
	from  string // where the names come from, for a message
}

func (m metricSet) has(name string) bool { return m.open || m.names[name] }

func (m metricSet) sorted() []string {
	out := make([]string, 0, len(m.names))
	for n := range m.names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// metricsOf is every metric name a drill of the team can read: what
// drill's parts in the topology export (exportedMetrics), the team's
// recording rules, and any metric the team's rules read.
func metricsOf(t *team.Team, top testbed.Topology) metricSet {
	m, from := exportedMetrics(top)
	add := func(names []string) {
		for _, n := range names {
			m.names[n] = true
		}
	}
	for _, r := range t.Rules {
		if r.Record != "" {
			m.names[r.Record] = true
		}
		if e := r.ParsedExpr(); e != nil {
			add(selectedNames(e, model.MetricNameLabel))
		}
	}
	from = append(from, "the team's rules")
	m.from = "known metrics are those of " + strings.Join(from, ", ")
	return m
}

// exportedMetrics is what the alerting engine writes itself (up,
// scrape_*, ALERTS) and what drill's own parts in the topology export
// (the traffic generator always, a scenario may start it; the mock
// providers and stubs the topology has; the built-in gateway when it is
// the service), with the names of those parts. open is set when the
// team's own service is scraped: its metrics are known once it runs.
// Toxiproxy, behind which faults act, is not scraped and adds none.
func exportedMetrics(top testbed.Topology) (metricSet, []string) {
	m := metricSet{names: map[string]bool{}}
	from := []string{"the alerting engine", "the traffic generator"}
	add := func(names []string) {
		for _, n := range names {
			m.names[n] = true
		}
	}
	add(alerting.SeriesNames())
	add(traffic.MetricNames())
	if len(top.Providers) > 0 {
		add(mockllm.MetricNames())
		from = append(from, "the mock providers")
	}
	if len(top.Stubs) > 0 {
		add(stubs.MetricNames())
		from = append(from, "the stubs")
	}
	switch svc := top.Service; svc.Form() {
	case testbed.FormBuiltin:
		add(gateway.MetricNames())
		from = append(from, "the built-in gateway")
	default:
		// The team's own service: its metrics are known once it runs.
		m.open = svc.Metrics != ""
	}
	return m, from
}

// ExportedMetrics are the metric names a world of top can hold before
// any rule is evaluated, whether or not anything happened yet that
// writes them: the alerting engine's own series and those drill's parts
// in the topology export (a label vector of the built-in gateway appears
// on /metrics only once something counted in it). open is true when the
// team's own service is scraped, whose names are known only from what it
// exposes.
func ExportedMetrics(top testbed.Topology) (names []string, open bool) {
	m, _ := exportedMetrics(top)
	return m.sorted(), m.open
}

// selectedNames are the values an expression's selectors require of a
// label by equality, in order, once each: for model.MetricNameLabel, the
// metric names it reads.
func selectedNames(e parser.Expr, label string) []string {
	var out []string
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, lm := range vs.LabelMatchers {
			if lm.Name == label && lm.Type == labels.MatchEqual && !seen[lm.Value] {
				seen[lm.Value] = true
				out = append(out, lm.Value)
			}
		}
		return nil
	})
	return out
}

// alertNames are the alert names an expression's ALERTS and
// ALERTS_FOR_STATE selectors require by equality.
func alertNames(e parser.Expr) []string {
	var out []string
	seen := map[string]bool{}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		isAlerts := false
		for _, lm := range vs.LabelMatchers {
			if lm.Name == model.MetricNameLabel && lm.Type == labels.MatchEqual && (lm.Value == alerting.SeriesAlerts || lm.Value == alerting.SeriesAlertsForState) {
				isAlerts = true
			}
		}
		for _, lm := range vs.LabelMatchers {
			if isAlerts && lm.Name == "alertname" && lm.Type == labels.MatchEqual && !seen[lm.Value] {
				seen[lm.Value] = true
				out = append(out, lm.Value)
			}
		}
		return nil
	})
	return out
}
