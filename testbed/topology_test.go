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
	// The gateway speaks Gemini to p (guessed from the model), which p serves.
	top := parseText(t, "providers: [{name: p, surfaces: [gemini, bedrock]}]\nservice: {gateway: {primary_model: gemini-2.5-flash}}\n")
	require.Equal(t, []string{"gemini", "bedrock"}, top.Providers[0].Surfaces)
	require.Equal(t, "gemini", top.Service.Gateway.PrimaryKind)
}

// The gateway's upstream kinds: set, or guessed from the model name; a
// provider limited to surfaces must serve the one the gateway speaks.
func TestGatewayKinds(t *testing.T) {
	top := parseText(t, "providers: [{name: g, surfaces: [gemini]}, {name: b, surfaces: [bedrock]}]\n"+
		"service: {gateway: {primary_model: gemini-2.5-flash, secondary_model: amazon.nova-lite-v1:0}}\n")
	require.Equal(t, "gemini", top.Service.Gateway.PrimaryKind)
	require.Equal(t, "bedrock", top.Service.Gateway.SecondaryKind)
	for model, kind := range map[string]string{"gpt-4o": "openai", "claude-haiku-4-5": "anthropic", "gemini-2.5-pro": "gemini",
		"anthropic.claude-haiku-4-5-20251001-v1:0": "bedrock", "us.anthropic.claude-sonnet-4-5-v1:0": "bedrock", "meta.llama3-70b-instruct-v1:0": "bedrock"} {
		require.Equal(t, kind, kindOf(model), model)
	}
	top = parseText(t, "providers: [{name: p}]\nservice: {gateway: {primary_model: my-model, primary_kind: bedrock}}\n")
	require.Equal(t, "bedrock", top.Service.Gateway.PrimaryKind)

	_, err := ParseTopology("drill.yaml", sectionsOf(t, []byte("providers: [{name: p, surfaces: [gemini]}]\nservice: {gateway: {primary_model: gpt-4o}}\n")))
	require.ErrorContains(t, err, `drill.yaml:1:33: providers[0].surfaces: the builtin gateway speaks openai to its primary "p" (service.gateway.primary_kind, or guessed from the model name); add openai, or set primary_kind to one of gemini`)
	_, err = ParseTopology("drill.yaml", sectionsOf(t, []byte("providers: [{name: p}]\nservice: {gateway: {primary_kind: vertex}}\n")))
	require.ErrorContains(t, err, `service.gateway.primary_kind: expected one of openai, anthropic, gemini, bedrock, got "vertex"`)
}

// A provider config's Azure deployments reach the endpoints (drill up
// prints them) and the mock, which answers the deployment through the
// provider's proxy with its model.
func TestProviderAzureDeployments(t *testing.T) {
	tb := startTestbed(t, parseText(t, "providers: [{name: primary, config: azure.yaml}]\n"), Options{})
	u := tb.Endpoints().Providers["primary"]
	require.Equal(t, map[string]string{"prod-mini": "gpt-4o-mini"}, u.Deployments)
	r := post(u.URL+"/openai/deployments/prod-mini/chat/completions?api-version=2024-10-21",
		map[string]any{"messages": []map[string]string{{"role": "user", "content": "hello"}}})
	require.NoError(t, r.err)
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, `"model":"gpt-4o-mini"`)
	r = post(u.URL+"/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
		map[string]any{"messages": []map[string]string{{"role": "user", "content": "hello"}}})
	require.Equal(t, 404, r.status, "with a map, only its deployments exist: %s", r.body)
}
