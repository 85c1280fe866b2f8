package traffic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// The limits of a team's own request kinds.
const (
	// MaxRendered bounds what one template renders (a body, a path, a
	// header value); a template that renders more fails the request.
	MaxRendered = 64 << 10
	// MaxPrompts bounds a kind's corpus of prompts.
	MaxPrompts = 10000
	// MaxPromptsFile bounds a prompts file's size.
	MaxPromptsFile = 1 << 20
	// MaxRequestKinds bounds the number of a team's own request kinds.
	MaxRequestKinds = 64
)

// Request is one of a team's own request kinds, in the manner of k6's
// scenarios and Vegeta's targets: what to send and what makes the answer
// ok. Path, header values and body are Go templates (see TemplateData).
type Request struct {
	// Method is the HTTP method; empty means GET without a body, POST
	// with one.
	Method string `yaml:"method,omitempty" json:"method,omitempty"`
	// Path is appended to the service's base URL; it starts with /.
	Path string `yaml:"path" json:"path"`
	// Headers are sent with every request of the kind.
	Headers map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is the request body; empty sends none.
	Body string `yaml:"body,omitempty" json:"body,omitempty"`
	// Prompts is the kind's corpus; {{ .Prompt }} is one of them, drawn
	// at random (seeded) for each request.
	Prompts []string `yaml:"prompts,omitempty" json:"prompts,omitempty"`
	// PromptsFile names a file of prompts, one a line (blank lines and
	// lines starting with # skipped), relative to the team directory; the
	// testbed reads it into Prompts.
	PromptsFile string `yaml:"prompts_file,omitempty" json:"prompts_file,omitempty"`
	// Check says what makes a response ok.
	Check Check `yaml:"check,omitempty" json:"check,omitempty"`
}

// Check is what makes a response of a request kind ok. Every check set
// must pass; a response that fails one is counted as invalid (status:
// error; time budget: timeout).
type Check struct {
	// Status lists the statuses that are ok; empty means any 2xx.
	Status []int `yaml:"status,omitempty" json:"status,omitempty"`
	// JSON are JSON paths the body must have (and, with equals, their
	// values); the body must then be one JSON document.
	JSON []JSONCheck `yaml:"json,omitempty" json:"json,omitempty"`
	// Match is a regular expression (Go RE2 syntax) the body must match.
	Match string `yaml:"match,omitempty" json:"match,omitempty"`
	// StreamEnd is a streaming end marker: the body must have a line
	// that is this text (spaces trimmed), such as "data: [DONE]". Reading
	// stops there; the time to the first line is the time to first token.
	StreamEnd string `yaml:"stream_end,omitempty" json:"stream_end,omitempty"`
	// Within is the time budget: a response complete later than this is
	// counted as a timeout. Zero: only the generator's timeout.
	Within time.Duration `yaml:"within,omitempty" json:"within,omitempty"`
	// SSE reads the body as server-sent events (text/event-stream), as
	// the stream preset does: every data: line is one event, a JSON
	// document (one that is not is invalid), up to the line StreamEnd
	// names, which sse requires ("data: [DONE]"). usage and cost_usd are
	// read from the events; the time to first token is the first event
	// with answer text (with Answer), else the first event.
	SSE bool `yaml:"sse,omitempty" json:"sse,omitempty"`
	// Answer is a JSON path to the answer's text, which must be a string
	// that is not blank: in the body (choices[0].message.content), or
	// with SSE in each event, the events' pieces joined
	// (choices[0].delta.content).
	Answer string `yaml:"answer,omitempty" json:"answer,omitempty"`
	// AnswerJSON says the answer must itself parse as JSON (JSON mode).
	AnswerJSON bool `yaml:"answer_json,omitempty" json:"answer_json,omitempty"`
	// AnswerContains is text the answer must contain (the canary's).
	AnswerContains string `yaml:"answer_contains,omitempty" json:"answer_contains,omitempty"`
}

