package stubs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
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
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("stubs: %w", err)
	}
	return Parse(name, data)
}

// Parse parses a stub file's contents; file names it in errors. Every
// problem found is reported, each as "file:line: field: what was expected".
func Parse(file string, data []byte) (*File, error) {
	p := &parser{file: file}
	f := p.parse(data)
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	f.Source = file
	return f, nil
}

type fieldError struct {
	line int
	msg  string
}

type parser struct {
	file string
	errs []fieldError
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	p.errs = append(p.errs, fieldError{line, msg})
}

func (p *parser) err() error {
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].line < p.errs[j].line })
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = fmt.Errorf("%s:%d: %s", p.file, e.line, e.msg)
	}
	return errors.Join(errs...)
}

func (p *parser) parse(data []byte) *File {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.yamlError(err)
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.errorf(nil, "", "empty file; want a stub file with name and routes")
		return nil
	}
	root := doc.Content[0]
	m := p.mapping(root, "", "name", "routes", "faults")
	if m == nil {
		return nil
	}
	f := &File{}
	if n, ok := m["name"]; ok {
		f.Name, _ = p.name(n, "name")
	} else {
		p.errorf(root, "name", "required; want the stub's name, such as websearch")
	}
	rn, ok := m["routes"]
	if !ok {
		p.errorf(root, "routes", "required; want a list of routes")
	} else if p.kind(rn, "routes", yaml.SequenceNode, "a list of routes") {
		if len(rn.Content) == 0 {
			p.errorf(rn, "routes", "want at least one route")
		}
		seen := map[string]int{}
		for i, n := range rn.Content {
			r := p.route(n, fmt.Sprintf("routes[%d]", i))
			if r == nil {
				continue
			}
			if r.Name != "" {
				if prev, dup := seen[r.Name]; dup {
					p.errorf(n, fmt.Sprintf("routes[%d].name", i), "duplicate route name %q (first at line %d)", r.Name, prev)
				}
				seen[r.Name] = r.Line
			}
			f.Routes = append(f.Routes, r)
		}
	}
	if fn, ok := m["faults"]; ok && p.kind(fn, "faults", yaml.SequenceNode, "a list of faults") {
		for i, n := range fn.Content {
			if flt, ok := p.fault(n, fmt.Sprintf("faults[%d]", i), f.Routes); ok {
				f.Faults = append(f.Faults, flt)
			}
		}
	}
	return f
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func (p *parser) yamlError(err error) {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errs = append(p.errs, fieldError{line, "invalid YAML: " + m[2]})
		return
	}
	p.errs = append(p.errs, fieldError{1, "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (p *parser) kind(n *yaml.Node, field string, k yaml.Kind, want string) bool {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, field, "aliases are not supported; write the value out")
		return false
	}
	if n.Kind != k {
		p.errorf(n, field, "want %s, got %s", want, kindName(n.Kind))
		return false
	}
	return true
}

// mapping checks that n is a mapping with only the given keys and returns
// its values by key.
func (p *parser) mapping(n *yaml.Node, field string, keys ...string) map[string]*yaml.Node {
	want := "a mapping with keys " + strings.Join(keys, ", ")
	if !p.kind(n, orTop(field), yaml.MappingNode, want) {
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kf := join(field, k.Value)
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k, orTop(field), "keys must be plain names")
		case !contains(keys, k.Value):
			p.errorf(k, kf, "unknown field; valid fields are %s", strings.Join(keys, ", "))
		case out[k.Value] != nil:
			p.errorf(k, kf, "duplicate key")
		default:
			out[k.Value] = v
		}
	}
	return out
}

