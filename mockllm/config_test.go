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
	require.EqualError(t, err, `testdata/bad.yaml:4:5: models[0].provider: want openai, anthropic, gemini or bedrock, got "openia"`+"\n"+
		`testdata/bad.yaml:6:7: models[0].latency.ttft: dist: want constant, normal or lognormal, got "gamma"`+"\n"+
		`testdata/bad.yaml:7:5: models[1].name: duplicate model "gpt-4o"`+"\n"+
		"testdata/bad.yaml:10:5: answers[0].prompt: bad regular expression: error parsing regexp: missing closing ): `(unclosed`\n"+
		`testdata/bad.yaml:13:5: faults[0]: params.status: required, want an HTTP error status from 400 to 599, got 200`)
}

func TestParseConfigStrict(t *testing.T) {
	_, err := ParseConfig("x.yaml", []byte("seed: 1\nmodels:\n  - name: a\n    provider: openai\n    colour: red\n"))
	require.EqualError(t, err, "x.yaml:5:5: models[0].colour: unknown field; valid fields are: name, provider, kind, context_window, max_output_tokens, dimensions, price, latency, output_tokens, rate_limit")
	_, err = ParseConfig("x.yaml", []byte("models:\n  - name: a\n    provider: openai\n    latency: {ttft: fast, itl: [1ms]}\n"))
	require.EqualError(t, err, `x.yaml:4:21: models[0].latency.ttft: expected a duration such as 300ms or {dist: lognormal, mean: 300ms, stddev: 80ms}, got "fast"`+"\n"+
		`x.yaml:4:32: models[0].latency.itl: expected a duration such as 300ms or {dist: lognormal, mean: 300ms, stddev: 80ms}, got a list`)
	_, err = ParseConfig("x.yaml", []byte("models:\n  - name: a\n    provider: openai\n    latency: {ttft: {mean: 1s, median: 2s}}\n"))
	require.EqualError(t, err, `x.yaml:4:32: models[0].latency.ttft.median: unknown field; valid fields are: dist, mean, stddev`)
	_, err = ParseConfig("x.yaml", []byte("faults:\n  - mode: garbage\n    params: {kind: x, delay: soon}\n"))
	require.EqualError(t, err, `x.yaml:3:30: faults[0].params.delay: expected a duration such as 500ms, 2s or 1m, got "soon"`)
	_, err = ParseConfig("x.yaml", []byte("faults:\n  - {mode: garbage, target: gpt*, probability: lots, params: {kind: wrong_answer}}\n"))
	require.EqualError(t, err, `x.yaml:2:48: faults[0].probability: expected a number, got "lots"`, "the inline scope's fields are the fault's")
	cfg, err := ParseConfig("empty.yaml", nil)
	require.NoError(t, err)
	require.Equal(t, DefaultConfig().Models, cfg.Models)
	cfg, err = ParseConfig("x.yaml", []byte("models:\n  - {name: a, provider: openai, latency: {ttft: 300ms, itl: {mean: 10ms}}}\n"))
	require.NoError(t, err)
	require.Equal(t, Constant(300*time.Millisecond), cfg.Models[0].Latency.TTFT, "a bare duration is a constant")
	require.Equal(t, Constant(10*time.Millisecond), cfg.Models[0].Latency.ITL, "a mapping without dist is a constant")

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
