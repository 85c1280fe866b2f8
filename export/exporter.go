package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/drillkit/drill/scoring"
)

// Exporter sends a scorecard to an incident service.
type Exporter interface {
	Name() string
	Export(ctx context.Context, card *scoring.Scorecard) (*Result, error)
}

// Result is what an export left behind. A failed export that sent
// requests returns a Result too, with Attempts (HTTP requests made) set.
type Result struct {
	Attempts int             `json:"attempts"` // HTTP requests made
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response,omitempty"` // GraphQL data, or the webhook's body when JSON
}

// Options are what an exporter needs from outside.
type Options struct {
	Getenv func(string) string                        // default os.Getenv
	Client *http.Client                               // default: a client with the exporter's timeout
	Sleep  func(context.Context, time.Duration) error // default: a timer that honours ctx
	Logger *slog.Logger                               // default: discard
}

// loaded is a validated spec.
type loaded struct {
	name   string
	spec   Spec
	vars   map[string]any // dotted path → template (GraphQL)
	doc    string         // the mutation document (GraphQL)
	op     *ast.OperationDefinition
	schema *ast.Schema
	prefix string // token prefix
	// tokenBody is the body path the token goes to instead of a header
	tokenBody string
}

var knownRoots = func() map[string]bool {
	d, err := NewData(&scoring.Scorecard{})
	if err != nil {
		panic(err)
	}
	m := map[string]bool{}
	for k := range d {
		m[k] = true
	}
	return m
}()

func load(cfgPath, name string, s *Spec, where func(string) string) (*loaded, error) {
	l := &loaded{name: name, spec: *s, vars: map[string]any{}, prefix: "Bearer "}
	if p, ok := presets[s.Preset]; ok && p.rest() {
		return l, l.loadREST(p, where)
	}
	if s.Type == "" && s.Preset != "" {
		l.spec.Type = "graphql"
	}
	if s.Endpoint == "" {
		return nil, fmt.Errorf("%s: endpoint: missing; want the service's URL", where(""))
	}
	if u, err := url.Parse(s.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: endpoint: %q is not an http(s) URL", where("endpoint"), s.Endpoint)
	}
	if s.Attempts < 0 || s.Timeout < 0 || s.Backoff < 0 {
		return nil, fmt.Errorf("%s: attempts, timeout and backoff must not be negative", where(""))
	}
	if l.spec.TokenHeader == "" {
		l.spec.TokenHeader = "Authorization"
	}
	if s.TokenPrefix != nil {
		l.prefix = *s.TokenPrefix
	}
	for _, p := range templatePaths(map[string]any{"v": s.Variables, "b": s.Body}) {
		root, _, _ := strings.Cut(p, ".")
		if !knownRoots[root] {
			return nil, fmt.Errorf("%s: ${%s}: unknown field %q; known: %s", where("variables"), p, root, strings.Join(keys(boolMap(knownRoots)), ", "))
		}
	}
	switch l.spec.Type {
	case "graphql":
		return l, l.loadGraphQL(cfgPath, where)
	case "webhook":
		if s.Preset != "" || s.Schema != "" || s.Mutation != "" || len(s.Variables) > 0 {
			return nil, fmt.Errorf("%s: a webhook takes body, not preset, schema, mutation or variables", where("type"))
		}
		if s.Body == nil {
			return nil, fmt.Errorf("%s: body: missing; want the JSON body as YAML, with ${path} templates", where(""))
		}
		if _, ok := s.Body.(map[string]any); !ok {
			return nil, fmt.Errorf("%s: body: want a mapping (a JSON object)", where("body"))
		}
		if s.Marker == (Marker{}) {
			return nil, fmt.Errorf("%s: marker: missing; want flag (a body path set to true) or title (a body path prefixed with %q)", where(""), TitlePrefix)
		}
		if err := checkMarker(s.Marker); err != nil {
			return nil, fmt.Errorf("%s: %w", where("marker"), err)
		}
		if s.Marker.Title != "" {
			if _, ok := getPath(s.Body.(map[string]any), s.Marker.Title); !ok {
				return nil, fmt.Errorf("%s: marker: title %q is not a path of the body", where("marker"), s.Marker.Title)
			}
		}
		return l, nil
	case "":
		return nil, fmt.Errorf("%s: type: missing; want graphql or webhook (or a preset: %s)", where(""), strings.Join(Presets(), ", "))
	}
	return nil, fmt.Errorf("%s: type: %q; want graphql or webhook", where("type"), s.Type)
}

