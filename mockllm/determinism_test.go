package mockllm

import (
	"encoding/json"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func readFull(res *http.Response, b []byte) (int, error) { return io.ReadFull(res.Body, b) }

func splitLines(s string) []string { return strings.Split(s, "\n") }

// Same seed, same requests in the same order: same bytes.
func TestDeterminism(t *testing.T) {
	requests := []struct{ path, body string }{
		{"/v1/chat/completions", chatBody("gpt-4o", "tell me about queues", `"n":2`)},
		{"/v1/chat/completions", chatBody("gpt-4o-mini", "stream it", `"stream":true,"stream_options":{"include_usage":true}`)},
		{"/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hello"}]}`},
		{"/v1/responses", `{"model":"gpt-4o","input":"hello","stream":true}`},
		{"/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","dimensions":8}`},
	}
	run := func(seed uint64) []string {
		s, _ := startTest(t, func(c *Config) { c.Seed = seed })
		var out []string
		for _, r := range requests {
			res, body := post(t, s.URL()+r.path, r.body)
			require.Equal(t, 200, res.StatusCode, body)
			out = append(out, res.Header.Get("x-request-id")+res.Header.Get("request-id")+"\n"+body)
		}
		return out
	}
	a, b, c := run(5), run(5), run(6)
	require.Equal(t, a, b)
	for i := range a[:4] {
		require.NotEqual(t, a[i], c[i], "another seed gives other content (%d)", i)
	}
}

func TestTokenizer(t *testing.T) {
	require.Equal(t, []string{"Hello", ",", " world", "!"}, SplitTokens("Hello, world!"))
	require.Equal(t, []string{" intern", "ationa", "l"}, SplitTokens(" international"))
	require.Equal(t, []string{"a", "\n\n", "b", "  ", " c"}, SplitTokens("a\n\nb   c"))
	require.Equal(t, 0, CountTokens(""))
	for _, s := range []string{CanaryAnswer, "héllo wörld ünïcode", `{"a": [1, 2.5, "x"]}`, "\xff\xfe bad"} {
		require.Equal(t, s, strings.Join(SplitTokens(s), ""))
		require.Equal(t, len(SplitTokens(s)), CountTokens(s))
	}
	// Generated text splits back into the tokens it was made of.
	r := newRand(1, "t")
	for _, words := range []*vocab{englishVocab, frenchVocab} {
		toks := genWords(nil, r, words, 500)
		require.Equal(t, toks, SplitTokens(strings.Join(toks, "")))
	}
}

// tokenSamples are texts where nextToken's ASCII path meets the rune
// path: words running into accented letters, spaces before them, runs
// of white space of both kinds, invalid bytes.
var tokenSamples = []string{
	"Hello, world!", " international", "a\n\nb   c", "café au lait", "naïve", " é", "  é", "a \u00a0b",
	"\t\n\u0085x", "\u3000 x", "abcdef\u00e9", "abcdefg", " abcdef", "12345678", "x\xff", " \xff", "\xff\xfe bad",
	"日本語のテキスト", "emoji 😀 here", `{"a": [1, 2.5, "x"]}`, "\v\f\r ", " ", "  ", "a", "\u00a0",
}

// FuzzNextToken: the ASCII path and the rune path split every text
// alike.
func FuzzNextToken(f *testing.F) {
	for _, s := range tokenSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for len(s) > 0 {
			n, want := nextToken(s), nextTokenRunes(s)
			if n != want {
				t.Fatalf("nextToken(%q) = %d, nextTokenRunes %d", s, n, want)
			}
			s = s[n:]
		}
	})
}

