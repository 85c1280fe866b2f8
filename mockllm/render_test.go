package mockllm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The chat completion body is rendered by hand for speed. These tests
// hold it to what encoding/json makes of the documented shape, byte for
// byte, over text, n > 1, tool calls, truncation and awkward characters.

func TestChatFullMatchesEncodingJSON(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Answers = []Answer{{Prompt: "awkward", Answer: "Quotes \"q\", back\\slash, <tags> & amps,\nnew line, tab\t, é, 漢字, \u2028 and \x01."}}
	s, err := New(cfg)
	require.NoError(t, err)
	tool := `"tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"},"n":{"type":"integer"}}}}}]`
	for name, extra := range map[string]string{
		"text":      "",
		"n3":        `"n":3`,
		"length":    `"max_tokens":5`,
		"tools":     tool,
		"tools n2":  tool + `,"n":2`,
		"tools cut": tool + `,"max_tokens":3`,
		"json mode": `"response_format":{"type":"json_object"}`,
		"answer":    "",
	} {
		t.Run(name, func(t *testing.T) {
			prompt := "summarise the incident"
			if name == "answer" {
				prompt = "an awkward one"
			}
			r := httptest.NewRequest("POST", "/v1/chat/completions", strings.NewReader(chatBody("gpt-4o-mini", prompt, extra)))
			var req chatRequest
			require.Nil(t, s.decodeBody(httptest.NewRecorder(), r, &req))
			c, e := s.chatCall(r, &req)
			require.Nil(t, e)
			c.answer, c.matched = s.answerFor(c.prompt)
			p := &plan{id: 7, start: time.Unix(1_790_000_000, 0)}
			s.generate(c, p)
			got := chatRenderer{}.full([]byte("kept:"), c, p)
			require.Equal(t, "kept:", string(got[:5]), "full appends to its buffer")
			require.Equal(t, string(referenceChatFull(c, p)), string(got[5:]))
		})
	}
}

// The documented shape, as encoding/json renders it.