func boolMap(m map[string]bool) map[string]any {
	out := map[string]any{}
	for k := range m {
		out[k] = true
	}
	return out
}

func checkMarker(m Marker) error {
	if m.Flag != "" && m.Title != "" {
		return errors.New("marker: give flag or title, not both")
	}
	if m.Value != "" && m.Flag == "" {
		return errors.New("marker: value goes with flag (the path it is set at)")
	}
	return nil
}

// loadREST loads an exporter of a REST preset: the preset's body with the
// user's variables (body paths) set into it.
func (l *loaded) loadREST(p preset, where func(string) string) error {
	s := l.spec
	if s.Type != "" && s.Type != "webhook" {
		return fmt.Errorf("%s: type: %q; preset %s is a webhook (REST) preset: leave type out", where("type"), s.Type, s.Preset)
	}
	if s.Schema != "" || s.Mutation != "" || s.Body != nil {
		return fmt.Errorf("%s: preset %s takes variables (body paths to set), not body, schema or mutation", where("preset"), s.Preset)
	}
	l.spec.Type = "webhook"
	if l.spec.Endpoint == "" {
		l.spec.Endpoint = p.endpoint
	}
	if u, err := url.Parse(l.spec.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: endpoint: %q is not an http(s) URL", where("endpoint"), l.spec.Endpoint)
	}
	if s.Attempts < 0 || s.Timeout < 0 || s.Backoff < 0 {
		return fmt.Errorf("%s: attempts, timeout and backoff must not be negative", where(""))
	}
	for _, path := range templatePaths(s.Variables) {
		root, _, _ := strings.Cut(path, ".")
		if !knownRoots[root] {
			return fmt.Errorf("%s: ${%s}: unknown field %q; known: %s", where("variables"), path, root, strings.Join(keys(boolMap(knownRoots)), ", "))
		}
	}
	body := deepCopy(p.body).(map[string]any)
	for _, path := range sortedKeys(s.Variables) {
		if p.tokenBody != "" && path == p.tokenBody {
			return fmt.Errorf("%s: variables: %q: preset %s puts the token of token_env there; set token_env, not the key", where("variables."+path), path, s.Preset)
		}
		if err := setPath(body, path, s.Variables[path]); err != nil {
			return fmt.Errorf("%s: variables: %w", where("variables."+path), err)
		}
	}
	if err := checkSeverities(s.Severities, where); err != nil {
		return err
	}
	for _, req := range p.required {
		if _, ok := s.Variables[req]; ok {
			continue
		}
		if req == p.severityPath && len(s.Severities) > 0 {
			// The severity comes from the run, mapped.
			if err := setPath(body, req, "${severity}"); err != nil {
				return fmt.Errorf("%s: %w", where("severities"), err)
			}
			continue
		}
		how := ""
		if req == p.severityPath {
			how = ", or severities: mapping the team's paging severities to the service's (severities: {critical: ID, default: ID})"
		}
		return fmt.Errorf("%s: variables: preset %s needs %q%s", where("variables"), s.Preset, req, how)
	}
	if p.tokenBody != "" && s.TokenEnv == "" {
		return fmt.Errorf("%s: token_env: missing; preset %s sends the token of that environment variable as %s", where(""), s.Preset, p.tokenBody)
	}
	l.spec.Body = body
	l.tokenBody = p.tokenBody
	if s.TokenHeader == "" {
		l.spec.TokenHeader = "Authorization"
		if p.tokenHeader != "" {
			l.spec.TokenHeader = p.tokenHeader
		}
	}
	l.prefix = p.tokenPrefix
	if s.TokenPrefix != nil {
		l.prefix = *s.TokenPrefix
	}
	headers := map[string]string{}
	for k, v := range p.headers {
		headers[k] = v
	}
	for k, v := range s.Headers {
		headers[k] = v
	}
	l.spec.Headers = headers
	if l.spec.Marker == (Marker{}) {
		l.spec.Marker = p.marker
	}
	if err := checkMarker(l.spec.Marker); err != nil {
		return fmt.Errorf("%s: %w", where("marker"), err)
	}
	// build a sample body now, so that a bad path fails at load, not
	// after a drill
	sample := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: "sample", Team: "sample",
		Scenarios: []scoring.Scenario{{Name: "sample", Status: scoring.Passed}}}
	sample.Summary = scoring.Summarize(sample.Scenarios)
	withSampleSeverity(sample, s.Severities)
	if _, err := l.restBody(sample, "sample-token"); err != nil {
		return fmt.Errorf("%s: variables: %w", where("variables"), err)
	}
	return nil
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

