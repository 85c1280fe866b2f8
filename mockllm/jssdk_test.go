package mockllm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The official JavaScript SDKs against a mockllm server: testdata/jssdk
// pins them (package.json, package-lock.json), and each of its scripts
// drives one SDK, asserts with node's assert module and prints one JSON
// line of results that the test checks against the server's own count.

const (
	// jsInstallTimeout bounds npm ci on a cold cache.
	jsInstallTimeout = 4 * time.Minute
	// jsScriptTimeout bounds each script: every request it makes, SDK
	// retries and their waits included.
	jsScriptTimeout = 45 * time.Second
	// npmPingTimeout bounds the check, on a cold cache, that npm reaches
	// its registry (the test skips when it does not).
	npmPingTimeout = 20 * time.Second
)

// jsSDKs is the node_modules directory holding the pinned SDKs, installed
// once per lock file under the user's cache directory; it skips the test
// when node or npm is missing or the registry cannot be reached.
func jsSDKs(t *testing.T) (node, modules string) {
	t.Helper()
	if testing.Short() {
		t.Skip("JS SDK test: skipped under -short (it runs node and may install the SDKs with npm)")
	}
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	var missing []string
	if errNode != nil {
		missing = append(missing, "node")
	}
	if errNpm != nil {
		missing = append(missing, "npm")
	}
	if len(missing) > 0 {
		t.Skipf("JS SDK test: skipped, it needs node and npm on PATH; missing: %s", strings.Join(missing, ", "))
	}
	src := filepath.Join("testdata", "jssdk")
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	require.NoError(t, err)
	sum := sha256.Sum256(lock)
	cache, err := os.UserCacheDir()
	require.NoError(t, err, "the JS SDKs are cached under the user's cache directory")
	dir := filepath.Join(cache, "drill-jssdk", hex.EncodeToString(sum[:8]))
	modules = filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(dir, "installed")); err == nil {
		return node, modules
	}
	ctx, cancel := context.WithTimeout(context.Background(), jsInstallTimeout)
	defer cancel()
	if err := registryReachable(ctx, npm); err != nil {
		t.Skipf("JS SDK test: skipped, the SDKs are not cached in %s and npm cannot reach its registry: %v", dir, err)
	}
	// Install into a fresh directory beside dir, then rename it into
	// place: a run cut short leaves no half-installed cache, and two runs
	// at once each install and one rename wins.
	require.NoError(t, os.MkdirAll(filepath.Dir(dir), 0o755))
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	require.NoError(t, err)
	defer os.RemoveAll(tmp)
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(tmp, f), b, 0o644))
	}
	cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm ci in %s (bounded by %s): %s", tmp, jsInstallTimeout, out)
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "installed"), lock, 0o644))
	if err := os.Rename(tmp, dir); err != nil {
		_, statErr := os.Stat(filepath.Join(dir, "installed"))
		require.NoError(t, statErr, "installing the JS SDKs into %s: %v", dir, err)
	}
	return node, modules
}

// registryReachable pings the registry npm is configured with, once,
// within npmPingTimeout; the error is npm's own, on one line.
func registryReachable(ctx context.Context, npm string) error {
	ctx, cancel := context.WithTimeout(ctx, npmPingTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, npm, "ping", "--fetch-retries=0", "--fetch-timeout=10000").CombinedOutput()
	if err == nil {
		return nil
	}
	// npm's own message is the line naming the error, such as
	// "npm error FetchError: request to ... failed, reason: ...".
	for _, line := range strings.Split(string(out), "\n") {
		if msg, ok := strings.CutPrefix(line, "npm error "); ok && strings.Contains(msg, "Error: ") {
			return fmt.Errorf("npm ping: %s", msg)
		}
	}
	return fmt.Errorf("npm ping: %w", err)
}

