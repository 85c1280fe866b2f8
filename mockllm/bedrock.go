package mockllm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// The Amazon Bedrock Runtime surface: POST /model/{modelId}/converse and
// /converse-stream (Bedrock's own messages, tools through toolConfig),
// /invoke and /invoke-with-response-stream for Anthropic-on-Bedrock
// bodies. Streams are the binary application/vnd.amazon.eventstream
// framing, encoded by the AWS SDK's own encoder (prelude and message
// CRCs included). Requests are SigV4-signed with any key: the
// Authorization header is parsed, never verified, and a malformed one is
// refused as AWS refuses it; a Bedrock API key (Authorization: Bearer)
// works too. Errors are what the SDK reads: the exception's name in
// x-amzn-ErrorType and {"message"} in the body.

const bedrockStreamType = "application/vnd.amazon.eventstream"

// bedrockProfilePrefixes are the geographies of cross-region inference
// profiles: "us.anthropic.claude-..." runs "anthropic.claude-...".
var bedrockProfilePrefixes = []string{"us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.", "ca."}

// handleBedrock serves POST /model/{modelId}/{op}.
func (s *Server) handleBedrock(w http.ResponseWriter, r *http.Request) {
	op := r.PathValue("op")
	switch op {
	case "converse", "converse-stream", "invoke", "invoke-with-response-stream", "count-tokens":
	default:
		writeError(w, ProviderBedrock, apiError{status: 404, typ: "UnknownOperationException",
			msg: fmt.Sprintf("Unknown operation %q: want converse, converse-stream, invoke, invoke-with-response-stream or count-tokens.", op)})
		return
	}
	key, e := bedrockKey(r)
	if e != nil {
		writeError(w, ProviderBedrock, *e)
		return
	}
	m, e := s.bedrockModel(r.PathValue("modelId"))
	if e != nil {
		writeError(w, ProviderBedrock, *e)
		return
	}
	if op == "count-tokens" {
		s.bedrockCountTokens(w, r, m, key)
		return
	}
	var c *call
	var rd renderer
	if op == "converse" || op == "converse-stream" {
		var req converseRequest
		if e := s.decodeBody(w, r, &req); e != nil {
			writeError(w, ProviderBedrock, *bedrockBadBody(e))
			return
		}
		if c, e = converseCall(m, &req); e != nil {
			writeError(w, ProviderBedrock, *e)
			return
		}
		rd = &converseRenderer{}
	} else {
		// The body is the model's own, whatever type the caller names it
		// (the SDK's default is application/octet-stream).
		var req bedrockAnthropicRequest
		if e := s.decodeJSON(w, r, &req, false); e != nil {
			writeError(w, ProviderBedrock, *bedrockBadBody(e))
			return
		}
		if c, e = invokeCall(m, &req); e != nil {
			writeError(w, ProviderBedrock, *e)
			return
		}
		if e = invokeGuardrail(c, r.Header, &req); e != nil {
			writeError(w, ProviderBedrock, *e)
			return
		}
		rd = &invokeRenderer{}
	}
	c.provider, c.key, c.stream = ProviderBedrock, key, strings.HasSuffix(op, "-stream")
	s.serveChatLike(w, r, c, rd)
}