func (l *loaded) loadGraphQL(cfgPath string, where func(string) string) error {
	s := l.spec
	var (
		schemaName, schemaSrc, docName string
		p                              preset
	)
	if s.Preset != "" {
		var ok bool
		if p, ok = presets[s.Preset]; !ok {
			return fmt.Errorf("%s: preset: unknown %q; want one of %s", where("preset"), s.Preset, strings.Join(Presets(), ", "))
		}
		b, _ := presetFS.ReadFile(p.schema)
		schemaName, schemaSrc = "preset "+s.Preset+" schema", string(b)
		b, _ = presetFS.ReadFile(p.mutation)
		docName, l.doc = "preset "+s.Preset+" mutation", string(b)
		for k, v := range p.variables {
			l.vars[k] = v
		}
		if l.spec.Marker == (Marker{}) {
			l.spec.Marker = p.marker
		}
		if s.TokenPrefix == nil {
			l.prefix = p.tokenPrefix
		}
	}
	var err error
	if s.Schema != "" {
		if schemaName, schemaSrc, err = readRelative(cfgPath, s.Schema); err != nil {
			return fmt.Errorf("%s: schema: %w", where("schema"), err)
		}
	}
	if s.Mutation != "" {
		if docName, l.doc, err = readRelative(cfgPath, s.Mutation); err != nil {
			return fmt.Errorf("%s: mutation: %w", where("mutation"), err)
		}
	}
	if schemaSrc == "" || l.doc == "" {
		return fmt.Errorf("%s: a graphql exporter needs schema and mutation files, or a preset (%s)", where(""), strings.Join(Presets(), ", "))
	}
	l.schema, err = gqlparser.LoadSchema(&ast.Source{Name: schemaName, Input: schemaSrc})
	if err != nil {
		return fmt.Errorf("%s: schema: %s", where("schema"), gqlPos(schemaName, err))
	}
	doc, perr := parser.ParseQuery(&ast.Source{Name: docName, Input: l.doc})
	if perr != nil {
		return fmt.Errorf("%s: mutation: %s", where("mutation"), gqlPos(docName, perr))
	}
	if errs := validator.ValidateWithRules(l.schema, doc, nil); len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, gqlPos(docName, e))
		}
		return fmt.Errorf("%s: mutation does not validate against %s:\n  %s", where("mutation"), schemaName, strings.Join(msgs, "\n  "))
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Mutation {
		return fmt.Errorf("%s: mutation: %s: want exactly one operation, a mutation", where("mutation"), docName)
	}
	l.op = doc.Operations[0]

	for k, v := range s.Variables {
		l.vars[k] = v
	}
	declared := map[string]*ast.VariableDefinition{}
	var names []string
	for _, vd := range l.op.VariableDefinitions {
		declared[vd.Variable] = vd
		names = append(names, "$"+vd.Variable)
	}
	for _, path := range sortedKeys(l.vars) {
		root, _, _ := strings.Cut(path, ".")
		if declared[root] == nil {
			return fmt.Errorf("%s: variables: %q: %s declares no $%s (it declares %s)", where("variables."+path), path, docName, root, strings.Join(names, ", "))
		}
	}
	for _, req := range p.required {
		if _, ok := l.vars[req]; !ok {
			return fmt.Errorf("%s: variables: preset %s needs %q", where("variables"), s.Preset, req)
		}
	}
	if l.spec.Marker == (Marker{}) {
		return fmt.Errorf("%s: marker: missing; want flag (the service's test/drill flag, a variable path set to true) or title (a variable path prefixed with %q)", where(""), TitlePrefix)
	}
	if err := checkMarker(l.spec.Marker); err != nil {
		return fmt.Errorf("%s: %w", where("marker"), err)
	}
	mpath := l.spec.Marker.Flag + l.spec.Marker.Title
	if root, _, _ := strings.Cut(mpath, "."); declared[root] == nil {
		return fmt.Errorf("%s: marker: %q: %s declares no $%s", where("marker"), mpath, docName, root)
	}
	if l.spec.Marker.Title != "" {
		if _, ok := l.vars[l.spec.Marker.Title]; !ok {
			return fmt.Errorf("%s: marker: title %q is not one of the variables", where("marker"), l.spec.Marker.Title)
		}
	}
	// Fill the variables from a sample scorecard and check them against
	// the operation, so that a type mismatch fails now, not after a drill.
	sample := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: "sample", Team: "sample",
		Scenarios: []scoring.Scenario{{Name: "sample", Status: scoring.Passed}}}
	sample.Summary = scoring.Summarize(sample.Scenarios)
	withSampleSeverity(sample, s.Severities)
	if _, err := l.variables(sample); err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return fmt.Errorf("%s: variables do not fit %s: %s", where("variables"), docName, varPos(docName, l.op, ge))
		}
		return fmt.Errorf("%s: variables: %w", where("variables"), err)
	}
	return nil
}

