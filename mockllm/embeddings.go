package mockllm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"net/http"
	"strconv"
	"strings"
)

// OpenAI's (and Azure's) embeddings surface.

type embeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	prov, model, e := s.openAISurface(r, KindEmbedding)
	if e != nil {
		writeError(w, prov, *e)
		return
	}
	var req embeddingRequest
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, prov, *e)
		return
	}
	if prov == ProviderAzure {
		if req.Model, e = s.azureModel(model, req.Model, KindEmbedding); e != nil {
			writeError(w, prov, *e)
			return
		}
	}
	m, e := s.lookupModel(ProviderOpenAI, req.Model, KindEmbedding)
	if e != nil {
		writeError(w, prov, *e)
		return
	}
	inputs, e := embeddingInputs(req.Input)
	if e != nil {
		writeError(w, prov, *e)
		return
	}
	dims := m.Dimensions
	if req.Dimensions != nil {
		if *req.Dimensions < 1 || *req.Dimensions > m.Dimensions {
			writeError(w, prov, *badRequest("dimensions", "Invalid 'dimensions': expected a value between 1 and %d, but got %d instead.", m.Dimensions, *req.Dimensions))
			return
		}
		dims = *req.Dimensions
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		writeError(w, prov, *badRequest("encoding_format", "Invalid value: '%s'. Supported values are: 'float' and 'base64'.", req.EncodingFormat))
		return
	}
	c := &call{api: "embeddings", provider: prov, op: "embeddings", model: m, key: apiKey(r), seedText: strings.Join(inputs, "\x00")}
	if prov == ProviderAzure {
		c.apiVersion = queryFirst(r, "api-version")
	}
	for _, in := range inputs {
		c.inputTokens += CountTokens(in)
	}
	if cw := m.ContextWindow; cw > 0 {
		for i, in := range inputs {
			if n := CountTokens(in); n > cw {
				writeError(w, prov, apiError{status: 400, typ: "invalid_request_error", param: fmt.Sprintf("input[%d]", i), code: "context_length_exceeded",
					msg: fmt.Sprintf("This model's maximum context length is %d tokens, however you requested %d tokens in input %d. Please reduce your prompt.", cw, n, i)})
				return
			}
		}
	}
	s.serveEmbeddings(w, r, c, func(b []byte, p *plan) []byte {
		return appendOpenAIEmbeddings(b, s.vectors(), m.Model, inputs, dims, req.EncodingFormat, p)
	})
}

// serveEmbeddings is the pipeline of every embeddings surface: plan,
// wait, then the surface's body, appended to a pooled buffer.
func (s *Server) serveEmbeddings(w http.ResponseWriter, r *http.Request, c *call, body func(b []byte, p *plan) []byte) {
	p := &c.plan
	if !s.begin(w, r, c) {
		return
	}
	defer c.release()
	s.generate(c, p)
	p.itl = nil
	commonHeaders(w.Header(), c, p)
	if err := s.waitAll(r.Context(), p); err != nil {
		p.status, p.outcome = 499, "client gone"
		s.finish(c, p)
		return
	}
	bp := bodyBufs.Get().(*[]byte)
	b := body((*bp)[:0], p)
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	recycleBody(bp, b)
	s.finish(c, p)
}

// appendOpenAIEmbeddings appends OpenAI's embeddings list. It is written
// by hand, as encoding/json would write the documented shape
// (TestEmbeddingsMatchEncodingJSON holds it to that), because rendering
// thousands of floats through reflection was most of an embedding
// request's cost.
func appendOpenAIEmbeddings(b []byte, vp *vectorPool, m Model, inputs []string, dims int, format string, p *plan) []byte {
	b = append(b, `{"object":"list","data":[`...)
	for i, in := range inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = appendInt(b, i)
		b = append(b, `,"embedding":`...)
		var v vectorRef
		vp.resolve(&v, m, in, dims, true)
		if format == "base64" {
			// The little-endian float32s in a pooled scratch buffer
			// rather than a new one.
			sp := bodyBufs.Get().(*[]byte)
			raw := vp.appendBits((*sp)[:0], &v)
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
			recycleBody(sp, raw)
		} else {
			b = vp.appendJSON(b, &v)
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendJSONStringHTML(b, m.Name)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = appendInt(b, p.inTok)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, p.inTok)
	return append(b, "}}"...)
}

// appendFloat32 appends f as encoding/json writes a float32: the
// shortest decimal that reads back as the same float32, in exponent
// form below 1e-6 and from 1e21, the exponent without a leading zero.
// A vector has no NaN or infinity (encoding/json refuses them): it is
// normalised random normals.
func appendFloat32(b []byte, f float32) []byte {
	abs := f
	if abs < 0 {
		abs = -abs
	}
	if abs >= 0x1p-19 && abs < 1 {
		// Every number of an embedding, but the rare tiny one.
		return appendFraction32(b, f)
	}
	if abs == 0 || abs >= 1e-6 && abs < 1e21 {
		return strconv.AppendFloat(b, float64(f), 'f', -1, 32)
	}
	b = strconv.AppendFloat(b, float64(f), 'e', -1, 32)
	if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1] // e-07 as e-7
		b = b[:n-1]
	}
	return b
}

// digitPairs are "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// pow10s are 10^0 to 10^19.
var pow10s = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// scaled returns floor(x * 10^k / 2^s) and the remainder, for s in
// [1, 63] and a quotient under 2^64.
func scaled(x uint64, k, s uint) (q, rem uint64) {
	hi, lo := bits.Mul64(x, pow10s[k])
	return hi<<(64-s) | lo>>s, lo & (1<<s - 1)
}