// JSONCheck is one JSON path check: Path is present (not null) and, if
// Equals is set, its value equals it (a string is compared as is, any
// other value as its JSON text: 42, true, null).
type JSONCheck struct {
	Path   string  `yaml:"path" json:"path"`
	Equals *string `yaml:"equals,omitempty" json:"equals,omitempty"`
}

// TemplateData is what a request kind's templates see.
type TemplateData struct {
	// Prompt is the prompt drawn from the kind's corpus ("" without one).
	Prompt string
	// RequestID is unique per request of a run and repeats with the seed.
	RequestID string
	// Kind is the request kind's name; Seq the request's number (1, 2...).
	Kind string
	Seq  int64
	// Model is the traffic's model (traffic.model), for bodies of
	// OpenAI-shaped requests.
	Model string

	rng *rand.Rand // the request's own stream, for Choice and RandInt
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// compiled is a request kind ready to send.
type compiled struct {
	name    string
	req     Request
	path    *template.Template
	body    *template.Template
	headers []compiledHeader
	paths   [][]pathPart
	answer  []pathPart
	match   *regexp.Regexp
}

type compiledHeader struct {
	name string
	tmpl *template.Template
}

// funcs are the templates' functions.
var funcs = template.FuncMap{
	// json writes a value as JSON: a prompt inside a JSON body is
	// {{ json .Prompt }}, quotes and all.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	// printf is text/template's, refusing widths and precisions that
	// would pad past MaxRendered before the capped writer sees a byte.
	"printf": func(format string, args ...any) (string, error) {
		if err := boundedFormat(format); err != nil {
			return "", err
		}
		return fmt.Sprintf(format, args...), nil
	},
}

// boundedFormat refuses a printf format whose widths and precisions add
// up to more than MaxRendered, or that takes them from arguments (*).
func boundedFormat(format string) error {
	total := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		for i++; i < len(format); {
			c := format[i]
			if c == '*' {
				return errors.New("printf: * widths are not supported")
			}
			if c >= '0' && c <= '9' {
				n := 0
				for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
					n = min(n*10+int(format[i]-'0'), MaxRendered+1)
				}
				total += n
				continue
			}
			if strings.IndexByte("+-# .[]", c) < 0 {
				break // the verb
			}
			i++
		}
		if total > MaxRendered {
			return fmt.Errorf("printf: widths and precisions add up to more than %d", MaxRendered)
		}
	}
	return nil
}

// Choice is one of xs, drawn from the request's seeded stream:
// {{ .Choice "refund" "delivery" }}.
func (d TemplateData) Choice(xs ...string) (string, error) {
	if len(xs) == 0 {
		return "", errors.New("Choice needs at least one value")
	}
	return xs[d.rng.IntN(len(xs))], nil
}

// RandInt is a whole number from lo to hi, both included, drawn from the
// request's seeded stream: {{ .RandInt 1 10 }}.
func (d TemplateData) RandInt(lo, hi int) (int, error) {
	if hi < lo || hi-lo+1 <= 0 {
		return 0, fmt.Errorf("RandInt %d %d: want lo <= hi, less than the whole int range apart", lo, hi)
	}
	return lo + d.rng.IntN(hi-lo+1), nil
}

// parseTemplate parses text as a straight template: no range, no
// define or template, so executing it is bounded by its length.
func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, err
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("define is not supported; a template here is one straight text")
	}
	if err := straight(t.Tree.Root); err != nil {
		return nil, err
	}
	return t, nil
}

func straight(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := straight(c); err != nil {
				return err
			}
		}
	case *parse.RangeNode:
		return errors.New("range is not supported (a body is rendered for every request and must stay bounded); use choice or a corpus")
	case *parse.TemplateNode:
		return errors.New("template is not supported; a template here is one straight text")
	case *parse.IfNode:
		if err := straight(n.List); err != nil {
			return err
		}
		return straight(n.ElseList)
	case *parse.WithNode:
		if err := straight(n.List); err != nil {
			return err
		}
		return straight(n.ElseList)
	}
	return nil
}

// capped is a writer that fails past MaxRendered.
type capped struct{ bytes.Buffer }

