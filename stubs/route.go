package stubs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// segment is one piece of a path pattern: a literal, a {param} matching
// one segment, or a trailing {param...} matching the rest.
type segment struct {
	lit   string
	param string
	rest  bool
}

var paramRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func parsePattern(s string) ([]segment, error) {
	if !strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("want a path starting with '/', such as /charges/{id}, got %q", s)
	}
	if s == "/metrics" || s == "/_drill" || strings.HasPrefix(s, "/_drill/") {
		return nil, fmt.Errorf("%s is reserved for drill's own metrics and control API", s)
	}
	parts := strings.Split(s[1:], "/")
	segs := make([]segment, 0, len(parts))
	seen := map[string]bool{}
	for i, part := range parts {
		if !strings.ContainsAny(part, "{}") {
			segs = append(segs, segment{lit: part})
			continue
		}
		if !strings.HasPrefix(part, "{") || !strings.HasSuffix(part, "}") {
			return nil, fmt.Errorf("a {param} must fill a whole segment, got %q in %q", part, s)
		}
		name := part[1 : len(part)-1]
		rest := strings.HasSuffix(name, "...")
		name = strings.TrimSuffix(name, "...")
		if !paramRE.MatchString(name) {
			return nil, fmt.Errorf("want a parameter name of letters, digits and '_', got %q in %q", part, s)
		}
		if rest && i != len(parts)-1 {
			return nil, fmt.Errorf("{%s...} must be the last segment of %q", name, s)
		}
		if seen[name] {
			return nil, fmt.Errorf("parameter %q appears twice in %q", name, s)
		}
		seen[name] = true
		segs = append(segs, segment{param: name, rest: rest})
	}
	return segs, nil
}

// matchPath matches a request path against a pattern and returns its
// parameters.
func matchPath(segs []segment, p string) (map[string]string, bool) {
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	parts := strings.Split(p[1:], "/")
	params := map[string]string{}
	for i, s := range segs {
		if s.rest {
			params[s.param] = strings.Join(parts[i:], "/")
			return params, true
		}
		if i >= len(parts) {
			return nil, false
		}
		switch {
		case s.param != "":
			if parts[i] == "" {
				return nil, false
			}
			params[s.param] = parts[i]
		case s.lit != parts[i]:
			return nil, false
		}
	}
	return params, len(parts) == len(segs)
}

type pathStep struct {
	key   string
	index int // used when key is ""
}

// parseJSONPath reads a jsonpath-ish field path: a.b[0].c, with an
// optional leading "$.".
func parseJSONPath(s string) ([]pathStep, error) {
	orig := s
	s = strings.TrimPrefix(strings.TrimPrefix(s, "$"), ".")
	if s == "" {
		return nil, fmt.Errorf("want a field path such as customer.id or items[0].sku, got %q", orig)
	}
	var steps []pathStep
	for _, part := range strings.Split(s, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" && len(steps) == 0 && rest == "" {
			return nil, fmt.Errorf("empty field name in path %q", orig)
		}
		if key != "" {
			steps = append(steps, pathStep{key: key})
		} else if rest == "" {
			return nil, fmt.Errorf("empty field name in path %q", orig)
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil || n < 0 {
				return nil, fmt.Errorf("want [N] with a non-negative index in path %q", orig)
			}
			steps = append(steps, pathStep{index: n})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("unexpected %q after ] in path %q", after, orig)
			}
			rest = after[1:]
		}
	}
	return steps, nil
}

// lookup follows a path into a decoded JSON value and renders the leaf
// as text: strings as is, numbers as written, other values as JSON.
func lookup(v any, steps []pathStep) (string, bool) {
	for _, s := range steps {
		if s.key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return "", false
			}
			if v, ok = m[s.key]; !ok {
				return "", false
			}
			continue
		}
		a, ok := v.([]any)
		if !ok || s.index >= len(a) {
			return "", false
		}
		v = a[s.index]
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

