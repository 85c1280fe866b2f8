package mockllm

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/drillkit/drill/internal/faultmode"
)

// Reading a request: the bounded body, the API key, the provider it was
// meant for, the model and the forced-fault headers.

// providerOf guesses which provider a request was meant for, to answer
// in its error shape.
func providerOf(r *http.Request) string {
	if isGemini(r) {
		return ProviderGemini
	}
	if strings.HasPrefix(r.URL.Path, "/model/") {
		return ProviderBedrock
	}
	if strings.HasPrefix(r.URL.Path, "/openai/") || headerValue(r.Header, "Api-Key") != "" {
		return ProviderAzure
	}
	if r.URL.Path == "/v1/messages" || r.URL.Path == "/v1/messages/count_tokens" || headerValue(r.Header, "Anthropic-Version") != "" || headerValue(r.Header, "X-Api-Key") != "" {
		return ProviderAnthropic
	}
	return ProviderOpenAI
}

// bodyBufs recycles request and response body buffers: every generating
// request reads one and most write one, and json.Unmarshal copies what
// it keeps.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBody is the largest buffer put back in bodyBufs, so that one
// huge request does not pin its buffer for good.
const maxPooledBody = 1 << 20

// recycleBody puts b, grown from the buffer bp held, back in bodyBufs.
func recycleBody(bp *[]byte, b []byte) {
	if cap(b) <= maxPooledBody {
		*bp = b[:0]
		bodyBufs.Put(bp)
	}
}

// decodeBody reads a JSON request body, bounded.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) *apiError {
	return s.decodeJSON(w, r, v, true)
}

// decodeJSON is decodeBody, checking that a Content-Type, when sent, is
// JSON's only if checkType.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any, checkType bool) *apiError {
	if ct := r.Header["Content-Type"]; checkType && len(ct) > 0 && !isJSONType(ct[0]) {
		return badRequest("", "Unsupported content type: '%s'. This API method only accepts 'application/json' requests, but you specified the header 'Content-Type: %s'. Please try again with a supported content type.", ct[0], ct[0])
	}
	tooLarge := func() *apiError {
		return &apiError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error", code: "request_too_large",
			msg: fmt.Sprintf("Request body too large: the limit is %d bytes.", s.cfg.MaxBodyBytes)}
	}
	switch {
	case r.ContentLength > s.cfg.MaxBodyBytes:
		// Refused unread: net/http discards a small rest after the answer
		// and closes the connection rather than read a large one.
		return tooLarge()
	case r.ContentLength < 0:
		// Of unknown length (chunked): bounded as it is read. A body with
		// a Content-Length is bounded by net/http to that length already.
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	bp := bodyBufs.Get().(*[]byte)
	data, err := readBody(r.Body, (*bp)[:0], min(r.ContentLength, s.cfg.MaxBodyBytes))
	defer func() { recycleBody(bp, data) }()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		return badRequest("", "Could not read the request body: %v", err)
	}
	if !utf8.Valid(data) {
		// encoding/json would take it, replacing the bad bytes with U+FFFD.
		return badRequest("", "We could not parse the JSON body of your request: it is not valid UTF-8 (first bad byte at offset %d). The body must be a JSON object in UTF-8.", firstInvalidUTF8(data))
	}
	if fd, ok := v.(fastDecoder); ok {
		if fd.decodeFast(data) {
			return nil
		}
	} else if fastDecode(data, v) {
		return nil
	}
	if err := jsonv2.Unmarshal(data, v, decodeOptions); err != nil {
		return decodeError(err)
	}
	return nil
}

// decodeOptions: request bodies are decoded by encoding/json's v2
// (github.com/go-json-experiment/json, the code Go ships as
// encoding/json/v2), two to three times faster than v1 at it, the
// larger part of a request's cost. Member names match exactly, as the
// providers' own servers match them; a name given twice keeps the last
// value, as they do. Invalid UTF-8 bytes are refused before decoding;
// an escaped lone surrogate ("\ud800") becomes U+FFFD, as encoding/json
// v1 and the providers' JSON parsers take it, not a 400.
var decodeOptions = jsonv2.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

// decodeError is the provider's 400 for a body that does not decode: a
// value of the wrong type names its member as the providers do
// (messages[0].role), anything else is a parse error.
func decodeError(err error) *apiError {
	var se *jsonv2.SemanticError
	if errors.As(err, &se) && se.GoType != nil && se.JSONKind != 0 && len(se.JSONPointer) > 0 {
		param := paramOf(se.JSONPointer)
		want, got := goKindWord(se.GoType), jsonKindWord(se.JSONKind)
		if want == got { // a number too large for a float64
			return badRequest(param, "Invalid value for '%s': the number is out of range.", param)
		}
		return badRequest(param, "Invalid type for '%s': expected %s, but got %s instead.", param, want, got)
	}
	msg := err.Error()
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "unexpected end of JSON input"
	case errors.As(err, &syn):
		msg = strings.TrimPrefix(syn.Err.Error(), "jsontext: ")
		if syn.ByteOffset > 0 {
			msg += fmt.Sprintf(" at offset %d", syn.ByteOffset)
		}
	case se != nil && se.JSONKind != 0 && se.GoType != nil:
		msg = fmt.Sprintf("got %s where the body must be an object", jsonKindWord(se.JSONKind))
	}
	return badRequest("", "We could not parse the JSON body of your request: %s. The body must be a JSON object.", msg)
}

