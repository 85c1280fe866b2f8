package mockllm

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The legacy text completions API, POST /v1/completions, that vLLM and
// other self-hosted OpenAI-compatible servers still serve: a prompt in, a
// text_completion out, plain or as SSE chunks ended by [DONE].

type completionRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	MaxTokens     *int            `json:"max_tokens"`
	N             *int            `json:"n"`
	Stream        bool            `json:"stream"`
	Temperature   *float64        `json:"temperature"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// defaultCompletionMaxTokens is the API's max_tokens when none is given.
const defaultCompletionMaxTokens = 16

// maxCompletionN bounds n, as chat completions' n is bounded.
const maxCompletionN = 128

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, ProviderOpenAI, *e)
		return
	}
	c, e := s.completionCall(r, &req)
	if e != nil {
		writeError(w, ProviderOpenAI, *e)
		return
	}
	s.serveChatLike(w, r, c, &completionRenderer{includeUsage: req.StreamOptions != nil && req.StreamOptions.IncludeUsage})
}

func (s *Server) completionCall(r *http.Request, req *completionRequest) (*call, *apiError) {
	m, e := s.lookupModel(ProviderOpenAI, req.Model, KindChat)
	if e != nil {
		return nil, e
	}
	c := &call{api: "completions", provider: ProviderOpenAI, op: "chat", model: m, key: apiKey(r), stream: req.Stream, n: 1,
		toolChoice: "none", maxTokens: defaultCompletionMaxTokens}
	var prompt string
	var prompts []string
	switch {
	case len(req.Prompt) == 0 || string(req.Prompt) == "null":
		return nil, badRequest("prompt", "Missing required parameter: 'prompt'.")
	case json.Unmarshal(req.Prompt, &prompt) == nil:
	case json.Unmarshal(req.Prompt, &prompts) == nil && len(prompts) > 0:
		// A batch of prompts is answered as one prompt, the batch joined.
		prompt = strings.Join(prompts, "\n")
	default:
		return nil, badRequest("prompt", "Invalid type for 'prompt': expected a string or a non-empty array of strings.")
	}
	if mt := req.MaxTokens; mt != nil {
		if *mt < 1 {
			return nil, badRequest("max_tokens", "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got %d instead.", *mt)
		}
		if mx := m.MaxOutputTokens; mx > 0 && *mt > mx {
			return nil, badRequest("max_tokens", "Invalid 'max_tokens': integer above maximum value. Expected a value <= %d, but got %d instead.", mx, *mt)
		}
		c.maxTokens = *mt
	}
	if n := req.N; n != nil {
		if *n < 1 {
			return nil, badRequest("n", "Invalid 'n': integer below minimum value. Expected a value >= 1, but got %d instead.", *n)
		}
		if *n > maxCompletionN {
			return nil, badRequest("n", "Invalid 'n': integer above maximum value. Expected a value <= %d, but got %d instead.", maxCompletionN, *n)
		}
		c.n = *n
	}
	if t := req.Temperature; t != nil && (*t < 0 || *t > 2) {
		return nil, badRequest("temperature", "Invalid 'temperature': expected a value between 0 and 2, but got %v instead.", *t)
	}
	if req.StreamOptions != nil && !req.Stream {
		return nil, badRequest("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
	}
	c.prompt, c.seedText, c.inputTokens = prompt, prompt, CountTokens(prompt)
	return c, nil
}

// completionRenderer renders text_completion objects.
type completionRenderer struct {
	includeUsage bool
}

func (rd *completionRenderer) head(b []byte, c *call, p *plan) []byte {
	b = append(b, `{"id":"`...)
	b = p.appendID(b, "cmpl-")
	b = append(b, `","object":"text_completion","created":`...)
	b = appendInt(b, int(p.created()))
	b = append(b, `,"model":`...)
	b = appendJSONString(b, c.model.Name)
	return append(b, `,"choices":[`...)
}

func appendCompletionUsage(b []byte, p *plan) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = appendInt(b, p.inTok)
	b = append(b, `,"completion_tokens":`...)
	b = appendInt(b, p.outTok)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, totalTokens(p.inTok, p.outTok))
	return append(b, '}')
}

func (rd *completionRenderer) full(b []byte, c *call, p *plan) []byte {
	b = rd.head(b, c, p)
	for i, ch := range p.choices {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = ch.appendText(b, false)
		b = append(b, `,"index":`...)
		b = appendInt(b, i)
		b = append(b, `,"logprobs":null,"finish_reason":`...)
		b = appendJSONString(b, ch.finish)
		b = append(b, '}')
	}
	b = append(b, `],"usage":`...)
	b = appendCompletionUsage(b, p)
	return append(b, '}')
}

func (rd *completionRenderer) chunk(sw *sseWriter, c *call, p *plan, ci int, text, finish string) {
	b := append(sw.buf[:0], "data: "...)
	b = rd.head(b, c, p)
	b = append(b, `{"text":`...)
	b = appendJSONString(b, text)
	b = append(b, `,"index":`...)
	b = appendInt(b, ci)
	b = append(b, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, finish)
	}
	b = append(b, "}]}\n\n"...)
	sw.buf = b
	sw.raw(b)
}

func (rd *completionRenderer) streamHead(sw *sseWriter, c *call, p *plan) {}

func (rd *completionRenderer) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	rd.chunk(sw, c, p, u.ci, u.tok, "")
}

func (rd *completionRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	for ci, ch := range p.choices {
		rd.chunk(sw, c, p, ci, "", ch.finish)
	}
	if rd.includeUsage {
		b := append(sw.buf[:0], "data: "...)
		b = rd.head(b, c, p)
		b = append(b, `],"usage":`...)
		b = appendCompletionUsage(b, p)
		b = append(b, "}\n\n"...)
		sw.buf = b
		sw.raw(b)
	}
	sw.raw([]byte("data: [DONE]\n\n"))
}

func (rd *completionRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	sw.raw(openAIStreamError)
}

func (rd *completionRenderer) streamMalformed(sw *sseWriter, c *call, p *plan) {
	b := append([]byte("data: "), rd.head(nil, c, p)...)
	b = append(b, `{"text":"\u00`...)
	sw.raw(append(b, "\n\n"...))
}