// appendFraction32 appends f, with 2^-19 <= |f| < 1, as
// strconv.AppendFloat(b, float64(f), 'f', -1, 32) does, in about 60%
// of its time (BenchmarkFloat32s): the shortest decimal that reads back as
// f, the closest to f of those, as 0.ddd. The number is m*2^e, exactly;
// the decimals that read back as f are those strictly inside the
// halfway points to its neighbours, or on them when m is even (a reader
// rounds half to even). Scaled by 10^p, the bounds are 128-bit products
// shifted right, exact; the shortest decimal is the one of the coarsest
// precision p with an integer between them.
// TestAppendFloat32MatchesEncodingJSON and
// TestAppendFraction32MatchesStrconv hold it to strconv on random
// numbers and the edges, TestAppendFraction32Exhaustive
// (MOCKLLM_EXHAUSTIVE=1) on every float32 of the range.
func appendFraction32(b []byte, f float32) []byte {
	fb := math.Float32bits(f)
	if fb>>31 != 0 {
		b = append(b, '-')
	}
	m := uint64(fb&(1<<23-1) | 1<<23)
	e := int(fb>>23&0xff) - 150 // f = m * 2^e, e in [-42, -24]
	// In units of 2^(e-2): f is 4m, its neighbours' halfway points
	// 4m-2 (4m-1 below a power of two, where the gap below is half)
	// and 4m+2.
	s := uint(2 - e)
	v4, lo4, hi4 := 4*m, 4*m-2, 4*m+2
	if m == 1<<23 {
		lo4 = 4*m - 1
	}
	inclusive := m%2 == 0
	// The candidates' bounds at precision p from the floors and ceilings
	// of the scaled bounds (which stay floors and ceilings divided by 10).
	bounds := func(lf, lc, hf, hc uint64) (uint64, uint64) {
		if inclusive {
			return lc, hf
		}
		return lf + 1, hc - 1
	}
	// Start where 10^-p is under the gap, which most often holds the
	// shortest: floor(-e*log10(2)) is (-e*78913)>>18 for these
	// exponents. Where no integer lies between the bounds (the gap
	// below a power of two is smaller), one digit more has ten.
	p := uint((-e*78913)>>18 + 1)
	var lf, lc, hf, hc, cmin, cmax uint64
	for {
		var lr, hr uint64
		lf, lr = scaled(lo4, p, s)
		hf, hr = scaled(hi4, p, s)
		lc, hc = lf, hf
		if lr != 0 {
			lc++
		}
		if hr != 0 {
			hc++
		}
		if cmin, cmax = bounds(lf, lc, hf, hc); cmin <= cmax {
			break
		}
		p++
	}
	for p > 1 {
		nlf, nlc, nhf, nhc := lf/10, (lc+9)/10, hf/10, (hc+9)/10
		nmin, nmax := bounds(nlf, nlc, nhf, nhc)
		if nmin > nmax {
			break
		}
		lf, lc, hf, hc, cmin, cmax = nlf, nlc, nhf, nhc, nmin, nmax
		p--
	}
	// The candidate closest to f; a tie goes to the even one, but below
	// a power of two up, as strconv's Dragonbox rounds them.
	c, rem := scaled(v4, p, s)
	if half := uint64(1) << (s - 1); rem > half || rem == half && (c&1 == 1 || m == 1<<23) {
		c++
	}
	c = min(max(c, cmin), cmax)
	var d [20]byte
	i := len(d)
	for c >= 10 {
		i -= 2
		copy(d[i:], digitPairs[2*(c%100):2*(c%100)+2])
		c /= 100
	}
	if c > 0 {
		i--
		d[i] = byte('0' + c)
	}
	b = append(b, '0', '.')
	for range int(p) - (len(d) - i) {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

// appendJSONTokensHTML appends the tokens, joined, as one JSON string as
// json.Marshal writes it (see appendJSONStringHTML).
func appendJSONTokensHTML(b []byte, toks []string) []byte {
	start := len(b)
	b = appendJSONTokens(b, toks)
	if bytes.ContainsAny(b[start:], "<>&") {
		m, _ := json.Marshal(strings.Join(toks, ""))
		b = append(b[:start], m...)
	}
	return b
}

// appendJSONStringHTML appends s as a JSON string as json.Marshal writes
// it: with <, > and & escaped too (\u003c, \u003e, \u0026), which
// appendJSONString leaves as they are.
func appendJSONStringHTML(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "<>&") {
		return appendJSONString(b, s)
	}
	m, _ := json.Marshal(s) // a string always marshals
	return append(b, m...)
}

func embeddingInputs(raw json.RawMessage) ([]string, *apiError) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return nil, badRequest("input", "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.")
		}
		return []string{s}, nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err == nil && len(ss) > 0 && len(ss) <= 2048 {
		for _, x := range ss {
			if x == "" {
				return nil, badRequest("input", "'$.input' is invalid: empty string in the array.")
			}
		}
		return ss, nil
	}
	// Token arrays: one input, or many.
	var ids []int
	if err := json.Unmarshal(raw, &ids); err == nil && len(ids) > 0 {
		return []string{fmt.Sprint(ids)}, nil
	}
	var idss [][]int
	if err := json.Unmarshal(raw, &idss); err == nil && len(idss) > 0 {
		out := make([]string, len(idss))
		for i, x := range idss {
			out[i] = fmt.Sprint(x)
		}
		return out, nil
	}
	return nil, badRequest("input", "'input' is required: a string, an array of 1 to 2048 strings, or token arrays.")
}
