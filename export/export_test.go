package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/stubs/incident"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const token = "glpat-SECRET-token-123"

func card() *scoring.Scorecard {
	c := &scoring.Scorecard{SchemaVersion: scoring.SchemaVersion, RunID: "20261126T220718-1", Team: "Acme ML platform",
		StartedAt: time.Date(2026, 11, 26, 22, 7, 18, 0, time.UTC), FinishedAt: time.Date(2026, 11, 26, 22, 8, 0, 0, time.UTC), Speed: 60, Seed: 1,
		Scenarios: []scoring.Scenario{{Name: "cap spend", Feature: "cost.feature", Family: "cost-spike", Status: scoring.Passed},
			{Name: "agent loop", Feature: "cost.feature", Family: "cost-spike", Status: scoring.Failed, Reason: "no ack"}}}
	c.Summary = scoring.Summarize(c.Scenarios)
	return c
}

// sleeps records the backoff instead of waiting it out.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func env(k string) string {
	if k == "DRILL_TEST_TOKEN" {
		return token
	}
	return ""
}

// config writes an exporters file (and extra files next to it) and loads it.
func config(t *testing.T, yaml string, files map[string]string) (*export.Config, error) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	path := filepath.Join(dir, "exporters.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml), 0o644))
	return export.Load(path)
}

