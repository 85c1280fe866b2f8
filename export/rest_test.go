package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/scoring"
)

// The stubs below enforce each service's documented request schema:
// method and path, content type, auth, required fields, enums, types and
// timestamp formats; an unknown field is refused as the services refuse
// it. Each answers 4xx with the reasons, and records what it accepted.

// restStub is an httptest server checking every request with check.
type restStub struct {
	*httptest.Server
	mu       sync.Mutex
	accepted []map[string]any
	refused  []string
	headers  []http.Header
}

func newRESTStub(t *testing.T, method, path, contentType string, auth func(http.Header) string,
	check func(map[string]any) []string, status int, answer func(map[string]any) any) *restStub {
	t.Helper()
	s := &restStub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var probs []string
		if r.Method != method || r.URL.Path != path {
			probs = append(probs, fmt.Sprintf("%s %s: want %s %s", r.Method, r.URL.Path, method, path))
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != contentType {
			probs = append(probs, fmt.Sprintf("Content-Type %q: want %s", r.Header.Get("Content-Type"), contentType))
		}
		code := http.StatusUnprocessableEntity
		if p := auth(r.Header); p != "" {
			probs, code = append(probs, p), http.StatusUnauthorized
		}
		var body map[string]any
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		if err := dec.Decode(&body); err != nil {
			probs = append(probs, "body: not a JSON object: "+err.Error())
		} else {
			probs = append(probs, check(body)...)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.headers = append(s.headers, r.Header.Clone())
		if len(probs) > 0 {
			s.refused = append(s.refused, strings.Join(probs, "; "))
			if code != http.StatusUnauthorized {
				code = http.StatusUnprocessableEntity
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": probs})
			return
		}
		s.accepted = append(s.accepted, body)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(answer(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *restStub) state() ([]map[string]any, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accepted), slices.Clone(s.refused)
}

// post sends body to the stub as a client would, for the stubs' own tests.
func (s *restStub) post(t *testing.T, path, contentType, authz, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func bearer(h http.Header) string {
	if h.Get("Authorization") != "Bearer "+token {
		return fmt.Sprintf("Authorization %q: want Bearer and the API key", h.Get("Authorization"))
	}
	return ""
}

// schema checks one JSON object: fields allowed, which are required,
// and a check per field.
type schema struct {
	where    string
	required []string
	fields   map[string]func(any) string
}

func (sc schema) check(obj map[string]any) []string {
	var probs []string
	for _, r := range sc.required {
		if _, ok := obj[r]; !ok {
			probs = append(probs, sc.where+r+": required")
		}
	}
	for k, v := range obj {
		f, ok := sc.fields[k]
		if !ok {
			probs = append(probs, sc.where+k+": unknown field")
			continue
		}
		if p := f(v); p != "" {
			probs = append(probs, sc.where+k+": "+p)
		}
	}
	slices.Sort(probs)
	return probs
}

func str(maxLen int) func(any) string {
	return func(v any) string {
		s, ok := v.(string)
		switch {
		case !ok:
			return fmt.Sprintf("%v: want a string", v)
		case s == "":
			return "empty"
		case maxLen > 0 && len(s) > maxLen:
			return fmt.Sprintf("%d characters: at most %d", len(s), maxLen)
		}
		return ""
	}
}

func enum(vals ...string) func(any) string {
	return func(v any) string {
		s, _ := v.(string)
		if !slices.Contains(vals, s) {
			return fmt.Sprintf("%v: want one of %s", v, strings.Join(vals, ", "))
		}
		return ""
	}
}

// timestamp is an ISO 8601 date-time, or null when nullable.
func timestamp(nullable bool) func(any) string {
	return func(v any) string {
		if v == nil && nullable {
			return ""
		}
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Sprintf("%v: want an ISO 8601 date-time", v)
		}
		return ""
	}
}

func object(sc schema) func(any) string {
	return func(v any) string {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("%v: want an object", v)
		}
		return strings.Join(sc.check(m), "; ")
	}
}

func anyValue(any) string { return "" }

// incident.io API v2, POST /v2/incidents, IncidentsCreatePayloadV2.
var incidentIOSchema = schema{
	required: []string{"idempotency_key", "visibility"},
	fields: map[string]func(any) string{
		"idempotency_key":           str(0),
		"visibility":                enum("public", "private"),
		"mode":                      enum("standard", "retrospective", "test", "tutorial"),
		"name":                      str(0),
		"summary":                   str(0),
		"severity_id":               str(0),
		"incident_type_id":          str(0),
		"incident_status_id":        str(0),
		"custom_field_entries":      anyValue,
		"incident_role_assignments": anyValue,
		"incident_timestamp_values": anyValue,
		"retrospective_incident_options": object(schema{where: "retrospective_incident_options.", fields: map[string]func(any) string{
			"postmortem_document_url": str(0), "slack_channel_id": str(0), "external_id": anyValue}}),
		"slack_channel_name_override": str(0),
		"slack_team_id":               str(0),
	},
}

func incidentIOStub(t *testing.T) *restStub {
	return newRESTStub(t, http.MethodPost, "/v2/incidents", "application/json", bearer, incidentIOSchema.check, http.StatusCreated,
		func(b map[string]any) any {
			return map[string]any{"incident": map[string]any{"id": "01HDRILL", "name": b["name"], "mode": b["mode"], "visibility": b["visibility"]}}
		})
}

// PagerDuty Events API v2, POST /v2/change/enqueue: a change event.
var pagerDutyChangeSchema = schema{
	required: []string{"routing_key", "payload"},
	fields: map[string]func(any) string{
		"routing_key": func(v any) string {
			if s, _ := v.(string); len(s) == 0 {
				return "want the integration's routing key"
			}
			return ""
		},
		"payload": object(schema{where: "payload.", required: []string{"summary"}, fields: map[string]func(any) string{
			"summary":        str(1024),
			"timestamp":      timestamp(false),
			"source":         str(0),
			"custom_details": anyObject,
		}}),
		"links": anyValue,
	},
}

// anyObject is an object of any fields.
func anyObject(v any) string {
	if _, ok := v.(map[string]any); !ok {
		return fmt.Sprintf("%v: want an object", v)
	}
	return ""
}

func pagerDutyStub(t *testing.T) *restStub {
	noAuth := func(h http.Header) string {
		if h.Get("Authorization") != "" {
			return "Authorization: the Events API takes the routing key in the body, not a header"
		}
		return ""
	}
	return newRESTStub(t, http.MethodPost, "/v2/change/enqueue", "application/json", noAuth, pagerDutyChangeSchema.check, http.StatusAccepted,
		func(map[string]any) any {
			return map[string]any{"status": "success", "message": "Change event processed"}
		})
}

// Rootly, POST /v1/incidents, JSON:API.
var rootlyIncidentSchema = schema{
	required: []string{"data"},
	fields: map[string]func(any) string{
		"data": object(schema{where: "data.", required: []string{"type", "attributes"}, fields: map[string]func(any) string{
			"type": enum("incidents"),
			"attributes": object(schema{where: "data.attributes.", fields: map[string]func(any) string{
				"title":           str(0),
				"summary":         str(0),
				"kind":            enum("normal", "normal_sub", "test", "test_sub", "example", "example_sub", "backfilled", "scheduled", "scheduled_sub"),
				"private":         anyValue,
				"severity_id":     str(0),
				"environment_ids": anyValue,
				"service_ids":     anyValue,
				"group_ids":       anyValue,
				"labels":          anyValue,
				"status":          enum("in_triage", "started", "detected", "acknowledged", "mitigated", "resolved", "closed", "cancelled", "scheduled", "in_progress", "completed"),
				"started_at":      timestamp(true),
				"detected_at":     timestamp(true),
				"acknowledged_at": timestamp(true),
				"mitigated_at":    timestamp(true),
				"resolved_at":     timestamp(true),
			}}),
		}}),
	},
}

func rootlyStub(t *testing.T) *restStub {
	return newRESTStub(t, http.MethodPost, "/v1/incidents", "application/vnd.api+json", bearer, rootlyIncidentSchema.check, http.StatusCreated,
		func(b map[string]any) any {
			attrs := b["data"].(map[string]any)["attributes"]
			return map[string]any{"data": map[string]any{"id": "inc-1", "type": "incidents", "attributes": attrs}}
		})
}

// timedCard is card() with the timings of a drill that recovered.
func timedCard() *scoring.Scorecard {
	c := card()
	fault := time.Date(2026, 11, 26, 22, 0, 0, 0, time.UTC)
	later := fault.Add(time.Hour)
	sec := func(s float64) *scoring.Seconds { v := scoring.Seconds(s); return &v }
	c.Scenarios[0].Timings = scoring.Timings{FaultAt: &later, TimeToDetect: sec(10)}
	c.Scenarios[1].Timings = scoring.Timings{FaultAt: &fault, TimeToDetect: sec(30), TimeToAcknowledge: sec(90), TimeToMitigate: sec(300)}
	return c
}

func TestStubsRefuseWrongBodies(t *testing.T) {
	inc := incidentIOStub(t)
	ok := `{"idempotency_key":"r1","visibility":"public","mode":"test"}`
	require.Equal(t, http.StatusCreated, inc.post(t, "/v2/incidents", "application/json", "Bearer "+token, ok))
	for _, c := range []struct{ body, ct, auth string }{
		{`{"visibility":"public"}`, "application/json", "Bearer " + token},                                       // no idempotency_key
		{`{"idempotency_key":"r1","visibility":"secret"}`, "application/json", "Bearer " + token},                // visibility enum
		{`{"idempotency_key":"r1","visibility":"public","mode":"drill"}`, "application/json", "Bearer " + token}, // mode enum
		{`{"idempotency_key":"r1","visibility":"public","severity":"sev1"}`, "application/json", "Bearer " + token},
		{ok, "text/plain", "Bearer " + token},
		{ok, "application/json", token},
	} {
		require.GreaterOrEqual(t, inc.post(t, "/v2/incidents", c.ct, c.auth, c.body), 400, c.body)
	}
	_, refused := inc.state()
	require.Len(t, refused, 6)
	require.Contains(t, refused[0], "idempotency_key: required")
	require.Contains(t, refused[2], "mode: drill: want one of standard, retrospective, test, tutorial")

	pd := pagerDutyStub(t)
	pok := `{"routing_key":"k","payload":{"summary":"s","timestamp":"2026-11-26T22:00:00Z"}}`
	require.Equal(t, http.StatusAccepted, pd.post(t, "/v2/change/enqueue", "application/json", "", pok))
	require.GreaterOrEqual(t, pd.post(t, "/v2/change/enqueue", "application/json", "", `{"routing_key":"k","payload":{"source":"x"}}`), 400)
	require.GreaterOrEqual(t, pd.post(t, "/v2/change/enqueue", "application/json", "", `{"payload":{"summary":"s"}}`), 400)
	require.GreaterOrEqual(t, pd.post(t, "/v2/change/enqueue", "application/json", "", `{"routing_key":"k","payload":{"summary":"s","timestamp":"yesterday"}}`), 400)
	require.GreaterOrEqual(t, pd.post(t, "/v2/change/enqueue", "application/json", "", `{"routing_key":"k","payload":{"summary":"`+strings.Repeat("x", 1025)+`"}}`), 400)
	require.GreaterOrEqual(t, pd.post(t, "/v2/change/enqueue", "application/json", "Token x", pok), 400)

	ro := rootlyStub(t)
	const jsonAPI = "application/vnd.api+json"
	rok := `{"data":{"type":"incidents","attributes":{"title":"t","kind":"test","started_at":"2026-11-26T22:00:00Z","resolved_at":null}}}`
	require.Equal(t, http.StatusCreated, ro.post(t, "/v1/incidents", jsonAPI, "Bearer "+token, rok))
	require.GreaterOrEqual(t, ro.post(t, "/v1/incidents", "application/json", "Bearer "+token, rok), 400, "JSON:API media type")
	require.GreaterOrEqual(t, ro.post(t, "/v1/incidents", jsonAPI, "Bearer "+token, `{"data":{"type":"incident","attributes":{}}}`), 400)
	require.GreaterOrEqual(t, ro.post(t, "/v1/incidents", jsonAPI, "Bearer "+token, `{"data":{"type":"incidents","attributes":{"kind":"drill"}}}`), 400)
	require.GreaterOrEqual(t, ro.post(t, "/v1/incidents", jsonAPI, "Bearer "+token, `{"data":{"type":"incidents","attributes":{"started_at":"26/11/2026"}}}`), 400)
	require.GreaterOrEqual(t, ro.post(t, "/v1/incidents", jsonAPI, "Bearer "+token, `{"title":"t"}`), 400)
}

func TestIncidentIOPreset(t *testing.T) {
	s := incidentIOStub(t)
	c, err := config(t, `
exporters:
  incident:
    preset: incident.io
    endpoint: `+s.URL+`/v2/incidents
    token_env: DRILL_TEST_TOKEN
    variables:
      severity_id: 01HSEVCRITICAL
      visibility: private
`, nil)
	require.NoError(t, err)
	res, err := exporter(t, c, "incident", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err, "the stub accepted the preset's body")
	require.Equal(t, http.StatusCreated, res.Status)
	accepted, refused := s.state()
	require.Empty(t, refused)
	require.Len(t, accepted, 1)
	b := accepted[0]
	require.Equal(t, "test", b["mode"], "test mode keeps the drill out of insights")
	require.Equal(t, "20261126T220718-1", b["idempotency_key"])
	require.Equal(t, "private", b["visibility"])
	require.Equal(t, "01HSEVCRITICAL", b["severity_id"])
	require.Contains(t, b["summary"], "cap spend")

	// a wrong enum given by the user is refused by the service, once:
	// a 422 is not retried
	c, err = config(t, "exporters:\n  incident:\n    preset: incident.io\n    endpoint: "+s.URL+"/v2/incidents\n    token_env: DRILL_TEST_TOKEN\n    variables: {severity_id: x, visibility: secret}\n", nil)
	require.NoError(t, err)
	res, err = exporter(t, c, "incident", &sleeps{}, nil).Export(context.Background(), card())
	require.ErrorContains(t, err, "422")
	require.ErrorContains(t, err, "visibility: secret: want one of public, private")
	require.Equal(t, 1, res.Attempts, "a failed export says how many HTTP requests it made")

	_, err = config(t, "exporters:\n  incident:\n    preset: incident.io\n    token_env: DRILL_TEST_TOKEN\n", nil)
	require.ErrorContains(t, err, `preset incident.io needs "severity_id"`)
}

// With severities, the incident.io severity comes from the run: the
// severity label of the alert that detected the fault, mapped; default
// serves a run without one; an unmapped severity without default fails
// the export before any request, naming it.
func TestIncidentIOSeverityMapped(t *testing.T) {
	s := incidentIOStub(t)
	yaml := func(extra string) string {
		return "exporters:\n  incident:\n    preset: incident.io\n    endpoint: " + s.URL + "/v2/incidents\n    token_env: DRILL_TEST_TOKEN\n    severities: {critical: 01HSEVCRITICAL, page: 01HSEVMAJOR" + extra + "}\n"
	}
	detected := func(sev string) *scoring.Scorecard {
		c := card()
		fault := c.StartedAt.Add(5 * time.Minute)
		c.Scenarios[0].Timings.FaultAt = &fault
		c.Scenarios[0].Alerts = []scoring.Alert{
			{Name: "LLMSpendSpike", FiredAt: c.StartedAt.Add(time.Minute), FalseAlarm: true, Severity: "critical"}, // noise: not the detection
			{Name: "LLMGatewayErrors", FiredAt: fault.Add(2 * time.Minute), Severity: sev},
		}
		return c
	}
	c, err := config(t, yaml(""), nil)
	require.NoError(t, err, "severities stand for the required severity_id")
	_, err = exporter(t, c, "incident", &sleeps{}, nil).Export(context.Background(), detected("page"))
	require.NoError(t, err)
	accepted, refused := s.state()
	require.Empty(t, refused)
	require.Len(t, accepted, 1)
	require.Equal(t, "01HSEVMAJOR", accepted[0]["severity_id"], "the detecting alert's severity, not the false alarm's")

	_, err = exporter(t, c, "incident", &sleeps{}, nil).Export(context.Background(), detected("ticket"))
	require.ErrorContains(t, err, `severities: the run's paging severity "ticket" (of the alert that detected the fault) has no entry and there is no default:; known: critical, page`)
	_, err = exporter(t, c, "incident", &sleeps{}, nil).Export(context.Background(), card())
	require.ErrorContains(t, err, "no alert with a severity label detected the run's fault")
	accepted, _ = s.state()
	require.Len(t, accepted, 1, "a failed mapping sends nothing")

	c, err = config(t, yaml(", default: 01HSEVMINOR"), nil)
	require.NoError(t, err)
	_, err = exporter(t, c, "incident", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	accepted, _ = s.state()
	require.Equal(t, "01HSEVMINOR", accepted[len(accepted)-1]["severity_id"])

	// severity_id given wins over the map; an empty mapping is refused.
	_, err = config(t, strings.Replace(yaml(""), "01HSEVMAJOR", `""`, 1), nil)
	require.ErrorContains(t, err, "severities.page: empty")
	_, err = config(t, "exporters:\n  incident:\n    preset: incident.io\n    token_env: DRILL_TEST_TOKEN\n", nil)
	require.ErrorContains(t, err, `preset incident.io needs "severity_id", or severities:`)
}

func TestPagerDutyPreset(t *testing.T) {
	s := pagerDutyStub(t)
	c, err := config(t, `
exporters:
  pd:
    preset: pagerduty
    endpoint: `+s.URL+`/v2/change/enqueue
    token_env: DRILL_TEST_TOKEN
`, nil)
	require.NoError(t, err)
	var log bytes.Buffer
	_, err = exporter(t, c, "pd", &sleeps{}, &log).Export(context.Background(), timedCard())
	require.NoError(t, err)
	accepted, refused := s.state()
	require.Empty(t, refused)
	b := accepted[0]
	require.Equal(t, token, b["routing_key"], "the routing key comes from token_env")
	p := b["payload"].(map[string]any)
	require.Equal(t, "[DRILL] Acme ML platform drill 20261126T220718-1: 1/2 passed (pass rate 50%)", p["summary"])
	require.Equal(t, "2026-11-26T22:00:00Z", p["timestamp"], "the first fault")
	d := p["custom_details"].(map[string]any)
	require.Equal(t, true, d["drill"])
	require.Equal(t, "2026-11-26T22:05:00Z", d["timings"].(map[string]any)["mitigated_at"])

	_, err = config(t, "exporters:\n  pd:\n    preset: pagerduty\n", nil)
	require.ErrorContains(t, err, "token_env: missing; preset pagerduty sends the token of that environment variable as routing_key")
	_, err = config(t, "exporters:\n  pd:\n    preset: pagerduty\n    token_env: X\n    variables: {routing_key: abc}\n", nil)
	require.ErrorContains(t, err, "set token_env, not the key")
}

func TestRootlyPreset(t *testing.T) {
	s := rootlyStub(t)
	c, err := config(t, `
exporters:
  rootly:
    preset: rootly
    endpoint: `+s.URL+`/v1/incidents
    token_env: DRILL_TEST_TOKEN
    variables:
      data.attributes.severity_id: sev-1
`, nil)
	require.NoError(t, err)
	res, err := exporter(t, c, "rootly", &sleeps{}, nil).Export(context.Background(), timedCard())
	require.NoError(t, err)
	require.Contains(t, string(res.Response), `"inc-1"`)
	accepted, refused := s.state()
	require.Empty(t, refused)
	a := accepted[0]["data"].(map[string]any)["attributes"].(map[string]any)
	require.Equal(t, "test", a["kind"], "a test incident stays out of Rootly's metrics")
	require.Equal(t, "sev-1", a["severity_id"])
	require.Equal(t, "2026-11-26T22:00:00Z", a["started_at"])
	require.Equal(t, "2026-11-26T22:00:30Z", a["detected_at"])
	require.Equal(t, "2026-11-26T22:01:30Z", a["acknowledged_at"])
	require.Equal(t, "2026-11-26T22:05:00Z", a["mitigated_at"])
	require.Nil(t, a["resolved_at"], "the drill never recovered")

	// without a fault the incident starts with the run
	_, err = exporter(t, c, "rootly", &sleeps{}, nil).Export(context.Background(), card())
	require.NoError(t, err)
	accepted, _ = s.state()
	a = accepted[1]["data"].(map[string]any)["attributes"].(map[string]any)
	require.Equal(t, "2026-11-26T22:07:18Z", a["started_at"])
	require.Nil(t, a["detected_at"])

	_, err = config(t, "exporters:\n  rootly:\n    preset: rootly\n    token_env: X\n    body: {a: b}\n", nil)
	require.ErrorContains(t, err, "preset rootly takes variables (body paths to set), not body")
	_, err = config(t, "exporters:\n  rootly:\n    preset: rootly\n    token_env: X\n    variables: {data.type.x: y}\n", nil)
	require.ErrorContains(t, err, `"data.type.x": data.type is not an object`)
}

func TestOneInvalidExporterDoesNotBlockTheOthers(t *testing.T) {
	c, err := config(t, `
exporters:
  good:
    preset: rootly
    token_env: DRILL_TEST_TOKEN
  bad:
    preset: incident.io
    token_env: DRILL_TEST_TOKEN
`, nil)
	var inv *export.InvalidExporters
	require.ErrorAs(t, err, &inv)
	require.ErrorContains(t, err, `exporters.yaml:6:3: exporter bad: variables: preset incident.io needs "severity_id"`)
	require.NotNil(t, c, "the valid exporters still load")
	require.Equal(t, []string{"good"}, c.Names())
	require.Len(t, c.Invalid(), 1)
	_, err = c.Exporter("good", export.Options{Getenv: env})
	require.NoError(t, err)
	_, err = c.Exporter("bad", export.Options{Getenv: env})
	require.ErrorContains(t, err, `exporter bad: variables: preset incident.io needs "severity_id"`)
	_, err = c.Exporter("nope", export.Options{Getenv: env})
	require.ErrorContains(t, err, "it has: bad, good")

	// with no valid exporter at all there is no Config
	c, err = config(t, "exporters:\n  bad:\n    preset: nope\n    endpoint: http://h/\n", nil)
	require.Nil(t, c)
	require.ErrorContains(t, err, `preset: unknown "nope"`)
}

// The preset examples of docs/history-and-export.md load as they are.
func TestPresetDocsExamplesLoad(t *testing.T) {
	b, err := os.ReadFile("../docs/history-and-export.md")
	require.NoError(t, err)
	_, sect, ok := strings.Cut(string(b), "### Presets for incident and reliability services")
	require.True(t, ok)
	sect, _, _ = strings.Cut(sect, "\n## ")
	yaml := "exporters:\n"
	for _, block := range strings.Split(sect, "```yaml\n")[1:] {
		body, _, ok := strings.Cut(block, "```")
		require.True(t, ok)
		yaml += body
	}
	c, err := config(t, yaml, nil)
	require.NoError(t, err, yaml)
	require.Equal(t, []string{"incident", "pagerduty", "rootly"}, c.Names())
	for _, p := range []string{"incident.io", "pagerduty", "rootly"} {
		require.Contains(t, export.Presets(), p)
		require.Contains(t, sect, "**"+map[string]string{"incident.io": "incident.io", "pagerduty": "PagerDuty", "rootly": "Rootly"}[p]+"**")
	}
}
