package stubs

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// File is a parsed, validated stub file.
type File struct {
	Name   string
	Routes []*Route
	// Faults are active from the moment the server starts.
	Faults []faultmode.Fault[Params]
	// Source is the file name errors and messages refer to.
	Source string
}

// Route is one stubbed endpoint.
type Route struct {
	Name     string
	Method   string
	Path     string
	Match    Match
	Response Response
	Latency  *Latency // nil: answer at once
	Line     int      // where the route starts in its file

	segs []segment
}

// Match narrows a route to requests whose query, headers or body match.
// Every matcher given must match.
type Match struct {
	Query   map[string]Value
	Headers map[string]Value
	Body    BodyMatch
}

// BodyMatch matches the request body: JSON fields by dotted path, and/or
// a regular expression over the raw body.
type BodyMatch struct {
	JSON  map[string]Value
	Regex *regexp.Regexp

	paths map[string][]pathStep
}

// Value matches one request value: "*" (present, any value), "re:EXPR"
// (an RE2 expression, unanchored) or a literal (equal).
type Value struct {
	Raw string
	re  *regexp.Regexp
}

// Matches reports whether v matches s.
func (v Value) Matches(s string) bool {
	switch {
	case v.Raw == "*":
		return true
	case v.re != nil:
		return v.re.MatchString(s)
	default:
		return v.Raw == s
	}
}

// Response is what a route answers.
type Response struct {
	Status  int
	Headers map[string]string // values are templates

	headers map[string]*template.Template
	body    *template.Template // nil when the body is empty or JSON
	json    jsonTmpl           // nil unless json: was given
}

// Latency is the delay before a route answers.
type Latency struct {
	Dist   string // constant, normal or lognormal
	Mean   time.Duration
	Stddev time.Duration
}

// Dists are the latency distributions a stub file may name.
var Dists = []string{"constant", "normal", "lognormal"}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// LoadFile reads and parses a stub file.
func LoadFile(name string) (*File, error) {
	data, err := strictyaml.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("stubs: %w", err)
	}
	return Parse(name, data)
}

// Parse parses a stub file's contents; file names it in errors. The file
// is decoded strictly (strictyaml), then checked and compiled; every
// problem found is reported, each as "file:line:col: field: what was
// expected" (the error is a strictyaml.Problems).
func Parse(file string, data []byte) (*File, error) {
	var raw fileYAML
	doc, probs := strictyaml.Decode(file, data, &raw)
	if doc.Root == nil {
		if probs == nil {
			probs = strictyaml.Problems{{File: file, Line: 1, Col: 1, Msg: "empty file; want a stub file with name and routes"}}
		}
		return nil, probs.Err()
	}
	// The checks run even after decoding problems, so that every problem
	// shows at once; a field that did not decode is not judged again.
	p := &parser{doc: doc, probs: probs}
	f := p.file(&raw)
	if len(p.probs) > 0 {
		return nil, p.probs.Err()
	}
	f.Source = file
	return f, nil
}

// fileYAML and the types below are a stub file as written; the parser
// checks and compiles them into a File.
type fileYAML struct {
	Name   string                    `yaml:"name"`
	Routes []routeYAML               `yaml:"routes"`
	Faults []faultmode.Fault[Params] `yaml:"faults"`
}

type routeYAML struct {
	Pos      strictyaml.Pos
	Name     string        `yaml:"name"`
	Method   string        `yaml:"method"`
	Path     string        `yaml:"path"`
	Match    matchYAML     `yaml:"match"`
	Response *responseYAML `yaml:"response"`
	Latency  *latencyYAML  `yaml:"latency"`
}

type matchYAML struct {
	Query   map[string]Value `yaml:"query"`
	Headers map[string]Value `yaml:"headers"`
	Body    struct {
		JSON  map[string]Value `yaml:"json"`
		Regex string           `yaml:"regex"`
	} `yaml:"body"`
}