var errTooLarge = fmt.Errorf("renders more than %d bytes", MaxRendered)

func (c *capped) Write(p []byte) (int, error) {
	if c.Len()+len(p) > MaxRendered {
		return 0, errTooLarge
	}
	return c.Buffer.Write(p)
}

// render executes t with data.
func render(t *template.Template, data TemplateData) (string, error) {
	var out capped
	if err := t.Execute(&out, data); err != nil {
		return "", err
	}
	return out.String(), nil
}

// compile checks a request kind and readies it; problems name the field
// below requests.<name>.
// compile checks and compiles a team's own request kind.
func compile(name string, r Request) (*compiled, []error) { return compileKind(name, r, false) }

// compileKind compiles a request kind; preset says it is a built-in one,
// whose name is its own.
func compileKind(name string, r Request, preset bool) (*compiled, []error) {
	var errs []error
	field := "requests." + name
	bad := func(f, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", field, f, fmt.Sprintf(format, args...)))
	}
	c := &compiled{name: name, req: r}
	if !kindName.MatchString(name) {
		bad("", "a kind's name is lowercase letters, digits, _ and -, starting with a letter; got %q", name)
	}
	if !preset && contains(Kinds, name) {
		bad("", "%q is a built-in kind (%s); choose another name", name, strings.Join(Kinds, ", "))
	}
	switch r.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		bad(".method", "want GET, HEAD, POST, PUT, PATCH or DELETE, got %q", r.Method)
	}
	tmpl := func(f, text string) *template.Template {
		t, err := parseTemplate(name+f, text)
		if err != nil {
			bad(f, "template: %v", cutTemplateName(err, name+f))
			return nil
		}
		return t
	}
	if !strings.HasPrefix(r.Path, "/") {
		bad(".path", "want a path starting with /, such as /api/ask, got %q", r.Path)
	}
	c.path = tmpl(".path", r.Path)
	if r.Body != "" {
		c.body = tmpl(".body", r.Body)
	}
	for _, h := range sortedKeys(r.Headers) {
		if !validHeaderName(h) {
			bad(".headers."+h, "not a valid header name")
			continue
		}
		if t := tmpl(".headers."+h, r.Headers[h]); t != nil {
			c.headers = append(c.headers, compiledHeader{h, t})
		}
	}
	if len(r.Prompts) > 0 && r.PromptsFile != "" {
		bad(".prompts_file", "set prompts or prompts_file, not both")
	}
	if len(r.Prompts) > MaxPrompts {
		bad(".prompts", "%d prompts; at most %d", len(r.Prompts), MaxPrompts)
	}
	for _, s := range r.Check.Status {
		if s < 100 || s > 599 {
			bad(".check.status", "want HTTP statuses 100 to 599, got %d", s)
		}
	}
	for i, j := range r.Check.JSON {
		p, err := parsePath(j.Path)
		if err != nil {
			bad(fmt.Sprintf(".check.json[%d].path", i), "%v", err)
		}
		c.paths = append(c.paths, p)
	}
	if r.Check.Match != "" {
		re, err := regexp.Compile(r.Check.Match)
		if err != nil {
			bad(".check.match", "not a regular expression: %v", err)
		}
		c.match = re
	}
	if r.Check.SSE && strings.TrimSpace(r.Check.StreamEnd) == "" {
		bad(".check.sse", "needs stream_end, the line that ends the stream (stream_end: \"data: [DONE]\")")
	}
	if r.Check.Answer != "" {
		p, err := parsePath(r.Check.Answer)
		if err != nil {
			bad(".check.answer", "%v", err)
		}
		c.answer = p
	} else if r.Check.AnswerJSON || r.Check.AnswerContains != "" {
		bad(".check.answer", "answer_json and answer_contains check the answer: set answer, its JSON path")
	}
	if r.Check.Within < 0 {
		bad(".check.within", "want a positive duration such as 2s, got %v", r.Check.Within)
	}
	// An unknown field (.Promt) fails only when executed: try each
	// template once, as a request would.
	sample := TemplateData{Prompt: "sample", RequestID: "drill-0-0", Kind: name, Seq: 1, Model: "sample-model", rng: rand.New(rand.NewPCG(0, 0))}
	if len(r.Prompts) > 0 {
		sample.Prompt = r.Prompts[0]
	}
	try := func(f string, t *template.Template) {
		if t == nil {
			return
		}
		if _, err := render(t, sample); err != nil {
			bad(f, "template: %v", cutTemplateName(err, name+f))
		}
	}
	try(".path", c.path)
	try(".body", c.body)
	for _, h := range c.headers {
		try(".headers."+h.name, h.tmpl)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// ParsePrompts reads a prompts file's content: one prompt a line, blank
// lines and lines starting with # skipped; at most MaxPrompts.
func ParsePrompts(data []byte) ([]string, error) {
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(out) == MaxPrompts {
			return nil, fmt.Errorf("more than %d prompts", MaxPrompts)
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, errors.New("no prompts; want one prompt a line")
	}
	return out, nil
}

// cutTemplateName drops text/template's "template: name:" prefix, which
// repeats the field the message already names.
func cutTemplateName(err error, name string) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "template: ")
	s = strings.TrimPrefix(s, name+":")
	return s
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for _, r := range h {
		if r > 127 || !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// pathPart is one step of a JSON path: a field name or a list index.
type pathPart struct {
	key   string
	index int // -1: a key
}

// parsePath reads a dotted JSON path: names separated by dots, each
// followed by any number of [N] indexes (answer, choices[0].message.content,
// data[1][0]).
func parsePath(s string) ([]pathPart, error) {
	if s == "" {
		return nil, errors.New("want a JSON path such as answer or choices[0].message.content")
	}
	var parts []pathPart
	for _, seg := range strings.Split(s, ".") {
		name, rest, _ := strings.Cut(seg, "[")
		if name == "" && len(parts) > 0 || strings.ContainsAny(name, "]") {
			return nil, fmt.Errorf("want names separated by dots, each with optional [N] indexes, got %q", s)
		}
		if name != "" {
			parts = append(parts, pathPart{key: name, index: -1})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 {
				return nil, fmt.Errorf("want a non-negative index in [N], in %q", s)
			}
			parts = append(parts, pathPart{index: i})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("want names separated by dots, each with optional [N] indexes, got %q", s)
			}
			rest = after[1:]
		}
	}
	return parts, nil
}

