package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The Gemini API surface: models/{model}:generateContent,
// :streamGenerateContent (SSE with alt=sse, else a streamed JSON array),
// :countTokens, :embedContent, :batchEmbedContents and the models list, under /v1beta/ and /v1/, with the API
// key in x-goog-api-key or the key query parameter and errors in Google's
// {"error": {"code", "message", "status", "details"}} shape.

// isGemini says whether a request is meant for the Gemini API.
func isGemini(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/v1beta/") || headerValue(r.Header, "X-Goog-Api-Key") != "" {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "/v1/models"); ok {
		return strings.Contains(rest, ":") || hasQuery(r, "key")
	}
	return false
}

type geminiPart struct {
	Text         string `json:"text"`
	FunctionCall *struct {
		Name string         `json:"name"`
		Args map[string]any `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		Name     string         `json:"name"`
		Response map[string]any `json:"response"`
	} `json:"functionResponse"`
}

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

type geminiRequest struct {
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	GenerationConfig  *struct {
		MaxOutputTokens    *int       `json:"maxOutputTokens"`
		CandidateCount     *int       `json:"candidateCount"`
		Temperature        *float64   `json:"temperature"`
		ResponseMimeType   string     `json:"responseMimeType"`
		ResponseSchema     *schemaDoc `json:"responseSchema"`
		ResponseJSONSchema *schemaDoc `json:"responseJsonSchema"`
	} `json:"generationConfig"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name                 string     `json:"name"`
			Parameters           *schemaDoc `json:"parameters"`
			ParametersJSONSchema *schemaDoc `json:"parametersJsonSchema"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	ToolConfig *struct {
		FunctionCallingConfig *struct {
			Mode                 string   `json:"mode"`
			AllowedFunctionNames []string `json:"allowedFunctionNames"`
		} `json:"functionCallingConfig"`
	} `json:"toolConfig"`
}

// maxGeminiCandidates is the API's bound on candidateCount.
const maxGeminiCandidates = 8

// handleGemini serves POST {version}/models/{model}:{method}.
func (s *Server) handleGemini(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	i := strings.LastIndexByte(action, ':')
	if i < 0 {
		writeError(w, ProviderGemini, apiError{status: 404, msg: fmt.Sprintf("Invalid URL (%s %s): want models/{model}:generateContent, :streamGenerateContent, :countTokens, :embedContent or :batchEmbedContents", r.Method, r.URL.Path)})
		return
	}
	name, method := action[:i], action[i+1:]
	switch method {
	case "generateContent", "streamGenerateContent", "countTokens":
	case "embedContent", "batchEmbedContents":
		s.handleGeminiEmbed(w, r, strings.TrimPrefix(name, "models/"), method == "batchEmbedContents")
		return
	default:
		writeError(w, ProviderGemini, apiError{status: 404, msg: fmt.Sprintf("Method %q is not served here: want generateContent, streamGenerateContent, countTokens, embedContent or batchEmbedContents.", method)})
		return
	}
	var req geminiRequest
	if method == "countTokens" {
		var ct struct {
			Contents               []geminiContent `json:"contents"`
			GenerateContentRequest *geminiRequest  `json:"generateContentRequest"`
		}
		if e := s.decodeBody(w, r, &ct); e != nil {
			writeError(w, ProviderGemini, *geminiBadRequest(e))
			return
		}
		req.Contents = ct.Contents
		if ct.GenerateContentRequest != nil {
			req = *ct.GenerateContentRequest
		}
	} else if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, ProviderGemini, *geminiBadRequest(e))
		return
	}
	c, e := s.geminiCall(r, name, &req)
	if e != nil {
		writeError(w, ProviderGemini, *e)
		return
	}
	switch method {
	case "countTokens":
		if s.cfg.RequireAPIKey && c.key == "" {
			writeError(w, ProviderGemini, apiError{status: 403, msg: geminiMessage(403, name)})
			return
		}
		writeJSON(w, map[string]int{"totalTokens": c.inputTokens})
	case "streamGenerateContent":
		c.stream = true
		s.serveChatLike(w, r, c, &geminiRenderer{sse: queryFirst(r, "alt") == "sse"})
	default:
		s.serveChatLike(w, r, c, &geminiRenderer{})
	}
}

// geminiBadRequest words a body decoding error as Gemini does.
func geminiBadRequest(e *apiError) *apiError {
	if e.status == 400 {
		e.msg = "Invalid JSON payload received. " + e.msg
	}
	return e
}

func (s *Server) geminiCall(r *http.Request, name string, req *geminiRequest) (*call, *apiError) {
	name = strings.TrimPrefix(name, "models/")
	m, e := s.lookupModel(ProviderGemini, name, KindChat)
	if e != nil {
		return nil, e
	}
	c := &call{api: "generateContent", provider: ProviderGemini, op: "chat", model: m, key: apiKey(r), n: 1}
	if len(req.Contents) == 0 {
		return nil, geminiInvalid("contents", "* GenerateContentRequest.contents: contents is not specified")
	}
	var all strings.Builder
	tokens := 0
	if si := req.SystemInstruction; si != nil {
		text := geminiText(si.Parts)
		all.WriteString("system: " + text + "\n")
		tokens += CountTokens(text)
	}
	for i, ct := range req.Contents {
		switch ct.Role {
		case "", "user", "model", "function":
		default:
			return nil, geminiInvalid(fmt.Sprintf("contents[%d].role", i), "Please use a valid role: user, model.")
		}
		if len(ct.Parts) == 0 {
			return nil, geminiInvalid(fmt.Sprintf("contents[%d].parts", i), "* GenerateContentRequest.contents[%d].parts: contents.parts must not be empty.", i)
		}
		text := geminiText(ct.Parts)
		c.lastIsToolResult = false
		for _, p := range ct.Parts {
			c.lastIsToolResult = c.lastIsToolResult || p.FunctionResponse != nil
		}
		if ct.Role != "model" && !c.lastIsToolResult {
			c.prompt = text
		}
		all.WriteString(ct.Role + ": " + text + "\n")
		tokens += CountTokens(text)
	}
	if g := req.GenerationConfig; g != nil {
		if n := g.CandidateCount; n != nil {
			if *n < 1 || *n > maxGeminiCandidates {
				return nil, geminiInvalid("generation_config.candidate_count", "* GenerateContentRequest.generation_config.candidate_count: must be between 1 and %d, got %d.", maxGeminiCandidates, *n)
			}
			c.n = *n
		}
		if mx := g.MaxOutputTokens; mx != nil {
			if *mx < 1 || m.MaxOutputTokens > 0 && *mx > m.MaxOutputTokens {
				return nil, geminiInvalid("generation_config.max_output_tokens", "The requested max_output_tokens %d is out of range: the supported range is from 1 to %d.", *mx, m.MaxOutputTokens)
			}
			c.maxTokens = *mx
		}
		if t := g.Temperature; t != nil && (*t < 0 || *t > 2) {
			return nil, geminiInvalid("generation_config.temperature", "* GenerateContentRequest.generation_config.temperature: must be between 0 and 2, got %v.", *t)
		}
		switch g.ResponseMimeType {
		case "", "text/plain":
		case "application/json":
			c.jsonMode = "json_object"
			if sc := g.ResponseJSONSchema.value(); sc != nil {
				c.jsonMode, c.schema = "json_schema", sc
			} else if sc := g.ResponseSchema.value(); sc != nil {
				c.jsonMode, c.schema = "json_schema", lowerSchemaTypes(sc)
			}
		default:
			return nil, geminiInvalid("generation_config.response_mime_type", "* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are `text/plain`, `application/json`, got %q.", g.ResponseMimeType)
		}
	}
	for i, t := range req.Tools {
		for j, fd := range t.FunctionDeclarations {
			if fd.Name == "" {
				return nil, geminiInvalid(fmt.Sprintf("tools[%d].function_declarations[%d].name", i, j), "* GenerateContentRequest.tools[%d].function_declarations[%d].name: Name cannot be empty.", i, j)
			}
			params := fd.ParametersJSONSchema.value()
			if params == nil && fd.Parameters != nil {
				params = lowerSchemaTypes(fd.Parameters.value())
			}
			c.tools = append(c.tools, tool{name: fd.Name, params: params})
			p, pj := fd.Parameters, fd.ParametersJSONSchema
			fd.Parameters, fd.ParametersJSONSchema = nil, nil
			tokens += toolTokens(fd, p, pj)
		}
	}
	c.toolChoice = "auto"
	if len(c.tools) == 0 {
		c.toolChoice = "none"
	}
	if tc := req.ToolConfig; tc != nil && tc.FunctionCallingConfig != nil {
		fc := tc.FunctionCallingConfig
		switch fc.Mode {
		case "", "MODE_UNSPECIFIED", "AUTO", "VALIDATED":
		case "NONE":
			c.toolChoice = "none"
		case "ANY":
			c.toolChoice = "required"
			if len(fc.AllowedFunctionNames) == 1 {
				c.toolChoice, c.toolChoiceName = "function", fc.AllowedFunctionNames[0]
			}
		default:
			return nil, geminiInvalid("tool_config.function_calling_config.mode", "* GenerateContentRequest.tool_config.function_calling_config.mode: want AUTO, ANY, NONE or VALIDATED, got %q.", fc.Mode)
		}
	}
	c.seedText, c.inputTokens = all.String(), tokens
	return c, nil
}

func geminiInvalid(field, format string, args ...any) *apiError {
	return &apiError{status: 400, param: field, msg: fmt.Sprintf(format, args...)}
}

// geminiText is the text of parts, function calls and results included.
func geminiText(parts []geminiPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
		if fc := p.FunctionCall; fc != nil {
			a, _ := json.Marshal(fc.Args)
			b.WriteString(fc.Name + string(a))
		}
		if fr := p.FunctionResponse; fr != nil {
			a, _ := json.Marshal(fr.Response)
			b.WriteString(fr.Name + string(a))
		}
	}
	return b.String()
}

// lowerSchemaTypes copies an OpenAPI-style Gemini schema with its type
// names ("OBJECT", "STRING") in JSON Schema's lower case.
func lowerSchemaTypes(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		switch x := x.(type) {
		case string:
			if k == "type" {
				out[k] = strings.ToLower(x)
				continue
			}
			out[k] = x
		case map[string]any:
			out[k] = lowerSchemaTypes(x)
		case []any:
			l := make([]any, len(x))
			for i, y := range x {
				if m, ok := y.(map[string]any); ok {
					l[i] = lowerSchemaTypes(m)
				} else {
					l[i] = y
				}
			}
			out[k] = l
		default:
			out[k] = x
		}
	}
	return out
}

// googleStatus is the google.rpc.Code name Google APIs give an HTTP status.
func googleStatus(status int) string {
	switch status {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 413:
		return "INVALID_ARGUMENT"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 500:
		return "INTERNAL"
	case 501:
		return "UNIMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	if status >= 500 {
		return "UNKNOWN"
	}
	return "FAILED_PRECONDITION"
}

// geminiMessage is the Gemini API's usual message for an error status.
func geminiMessage(status int, model string) string {
	switch status {
	case 401:
		return "API key not valid. Please pass a valid API key."
	case 403:
		return "Method doesn't allow unregistered callers (callers without established identity). Please use API key or other form of API consumer identity to call this API."
	case 404:
		return fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent.", model)
	case 429:
		return "Resource has been exhausted (e.g. check quota)."
	case 500:
		return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	case 503:
		return "The model is overloaded. Please try again later."
	case 504:
		return "Deadline expired before operation could complete."
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("Error %d", status)
}

// geminiErrorBody is Google's error shape; a 429 carries a RetryInfo
// detail with the delay of retryAfter (the Retry-After header's seconds),
// a 400 naming a field a BadRequest detail.
func geminiErrorBody(e apiError, retryAfter string) []byte {
	type errBody struct {
		Code    int              `json:"code"`
		Message string           `json:"message"`
		Status  string           `json:"status"`
		Details []map[string]any `json:"details,omitempty"`
	}
	b := errBody{Code: e.status, Message: e.msg, Status: googleStatus(e.status)}
	if e.status == 429 {
		b.Details = append(b.Details, map[string]any{"@type": "type.googleapis.com/google.rpc.Help",
			"links": []map[string]string{{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}})
		if sec, err := strconv.Atoi(retryAfter); err == nil && sec > 0 {
			b.Details = append(b.Details, map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": strconv.Itoa(sec) + "s"})
		}
	}
	if e.status == 400 && e.param != "" {
		b.Details = append(b.Details, map[string]any{"@type": "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": []map[string]string{{"field": e.param, "description": e.msg}}})
	}
	out, _ := marshalPlain(map[string]errBody{"error": b})
	return out
}

// geminiModels serves GET {version}/models and models/{model}.
func (s *Server) geminiModels(w http.ResponseWriter, id string) {
	if id != "" {
		m, e := s.lookupModel(ProviderGemini, strings.TrimPrefix(id, "models/"), "")
		if e != nil {
			writeError(w, ProviderGemini, *e)
			return
		}
		writeJSON(w, geminiModel(m.Model))
		return
	}
	models := []map[string]any{}
	for _, m := range s.cfg.Models {
		if m.Provider == ProviderGemini {
			models = append(models, geminiModel(m))
		}
	}
	writeJSON(w, map[string]any{"models": models})
}

func geminiModel(m Model) map[string]any {
	methods := []string{"generateContent", "countTokens"}
	if m.Kind == KindEmbedding {
		methods = []string{"embedContent", "batchEmbedContents"}
	}
	return map[string]any{"name": "models/" + m.Name, "version": "001", "displayName": m.Name,
		"inputTokenLimit": m.ContextWindow, "outputTokenLimit": m.MaxOutputTokens,
		"supportedGenerationMethods": methods,
		"temperature":                1, "maxTemperature": 2, "topP": 0.95, "topK": 64}
}

// geminiRenderer renders GenerateContentResponse objects: whole, as SSE
// events (sse) or as the elements of one streamed JSON array.
type geminiRenderer struct {
	sse     bool
	emitted int // output units streamed so far
	chunks  int // chunks written, for the array's separators
	// tail is what follows a text chunk's candidate up to its
	// candidatesTokenCount, the same in every chunk of a stream.
	tail []byte
}

func (rd *geminiRenderer) contentType() string {
	if rd.sse {
		return "text/event-stream"
	}
	return "application/json; charset=UTF-8"
}

func geminiFinish(finish string) string {
	switch finish {
	case "length":
		return "MAX_TOKENS"
	case "content_filter":
		return "SAFETY"
	}
	return "STOP"
}

type geminiUsage struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount      int `json:"totalTokenCount"`
}

func (rd *geminiRenderer) response(c *call, p *plan, cands []map[string]any, out int) map[string]any {
	return map[string]any{"candidates": cands, "modelVersion": c.model.Name, "responseId": p.idString(""),
		"usageMetadata": geminiUsage{PromptTokenCount: p.inTok, CandidatesTokenCount: out, TotalTokenCount: p.inTok + out}}
}

// functionCallPart is a tool call as a functionCall part; arguments that
// are not an object (bad_tool_args, or cut by maxOutputTokens) cannot be
// one, so they come as {"_raw": text}.
func functionCallPart(tc toolCall) map[string]any {
	return map[string]any{"functionCall": map[string]any{"name": tc.name, "args": toolArgsJSON(tc, true)}}
}

// full renders a GenerateContentResponse, by hand;
// TestGeminiMatchesEncodingJSON holds it to encoding/json's rendering of
// the same response, text and function calls.
func (rd *geminiRenderer) full(b []byte, c *call, p *plan) []byte {
	b = append(b, `{"candidates":[`...)
	for i, ch := range p.choices {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"content":{"parts":[`...)
		if len(ch.toolCalls) == 0 {
			b = append(b, `{"text":`...)
			b = ch.appendText(b, true)
			b = append(b, '}')
		}
		for k, tc := range ch.toolCalls {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"functionCall":{"args":`...)
			b = append(b, toolArgsJSON(tc, true)...)
			b = append(b, `,"name":`...)
			b = appendJSONStringHTML(b, tc.name)
			b = append(b, "}}"...)
		}
		b = append(b, `],"role":"model"},"finishReason":"`...)
		b = append(b, geminiFinish(ch.finish)...)
		b = append(b, `","index":`...)
		b = appendInt(b, i)
		b = append(b, '}')
	}
	b = append(b, ']')
	b = rd.appendEnvelope(b, c, p)
	return rd.appendUsage(b, p, p.outTok)
}

// appendEnvelope appends what follows the candidates up to the usage's
// promptTokenCount.
func (rd *geminiRenderer) appendEnvelope(b []byte, c *call, p *plan) []byte {
	b = append(b, `,"modelVersion":`...)
	b = appendJSONStringHTML(b, c.model.Name)
	b = append(b, `,"responseId":`...)
	b = appendJSONStringHTML(b, p.idString(""))
	b = append(b, `,"usageMetadata":{"promptTokenCount":`...)
	return appendInt(b, p.inTok)
}

// appendUsage ends the usage and the response: candidatesTokenCount,
// left out when 0 (omitempty), and the total.
func (rd *geminiRenderer) appendUsage(b []byte, p *plan, out int) []byte {
	if out != 0 {
		b = append(b, `,"candidatesTokenCount":`...)
		b = appendInt(b, out)
	}
	b = append(b, `,"totalTokenCount":`...)
	b = appendInt(b, p.inTok+out)
	return append(b, "}}"...)
}

// chunk writes one element of the stream.
func (rd *geminiRenderer) chunk(sw *sseWriter, data []byte) {
	if rd.sse {
		sw.event("", data)
		return
	}
	sep := ",\r\n"
	if rd.chunks == 0 {
		sep = "["
	}
	rd.chunks++
	sw.raw(append([]byte(sep), data...))
}

func (rd *geminiRenderer) streamHead(sw *sseWriter, c *call, p *plan) {}

// streamUnit sends a chunk with one token, or a function call whole.
// A text chunk, the hot path, is written by hand into the writer's
// buffer; TestGeminiMatchesEncodingJSON holds it to encoding/json's
// rendering of the same response.
func (rd *geminiRenderer) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	rd.emitted++
	if u.ti < 0 {
		rd.textChunk(sw, c, p, u)
		return
	}
	// Gemini sends a function call whole, in one chunk: it goes out with
	// its last argument token.
	tc := p.choices[u.ci].toolCalls[u.ti]
	if u.k < len(tc.args)-1 {
		return
	}
	cand := map[string]any{"content": map[string]any{"parts": []any{functionCallPart(tc)}, "role": "model"}, "index": u.ci}
	b, _ := json.Marshal(rd.response(c, p, []map[string]any{cand}, rd.emitted))
	rd.chunk(sw, b)
}

