package gateway

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// decodeChat reads a client's chat request: the raw fields to forward and
// the typed view.
func decodeChat(r *http.Request) (*chatRequest, map[string]json.RawMessage, *apiError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "invalid_request_error", "reading the body: %v", err)
	}
	if len(body) > maxBody {
		return nil, nil, errorf(http.StatusRequestEntityTooLarge, "invalid_request_error", "body larger than %d bytes", maxBody)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "invalid_request_error", "body is not a JSON object: %v", err)
	}
	var req chatRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, nil, errorf(http.StatusBadRequest, "invalid_request_error", "%v", err)
	}
	if err := validateRequest(&req); err != nil {
		e := errorf(http.StatusBadRequest, "invalid_request_error", "%v", err)
		e.Param = strings.SplitN(err.Error(), ":", 2)[0]
		return nil, nil, e
	}
	return &req, raw, nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	defer s.countRequest("chat", rec)
	req, raw, aerr := decodeChat(r)
	if aerr != nil {
		writeAPIError(rec, aerr)
		return
	}
	if req.Stream {
		s.streamChat(rec, r, req, raw)
		return
	}
	c, aerr := s.complete(r.Context(), req, raw)
	if aerr != nil {
		writeAPIError(rec, aerr)
		return
	}
	rec.Header().Set("Content-Type", "application/json")
	rec.Header().Set("X-Drill-Upstream", c.up.Name)
	rec.WriteHeader(http.StatusOK)
	_, _ = rec.Write(c.body)
}

// streamChat passes an OpenAI upstream's SSE stream through event by event
// (a Gemini or Bedrock stream translated to it), reading along for usage
// (cost) and content (validation). Retries and failover happen only before
// the first byte reaches the client. An Anthropic upstream is called
// without streaming and its answer sent as one chunk, so a streaming
// client keeps working after a failover.
func (s *Server) streamChat(rec *statusRecorder, r *http.Request, req *chatRequest, raw map[string]json.RawMessage) {
	if aerr := s.checkBudget(); aerr != nil {
		writeAPIError(rec, aerr)
		return
	}
	res, aerr := s.call(r.Context(), req, raw, true)
	if aerr != nil {
		writeAPIError(rec, aerr)
		return
	}
	defer res.cancel()
	h := rec.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Drill-Upstream", res.up.Name)
	if !streams(res.up.Kind) {
		s.synthesizeStream(rec, req, res)
		return
	}
	rec.WriteHeader(http.StatusOK)
	rec.Flush()

	var sr streamResult
	switch res.up.Kind {
	case KindGemini:
		sr = translateGemini(res.resp.Body, &chunkWriter{rec: rec, model: res.up.Model, created: s.cfg.Now().Unix()})
	case KindBedrock:
		id := "chatcmpl-" + res.resp.Header.Get("X-Amzn-Requestid")
		sr = translateConverse(res.resp.Body, &chunkWriter{rec: rec, id: id, model: res.up.Model, created: s.cfg.Now().Unix()})
	default:
		sr = passOpenAIStream(res.resp.Body, rec)
	}
	content, u, done, readErr, clientGone := sr.content, sr.usage, sr.done, sr.readErr, sr.clientGone
	res.resp.Body.Close()
	rec.Flush()
	errType := ""
	switch {
	case clientGone:
		errType, rec.label = "client_closed", "499"
	case !done || readErr != nil:
		// The client already has a 200: all the gateway can do is count the
		// broken stream so alerting sees it.
		errType = "stream_cut"
		rec.label = "stream_cut"
		s.cfg.Logger.Warn("gateway: stream ended without [DONE]", "upstream", res.up.Name, "err", readErr)
	}
	s.m.opDuration.WithLabelValues(res.up.Model, res.up.Kind, errType).Observe(time.Since(res.started).Seconds())
	if u != nil {
		s.account(res.up, u.PromptTokens, u.CompletionTokens)
	}
	if done {
		_ = s.validate(req, content, false)
	}
}

// passOpenAIStream copies an OpenAI upstream's SSE stream to the client
// event by event, reading along for usage and content.
func passOpenAIStream(body io.Reader, rec *statusRecorder) streamResult {
	var content strings.Builder
	var u *usage
	done := false
	br := bufio.NewReaderSize(body, 32<<10)
	var readErr error
	clientGone := false
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if _, werr := rec.Write(line); werr != nil {
				clientGone = true
				break
			}
			if t := bytes.TrimSpace(line); len(t) == 0 {
				rec.Flush() // end of one event
			} else if data, ok := bytes.CutPrefix(t, []byte("data:")); ok {
				data = bytes.TrimSpace(data)
				if string(data) == "[DONE]" {
					done = true
				} else {
					var chunk struct {
						Choices []struct {
							Delta struct {
								Content string `json:"content"`
							} `json:"delta"`
						} `json:"choices"`
						Usage *usage `json:"usage"`
					}
					if json.Unmarshal(data, &chunk) == nil {
						for _, c := range chunk.Choices {
							content.WriteString(c.Delta.Content)
						}
						if chunk.Usage != nil {
							u = chunk.Usage
						}
					}
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
	}
	return streamResult{content: content.String(), usage: u, done: done, readErr: readErr, clientGone: clientGone}
}

// synthesizeStream answers a streaming client from a non-streaming
// (Anthropic, Gemini or Bedrock) answer: one content chunk, a finish chunk
// with usage, [DONE].
func (s *Server) synthesizeStream(rec *statusRecorder, req *chatRequest, res *upstreamCall) {
	c, err := s.parseAnswer(res)
	if err != nil {
		rec.Header().Del("Content-Type")
		writeAPIError(rec, s.malformed(res.up, err))
		return
	}
	text := contentText(c.Choices[0].Message.Content)
	s.account(res.up, c.Usage.PromptTokens, c.Usage.CompletionTokens)
	if aerr := s.validate(req, text, len(c.Choices[0].Message.ToolCalls) > 0); aerr != nil {
		rec.Header().Del("Content-Type")
		writeAPIError(rec, aerr)
		return
	}
	rec.WriteHeader(http.StatusOK)
	event := func(v any) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(rec, "data: %s\n\n", b)
		rec.Flush()
	}
	base := map[string]any{"id": c.ID, "object": "chat.completion.chunk", "created": c.Created, "model": c.Model}
	with := func(kv map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range kv {
			m[k] = v
		}
		return m
	}
	event(with(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"role": "assistant", "content": text}, "finish_reason": nil}}}))
	event(with(map[string]any{"choices": []any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": c.Choices[0].FinishReason}}}))
	event(with(map[string]any{"choices": []any{}, "usage": c.Usage}))
	fmt.Fprint(rec, "data: [DONE]\n\n")
	rec.Flush()
}
