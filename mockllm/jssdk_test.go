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

// runJS runs testdata/jssdk/script with MOCKLLM_URL set to s and decodes
// the JSON line it prints last into out.
func runJS(t *testing.T, node, modules string, s *Server, script string, out any) {
	t.Helper()
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
	dec := json.NewDecoder(strings.NewReader(last))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(out), "%s's last line of output (logged above)", script)
}

func TestJSSDKs(t *testing.T) {
	node, modules := jsSDKs(t)
	t.Run("openai", func(t *testing.T) {
		t.Parallel()
		s, _ := startTest(t, nil)
		var out struct {
			Chat struct {
				Text             string `json:"text"`
				CompletionTokens int    `json:"completion_tokens"`
			} `json:"chat"`
			Stream struct {
				Text             string `json:"text"`
				Chunks           int    `json:"chunks"`
				CompletionTokens int    `json:"completion_tokens"`
			} `json:"stream"`
			Tools      map[string]string `json:"tools"`
			JSONSchema map[string]string `json:"json_schema"`
			Responses  struct {
				Text               string `json:"text"`
				StreamText         string `json:"stream_text"`
				StreamOutputTokens int    `json:"stream_output_tokens"`
			} `json:"responses"`
			ResponsesTools map[string]string `json:"responses_tools"`
			Embeddings     struct {
				Dimensions   int `json:"dimensions"`
				PromptTokens int `json:"prompt_tokens"`
			} `json:"embeddings"`
			Azure struct {
				Text             string `json:"text"`
				StreamTextLength int    `json:"stream_text_length"`
				RetryWaitMS      int    `json:"retry_wait_ms"`
			} `json:"azure"`
			Faults struct {
				E500 struct {
					Status   int `json:"status"`
					Requests int `json:"requests"`
				} `json:"e500"`
				E503 struct {
					Affected int `json:"affected"`
					Requests int `json:"requests"`
				} `json:"e503"`
				E429 struct {
					RetryAfter string `json:"retry_after"`
					Requests   int    `json:"requests"`
					WaitedMS   int    `json:"waited_ms"`
				} `json:"e429"`
				StreamError struct {
					Text           string `json:"text"`
					ResponsesError string `json:"responses_error"`
				} `json:"stream_error"`
				StreamCut struct {
					Error     string `json:"error"`
					Malformed string `json:"malformed"`
				} `json:"stream_cut"`
				Limits struct {
					RateLimitCode string `json:"rate_limit_code"`
					QuotaCode     string `json:"quota_code"`
				} `json:"limits"`
				Billing struct {
					Text             string `json:"text"`
					CompletionTokens int    `json:"completion_tokens"`
				} `json:"billing"`
				Garbage map[string]string `json:"garbage"`
			} `json:"faults"`
		}
		runJS(t, node, modules, s, "openai.mjs", &out)
		require.Equal(t, CanaryAnswer, out.Chat.Text)
		require.Equal(t, CountTokens(CanaryAnswer), out.Chat.CompletionTokens)
		require.Equal(t, CountTokens(out.Stream.Text), out.Stream.CompletionTokens)
		// role chunk + one chunk per token + finish chunk + usage chunk
		require.Equal(t, CountTokens(out.Stream.Text)+3, out.Stream.Chunks)
		require.Equal(t, map[string]string{"name": "get_weather", "streamed_name": "get_weather"}, out.Tools)
		require.Contains(t, []string{"low", "high"}, out.JSONSchema["severity"])
		require.Equal(t, CanaryAnswer, out.Responses.Text)
		require.Equal(t, CountTokens(out.Responses.StreamText), out.Responses.StreamOutputTokens)
		require.Equal(t, map[string]string{"name": "get_weather", "streamed_name": "get_weather"}, out.ResponsesTools)
		require.Equal(t, 1536, out.Embeddings.Dimensions)
		require.Equal(t, CountTokens("alpha")+CountTokens("beta"), out.Embeddings.PromptTokens)
		require.Equal(t, CanaryAnswer, out.Azure.Text)
		require.Positive(t, out.Azure.StreamTextLength)
		require.GreaterOrEqual(t, out.Azure.RetryWaitMS, 900)
		require.Equal(t, 500, out.Faults.E500.Status)
		require.Equal(t, 1, out.Faults.E500.Requests)
		require.Equal(t, 1, out.Faults.E503.Affected)
		require.Equal(t, 2, out.Faults.E503.Requests)
		require.Equal(t, "1", out.Faults.E429.RetryAfter)
		require.Equal(t, 3, out.Faults.E429.Requests)
		require.GreaterOrEqual(t, out.Faults.E429.WaitedMS, 1900)
		require.Equal(t, 3, CountTokens(out.Faults.StreamError.Text), out.Faults.StreamError.Text)
		require.NotEmpty(t, out.Faults.StreamError.ResponsesError)
		// undici's fetch reports a body cut short as "terminated"
		require.Equal(t, "TypeError: terminated", out.Faults.StreamCut.Error)
		require.Equal(t, "SyntaxError", out.Faults.StreamCut.Malformed)
		require.Equal(t, "rate_limit_exceeded", out.Faults.Limits.RateLimitCode)
		require.Equal(t, "insufficient_quota", out.Faults.Limits.QuotaCode)
		require.Equal(t, 2*CountTokens(out.Faults.Billing.Text), out.Faults.Billing.CompletionTokens)
		require.Equal(t, "SyntaxError", out.Faults.Garbage["error"])
	})
	t.Run("anthropic", func(t *testing.T) {
		t.Parallel()
		s, _ := startTest(t, nil)
		type text struct {
			Text         string `json:"text"`
			InputTokens  int    `json:"input_tokens"`
			OutputTokens int    `json:"output_tokens"`
			Events       int    `json:"events"`
		}
		var out struct {
			Message text              `json:"message"`
			Stream  text              `json:"stream"`
			Tools   map[string]string `json:"tools"`
			Count   struct {
				InputTokens int `json:"input_tokens"`
			} `json:"count_tokens"`
			Faults struct {
				E529 struct {
					Status int    `json:"status"`
					Type   string `json:"type"`
				} `json:"e529"`
				E500 struct {
					Requests int `json:"requests"`
				} `json:"e500"`
				E429 struct {
					RetryAfter string `json:"retry_after"`
					Requests   int    `json:"requests"`
					WaitedMS   int    `json:"waited_ms"`
				} `json:"e429"`
				StreamError struct {
					Text string `json:"text"`
					Type string `json:"type"`
				} `json:"stream_error"`
				StreamCut map[string]string `json:"stream_cut"`
				Billing   struct {
					CleanInputTokens int `json:"clean_input_tokens"`
					InputTokens      int `json:"input_tokens"`
				} `json:"billing"`
				Garbage struct {
					StopReason string `json:"stop_reason"`
					Text       string `json:"text"`
				} `json:"garbage"`
			} `json:"faults"`
		}
		runJS(t, node, modules, s, "anthropic.mjs", &out)
		require.Equal(t, CanaryAnswer, out.Message.Text)
		require.Equal(t, CountTokens(CanaryAnswer), out.Message.OutputTokens)
		require.Positive(t, out.Message.InputTokens)
		require.Equal(t, CountTokens(out.Stream.Text), out.Stream.OutputTokens)
		// message_start, content_block_start, a delta per token, content_block_stop, message_delta, message_stop
		require.Equal(t, CountTokens(out.Stream.Text)+5, out.Stream.Events)
		require.Equal(t, map[string]string{"name": "get_weather", "streamed_name": "get_weather"}, out.Tools)
		require.Equal(t, CountTokens("be brief")+3+CountTokens("How many tokens is this?"), out.Count.InputTokens)
		require.Equal(t, 529, out.Faults.E529.Status)
		require.Equal(t, "overloaded_error", out.Faults.E529.Type)
		require.Equal(t, 2, out.Faults.E500.Requests)
		require.Equal(t, "1", out.Faults.E429.RetryAfter)
		require.Equal(t, 2, out.Faults.E429.Requests)
		require.GreaterOrEqual(t, out.Faults.E429.WaitedMS, 950)
		require.Equal(t, 3, CountTokens(out.Faults.StreamError.Text), out.Faults.StreamError.Text)
		require.Equal(t, map[string]string{"error": "AnthropicError: terminated", "malformed": "AnthropicError (SyntaxError)"}, out.Faults.StreamCut)
		require.Equal(t, 3*out.Faults.Billing.CleanInputTokens, out.Faults.Billing.InputTokens)
		require.Equal(t, "end_turn", out.Faults.Garbage.StopReason)
		require.NotEmpty(t, out.Faults.Garbage.Text)
	})
	t.Run("gemini", func(t *testing.T) {
		t.Parallel()
		s, _ := startTest(t, nil)
		var out struct {
			Generate struct {
				Text             string `json:"text"`
				CandidatesTokens int    `json:"candidates_tokens"`
				CutTokens        int    `json:"cut_tokens"`
			} `json:"generate"`
			Stream struct {
				Text             string `json:"text"`
				Chunks           int    `json:"chunks"`
				CandidatesTokens int    `json:"candidates_tokens"`
			} `json:"stream"`
			Tokens struct {
				Prompt         string `json:"prompt"`
				Total          int    `json:"total"`
				Dimensions     int    `json:"dimensions"`
				FullDimensions int    `json:"full_dimensions"`
			} `json:"tokens"`
			Tools  map[string]string `json:"tools"`
			Faults struct {
				E500 struct {
					Status int    `json:"status"`
					RPC    string `json:"rpc"`
				} `json:"e500"`
				E429 struct {
					RetryDelay      string `json:"retry_delay"`
					RetriedRequests int    `json:"retried_requests"`
				} `json:"e429"`
				StreamError struct {
					Text   string `json:"text"`
					Status int    `json:"status"`
				} `json:"stream_error"`
				StreamCut map[string]string `json:"stream_cut"`
				Billing   struct {
					Text             string `json:"text"`
					Prompt           string `json:"prompt"`
					PromptTokens     int    `json:"prompt_tokens"`
					CandidatesTokens int    `json:"candidates_tokens"`
					TotalTokens      int    `json:"total_tokens"`
				} `json:"billing"`
				Garbage struct {
					Text   string `json:"text"`
					Finish string `json:"finish"`
				} `json:"garbage"`
			} `json:"faults"`
		}
		runJS(t, node, modules, s, "gemini.mjs", &out)
		require.Equal(t, CanaryAnswer, out.Generate.Text)
		require.Equal(t, CountTokens(CanaryAnswer), out.Generate.CandidatesTokens)
		require.Equal(t, 10, out.Generate.CutTokens, "two candidates of 5 tokens")
		require.Equal(t, CountTokens(out.Stream.Text), out.Stream.CandidatesTokens)
		// one chunk per token and the closing chunk
		require.Equal(t, CountTokens(out.Stream.Text)+1, out.Stream.Chunks)
		require.Equal(t, CountTokens(out.Tokens.Prompt), out.Tokens.Total)
		require.Equal(t, 768, out.Tokens.Dimensions)
		require.Equal(t, 3072, out.Tokens.FullDimensions)
		require.Equal(t, map[string]string{"name": "get_weather", "streamed_name": "get_weather"}, out.Tools)
		require.Equal(t, 500, out.Faults.E500.Status)
		require.Equal(t, "INTERNAL", out.Faults.E500.RPC)
		require.Equal(t, "2s", out.Faults.E429.RetryDelay)
		require.Equal(t, 2, out.Faults.E429.RetriedRequests)
		require.Equal(t, 503, out.Faults.StreamError.Status)
		require.Equal(t, 3, CountTokens(out.Faults.StreamError.Text), out.Faults.StreamError.Text)
		require.Equal(t, map[string]string{"error": "TypeError: terminated"}, out.Faults.StreamCut)
		b := out.Faults.Billing
		require.Equal(t, 2*CountTokens(b.Text), b.CandidatesTokens)
		require.Equal(t, 2*CountTokens(b.Prompt), b.PromptTokens)
		require.Equal(t, b.PromptTokens+b.CandidatesTokens, b.TotalTokens)
		require.Empty(t, out.Faults.Garbage.Text)
	})
	t.Run("bedrock", func(t *testing.T) {
		t.Parallel()
		s, _ := startTest(t, nil)
		type text struct {
			Text         string `json:"text"`
			OutputTokens int    `json:"output_tokens"`
		}
		var out struct {
			Converse text              `json:"converse"`
			Stream   text              `json:"stream"`
			Tools    map[string]string `json:"tools"`
			Invoke   struct {
				Text               string `json:"text"`
				OutputTokens       int    `json:"output_tokens"`
				StreamText         string `json:"stream_text"`
				StreamOutputTokens int    `json:"stream_output_tokens"`
			} `json:"invoke"`
			Count struct {
				Converse int `json:"converse"`
				Invoke   int `json:"invoke"`
			} `json:"count_tokens"`
			Faults struct {
				E500 struct {
					Name   string `json:"name"`
					Status int    `json:"status"`
				} `json:"e500"`
				E503 struct {
					Attempts int    `json:"attempts"`
					Name     string `json:"name"`
				} `json:"e503"`
				E429 struct {
					Name     string `json:"name"`
					Attempts int    `json:"attempts"`
					WaitedMS int    `json:"waited_ms"`
				} `json:"e429"`
				StreamError struct {
					Text       string `json:"text"`
					Name       string `json:"name"`
					InvokeName string `json:"invoke_name"`
					Cut        string `json:"cut"`
				} `json:"stream_error"`
				Billing text              `json:"billing"`
				Garbage map[string]string `json:"garbage"`
			} `json:"faults"`
		}
		runJS(t, node, modules, s, "bedrock.mjs", &out)
		require.Equal(t, CanaryAnswer, out.Converse.Text)
		require.Equal(t, CountTokens(CanaryAnswer), out.Converse.OutputTokens)
		require.Equal(t, CountTokens(out.Stream.Text), out.Stream.OutputTokens)
		require.Equal(t, map[string]string{"name": "get_weather", "streamed_name": "get_weather"}, out.Tools)
		require.Equal(t, CanaryAnswer, out.Invoke.Text)
		require.Equal(t, CountTokens(CanaryAnswer), out.Invoke.OutputTokens)
		require.Equal(t, CountTokens(out.Invoke.StreamText), out.Invoke.StreamOutputTokens)
		require.Equal(t, CountTokens("be brief")+3+CountTokens("How many tokens is this?"), out.Count.Converse)
		require.Equal(t, 3+CountTokens("How many tokens is this?"), out.Count.Invoke)
		require.Equal(t, "InternalServerException", out.Faults.E500.Name)
		require.Equal(t, 500, out.Faults.E500.Status)
		require.Equal(t, 2, out.Faults.E503.Attempts)
		require.Equal(t, "ServiceUnavailableException", out.Faults.E503.Name)
		require.Equal(t, "ThrottlingException", out.Faults.E429.Name)
		require.Equal(t, 2, out.Faults.E429.Attempts)
		require.GreaterOrEqual(t, out.Faults.E429.WaitedMS, 900)
		require.Equal(t, 3, CountTokens(out.Faults.StreamError.Text), out.Faults.StreamError.Text)
		require.Equal(t, "ModelStreamErrorException", out.Faults.StreamError.Name)
		require.Equal(t, "ModelStreamErrorException", out.Faults.StreamError.InvokeName)
		// Go's HTTP/2 server resets a stream its handler aborts
		require.Equal(t, "Error: Stream closed with error code NGHTTP2_INTERNAL_ERROR", out.Faults.StreamError.Cut)
		require.NotEqual(t, CanaryAnswer, out.Faults.Garbage["text"])
		require.Equal(t, 2*CountTokens(out.Faults.Billing.Text), out.Faults.Billing.OutputTokens)
	})
}
