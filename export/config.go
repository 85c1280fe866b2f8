package export

import (
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
)

//go:embed presets/*.graphql
var presetFS embed.FS

// preset is a shipped exporter: a GraphQL schema, mutation and
// variables, or a REST (webhook) body; defaults either way.
type preset struct {
	schema, mutation string // files in presetFS (GraphQL)
	variables        map[string]any
	required         []string // variable paths the user must give
	severityPath     string   // the required path severities: can fill with ${severity}
	marker           Marker
	tokenPrefix      string

	// REST presets: body is the JSON body template; variables then are
	// body paths the user may override or add.
	body        map[string]any
	endpoint    string            // default endpoint
	headers     map[string]string // e.g. a JSON:API Content-Type
	tokenHeader string            // default Authorization
	// tokenBody, when set, is the body path that gets the token instead
	// of a header (PagerDuty's routing_key): it stays out of the file.
	tokenBody string
}

// rest says whether the preset is a REST (webhook) preset.
func (p preset) rest() bool { return p.body != nil }

var presets = map[string]preset{
	"gitlab": {
		schema: "presets/gitlab.graphql", mutation: "presets/gitlab.mutation.graphql",
		variables: map[string]any{
			"input.note":             "${title}", // GitLab caps timeline notes at 280 characters
			"input.occurredAt":       "${started_at}",
			"input.clientMutationId": "${run_id}",
		},
		required:    []string{"input.incidentId"},
		marker:      Marker{Title: "input.note"}, // GitLab incidents have no test flag
		tokenPrefix: "Bearer ",
	},
	"linear": {
		schema: "presets/linear.graphql", mutation: "presets/linear.mutation.graphql",
		variables: map[string]any{
			"input.id":          "${run_uuid}", // Linear refuses a second issue with the same id
			"input.title":       "${title}",
			"input.description": "${markdown}",
		},
		required:    []string{"input.teamId"},
		marker:      Marker{Title: "input.title"},
		tokenPrefix: "", // Linear personal API keys go in Authorization as they are
	},
	// incident.io API v2, POST /v2/incidents (IncidentsCreatePayloadV2):
	// idempotency_key and visibility are required; mode test keeps the
	// incident out of insights and notifies nobody.
	"incident.io": {
		endpoint: "https://api.incident.io/v2/incidents",
		body: map[string]any{
			"idempotency_key": "${run_id}",
			"name":            "${title}",
			"summary":         "${markdown}",
			"visibility":      "public",
			"mode":            "test",
		},
		required:     []string{"severity_id"},
		severityPath: "severity_id",
		marker:       Marker{Flag: "mode", Value: "test"},
		tokenPrefix:  "Bearer ",
	},
	// PagerDuty Events API v2, a change event (POST /v2/change/enqueue):
	// it pages nobody and opens no incident; the routing key comes from
	// token_env into routing_key.
	"pagerduty": {
		endpoint: "https://events.pagerduty.com/v2/change/enqueue",
		body: map[string]any{
			"payload": map[string]any{
				"summary":   "${title}",
				"timestamp": "${incident.started_at}",
				"source":    "drill",
				"custom_details": map[string]any{
					"drill":   true,
					"run_id":  "${run_id}",
					"team":    "${team}",
					"summary": "${summary}",
					"timings": "${incident}",
				},
			},
		},
		marker:    Marker{Title: "payload.summary"}, // change events have no test flag
		tokenBody: "routing_key",
	},
	// Rootly, POST /v1/incidents (JSON:API): kind test keeps the incident
	// out of metrics; the lifecycle timestamps come from the scorecard.
	"rootly": {
		endpoint: "https://api.rootly.com/v1/incidents",
		headers:  map[string]string{"Content-Type": "application/vnd.api+json", "Accept": "application/vnd.api+json"},
		body: map[string]any{
			"data": map[string]any{
				"type": "incidents",
				"attributes": map[string]any{
					"title":           "${title}",
					"summary":         "${markdown}",
					"kind":            "test",
					"started_at":      "${incident.started_at}",
					"detected_at":     "${incident.detected_at}",
					"acknowledged_at": "${incident.acknowledged_at}",
					"mitigated_at":    "${incident.mitigated_at}",
					"resolved_at":     "${incident.resolved_at}",
					"labels":          []any{map[string]any{"key": "drill_run", "value": "${run_id}"}},
				},
			},
		},
		marker:      Marker{Flag: "data.attributes.kind", Value: "test"},
		tokenPrefix: "Bearer ",
	},
}

