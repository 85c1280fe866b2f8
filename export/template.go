package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/scoring"
)

// Data is what templates read: the scorecard as its JSON (run_id, team,
// started_at, summary.pass_rate, scenarios.0.name, ...) plus
//
//	title     one line: "<team> drill <run>: 2/3 passed (pass rate 67%)"
//	markdown  the scorecard's Markdown summary
//	text      the scorecard's terminal summary
//	run_uuid  a UUID derived from the run ID, for services whose
//	          idempotency is a client-chosen UUID
//	incident  the drill as one incident's lifecycle, RFC 3339 drill-time
//	          timestamps: started_at (the first fault), detected_at,
//	          acknowledged_at, mitigated_at, resolved_at (that scenario's
//	          fault plus its time to detect, acknowledge, mitigate,
//	          recover; null where it did not happen); without a fault,
//	          started_at is the run's start and the rest are null
type Data map[string]any

// NewData builds the template data of a scorecard.
func NewData(card *scoring.Scorecard) (Data, error) {
	var buf bytes.Buffer
	if err := scoring.WriteJSON(&buf, card); err != nil {
		return nil, err
	}
	d := Data{}
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, err
	}
	s := card.Summary
	d["title"] = fmt.Sprintf("%s drill %s: %d/%d passed (pass rate %.0f%%)", card.Team, card.RunID, s.Passed, s.Total, s.PassRate*100)
	var md, txt bytes.Buffer
	if err := scoring.WriteMarkdown(&md, card, nil); err != nil {
		return nil, err
	}
	if err := scoring.WriteText(&txt, card, nil); err != nil {
		return nil, err
	}
	d["markdown"], d["text"] = md.String(), txt.String()
	d["run_uuid"] = uuidOf(card.RunID)
	inc := lifecycle(card)
	d["incident"] = inc
	d["severity"] = inc["severity"] // an exporter with severities maps it
	return d, nil
}

// lifecycle is the incident template field: the timestamps of the
// scenario whose fault came first.
func lifecycle(card *scoring.Scorecard) map[string]any {
	var first *scoring.Scenario
	for i := range card.Scenarios {
		sc := &card.Scenarios[i]
		if sc.Timings.FaultAt != nil && (first == nil || sc.Timings.FaultAt.Before(*first.Timings.FaultAt)) {
			first = sc
		}
	}
	out := map[string]any{"started_at": card.StartedAt.UTC().Format(time.RFC3339Nano),
		"detected_at": nil, "acknowledged_at": nil, "mitigated_at": nil, "resolved_at": nil, "severity": nil}
	if first == nil {
		return out
	}
	// The incident's severity is that of the alert that detected the
	// fault: the scenario's first firing that was no false alarm.
	for _, a := range first.Alerts {
		if !a.FalseAlarm && a.Severity != "" {
			out["severity"] = a.Severity
			break
		}
	}
	t := first.Timings
	at := func(s *scoring.Seconds) any {
		if s == nil {
			return nil
		}
		return t.FaultAt.Add(s.Duration()).UTC().Format(time.RFC3339Nano)
	}
	out["started_at"] = t.FaultAt.UTC().Format(time.RFC3339Nano)
	out["detected_at"] = at(t.TimeToDetect)
	out["acknowledged_at"] = at(t.TimeToAcknowledge)
	out["mitigated_at"] = at(t.TimeToMitigate)
	out["resolved_at"] = at(t.TimeToRecover)
	return out
}

