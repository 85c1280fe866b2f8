package incident

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sdl = `
type Query { ok: Boolean }
type Mutation { open(title: String!, sev: Int): Incident! }
type Incident { id: ID! title: String! tags: [String!]! }
`

func post(t *testing.T, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Authorization", "Bearer s3cret-token")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestStub(t *testing.T) {
	schema, err := LoadSchema("s.graphql", sdl)
	require.NoError(t, err)
	s, err := Open(schema, "")
	require.NoError(t, err)
	defer s.Close()

	code, out := post(t, s.URL(), "k1", `{"query":"mutation M($t: String!) { open(title: $t) { id title tags __typename } }","operationName":"M","variables":{"t":"x"}}`)
	require.Equal(t, 200, code)
	require.Equal(t, map[string]any{"open": map[string]any{"id": "stub-1", "title": "stub 1", "tags": []any{}, "__typename": "Incident"}}, out["data"])

	// invalid operation: a GraphQL error with its position, recorded
	code, out = post(t, s.URL(), "k2", `{"query":"mutation { open(title: \"x\") { id nope } }"}`)
	require.Equal(t, 200, code)
	require.Contains(t, out["errors"].([]any)[0].(map[string]any)["message"], `Cannot query field "nope" on type "Incident"`)
	// wrong variable type
	_, out = post(t, s.URL(), "k3", `{"query":"mutation M($t: String!) { open(title: $t) { id } }","variables":{"t":3}}`)
	require.NotNil(t, out["errors"])

	s.FailNext(2, http.StatusServiceUnavailable)
	code, _ = post(t, s.URL(), "k1", `{}`)
	require.Equal(t, 503, code)
	code, _ = post(t, s.URL(), "k1", `{}`)
	require.Equal(t, 503, code)
	// the same key again: the first answer, replayed
	code, out = post(t, s.URL(), "k1", `{"query":"mutation M($t: String!) { open(title: $t) { id } }","variables":{"t":"y"}}`)
	require.Equal(t, 200, code)
	require.Equal(t, "stub-1", out["data"].(map[string]any)["open"].(map[string]any)["id"])

	reqs := s.Requests()
	require.Len(t, reqs, 6)
	require.Empty(t, reqs[0].Errors)
	require.NotEmpty(t, reqs[1].Errors)
	require.NotEmpty(t, reqs[2].Errors)
	require.Equal(t, 503, reqs[3].Status)
	require.True(t, reqs[5].Replay)
	require.Equal(t, "k1", reqs[5].IdempotencyKey)

	resp, err := http.Get(strings.TrimSuffix(s.URL(), "/graphql") + "/_drill/requests")
	require.NoError(t, err)
	var listed []Request
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&listed))
	resp.Body.Close()
	require.Len(t, listed, 6)
	require.Equal(t, "[redacted]", listed[0].Header.Get("Authorization"), "over HTTP the token is never shown")
	require.Equal(t, "Bearer s3cret-token", s.Requests()[0].Header.Get("Authorization"), "the Go API, for tests, keeps it")

	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
}

func TestBadSchema(t *testing.T) {
	_, err := LoadSchema("bad.graphql", "type Query { x: Nope }")
	require.ErrorContains(t, err, "Nope")
	_, err = LoadSchema("q.graphql", "type Query { x: Int }")
	require.ErrorContains(t, err, "has no mutation type")
	_, err = Open(nil, "")
	require.Error(t, err)
}

// An empty request log is an empty JSON array, not null.
func TestEmptyRequestLog(t *testing.T) {
	schema, err := LoadSchema("s.graphql", sdl)
	require.NoError(t, err)
	s, err := Open(schema, "")
	require.NoError(t, err)
	defer s.Close()
	resp, err := http.Get(strings.TrimSuffix(s.URL(), "/graphql") + "/_drill/requests")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "[]\n", string(b))
}
