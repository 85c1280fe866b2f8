package mockllm

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The tokenizer. One rule counts every token the server reports and bills:
// a token is an optional single leading space followed by up to maxWordRunes
// letters or digits; or a run of other whitespace; or any other single
// character. English words are mostly one token, as with real BPE
// vocabularies; the rule is simple enough to compute by hand in a test.
const maxWordRunes = 6

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// asciiClass sorts ASCII bytes for nextToken's fast path: the letters
// and digits, and the bytes unicode.IsSpace counts as white space.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		switch {
		case isWordRune(rune(c)):
			t[c] = asciiWord
		case unicode.IsSpace(rune(c)):
			t[c] = asciiSpace
		}
	}
	return t
}()

const (
	asciiOther = iota
	asciiWord
	asciiSpace
)

// nextToken returns the length in bytes of the token at the start of s
// (not empty). Text of ASCII, most of what it reads, is classified a byte
// at a time; a token that reaches any other byte is left to
// nextTokenRunes, which decodes runes. FuzzNextToken holds the two to
// the same answers.
func nextToken(s string) int {
	c := s[0]
	if c >= utf8.RuneSelf {
		return nextTokenRunes(s)
	}
	i := 0
	if c == ' ' && len(s) > 1 {
		switch {
		case s[1] >= utf8.RuneSelf:
			return nextTokenRunes(s)
		case asciiClass[s[1]] == asciiWord:
			i, c = 1, s[1]
		}
	}
	switch asciiClass[c] {
	case asciiWord:
		for k := 0; k < maxWordRunes && i < len(s); k++ {
			b := s[i]
			if b >= utf8.RuneSelf {
				return nextTokenRunes(s)
			}
			if asciiClass[b] != asciiWord {
				break
			}
			i++
		}
		return i
	case asciiSpace:
		for i = 1; i < len(s); i++ {
			b := s[i]
			if b >= utf8.RuneSelf {
				return nextTokenRunes(s)
			}
			if asciiClass[b] != asciiSpace {
				break
			}
			// A final space before a word belongs to the word.
			if b == ' ' && i+1 < len(s) {
				if s[i+1] >= utf8.RuneSelf {
					return nextTokenRunes(s)
				}
				if asciiClass[s[i+1]] == asciiWord {
					break
				}
			}
		}
		return i
	default:
		return 1
	}
}

// nextTokenRunes is nextToken for any text, rune by rune.
func nextTokenRunes(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	i := 0
	if r == ' ' && len(s) > 1 {
		if r2, _ := utf8.DecodeRuneInString(s[1:]); isWordRune(r2) {
			i = 1
			r, n = r2, utf8.RuneLen(r2)
		}
	}
	switch {
	case isWordRune(r):
		for k := 0; k < maxWordRunes && i < len(s); k++ {
			r, n = utf8.DecodeRuneInString(s[i:])
			if !isWordRune(r) {
				break
			}
			i += n
		}
		return i
	case unicode.IsSpace(r):
		i = n
		for i < len(s) {
			r, n = utf8.DecodeRuneInString(s[i:])
			if !unicode.IsSpace(r) {
				break
			}
			// A final space before a word belongs to the word.
			if r == ' ' && i+1 < len(s) {
				if r2, _ := utf8.DecodeRuneInString(s[i+1:]); isWordRune(r2) {
					break
				}
			}
			i += n
		}
		return i
	default:
		return n
	}
}

// CountTokens returns the number of tokens in s.
func CountTokens(s string) int {
	c := 0
	for len(s) > 0 {
		s = s[nextToken(s):]
		c++
	}
	return c
}

// SplitTokens splits s into its tokens; joined they give s back.
func SplitTokens(s string) []string {
	if len(s) == 0 {
		return nil
	}
	out := make([]string, 0, len(s)/4+1) // about four bytes a token
	for len(s) > 0 {
		n := nextToken(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// seedFor derives a generator seed from the server seed and the parts
// that identify what is generated.
func seedFor(parts ...string) uint64 {
	// FNV-1a, 64 bits, over each part and a NUL after it, as hash/fnv
	// computes it, without its allocations.
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint64(p[i])) * prime
		}
		h *= prime // the NUL: h ^ 0 is h
	}
	return h
}

func newRand(seed uint64, parts ...string) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seedFor(parts...)))
}

// prng is a seeded generator held by value in what uses it (a plan, a
// choice being generated), so that seeding one allocates nothing.
type prng struct {
	pcg rand.PCG
	r   rand.Rand
}

// seed seeds g as newRand(seed, parts...) and returns it.
func (g *prng) seed(seed uint64, parts ...string) *rand.Rand {
	g.pcg.Seed(seed, seedFor(parts...))
	g.r = *rand.New(&g.pcg)
	return &g.r
}

var englishWords = strings.Fields(`the a of to and in is it that for on with as this by from at
be are was or an can will not which more each other about many then them these so some her
would make like into time has two look write go see number way could people than first water
been call who oil its now find long down day did get come made may part system data model
value user cloud server query result error status signal metric cache queue stream token
request budget cost alert runbook policy region agent tool answer prompt context window
latency retry backoff limit quota vector index search memory thread worker batch shard
replica leader deploy build test review change plan risk impact owner team page oncall
simple clear strong quick quiet early late small large steady stable likely useful
careful recent common public secure robust fair good new old high low`)

var frenchWords = strings.Fields(`le la les un une des de du et est dans pour avec sur pas plus
par mais nous vous ils elle cette tout faire bien être avoir comme aussi très leur temps
monde jour homme femme chose rien encore petit grand même autre après avant ville pays
réseau serveur modèle réponse données erreur requête alerte coût équipe`)