// lookup follows path in a decoded JSON value.
func lookup(v any, path []pathPart) (any, bool) {
	for _, p := range path {
		if p.index < 0 {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[p.key]; !ok {
				return nil, false
			}
			continue
		}
		l, ok := v.([]any)
		if !ok || p.index >= len(l) {
			return nil, false
		}
		v = l[p.index]
	}
	return v, true
}

// sendCustom sends one request of a team's own kind and checks it.
func (g *Generator) sendCustom(c *compiled, seq int64) Result {
	res := Result{Kind: c.name, Start: time.Now()}
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.Timeout)
	defer cancel()
	// Each request's random choices come from its own stream, so a seed
	// gives the same requests whatever order they run in.
	rng := rand.New(rand.NewPCG(g.cfg.Seed, uint64(seq)))
	data := TemplateData{Kind: c.name, Seq: seq, Model: g.cfg.Model, RequestID: fmt.Sprintf("drill-%d-%d", g.cfg.Seed, seq), rng: rng}
	if len(c.req.Prompts) > 0 {
		data.Prompt = c.req.Prompts[rng.IntN(len(c.req.Prompts))]
	}
	path, err := render(c.path, data)
	if err != nil {
		return g.fail(res, OutcomeError, "path: "+err.Error())
	}
	var body io.Reader
	method := c.req.Method
	if c.body != nil {
		b, err := render(c.body, data)
		if err != nil {
			return g.fail(res, OutcomeError, "body: "+err.Error())
		}
		body = strings.NewReader(b)
		if method == "" {
			method = http.MethodPost
		}
	} else if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, g.target+path, body)
	if err != nil {
		return g.fail(res, OutcomeError, err.Error())
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+g.cfg.APIKey)
	}
	for _, h := range c.headers {
		v, err := render(h.tmpl, data)
		if err != nil {
			return g.fail(res, OutcomeError, "header "+h.name+": "+err.Error())
		}
		req.Header.Set(h.name, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		res.Latency = time.Since(res.Start)
		return g.fail(res, transportOutcome(ctx, err), err.Error())
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	chk := c.req.Check
	if !statusOK(chk.Status, resp.StatusCode) {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		res.Latency = time.Since(res.Start)
		return g.fail(res, OutcomeError, fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	var data2 []byte
	var answer strings.Builder // with SSE, the events' answer pieces
	if chk.SSE {
		var ended bool
		ended, err = g.readEvents(resp.Body, c, &res, &answer)
		res.Latency = time.Since(res.Start)
		switch {
		case errors.Is(err, errBadEvent):
			return g.fail(res, OutcomeInvalid, err.Error())
		case err != nil:
			if transportOutcome(ctx, err) == OutcomeTimeout {
				return g.fail(res, OutcomeTimeout, "stream timed out: "+err.Error())
			}
			return g.fail(res, OutcomeInvalid, "stream cut: "+err.Error())
		case !ended:
			return g.fail(res, OutcomeInvalid, fmt.Sprintf("stream ended without its end marker %q", chk.StreamEnd))
		}
	} else if chk.StreamEnd != "" {
		var ended bool
		data2, ended, err = g.readUntil(resp.Body, chk.StreamEnd, &res)
		res.Latency = time.Since(res.Start)
		if err == nil && !ended {
			return g.fail(res, OutcomeInvalid, fmt.Sprintf("stream ended without its end marker %q", chk.StreamEnd))
		}
	} else {
		data2, err = io.ReadAll(io.LimitReader(resp.Body, maxResponse))
		res.Latency = time.Since(res.Start)
	}
	if err != nil {
		if o := transportOutcome(ctx, err); o == OutcomeTimeout {
			return g.fail(res, o, err.Error())
		}
		return g.fail(res, OutcomeInvalid, "body cut short: "+err.Error())
	}
	if chk.Within > 0 && res.Latency > chk.Within {
		return g.fail(res, OutcomeTimeout, fmt.Sprintf("took %v, over its time budget of %v", res.Latency.Round(time.Millisecond), chk.Within))
	}
	if c.match != nil && !c.match.Match(data2) {
		return g.fail(res, OutcomeInvalid, fmt.Sprintf("body %q does not match %q", truncate(string(data2), 80), chk.Match))
	}
	// Tokens and cost a JSON answer reports, as the presets read them.
	if !chk.SSE && len(data2) > 0 && data2[0] == '{' {
		var a struct {
			Usage   *usage   `json:"usage"`
			CostUSD *float64 `json:"cost_usd"`
		}
		if json.Unmarshal(data2, &a) == nil {
			a.Usage.apply(&res)
			if a.CostUSD != nil {
				res.CostUSD = *a.CostUSD
			}
		}
	}
	var doc any
	if !chk.SSE && (len(chk.JSON) > 0 || c.answer != nil) {
		if err := json.Unmarshal(data2, &doc); err != nil {
			return g.fail(res, OutcomeInvalid, "response is not JSON: "+err.Error())
		}
	}
	if c.answer != nil {
		text := answer.String()
		if !chk.SSE {
			v, ok := lookup(doc, c.answer)
			str, isString := v.(string)
			if !ok || !isString {
				return g.fail(res, OutcomeInvalid, fmt.Sprintf("no %s in the response (a string)", chk.Answer))
			}
			text = str
		}
		if why := checkAnswer(chk, text); why != "" {
			return g.fail(res, OutcomeInvalid, why)
		}
	}
	if len(chk.JSON) > 0 {
		for i, j := range chk.JSON {
			v, ok := lookup(doc, c.paths[i])
			if !ok || v == nil {
				return g.fail(res, OutcomeInvalid, fmt.Sprintf("no %s in the response", j.Path))
			}
			if j.Equals != nil {
				got, isString := v.(string)
				if !isString {
					b, _ := json.Marshal(v)
					got = string(b)
				}
				if got != *j.Equals {
					return g.fail(res, OutcomeInvalid, fmt.Sprintf("%s is %q, want %q", j.Path, truncate(got, 80), *j.Equals))
				}
			}
		}
	}
	res.Outcome = OutcomeOK
	return res
}

func statusOK(ok []int, status int) bool {
	if len(ok) == 0 {
		return status >= 200 && status <= 299
	}
	for _, s := range ok {
		if s == status {
			return true
		}
	}
	return false
}

// readUntil reads r line by line up to the line that is marker, keeping
// what it read (at most maxResponse). The first line sets res.TTFT.
func (g *Generator) readUntil(r io.Reader, marker string, res *Result) ([]byte, bool, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxResponse))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out bytes.Buffer
	for sc.Scan() {
		line := sc.Bytes()
		if res.TTFT == 0 && len(bytes.TrimSpace(line)) > 0 {
			res.TTFT = time.Since(res.Start)
		}
		if string(bytes.TrimSpace(line)) == marker {
			return out.Bytes(), true, nil
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), false, sc.Err()
}

// checkAnswer says why an answer fails the kind's answer checks, "" when
// it passes them.
func checkAnswer(chk Check, text string) string {
	switch {
	case strings.TrimSpace(text) == "":
		return "empty answer (" + chk.Answer + ")"
	case chk.AnswerJSON && !json.Valid([]byte(strings.TrimSpace(text))):
		return "answer does not parse as JSON (JSON mode)"
	case chk.AnswerContains != "" && !strings.Contains(text, chk.AnswerContains):
		return fmt.Sprintf("answer %q does not contain %q", truncate(text, 80), chk.AnswerContains)
	}
	return ""
}

// errBadEvent marks an event of a server-sent event stream that is not
// JSON: the answer is invalid, not cut.
var errBadEvent = errors.New("stream event is not JSON")

// readEvents reads a server-sent event stream up to the line that is the
// kind's stream end, applying each event's usage and cost to res and
// joining its answer pieces (at c.answer) into answer; the time to first
// token is the first event with a piece (without an answer path, the
// first event). It reads at most maxResponse bytes, lines of at most 1 MiB.
func (g *Generator) readEvents(r io.Reader, c *compiled, res *Result, answer *strings.Builder) (bool, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxResponse))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	end := strings.TrimSpace(c.req.Check.StreamEnd)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == end {
			return true, nil
		}
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // comments, event: and id: lines, blank separators
		}
		var ev any
		if err := json.Unmarshal([]byte(strings.TrimSpace(data)), &ev); err != nil {
			return false, fmt.Errorf("%w: %v", errBadEvent, err)
		}
		if m, ok := ev.(map[string]any); ok && (m["usage"] != nil || m["cost_usd"] != nil) {
			applyUsage(m, res)
		}
		if c.answer == nil {
			if res.TTFT == 0 {
				res.TTFT = time.Since(res.Start)
			}
			continue
		}
		if v, ok := lookup(ev, c.answer); ok {
			if piece, _ := v.(string); piece != "" {
				if res.TTFT == 0 {
					res.TTFT = time.Since(res.Start)
				}
				answer.WriteString(piece)
			}
		}
	}
	return false, sc.Err()
}

// applyUsage reads an event's usage (OpenAI's or Anthropic's token
// names) and cost_usd into res.
func applyUsage(ev map[string]any, res *Result) {
	b, err := json.Marshal(map[string]any{"usage": ev["usage"], "cost_usd": ev["cost_usd"]})
	if err != nil {
		return
	}
	var a struct {
		Usage   *usage   `json:"usage"`
		CostUSD *float64 `json:"cost_usd"`
	}
	if json.Unmarshal(b, &a) == nil {
		a.Usage.apply(res)
		if a.CostUSD != nil {
			res.CostUSD = *a.CostUSD
		}
	}
}