func stub(t *testing.T, preset string) *incident.Server {
	t.Helper()
	sdl, err := export.PresetSchema(preset)
	require.NoError(t, err)
	schema, err := incident.LoadSchema(preset, sdl)
	require.NoError(t, err)
	s, err := incident.Open(schema, "")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func exporter(t *testing.T, c *export.Config, name string, sl *sleeps, log io.Writer) export.Exporter {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	e, err := c.Exporter(name, export.Options{Getenv: env, Sleep: sl.sleep, Logger: slog.New(slog.NewTextHandler(log, nil))})
	require.NoError(t, err)
	return e
}

func TestGitLabPreset(t *testing.T) {
	s := stub(t, "gitlab")
	c, err := config(t, `
exporters:
  gitlab:
    preset: gitlab
    endpoint: `+s.URL()+`
    token_env: DRILL_TEST_TOKEN
    variables:
      input.incidentId: gid://gitlab/Issue/42
      input.timelineEventTagNames: ["Start time"]
`, nil)
	require.NoError(t, err)
	res, err := exporter(t, c, "gitlab", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	require.Equal(t, 1, res.Attempts)
	require.Contains(t, string(res.Response), "timelineEventCreate")

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	require.Empty(t, r.Errors, "the stub validated the operation and its variables")
	require.Equal(t, "DrillTimelineEvent", r.OperationName)
	require.Equal(t, "20261126T220718-1", r.IdempotencyKey)
	require.Equal(t, "Bearer "+token, r.Header.Get("Authorization"))
	input := r.Variables["input"].(map[string]any)
	require.Equal(t, "[DRILL] Acme ML platform drill 20261126T220718-1: 1/2 passed (pass rate 50%)", input["note"])
	require.Equal(t, "gid://gitlab/Issue/42", input["incidentId"])
	require.Equal(t, "2026-11-26T22:07:18Z", input["occurredAt"])
	require.Equal(t, "20261126T220718-1", input["clientMutationId"])
	require.Equal(t, []any{"Start time"}, input["timelineEventTagNames"])

	// exporting the same run again reuses the idempotency key
	_, err = exporter(t, c, "gitlab", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	require.True(t, s.Requests()[1].Replay)
}

func TestLinearPreset(t *testing.T) {
	s := stub(t, "linear")
	c, err := config(t, `
exporters:
  linear:
    preset: linear
    endpoint: `+s.URL()+`
    token_env: DRILL_TEST_TOKEN
    variables:
      input.teamId: TEAM-1
      input.priority: 4
`, nil)
	require.NoError(t, err)
	_, err = exporter(t, c, "linear", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	r := s.Requests()[0]
	require.Empty(t, r.Errors)
	require.Equal(t, token, r.Header.Get("Authorization"), "Linear API keys go without Bearer")
	input := r.Variables["input"].(map[string]any)
	require.True(t, strings.HasPrefix(input["title"].(string), "[DRILL] "))
	require.Contains(t, input["description"], "cap spend")
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, input["id"])
	require.EqualValues(t, 4, input["priority"])
}

const flagSDL = `
scalar DateTime
type Query { ok: Boolean }
type Mutation { createIncident(input: IncidentInput!): Incident! }
input IncidentInput {
  title: String!
  passRate: Float!
  scenarios: Int!
  test: Boolean
  startedAt: DateTime
}
type Incident { id: ID! title: String! }
`

func TestFlagMarkerAndTypedVariables(t *testing.T) {
	schema, err := incident.LoadSchema("custom.graphql", flagSDL)
	require.NoError(t, err)
	s, err := incident.Open(schema, "")
	require.NoError(t, err)
	defer s.Close()
	c, err := config(t, `
exporters:
  ours:
    type: graphql
    endpoint: `+s.URL()+`
    schema: custom.graphql
    mutation: create.graphql
    variables:
      in.title: "Drill ${run_id} for ${team}"
      in.passRate: ${summary.pass_rate}
      in.scenarios: ${summary.total}
      in.startedAt: ${started_at}
    marker:
      flag: in.test
`, map[string]string{"custom.graphql": flagSDL, "create.graphql": "mutation Create($in: IncidentInput!) {\n  createIncident(input: $in) { id }\n}\n"})
	require.NoError(t, err)
	_, err = exporter(t, c, "ours", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	r := s.Requests()[0]
	require.Empty(t, r.Errors)
	in := r.Variables["in"].(map[string]any)
	require.Equal(t, true, in["test"], "the service's own drill flag is set")
	require.Equal(t, "Drill 20261126T220718-1 for Acme ML platform", in["title"], "no title prefix when there is a flag")
	require.EqualValues(t, 0.5, in["passRate"])
	require.EqualValues(t, 2, in["scenarios"])
}

func TestMutationErrorsPointIntoTheDocument(t *testing.T) {
	files := map[string]string{"custom.graphql": flagSDL}
	base := `
exporters:
  ours:
    type: graphql
    endpoint: http://127.0.0.1:1/graphql
    schema: custom.graphql
    mutation: create.graphql
    marker: {title: in.title}
    variables:
      in.title: x
      in.passRate: 1
      in.scenarios: 1
`
	for _, tc := range []struct{ doc, want string }{
		{"mutation Create($in: IncidentInput!) {\n  createIncident(input: $in) {\n    id\n    severity\n  }\n}\n",
			`create.graphql:4:5: Cannot query field "severity" on type "Incident".`},
		{"mutation Create($in: IncidentInput!) {\n  createIncident(input: $in) { id \n", `create.graphql:3:1: Expected Name, found <EOF>`},
		{"mutation Create($in: IncidentInpt!) {\n  createIncident(input: $in) { id }\n}\n", `create.graphql:1:17: Unknown type "IncidentInpt".`},
		{"query Q { ok }\n", "want exactly one operation, a mutation"},
	} {
		files["create.graphql"] = tc.doc
		_, err := config(t, base, files)
		require.ErrorContains(t, err, tc.want)
		require.ErrorContains(t, err, "exporters.yaml:7:5: exporter ours: mutation")
	}
}

func TestConfigErrors(t *testing.T) {
	files := map[string]string{"custom.graphql": flagSDL,
		"create.graphql": "mutation Create($in: IncidentInput!) {\n  createIncident(input: $in) { id }\n}\n"}
	for _, tc := range []struct{ yaml, want string }{
		{"exporters:\n  x:\n    preset: gitlab\n    endpoint: http://h/\n    tokn_env: X\n", "exporters.yaml:5:5: exporters.x.tokn_env: unknown field; valid fields are: type, preset, endpoint, token_env,"},
		{"exporters:\n  x:\n    preset: jira\n    endpoint: http://h/\n", `exporters.yaml:3:5: exporter x: preset: unknown "jira"; want one of gitlab, incident.io, linear, pagerduty, rootly`},
		{"exporters:\n  x:\n    preset: gitlab\n    endpoint: http://h/\n", `preset gitlab needs "input.incidentId"`},
		{"exporters:\n  x:\n    preset: gitlab\n    endpoint: ftp://h/\n", `exporters.yaml:4:5: exporter x: endpoint: "ftp://h/" is not an http(s) URL`},
		{"exporters:\n  x:\n    type: graphql\n    endpoint: http://h/\n    schema: custom.graphql\n    mutation: create.graphql\n    variables:\n      in.title: x\n      in.passRate: 1\n      in.scenarios: 1\n",
			"marker: missing; want flag"},
		{"exporters:\n  x:\n    type: graphql\n    endpoint: http://h/\n    schema: custom.graphql\n    mutation: create.graphql\n    marker: {flag: in.test}\n    variables:\n      in.title: x\n      in.passRate: 1\n",
			`variables do not fit`},
		{"exporters:\n  x:\n    type: graphql\n    endpoint: http://h/\n    schema: custom.graphql\n    mutation: create.graphql\n    marker: {flag: in.test}\n    variables:\n      in.title: x\n      in.passRate: 1\n      in.scenarios: ${team}\n",
			`create.graphql:1:17: variable.in.scenarios cannot use string as Int`},
		{"exporters:\n  x:\n    type: graphql\n    endpoint: http://h/\n    schema: custom.graphql\n    mutation: create.graphql\n    marker: {flag: in.test}\n    variables:\n      input.title: x\n",
			`exporters.yaml:9:7: exporter x: variables: "input.title": `},
		{"exporters:\n  x:\n    type: graphql\n    endpoint: http://h/\n    schema: custom.graphql\n    mutation: create.graphql\n    marker: {flag: in.test}\n    variables:\n      input.title: x\n", `create.graphql declares no $input (it declares $in)`},
		{"exporters:\n  x:\n    preset: gitlab\n    endpoint: http://h/\n    variables:\n      input.incidentId: ${summary.pass_rat}\n", ""}, // unknown leaf: found at export time
		{"exporters:\n  x:\n    preset: gitlab\n    endpoint: http://h/\n    variables:\n      input.incidentId: ${sumary.pass_rate}\n", `${sumary.pass_rate}: unknown field "sumary"`},
		{"exporters:\n  x:\n    type: webhook\n    endpoint: http://h/\n    body: {a: 1}\n", "marker: missing"},
		{"exporters: {}\n", "no exporters"},
	} {
		_, err := config(t, tc.yaml, files)
		if tc.want == "" {
			require.Error(t, err, "the sample scorecard has no such field: %s", tc.yaml)
			continue
		}
		require.ErrorContains(t, err, tc.want, tc.yaml)
	}
}

func TestRetriesOn5xx(t *testing.T) {
	s := stub(t, "gitlab")
	s.FailNext(2, http.StatusServiceUnavailable)
	c, err := config(t, "exporters:\n  gitlab:\n    preset: gitlab\n    endpoint: "+s.URL()+"\n    backoff: 2s\n    variables: {input.incidentId: gid://gitlab/Issue/1}\n", nil)
	require.NoError(t, err)
	sl := &sleeps{}
	res, err := exporter(t, c, "gitlab", sl, nil).Export(context.Background(), card())
	require.NoError(t, err)
	require.Equal(t, 3, res.Attempts)
	require.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second}, sl.d, "exponential backoff")
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	for _, r := range reqs {
		require.Equal(t, "20261126T220718-1", r.IdempotencyKey, "every attempt carries the same key")
	}

	s.FailNext(10, http.StatusBadGateway)
	sl = &sleeps{}
	_, err = exporter(t, c, "gitlab", sl, nil).Export(context.Background(), card())
	require.ErrorContains(t, err, "502 Bad Gateway")
	require.Len(t, sl.d, 3, "4 attempts, 3 waits")
}

func TestNoRetryOn4xxAndGraphQLErrors(t *testing.T) {
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		http.Error(w, `{"error":"bad routing key"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	c, err := config(t, "exporters:\n  pd:\n    type: webhook\n    endpoint: "+srv.URL+"\n    marker: {title: summary}\n    body: {summary: '${title}'}\n", nil)
	require.NoError(t, err)
	_, err = exporter(t, c, "pd", &sleeps{}, nil).Export(context.Background(), card())
	require.ErrorContains(t, err, "400 Bad Request")
	require.Equal(t, 1, calls)

	// a variable the sample could not check: the stub's validation answer
	s := stub(t, "gitlab")
	c, err = config(t, "exporters:\n  gitlab:\n    preset: gitlab\n    endpoint: "+s.URL()+"\n    variables: {input.incidentId: gid://x/1}\n", nil)
	require.NoError(t, err)
	e := exporter(t, c, "gitlab", &sleeps{}, nil)
	bad := card()
	bad.RunID = ""
	_, err = e.Export(context.Background(), bad)
	require.NoError(t, err, "an empty clientMutationId is still a String")
}

func TestTimeoutIsRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	defer close(release)
	c, err := config(t, "exporters:\n  hook:\n    type: webhook\n    endpoint: "+srv.URL+"\n    timeout: 100ms\n    marker: {flag: drill}\n    body: {run: '${run_id}'}\n", nil)
	require.NoError(t, err)
	res, err := exporter(t, c, "hook", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	require.Equal(t, 2, res.Attempts)
}

func TestWebhookBody(t *testing.T) {
	var got map[string]any
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"status":"success"}`))
	}))
	defer srv.Close()
	c, err := config(t, `
exporters:
  pagerduty:
    type: webhook
    endpoint: `+srv.URL+`
    token_env: DRILL_TEST_TOKEN
    token_header: X-Routing-Key
    token_prefix: ""
    headers: {X-Source: drill}
    marker: {title: payload.summary}
    body:
      payload:
        summary: "${title}"
        source: drill
        custom_details:
          run_id: ${run_id}
          pass_rate: ${summary.pass_rate}
          first: ${scenarios.0.name}
          price: "$$5"
`, nil)
	require.NoError(t, err)
	res, err := exporter(t, c, "pagerduty", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	require.JSONEq(t, `{"status":"success"}`, string(res.Response))
	require.Equal(t, token, hdr.Get("X-Routing-Key"))
	require.Equal(t, "drill", hdr.Get("X-Source"))
	require.Equal(t, "20261126T220718-1", hdr.Get("Idempotency-Key"))
	p := got["payload"].(map[string]any)
	require.Equal(t, "[DRILL] Acme ML platform drill 20261126T220718-1: 1/2 passed (pass rate 50%)", p["summary"])
	d := p["custom_details"].(map[string]any)
	require.Equal(t, 0.5, d["pass_rate"])
	require.Equal(t, "cap spend", d["first"])
	require.Equal(t, "$5", d["price"])
}