// genWords draws its numbers exactly as draws.intN deals them: the
// same words as the plain loop below, which is how the text was made
// before the loop kept its bits in locals, from the same number of
// draws (the generator is in the same state after), into a reused
// buffer as into a fresh one.
func TestGenWordsDrawsAsDraws(t *testing.T) {
	reference := func(r *rand.Rand, v *vocab, n int) []string {
		d := draws{r: r}
		var out []string
		inSentence, sentenceLen := 0, 6+d.intN(10)
		for len(out) < n {
			if inSentence >= sentenceLen {
				out = append(out, ".")
				inSentence, sentenceLen = 0, 6+d.intN(10)
				continue
			}
			i := d.intN(len(v.spaced))
			switch {
			case inSentence > 0:
				out = append(out, v.spaced[i]...)
			case len(out) == 0:
				out = append(out, v.capital[i]...)
			default:
				out = append(out, v.spacedCapital[i]...)
			}
			inSentence++
		}
		return out[:n]
	}
	reused := make([]string, 3, 7)
	for seed := range uint64(40) {
		for _, v := range []*vocab{englishVocab, frenchVocab} {
			for _, n := range []int{0, 1, 2, 7, 16, 100, 333} {
				want, wr := reference(newRand(seed, "w"), v, n), newRand(seed, "w")
				got := genWords(reused, wr, v, n)
				require.Len(t, got, n)
				if n > 0 {
					require.Equal(t, want, got, "seed %d, n %d", seed, n)
				}
				r := newRand(seed, "w")
				_ = reference(r, v, n)
				require.Equal(t, r.Uint64(), wr.Uint64(), "seed %d, n %d: a different number of draws", seed, n)
				reused = got
			}
		}
	}
}

// draws.intN covers [0, n) evenly: over 400,000 draws each value of a
// vocabulary-sized range comes up within 10% of its share (the bias of
// the 16-bit reduction is under 0.4%; the rest is chance, about 2%
// standard error here).
func TestDrawsAreEven(t *testing.T) {
	d := draws{r: newRand(7, "even")}
	n := len(englishVocab.spaced)
	counts := make([]int, n)
	const total = 400_000
	for range total {
		v := d.intN(n)
		require.True(t, v >= 0 && v < n, v)
		counts[v]++
	}
	share := float64(total) / float64(n)
	for v, c := range counts {
		require.InDelta(t, share, float64(c), share*0.10, "value %d of %d", v, n)
	}
	require.Equal(t, 0, (&draws{r: newRand(1)}).intN(1))
}

// seedFor is FNV-1a over the parts, each followed by a NUL, exactly as
// hash/fnv computes it, and a prng seeds as newRand does.
func TestSeedForIsFNV1a(t *testing.T) {
	for _, parts := range [][]string{nil, {""}, {"chat.completions", "gpt-4o", "hello", "0"}, {"héllo", "\x00x"}} {
		h := fnv.New64a()
		for _, p := range parts {
			h.Write([]byte(p))
			h.Write([]byte{0})
		}
		require.Equal(t, h.Sum64(), seedFor(parts...), "%q", parts)
		var g prng
		a, b := newRand(9, parts...), g.seed(9, parts...)
		for range 5 {
			require.Equal(t, a.Uint64(), b.Uint64())
		}
	}
}

// A tool call's ID is its own: the same conversation sent twice gets two
// IDs (an agent's traces join on them), and a server of the same seed
// gives the same IDs to the same sequence of requests.
func TestToolCallIDsAreDistinctAndReproducible(t *testing.T) {
	body := chatBody("gpt-4o", "look it up", `"tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],"tool_choice":"required"`)
	ids := func() []string {
		s, _ := startTest(t, nil)
		var out []string
		for range 3 {
			res, b := post(t, s.URL()+"/v1/chat/completions", body)
			require.Equal(t, 200, res.StatusCode, b)
			var v struct {
				Choices []struct {
					Message struct {
						ToolCalls []struct{ ID string } `json:"tool_calls"`
					}
				}
			}
			require.NoError(t, json.Unmarshal([]byte(b), &v), b)
			require.Len(t, v.Choices, 1, b)
			require.Len(t, v.Choices[0].Message.ToolCalls, 1, b)
			out = append(out, v.Choices[0].Message.ToolCalls[0].ID)
		}
		return out
	}
	first := ids()
	for i, id := range first {
		require.Regexp(t, `^call_[0-9a-f]{16}$`, id)
		require.NotContains(t, first[:i], id, "request %d repeats an earlier tool call ID", i)
	}
	require.Equal(t, first, ids(), "the same seed and requests give the same IDs")
}