// bedrockKey reads the caller's access key ID from a SigV4 Authorization
// header (or a Bedrock API key from a Bearer one), without verifying the
// signature; "" when the request has none. A header AWS would not accept
// gets the error AWS gives, a 403.
func bedrockKey(r *http.Request) (string, *apiError) {
	a := r.Header.Get("Authorization")
	if a == "" {
		return "", nil
	}
	if tok, ok := strings.CutPrefix(a, "Bearer "); ok && strings.TrimSpace(tok) != "" {
		return strings.TrimSpace(tok), nil
	}
	incomplete := func(msg string) *apiError {
		return &apiError{status: 403, typ: "IncompleteSignatureException", msg: msg + " Authorization=" + a}
	}
	rest, ok := strings.CutPrefix(a, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", incomplete("Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	params := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		params[k] = v
	}
	var missing []string
	for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[p] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", p))
		}
	}
	if r.Header.Get("X-Amz-Date") == "" && r.Header.Get("Date") == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return "", incomplete(strings.Join(missing, " "))
	}
	scope := strings.Split(params["Credential"], "/")
	if len(scope) != 5 || scope[0] == "" {
		return "", incomplete(fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", params["Credential"]))
	}
	if scope[4] != "aws4_request" {
		return "", incomplete(fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'. ", scope[4]))
	}
	if scope[3] != "bedrock" {
		return "", incomplete(fmt.Sprintf("Credential should be scoped to correct service: 'bedrock', not '%s'. ", scope[3]))
	}
	if sig := params["Signature"]; len(sig) != 64 || strings.Trim(sig, hexDigits) != "" {
		return "", &apiError{status: 403, typ: "InvalidSignatureException",
			msg: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return scope[0], nil
}

// bedrockModel finds the model of a model ID, an inference profile ID or
// an ARN ending in one.
func (s *Server) bedrockModel(id string) (*modelState, *apiError) {
	if strings.HasPrefix(id, "arn:") {
		id = id[strings.LastIndexByte(id, '/')+1:]
	}
	find := func(name string) *modelState {
		if m := s.models[name]; m != nil && m.Provider == ProviderBedrock && m.Kind == KindChat {
			return m
		}
		return nil
	}
	if m := find(id); m != nil {
		return m, nil
	}
	for _, p := range bedrockProfilePrefixes {
		if rest, ok := strings.CutPrefix(id, p); ok {
			if m := find(rest); m != nil {
				return m, nil
			}
		}
	}
	var names []string
	for _, m := range s.cfg.Models {
		if m.Provider == ProviderBedrock && (m.Kind == "" || m.Kind == KindChat) {
			names = append(names, m.Name)
		}
	}
	return nil, &apiError{status: 400, typ: "ValidationException",
		msg: fmt.Sprintf("The provided model identifier is invalid. Models served here: %s.", strings.Join(names, ", "))}
}

// bedrockBadBody words a body decoding error as Bedrock does.
func bedrockBadBody(e *apiError) *apiError {
	if e.status == 400 {
		e.typ = "ValidationException"
		if strings.HasPrefix(e.msg, "We could not parse") {
			e.msg = "Malformed input request: " + e.msg + ", please reformat your input and try again."
		}
	}
	return e
}

// bedrockInvalid is Bedrock's validation error for one field, in the
// words of AWS's request validation.
func bedrockInvalid(field string, value any, constraint string) *apiError {
	return &apiError{status: 400, typ: "ValidationException", param: field,
		msg: fmt.Sprintf("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: %s", value, field, constraint)}
}

// bedrockException is the exception Bedrock answers an HTTP status with,
// and the status it answers it at: statuses Bedrock never sends (401,
// 502, 504, 529) come as the exception that means the same.
func bedrockException(status int) (int, string) {
	switch status {
	case 400:
		return 400, "ValidationException"
	case 401:
		return 403, "UnrecognizedClientException"
	case 403:
		return 403, "AccessDeniedException"
	case 404:
		return 404, "ResourceNotFoundException"
	case 408, 504:
		return 408, "ModelTimeoutException"
	case 409:
		return 409, "ConflictException"
	case 424:
		return 424, "ModelErrorException"
	case 429:
		return 429, "ThrottlingException"
	case 502:
		return 500, "InternalServerException"
	case 503, 529:
		return 503, "ServiceUnavailableException"
	}
	if status >= 500 {
		return status, "InternalServerException"
	}
	return status, "ValidationException"
}

// bedrockMessage is Bedrock's usual message for an exception.
func bedrockMessage(typ string) string {
	switch typ {
	case "UnrecognizedClientException":
		return "The security token included in the request is invalid."
	case "AccessDeniedException":
		return "You don't have access to the model with the specified model ID."
	case "ResourceNotFoundException":
		return "Could not resolve the foundation model from the provided model identifier."
	case "ModelTimeoutException":
		return "Model has timed out in processing the request. Try your request again."
	case "ConflictException":
		return "The request could not be completed due to a conflict. Try your request again."
	case "ModelErrorException":
		return "The model returned an error while processing the request. Try your request again."
	case "ThrottlingException":
		return "Too many requests, please wait before trying again."
	case "ServiceUnavailableException":
		return "Bedrock is unable to process your request."
	case "InternalServerException":
		return "The system encountered an unexpected error during processing. Try your request again."
	}
	return "The request was invalid. Check the request and try again."
}

// bedrockError renders e in Bedrock's terms: its exception (e's type
// when it names one, else the status's), the status that exception comes
// at, the x-amzn-ErrorType header the SDK reads the type from, and the
// {"message"} body.
func bedrockError(e apiError, h http.Header) (apiError, []byte) {
	typ := e.typ
	if !strings.HasSuffix(typ, "Exception") {
		e.status, typ = bedrockException(e.status)
	}
	h.Set("X-Amzn-Errortype", typ+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	b, _ := marshalPlain(map[string]string{"message": e.msg})
	return e, b
}

// Converse.

type converseBlock struct {
	Text    *string `json:"text"`
	ToolUse *struct {
		ToolUseID string          `json:"toolUseId"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
	} `json:"toolUse"`
	ToolResult *struct {
		ToolUseID string          `json:"toolUseId"`
		Content   json.RawMessage `json:"content"`
		Status    string          `json:"status"`
	} `json:"toolResult"`
}

type converseRequest struct {
	Messages []struct {
		Role    string          `json:"role"`
		Content []converseBlock `json:"content"`
	} `json:"messages"`
	System          []converseBlock `json:"system"`
	InferenceConfig *struct {
		MaxTokens     *int     `json:"maxTokens"`
		Temperature   *float64 `json:"temperature"`
		TopP          *float64 `json:"topP"`
		StopSequences []string `json:"stopSequences"`
	} `json:"inferenceConfig"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec *struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				InputSchema struct {
					JSON *schemaDoc `json:"json"`
				} `json:"inputSchema"`
			} `json:"toolSpec"`
		} `json:"tools"`
		ToolChoice *struct {
			Auto *struct{} `json:"auto"`
			Any  *struct{} `json:"any"`
			Tool *struct {
				Name string `json:"name"`
			} `json:"tool"`
		} `json:"toolChoice"`
	} `json:"toolConfig"`
	GuardrailConfig *struct {
		GuardrailIdentifier  string `json:"guardrailIdentifier"`
		GuardrailVersion     string `json:"guardrailVersion"`
		Trace                string `json:"trace"`
		StreamProcessingMode string `json:"streamProcessingMode"`
	} `json:"guardrailConfig"`
}

// Converse's constraints on guardrailConfig, as its API reference states
// them.
var (
	guardrailIdentifierPattern = regexp.MustCompile(`^(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))$`)
	guardrailVersionPattern    = regexp.MustCompile(`^(([1-9][0-9]{0,7})|(DRAFT))$`)
)

const maxGuardrailIdentifier = 2048

// maxStopSequences is Converse's bound on inferenceConfig.stopSequences.
const maxStopSequences = 4

// blockText is the text of content blocks, tool uses and results included.
func blockText(blocks []converseBlock) (text string, toolResult bool) {
	var b strings.Builder
	for _, bl := range blocks {
		if bl.Text != nil {
			b.WriteString(*bl.Text)
		}
		if tu := bl.ToolUse; tu != nil {
			b.WriteString(tu.Name)
			b.Write(tu.Input)
		}
		if tr := bl.ToolResult; tr != nil {
			b.Write(tr.Content)
			toolResult = true
		}
	}
	return b.String(), toolResult
}

func converseCall(m *modelState, req *converseRequest) (*call, *apiError) {
	c := &call{api: "converse", provider: ProviderBedrock, op: "chat", model: m, n: 1}
	if len(req.Messages) == 0 {
		return nil, bedrockInvalid("messages", "[]", "Member must have length greater than or equal to 1")
	}
	var all strings.Builder
	tokens := 0
	if len(req.System) > 0 {
		sys, _ := blockText(req.System)
		all.WriteString("system: " + sys + "\n")
		tokens += CountTokens(sys)
	}
	for i, msg := range req.Messages {
		if msg.Role != "user" && msg.Role != "assistant" {
			return nil, bedrockInvalid(fmt.Sprintf("messages.%d.member.role", i+1), msg.Role, "Member must satisfy enum value set: [user, assistant]")
		}
		if i == 0 && msg.Role != "user" {
			return nil, &apiError{status: 400, typ: "ValidationException", param: "messages",
				msg: "A conversation must start with a user message. Try again with a conversation that starts with a user message."}
		}
		if len(msg.Content) == 0 {
			return nil, &apiError{status: 400, typ: "ValidationException", param: "messages",
				msg: fmt.Sprintf("The content field in the Message object at messages.%d is empty. Add a ContentBlock object to the content field and try again.", i)}
		}
		text, isResult := blockText(msg.Content)
		c.lastIsToolResult = msg.Role == "user" && isResult
		if msg.Role == "user" && !isResult {
			c.prompt = text
		}
		all.WriteString(msg.Role + ": " + text + "\n")
		tokens += 3 + CountTokens(text)
	}
	if ic := req.InferenceConfig; ic != nil {
		if mt := ic.MaxTokens; mt != nil {
			if *mt < 1 {
				return nil, bedrockInvalid("inferenceConfig.maxTokens", *mt, "Member must have value greater than or equal to 1")
			}
			if mx := m.MaxOutputTokens; mx > 0 && *mt > mx {
				return nil, &apiError{status: 400, typ: "ValidationException", param: "inferenceConfig.maxTokens",
					msg: fmt.Sprintf("The maximum tokens you requested exceeds the model limit of %d. Try again with a maximum tokens value that is lower than %d.", mx, mx)}
			}
			c.maxTokens = *mt
		}
		if t := ic.Temperature; t != nil && (*t < 0 || *t > 1) {
			return nil, bedrockInvalid("inferenceConfig.temperature", *t, "Member must have value less than or equal to 1")
		}
		if t := ic.TopP; t != nil && (*t < 0 || *t > 1) {
			return nil, bedrockInvalid("inferenceConfig.topP", *t, "Member must have value less than or equal to 1")
		}
		if n := len(ic.StopSequences); n > maxStopSequences {
			return nil, bedrockInvalid("inferenceConfig.stopSequences", n, fmt.Sprintf("Member must have length less than or equal to %d", maxStopSequences))
		}
	}
	c.toolChoice = "none"
	if tc := req.ToolConfig; tc != nil {
		if len(tc.Tools) == 0 {
			return nil, bedrockInvalid("toolConfig.tools", "[]", "Member must have length greater than or equal to 1")
		}
		for i, t := range tc.Tools {
			if t.ToolSpec == nil || t.ToolSpec.Name == "" {
				return nil, bedrockInvalid(fmt.Sprintf("toolConfig.tools.%d.member.toolSpec.name", i+1), "null", "Member must not be null")
			}
			c.tools = append(c.tools, tool{name: t.ToolSpec.Name, params: t.ToolSpec.InputSchema.JSON.value()})
			spec := *t.ToolSpec
			spec.InputSchema.JSON = nil
			tokens += toolTokens(spec, t.ToolSpec.InputSchema.JSON)
		}
		c.toolChoice = "auto"
		if ch := tc.ToolChoice; ch != nil {
			switch {
			case ch.Any != nil:
				c.toolChoice = "required"
			case ch.Tool != nil:
				c.toolChoice, c.toolChoiceName = "function", ch.Tool.Name
				found := false
				for _, t := range c.tools {
					found = found || t.name == ch.Tool.Name
				}
				if !found {
					return nil, &apiError{status: 400, typ: "ValidationException", param: "toolConfig.toolChoice.tool.name",
						msg: fmt.Sprintf("The tool %q named in toolChoice is not in toolConfig.tools.", ch.Tool.Name)}
				}
			}
		}
	}
	if g := req.GuardrailConfig; g != nil {
		if e := guardrailInvalid("guardrailConfig.", g.GuardrailIdentifier, g.GuardrailVersion); e != nil {
			return nil, e
		}
		switch g.Trace {
		case "", "disabled", "enabled", "enabled_full":
		default:
			return nil, bedrockInvalid("guardrailConfig.trace", g.Trace, "Member must satisfy enum value set: [enabled, disabled, enabled_full]")
		}
		switch g.StreamProcessingMode {
		case "", "sync", "async":
		default:
			return nil, bedrockInvalid("guardrailConfig.streamProcessingMode", g.StreamProcessingMode, "Member must satisfy enum value set: [sync, async]")
		}
		c.guardrail = guardrailID(g.GuardrailIdentifier)
		c.guardrailTrace = g.Trace == "enabled" || g.Trace == "enabled_full"
	}
	c.seedText, c.inputTokens = all.String(), tokens
	return c, nil
}

// guardrailInvalid checks a guardrail's identifier and version against
// Bedrock's constraints, naming the field under prefix (Converse's
// "guardrailConfig.", InvokeModel's headers none); nil when both hold.
func guardrailInvalid(prefix, id, version string) *apiError {
	switch {
	case len(id) > maxGuardrailIdentifier:
		return bedrockInvalid(prefix+"guardrailIdentifier", id, fmt.Sprintf("Member must have length less than or equal to %d", maxGuardrailIdentifier))
	case !guardrailIdentifierPattern.MatchString(id):
		return bedrockInvalid(prefix+"guardrailIdentifier", id, "Member must satisfy regular expression pattern: "+trimAnchors(guardrailIdentifierPattern))
	case !guardrailVersionPattern.MatchString(version):
		return bedrockInvalid(prefix+"guardrailVersion", version, "Member must satisfy regular expression pattern: "+trimAnchors(guardrailVersionPattern))
	}
	return nil
}

// trimAnchors is a pattern as AWS states it, without the ^ and $ that
// make Go's match the whole string.
func trimAnchors(re *regexp.Regexp) string {
	return strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
}

// converseStop is Converse's stopReason for a finish reason.
func converseStop(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls":
		return "tool_use"
	case "content_filter":
		return "content_filtered"
	}
	return "end_turn"
}

type bedrockUsage struct {
	InputTokens  int `json:"inputTokens"`
	OutputTokens int `json:"outputTokens"`
	TotalTokens  int `json:"totalTokens"`
}

func bedrockUsageOf(p *plan) bedrockUsage {
	return bedrockUsage{InputTokens: p.inTok, OutputTokens: p.outTok, TotalTokens: totalTokens(p.inTok, p.outTok)}
}

// latencyMS is the planned generation time of a request, queueing
// included, in the milliseconds Bedrock reports.
func (p *plan) latencyMS() int64 {
	d := p.queueing + p.ttft
	for _, x := range p.itl {
		d += x
	}
	return int64(d / time.Millisecond)
}

// toolArgsJSON is a tool call's arguments as the JSON value Anthropic,
// Gemini and Bedrock carry in place of OpenAI's string: the text itself
// when it is valid JSON (an object, when object is set), as generated
// (written as encoding/json writes it), else {"_raw": text}: bad_tool_args,
// or a call cut by its length, cannot be one.
func toolArgsJSON(tc toolCall, object bool) json.RawMessage {
	a := tc.arguments()
	if json.Valid([]byte(a)) && (!object || a[0] == '{') {
		return json.RawMessage(a)
	}
	raw, _ := json.Marshal(map[string]string{"_raw": a}) // a string always encodes
	return raw
}

func bedrockToolID(id string) string { return strings.Replace(id, "call_", "tooluse_", 1) }

// converseRenderer renders Converse answers, whole or as an event stream.
type converseRenderer struct {
	es    eventWriter
	pb    []byte // the payload being built
	block int    // index of the content block being streamed
	open  bool   // a content block is open
}

func (rd *converseRenderer) contentType() string { return bedrockStreamType }

// full renders a ConverseResponse by hand;
// TestConverseFullMatchesEncodingJSON holds it, text and tool uses, to
// converseFullJSON, the same response built of maps and encoded.
func (rd *converseRenderer) full(b []byte, c *call, p *plan) []byte {
	ch := p.choices[0]
	b = append(b, `{"output":{"message":{"role":"assistant","content":[`...)
	if len(ch.toolCalls) == 0 {
		b = append(b, `{"text":`...)
		b = ch.appendText(b, false)
		b = append(b, '}')
	}
	for k, tc := range ch.toolCalls {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"toolUse":{"toolUseId":`...)
		b = appendJSONString(b, bedrockToolID(tc.id))
		b = append(b, `,"name":`...)
		b = appendJSONString(b, tc.name)
		b = append(b, `,"input":`...)
		b = append(b, toolArgsJSON(tc, true)...)
		b = append(b, "}}"...)
	}
	b = append(b, `]}},"stopReason":"`...)
	b = append(b, converseStop(ch.finish)...)
	b = append(b, `","usage":{"inputTokens":`...)
	b = appendInt(b, p.inTok)
	b = append(b, `,"outputTokens":`...)
	b = appendInt(b, p.outTok)
	b = append(b, `,"totalTokens":`...)
	b = appendInt(b, totalTokens(p.inTok, p.outTok))
	b = append(b, `},"metrics":{"latencyMs":`...)
	b = strconv.AppendInt(b, p.latencyMS(), 10)
	return append(b, "}}"...)
}

