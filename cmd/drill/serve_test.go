package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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
	re := regexp.MustCompile(`OpenAI base URL: +(http://\S+)/v1`)
	require.Eventually(t, func() bool { return re.MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond)
	base := re.FindStringSubmatch(out.String())[1]
	require.Contains(t, out.String(), "Anthropic base URL:  "+base)
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