type responseYAML struct {
	Status  int               `yaml:"status"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	JSON    jsonBody          `yaml:"json"`
}

type latencyYAML struct {
	Dist   string        `yaml:"dist"`
	Mean   time.Duration `yaml:"mean"`
	Stddev time.Duration `yaml:"stddev"`
}

// DecodeYAML makes Value a strictyaml.Decodable: a string, whose re:
// form must compile.
func (v *Value) DecodeYAML(c *strictyaml.Cursor) {
	var s string
	if !c.Decode(&s) {
		return
	}
	val := Value{Raw: s}
	if expr, ok := strings.CutPrefix(s, "re:"); ok {
		re, err := regexp.Compile(expr)
		if err != nil {
			c.Problemf("want an RE2 regular expression after re: (%v)", err)
			return
		}
		val.re = re
	}
	*v = val
}

// jsonBody is a json: response body, compiled into a JSON template as it
// is decoded: string leaves holding {{ are text/templates rendered per
// request, everything else is kept as is, in the file's key order.
type jsonBody struct{ t jsonTmpl }

// DecodeYAML makes jsonBody a strictyaml.Decodable.
func (b *jsonBody) DecodeYAML(c *strictyaml.Cursor) { b.t = jsonValue(c) }

func jsonValue(c *strictyaml.Cursor) jsonTmpl {
	switch n := c.Node(); {
	case n.Kind == yaml.MappingNode:
		o := objectTmpl{vals: map[string]jsonTmpl{}}
		c.Entries("a JSON object", func(key string, _ strictyaml.Pos, val *strictyaml.Cursor) {
			o.keys = append(o.keys, key)
			o.vals[key] = jsonValue(val)
		})
		return o
	case n.Kind == yaml.SequenceNode:
		var items arrayTmpl
		c.Items("a JSON array", func(_ int, item *strictyaml.Cursor) { items = append(items, jsonValue(item)) })
		return items
	case n.Tag == "!!str" && strings.Contains(n.Value, "{{"):
		t, msg := compileTemplate(c.Field(), n.Value)
		if t == nil {
			c.Problemf("%s", msg)
			return nil
		}
		return stringTmpl{t}
	}
	var v any
	if !c.Decode(&v) {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.Problemf("not representable in JSON: %v", err)
		return nil
	}
	return literalTmpl(b)
}

// parser checks a decoded stub file, placing every problem by its field
// path in the document.
type parser struct {
	doc   *strictyaml.Doc
	probs strictyaml.Problems
}

// errorf records a problem with field, at its value (at its parent when
// it is not written), unless decoding it or a field holding it failed.
func (p *parser) errorf(field, format string, args ...any) {
	if !p.failed(field) {
		p.probs = append(p.probs, p.doc.ValueProblemf(field, format, args...))
	}
}

// failedWithin reports whether a problem names field or a field in it.
func (p *parser) failedWithin(field string) bool {
	for _, pr := range p.probs {
		f := pr.Field
		if f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[") {
			return true
		}
	}
	return false
}

// failed reports whether a problem names field or a field holding it.
func (p *parser) failed(field string) bool {
	for _, pr := range p.probs {
		f := pr.Field
		if f == "" || f == field || strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+"[") {
			return true
		}
	}
	return false
}

// nonEmptyKeys checks that a mapping of names has no empty name.
func (p *parser) nonEmptyKeys(field string, keys []string) {
	for _, k := range keys {
		if k == "" {
			p.errorf(field, "keys must be non-empty names")
		}
	}
}

func (p *parser) file(raw *fileYAML) *File {
	f := &File{}
	switch {
	case !p.doc.Has("name"):
		p.errorf("name", "required; want the stub's name, such as websearch")
	case !nameRE.MatchString(raw.Name):
		p.errorf("name", "want a name of letters, digits, '_', '.' or '-', got %q", raw.Name)
	default:
		f.Name = raw.Name
	}
	switch {
	case !p.doc.Has("routes"):
		p.errorf("routes", "required; want a list of routes")
	case len(raw.Routes) == 0:
		p.errorf("routes", "want at least one route")
	}
	seen := map[string]int{}
	for i := range raw.Routes {
		field := strictyaml.Index("routes", i)
		r := p.route(&raw.Routes[i], field)
		if r.Name != "" {
			if prev, dup := seen[r.Name]; dup {
				p.errorf(field+".name", "duplicate route name %q (first at line %d)", r.Name, prev)
			} else {
				seen[r.Name] = r.Line
			}
		}
		f.Routes = append(f.Routes, r)
	}
	for i, flt := range raw.Faults {
		if p.fault(flt, strictyaml.Index("faults", i), f.Routes) {
			f.Faults = append(f.Faults, flt)
		}
	}
	return f
}

func (p *parser) route(raw *routeYAML, field string) *Route {
	r := &Route{Line: raw.Pos.Line}
	switch {
	case !p.doc.Has(field + ".name"):
		p.errorf(field+".name", "required; want a name faults can target")
	case !nameRE.MatchString(raw.Name):
		p.errorf(field+".name", "want a name of letters, digits, '_', '.' or '-', got %q", raw.Name)
	default:
		r.Name = raw.Name
	}
	if up := strings.ToUpper(raw.Method); slices.Contains(methods, up) {
		r.Method = up
	} else if p.doc.Has(field + ".method") {
		p.errorf(field+".method", "want one of %s, got %q", strings.Join(methods, ", "), raw.Method)
	} else {
		p.errorf(field+".method", "required; want one of %s", strings.Join(methods, ", "))
	}
	if p.doc.Has(field + ".path") {
		segs, err := parsePattern(raw.Path)
		if err != nil {
			p.errorf(field+".path", "%v", err)
		}
		r.Path, r.segs = raw.Path, segs
	} else {
		p.errorf(field+".path", "required; want a path such as /charges/{id}")
	}
	r.Match = p.match(&raw.Match, field+".match")
	r.Response = Response{Status: 200}
	if raw.Response != nil {
		r.Response = p.response(raw.Response, field+".response")
	}
	if raw.Latency != nil {
		r.Latency = p.latency(raw.Latency, field+".latency")
	}
	return r
}

func (p *parser) match(raw *matchYAML, field string) Match {
	out := Match{Query: raw.Query}
	p.nonEmptyKeys(field+".query", slices.Sorted(maps.Keys(raw.Query)))
	if raw.Headers != nil {
		p.nonEmptyKeys(field+".headers", slices.Sorted(maps.Keys(raw.Headers)))
		out.Headers = map[string]Value{}
		for k, v := range raw.Headers {
			out.Headers[canonicalHeader(k)] = v
		}
	}
	if raw.Body.JSON != nil {
		jf := field + ".body.json"
		p.nonEmptyKeys(jf, slices.Sorted(maps.Keys(raw.Body.JSON)))
		out.Body.JSON = raw.Body.JSON
		out.Body.paths = map[string][]pathStep{}
		for _, k := range slices.Sorted(maps.Keys(raw.Body.JSON)) {
			steps, err := parseJSONPath(k)
			if err != nil {
				p.errorf(strictyaml.Join(jf, k), "%v", err)
				continue
			}
			out.Body.paths[k] = steps
		}
	}
	if p.doc.Has(field + ".body.regex") {
		re, err := regexp.Compile(raw.Body.Regex)
		if err != nil {
			p.errorf(field+".body.regex", "want an RE2 regular expression: %v", err)
		}
		out.Body.Regex = re
	}
	return out
}

func (p *parser) response(raw *responseYAML, field string) Response {
	out := Response{Status: 200}
	if p.doc.Has(field + ".status") {
		if raw.Status < 100 || raw.Status > 599 {
			p.errorf(field+".status", "want an HTTP status from 100 to 599, got %d", raw.Status)
		}
		out.Status = raw.Status
	}
	if p.doc.Has(field + ".headers") {
		hf := field + ".headers"
		p.nonEmptyKeys(hf, slices.Sorted(maps.Keys(raw.Headers)))
		out.Headers = map[string]string{}
		out.headers = map[string]*template.Template{}
		for _, k := range slices.Sorted(maps.Keys(raw.Headers)) {
			hv := raw.Headers[k]
			if t, ok := p.template(strictyaml.Join(hf, k), hv); ok {
				ck := canonicalHeader(k)
				out.Headers[ck] = hv
				out.headers[ck] = t
			}
		}
	}
	hasBody, hasJSON := p.doc.Has(field+".body"), p.doc.Has(field+".json")
	if hasBody && hasJSON {
		p.errorf(field+".json", "give body or json, not both")
		return out
	}
	if hasBody {
		out.body, _ = p.template(field+".body", raw.Body)
	}
	if hasJSON {
		out.json = raw.JSON.t
		if out.headers == nil {
			out.Headers = map[string]string{}
			out.headers = map[string]*template.Template{}
		}
	}
	return out
}

// compileTemplate compiles a response template named by its field; the
// message says what is wrong when it does not compile.
func compileTemplate(field, text string) (*template.Template, string) {
	t, err := template.New(field).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err == nil {
		return t, ""
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	msg = strings.TrimPrefix(msg, field+":")
	if ln, rest, ok := strings.Cut(msg, ": "); ok {
		if _, err := strconv.Atoi(ln); err == nil {
			msg = rest + " (line " + ln + " of the template)"
		}
	}
	return nil, "bad template: " + msg
}

func (p *parser) template(field, text string) (*template.Template, bool) {
	t, msg := compileTemplate(field, text)
	if t == nil {
		p.errorf(field, "%s", msg)
		return nil, false
	}
	return t, true
}

func (p *parser) latency(raw *latencyYAML, field string) *Latency {
	l := &Latency{Dist: raw.Dist, Mean: raw.Mean, Stddev: raw.Stddev}
	switch {
	case !p.doc.Has(field + ".dist"):
		p.errorf(field+".dist", "required; want one of %s", strings.Join(Dists, ", "))
	case !slices.Contains(Dists, l.Dist):
		p.errorf(field+".dist", "want one of %s, got %q", strings.Join(Dists, ", "), l.Dist)
	}
	hasMean := p.doc.Has(field + ".mean")
	if !hasMean {
		p.errorf(field+".mean", "required; want a duration such as 40ms")
	}
	if p.doc.Has(field + ".stddev") {
		if l.Dist == "constant" {
			p.errorf(field+".stddev", "a constant latency has no stddev; use dist: normal or lognormal")
		}
	} else if l.Dist == "normal" || l.Dist == "lognormal" {
		p.errorf(field+".stddev", "required for dist %s; want a duration such as 10ms", l.Dist)
	}
	if l.Dist == "lognormal" && hasMean && l.Mean == 0 {
		p.errorf(field+".mean", "a lognormal latency needs a positive mean")
	}
	return l
}

// fault checks a fault of the file; it reports whether it is good.
func (p *parser) fault(f faultmode.Fault[Params], field string, routes []*Route) bool {
	if p.failed(field) {
		return false
	}
	before := len(p.probs)
	if p.doc.Has(field+".id") && !nameRE.MatchString(f.ID) {
		p.errorf(field+".id", "want a name of letters, digits, '_', '.' or '-', got %q", f.ID)
	}
	if !p.doc.Has(field + ".mode") {
		p.errorf(field+".mode", "required; want one of %s", strings.Join(Modes, ", "))
	}
	if s := f.Target; p.doc.Has(field + ".target") {
		if _, err := path.Match(s, ""); err != nil {
			p.errorf(field+".target", "bad glob %q: %v", s, err)
		} else if !globMatchesAny(s, routes) {
			p.errorf(field+".target", "glob %q matches no route; routes are %s", s, routeNames(routes))
		}
	}
	if x := f.Probability; x != nil && !faultmode.ProbabilityRange.Contains(*x) {
		p.errorf(field+".probability", "want a number %s, got %v", faultmode.ProbabilityRange, *x)
	}
	if !faultmode.CountRange.Contains(int64(f.Count)) {
		p.errorf(field+".count", "want a count %s (0 is no limit), got %d", faultmode.CountRange, f.Count)
	}
	p.nonEmptyKeys(field+".params.rename", slices.Sorted(maps.Keys(f.Params.Rename)))
	if f.Mode != "" && !p.failedWithin(field+".params") {
		if err := validateParams(f.Mode, f.Params); err != nil {
			// Each message names its field under the fault ("mode: ...",
			// "params.delay: ..."); it is placed at the params given, or
			// at the mode.
			at := field + ".mode"
			if p.doc.Has(field+".params") && !strings.HasPrefix(err.Error(), "mode:") {
				at = field + ".params"
			}
			for _, e := range splitErrors(err) {
				sub, msg, _ := strings.Cut(e, ": ")
				pr := p.doc.ValueProblemf(at, "%s", msg)
				pr.Field = field + "." + sub
				p.probs = append(p.probs, pr)
			}
		}
	}
	return len(p.probs) == before
}

func globMatchesAny(glob string, routes []*Route) bool {
	if glob == "" {
		return true
	}
	for _, r := range routes {
		if ok, _ := path.Match(glob, r.Name); ok {
			return true
		}
	}
	return false
}

func routeNames(routes []*Route) string {
	names := make([]string, 0, len(routes))
	for _, r := range routes {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}