// paramOf writes a JSON pointer (/messages/0/role) as the providers name
// a request's field: messages[0].role.
func paramOf(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// goKindWord is what a Go type holds, in the words of the providers'
// type errors.
func goKindWord(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.Kind().String()
}

// jsonKindWord is a JSON value's kind in the same words.
func jsonKindWord(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return k.String()
}

// isJSONType says whether a Content-Type is JSON's: application/json or
// a +json type, with any parameters.
func isJSONType(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	return strings.EqualFold(ct, "application/json") ||
		len(ct) > 5 && strings.EqualFold(ct[len(ct)-5:], "+json") && strings.HasPrefix(strings.ToLower(ct), "application/")
}

// firstInvalidUTF8 is the offset of the first byte of b that is not
// valid UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// readBody appends all of r to b, sized up front from the request's
// Content-Length (size, -1 when unknown).
func readBody(r io.Reader, b []byte, size int64) ([]byte, error) {
	if size > 0 {
		b = slices.Grow(b, int(size)+1) // +1: room to read the EOF without growing
	}
	for {
		if len(b) == cap(b) {
			b = slices.Grow(b, max(512, cap(b)))
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// apiKey returns the caller's API key, or "" when none was sent: by
// Authorization Bearer (OpenAI), x-api-key (Anthropic), x-goog-api-key or
// the key query parameter (Gemini), or api-key (Azure OpenAI).
func apiKey(r *http.Request) string {
	// The names are canonical already: the map is read directly, without
	// Header.Get's canonicalising of each name.
	h := r.Header
	if k := headerValue(h, "X-Api-Key"); k != "" {
		return k
	}
	if k := headerValue(h, "X-Goog-Api-Key"); k != "" {
		return k
	}
	if k := headerValue(h, "Api-Key"); k != "" {
		return k
	}
	if a := headerValue(h, "Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimSpace(a[len("Bearer "):])
	}
	if r.URL.RawQuery != "" && isGemini(r) {
		return queryFirst(r, "key")
	}
	return ""
}

// queryValue is r.URL.Query() without its map: the first value of key
// and whether key is there at all, read as url.ParseQuery reads the
// query (a pair with a semicolon or a bad escape is left out).
// TestQueryValueAsParseQuery holds the two to the same answers.
func queryValue(r *http.Request, key string) (string, bool) {
	q := r.URL.RawQuery
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			var err error
			if k, err = url.QueryUnescape(k); err != nil {
				continue
			}
		}
		if strings.ContainsAny(v, "%+") {
			var err error
			if v, err = url.QueryUnescape(v); err != nil {
				continue
			}
		}
		if k == key {
			return v, true
		}
	}
	return "", false
}

// queryFirst is r.URL.Query().Get(key).
func queryFirst(r *http.Request, key string) string {
	v, _ := queryValue(r, key)
	return v
}

// hasQuery is r.URL.Query().Has(key).
func hasQuery(r *http.Request, key string) bool {
	_, ok := queryValue(r, key)
	return ok
}

// headerValue is h.Get(key) for a key in canonical form.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// lookupModel finds a model served by the provider's API.
func (s *Server) lookupModel(provider, name, kind string) (*modelState, *apiError) {
	if name == "" {
		return nil, badRequest("model", "you must provide a model parameter")
	}
	m := s.models[name]
	if m == nil || m.Provider != provider || (kind != "" && m.Kind != kind) {
		var names []string
		for _, mm := range s.cfg.Models {
			if mm.Provider == provider && (kind == "" || mm.Kind == kind || mm.Kind == "" && kind == KindChat) {
				names = append(names, mm.Name)
			}
		}
		msg := fmt.Sprintf("The model `%s` does not exist or you do not have access to it. Models served here: %s.", name, strings.Join(names, ", "))
		if provider == ProviderAnthropic {
			msg = fmt.Sprintf("model: %s (models served here: %s)", name, strings.Join(names, ", "))
		}
		if provider == ProviderGemini {
			msg = fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods. Models served here: %s.", name, strings.Join(names, ", "))
		}
		return nil, &apiError{status: 404, typ: "invalid_request_error", code: "model_not_found", param: "model", msg: msg}
	}
	return m, nil
}

// forcedFault reads the per-request override headers.
func forcedFault(r *http.Request) (*Fault, *apiError) {
	mode := headerValue(r.Header, HeaderForceFault)
	if mode == "" {
		return nil, nil
	}
	f := Fault{ID: "forced-" + mode, Mode: mode}
	if p := headerValue(r.Header, HeaderForceParams); p != "" {
		if err := faultmode.DecodeStrict(strings.NewReader(p), &f.Params); err != nil {
			return nil, badRequest("", "%s: %v", HeaderForceParams, err)
		}
	}
	if err := validateFault(f.Mode, f.Params); err != nil {
		return nil, badRequest("", "%s: %v", HeaderForceFault, err)
	}
	return &f, nil
}