// Presets lists the shipped presets.
func Presets() []string {
	var out []string
	for n := range presets {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// PresetSchema returns a GraphQL preset's SDL, for the incident-service stub.
func PresetSchema(name string) (string, error) {
	p, ok := presets[name]
	if !ok {
		return "", fmt.Errorf("export: unknown preset %q: want one of %s", name, strings.Join(Presets(), ", "))
	}
	if p.rest() {
		return "", fmt.Errorf("export: preset %q is a REST preset; it has no GraphQL schema", name)
	}
	b, err := presetFS.ReadFile(p.schema)
	return string(b), err
}

// Marker says how the exported record is marked as a drill: Flag is a
// path set to true, or to Value when given (the service's own test/drill
// flag or mode), else Title is a path whose string gets the "[DRILL] "
// prefix.
type Marker struct {
	Flag  string `yaml:"flag"`
	Value string `yaml:"value"`
	Title string `yaml:"title"`
}

// TitlePrefix marks a record as a drill where the service has no flag.
const TitlePrefix = "[DRILL] "

// Spec is one exporter as configured.
type Spec struct {
	Type        string            `yaml:"type"` // graphql or webhook
	Preset      string            `yaml:"preset"`
	Endpoint    string            `yaml:"endpoint"`
	TokenEnv    string            `yaml:"token_env"`
	TokenHeader string            `yaml:"token_header"`
	TokenPrefix *string           `yaml:"token_prefix"`
	Schema      string            `yaml:"schema"`
	Mutation    string            `yaml:"mutation"`
	Variables   map[string]any    `yaml:"variables"`
	Body        any               `yaml:"body"`
	Method      string            `yaml:"method"`
	Headers     map[string]string `yaml:"headers"`
	Marker      Marker            `yaml:"marker"`
	// Severities maps the severity label of the alert that detected the
	// drill's fault (the team's paging severity: critical, page, ...) to
	// the service's own severity value, read as ${severity}; the key
	// default serves a run with no detecting alert or an unmapped one.
	// Without it, ${severity} is the label as it is (null without one).
	Severities map[string]string `yaml:"severities"`
	Timeout    time.Duration     `yaml:"timeout"`
	Attempts   int               `yaml:"attempts"`
	Backoff    time.Duration     `yaml:"backoff"`
}

type file struct {
	Exporters map[string]*Spec `yaml:"exporters"`
}

// Config is a loaded, validated exporters file.
type Config struct {
	Path    string
	specs   map[string]*loaded
	invalid *InvalidExporters
}

// Load reads and validates an exporters file: every GraphQL mutation is
// parsed and validated against its schema now, not at export time.
func Load(path string) (*Config, error) {
	data, err := strictyaml.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("export: %s does not exist; it names the incident services to export to (presets gitlab, linear, incident.io, pagerduty and rootly, or any GraphQL or webhook endpoint): see docs/history-and-export.md", path)
	}
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load on bytes; path names the file in errors and anchors
// relative schema and mutation paths. The file is decoded strictly
// (strictyaml); a decoding problem is returned as strictyaml.Problems.
// When some exporters are invalid and some are not, Parse returns the
// Config of the valid ones with an *InvalidExporters error.
func Parse(path string, data []byte) (*Config, error) {
	var f file
	doc, probs := strictyaml.Decode(path, data, &f)
	if len(probs) > 0 {
		return nil, probs.Err()
	}
	if len(f.Exporters) == 0 {
		return nil, fmt.Errorf("export: %s: no exporters: want a mapping 'exporters:' of name to exporter", path)
	}
	c := &Config{Path: path, specs: map[string]*loaded{}}
	var errs []error
	invalid := map[string]error{}
	for _, name := range sortedKeys(f.Exporters) {
		s := f.Exporters[name]
		where := func(field string) string {
			k := doc.Key(strictyaml.Join(strictyaml.Join("exporters", name), field))
			if k == nil || field == "" {
				k = doc.Key(strictyaml.Join("exporters", name))
			}
			return fmt.Sprintf("%s:%d:%d: exporter %s", path, k.Line, k.Column, name)
		}
		if s == nil {
			err := fmt.Errorf("%s: empty; want type (or preset) and endpoint", where(""))
			errs, invalid[name] = append(errs, err), err
			continue
		}
		l, err := load(path, name, s, where)
		if err != nil {
			errs, invalid[name] = append(errs, err), err
			continue
		}
		c.specs[name] = l
	}
	if len(errs) > 0 {
		if len(c.specs) == 0 {
			return nil, fmt.Errorf("export: %w", errors.Join(errs...))
		}
		c.invalid = &InvalidExporters{Path: path, Errs: invalid}
		return c, c.invalid
	}
	return c, nil
}

// InvalidExporters is Parse's error when some exporters of a file are
// invalid and others are not: Parse then returns the Config of the valid
// ones too, so that one broken exporter does not block the others.
type InvalidExporters struct {
	Path string
	Errs map[string]error // by exporter name; each names file:line:col
}

func (e *InvalidExporters) Error() string {
	var errs []error
	for _, n := range sortedKeys(e.Errs) {
		errs = append(errs, e.Errs[n])
	}
	return "export: " + errors.Join(errs...).Error()
}

// Invalid lists the exporters of the file that did not load, and why.
func (c *Config) Invalid() map[string]error {
	if c.invalid == nil {
		return nil
	}
	return c.invalid.Errs
}

// Names lists the configured exporters.
func (c *Config) Names() []string { return sortedKeys(c.specs) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readRelative reads a file named in the config, relative to it.
func readRelative(cfgPath, name string) (string, string, error) {
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(cfgPath), name)
	}
	// A regular file of at most teamfile.MaxSchema: a FIFO or a device
	// named here neither blocks nor fills memory.
	b, err := teamfile.ReadFile(p, p, teamfile.MaxSchema)
	return p, string(b), err
}