func (rd *converseRenderer) streamHead(sw *sseWriter, c *call, p *plan) {
	rd.es.event(sw, "messageStart", []byte(`{"role":"assistant"}`))
}

func (rd *converseRenderer) closeBlock(sw *sseWriter) {
	if rd.open {
		rd.es.event(sw, "contentBlockStop", fmt.Appendf(nil, `{"contentBlockIndex":%d}`, rd.block))
		rd.block++
		rd.open = false
	}
}

func (rd *converseRenderer) streamUnit(sw *sseWriter, c *call, p *plan, u unit) {
	b := rd.pb[:0]
	if u.ti < 0 {
		rd.open = true // Bedrock opens a text block without a start event
		b = append(b, `{"contentBlockIndex":`...)
		b = appendInt(b, rd.block)
		b = append(b, `,"delta":{"text":`...)
		b = appendJSONString(b, u.tok)
		rd.pb = append(b, "}}"...)
		rd.es.event(sw, "contentBlockDelta", rd.pb)
		return
	}
	if u.k == 0 {
		rd.closeBlock(sw)
		tc := p.choices[u.ci].toolCalls[u.ti]
		start, _ := json.Marshal(map[string]any{"contentBlockIndex": rd.block,
			"start": map[string]any{"toolUse": map[string]string{"toolUseId": bedrockToolID(tc.id), "name": tc.name}}})
		rd.es.event(sw, "contentBlockStart", start)
		rd.open = true
	}
	b = append(b, `{"contentBlockIndex":`...)
	b = appendInt(b, rd.block)
	b = append(b, `,"delta":{"toolUse":{"input":`...)
	b = appendJSONString(b, u.tok)
	rd.pb = append(b, "}}}"...)
	rd.es.event(sw, "contentBlockDelta", rd.pb)
}

