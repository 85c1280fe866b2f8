package mockllm

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// A model emitting nonsense does so for every prompt: canary prompts and
// JSON mode get it too, which is how services notice garbage.
func TestRandomTokensReachCanaryAndJSONMode(t *testing.T) {
	s, _ := startTest(t, nil)
	addFault(t, s, Fault{Mode: ModeGarbage, Params: FaultParams{Kind: GarbageRandomTokens}})

	_, body := post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "drill canary: are you alive?", ""))
	var resp struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.NotContains(t, resp.Choices[0].Message.Content, CanaryAnswer)

	_, body = post(t, s.URL()+"/v1/chat/completions", chatBody("gpt-4o", "give me json", `"response_format":{"type":"json_object"}`))
	require.NoError(t, json.Unmarshal([]byte(body), &resp))
	require.False(t, json.Valid([]byte(resp.Choices[0].Message.Content)), "JSON mode answer: %s", resp.Choices[0].Message.Content)
}
