package faultmode

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type params struct {
	Status int `json:"status,omitempty"`
}

func validate(mode string, p params) error {
	switch mode {
	case "error":
		if p.Status < 400 || p.Status > 599 {
			return fmt.Errorf("params.status: want an HTTP error status from 400 to 599, got %d", p.Status)
		}
		return nil
	}
	return fmt.Errorf("mode: unknown %q; valid modes: error", mode)
}

func ptr(f float64) *float64 { return &f }

func TestPickScopesAndCounts(t *testing.T) {
	s := NewSet[params](1, validate, nil)
	id, err := s.Add(Fault[params]{Mode: "error", Scope: Scope{Target: "gpt-*", Count: 2}, Params: params{Status: 503}})
	require.NoError(t, err)

	_, ok := s.Pick("claude-sonnet")
	require.False(t, ok, "target glob must not match another model")
	for range 2 {
		f, ok := s.Pick("gpt-4o")
		require.True(t, ok)
		require.Equal(t, 503, f.Params.Status)
	}
	_, ok = s.Pick("gpt-4o")
	require.False(t, ok, "count of 2 is spent")
	require.Equal(t, int64(2), s.Affected(id))
	require.False(t, s.List()[0].Active)
}

func TestProbabilityIsSeededAndRoughlyRight(t *testing.T) {
	run := func() (hits int, seq []bool) {
		s := NewSet[params](42, validate, nil)
		_, err := s.Add(Fault[params]{ID: "half", Mode: "error", Scope: Scope{Probability: ptr(0.3)}, Params: params{Status: 500}})
		require.NoError(t, err)
		for range 2000 {
			_, ok := s.Pick("m")
			seq = append(seq, ok)
			if ok {
				hits++
			}
		}
		return hits, seq
	}
	h1, s1 := run()
	h2, s2 := run()
	require.Equal(t, s1, s2, "same seed, same choices")
	require.Equal(t, h1, h2)
	require.InDelta(t, 600, h1, 90)
}

func TestDurationExpires(t *testing.T) {
	now := time.Unix(0, 0)
	s := NewSet[params](1, validate, func() time.Time { return now })
	_, err := s.Add(Fault[params]{Mode: "error", Scope: Scope{Duration: Duration(time.Minute)}, Params: params{Status: 500}})
	require.NoError(t, err)
	_, ok := s.Pick("m")
	require.True(t, ok)
	now = now.Add(time.Minute)
	_, ok = s.Pick("m")
	require.False(t, ok)
}

func TestRemoveKeepsEvidence(t *testing.T) {
	s := NewSet[params](1, validate, nil)
	id, err := s.Add(Fault[params]{Mode: "error", Params: params{Status: 500}})
	require.NoError(t, err)
	s.Pick("m")
	require.True(t, s.Remove(id))
	require.False(t, s.Remove(id))
	_, ok := s.Pick("m")
	require.False(t, ok)
	require.Equal(t, map[string]int64{id: 1}, s.Evidence())
}

func TestAddReportsEveryProblem(t *testing.T) {
	s := NewSet[params](1, validate, nil)
	_, err := s.Add(Fault[params]{Mode: "error", Scope: Scope{Probability: ptr(1.5), Count: -1, Target: "["}, Params: params{Status: 200}})
	require.Error(t, err)
	for _, want := range []string{"probability: want a number from 0 to 1, got 1.5", "count: want a whole number from 0 to 1000000000", "target: bad glob", "params.status: want an HTTP error status"} {
		require.ErrorContains(t, err, want)
	}
	_, err = s.Add(Fault[params]{Mode: "nope"})
	require.ErrorContains(t, err, `unknown "nope"; valid modes: error`)
	_, err = s.Add(Fault[params]{ID: "x", Mode: "error", Params: params{Status: 500}})
	require.NoError(t, err)
	_, err = s.Add(Fault[params]{ID: "x", Mode: "error", Params: params{Status: 500}})
	require.ErrorContains(t, err, `fault "x" already exists`)
}

func TestControlAPI(t *testing.T) {
	s := NewSet[params](1, validate, nil)
	mux := http.NewServeMux()
	s.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Post(srv.URL+"/_drill/faults", "application/json", strings.NewReader(`{"id":"five","mode":"error","probability":1,"params":{"status":503}}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)

	res, err = http.Post(srv.URL+"/_drill/faults", "application/json", strings.NewReader(`{"mode":"error","params":{"status":503},"typo":1}`))
	require.NoError(t, err)
	body := readAll(t, res)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Contains(t, body, `unknown field \"typo\"`)

	s.Pick("m")
	res, err = http.Get(srv.URL + "/_drill/evidence")
	require.NoError(t, err)
	require.JSONEq(t, `{"five":1}`, readAll(t, res))

	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/_drill/faults/nothere", nil)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Contains(t, readAll(t, res), `no fault \"nothere\"; active faults: five`)
	require.Equal(t, http.StatusNotFound, res.StatusCode)

	req, _ = http.NewRequest(http.MethodDelete, srv.URL+"/_drill/faults/five", nil)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	require.Empty(t, s.List())
}

func TestLoopbackOnly(t *testing.T) {
	h := LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/_drill/faults", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code)
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	var b strings.Builder
	_, err := io.Copy(&b, res.Body)
	require.NoError(t, err)
	return b.String()
}