// genSentences ends an answer as a model that stopped by itself does:
// on a full stop after a whole word, within n tokens, the words those
// genWords writes from the same draws, tokens as CountTokens counts
// them; under two words' worth of tokens it cuts as genWords does.
func TestGenSentences(t *testing.T) {
	for seed := range uint64(60) {
		for _, v := range []*vocab{englishVocab, frenchVocab} {
			for _, n := range []int{0, 1, 2, 3, 5, 8, 16, 17, 50, 100, 333} {
				words := genWords(nil, newRand(seed, "s"), v, n+2*v.maxTokens+2) // the text that goes on
				wr, sr := newRand(seed, "s"), newRand(seed, "s")
				_ = genWords(nil, wr, v, n)
				got := genSentences(nil, sr, v, n)
				require.Equal(t, wr.Uint64(), sr.Uint64(), "seed %d n %d: the same draws as genWords", seed, n)
				require.LessOrEqual(t, len(got), n, "seed %d n %d", seed, n)
				text := strings.Join(got, "")
				require.Equal(t, len(got), CountTokens(text), "seed %d n %d: tokens as counted", seed, n)
				if n > 0 {
					require.Equal(t, got, SplitTokens(text), "seed %d n %d: tokens as split", seed, n)
				}
				if len(got) > 0 && got[len(got)-1] != "." {
					// Only a text of less than two words is cut.
					require.Equal(t, genWords(nil, newRand(seed, "s"), v, n), got)
					require.NotContains(t, strings.TrimPrefix(text, " "), " ", "seed %d n %d: %q", seed, n, text)
					continue
				}
				if n == 0 {
					continue
				}
				require.True(t, strings.HasSuffix(text, "."), "seed %d n %d: %q", seed, n, text)
				// Every word but the full stop is a whole word of the
				// text genWords writes from the same draws.
				body := strings.Join(got[:len(got)-1], "")
				full := strings.Join(words, "")
				require.True(t, strings.HasPrefix(full, body), "seed %d n %d: %q is not a prefix of %q", seed, n, body, full)
				if rest := full[len(body):]; rest != "" {
					require.True(t, rest[0] == ' ' || rest[0] == '.', "seed %d n %d: %q ends mid-word (%q follows)", seed, n, body, rest[:min(10, len(rest))])
				}
				// At most a word and a full stop short of n.
				require.GreaterOrEqual(t, len(got), n-2*v.maxTokens-1, "seed %d n %d", seed, n)
			}
		}
	}
}

// A plain vocabulary's text renders as appendJSONTokens and
// appendJSONTokensHTML render it: the shortcut of choice.appendText
// changes no byte. English is plain; French, with its accents, is not,
// and a vocabulary with a quote or an ampersand is not either.
func TestPlainVocabularies(t *testing.T) {
	require.True(t, englishVocab.plain)
	require.False(t, frenchVocab.plain)
	require.False(t, newVocab([]string{"fish", "&", "chips"}).plain)
	require.False(t, newVocab([]string{`say"`}).plain)
	for seed := range uint64(30) {
		toks := genSentences(nil, newRand(seed, "p"), englishVocab, 100)
		ch := &choice{tokens: toks, plain: true}
		require.Equal(t, string(appendJSONTokens(nil, toks)), string(ch.appendText(nil, false)))
		require.Equal(t, string(appendJSONTokensHTML(nil, toks)), string(ch.appendText(nil, true)))
		want, _ := json.Marshal(strings.Join(toks, ""))
		require.Equal(t, string(want), string(ch.appendText(nil, true)))
	}
}
