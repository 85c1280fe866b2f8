package gateway

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/stretchr/testify/require"
)

func TestParseConfigFile(t *testing.T) {
	data, err := os.ReadFile("testdata/gateway.yaml")
	require.NoError(t, err)
	cfg, err := ParseConfig("gateway.yaml", data)
	require.NoError(t, err)
	require.Equal(t, "anthropic", cfg.Secondary.Kind)
	require.Equal(t, 30*time.Second, cfg.Breaker.Cooldown)
	require.Equal(t, 25, cfg.AgentMaxSteps)
	require.Equal(t, Price{InputPerMTok: 2.5, OutputPerMTok: 10}, cfg.Prices["gpt-4o"], "prices the file does not name keep their defaults")
}

func TestParseConfigNamesFileLineColField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"primary:\n  base_url: http://x\n  colour: red\n", "g.yaml:3:3: primary.colour: unknown field; valid fields are: name, kind, base_url, model, api_key"},
		{"primary:\n  base_url: http://x\nmax_attempts: lots\n", `g.yaml:3:15: max_attempts: expected an integer, got "lots"`},
		{"primary:\n  base_url: http://x\n  kind: cohere\n", `g.yaml:3:3: primary.kind: expected one of openai, anthropic, gemini, bedrock, got "cohere"`},
		{"primary:\n  base_url: http://x\ndisabled_models:\n  - gpt-4o-mini\n  - gpt-9\n", `g.yaml:5:5: disabled_models[1]: unknown model "gpt-9"`},
		{"primary:\n  base_url: http://x\nprices:\n  gpt-4.1: {input_per_mtok: -1}\n", `g.yaml:4:3: prices.gpt-4.1: expected prices >= 0`},
		{"primary:\n  model: gpt-4o\n", `g.yaml:1:1: primary.base_url: expected an http(s) URL, got an empty string`},
		{"", `g.yaml: primary.base_url: expected an http(s) URL, got an empty string`},
	} {
		_, err := ParseConfig("g.yaml", []byte(tc.yaml))
		require.Error(t, err, tc.yaml)
		var probs strictyaml.Problems
		require.ErrorAs(t, err, &probs)
		require.Contains(t, err.Error(), tc.want)
	}
	// Decoding problems come all at once.
	_, err := ParseConfig("g.yaml", []byte("primary: {colour: red}\nmax_attempts: lots\nbreaker: {window: soon}\n"))
	require.EqualError(t, err, "g.yaml:1:11: primary.colour: unknown field; valid fields are: name, kind, base_url, model, api_key\n"+
		`g.yaml:2:15: max_attempts: expected an integer, got "lots"`+"\n"+
		`g.yaml:3:19: breaker.window: expected a duration such as 500ms, 2s or 1m, got "soon"`)
}

func TestValidateNamesEveryBadField(t *testing.T) {
	c := DefaultConfig()
	c.Primary.BaseURL = "ftp://x"
	c.Primary.Kind = "cohere"
	c.Secondary = Upstream{Name: "primary", Kind: KindOpenAI, BaseURL: "http://127.0.0.1:1", Model: "mystery"}
	c.MaxAttempts = 0
	c.BudgetUSDPerMin = -2
	c.DisabledModels = []string{"gpt-9"}
	c.Breaker.FailureThreshold = 0
	c.SearchURL = "nope"
	err := c.Validate()
	require.Error(t, err)
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		require.True(t, errors.As(e, &fe))
		fields = append(fields, fe.Field)
	}
	require.Equal(t, []string{"primary.kind", "primary.base_url", "secondary.model", "secondary.name", "max_attempts",
		"breaker.failure_threshold", "budget_usd_per_minute", "disabled_models[0]", "search_url"}, fields)
	require.Contains(t, err.Error(), `primary.kind: expected one of openai, anthropic, gemini, bedrock, got "cohere"`)
	require.Contains(t, err.Error(), `secondary.model: model "mystery" has no entry in prices`)

	require.ErrorContains(t, DefaultConfig().Validate(), "primary.base_url: expected an http(s) URL, got an empty string")
	_, err = Start(DefaultConfig())
	require.ErrorContains(t, err, "gateway: invalid config")
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"DRILL_ADDR":                  "127.0.0.1:0",
		"DRILL_PRIMARY_URL":           "http://127.0.0.1:9001",
		"DRILL_PRIMARY_MODEL":         "house-model",
		"DRILL_SECONDARY_URL":         "http://127.0.0.1:9002/v1",
		"DRILL_SECONDARY_KIND":        "anthropic",
		"DRILL_SECONDARY_MODEL":       "claude-haiku-4-5",
		"DRILL_SEARCH_URL":            "http://127.0.0.1:9003",
		"DRILL_AUTO_FAILOVER":         "true",
		"DRILL_BUDGET_USD_PER_MINUTE": "2.5",
		"DRILL_AGENT_MAX_STEPS":       "7",
		"DRILL_ATTEMPT_TIMEOUT":       "3s",
		"DRILL_PRICES":                "house-model=1:2",
	}
	c, err := ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, Upstream{Name: "primary", Kind: KindOpenAI, BaseURL: "http://127.0.0.1:9001", Model: "house-model"}, c.Primary)
	require.Equal(t, Upstream{Name: "secondary", Kind: KindAnthropic, BaseURL: "http://127.0.0.1:9002/v1", Model: "claude-haiku-4-5"}, c.Secondary)
	require.True(t, c.AutoFailover)
	require.Equal(t, 2.5, c.BudgetUSDPerMin)
	require.Equal(t, 7, c.AgentMaxSteps)
	require.Equal(t, 3*time.Second, c.AttemptTimeout)
	require.Equal(t, Price{1, 2}, c.Prices["house-model"])
	require.Equal(t, "http://127.0.0.1:9003", c.SearchURL)
	require.NotContains(t, DefaultConfig().Prices, "house-model")

	bad := map[string]string{
		"DRILL_PRIMARY_URL":     "http://127.0.0.1:9001",
		"DRILL_AUTO_FAILOVER":   "sometimes",
		"DRILL_AGENT_MAX_STEPS": "many",
		"DRILL_PRICES":          "x=1",
		"DRILL_SECONDARY_KIND":  "openai",
	}
	_, err = ConfigFromEnv(func(k string) string { return bad[k] })
	require.ErrorContains(t, err, `DRILL_AUTO_FAILOVER: expected true or false, got "sometimes"`)
	require.ErrorContains(t, err, `DRILL_AGENT_MAX_STEPS: expected an integer, got "many"`)
	require.ErrorContains(t, err, `DRILL_PRICES: expected model=input:output`)
	require.ErrorContains(t, err, `DRILL_SECONDARY_KIND: set without DRILL_SECONDARY_URL`)

	_, err = ConfigFromEnv(func(string) string { return "" })
	require.ErrorContains(t, err, "primary.base_url")
	for _, v := range EnvVars {
		require.Regexp(t, `^DRILL_[A-Z_]+$`, v.Name)
	}
}
