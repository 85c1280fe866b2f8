package mockllm

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLoadConfigGood(t *testing.T) {
	cfg, err := LoadConfig("testdata/good.yaml")
	require.NoError(t, err)
	require.EqualValues(t, 7, cfg.Seed)
	require.Len(t, cfg.Models, 2)
	require.Equal(t, Dist{Kind: DistLognormal, Mean: 300 * time.Millisecond, Stddev: 80 * time.Millisecond}, cfg.Models[0].Latency.TTFT)
	require.Equal(t, Constant(15*time.Millisecond), cfg.Models[0].Latency.ITL)
	require.Equal(t, RateLimit{RPM: 500, TPM: 30000}, cfg.Models[0].RateLimit)
	require.Equal(t, "slow-claude", cfg.Faults[0].ID)
	require.Equal(t, 3*time.Second, cfg.Faults[0].Params.delay())

	cfg.Sleeper = newFakeSleeper()
	s, err := Start(cfg)
	require.NoError(t, err)
	defer s.Close()
	_, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "What is the capital of France?", ""))
	require.Equal(t, "Paris.", contentOf(t, body))
	_, body = post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "drill canary", ""))
	require.Equal(t, CanaryAnswer, contentOf(t, body), "the canary stays when answers are configured")
	require.Len(t, s.Faults().List(), 1)
}

func TestLoadConfigBad(t *testing.T) {
	_, err := LoadConfig("testdata/bad.yaml")
	require.Error(t, err)
	for _, want := range []string{
		`testdata/bad.yaml:4: models[0].provider: want openai or anthropic, got "openia"`,
		`testdata/bad.yaml:6: models[0].latency.ttft: dist: want constant, normal or lognormal, got "gamma"`,
		`testdata/bad.yaml:7: models[1].name: duplicate model "gpt-4o"`,
		`testdata/bad.yaml:10: answers[0].prompt: bad regular expression`,
		`testdata/bad.yaml:13: faults[0]: params.status: required, want an HTTP error status from 400 to 599, got 200`,
	} {
		require.ErrorContains(t, err, want)
	}
}

func TestParseConfigStrict(t *testing.T) {
	_, err := ParseConfig("x.yaml", []byte("seed: 1\nmodels:\n  - name: a\n    provider: openai\n    colour: red\n"))
	require.ErrorContains(t, err, "x.yaml:5: field colour not found")
	_, err = ParseConfig("x.yaml", []byte("models:\n  - name: a\n    provider: openai\n    latency: {ttft: fast}\n"))
	require.ErrorContains(t, err, `x.yaml:4: want a duration such as 300ms`)
	_, err = ParseConfig("x.yaml", []byte("models:\n  - name: a\n    provider: openai\n    latency: {ttft: {mean: 1s, median: 2s}}\n"))
	require.ErrorContains(t, err, `x.yaml:4: field median not found in a distribution`)
	_, err = ParseConfig("x.yaml", []byte("faults:\n  - mode: garbage\n    params: {kind: x, delay: soon}\n"))
	require.ErrorContains(t, err, `x.yaml:3: want a duration such as 30s or 5m, got "soon"`)
	cfg, err := ParseConfig("empty.yaml", nil)
	require.NoError(t, err)
	require.Equal(t, DefaultConfig().Models, cfg.Models)

	_, err = LoadConfig(filepath.Join(t.TempDir(), "missing.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestStartRejectsBadConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Models[0].Kind = "vision"
	_, err := Start(cfg)
	require.ErrorContains(t, err, `models[0].kind: want chat or embedding, got "vision"`)
}

// The canary entry skips the regexp engine for ASCII prompts; it must
// answer exactly what its regular expression would.
func TestCanaryFastPathAgreesWithRegexp(t *testing.T) {
	a := Answer{Prompt: canaryPattern, re: regexp.MustCompile(canaryPattern), canary: true}
	for _, p := range []string{
		"", "drill canary", "DRILL CANARY", "Say: Drill Canary, please", "drill  canary", "drillcanary",
		"drill canar", "xdrill canaryx", "drill\tcanary", "the DrIlL cAnArY is here", "[drill canary]",
		"ſ drill canary", "drill canary é", "drill cAnary\u212a", "dri", "@drill canary`",
	} {
		require.Equal(t, a.re.MatchString(p), a.matches(p), "prompt %q", p)
	}
}