// jsSection is one section of a script's JSON line; each section sets
// the fields it measures, and a field no section knows fails the decode.
type jsSection struct {
	Text           string `json:"text"`
	StreamText     string `json:"stream_text"`
	Prompt         string `json:"prompt"`
	Name           string `json:"name"`
	StreamedName   string `json:"streamed_name"`
	Severity       string `json:"severity"`
	Error          string `json:"error"`
	Malformed      string `json:"malformed"`
	Type           string `json:"type"`
	RPC            string `json:"rpc"`
	RetryAfter     string `json:"retry_after"`
	RetryDelay     string `json:"retry_delay"`
	ResponsesError string `json:"responses_error"`
	InvokeName     string `json:"invoke_name"`
	Cut            string `json:"cut"`
	RateLimitCode  string `json:"rate_limit_code"`
	QuotaCode      string `json:"quota_code"`
	StopReason     string `json:"stop_reason"`
	Finish         string `json:"finish"`

	Status           int `json:"status"`
	Requests         int `json:"requests"`
	Affected         int `json:"affected"`
	Attempts         int `json:"attempts"`
	WaitedMS         int `json:"waited_ms"`
	RetryWaitMS      int `json:"retry_wait_ms"`
	RetriedRequests  int `json:"retried_requests"`
	Chunks           int `json:"chunks"`
	Events           int `json:"events"`
	Dimensions       int `json:"dimensions"`
	FullDimensions   int `json:"full_dimensions"`
	StreamTextLength int `json:"stream_text_length"`

	CompletionTokens   int `json:"completion_tokens"`
	InputTokens        int `json:"input_tokens"`
	CleanInputTokens   int `json:"clean_input_tokens"`
	OutputTokens       int `json:"output_tokens"`
	StreamOutputTokens int `json:"stream_output_tokens"`
	CandidatesTokens   int `json:"candidates_tokens"`
	CutTokens          int `json:"cut_tokens"`
	PromptTokens       int `json:"prompt_tokens"`
	TotalTokens        int `json:"total_tokens"`
	Total              int `json:"total"`
	Converse           int `json:"converse"`
	Invoke             int `json:"invoke"`
}

// runJS starts a server and runs testdata/jssdk/script against it, with
// MOCKLLM_URL and the canary in its environment; it decodes the JSON line
// the script prints last, which must hold exactly the sections named.
func runJS(t *testing.T, node, modules, script string, sections ...string) map[string]jsSection {
	t.Helper()
	t.Parallel()
	s, _ := startTest(t, nil)
	dir := t.TempDir()
	require.NoError(t, os.Symlink(modules, filepath.Join(dir, "node_modules")))
	entries, err := os.ReadDir(filepath.Join("testdata", "jssdk"))
	require.NoError(t, err)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".mjs") {
			b, err := os.ReadFile(filepath.Join("testdata", "jssdk", e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), jsScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, script))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MOCKLLM_URL="+s.URL(), "MOCKLLM_CANARY_PROMPT="+CanaryPrompt, "MOCKLLM_CANARY_ANSWER="+CanaryAnswer, "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	require.NoError(t, err, "node %s (bounded by %s)\nstderr:\n%s\nstdout:\n%s", script, jsScriptTimeout, stderr.String(), stdout.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	t.Logf("%s: %s", script, last)
	var out map[string]jsSection
	dec := json.NewDecoder(strings.NewReader(last))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&out), "%s's last line of output (logged above)", script)
	got := make([]string, 0, len(out))
	for k := range out {
		got = append(got, k)
	}
	require.ElementsMatch(t, sections, got, "%s's sections", script)
	return out
}