// uuidOf derives a stable version-4-shaped UUID from s.
func uuidOf(s string) string {
	h := sha256.Sum256([]byte("drill-run:" + s))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Lookup resolves a dotted path: "summary.pass_rate", "scenarios.0.name".
func (d Data) Lookup(path string) (any, error) {
	var cur any = map[string]any(d)
	for i, seg := range strings.Split(path, ".") {
		switch v := cur.(type) {
		case map[string]any:
			next, ok := v[seg]
			if !ok {
				return nil, fmt.Errorf("%q: no field %q%s; known: %s", path, seg, at(path, i), strings.Join(keys(v), ", "))
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(v) {
				return nil, fmt.Errorf("%q: %q%s is not an index of a list of %d", path, seg, at(path, i), len(v))
			}
			cur = v[n]
		default:
			return nil, fmt.Errorf("%q: %q%s: the value before it has no fields", path, seg, at(path, i))
		}
	}
	if n, ok := cur.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i, nil
		}
		f, _ := n.Float64()
		return f, nil
	}
	return cur, nil
}

func at(path string, i int) string {
	if i == 0 {
		return ""
	}
	return " after " + strings.Join(strings.Split(path, ".")[:i], ".")
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Expand fills a template value: strings have ${path} replaced (a string
// that is exactly "${path}" takes the value with its type: number, bool,
// object); "$$" is a literal "$"; maps and lists are expanded inside.
func (d Data) Expand(v any) (any, error) {
	switch t := v.(type) {
	case string:
		return d.expandString(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			e, err := d.Expand(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = e
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			e, err := d.Expand(x)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = e
		}
		return out, nil
	}
	return v, nil
}

func (d Data) expandString(s string) (any, error) {
	if strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}") && strings.Count(s, "${") == 1 && !strings.Contains(s, "$$") {
		return d.Lookup(s[2 : len(s)-1])
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$$"):
			b.WriteByte('$')
			s = s[2:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, fmt.Errorf("unclosed ${ in %q", s)
			}
			v, err := d.Lookup(s[2:end])
			if err != nil {
				return nil, err
			}
			switch x := v.(type) {
			case string:
				b.WriteString(x)
			case map[string]any, []any:
				raw, _ := json.Marshal(x)
				b.Write(raw)
			default:
				fmt.Fprint(&b, x)
			}
			s = s[end+1:]
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

// templatePaths lists the ${paths} a template value refers to.
func templatePaths(v any) []string {
	var out []string
	switch t := v.(type) {
	case string:
		for {
			i := strings.Index(t, "${")
			if i < 0 || (i > 0 && t[i-1] == '$') {
				if i < 0 {
					return out
				}
				t = t[i+2:]
				continue
			}
			end := strings.IndexByte(t[i:], '}')
			if end < 0 {
				return append(out, t[i+2:])
			}
			out = append(out, t[i+2:i+end])
			t = t[i+end+1:]
		}
	case map[string]any:
		for _, k := range keys(t) {
			out = append(out, templatePaths(t[k])...)
		}
	case []any:
		for _, x := range t {
			out = append(out, templatePaths(x)...)
		}
	}
	return out
}

// setPath sets a dotted path in a nested map, creating maps on the way.
func setPath(m map[string]any, path string, v any) error {
	segs := strings.Split(path, ".")
	for i, s := range segs[:len(segs)-1] {
		next, ok := m[s]
		if !ok {
			nm := map[string]any{}
			m[s] = nm
			m = nm
			continue
		}
		nm, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("%q: %s is not an object", path, strings.Join(segs[:i+1], "."))
		}
		m = nm
	}
	m[segs[len(segs)-1]] = v
	return nil
}

// getPath reads a dotted path from a nested map.
func getPath(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, s := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[s]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// applyMarker marks a payload as a drill.
func applyMarker(payload map[string]any, m Marker) error {
	if m.Flag != "" && m.Value != "" {
		return setPath(payload, m.Flag, m.Value)
	}
	if m.Flag != "" {
		return setPath(payload, m.Flag, true)
	}
	v, ok := getPath(payload, m.Title)
	s, isString := v.(string)
	if !ok || !isString {
		return fmt.Errorf("marker title %q: want a string there, got %v", m.Title, v)
	}
	if !strings.HasPrefix(s, TitlePrefix) {
		s = TitlePrefix + s
	}
	return setPath(payload, m.Title, s)
}
