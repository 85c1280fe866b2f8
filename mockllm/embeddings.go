package mockllm

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
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
		c.apiVersion = r.URL.Query().Get("api-version")
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
	s.serveEmbeddings(w, r, c, func(p *plan) any {
		return openAIEmbeddings(s.cfg.Seed, m.Model, inputs, dims, req.EncodingFormat, p)
	})
}

// serveEmbeddings is the pipeline of every embeddings surface: plan,
// wait, then the surface's body.
func (s *Server) serveEmbeddings(w http.ResponseWriter, r *http.Request, c *call, body func(p *plan) any) {
	p := &plan{}
	release := s.begin(w, r, c, p)
	if release == nil {
		return
	}
	defer release()
	s.generate(c, p)
	p.itl = nil
	commonHeaders(w.Header(), c, p)
	if err := s.waitAll(r.Context(), p); err != nil {
		p.status, p.outcome = 499, "client gone"
		s.finish(c, p)
		return
	}
	b, _ := json.Marshal(body(p))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	s.finish(c, p)
}

// embedVector is the embedding of text by model m, shortened to dims
// and renormalised, as the APIs do.
func embedVector(seed uint64, m Model, text string, dims int) []float32 {
	v := embedding(seed, m.Name, text, m.Dimensions)[:dims]
	if dims != m.Dimensions {
		var sum float64
		for _, x := range v {
			sum += float64(x) * float64(x)
		}
		for j := range v {
			v[j] /= float32(sqrt(sum))
		}
	}
	return v
}

func openAIEmbeddings(seed uint64, m Model, inputs []string, dims int, format string, p *plan) any {
	type item struct {
		Object    string `json:"object"`
		Index     int    `json:"index"`
		Embedding any    `json:"embedding"`
	}
	out := struct {
		Object string `json:"object"`
		Data   []item `json:"data"`
		Model  string `json:"model"`
		Usage  struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}{Object: "list", Model: m.Name}
	for i, in := range inputs {
		v := embedVector(seed, m, in, dims)
		var e any = v
		if format == "base64" {
			e = base64.StdEncoding.EncodeToString(embeddingBase64(v))
		}
		out.Data = append(out.Data, item{Object: "embedding", Index: i, Embedding: e})
	}
	out.Usage.PromptTokens, out.Usage.TotalTokens = p.inTok, p.inTok
	return out
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
