package incident

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/drillkit/drill/internal/loopback"
)

// Request is one request the stub received, as it saw it.
type Request struct {
	At             time.Time      `json:"at"`
	Header         http.Header    `json:"header"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
	OperationName  string         `json:"operation_name,omitempty"`
	Query          string         `json:"query"`
	Variables      map[string]any `json:"variables,omitempty"`
	Status         int            `json:"status"`           // the HTTP status the stub answered
	Errors         []string       `json:"errors,omitempty"` // validation errors it answered with
	Replay         bool           `json:"replay,omitempty"` // an idempotency key seen before: the first answer was replayed
}

// Server is a GraphQL incident service for tests and demos. It owns its
// listener.
type Server struct {
	schema *ast.Schema
	http   *loopback.Server

	mu       sync.Mutex
	requests []Request
	failN    int
	failCode int
	answered map[string][]byte // idempotency key → first successful answer
	seq      int
}

// LoadSchema parses and validates SDL; name is used in error positions.
func LoadSchema(name, sdl string) (*ast.Schema, error) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("incident stub: schema: %w", err)
	}
	if s.Mutation == nil {
		return nil, fmt.Errorf("incident stub: schema %s has no mutation type", name)
	}
	return s, nil
}

// Open starts the stub on addr ("" binds 127.0.0.1:0) serving schema at
// POST /graphql, and the recorded requests at GET /_drill/requests.
func Open(schema *ast.Schema, addr string) (*Server, error) {
	if schema == nil {
		return nil, errors.New("incident stub: nil schema")
	}
	s := &Server{schema: schema, answered: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", s.graphql)
	mux.HandleFunc("GET /_drill/requests", func(w http.ResponseWriter, _ *http.Request) {
		// Over HTTP the credentials are shown as present, never as they
		// are: a demo screen or a shared log must not carry a token.
		reqs := s.Requests()
		if reqs == nil {
			reqs = []Request{} // an empty log is [], not null
		}
		for i := range reqs {
			reqs[i].Header = reqs[i].Header.Clone() // the records keep theirs
			for _, h := range []string{"Authorization", "Private-Token", "X-Routing-Key"} {
				if reqs[i].Header.Get(h) != "" {
					reqs[i].Header.Set(h, "[redacted]")
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(reqs)
	})
	var err error
	if s.http, err = loopback.Serve(addr, mux, nil); err != nil {
		return nil, fmt.Errorf("incident stub: %w", err)
	}
	return s, nil
}

// URL is the GraphQL endpoint.
func (s *Server) URL() string { return s.http.URL() + "/graphql" }

// FailNext makes the next n requests fail with HTTP status code (a 5xx
// to exercise retries), before any validation.
func (s *Server) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// Requests returns a copy of what the stub received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Close stops the server and waits for it; it is safe to call twice.
func (s *Server) Close() error { return s.http.Close(5 * time.Second) }

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

type gqlError struct {
	Message   string           `json:"message"`
	Locations []map[string]int `json:"locations,omitempty"`
}

func (s *Server) graphql(w http.ResponseWriter, r *http.Request) {
	rec := Request{At: time.Now(), Header: r.Header.Clone(), IdempotencyKey: r.Header.Get("Idempotency-Key")}
	answer := func(status int, body any) {
		raw, _ := json.Marshal(body)
		rec.Status = status
		s.mu.Lock()
		if status == http.StatusOK && len(rec.Errors) == 0 && rec.IdempotencyKey != "" && !rec.Replay {
			s.answered[rec.IdempotencyKey] = raw
		}
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(raw)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		answer(http.StatusBadRequest, map[string]any{"errors": []gqlError{{Message: err.Error()}}})
		return
	}
	var req gqlRequest
	jsonErr := json.Unmarshal(body, &req)
	rec.Query, rec.OperationName, rec.Variables = req.Query, req.OperationName, req.Variables

	s.mu.Lock()
	if s.failN > 0 {
		s.failN--
		code := s.failCode
		s.mu.Unlock()
		answer(code, map[string]any{"errors": []gqlError{{Message: fmt.Sprintf("stub: injected failure (%d)", code)}}})
		return
	}
	prior, replay := s.answered[rec.IdempotencyKey]
	s.mu.Unlock()

	if jsonErr != nil {
		rec.Errors = []string{"body: " + jsonErr.Error()}
		answer(http.StatusBadRequest, map[string]any{"errors": []gqlError{{Message: rec.Errors[0]}}})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		rec.Errors = []string{"Content-Type must be application/json"}
		answer(http.StatusUnsupportedMediaType, map[string]any{"errors": []gqlError{{Message: rec.Errors[0]}}})
		return
	}
	data, errs := s.execute(req)
	if len(errs) > 0 {
		for _, e := range errs {
			rec.Errors = append(rec.Errors, e.Message)
		}
		answer(http.StatusOK, map[string]any{"errors": errs})
		return
	}
	if replay {
		rec.Replay = true
		var v any
		json.Unmarshal(prior, &v)
		answer(http.StatusOK, v)
		return
	}
	answer(http.StatusOK, map[string]any{"data": data})
}

// execute validates the operation and its variables against the schema
// and answers with placeholder values shaped by the selection set.
func (s *Server) execute(req gqlRequest) (map[string]any, []gqlError) {
	doc, perr := parser.ParseQuery(&ast.Source{Name: "request", Input: req.Query})
	if perr != nil {
		return nil, toGQLErrors(perr)
	}
	if errs := validator.ValidateWithRules(s.schema, doc, nil); len(errs) > 0 {
		var out []gqlError
		for _, e := range errs {
			out = append(out, toGQLErrors(e)...)
		}
		return nil, out
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		return nil, []gqlError{{Message: fmt.Sprintf("no operation named %q", req.OperationName)}}
	}
	if _, err := validator.VariableValues(s.schema, op, req.Variables); err != nil {
		return nil, toGQLErrors(err)
	}
	root := s.schema.Query
	if op.Operation == ast.Mutation {
		root = s.schema.Mutation
	}
	s.mu.Lock()
	s.seq++
	n := s.seq
	s.mu.Unlock()
	return s.fill(root, op.SelectionSet, n), nil
}

func (s *Server) fill(def *ast.Definition, set ast.SelectionSet, n int) map[string]any {
	out := map[string]any{}
	for _, sel := range set {
		switch f := sel.(type) {
		case *ast.Field:
			key := f.Alias
			if key == "" {
				key = f.Name
			}
			if f.Name == "__typename" {
				out[key] = def.Name
				continue
			}
			out[key] = s.value(f.Definition.Type, f.SelectionSet, n)
		case *ast.InlineFragment:
			for k, v := range s.fill(def, f.SelectionSet, n) {
				out[k] = v
			}
		case *ast.FragmentSpread:
			for k, v := range s.fill(def, f.Definition.SelectionSet, n) {
				out[k] = v
			}
		}
	}
	return out
}

func (s *Server) value(t *ast.Type, set ast.SelectionSet, n int) any {
	if t.Elem != nil {
		return []any{}
	}
	def := s.schema.Types[t.NamedType]
	switch {
	case def == nil:
		return nil
	case def.Kind == ast.Object:
		return s.fill(def, set, n)
	case def.Kind == ast.Interface || def.Kind == ast.Union:
		if pts := s.schema.GetPossibleTypes(def); len(pts) > 0 {
			return s.fill(pts[0], set, n)
		}
		return nil
	case def.Kind == ast.Enum:
		if len(def.EnumValues) > 0 {
			return def.EnumValues[0].Name
		}
		return nil
	}
	switch t.NamedType {
	case "ID":
		return fmt.Sprintf("stub-%d", n)
	case "Int":
		return n
	case "Float":
		return float64(n)
	case "Boolean":
		return true
	case "String":
		return fmt.Sprintf("stub %d", n)
	}
	return time.Now().UTC().Format(time.RFC3339) // custom scalars: Time, DateTime...
}

func toGQLErrors(err error) []gqlError {
	if list, ok := err.(interface{ Unwrap() []error }); ok {
		var out []gqlError
		for _, x := range list.Unwrap() {
			out = append(out, toGQLErrors(x)...)
		}
		return out
	}
	var ge *gqlerror.Error
	if errors.As(err, &ge) {
		out := gqlError{Message: ge.Message}
		for _, l := range ge.Locations {
			out.Locations = append(out.Locations, map[string]int{"line": l.Line, "column": l.Column})
		}
		return []gqlError{out}
	}
	return []gqlError{{Message: err.Error()}}
}