func (rd *converseRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	rd.closeBlock(sw)
	rd.es.event(sw, "messageStop", fmt.Appendf(nil, `{"stopReason":%q}`, converseStop(p.choices[0].finish)))
	meta, _ := json.Marshal(map[string]any{"usage": bedrockUsageOf(p), "metrics": map[string]int64{"latencyMs": p.latencyMS()}})
	rd.es.event(sw, "metadata", meta)
	rd.es.release()
}

func (rd *converseRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	rd.es.streamException(sw)
}

func (rd *converseRenderer) streamMalformed(sw *sseWriter, c *call, p *plan) {
	rd.es.event(sw, "contentBlockDelta", []byte(`{"contentBlockIndex":0,"delta":{"text":"\u00`))
}

// eventWriter writes AWS event stream messages with the SDK's encoder,
// each flushed as a provider sends it.
type eventWriter struct {
	enc *eventEncoder
}

// eventEncoder is the SDK's encoder and the buffer it encodes into,
// recycled across streams.
type eventEncoder struct {
	enc *eventstream.Encoder
	buf bytes.Buffer
}

var eventEncoders = sync.Pool{New: func() any { return &eventEncoder{enc: eventstream.NewEncoder()} }}

func (ew *eventWriter) write(sw *sseWriter, headers eventstream.Headers, payload []byte) {
	if ew.enc == nil {
		ew.enc = eventEncoders.Get().(*eventEncoder)
	}
	ew.enc.buf.Reset()
	if err := ew.enc.enc.Encode(&ew.enc.buf, eventstream.Message{Headers: headers, Payload: payload}); err != nil {
		sw.err = err // only a header over the format's limits fails, a bug here
		return
	}
	sw.raw(ew.enc.buf.Bytes())
}

