package main

import (
	"testing"

	"github.com/drillkit/drill/testbed"
	"github.com/stretchr/testify/require"
)

func TestUpPrintsSDKBaseURLs(t *testing.T) {
	require.Equal(t, []string{
		"  gemini SDK\tGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:9001",
		"  bedrock SDK\tAWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:9001",
	}, sdkLines(testbed.Upstream{URL: "http://127.0.0.1:9001", Surfaces: []string{"bedrock", "gemini"}}))
	require.Contains(t, sdkLines(testbed.Upstream{URL: "http://127.0.0.1:9001"}), "  openai SDK\tOPENAI_BASE_URL=http://127.0.0.1:9001/v1")
	// An Azure endpoint is told with the deployments its config maps.
	require.Equal(t, []string{
		"  azure SDK\tAZURE_OPENAI_ENDPOINT=http://127.0.0.1:9001",
		"  azure deployments\tembed (text-embedding-3-small), prod-gpt4o (gpt-4o)",
	}, sdkLines(testbed.Upstream{URL: "http://127.0.0.1:9001", Surfaces: []string{"azure"},
		Deployments: map[string]string{"prod-gpt4o": "gpt-4o", "embed": "text-embedding-3-small"}}))
	require.NotContains(t, sdkLines(testbed.Upstream{URL: "http://127.0.0.1:9001", Surfaces: []string{"openai"},
		Deployments: map[string]string{"prod-gpt4o": "gpt-4o"}}), "  azure deployments\tprod-gpt4o (gpt-4o)", "no Azure surface, no deployments")
}
