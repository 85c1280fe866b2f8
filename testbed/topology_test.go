package testbed

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/gateway"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestBadTopologyGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			_, err = ParseTopology(f, sectionsOf(t, data))
			require.Error(t, err)
			var probs Problems
			require.ErrorAs(t, err, &probs)
			for _, p := range probs {
				require.Equal(t, f, p.File)
				require.Positive(t, p.Line, "%s has no line", p)
				require.Positive(t, p.Col, "%s has no column", p)
				require.NotEmpty(t, p.Field, "%s names no field", p)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create it")
			require.Equal(t, string(want), got)
		})
	}
}

func TestTopologyDefaultsAndWiring(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	require.Equal(t, FormBuiltin, top.Service.Form())
	g := top.Service.Gateway
	require.Equal(t, "primary", g.Primary)
	require.Equal(t, "secondary", g.Secondary)
	require.Equal(t, "search", g.Search)
	require.Equal(t, gateway.KindAnthropic, g.SecondaryKind)
	require.Equal(t, 700*time.Millisecond, g.Config.AttemptTimeout)
	require.Equal(t, 1, g.Config.MaxAttempts)
	require.Equal(t, 20, g.Config.Breaker.FailureThreshold, "defaults stay where drill.yaml is silent")
	require.Equal(t, map[string]float64{"chat": 6, "stream": 2, "json": 1, "canary": 1}, top.Traffic.Mix, "a mix replaces the default mix")
	require.Equal(t, "embedded", top.Toxiproxy.Mode)

	// An empty topology section set is the builtin gateway needing a provider.
	_, err := ParseTopology("drill.yaml", Sections{})
	require.ErrorContains(t, err, "needs at least one provider")

	top = parseText(t, "providers: [{name: p}]\ntoxiproxy: {url: http://127.0.0.1:8474}\n")
	require.Equal(t, "p", top.Service.Gateway.Primary)
	require.Empty(t, top.Service.Gateway.Secondary)
	require.Nil(t, top.Traffic)
	require.Equal(t, Toxiproxy{Mode: "external", URL: "http://127.0.0.1:8474"}, top.Toxiproxy)
}

func TestProviderSurfaces(t *testing.T) {
	top := parseText(t, "providers: [{name: p, surfaces: [gemini, bedrock]}]\n")
	require.Equal(t, []string{"gemini", "bedrock"}, top.Providers[0].Surfaces)
}
