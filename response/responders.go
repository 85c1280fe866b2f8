package response

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/strictyaml"
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
// drill.yaml in errors, which are strictyaml.Problems.
func ParseResponders(file string, node *yaml.Node) (ResponderConfig, error) {
	cfg := ResponderConfig{File: file, Users: map[string]Responder{}, Default: DefaultResponder}
	if strictyaml.IsNull(node) {
		return cfg, nil
	}
	if n := strictyaml.Resolve(node); n.Kind != yaml.MappingNode {
		return cfg, strictyaml.Problems{strictyaml.At(file, n, "responders", "expected a mapping of user id to {available, ack_delay}, got %s", strictyaml.Describe(n))}
	}
	var raw map[string]responderYAML
	doc := &strictyaml.Doc{File: file, Root: node, Path: "responders"}
	if probs := doc.Decode(&raw); len(probs) > 0 {
		return cfg, probs.Err()
	}
	// default first, so users inherit from it.
	if d, ok := raw["default"]; ok {
		cfg.Default = d.over(DefaultResponder, doc, "default")
	}
	for user, r := range raw {
		if user != "default" {
			cfg.Users[user] = r.over(cfg.Default, doc, user)
		}
	}
	return cfg, nil
}

// responderYAML is one entry of responders: as written.
type responderYAML struct {
	Available  *bool `yaml:"available"`
	AckDelay   *Dist `yaml:"ack_delay"`
	ClaimDelay *Dist `yaml:"claim_delay"`
}

// over is the entry for user with its missing fields taken from base,
// placed at its key.
func (r responderYAML) over(base Responder, doc *strictyaml.Doc, user string) Responder {
	out := base
	if r.Available != nil {
		out.Available = *r.Available
	}
	if r.AckDelay != nil {
		out.AckDelay = *r.AckDelay
	}
	if r.ClaimDelay != nil {
		out.ClaimDelay = *r.ClaimDelay
	}
	if k := doc.Key(strictyaml.Join("responders", user)); k != nil {
		out.Line, out.Col = k.Line, k.Column
	}
	return out
}

// distParams are the fields each kind of Dist takes.
var distParams = map[string][]string{"constant": {"value"}, "uniform": {"min", "max"}, "lognormal": {"median", "p90"}}

// DecodeYAML makes Dist a strictyaml.Decodable: a bare duration is a
// constant; a mapping is {dist: constant|uniform|lognormal} with the
// fields of its kind.
func (d *Dist) DecodeYAML(c *strictyaml.Cursor) {
	if c.Node().Kind != yaml.MappingNode {
		var v time.Duration
		if c.Decode(&v) && !c.IsNull() { // ack_delay: 1m is a constant
			*d = Dist{Kind: "constant", Value: v}
		}
		return
	}
	var raw struct {
		Dist   string         `yaml:"dist"`
		Value  *time.Duration `yaml:"value"`
		Min    *time.Duration `yaml:"min"`
		Max    *time.Duration `yaml:"max"`
		Median *time.Duration `yaml:"median"`
		P90    *time.Duration `yaml:"p90"`
	}
	if !c.Decode(&raw) {
		return
	}
	if _, ok := c.Key("dist"); !ok {
		c.At("dist", "missing; expected constant, uniform or lognormal")
		return
	}
	names, ok := distParams[raw.Dist]
	if !ok {
		c.Value("dist").Problemf("expected constant, uniform or lognormal, got %q", raw.Dist)
		return
	}
	given := map[string]*time.Duration{"value": raw.Value, "min": raw.Min, "max": raw.Max, "median": raw.Median, "p90": raw.P90}
	good := true
	for _, name := range []string{"value", "min", "max", "median", "p90"} {
		switch in := slices.Contains(names, name); {
		case in && given[name] == nil:
			c.At(name, "missing; dist %s needs %s", raw.Dist, strings.Join(names, " and "))
			good = false
		case !in && given[name] != nil:
			c.At(name, "unknown field for dist %s; expected %s", raw.Dist, strings.Join(names, " and "))
			good = false
		}
	}
	if !good {
		return
	}
	out := Dist{Kind: raw.Dist}
	for name, dst := range map[string]*time.Duration{"value": &out.Value, "min": &out.Min, "max": &out.Max, "median": &out.Median, "p90": &out.P90} {
		if given[name] != nil {
			*dst = *given[name]
		}
	}
	switch out.Kind {
	case "uniform":
		if out.Max < out.Min {
			c.Value("max").Problemf("expected max >= min (%s), got %s", out.Min, out.Max)
			return
		}
	case "lognormal":
		if out.Median <= 0 || out.P90 < out.Median {
			c.Value("p90").Problemf("expected 0 < median <= p90, got median %s, p90 %s", out.Median, out.P90)
			return
		}
	}
	*d = out
}

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
		return probs
	}
	return nil
}

// unknownResponders lists the users of rc that esc does not know, sorted.
func unknownResponders(rc ResponderConfig, esc *team.Escalation) strictyaml.Problems {
	var probs strictyaml.Problems
	for _, u := range slices.Sorted(maps.Keys(rc.Users)) {
		if _, ok := esc.User(u); !ok {
			r := rc.Users[u]
			probs = append(probs, strictyaml.Problem{File: rc.File, Line: r.Line, Col: r.Col, Field: strictyaml.Join("responders", u),
				Msg: "unknown user; expected a user id from escalation/ or default"})
		}
	}
	return probs
}