// vocab is a word list with the forms genWords emits precomputed, so
// that generating an answer allocates little.
type vocab struct {
	spaced, capital, spacedCapital [][]string // tokens of " word", "Word", " Word"
	maxTokens                      int        // the most tokens of any form of a word
	// plain: no token, nor the full stop, has a byte JSON escapes
	// (appendJSONEscaped, or encoding/json with its HTML escapes).
	plain bool
}

func newVocab(words []string) *vocab {
	v := &vocab{}
	for _, w := range words {
		rr, size := utf8.DecodeRuneInString(w)
		c := string(unicode.ToUpper(rr)) + w[size:]
		v.spaced = append(v.spaced, SplitTokens(" "+w))
		v.capital = append(v.capital, SplitTokens(c))
		v.spacedCapital = append(v.spacedCapital, SplitTokens(" "+c))
		v.maxTokens = max(v.maxTokens, len(v.spaced[len(v.spaced)-1]), len(v.capital[len(v.capital)-1]), len(v.spacedCapital[len(v.spacedCapital)-1]))
	}
	all := []byte(".")
	for _, forms := range [][][]string{v.spaced, v.capital, v.spacedCapital} {
		for _, toks := range forms {
			for _, t := range toks {
				all = append(all, t...)
			}
		}
	}
	v.plain = !needsEscape(all) && !bytes.ContainsAny(all, "<>&")
	return v
}

var (
	englishVocab = newVocab(englishWords)
	frenchVocab  = newVocab(frenchWords)
)

// genWords produces text of exactly n tokens from words, in sentences;
// the last word may be cut. Long words are several tokens, exactly as
// CountTokens sees them.
func genWords(out []string, r *rand.Rand, v *vocab, n int) []string {
	buf, _ := writeWords(out, r, v, n)
	return buf[:n]
}

// genSentences is the answer of a model that stopped by itself: the text
// genWords makes, ending with a full stop after a whole word. It has at
// most n tokens: fewer by the part of a word that did not fit, and by
// one more word when the full stop did not fit after it. It makes the
// same draws as genWords. A text of one word (n smaller than two words)
// is cut as genWords cuts it.
func genSentences(out []string, r *rand.Rand, v *vocab, n int) []string {
	buf, k := writeWords(out, r, v, n)
	// A word starts where its first token begins with a space, at a full
	// stop, or at the start of the text; the text ends after token k-1.
	starts := func(i int) bool { return i == 0 || i == k || buf[i] == "." || buf[i][0] == ' ' }
	end := n
	for !starts(end) {
		end--
	}
	if end > 0 && buf[end-1] != "." && end == n {
		// No room for the full stop: leave the last word out.
		for end--; !starts(end); end-- {
		}
	}
	if end == 0 {
		return buf[:n]
	}
	if buf[end-1] != "." {
		buf[end] = "."
		end++
	}
	return buf[:end]
}

// writeWords writes words into a buffer grown from out until it has at
// least n tokens, the last word whole, and returns it and the number of
// tokens written (n up to n+v.maxTokens-1).
//
// It draws its numbers as draws.intN does, four to a 64-bit draw of r,
// one for each sentence length and each word, with the bits kept in
// locals: this loop is the larger part of answering a chat call.
func writeWords(out []string, r *rand.Rand, v *vocab, n int) ([]string, int) {
	// Room for one more word past n: a word is written whole, and the
	// loop runs while fewer than n tokens are written.
	buf := slices.Grow(out[:0], n+v.maxTokens)[:n+v.maxTokens]
	words := uint64(len(v.spaced))
	bits := r.Uint64()
	sentenceLen := 6 + int((bits&0xffff)*10>>16)
	bits >>= 16
	left := 3
	inSentence, k := 0, 0
	for k < n {
		if left == 0 {
			bits, left = r.Uint64(), 4
		}
		x := bits & 0xffff
		bits >>= 16
		left--
		if inSentence >= sentenceLen {
			buf[k] = "."
			k++
			inSentence = 0
			sentenceLen = 6 + int(x*10>>16)
			continue
		}
		i := int(x * words >> 16)
		var w []string
		switch {
		case inSentence > 0:
			w = v.spaced[i]
		case k == 0:
			w = v.capital[i]
		default:
			w = v.spacedCapital[i]
		}
		if len(w) == 1 { // most words: one store, not a slice copy
			buf[k] = w[0]
			k++
		} else {
			k += copy(buf[k:], w)
		}
		inSentence++
	}
	return buf, k
}

// draws deals small random numbers four to a 64-bit draw of r: a word
// of an answer costs a quarter of a draw. intN(n) for n up to 65,536 is
// (16 random bits × n) >> 16, which favours some values by at most n in
// 65,536 (under 0.4% for the vocabularies here): no matter for mock
// prose, and the same for the same seed.
type draws struct {
	r    *rand.Rand
	bits uint64
	left int
}

func (d *draws) intN(n int) int {
	if d.left == 0 {
		d.bits, d.left = d.r.Uint64(), 4
	}
	v := d.bits & 0xffff
	d.bits >>= 16
	d.left--
	return int(v * uint64(n) >> 16)
}

func genRandomTokens(r *rand.Rand, n int) []string {
	const letters = "qxzjkvwbyfhgpmdrtnslcaeiou"
	const punct = "#@%&*~^|<>{}[]"
	out := make([]string, n)
	for i := range out {
		if r.IntN(4) == 0 {
			out[i] = string(punct[r.IntN(len(punct))])
			continue
		}
		var b strings.Builder
		b.WriteByte(' ')
		for range 1 + r.IntN(5) {
			b.WriteByte(letters[r.IntN(len(letters))])
		}
		out[i] = b.String()
	}
	return out
}

func resolveRef(root map[string]any, ref string) map[string]any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = root
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	return m
}