// release gives the encoder back once the stream is written.
func (ew *eventWriter) release() {
	if ew.enc != nil && ew.enc.buf.Cap() <= maxPooledBody {
		eventEncoders.Put(ew.enc)
	}
	ew.enc = nil
}

// eventHeaders are the headers of each event type Bedrock streams, built
// once: a message's headers are only read.
var eventHeaders = func() map[string]eventstream.Headers {
	m := map[string]eventstream.Headers{}
	for _, typ := range []string{"messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata", "chunk"} {
		m[typ] = eventstream.Headers{
			{Name: ":event-type", Value: eventstream.StringValue(typ)},
			{Name: ":content-type", Value: eventstream.StringValue("application/json")},
			{Name: ":message-type", Value: eventstream.StringValue("event")},
		}
	}
	return m
}()

var streamExceptionHeaders = eventstream.Headers{
	{Name: ":exception-type", Value: eventstream.StringValue("modelStreamErrorException")},
	{Name: ":content-type", Value: eventstream.StringValue("application/json")},
	{Name: ":message-type", Value: eventstream.StringValue("exception")},
}

// event writes an event message of the type. A short event (a text
// delta, the hot path of a stream) is the SDK encoder's bytes for it
// kept from an earlier stream when there are some: the message is a pure
// function of its type and payload, and most text deltas repeat (a
// stream's words come from a small vocabulary), so encoding them again
// is the larger part of a token's cost.
func (ew *eventWriter) event(sw *sseWriter, typ string, payload []byte) {
	if len(payload) > maxMemoPayload {
		ew.write(sw, eventHeaders[typ], payload)
		return
	}
	if b, ok := frameMemo.get(typ, payload); ok {
		sw.raw(b)
		return
	}
	ew.write(sw, eventHeaders[typ], payload)
	if sw.err == nil {
		frameMemo.put(typ, payload, ew.enc.buf.Bytes())
	}
}

