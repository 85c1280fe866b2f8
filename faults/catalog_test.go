package faults

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/faults.md")

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./faults -update to create it")
	require.Equal(t, string(want), string(got), "%s is stale; run go test ./faults -update", path)
}

// Parse errors, one per line, against a golden file.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		kind   string
		params map[string]string
	}{
		{"laggy", nil},
		{"latency", map[string]string{"jitter": "-3"}},
		{"latency", map[string]string{"latency": "fast"}},
		{"latency", map[string]string{"jiter": "3"}},
		{"outage", map[string]string{"toxicity": "0.5"}},
		{"latency", map[string]string{"toxicity": "1.5"}},
		{"bandwidth", map[string]string{"rate": "1.5"}},
		{"slicer", map[string]string{"average_size": "0"}},
		{"provider-error", map[string]string{"status": "200"}},
		{"provider-error", map[string]string{"retry_after": "soon"}},
		{"garbage-output", map[string]string{"kind": "nonsense"}},
		{"billing-spike", map[string]string{"factor": "0"}},
		{"billing-spike", map[string]string{"tokens": "all"}},
		{"stub-schema-change", map[string]string{"rename": "a"}},
		{"stub-schema-change", map[string]string{"drop": "a,,b"}},
		{"stub-error", map[string]string{"probability": "2"}},
		{"stub-error", map[string]string{"count": "-1"}},
		{"traffic-surge", map[string]string{"factor": "-2"}},
		// Issue 16: ranges, not just signs.
		{"billing-spike", map[string]string{"factor": "100000000000000000000"}},
		{"billing-spike", map[string]string{"factor": "1"}},
		{"billing-spike", map[string]string{"factor": "NaN"}},
		{"price-spike", map[string]string{"factor": "+Inf"}},
		{"traffic-surge", map[string]string{"factor": "1e9"}},
		{"latency", map[string]string{"latency": "99999999999999999999"}},
		{"latency", map[string]string{"jitter": "4611686018427387904"}},
		{"bandwidth", map[string]string{"rate": "0"}},
		{"slicer", map[string]string{"average_size": "8", "size_variation": "8"}},
		{"limit_data", map[string]string{"bytes": "0"}},
		{"rate-limit", map[string]string{"rpm": "0"}},
		{"rate-limit", map[string]string{"tpm": "1000000001"}},
		{"stream-cut", map[string]string{"after_tokens": "10000000"}},
		{"slow-tokens", map[string]string{"delay": "0s"}},
		{"stream-stall", map[string]string{"delay": "2h"}},
		{"stub-rate-limit", map[string]string{"retry_after": "48h"}},
		{"stub-error", map[string]string{"count": "1000000001"}},
		{"provider-error", map[string]string{"status": "600"}},
		{"provider-error", map[string]string{"status": strings.Repeat("9", 500)}},
	}
	var b bytes.Buffer
	for _, tc := range cases {
		_, err := Parse(tc.kind, tc.params)
		require.Error(t, err, "%s %v", tc.kind, tc.params)
		b.WriteString(err.Error() + "\n")
	}
	golden(t, "testdata/parse-errors.golden", b.Bytes())
}

func TestParseDefaultsAndValues(t *testing.T) {
	s, err := Parse("latency", map[string]string{"jitter": "50"})
	require.NoError(t, err)
	require.Equal(t, map[string]any{"latency": int64(1000), "jitter": int64(50), "toxicity": 1.0}, s.Params)
	require.Equal(t, "latency(jitter=50, latency=1000, toxicity=1)", s.String())

	s, err = Parse("stream-stall", map[string]string{"delay": "1m", "probability": "0.25"})
	require.NoError(t, err)
	require.Equal(t, time.Minute, s.Params["delay"])
	require.Equal(t, 0.25, s.Float("probability"))
	require.Equal(t, int64(20), s.Int("after_tokens"))
	_, hasTarget := s.Params["target"]
	require.False(t, hasTarget, "an empty optional parameter without default stays unset")

	s, err = Parse("stub-schema-change", map[string]string{"rename": "a=b, c=d", "drop": "x"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "b", "c": "d"}, s.Params["rename"])
	require.Equal(t, []string{"x"}, s.Params["drop"])
}

// Every kind parses with its defaults, and app kinds map onto a mode.
func TestCatalogIsConsistent(t *testing.T) {
	require.GreaterOrEqual(t, len(Kinds()), 30)
	for _, k := range Kinds() {
		_, err := Parse(k.Name, nil)
		if k.Rule == "" {
			require.NoError(t, err, k.Name)
		} else if err != nil { // a rule over several parameters may need one given
			require.ErrorContains(t, err, k.Name+": ")
		}
		require.NotEmpty(t, k.Summary, k.Name)
		switch k.Mechanism {
		case Network:
			require.Equal(t, TargetProxy, k.Target)
			if k.Toxic != "" {
				require.Contains(t, k.Summary, "rolled per connection", k.Name)
			}
		case App:
			require.NotEmpty(t, k.Mode, k.Name)
			require.Contains(t, []TargetType{TargetProvider, TargetStub}, k.Target)
		}
		if k.Ramp != "" {
			_, ok := k.Param(k.Ramp)
			require.True(t, ok, "%s ramps %q, which it lacks", k.Name, k.Ramp)
		}
	}
	for _, name := range []string{"provider-error", "provider-quota", "garbage-output", "quality-drift", "stream-cut",
		"billing-spike", "price-spike", "runaway-tools", "rate-limit", "stub-error", "stub-schema-change", "traffic-surge",
		"latency", "outage", "blackhole", "reset", "bandwidth", "slicer", "limit_data"} {
		_, ok := Lookup(name)
		require.True(t, ok, name)
	}
}

// docs/faults.md is generated from the catalog; this keeps it in step.
func TestDocs(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b))
	golden(t, "../docs/faults.md", b.Bytes())
}

func TestWriteTextAndJSON(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteText(&b))
	lines := strings.Split(b.String(), "\n")
	require.True(t, strings.HasPrefix(lines[0], "KIND"))
	require.Contains(t, b.String(), "latency=1000ms jitter=0ms toxicity=1")
	require.Contains(t, b.String(), "rolled per connection")

	b.Reset()
	require.NoError(t, WriteJSON(&b))
	var kinds []Kind
	require.NoError(t, json.Unmarshal(b.Bytes(), &kinds))
	require.Len(t, kinds, len(Kinds()))
	var raw []struct {
		Name   string           `json:"name"`
		Params []map[string]any `json:"params"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &raw))
	for _, k := range raw {
		if k.Name == "billing-spike" {
			require.Equal(t, map[string]any{"name": "factor", "type": "float", "default": "10", "help": "multiplier on the reported tokens",
				"min": 1.0, "max": 1000.0, "min_exclusive": true}, k.Params[0], "ranges are in the JSON catalog")
		}
		if k.Name == "stub-error" {
			require.Equal(t, 0.0, k.Params[len(k.Params)-1]["min"], "a zero minimum is listed, not dropped")
		}
	}
	require.Equal(t, "wrong_answer", func() string {
		k, _ := Lookup("quality-drift")
		return k.Fixed["kind"]
	}())
}
