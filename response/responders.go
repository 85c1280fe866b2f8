package response

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/yamlpos"
	"github.com/drillkit/drill/team"
)

// ResponderConfig is drill.yaml's responders: how each simulated person
// behaves when paged. Users not listed take Default.
type ResponderConfig struct {
	File    string
	Users   map[string]Responder // user id → behaviour
	Default Responder
}

// Responder is one simulated person.
type Responder struct {
	// Available is false for someone who never answers a page (on a
	// plane, phone dead).
	Available bool
	// AckDelay is the time from the first notification they receive to
	// their acknowledgement.
	AckDelay Dist
	// ClaimDelay is the time from an incident's first page to their
	// claiming an incident role they can fill; zero Kind means AckDelay.
	ClaimDelay Dist
	// Line is where the entry is written in File; 0 for the built-in
	// default.
	Line, Col int
}

// DefaultResponder is what a user gets when responders: has no default:
// available, acknowledging after a lognormal delay with median 2m and p90
// 6m (a plausible phone-in-pocket reaction time).
var DefaultResponder = Responder{
	Available: true,
	AckDelay:  Dist{Kind: "lognormal", Median: 2 * time.Minute, P90: 6 * time.Minute},
}

// Dist is a distribution of durations: constant (Value), uniform (Min to
// Max) or lognormal (Median and P90).
type Dist struct {
	Kind            string
	Value, Min, Max time.Duration
	Median, P90     time.Duration
}

// z90 is the standard normal's 90th percentile: p90 = median·e^(σ·z90).
const z90 = 1.2815515655446004

// Sample draws one duration from d.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	switch d.Kind {
	case "uniform":
		if d.Max <= d.Min {
			return d.Min
		}
		return d.Min + time.Duration(r.Int64N(int64(d.Max-d.Min)+1))
	case "lognormal":
		mu := math.Log(float64(d.Median))
		sigma := math.Log(float64(d.P90)/float64(d.Median)) / z90
		v := math.Exp(mu + sigma*r.NormFloat64())
		if v > float64(24*time.Hour) { // a tail that long means "never" in a drill; cap it
			v = float64(24 * time.Hour)
		}
		return time.Duration(v).Round(time.Second)
	}
	return d.Value
}

// String writes d the way drill.yaml does.
func (d Dist) String() string {
	switch d.Kind {
	case "uniform":
		return fmt.Sprintf("uniform %s..%s", d.Min, d.Max)
	case "lognormal":
		return fmt.Sprintf("lognormal median %s p90 %s", d.Median, d.P90)
	}
	return d.Value.String()
}

// claimDelay is the distribution of the responder's role claims.
func (r Responder) claimDelay() Dist {
	if r.ClaimDelay.Kind == "" {
		return r.AckDelay
	}
	return r.ClaimDelay
}

// For returns user's behaviour.
func (c ResponderConfig) For(user string) Responder {
	if r, ok := c.Users[user]; ok {
		return r
	}
	return c.Default
}

// responderError is one problem in responders:, with its place.
type responderError struct {
	file      string
	line, col int
	field     string
	msg       string
}

func (e responderError) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.file, e.line, e.col, e.field, e.msg)
}

// ResponderErrors lists every problem in responders:.
type ResponderErrors []string

func (e ResponderErrors) Error() string { return strings.Join(e, "\n") }

// ParseResponders decodes drill.yaml's responders: node strictly. The
// shape is
//
//	responders:
//	  default: {available: true, ack_delay: {dist: lognormal, median: 2m, p90: 6m}}
//	  alice:   {ack_delay: {dist: constant, value: 1m}}   # or ack_delay: 1m
//	  bob:     {available: false}
//	  carol:   {ack_delay: {dist: uniform, min: 1m, max: 4m}}
//
// A user entry's missing fields take default's; default's missing fields
// take DefaultResponder's. A nil node yields the defaults. file names
// drill.yaml in errors.
func ParseResponders(file string, node *yaml.Node) (ResponderConfig, error) {
	cfg := ResponderConfig{File: file, Users: map[string]Responder{}, Default: DefaultResponder}
	p := &rparser{file: file}
	node = resolve(node)
	if node == nil || (node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null") {
		return cfg, nil
	}
	if node.Kind != yaml.MappingNode {
		p.addf(node, "responders", "expected a mapping of user id to {available, ack_delay}, got %s", describe(node))
		return cfg, p.err()
	}
	type raw struct {
		key  *yaml.Node
		val  *yaml.Node
		user string
	}
	var entries []raw
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], resolve(node.Content[i+1])
		if seen[k.Value] {
			p.addf(k, "responders."+k.Value, "duplicate entry")
			continue
		}
		seen[k.Value] = true
		entries = append(entries, raw{k, v, k.Value})
	}
	// default first, so users inherit from it.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].user == "default" && entries[j].user != "default" })
	for _, en := range entries {
		base := cfg.Default
		if en.user == "default" {
			base = DefaultResponder
		}
		r := p.responder(en.val, "responders."+en.user, base)
		r.Line, r.Col = en.key.Line, en.key.Column
		if en.user == "default" {
			cfg.Default = r
		} else {
			cfg.Users[en.user] = r
		}
	}
	return cfg, p.err()
}

type rparser struct {
	file string
	errs []responderError
}