// maxMemoPayload and maxMemoFrames bound the memo of encoded frames:
// payloads up to 128 bytes, 4,096 frames (under 1 MB). A full memo takes
// no more frames: the ones it holds are the common ones.
const (
	maxMemoPayload = 128
	maxMemoFrames  = 4096
)

// frameMemo holds event stream messages as the SDK's encoder wrote them,
// by event type and payload, shared by every server of the process.
var frameMemo = &frames{m: map[string][]byte{}}

type frames struct {
	mu sync.RWMutex
	m  map[string][]byte
}

// key is type NUL payload: an event type never holds a NUL.
func memoKey(b []byte, typ string, payload []byte) []byte {
	b = append(b, typ...)
	b = append(b, 0)
	return append(b, payload...)
}

func (f *frames) get(typ string, payload []byte) ([]byte, bool) {
	var kb [160]byte
	k := memoKey(kb[:0], typ, payload)
	f.mu.RLock()
	b, ok := f.m[string(k)] // no allocation: the compiler looks up with the bytes
	f.mu.RUnlock()
	return b, ok
}

func (f *frames) put(typ string, payload, frame []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.m) >= maxMemoFrames {
		return
	}
	f.m[string(memoKey(nil, typ, payload))] = bytes.Clone(frame)
}

// streamException writes the exception message Bedrock ends a failing
// stream with: a modelStreamErrorException, which the SDK's stream
// reader returns from Err.
func (ew *eventWriter) streamException(sw *sseWriter) {
	ew.write(sw, streamExceptionHeaders, []byte(`{"message":"The model encountered an error while streaming its response. Try your request again.","originalStatusCode":503,"originalMessage":"Service Unavailable"}`))
}