// TestJSSDKs runs the official JavaScript SDKs against the server: the
// scripts assert what each SDK parsed, and the checks here hold the
// numbers they print to the server's tokenizer and fault counts.
func TestJSSDKs(t *testing.T) {
	node, modules := jsSDKs(t)
	tools := jsSection{Name: "get_weather", StreamedName: "get_weather"}
	t.Run("openai", func(t *testing.T) {
		out := runJS(t, node, modules, "openai.mjs", "completions", "chat", "stream", "tools", "json_schema", "responses", "responses_tools",
			"embeddings", "azure", "e500", "e503", "e429", "stream_error", "stream_cut", "limits", "billing", "garbage")
		c := out["completions"]
		require.Equal(t, CanaryAnswer, c.Text)
		require.Equal(t, CountTokens(c.StreamText), c.StreamOutputTokens)
		require.Equal(t, CanaryAnswer, out["chat"].Text)
		require.Equal(t, CountTokens(CanaryAnswer), out["chat"].CompletionTokens)
		st := out["stream"]
		require.Equal(t, CountTokens(st.Text), st.CompletionTokens)
		// role chunk + one chunk per token + finish chunk + usage chunk
		require.Equal(t, CountTokens(st.Text)+3, st.Chunks)
		require.Equal(t, tools, out["tools"])
		require.Contains(t, []string{"low", "high"}, out["json_schema"].Severity)
		r := out["responses"]
		require.Equal(t, CanaryAnswer, r.Text)
		require.Equal(t, CountTokens(r.StreamText), r.StreamOutputTokens)
		require.Equal(t, tools, out["responses_tools"])
		require.Equal(t, 1536, out["embeddings"].Dimensions)
		require.Equal(t, CountTokens("alpha")+CountTokens("beta"), out["embeddings"].PromptTokens)
		require.Equal(t, CanaryAnswer, out["azure"].Text)
		require.Positive(t, out["azure"].StreamTextLength)
		require.GreaterOrEqual(t, out["azure"].RetryWaitMS, 900)
		require.Equal(t, jsSection{Status: 500, Requests: 1}, out["e500"])
		require.Equal(t, jsSection{Affected: 1, Requests: 2}, out["e503"])
		e429 := out["e429"]
		require.Equal(t, "1", e429.RetryAfter)
		require.Equal(t, 3, e429.Requests)
		require.GreaterOrEqual(t, e429.WaitedMS, 1900)
		require.Equal(t, 3, CountTokens(out["stream_error"].Text), out["stream_error"].Text)
		require.NotEmpty(t, out["stream_error"].ResponsesError)
		// undici's fetch reports a body cut short as "terminated"
		require.Equal(t, jsSection{Error: "TypeError: terminated", Malformed: "SyntaxError"}, out["stream_cut"])
		require.Equal(t, jsSection{RateLimitCode: "rate_limit_exceeded", QuotaCode: "insufficient_quota"}, out["limits"])
		require.Equal(t, 2*CountTokens(out["billing"].Text), out["billing"].CompletionTokens)
		require.Equal(t, "SyntaxError", out["garbage"].Error)
	})
	t.Run("anthropic", func(t *testing.T) {
		out := runJS(t, node, modules, "anthropic.mjs", "message", "stream", "tools", "count_tokens",
			"e529", "e500", "e429", "stream_error", "stream_cut", "billing", "garbage")
		m := out["message"]
		require.Equal(t, CanaryAnswer, m.Text)
		require.Equal(t, CountTokens(CanaryAnswer), m.OutputTokens)
		require.Positive(t, m.InputTokens)
		st := out["stream"]
		require.Equal(t, CountTokens(st.Text), st.OutputTokens)
		// message_start, content_block_start, a delta per token, content_block_stop, message_delta, message_stop
		require.Equal(t, CountTokens(st.Text)+5, st.Events)
		require.Equal(t, tools, out["tools"])
		require.Equal(t, CountTokens("be brief")+3+CountTokens("How many tokens is this?"), out["count_tokens"].InputTokens)
		require.Equal(t, jsSection{Status: 529, Type: "overloaded_error"}, out["e529"])
		require.Equal(t, jsSection{Requests: 2}, out["e500"])
		e429 := out["e429"]
		require.Equal(t, "1", e429.RetryAfter)
		require.Equal(t, 2, e429.Requests)
		require.GreaterOrEqual(t, e429.WaitedMS, 950)
		require.Equal(t, 3, CountTokens(out["stream_error"].Text), out["stream_error"].Text)
		require.Equal(t, "overloaded_error", out["stream_error"].Type)
		// MessageStream wraps what fetch and JSON.parse throw in AnthropicError
		require.Equal(t, jsSection{Error: "AnthropicError: terminated", Malformed: "AnthropicError (SyntaxError)"}, out["stream_cut"])
		b := out["billing"]
		require.Positive(t, b.CleanInputTokens)
		require.Equal(t, 3*b.CleanInputTokens, b.InputTokens)
		require.Equal(t, "end_turn", out["garbage"].StopReason)
		require.NotEmpty(t, out["garbage"].Text)
	})
	t.Run("gemini", func(t *testing.T) {
		out := runJS(t, node, modules, "gemini.mjs", "generate", "stream", "tokens", "tools",
			"e500", "e429", "stream_error", "stream_cut", "billing", "garbage")
		g := out["generate"]
		require.Equal(t, CanaryAnswer, g.Text)
		require.Equal(t, CountTokens(CanaryAnswer), g.CandidatesTokens)
		require.Equal(t, 10, g.CutTokens, "two candidates of 5 tokens")
		st := out["stream"]
		require.Equal(t, CountTokens(st.Text), st.CandidatesTokens)
		// one chunk per token and the closing chunk
		require.Equal(t, CountTokens(st.Text)+1, st.Chunks)
		tok := out["tokens"]
		require.Equal(t, CountTokens(tok.Prompt), tok.Total)
		require.Equal(t, 768, tok.Dimensions)
		require.Equal(t, 3072, tok.FullDimensions)
		require.Equal(t, tools, out["tools"])
		require.Equal(t, jsSection{Status: 500, RPC: "INTERNAL"}, out["e500"])
		require.Equal(t, jsSection{RetryDelay: "2s", RetriedRequests: 2}, out["e429"])
		require.Equal(t, 503, out["stream_error"].Status)
		require.Equal(t, 3, CountTokens(out["stream_error"].Text), out["stream_error"].Text)
		require.Equal(t, jsSection{Error: "TypeError: terminated"}, out["stream_cut"])
		b := out["billing"]
		require.Equal(t, 2*CountTokens(b.Text), b.CandidatesTokens)
		require.Equal(t, 2*CountTokens(b.Prompt), b.PromptTokens)
		require.Equal(t, b.PromptTokens+b.CandidatesTokens, b.TotalTokens)
		require.Equal(t, jsSection{Finish: "STOP"}, out["garbage"], "empty garbage: no text")
	})
	t.Run("bedrock", func(t *testing.T) {
		out := runJS(t, node, modules, "bedrock.mjs", "converse", "stream", "tools", "invoke", "count_tokens",
			"e500", "e503", "e429", "stream_error", "billing", "garbage", "guardrail")
		require.Equal(t, CanaryAnswer, out["converse"].Text)
		require.Equal(t, CountTokens(CanaryAnswer), out["converse"].OutputTokens)
		require.Equal(t, CountTokens(out["stream"].Text), out["stream"].OutputTokens)
		require.Equal(t, tools, out["tools"])
		inv := out["invoke"]
		require.Equal(t, CanaryAnswer, inv.Text)
		require.Equal(t, CountTokens(CanaryAnswer), inv.OutputTokens)
		require.Equal(t, CountTokens(inv.StreamText), inv.StreamOutputTokens)
		require.Equal(t, CountTokens("be brief")+3+CountTokens("How many tokens is this?"), out["count_tokens"].Converse)
		require.Equal(t, 3+CountTokens("How many tokens is this?"), out["count_tokens"].Invoke)
		require.Equal(t, jsSection{Name: "InternalServerException", Status: 500}, out["e500"])
		require.Equal(t, jsSection{Name: "ServiceUnavailableException", Attempts: 2}, out["e503"])
		e429 := out["e429"]
		require.Equal(t, "ThrottlingException", e429.Name)
		require.Equal(t, 2, e429.Attempts)
		require.GreaterOrEqual(t, e429.WaitedMS, 900)
		se := out["stream_error"]
		require.Equal(t, 3, CountTokens(se.Text), se.Text)
		require.Equal(t, "ModelStreamErrorException", se.Name)
		require.Equal(t, "ModelStreamErrorException", se.InvokeName)
		// Go's HTTP/2 server resets a stream its handler aborts
		require.Equal(t, "Error: Stream closed with error code NGHTTP2_INTERNAL_ERROR", se.Cut)
		require.Equal(t, 2*CountTokens(out["billing"].Text), out["billing"].OutputTokens)
		require.NotEqual(t, CanaryAnswer, out["garbage"].Text)
		require.NotEmpty(t, out["garbage"].Text)
		// The fields are reused: name is InvokeModel's guardrailAction,
		// stream_text its text, malformed its trace's filter type.
		require.Equal(t, jsSection{StopReason: "guardrail_intervened", Text: bedrockBlockedInput, Type: "HATE",
			Name: "INTERVENED", StreamText: bedrockBlockedInput, Malformed: "HATE"}, out["guardrail"])
	})
}