func TestTokenNeverLeaks(t *testing.T) {
	// a service that echoes the credentials it got into its error page
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream broke; you sent "+r.Header.Get("Authorization"), http.StatusInternalServerError)
	}))
	defer srv.Close()
	c, err := config(t, "exporters:\n  hook:\n    type: webhook\n    endpoint: "+srv.URL+"\n    token_env: DRILL_TEST_TOKEN\n    marker: {flag: drill}\n    body: {run: '${run_id}'}\n", nil)
	require.NoError(t, err)
	var log bytes.Buffer
	_, err = exporter(t, c, "hook", &sleeps{}, &log).Export(context.Background(), card())
	require.Error(t, err)
	require.Contains(t, err.Error(), "you sent Bearer [redacted]", "the echo is there, the token is not")
	require.NotContains(t, err.Error(), token)
	require.Contains(t, log.String(), "export attempt failed")
	require.NotContains(t, log.String(), token)

	// An unset token is refused when the exporter is made, before any
	// drill runs for an export that cannot happen.
	_, err = c.Exporter("hook", export.Options{Getenv: func(string) string { return "" }})
	require.ErrorContains(t, err, "environment variable DRILL_TEST_TOKEN (token_env in ")

	_, err = c.Exporter("nope", export.Options{Getenv: env})
	require.ErrorContains(t, err, `has no exporter "nope"; it has: hook`)
}

