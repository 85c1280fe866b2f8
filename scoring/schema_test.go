package scoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// schemaPath is the schema's file, embedded as Schema.
const schemaPath = "scorecard.schema.json"

// A schema edit: the description of the object at path, or (whole) the
// object itself.
type schemaEdit struct {
	path        []string
	description string
	whole       any
}

// schemaEdits are the parts of the schema that Metrics defines: every
// timing where the scorecard carries it (a scenario's, the summary's, a
// repeated scenario's), the phase names, and the run metrics of the
// summary.
func schemaEdits() []schemaEdit {
	var out []schemaEdit
	props := func(def string, field string) []string { return []string{"$defs", def, "properties", field} }
	for _, m := range MetricsOf(KindTiming) {
		out = append(out,
			schemaEdit{path: []string{"$defs", "scenario", "properties", "timings", "properties", m.Field}, description: m.Name + ": " + m.Definition()},
			schemaEdit{path: props("summary", m.Field), description: m.Name + " over the run: median, p90 and max over the scenarios where it happened, harness errors left out; " + m.Definition()},
			schemaEdit{path: props("repeat", m.Field), description: m.Name + " over the judged repetitions where it happened; " + m.Definition()})
	}
	var phases []string
	enum := append([]string(nil), PhaseNames...)
	for _, m := range MetricsOf(KindPhase) {
		phases = append(phases, m.Field+": "+m.Span())
	}
	var legacy []string
	for old, now := range legacyPhases {
		enum = append(enum, old)
		legacy = append(legacy, fmt.Sprintf("%q (read as %q)", old, now))
	}
	sort.Strings(legacy)
	out = append(out, schemaEdit{path: []string{"$defs", "phase_name"}, whole: map[string]any{
		"enum": enum,
		"description": "a phase of time to recover, in order: " + strings.Join(phases, "; ") +
			". Scorecards of earlier drill versions may carry " + strings.Join(legacy, ", ") + ", which drill reads as today's name",
	}})
	out = append(out, schemaEdit{path: props("summary", "phases"),
		description: "each phase's median, p90 and max over the scenarios where it ended (an open phase is no sample), harness errors left out: a phase that is a timing (detect, acknowledge) counts the scenarios its timing does"})
	out = append(out, schemaEdit{path: props("summary", "bottlenecks"), description: "phase → scenarios whose longest phase it was"})
	for _, m := range MetricsOf(KindRun) {
		out = append(out, schemaEdit{path: props("summary", m.Field), description: m.Meaning})
	}
	return out
}

// member is one member of a JSON object: its key and the byte range of
// its value.
type member struct {
	key        string
	start, end int
}

// members returns the members of the JSON object at raw[off:], with
// ranges in raw.
func members(raw []byte, off int) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw[off:]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("at byte %d: want an object", off)
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		end := off + int(dec.InputOffset())
		out = append(out, member{key: t.(string), start: end - len(v), end: end})
	}
	return out, nil
}

// locate returns the byte range of the value at path.
func locate(raw []byte, path []string) (start, end int, err error) {
	start, end = 0, len(raw)
	for _, key := range path {
		ms, err := members(raw, start)
		if err != nil {
			return 0, 0, err
		}
		found := false
		for _, m := range ms {
			if m.key == key {
				start, end, found = m.start, m.end, true
				break
			}
		}
		if !found {
			return 0, 0, fmt.Errorf("%s: no %q", strings.Join(path, "."), key)
		}
	}
	return start, end, nil
}

func compactJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	// The schema's own style: a space after every : and , of a one-line object.
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	out = bytes.ReplaceAll(out, []byte(`","`), []byte(`", "`))
	out = bytes.ReplaceAll(out, []byte(`":`), []byte(`": `))
	out = bytes.ReplaceAll(out, []byte(`],"`), []byte(`], "`))
	return out
}

// schemaWithMetrics returns the schema src with every edit applied: a
// description replaced where the object has one, else inserted as its
// first member; a whole object replaced. The rest of the file is kept
// byte for byte.
func schemaWithMetrics(src []byte) ([]byte, error) {
	out := append([]byte(nil), src...)
	for _, e := range schemaEdits() {
		start, end, err := locate(out, e.path)
		if err != nil {
			return nil, err
		}
		var repl []byte
		if e.whole != nil {
			repl = compactJSON(e.whole)
		} else {
			desc := compactJSON(e.description)
			ms, err := members(out, start)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", strings.Join(e.path, "."), err)
			}
			obj := append([]byte(nil), out[start:end]...)
			replaced := false
			for _, m := range ms {
				if m.key == "description" {
					obj = append(append(append([]byte(nil), out[start:m.start]...), desc...), out[m.end:end]...)
					replaced = true
				}
			}
			if !replaced {
				sep := ", "
				switch rest := obj[1:]; {
				case len(ms) == 0:
					sep = ""
				case len(rest) > 0 && (rest[0] == '\n' || rest[0] == ' '):
					sep = "," // a multi-line object: its members stay on their lines
				}
				obj = append(append([]byte(`{"description": `), desc...), append([]byte(sep), bytes.TrimPrefix(obj, []byte("{"))...)...)
			}
			repl = obj
		}
		out = append(append(append([]byte(nil), out[:start]...), repl...), out[end:]...)
	}
	return out, nil
}

// The schema's descriptions of every timing, phase and run metric are
// Metrics' definitions: `go test ./scoring -run TestSchemaDefinesEveryMetric
// -update` rewrites them, and nothing else of the file.
func TestSchemaDefinesEveryMetric(t *testing.T) {
	src, err := os.ReadFile(schemaPath)
	require.NoError(t, err)
	want, err := schemaWithMetrics(src)
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.WriteFile(schemaPath, want, 0o644))
		src = want
	}
	require.Equal(t, string(want), string(src), "the schema's metric descriptions are stale: run go test ./scoring -run TestSchemaDefinesEveryMetric -update")
	if !*update {
		require.Equal(t, string(Schema), string(src), "the embedded schema is the file")
	}
	var doc any
	require.NoError(t, json.Unmarshal(src, &doc), "still JSON")

	// Not vacuous: every timing is described where each of the three
	// records carries it.
	for _, m := range MetricsOf(KindTiming) {
		require.Equal(t, 3, strings.Count(string(src), m.Definition()), m.Field)
	}
}

// The edits keep the rest of the schema as it is: applying them twice
// changes nothing more.
func TestSchemaEditsAreStable(t *testing.T) {
	once, err := schemaWithMetrics(Schema)
	require.NoError(t, err)
	twice, err := schemaWithMetrics(once)
	require.NoError(t, err)
	require.Equal(t, string(once), string(twice))
	_, _, err = locate(once, []string{"$defs", "no-such-def"})
	require.ErrorContains(t, err, `no "no-such-def"`)
}
