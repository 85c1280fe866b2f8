package team

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	amconfig "github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/alertmanager/inhibit"
	"github.com/prometheus/alertmanager/timeinterval"
	"go.yaml.in/yaml/v3"
)

// Alertmanager is the team's alertmanager.yml (drill.yaml's
// paths.alertmanager), loaded and validated by Alertmanager's own config
// package, with its route tree built by Alertmanager's dispatch package:
// drill never matches labels against the tree itself.
type Alertmanager struct {
	File   string // relative to the team directory
	Config *amconfig.Config

	root *dispatch.Route
	// receivers maps every receiver of the file to the drill escalation
	// policy it pages, "" for a receiver that pages nobody.
	receivers map[string]string
	// receiverPos is where each receiver's name is written.
	receiverPos map[string]Pos
	// inhibit are the file's inhibit_rules, in order, as Alertmanager's
	// inhibit package builds them (old-style source_match and
	// source_match_re joined to source_matchers, the same for target).
	inhibit []*inhibit.InhibitRule
	// inhibitPos is where each of inhibit_rules[i] begins.
	inhibitPos []Pos
	// intervals decides mute_time_intervals and active_time_intervals
	// of a route: Alertmanager's own Intervener over the file's
	// time_intervals and (older) mute_time_intervals.
	intervals *timeinterval.Intervener
}

// ReceiverPos is where the receiver's name is written in File (zero when
// unknown).
func (a *Alertmanager) ReceiverPos(receiver string) Pos { return a.receiverPos[receiver] }

// receiverPositions finds receivers[i].name in a file Alertmanager's
// loader accepted (so it parses); positions are for messages only.
func receiverPositions(data []byte) map[string]Pos {
	out := map[string]Pos{}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	top := doc.Content[0]
	for i := 0; top.Kind == yaml.MappingNode && i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value != "receivers" || top.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, r := range top.Content[i+1].Content {
			for j := 0; r.Kind == yaml.MappingNode && j+1 < len(r.Content); j += 2 {
				if r.Content[j].Value == "name" {
					out[r.Content[j+1].Value] = posOf(r.Content[j+1])
				}
			}
		}
	}
	return out
}

// AMMatch is one route of the tree an alert's labels take: with
// continue: true an alert takes several.
type AMMatch struct {
	Receiver string
	// Policy is the escalation policy the receiver pages; empty when it
	// pages none (a Slack-only or null receiver).
	Policy string
	// Route is Alertmanager's key of the matched route (its matchers from
	// the root down); alerts group per route.
	Route string
	// GroupBy are the route's group_by labels, sorted; GroupByAll is
	// group_by: ['...'].
	GroupBy    []string
	GroupByAll bool
	// GroupWait is the route's group_wait (inherited, Alertmanager's
	// default 30s): how long a new group waits before its first
	// notification. GroupInterval is the route's group_interval
	// (inherited, default 5m): how often the group is flushed after that,
	// which is when a group whose alerts were all inhibited at its first
	// flush is looked at again.
	GroupWait     time.Duration
	GroupInterval time.Duration
	// MuteTimeIntervals and ActiveTimeIntervals are the route's own (not
	// inherited, as in Alertmanager) time interval names.
	MuteTimeIntervals, ActiveTimeIntervals []string
}

// Route returns the routes labels take through the tree, in
// Alertmanager's order (depth first, left to right, stopping at the first
// match of a level without continue). The root always matches, so an
// alert takes at least one route; whether it pages anyone is whether a
// match has a Policy.
func (a *Alertmanager) Route(labels map[string]string) []AMMatch {
	var out []AMMatch
	for _, r := range a.root.Match(labelSet(labels)) {
		m := AMMatch{
			Receiver:   r.RouteOpts.Receiver,
			Policy:     a.receivers[r.RouteOpts.Receiver],
			Route:      r.Key(),
			GroupByAll: r.RouteOpts.GroupByAll,
			GroupWait:  r.RouteOpts.GroupWait,

			GroupInterval: r.RouteOpts.GroupInterval,

			MuteTimeIntervals:   r.RouteOpts.MuteTimeIntervals,
			ActiveTimeIntervals: r.RouteOpts.ActiveTimeIntervals,
		}
		for l := range r.RouteOpts.GroupBy {
			m.GroupBy = append(m.GroupBy, string(l))
		}
		sort.Strings(m.GroupBy)
		out = append(out, m)
	}
	return out
}