func TestDataLookup(t *testing.T) {
	d, err := export.NewData(card())
	require.NoError(t, err)
	v, err := d.Lookup("summary.families.cost-spike.total")
	require.NoError(t, err)
	require.EqualValues(t, 2, v)
	_, err = d.Lookup("scenarios.7.name")
	require.ErrorContains(t, err, `"7" after scenarios is not an index of a list of 2`)
	_, err = d.Lookup("summary.pass_rat")
	require.ErrorContains(t, err, `no field "pass_rat" after summary`)
	s, err := d.Expand("rate ${summary.pass_rate}, $${literal}")
	require.NoError(t, err)
	require.Equal(t, "rate 0.5, ${literal}", s)
}

func BenchmarkExportToStub(b *testing.B) {
	sdl, _ := export.PresetSchema("gitlab")
	schema, err := incident.LoadSchema("gitlab", sdl)
	require.NoError(b, err)
	s, err := incident.Open(schema, "")
	require.NoError(b, err)
	defer s.Close()
	dir := b.TempDir()
	path := filepath.Join(dir, "exporters.yaml")
	require.NoError(b, os.WriteFile(path, []byte("exporters:\n  g:\n    preset: gitlab\n    endpoint: "+s.URL()+"\n    variables: {input.incidentId: gid://x/1}\n"), 0o644))
	c, err := export.Load(path)
	require.NoError(b, err)
	e, err := c.Exporter("g", export.Options{Getenv: env})
	require.NoError(b, err)
	cd := card()
	for b.Loop() {
		if _, err := e.Export(context.Background(), cd); err != nil {
			b.Fatal(err)
		}
	}
}

// An exporters file, and a schema or mutation file it names, is a regular
// file: a FIFO is refused without blocking.
func TestConfigFilesAreRegularFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "custom.graphql"), 0o644))
	path := filepath.Join(dir, "exporters.yaml")
	require.NoError(t, os.WriteFile(path, []byte("exporters:\n  x:\n    type: graphql\n    endpoint: http://h/\n    schema: custom.graphql\n    mutation: create.graphql\n"), 0o644))
	_, err := export.Load(path)
	require.ErrorContains(t, err, "exporters.yaml:5:5: exporter x: schema: "+filepath.Join(dir, "custom.graphql")+": not a regular file but a named pipe (FIFO); expected a regular file")
	fifo := filepath.Join(dir, "fifo.yaml")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	_, err = export.Load(fifo)
	require.ErrorContains(t, err, "fifo.yaml: not a regular file but a named pipe (FIFO)")
}
