package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUpPrintsSDKBaseURLs(t *testing.T) {
	const base = "http://127.0.0.1:9001"
	require.Equal(t, []string{
		"  gemini SDK\tGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9001",
		"  bedrock SDK\tAWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:9001",
	}, sdkLines(base, []string{"bedrock", "gemini"}, nil))
	require.Contains(t, sdkLines(base, nil, nil), "  openai SDK\tOPENAI_BASE_URL=http://127.0.0.1:9001/v1")
	// An Azure endpoint is told with the deployments its config maps.
	require.Equal(t, []string{
		"  azure SDK\tAZURE_OPENAI_ENDPOINT=http://127.0.0.1:9001",
		"  azure deployments\tembed (text-embedding-3-small), prod-gpt4o (gpt-4o)",
	}, sdkLines(base, []string{"azure"}, map[string]string{"prod-gpt4o": "gpt-4o", "embed": "text-embedding-3-small"}))
	require.NotContains(t, sdkLines(base, []string{"openai"}, map[string]string{"prod-gpt4o": "gpt-4o"}),
		"  azure deployments\tprod-gpt4o (gpt-4o)", "no Azure surface, no deployments")
}
