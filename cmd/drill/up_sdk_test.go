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
}