// gqlPos writes a gqlparser error as file:line:col: message.
func gqlPos(file string, err error) string {
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		if len(ge.Locations) > 0 {
			return fmt.Sprintf("%s:%d:%d: %s", file, ge.Locations[0].Line, ge.Locations[0].Column, ge.Message)
		}
		return file + ": " + ge.Message
	}
	return file + ": " + err.Error()
}

// varPos points a variable-value error at the variable's definition.
func varPos(file string, op *ast.OperationDefinition, ge *gqlerror.Error) string {
	path := ge.Path.String() // variable.input.teamId
	for _, vd := range op.VariableDefinitions {
		if len(ge.Path) > 1 && ge.Path[1] == ast.PathName(vd.Variable) && vd.Position != nil {
			return fmt.Sprintf("%s:%d:%d: %s %s", file, vd.Position.Line, vd.Position.Column, path, ge.Message)
		}
	}
	return fmt.Sprintf("%s: %s %s", file, path, ge.Message)
}

// variables builds and checks the GraphQL variables for a scorecard.
func (l *loaded) variables(card *scoring.Scorecard) (map[string]any, error) {
	d, err := l.data(card)
	if err != nil {
		return nil, err
	}
	vars := map[string]any{}
	for _, path := range sortedKeys(l.vars) {
		v, err := d.Expand(l.vars[path])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := setPath(vars, path, v); err != nil {
			return nil, err
		}
	}
	if err := applyMarker(vars, l.spec.Marker); err != nil {
		return nil, err
	}
	// a JSON round trip gives the plain types the validator expects
	raw, err := json.Marshal(vars)
	if err != nil {
		return nil, err
	}
	var plain map[string]any
	if err := json.Unmarshal(raw, &plain); err != nil {
		return nil, err
	}
	if plain == nil {
		plain = map[string]any{}
	}
	if _, err := validator.VariableValues(l.schema, l.op, plain); err != nil {
		return nil, err
	}
	return plain, nil
}

