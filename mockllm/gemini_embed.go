package mockllm

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Gemini's embeddings: models/{model}:embedContent answers
// {"embedding": {"values"}}, :batchEmbedContents (what genai's
// EmbedContent calls) {"embeddings": [{"values"}]}, from the same
// deterministic vectors as OpenAI's embeddings.

// maxGeminiEmbedBatch is batchEmbedContents' bound on requests.
const maxGeminiEmbedBatch = 100

type geminiEmbedRequest struct {
	Model                string         `json:"model"`
	Content              *geminiContent `json:"content"`
	TaskType             string         `json:"taskType"`
	Title                string         `json:"title"`
	OutputDimensionality *int           `json:"outputDimensionality"`
}

// geminiTaskTypes are the embedding task types the API takes.
var geminiTaskTypes = []string{"TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
	"CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY"}

func (s *Server) handleGeminiEmbed(w http.ResponseWriter, r *http.Request, name string, batch bool) {
	var reqs []geminiEmbedRequest
	field := "EmbedContentRequest"
	if batch {
		var b struct {
			Requests []geminiEmbedRequest `json:"requests"`
		}
		if e := s.decodeBody(w, r, &b); e != nil {
			writeError(w, ProviderGemini, *geminiBadRequest(e))
			return
		}
		reqs, field = b.Requests, "BatchEmbedContentsRequest"
		if len(reqs) == 0 || len(reqs) > maxGeminiEmbedBatch {
			writeError(w, ProviderGemini, *geminiInvalid("requests", "* BatchEmbedContentsRequest.requests: want 1 to %d requests, got %d.", maxGeminiEmbedBatch, len(reqs)))
			return
		}
	} else {
		var one geminiEmbedRequest
		if e := s.decodeBody(w, r, &one); e != nil {
			writeError(w, ProviderGemini, *geminiBadRequest(e))
			return
		}
		reqs = []geminiEmbedRequest{one}
	}
	m, e := s.lookupModel(ProviderGemini, name, KindEmbedding)
	if e != nil {
		writeError(w, ProviderGemini, *e)
		return
	}
	texts := make([]string, len(reqs))
	dims := make([]int, len(reqs))
	c := &call{api: "embedContent", provider: ProviderGemini, op: "embeddings", model: m, key: apiKey(r)}
	for i, rq := range reqs {
		at := field
		if batch {
			at = fmt.Sprintf("%s.requests[%d]", field, i)
			if rq.Model != "" && strings.TrimPrefix(rq.Model, "models/") != name {
				writeError(w, ProviderGemini, *geminiInvalid(fmt.Sprintf("requests[%d].model", i), "* %s.model: the model of every request must be the model of the URL, models/%s; got %q.", at, name, rq.Model))
				return
			}
		}
		if rq.Content == nil || len(rq.Content.Parts) == 0 {
			writeError(w, ProviderGemini, *geminiInvalid("content.parts", "* %s.content.parts: contents.parts must not be empty.", at))
			return
		}
		if rq.TaskType != "" && !slices.Contains(geminiTaskTypes, rq.TaskType) {
			writeError(w, ProviderGemini, *geminiInvalid("task_type", "* %s.task_type: want one of %s, got %q.", at, strings.Join(geminiTaskTypes, ", "), rq.TaskType))
			return
		}
		dims[i] = m.Dimensions
		if d := rq.OutputDimensionality; d != nil {
			if *d < 1 || *d > m.Dimensions {
				writeError(w, ProviderGemini, *geminiInvalid("output_dimensionality", "* %s.output_dimensionality: must be between 1 and %d, got %d.", at, m.Dimensions, *d))
				return
			}
			dims[i] = *d
		}
		texts[i] = geminiText(rq.Content.Parts)
		c.inputTokens += CountTokens(texts[i])
	}
	c.seedText = strings.Join(texts, "\x00")
	s.serveEmbeddings(w, r, c, func(b []byte, p *plan) []byte {
		return appendGeminiEmbeddings(b, s.vectors(), m.Model, texts, dims, batch)
	})
}

// appendGeminiEmbeddings appends {"embedding": {"values"}}, or for a
// batch {"embeddings": [{"values"}]}, as encoding/json writes them
// (TestEmbeddingsMatchEncodingJSON).
func appendGeminiEmbeddings(b []byte, vp *vectorPool, m Model, texts []string, dims []int, batch bool) []byte {
	if batch {
		b = append(b, `{"embeddings":[`...)
	} else {
		b = append(b, `{"embedding":`...)
	}
	for i, t := range texts {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"values":`...)
		var v vectorRef
		vp.resolve(&v, m, t, dims[i], false)
		b = vp.appendJSON(b, &v)
		b = append(b, '}')
	}
	if batch {
		b = append(b, ']')
	}
	return append(b, '}')
}