// Invoke, for Anthropic-on-Bedrock bodies.

type bedrockAnthropicRequest struct {
	messagesRequest
	AnthropicVersion string `json:"anthropic_version"`
	// GuardrailConfig is the body's amazon-bedrock-guardrailConfig, which
	// only a request naming a guardrail may carry.
	GuardrailConfig json.RawMessage `json:"amazon-bedrock-guardrailConfig"`
}

// invokeGuardrail reads the guardrail an InvokeModel request names in
// its X-Amzn-Bedrock-GuardrailIdentifier and -GuardrailVersion headers
// (the SDK's GuardrailIdentifier and GuardrailVersion), with its trace
// when X-Amzn-Bedrock-Trace is ENABLED or ENABLED_FULL, refusing what
// the API reference says InvokeModel refuses: an identifier without a
// version, an amazon-bedrock-guardrailConfig without an identifier, and
// a guardrail on a body whose content type is not application/json
// (the SDK sends application/octet-stream unless told otherwise).
func invokeGuardrail(c *call, h http.Header, req *bedrockAnthropicRequest) *apiError {
	// The names in canonical form (textproto.CanonicalMIMEHeaderKey), so
	// that reading them costs no conversion.
	id, version := headerValue(h, "X-Amzn-Bedrock-Guardrailidentifier"), headerValue(h, "X-Amzn-Bedrock-Guardrailversion")
	trace := headerValue(h, "X-Amzn-Bedrock-Trace")
	switch trace {
	case "", "ENABLED", "DISABLED", "ENABLED_FULL":
	default:
		return bedrockInvalid("trace", trace, "Member must satisfy enum value set: [ENABLED, DISABLED, ENABLED_FULL]")
	}
	if id == "" {
		if len(req.GuardrailConfig) > 0 {
			return &apiError{status: 400, typ: "ValidationException",
				msg: "The request body has amazon-bedrock-guardrailConfig but names no guardrail: send X-Amzn-Bedrock-GuardrailIdentifier and X-Amzn-Bedrock-GuardrailVersion with it."}
		}
		return nil
	}
	if e := guardrailInvalid("", id, version); e != nil {
		if version == "" && e.param == "guardrailVersion" {
			e.msg = "Guardrail identifier was provided but guardrail version is missing: send X-Amzn-Bedrock-GuardrailVersion with it."
		}
		return e
	}
	if ct := h.Get("Content-Type"); !isJSONType(ct) {
		return &apiError{status: 400, typ: "ValidationException", param: "contentType",
			msg: fmt.Sprintf("A guardrail needs the request body's contentType to be application/json, and it is %q.", ct)}
	}
	c.guardrail = guardrailID(id)
	c.guardrailTrace = trace == "ENABLED" || trace == "ENABLED_FULL"
	return nil
}