// Exporter returns the named exporter; an unknown name lists the known.
func (c *Config) Exporter(name string, o Options) (Exporter, error) {
	l, ok := c.specs[name]
	if bad := c.Invalid()[name]; bad != nil {
		return nil, fmt.Errorf("export: %w", bad)
	}
	if !ok {
		return nil, fmt.Errorf("export: %s has no exporter %q; it has: %s", c.Path, name, strings.Join(slices.Sorted(slices.Values(append(c.Names(), sortedKeys(c.Invalid())...))), ", "))
	}
	if o.Getenv == nil {
		return nil, errors.New("export: Options.Getenv is nil")
	}
	// A missing token is known now: say so before a drill runs for an
	// export that cannot happen.
	if env := l.spec.TokenEnv; env != "" && o.Getenv(env) == "" {
		return nil, fmt.Errorf("export %s: environment variable %s (token_env in %s) is empty; set it to the service's API token", name, env, c.Path)
	}
	timeout := l.spec.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: timeout}
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &httpExporter{l: l, o: o, timeout: timeout}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type httpExporter struct {
	l       *loaded
	o       Options
	timeout time.Duration
}

func (e *httpExporter) Name() string { return e.l.name }

// Export sends the scorecard, retrying 5xx, 429, timeouts and connection
// errors with exponential backoff. The run ID is the idempotency key, so
// a retry or a re-export does not file the drill twice where the service
// honours it.
func (e *httpExporter) Export(ctx context.Context, card *scoring.Scorecard) (*Result, error) {
	token := ""
	if env := e.l.spec.TokenEnv; env != "" {
		token = e.o.Getenv(env)
		if token == "" {
			return nil, fmt.Errorf("export %s: environment variable %s (token_env) is empty", e.l.name, env)
		}
	}
	res, err := e.export(ctx, card, token)
	if err != nil && res != nil && res.Attempts == 0 {
		res = nil
	}
	if err != nil && token != "" {
		// never let a token echoed by a service or a URL reach a log
		err = errors.New(Redact(err.Error(), token))
	}
	return res, err
}

func (e *httpExporter) export(ctx context.Context, card *scoring.Scorecard, token string) (*Result, error) {
	body, err := e.body(card, token)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", e.l.name, err)
	}
	attempts := e.l.spec.Attempts
	if attempts == 0 {
		attempts = 4
	}
	backoff := e.l.spec.Backoff
	if backoff == 0 {
		backoff = time.Second
	}
	log := e.o.Logger.With("exporter", e.l.name, "run_id", card.RunID)
	var last error
	made := &Result{}
	for i := 1; i <= attempts; i++ {
		made.Attempts = i
		res, retry, err := e.once(ctx, card.RunID, body, token)
		if err == nil {
			res.Attempts = i
			log.Info("exported", "attempt", i, "status", res.Status)
			return res, nil
		}
		last = err
		log.Warn("export attempt failed", "attempt", i, "retry", retry && i < attempts, "error", Redact(err.Error(), token))
		if !retry || i == attempts {
			break
		}
		d := backoff << (i - 1)
		if d > 30*time.Second {
			d = 30 * time.Second
		}
		if err := e.o.Sleep(ctx, d); err != nil {
			return made, fmt.Errorf("export %s: %w (after: %v)", e.l.name, err, last)
		}
	}
	return made, fmt.Errorf("export %s: %w", e.l.name, last)
}

// minWordToken is the length under which a token is redacted only where
// it stands alone: a one-letter token must not turn every such letter of
// a message into [redacted].
const minWordToken = 8

