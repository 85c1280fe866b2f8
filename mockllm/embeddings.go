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
	prov, deployment, e := s.openAISurface(r, KindEmbedding)
	if e != nil {
		writeError(w, prov, *e)
		return
	}
	var req embeddingRequest
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, prov, *e)
		return
	}
	if deployment != "" {
		req.Model = deployment
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
		v := embedding(s.cfg.Seed, m.Name, in, m.Dimensions)[:dims]
		if dims != m.Dimensions { // renormalise a shortened vector, as the API does
			var sum float64
			for _, x := range v {
				sum += float64(x) * float64(x)
			}
			for j := range v {
				v[j] /= float32(sqrt(sum))
			}
		}
		var e any = v
		if req.EncodingFormat == "base64" {
			e = base64.StdEncoding.EncodeToString(embeddingBase64(v))
		}
		out.Data = append(out.Data, item{Object: "embedding", Index: i, Embedding: e})
	}
	out.Usage.PromptTokens, out.Usage.TotalTokens = p.inTok, p.inTok
	w.Header().Set("Content-Type", "application/json")
	b, _ := json.Marshal(out)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	s.finish(c, p)
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
