package mockllm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error shapes: the core's errors (rate limits, context length, error
// faults) worded per provider, and writeError, which answers one in the
// surface's own body.

// apiError is an error answered in the provider's shape.
type apiError struct {
	status  int
	typ     string
	code    string
	msg     string
	param   string
	headers map[string]string
	// inner is Azure's innererror object (JSON), sent with the status
	// in the body, as Azure's content filter refusal carries them.
	inner []byte
}

func (e *apiError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: 400, typ: "invalid_request_error", param: param, msg: fmt.Sprintf(format, args...)}
}

// writeError answers e in the surface's error shape: the headers it
// carries, then the body each provider's SDK parses.
func writeError(w http.ResponseWriter, provider string, e apiError) {
	h := w.Header()
	for k, v := range e.headers {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	var body []byte
	switch provider {
	case ProviderGemini:
		body = geminiErrorBody(e, h.Get("Retry-After"))
	case ProviderAnthropic:
		body = anthropicErrorBody(e)
	case ProviderBedrock:
		e, body = bedrockError(e, h)
	default:
		body = openAIErrorBody(provider, e)
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(append(body, '\n'))
}

func rateLimitError(c *call, res rlResult) apiError {
	if c.provider == ProviderAzure {
		return azureRateLimitError(c, res.refusedTokens, res.retryAfter)
	}
	what, unit, limit := "requests", "RPM", res.limit.RPM
	if res.refusedTokens {
		what, unit, limit = "tokens", "TPM", res.limit.TPM
	}
	e := apiError{status: 429, typ: what, code: "rate_limit_exceeded", msg: fmt.Sprintf(
		"Rate limit reached for %s in organization org-drill on %s per min (%s): Limit %d, Requested %d. Please try again in %ds.",
		c.model.Name, what, unit, limit, map[bool]int{true: res.requested, false: 1}[res.refusedTokens], retrySeconds(res.retryAfter))}
	if c.provider == ProviderAnthropic {
		e.typ = "rate_limit_error"
		e.msg = fmt.Sprintf("This request would exceed the rate limit for your organization of %d %s per minute. Please retry after %d seconds.",
			limit, map[bool]string{true: "input tokens", false: "requests"}[res.refusedTokens], retrySeconds(res.retryAfter))
	}
	if c.provider == ProviderBedrock {
		e.msg = map[bool]string{true: "Too many tokens, please wait before trying again.", false: "Too many requests, please wait before trying again."}[res.refusedTokens]
	}
	if c.provider == ProviderGemini {
		metric := map[bool]string{true: "input_token_count", false: "requests"}[res.refusedTokens]
		e.msg = fmt.Sprintf("You exceeded your current quota, please check your plan and billing details. Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_%s, limit: %d, model: %s. Please retry in %ds.",
			metric, limit, c.model.Name, retrySeconds(res.retryAfter))
	}
	return e
}

func contextError(c *call, cw int) apiError {
	e := apiError{status: 400, typ: "invalid_request_error", code: "context_length_exceeded", param: "messages",
		msg: fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
			cw, c.inputTokens+c.maxTokens, c.inputTokens, c.maxTokens)}
	if c.provider == ProviderAnthropic {
		e.msg = fmt.Sprintf("prompt is too long: %d tokens > %d maximum", c.inputTokens+c.maxTokens, cw)
	}
	if c.provider == ProviderBedrock && c.api == "converse" {
		e.msg = "Input is too long for requested model."
	}
	if c.provider == ProviderGemini {
		e.msg = fmt.Sprintf("The input token count (%d) exceeds the maximum number of tokens allowed (%d).", c.inputTokens+c.maxTokens, cw)
	}
	return e
}

// errorFault builds the error of an error fault, with each status's usual
// type, code, message and headers unless the fault overrides them.
func (s *Server) errorFault(c *call, f FaultParams, h http.Header) apiError {
	e := apiError{status: f.Status, typ: "server_error"}
	anth := c.provider == ProviderAnthropic
	switch f.Status {
	case 400:
		e = contextError(c, max(c.model.ContextWindow, 1))
	case 401:
		e.typ, e.code, e.msg = "invalid_request_error", "invalid_api_key", "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
		if anth {
			e.msg = "invalid x-api-key"
		}
	case 403:
		e.typ, e.code, e.msg = "invalid_request_error", "permission_denied", "You are not allowed to access this model."
	case 404:
		e.typ, e.code, e.param, e.msg = "invalid_request_error", "model_not_found", "model", fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", c.model.Name)
	case 429:
		e.typ, e.code = "requests", "rate_limit_exceeded"
		e.msg = fmt.Sprintf("Rate limit reached for %s in organization org-drill on requests per min (RPM). Please try again in %ds.", c.model.Name, max(f.RetryAfter, 1))
		if anth {
			e.msg = "Number of requests has exceeded your per-minute rate limit."
			h.Set("anthropic-ratelimit-requests-remaining", "0")
		} else if c.provider == ProviderAzure {
			wait := time.Duration(max(f.RetryAfter, 1)) * time.Second
			e = azureRateLimitError(c, false, wait)
			h.Set("x-ratelimit-remaining-requests", "0")
			h.Set("Retry-After-Ms", strconv.FormatInt(wait.Milliseconds(), 10))
		} else if c.provider != ProviderGemini && c.provider != ProviderBedrock {
			h.Set("x-ratelimit-remaining-requests", "0")
			h.Set("x-ratelimit-reset-requests", strconv.Itoa(max(f.RetryAfter, 1))+"s")
		}
		if f.RetryAfter == 0 {
			h.Set("Retry-After", "1")
		}
	case 500:
		e.msg = "The server had an error while processing your request. Sorry about that!"
		if anth {
			e.msg = "Internal server error"
		}
	case 502:
		e.msg = "Bad gateway."
	case 503:
		e.msg = "The engine is currently overloaded, please try again later."
	case 504:
		e.typ, e.msg = "timeout", "Request timed out."
	case 529:
		e.typ, e.msg = "overloaded_error", "Overloaded"
	default:
		if f.Status < 500 {
			e.typ = "invalid_request_error"
		}
		e.msg = http.StatusText(f.Status)
		if e.msg == "" {
			e.msg = fmt.Sprintf("Error %d", f.Status)
		}
	}
	if anth {
		e.typ = anthropicType(f.Status)
	}
	if c.provider == ProviderGemini && f.Status != 400 {
		e.msg = geminiMessage(f.Status, c.model.Name)
	}
	if c.provider == ProviderBedrock && f.Status != 400 {
		_, typ := bedrockException(f.Status)
		e.msg = bedrockMessage(typ)
	}
	if f.Type != "" {
		e.typ = f.Type
	}
	if f.Code != "" {
		e.code = f.Code
	}
	if f.Message != "" {
		e.msg = f.Message
	}
	if f.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return e
}

// marshalPlain is json.Marshal without its HTML escaping: providers send
// "<=" in their messages, not "\u003c=".
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