// Receivers are the file's receiver names, sorted.
func (a *Alertmanager) Receivers() []string {
	out := make([]string, 0, len(a.receivers))
	for r := range a.receivers {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// ReceiverPolicy is the policy a receiver pages, "" for none.
func (a *Alertmanager) ReceiverPolicy(receiver string) string { return a.receivers[receiver] }

// AlertmanagerConfig is drill.yaml's alertmanager section.
type AlertmanagerConfig struct {
	// Receivers maps an Alertmanager receiver to the escalation policy it
	// pages, where the names differ (pd-ml-platform: ml-platform). A
	// receiver not listed pages the policy of its own name, if any.
	Receivers map[string]string `yaml:"receivers"`
}

// yamlLine finds the line in the errors of gopkg.in/yaml.v2, which
// Alertmanager's loader uses ("yaml: line 7: ..." or "line 7: ...").
var yamlLine = regexp.MustCompile(`\bline (\d+):`)

// ParseAlertmanager loads an alertmanager.yml with Alertmanager's loader
// and maps its receivers to the escalation's policies through cfg's
// alertmanager.receivers. A file the loader refuses is one problem naming
// the file, with the line when the loader's error has one; a mapping to a
// receiver the file lacks, or to a policy esc lacks, is a problem at the
// drill.yaml key.
func ParseAlertmanager(file string, data []byte, cfg *Config, esc *Escalation) (*Alertmanager, Problems) {
	var probs Problems
	c, err := amconfig.Load(string(data))
	if err != nil {
		// yaml.v2 lists its unmarshal errors one a line; keep one line.
		p := Problem{File: file, Msg: "Alertmanager's loader refuses it: " + strings.Join(strings.Fields(err.Error()), " ")}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
		}
		return nil, Problems{p}
	}
	a := &Alertmanager{File: file, Config: c, root: dispatch.NewRoute(c.Route, nil), receivers: map[string]string{},
		receiverPos: receiverPositions(data), inhibitPos: inhibitPositions(data)}
	// As Alertmanager builds its Intervener on (re)load: both lists by
	// name, time_intervals winning a name both have.
	ti := make(map[string][]timeinterval.TimeInterval, len(c.MuteTimeIntervals)+len(c.TimeIntervals))
	for _, t := range c.MuteTimeIntervals {
		ti[t.Name] = t.TimeIntervals
	}
	for _, t := range c.TimeIntervals {
		ti[t.Name] = t.TimeIntervals
	}
	a.intervals = timeinterval.NewIntervener(ti)
	for _, r := range c.InhibitRules {
		// The loader has validated every matcher, so NewInhibitRule's
		// panic on a bad one cannot be reached.
		a.inhibit = append(a.inhibit, inhibit.NewInhibitRule(r))
	}
	for _, r := range c.Receivers {
		if _, ok := esc.Policy(r.Name); ok {
			a.receivers[r.Name] = r.Name
		} else {
			a.receivers[r.Name] = ""
		}
	}
	names := make([]string, 0, len(cfg.Alertmanager.Receivers))
	for k := range cfg.Alertmanager.Receivers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, recv := range names {
		pol := cfg.Alertmanager.Receivers[recv]
		field := "alertmanager.receivers." + recv
		if _, ok := a.receivers[recv]; !ok {
			probs = append(probs, cfg.problem(field, fmt.Sprintf("unknown receiver %q; expected one of %s's receivers: %s", recv, file, strings.Join(a.Receivers(), ", "))))
			continue
		}
		if _, ok := esc.Policy(pol); !ok {
			probs = append(probs, cfg.problem(field, fmt.Sprintf("unknown policy %q; expected a policy id from %s/", pol, cfg.Paths.Escalation)))
			continue
		}
		a.receivers[recv] = pol
	}
	return a, probs
}
