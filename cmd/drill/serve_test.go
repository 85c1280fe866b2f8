package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/exitcode"
)

func TestServeMockLLM(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan exitcode.Code)
	go func() {
		done <- run(ctx, []string{"serve", "mockllm", "--seed", "3"}, &env{stdin: &bytes.Buffer{}, stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	}()
	re := regexp.MustCompile(`openai SDK +OPENAI_BASE_URL=(http://\S+)/v1\n`)
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "canary") }, 10*time.Second, 10*time.Millisecond)
	require.Regexp(t, re, out.String())
	base := re.FindStringSubmatch(out.String())[1]
	// Every surface's SDK gets its base URL and the variable it reads.
	for _, l := range []string{"anthropic SDK  ANTHROPIC_BASE_URL=" + base + "\n", "gemini SDK     GOOGLE_GEMINI_BASE_URL=" + base + "\n",
		"bedrock SDK    AWS_ENDPOINT_URL_BEDROCK_RUNTIME=" + base + "\n", "azure SDK      AZURE_OPENAI_ENDPOINT=" + base + "\n"} {
		require.Contains(t, out.String(), l)
	}
	require.Contains(t, out.String(), base+"/metrics")
	require.Contains(t, out.String(), "(seed 3)")
	res, err := http.Get(base + "/v1/models")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	cancel()
	select {
	case code := <-done:
		require.Equal(t, exitcode.OK, code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	require.Contains(t, out.String(), "mockllm stopped")
}

func TestServeBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("models:\n  - name: x\n    provider: nobody\n"), 0o600))
	code, _, errs := runCLI(t, "serve", "mockllm", "--config", bad)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, bad+":3:5: models[0].provider: want openai, anthropic, gemini or bedrock")

	code, _, errs = runCLI(t, "serve", "toaster")
	require.Equal(t, exitcode.Usage, code)
	require.Regexp(t, `unknown kind "toaster"; kinds are: .*mockllm`, errs)

	code, _, _ = runCLI(t, "serve")
	require.Equal(t, exitcode.Usage, code)
	code, _, errs = runCLI(t, "serve", "mockllm", "--nope")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "flag provided but not defined")
}