// Redact replaces token in s with [redacted], in the forms a service or a
// URL echoes it: as given, JSON-escaped (a token holding " or \ comes
// back as \" or \\; with or without HTML escaping, \u003c for <),
// escaped twice (JSON inside a JSON string), Go-quoted and URL-escaped.
// A token shorter than minWordToken bytes is replaced only where it is not
// part of a longer word.
func Redact(s, token string) string {
	if token == "" {
		return s
	}
	for _, f := range tokenForms(token) {
		if len(token) >= minWordToken {
			s = strings.ReplaceAll(s, f, "[redacted]")
		} else {
			s = replaceWord(s, f)
		}
	}
	return s
}

// tokenForms is token and its escaped forms, longest first, so that a
// longer form is replaced before a form inside it.
func tokenForms(token string) []string {
	forms := []string{token}
	add := func(f string) {
		if f != "" && !slices.Contains(forms, f) {
			forms = append(forms, f)
		}
	}
	jsonInner := func(v string, html bool) string {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(v)
		q := strings.TrimSpace(b.String())
		return q[1 : len(q)-1]
	}
	for _, html := range []bool{false, true} {
		once := jsonInner(token, html)
		add(once)
		add(jsonInner(once, html))
	}
	q := strconv.Quote(token)
	add(q[1 : len(q)-1])
	add(url.QueryEscape(token))
	add(url.PathEscape(token))
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) })
	return forms
}