func invokeCall(m *modelState, req *bedrockAnthropicRequest) (*call, *apiError) {
	malformed := func(what string) *apiError {
		return &apiError{status: 400, typ: "ValidationException", msg: "Malformed input request: #: " + what + ", please reformat your input and try again."}
	}
	if !strings.HasPrefix(m.Name, "anthropic.") {
		return nil, &apiError{status: 400, typ: "ValidationException",
			msg: fmt.Sprintf("InvokeModel is served here for Anthropic models (anthropic.*) only; call Converse for %s.", m.Name)}
	}
	if req.AnthropicVersion == "" {
		return nil, malformed("required key [anthropic_version] not found")
	}
	if req.Model != "" {
		return nil, malformed("extraneous key [model] is not permitted")
	}
	if req.Stream {
		return nil, malformed("extraneous key [stream] is not permitted")
	}
	c, e := messagesCallFor(m, "", &req.messagesRequest)
	if e != nil {
		e.typ = "ValidationException"
		return nil, e
	}
	c.api = "invoke"
	return c, nil
}

// invokeRenderer renders Anthropic messages as Bedrock's InvokeModel
// does: the body as is, or each stream event as a chunk whose bytes are
// the event's JSON, the last one with Bedrock's invocation metrics.
type invokeRenderer struct {
	messagesRenderer
	es    eventWriter
	chunk []byte // a chunk's payload, reused event after event
}

func (rd *invokeRenderer) contentType() string { return bedrockStreamType }

func (rd *invokeRenderer) streamHead(sw *sseWriter, c *call, p *plan) {
	sw.frame = func(name string, data []byte) {
		switch name {
		case "ping":
			return // Bedrock does not relay Anthropic's pings
		case "message_stop":
			data, _ = json.Marshal(map[string]any{"type": "message_stop", "amazon-bedrock-invocationMetrics": map[string]int64{
				"inputTokenCount": int64(p.inTok), "outputTokenCount": int64(p.outTok),
				"invocationLatency": p.latencyMS(), "firstByteLatency": int64((p.queueing + p.ttft) / time.Millisecond)}})
		}
		chunk := append(rd.chunk[:0], `{"bytes":"`...)
		chunk = base64.StdEncoding.AppendEncode(chunk, data)
		rd.chunk = append(chunk, `"}`...)
		rd.es.event(sw, "chunk", rd.chunk) // encoded, or memoised as a copy: nothing keeps it
	}
	rd.messagesRenderer.streamHead(sw, c, p)
}

func (rd *invokeRenderer) streamTail(sw *sseWriter, c *call, p *plan) {
	rd.messagesRenderer.streamTail(sw, c, p)
	rd.es.release()
}

func (rd *invokeRenderer) streamError(sw *sseWriter, c *call, p *plan) {
	rd.es.streamException(sw)
}

// bedrockCountTokens serves CountTokens: the input tokens of a Converse
// or an InvokeModel request, by the server's tokenizer. It is not a
// generation, so no fault affects it.
func (s *Server) bedrockCountTokens(w http.ResponseWriter, r *http.Request, m *modelState, key string) {
	var req struct {
		Input struct {
			Converse    *converseRequest `json:"converse"`
			InvokeModel *struct {
				Body []byte `json:"body"` // base64, as a blob
			} `json:"invokeModel"`
		} `json:"input"`
	}
	if e := s.decodeBody(w, r, &req); e != nil {
		writeError(w, ProviderBedrock, *bedrockBadBody(e))
		return
	}
	if s.cfg.RequireAPIKey && key == "" {
		writeError(w, ProviderBedrock, apiError{status: 403, typ: "MissingAuthenticationTokenException", msg: "Missing Authentication Token"})
		return
	}
	in := req.Input
	var c *call
	var e *apiError
	switch {
	case (in.Converse == nil) == (in.InvokeModel == nil):
		e = &apiError{status: 400, typ: "ValidationException", param: "input", msg: "The input must name exactly one of converse or invokeModel."}
	case in.Converse != nil:
		c, e = converseCall(m, in.Converse)
	default:
		var body bedrockAnthropicRequest
		if err := json.Unmarshal(in.InvokeModel.Body, &body); err != nil {
			e = &apiError{status: 400, typ: "ValidationException", msg: fmt.Sprintf("Malformed input request: %v, please reformat your input and try again.", err)}
			break
		}
		c, e = invokeCall(m, &body)
	}
	if e != nil {
		writeError(w, ProviderBedrock, *e)
		return
	}
	writeJSON(w, map[string]int{"inputTokens": c.inputTokens})
}

// invokeHeaders are the headers of a whole InvokeModel answer: its token
// counts and latency.
func invokeHeaders(h http.Header, p *plan) {
	h["X-Amzn-Bedrock-Input-Token-Count"] = []string{strconv.Itoa(p.inTok)}
	h["X-Amzn-Bedrock-Output-Token-Count"] = []string{strconv.Itoa(p.outTok)}
	h["X-Amzn-Bedrock-Invocation-Latency"] = []string{strconv.FormatInt(p.latencyMS(), 10)}
}