func orTop(field string) string {
	if field == "" {
		return "(top level)"
	}
	return field
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_.$\[\]-]+$`)

// join names a field under a parent, quoting keys that are not plain so
// each error stays one readable line.
func join(field, key string) string {
	if !plainKeyRE.MatchString(key) {
		key = strconv.Quote(key)
	}
	if field == "" {
		return key
	}
	return field + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) str(n *yaml.Node, field string) (string, bool) {
	if !p.kind(n, field, yaml.ScalarNode, "a string") {
		return "", false
	}
	if n.Tag == "!!null" {
		p.errorf(n, field, "want a string, got null")
		return "", false
	}
	return n.Value, true
}

func (p *parser) name(n *yaml.Node, field string) (string, bool) {
	s, ok := p.str(n, field)
	if !ok {
		return "", false
	}
	if !nameRE.MatchString(s) {
		p.errorf(n, field, "want a name of letters, digits, '_', '.' or '-', got %q", s)
		return "", false
	}
	return s, true
}

func (p *parser) integer(n *yaml.Node, field, want string) (int, bool) {
	if !p.kind(n, field, yaml.ScalarNode, want) {
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil || n.Tag != "!!int" {
		p.errorf(n, field, "want %s, got %q", want, n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) float(n *yaml.Node, field, want string) (float64, bool) {
	if !p.kind(n, field, yaml.ScalarNode, want) {
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || (n.Tag != "!!int" && n.Tag != "!!float") || v != v {
		p.errorf(n, field, "want %s, got %q", want, n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) duration(n *yaml.Node, field string) (time.Duration, bool) {
	if !p.kind(n, field, yaml.ScalarNode, "a duration such as 250ms or 2s") {
		return 0, false
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d < 0 {
		p.errorf(n, field, "want a non-negative duration such as 250ms or 2s, got %q", n.Value)
		return 0, false
	}
	return d, true
}

// stringMap reads a mapping of plain names to strings.
func (p *parser) stringMap(n *yaml.Node, field string) map[string]*yaml.Node {
	if !p.kind(n, field, yaml.MappingNode, "a mapping of names to strings") {
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			p.errorf(k, field, "keys must be non-empty names")
			continue
		}
		if out[k.Value] != nil {
			p.errorf(k, join(field, k.Value), "duplicate key")
			continue
		}
		if _, ok := p.str(v, join(field, k.Value)); ok {
			out[k.Value] = v
		}
	}
	return out
}

func (p *parser) route(n *yaml.Node, field string) *Route {
	m := p.mapping(n, field, "name", "method", "path", "match", "response", "latency")
	if m == nil {
		return nil
	}
	r := &Route{Line: n.Line}
	if v, ok := m["name"]; ok {
		r.Name, _ = p.name(v, field+".name")
	} else {
		p.errorf(n, field+".name", "required; want a name faults can target")
	}
	if v, ok := m["method"]; ok {
		if s, ok := p.str(v, field+".method"); ok {
			if up := strings.ToUpper(s); contains(methods, up) {
				r.Method = up
			} else {
				p.errorf(v, field+".method", "want one of %s, got %q", strings.Join(methods, ", "), s)
			}
		}
	} else {
		p.errorf(n, field+".method", "required; want one of %s", strings.Join(methods, ", "))
	}
	if v, ok := m["path"]; ok {
		if s, ok := p.str(v, field+".path"); ok {
			segs, err := parsePattern(s)
			if err != nil {
				p.errorf(v, field+".path", "%v", err)
			}
			r.Path, r.segs = s, segs
		}
	} else {
		p.errorf(n, field+".path", "required; want a path such as /charges/{id}")
	}
	if v, ok := m["match"]; ok {
		r.Match = p.match(v, field+".match")
	}
	if v, ok := m["response"]; ok {
		r.Response = p.response(v, field+".response")
	} else {
		r.Response = Response{Status: 200}
	}
	if v, ok := m["latency"]; ok {
		r.Latency = p.latency(v, field+".latency")
	}
	return r
}

func (p *parser) match(n *yaml.Node, field string) Match {
	var out Match
	m := p.mapping(n, field, "query", "headers", "body")
	if m == nil {
		return out
	}
	if v, ok := m["query"]; ok {
		out.Query = p.values(v, field+".query")
	}
	if v, ok := m["headers"]; ok {
		hs := p.values(v, field+".headers")
		if hs != nil {
			out.Headers = map[string]Value{}
			for k, val := range hs {
				out.Headers[canonicalHeader(k)] = val
			}
		}
	}
	if v, ok := m["body"]; ok {
		bm := p.mapping(v, field+".body", "json", "regex")
		if bm != nil {
			if jv, ok := bm["json"]; ok {
				out.Body.JSON = p.values(jv, field+".body.json")
				out.Body.paths = map[string][]pathStep{}
				for k := range out.Body.JSON {
					steps, err := parseJSONPath(k)
					if err != nil {
						p.errorf(jv, join(field+".body.json", k), "%v", err)
						continue
					}
					out.Body.paths[k] = steps
				}
			}
			if rv, ok := bm["regex"]; ok {
				if s, ok := p.str(rv, field+".body.regex"); ok {
					re, err := regexp.Compile(s)
					if err != nil {
						p.errorf(rv, field+".body.regex", "want an RE2 regular expression: %v", err)
					}
					out.Body.Regex = re
				}
			}
		}
	}
	return out
}

func (p *parser) values(n *yaml.Node, field string) map[string]Value {
	sm := p.stringMap(n, field)
	if sm == nil {
		return nil
	}
	out := map[string]Value{}
	for k, v := range sm {
		val := Value{Raw: v.Value}
		if expr, ok := strings.CutPrefix(v.Value, "re:"); ok {
			re, err := regexp.Compile(expr)
			if err != nil {
				p.errorf(v, join(field, k), "want an RE2 regular expression after re: (%v)", err)
				continue
			}
			val.re = re
		}
		out[k] = val
	}
	return out
}

func (p *parser) response(n *yaml.Node, field string) Response {
	out := Response{Status: 200}
	m := p.mapping(n, field, "status", "headers", "body", "json")
	if m == nil {
		return out
	}
	if v, ok := m["status"]; ok {
		if s, ok := p.integer(v, field+".status", "an HTTP status from 100 to 599"); ok {
			if s < 100 || s > 599 {
				p.errorf(v, field+".status", "want an HTTP status from 100 to 599, got %d", s)
			}
			out.Status = s
		}
	}
	if v, ok := m["headers"]; ok {
		hs := p.stringMap(v, field+".headers")
		out.Headers = map[string]string{}
		out.headers = map[string]*template.Template{}
		for k, hv := range hs {
			t, ok := p.template(hv, join(field+".headers", k), hv.Value)
			if ok {
				ck := canonicalHeader(k)
				out.Headers[ck] = hv.Value
				out.headers[ck] = t
			}
		}
	}
	bv, hasBody := m["body"]
	jv, hasJSON := m["json"]
	if hasBody && hasJSON {
		p.errorf(jv, field+".json", "give body or json, not both")
		return out
	}
	if hasBody {
		if s, ok := p.str(bv, field+".body"); ok {
			out.body, _ = p.template(bv, field+".body", s)
		}
	}
	if hasJSON {
		out.json = p.jsonValue(jv, field+".json")
		if out.headers == nil {
			out.Headers = map[string]string{}
			out.headers = map[string]*template.Template{}
		}
	}
	return out
}

func (p *parser) template(n *yaml.Node, field, text string) (*template.Template, bool) {
	t, err := template.New(field).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "template: ")
		msg = strings.TrimPrefix(msg, field+":")
		if ln, rest, ok := strings.Cut(msg, ": "); ok {
			if _, err := strconv.Atoi(ln); err == nil {
				msg = rest + " (line " + ln + " of the template)"
			}
		}
		p.errorf(n, field, "bad template: %s", msg)
		return nil, false
	}
	return t, true
}

func (p *parser) latency(n *yaml.Node, field string) *Latency {
	m := p.mapping(n, field, "dist", "mean", "stddev")
	if m == nil {
		return nil
	}
	l := &Latency{}
	if v, ok := m["dist"]; ok {
		if s, ok := p.str(v, field+".dist"); ok {
			if !contains(Dists, s) {
				p.errorf(v, field+".dist", "want one of %s, got %q", strings.Join(Dists, ", "), s)
			}
			l.Dist = s
		}
	} else {
		p.errorf(n, field+".dist", "required; want one of %s", strings.Join(Dists, ", "))
	}
	if v, ok := m["mean"]; ok {
		l.Mean, _ = p.duration(v, field+".mean")
	} else {
		p.errorf(n, field+".mean", "required; want a duration such as 40ms")
	}
	if v, ok := m["stddev"]; ok {
		l.Stddev, _ = p.duration(v, field+".stddev")
		if l.Dist == "constant" {
			p.errorf(v, field+".stddev", "a constant latency has no stddev; use dist: normal or lognormal")
		}
	} else if l.Dist == "normal" || l.Dist == "lognormal" {
		p.errorf(n, field+".stddev", "required for dist %s; want a duration such as 10ms", l.Dist)
	}
	if l.Dist == "lognormal" && m["mean"] != nil && l.Mean == 0 {
		p.errorf(m["mean"], field+".mean", "a lognormal latency needs a positive mean")
	}
	return l
}

// faultFields are the keys of a fault entry in a stub file.
var faultFields = []string{"id", "mode", "target", "probability", "count", "duration", "params"}

func (p *parser) fault(n *yaml.Node, field string, routes []*Route) (faultmode.Fault[Params], bool) {
	var f faultmode.Fault[Params]
	m := p.mapping(n, field, faultFields...)
	if m == nil {
		return f, false
	}
	before := len(p.errs)
	if v, ok := m["id"]; ok {
		f.ID, _ = p.name(v, field+".id")
	}
	if v, ok := m["mode"]; ok {
		f.Mode, _ = p.str(v, field+".mode")
	} else {
		p.errorf(n, field+".mode", "required; want one of %s", strings.Join(Modes, ", "))
	}
	if v, ok := m["target"]; ok {
		if s, ok := p.str(v, field+".target"); ok {
			f.Target = s
			if _, err := path.Match(s, ""); err != nil {
				p.errorf(v, field+".target", "bad glob %q: %v", s, err)
			} else if !globMatchesAny(s, routes) {
				p.errorf(v, field+".target", "glob %q matches no route; routes are %s", s, routeNames(routes))
			}
		}
	}
	if v, ok := m["probability"]; ok {
		if x, ok := p.float(v, field+".probability", "a number from 0 to 1"); ok {
			if !faultmode.ProbabilityRange.Contains(x) {
				p.errorf(v, field+".probability", "want a number %s, got %v", faultmode.ProbabilityRange, x)
			}
			f.Probability = &x
		}
	}
	if v, ok := m["count"]; ok {
		if c, ok := p.integer(v, field+".count", "a count of 0 (no limit) or more"); ok {
			if !faultmode.CountRange.Contains(int64(c)) {
				p.errorf(v, field+".count", "want a count %s (0 is no limit), got %d", faultmode.CountRange, c)
			}
			f.Count = c
		}
	}
	if v, ok := m["duration"]; ok {
		d, _ := p.duration(v, field+".duration")
		f.Duration = faultmode.Duration(d)
	}
	beforeParams := len(p.errs)
	if v, ok := m["params"]; ok {
		f.Params = p.params(v, field+".params")
	}
	if len(p.errs) == beforeParams && f.Mode != "" {
		if err := validateParams(f.Mode, f.Params); err != nil {
			at := m["mode"]
			if v := m["params"]; v != nil && !strings.HasPrefix(err.Error(), "mode:") {
				at = v
			}
			for _, e := range splitErrors(err) {
				p.errs = append(p.errs, fieldError{at.Line, field + "." + e})
			}
		}
	}
	return f, len(p.errs) == before
}

func (p *parser) params(n *yaml.Node, field string) Params {
	var out Params
	m := p.mapping(n, field, "status", "body", "retry_after", "rename", "drop", "delay")
	if m == nil {
		return out
	}
	if v, ok := m["status"]; ok {
		out.Status, _ = p.integer(v, field+".status", "an HTTP status")
	}
	if v, ok := m["body"]; ok {
		out.Body, _ = p.str(v, field+".body")
	}
	if v, ok := m["retry_after"]; ok {
		out.RetryAfter, _ = p.integer(v, field+".retry_after", "a number of seconds")
	}
	if v, ok := m["rename"]; ok {
		sm := p.stringMap(v, field+".rename")
		if len(sm) > 0 {
			out.Rename = map[string]string{}
			for k, nv := range sm {
				out.Rename[k] = nv.Value
			}
		}
	}
	if v, ok := m["drop"]; ok && p.kind(v, field+".drop", yaml.SequenceNode, "a list of field names") {
		for i, e := range v.Content {
			if s, ok := p.str(e, fmt.Sprintf("%s.drop[%d]", field, i)); ok {
				out.Drop = append(out.Drop, s)
			}
		}
	}
	if v, ok := m["delay"]; ok {
		d, _ := p.duration(v, field+".delay")
		out.Delay = faultmode.Duration(d)
	}
	return out
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

// jsonValue compiles a YAML value into a JSON template: string leaves are
// text/templates rendered per request, everything else is kept as is.
func (p *parser) jsonValue(n *yaml.Node, field string) jsonTmpl {
	switch n.Kind {
	case yaml.AliasNode:
		p.errorf(n, field, "aliases are not supported; write the value out")
		return nil
	case yaml.MappingNode:
		keys := make([]string, 0, len(n.Content)/2)
		vals := map[string]jsonTmpl{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				p.errorf(k, field, "JSON object keys must be strings")
				continue
			}
			if _, dup := vals[k.Value]; dup {
				p.errorf(k, join(field, k.Value), "duplicate key")
				continue
			}
			keys = append(keys, k.Value)
			vals[k.Value] = p.jsonValue(n.Content[i+1], join(field, k.Value))
		}
		return objectTmpl{keys: keys, vals: vals}
	case yaml.SequenceNode:
		items := make(arrayTmpl, len(n.Content))
		for i, e := range n.Content {
			items[i] = p.jsonValue(e, fmt.Sprintf("%s[%d]", field, i))
		}
		return items
	case yaml.ScalarNode:
		if n.Tag == "!!str" && strings.Contains(n.Value, "{{") {
			t, ok := p.template(n, field, n.Value)
			if !ok {
				return nil
			}
			return stringTmpl{t}
		}
		var v any
		if err := n.Decode(&v); err != nil {
			p.errorf(n, field, "%v", err)
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			p.errorf(n, field, "not representable in JSON: %v", err)
			return nil
		}
		return literalTmpl(b)
	}
	return literalTmpl("null")
}