type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
		AudioTokens  int `json:"audio_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens          int `json:"reasoning_tokens"`
		AudioTokens              int `json:"audio_tokens"`
		AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
		RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
	} `json:"completion_tokens_details"`
}

func usageOf(p *plan) chatUsage {
	return chatUsage{PromptTokens: p.inTok, CompletionTokens: p.outTok, TotalTokens: p.inTok + p.outTok}
}

type chatToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

func referenceChatFull(c *call, p *plan) []byte {
	type message struct {
		Role        string         `json:"role"`
		Content     *string        `json:"content"`
		Refusal     *string        `json:"refusal"`
		ToolCalls   []chatToolCall `json:"tool_calls,omitempty"`
		Annotations []any          `json:"annotations"`
	}
	type choiceOut struct {
		Index        int     `json:"index"`
		Message      message `json:"message"`
		Logprobs     any     `json:"logprobs"`
		FinishReason string  `json:"finish_reason"`
	}
	out := struct {
		ID                string      `json:"id"`
		Object            string      `json:"object"`
		Created           int64       `json:"created"`
		Model             string      `json:"model"`
		Choices           []choiceOut `json:"choices"`
		Usage             chatUsage   `json:"usage"`
		ServiceTier       string      `json:"service_tier"`
		SystemFingerprint string      `json:"system_fingerprint"`
	}{ID: p.idString("chatcmpl-"), Object: "chat.completion", Created: p.created(), Model: c.model.Name,
		Usage: usageOf(p), ServiceTier: "default", SystemFingerprint: "fp_drill"}
	for i, ch := range p.choices {
		co := choiceOut{Index: i, FinishReason: ch.finish, Message: message{Role: "assistant", Annotations: []any{}}}
		if len(ch.toolCalls) == 0 {
			t := ch.text()
			co.Message.Content = &t
		}
		for _, tc := range ch.toolCalls {
			x := chatToolCall{ID: tc.id, Type: "function"}
			x.Function.Name, x.Function.Arguments = tc.name, tc.arguments()
			co.Message.ToolCalls = append(co.Message.ToolCalls, x)
		}
		out.Choices = append(out.Choices, co)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as providers send it
	_ = enc.Encode(out)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	return b
}

// appendJSONString must escape as encoding/json does (without its HTML
// escaping, as providers send), every byte and awkward rune alike.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	specials := []string{"\x00", "\x1f", " ", "\"", "\\", "/", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80", "漢", "<", "&", "\n", "\t"}
	var cases []string
	for _, sp := range specials {
		for pos := range 17 {
			cases = append(cases, strings.Repeat("a", pos)+sp+strings.Repeat("b", 16-pos))
		}
	}
	for c := range 256 {
		cases = append(cases, "abcdefg"+string([]byte{byte(c)})+"hijklmnopq")
	}
	cases = append(cases, "", "short", strings.Repeat("plain text ", 50))
	for _, s := range cases {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(s))
		require.Equal(t, strings.TrimSuffix(buf.String(), "\n"), string(appendJSONString(nil, s)), "%q", s)
	}
}

// IDs are built with appends, not fmt; they keep the format they had.
func TestIDsKeepTheirFormat(t *testing.T) {
	for _, id := range []uint64{0, 1, 42, 1<<40 + 7, 1<<64 - 1} {
		p := &plan{id: id}
		want := fmt.Sprintf("%s%016x%08x", "chatcmpl-", seedFor(strconv.FormatUint(id, 10)), id)
		require.Equal(t, want, p.idString("chatcmpl-"))
		for _, width := range []int{2, 8, 16} {
			require.Equal(t, fmt.Sprintf("%0*x", width, id), string(appendHex(nil, id, width)))
		}
	}
}

// TestConverseFullMatchesEncodingJSON holds the hand-written Converse
// answer to encoding/json's rendering of the same plan.
func TestConverseFullMatchesEncodingJSON(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Answers = []Answer{{Prompt: "awkward", Answer: "Quotes \"q\", back\\slash, <tags> & amps,\nnew line, tab\t, é, 漢字, \u2028 and \x01."}}
	s, err := New(cfg)
	require.NoError(t, err)
	m, e := s.bedrockModel("amazon.nova-lite-v1:0")
	require.Nil(t, e)
	for _, tc := range []struct{ prompt, extra string }{
		{"summarise the incident", ""},
		{"an awkward one", ""},
		{"summarise the incident", `,"inferenceConfig":{"maxTokens":5}`},
		{"summarise the incident", `,"toolConfig":{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{"q":{"type":"string"}}}}}}]}`},
	} {
		var req converseRequest
		r := httptest.NewRequest("POST", "/model/amazon.nova-lite-v1:0/converse", strings.NewReader(`{"messages":[{"role":"user","content":[{"text":`+string(appendJSONString(nil, tc.prompt))+`}]}]`+tc.extra+`}`))
		require.Nil(t, s.decodeBody(httptest.NewRecorder(), r, &req))
		c, e := converseCall(m, &req)
		require.Nil(t, e)
		c.answer, c.matched = s.answerFor(c.prompt)
		p := &plan{id: 7, start: time.Unix(1_790_000_000, 0), ttft: 123 * time.Millisecond}
		s.generate(c, p)
		got := (&converseRenderer{}).full([]byte("kept:"), c, p)
		require.Equal(t, "kept:", string(got[:5]))
		require.JSONEq(t, string(converseFullJSON(p)), string(got[5:]), tc.prompt+tc.extra)
	}
}

// needsEscape, eight bytes at a time, agrees with the byte-by-byte table
// at every length and position, for every byte value.
func TestNeedsEscapeAgreesWithTheTable(t *testing.T) {
	slow := func(b []byte) bool {
		for _, c := range b {
			if !jsonPlain[c] {
				return true
			}
		}
		return false
	}
	for n := range 20 {
		for pos := range n {
			for c := range 256 {
				b := bytes.Repeat([]byte("a"), n)
				b[pos] = byte(c)
				require.Equal(t, slow(b), needsEscape(b), "byte %#x at %d of %d", c, pos, n)
			}
		}
	}
	require.False(t, needsEscape(nil))
}

func FuzzNeedsEscape(f *testing.F) {
	f.Add([]byte(`plain words, then a "quote"`))
	f.Add([]byte("caf\xc3\xa9 \x1f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := false
		for _, c := range b {
			want = want || !jsonPlain[c]
		}
		if needsEscape(b) != want {
			t.Fatalf("needsEscape(%q) = %v", b, !want)
		}
		// And the tokens render as encoding/json renders each token's
		// text (a token is escaped on its own: a sequence split between
		// two tokens is two invalid ones).
		toks := []string{string(b), string(b)}
		got := appendJSONTokens(nil, toks)
		m, _ := json.Marshal(string(b))
		var back, one string
		require.NoError(t, json.Unmarshal(m, &one))
		if err := json.Unmarshal(got, &back); err != nil || back != one+one {
			t.Fatalf("appendJSONTokens(%q) = %s (%v), want the text of %s", b, got, err, m)
		}
	})
}