func (p *rparser) addf(n *yaml.Node, field, format string, args ...any) {
	e := responderError{file: p.file, field: field, msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.line, e.col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

func (p *rparser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i], p.errs[j]
		return a.line < b.line || (a.line == b.line && a.col < b.col)
	})
	out := make(ResponderErrors, len(p.errs))
	for i, e := range p.errs {
		out[i] = e.String()
	}
	return out
}

func (p *rparser) responder(n *yaml.Node, field string, base Responder) Responder {
	r := base
	if n == nil || n.Kind != yaml.MappingNode {
		p.addf(n, field, "expected a mapping with available and/or ack_delay, got %s", describe(n))
		return r
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		f := field + "." + k.Value
		switch k.Value {
		case "available":
			if v == nil || v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
				p.addf(v, f, "expected true or false, got %s", describe(v))
				continue
			}
			r.Available = strings.EqualFold(v.Value, "true")
		case "ack_delay":
			if d, ok := p.dist(v, f); ok {
				r.AckDelay = d
			}
		case "claim_delay":
			if d, ok := p.dist(v, f); ok {
				r.ClaimDelay = d
			}
		default:
			p.addf(k, f, "unknown field; expected available, ack_delay or claim_delay")
		}
	}
	return r
}

func (p *rparser) duration(n *yaml.Node, field string) (time.Duration, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		p.addf(n, field, "expected a duration like 90s or 2m, got %s", describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d < 0 {
		p.addf(n, field, "expected a non-negative duration like 90s or 2m, got %q", n.Value)
		return 0, false
	}
	return d, true
}

func (p *rparser) dist(n *yaml.Node, field string) (Dist, bool) {
	if n != nil && n.Kind == yaml.ScalarNode { // ack_delay: 1m is a constant
		d, ok := p.duration(n, field)
		return Dist{Kind: "constant", Value: d}, ok
	}
	if n == nil || n.Kind != yaml.MappingNode {
		p.addf(n, field, "expected a duration or {dist: constant|uniform|lognormal, ...}, got %s", describe(n))
		return Dist{}, false
	}
	keys := map[string]*yaml.Node{}   // field name → its key node
	values := map[string]*yaml.Node{} // field name → its value node
	var kindNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if k.Value == "dist" {
			kindNode = v
			continue
		}
		keys[k.Value], values[k.Value] = k, v
	}
	if kindNode == nil {
		p.addf(n, field+".dist", "missing; expected constant, uniform or lognormal")
		return Dist{}, false
	}
	want := map[string][]string{"constant": {"value"}, "uniform": {"min", "max"}, "lognormal": {"median", "p90"}}
	names, ok := want[kindNode.Value]
	if !ok {
		p.addf(kindNode, field+".dist", "expected constant, uniform or lognormal, got %s", describe(kindNode))
		return Dist{}, false
	}
	d := Dist{Kind: kindNode.Value}
	good := true
	vals := map[string]time.Duration{}
	for _, name := range names {
		if keys[name] == nil {
			p.addf(n, field+"."+name, "missing; dist %s needs %s", d.Kind, strings.Join(names, " and "))
			good = false
			continue
		}
		v, ok := p.duration(values[name], field+"."+name)
		good = good && ok
		vals[name] = v
	}
	for k, kn := range keys {
		if !contains(names, k) {
			p.addf(kn, field+"."+k, "unknown field for dist %s; expected %s", d.Kind, strings.Join(names, " and "))
			good = false
		}
	}
	if !good {
		return Dist{}, false
	}
	d.Value, d.Min, d.Max, d.Median, d.P90 = vals["value"], vals["min"], vals["max"], vals["median"], vals["p90"]
	switch d.Kind {
	case "uniform":
		if d.Max < d.Min {
			p.addf(values["max"], field+".max", "expected max >= min (%s), got %s", d.Min, d.Max)
			return Dist{}, false
		}
	case "lognormal":
		if d.Median <= 0 || d.P90 < d.Median {
			p.addf(values["p90"], field, "expected 0 < median <= p90, got median %s, p90 %s", d.Median, d.P90)
			return Dist{}, false
		}
	}
	return d, true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	resolve  = yamlpos.Resolve
	describe = yamlpos.Describe
)

// CheckResponders parses drill.yaml's responders section (node may be
// nil) and checks that every user it names is in the escalation config,
// as New does: a run checks it once, before any scenario starts.
func CheckResponders(file string, node *yaml.Node, esc *team.Escalation) error {
	if node == nil {
		return nil
	}
	rc, err := ParseResponders(file, node)
	if err != nil {
		return err
	}
	if probs := unknownResponders(rc, esc); len(probs) > 0 {
		return ResponderErrors(probs)
	}
	return nil
}

// unknownResponders lists the users of rc that esc does not know, sorted.
func unknownResponders(rc ResponderConfig, esc *team.Escalation) []string {
	var probs []string
	for _, u := range slices.Sorted(maps.Keys(rc.Users)) {
		if _, ok := esc.User(u); !ok {
			r := rc.Users[u]
			probs = append(probs, fmt.Sprintf("%s:%d:%d: responders.%s: unknown user; expected a user id from escalation/ or default", rc.File, r.Line, r.Col, u))
		}
	}
	return probs
}