// replaceWord replaces f in s where the bytes around it are not word
// characters.
func replaceWord(s, f string) string {
	word := func(c byte) bool {
		return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	var b strings.Builder
	for {
		i := strings.Index(s, f)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(f)
		alone := (i == 0 || !word(s[i-1]) || !word(f[0])) && (end == len(s) || !word(s[end]) || !word(f[len(f)-1]))
		b.WriteString(s[:i])
		if alone {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(f)
		}
		s = s[end:]
	}
}

func (e *httpExporter) body(card *scoring.Scorecard, token string) ([]byte, error) {
	if e.l.spec.Type == "graphql" {
		vars, err := e.l.variables(card)
		if err != nil {
			return nil, fmt.Errorf("variables: %w", err)
		}
		return json.Marshal(map[string]any{"query": e.l.doc, "operationName": e.l.op.Name, "variables": vars})
	}
	m, err := e.l.restBody(card, token)
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// restBody expands a webhook body, marks it and puts the token in it
// where the preset says.
func (l *loaded) restBody(card *scoring.Scorecard, token string) (map[string]any, error) {
	d, err := l.data(card)
	if err != nil {
		return nil, err
	}
	v, err := d.Expand(l.spec.Body)
	if err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	m := v.(map[string]any)
	if err := applyMarker(m, l.spec.Marker); err != nil {
		return nil, err
	}
	if l.tokenBody != "" {
		if err := setPath(m, l.tokenBody, token); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// once makes one request; retry says whether another attempt may help.
func (e *httpExporter) once(ctx context.Context, runID string, body []byte, token string) (*Result, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	method := e.l.spec.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, e.l.spec.Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "drill")
	req.Header.Set("Idempotency-Key", runID)
	for _, k := range sortedKeys(e.l.spec.Headers) {
		req.Header.Set(k, e.l.spec.Headers[k])
	}
	if token != "" && e.l.tokenBody == "" {
		req.Header.Set(e.l.spec.TokenHeader, e.l.prefix+token)
	}
	resp, err := e.o.Client.Do(req)
	if err != nil {
		// timeouts and refused connections are worth another try, unless
		// the caller gave up
		if ctxErr := context.Cause(ctx); ctxErr != nil && !errors.Is(ctxErr, context.DeadlineExceeded) {
			return nil, false, err
		}
		return nil, true, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	res := &Result{Status: resp.StatusCode}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout {
		return nil, true, fmt.Errorf("%s answered %s: %s", e.l.spec.Endpoint, resp.Status, snippet(raw))
	}
	if resp.StatusCode >= 300 {
		return nil, false, fmt.Errorf("%s answered %s: %s", e.l.spec.Endpoint, resp.Status, snippet(raw))
	}
	if e.l.spec.Type != "graphql" {
		if json.Valid(raw) {
			res.Response = raw
		}
		return res, false, nil
	}
	var gr struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &gr); err != nil {
		return nil, false, fmt.Errorf("%s: not a GraphQL response: %v: %s", e.l.spec.Endpoint, err, snippet(raw))
	}
	if len(gr.Errors) > 0 {
		var msgs []string
		for _, x := range gr.Errors {
			msgs = append(msgs, x.Message)
		}
		return nil, false, fmt.Errorf("%s: GraphQL errors: %s", e.l.spec.Endpoint, strings.Join(msgs, "; "))
	}
	// mutation payloads report failures in-band (GitLab: errors: [String!]!)
	fields := sortedKeys(gr.Data)
	sort.Strings(fields)
	for _, f := range fields {
		if string(gr.Data[f]) == "null" {
			return nil, false, fmt.Errorf("%s: %s returned null", e.l.spec.Endpoint, f)
		}
		var payload struct {
			Errors  []string `json:"errors"`
			Success *bool    `json:"success"`
		}
		if json.Unmarshal(gr.Data[f], &payload) == nil {
			if len(payload.Errors) > 0 {
				return nil, false, fmt.Errorf("%s: %s: %s", e.l.spec.Endpoint, f, strings.Join(payload.Errors, "; "))
			}
			if payload.Success != nil && !*payload.Success {
				return nil, false, fmt.Errorf("%s: %s: success is false", e.l.spec.Endpoint, f)
			}
		}
	}
	res.Response, _ = json.Marshal(gr.Data)
	return res, false, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// data is the template data of a scorecard for this exporter: NewData,
// with ${severity} mapped through the exporter's severities.
func (l *loaded) data(card *scoring.Scorecard) (Data, error) {
	d, err := NewData(card)
	if err != nil {
		return nil, err
	}
	if len(l.spec.Severities) == 0 {
		return d, nil
	}
	label, _ := d["severity"].(string)
	if v, ok := l.spec.Severities[label]; ok && label != "" {
		d["severity"] = v
		return d, nil
	}
	if v, ok := l.spec.Severities["default"]; ok {
		d["severity"] = v
		return d, nil
	}
	known := strings.Join(sortedKeys(l.spec.Severities), ", ")
	if label == "" {
		return nil, fmt.Errorf("severities: no alert with a severity label detected the run's fault, so it has no severity to map; add a default: entry (known: %s)", known)
	}
	return nil, fmt.Errorf("severities: the run's paging severity %q (of the alert that detected the fault) has no entry and there is no default:; known: %s", label, known)
}

// withSampleSeverity gives a sample scorecard a detecting alert of the
// first mapped severity, so that the sample expands as a real run would
// (after Summarize, which derives alerts from events).
func withSampleSeverity(sample *scoring.Scorecard, severities map[string]string) {
	keys := sortedKeys(severities)
	if len(keys) == 0 {
		return
	}
	at := time.Unix(0, 0).UTC()
	sample.Scenarios[0].Timings.FaultAt = &at
	sample.Scenarios[0].Alerts = []scoring.Alert{{Name: "sample", FiredAt: at, Severity: keys[0]}}
}

// checkSeverities checks an exporter's severities: each key a severity
// label value (or default), each value non-empty.
func checkSeverities(m map[string]string, where func(string) string) error {
	for _, k := range sortedKeys(m) {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%s: severities: an empty severity; want a severity label value of the team's alerts (critical, page, ...) or default", where("severities"))
		}
		if strings.TrimSpace(m[k]) == "" {
			return fmt.Errorf("%s: severities.%s: empty; want the service's severity for alerts of severity %q", where("severities."+k), k, k)
		}
	}
	return nil
}