// textChunk writes a chunk of one text token into the writer's buffer
// and sends it.
func (rd *geminiRenderer) textChunk(sw *sseWriter, c *call, p *plan, u unit) {
	if rd.tail == nil {
		rd.tail = rd.appendEnvelope(make([]byte, 0, 128), c, p)
	}
	b := sw.buf[:0]
	switch {
	case rd.sse:
		b = append(b, "data: "...)
	case rd.chunks == 0:
		b = append(b, '[')
	default:
		b = append(b, ",\r\n"...)
	}
	rd.chunks++
	b = append(b, `{"candidates":[{"content":{"parts":[{"text":`...)
	b = appendJSONStringHTML(b, u.tok)
	b = append(b, `}],"role":"model"},"index":`...)
	b = appendInt(b, u.ci)
	b = append(b, "}]"...)
	b = append(b, rd.tail...)
	b = rd.appendUsage(b, p, rd.emitted)
	if rd.sse {
		b = append(b, "\n\n"...)
	}
	sw.buf = b
	sw.raw(b)
}

func (rd *geminiRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	cands := make([]map[string]any, len(p.choices))
	for i, ch := range p.choices {
		cands[i] = map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": ""}}, "role": "model"},
			"finishReason": geminiFinish(ch.finish), "index": i}
	}
	b, _ := json.Marshal(rd.response(c, p, cands, p.outTok))
	rd.chunk(sw, b)
	if !rd.sse {
		sw.raw([]byte("]"))
	}
}

func (rd *geminiRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	rd.chunk(sw, geminiErrorBody(apiError{status: 503, msg: geminiMessage(503, c.model.Name)}, ""))
	if !rd.sse {
		sw.raw([]byte("]"))
	}
}

func (rd *geminiRenderer) streamMalformed(sw *sseWriter, c *call, p *plan) {
	rd.chunk(sw, []byte(`{"candidates":[{"content":{"parts":[{"text":"\u00`))
}