func canonicalHeader(k string) string { return textproto.CanonicalMIMEHeaderKey(k) }

// request is what a response template sees.
type request struct {
	Method  string
	URL     string            // path and query as received
	Route   string            // the matched route's name
	Path    map[string]string // path parameters
	Query   map[string]string // first value of each query parameter
	Headers map[string]string // first value of each header, canonical names
	Body    any               // the JSON body decoded (objects are maps), nil if not JSON
	RawBody string
	Seq     int64     // this server's request number, from 1
	Now     time.Time // when the request arrived
}

// matches reports whether a request passes a route's matchers, and if not,
// why (for the 404 hint).
func (m *Match) matches(r *http.Request, body any, raw []byte) (bool, string) {
	q := r.URL.Query()
	for k, v := range m.Query {
		got, ok := q[k]
		if !ok || !v.Matches(got[0]) {
			return false, fmt.Sprintf("query %s: want %s", k, v.Raw)
		}
	}
	for k, v := range m.Headers {
		got := r.Header.Values(k)
		if len(got) == 0 || !v.Matches(got[0]) {
			return false, fmt.Sprintf("header %s: want %s", k, v.Raw)
		}
	}
	if m.Body.Regex != nil && !m.Body.Regex.Match(raw) {
		return false, fmt.Sprintf("body: want a match for %s", m.Body.Regex)
	}
	for k, v := range m.Body.JSON {
		got, ok := lookup(body, m.Body.paths[k])
		if !ok || !v.Matches(got) {
			return false, fmt.Sprintf("body field %s: want %s", k, v.Raw)
		}
	}
	return true, ""
}

// funcs are the functions response templates may call. They are pure, so
// one parsed template serves concurrent requests.
var funcs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"default": func(def, v any) any {
		if v == nil || v == "" {
			return def
		}
		return v
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"trim":  strings.TrimSpace,
}

// jsonTmpl renders a json: response body.
type jsonTmpl interface {
	render(req *request, buf *bytes.Buffer) error
}

type objectTmpl struct {
	keys []string
	vals map[string]jsonTmpl
}

func (o objectTmpl) render(req *request, buf *bytes.Buffer) error {
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		if err := o.vals[k].render(req, buf); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

type arrayTmpl []jsonTmpl

func (a arrayTmpl) render(req *request, buf *bytes.Buffer) error {
	buf.WriteByte('[')
	for i, e := range a {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := e.render(req, buf); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

type stringTmpl struct{ t *template.Template }

func (s stringTmpl) render(req *request, buf *bytes.Buffer) error {
	var sb strings.Builder
	if err := s.t.Execute(&sb, req); err != nil {
		return err
	}
	b, err := json.Marshal(sb.String())
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

type literalTmpl []byte

func (l literalTmpl) render(_ *request, buf *bytes.Buffer) error {
	buf.Write(l)
	return nil
}

// render produces a route's normal response for a request.
func (resp *Response) render(req *request) (http.Header, []byte, error) {
	h := http.Header{}
	for k, t := range resp.headers {
		var sb strings.Builder
		if err := t.Execute(&sb, req); err != nil {
			return nil, nil, fmt.Errorf("header %s: %w", k, err)
		}
		h.Set(k, sb.String())
	}
	var buf bytes.Buffer
	switch {
	case resp.json != nil:
		if err := resp.json.render(req, &buf); err != nil {
			return nil, nil, fmt.Errorf("json: %w", err)
		}
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
	case resp.body != nil:
		if err := resp.body.Execute(&buf, req); err != nil {
			return nil, nil, fmt.Errorf("body: %w", err)
		}
		if h.Get("Content-Type") == "" && json.Valid(buf.Bytes()) {
			h.Set("Content-Type", "application/json")
		}
	}
	if resp.json != nil && !json.Valid(buf.Bytes()) {
		return nil, nil, errors.New("json: rendered body is not valid JSON")
	}
	return h, buf.Bytes(), nil
}
