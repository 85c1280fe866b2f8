package faultmode

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRanges(t *testing.T) {
	require.True(t, ErrorStatusRange.Contains(400))
	require.True(t, ErrorStatusRange.Contains(599))
	require.False(t, ErrorStatusRange.Contains(600))
	require.Equal(t, "from 400 to 599", ErrorStatusRange.String())

	require.False(t, BillingFactorRange.Contains(1), "above 1: 1 itself is out")
	require.True(t, BillingFactorRange.Contains(1.5))
	require.False(t, BillingFactorRange.Contains(1e25))
	require.False(t, BillingFactorRange.Contains(math.NaN()))
	require.False(t, BillingFactorRange.Contains(math.Inf(1)))
	require.Equal(t, "above 1 and at most 1000", BillingFactorRange.String())

	require.Equal(t, "above 0s and at most 1h", DelayRange.String())
	require.Equal(t, "from 0s to 24h", RetryAfterRange.String())
	require.True(t, RetryAfterRange.Allows(30*time.Second))
	require.False(t, RetryAfterRange.Allows(int64(30)), "a value of another type is in no range")
	lo, hi, above := DelayRange.Bounds()
	require.Equal(t, []any{"0s", "1h", true}, []any{lo, hi, above})
	lo, hi, _ = ErrorStatusRange.Bounds()
	require.Equal(t, []any{int64(400), int64(599)}, []any{lo, hi})

	require.Equal(t, 30*time.Second, Seconds(30))
	require.False(t, RetryAfterRange.Contains(Seconds(math.MaxInt)), "saturates, never wraps into range")
	require.False(t, RetryAfterRange.Contains(Seconds(-math.MaxInt)))
	require.Equal(t, "1m30s", FormatDuration(90*time.Second))
	require.Equal(t, "1h30m", FormatDuration(90*time.Minute))
}

func TestQuoteCutsLongValues(t *testing.T) {
	require.Equal(t, `"short"`, Quote("short"))
	q := Quote(strings.Repeat("é", 1000))
	require.Less(t, len(q), 100)
	require.Contains(t, q, "… (2000 bytes)")
	require.True(t, strings.HasPrefix(q, `"é`), "cut at a rune boundary")
}

// post sends body to the control API of s from a loopback client.
func post(t *testing.T, h http.Handler, body string) (int, map[string]string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, Prefix+"/faults", strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:4000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]string
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	return rec.Code, out
}

func controlHandler(s *Set[params]) http.Handler {
	mux := http.NewServeMux()
	s.Register(mux)
	return mux
}

// Issue 16: the control API accepted 20,000 faults and a 5 MB id. Now it
// holds MaxFaults, refuses bodies over MaxControlBody and IDs over
// MaxIDBytes, and its errors quote no more than a short excerpt.
func TestControlAPIBounds(t *testing.T) {
	s := NewSet[params](1, validate, nil)
	h := controlHandler(s)
	for i := range MaxFaults {
		code, out := post(t, h, fmt.Sprintf(`{"id":"f%d","mode":"error","params":{"status":503}}`, i))
		require.Equal(t, http.StatusCreated, code, out["error"])
	}
	code, out := post(t, h, `{"id":"one-too-many","mode":"error","params":{"status":503}}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "fault: the server holds 100 faults, the most it takes (faultmode.MaxFaults); remove one first", out["error"])
	require.Len(t, s.List(), MaxFaults)
	s.Clear()

	code, out = post(t, h, `{"id":"`+strings.Repeat("x", 5<<20)+`","mode":"error","params":{"status":503}}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "fault: body larger than 65536 bytes (faultmode.MaxControlBody)", out["error"])

	code, out = post(t, h, `{"id":"`+strings.Repeat("x", 200)+`","mode":"error","params":{"status":503}}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "fault: id: want at most 128 bytes, got 200", out["error"])

	code, out = post(t, h, `{"id":"tab\there","mode":"`+strings.Repeat("m", 1000)+`","target":"`+strings.Repeat("[", 300)+`"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "fault: mode: want at most 64 bytes, got 1000\n"+
		"target: want a glob of at most 256 bytes, got 300\n"+
		`id: must be UTF-8 text without '/', spaces or control characters, got "tab\there"`, out["error"])

	code, out = post(t, h, `{"mode":"error","`+strings.Repeat("k", 10000)+`":1}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Less(t, len(out["error"]), 400, "an unknown field of any length is quoted short")

	code, out = post(t, h, `{"mode":"error","count":-1,"probability":2,"params":{"status":503}}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, out["error"], "probability: want a number from 0 to 1, got 2")
	require.Contains(t, out["error"], "count: want a whole number from 0 to 1000000000 (0 is no limit), got -1")
	require.Empty(t, s.List())
}

// Evidence outlives its fault, so a client that adds and removes faults
// under new IDs without end would grow it without end: it is kept for
// MaxEvidence IDs, and a new ID beyond that is refused; known IDs still
// come back.
func TestEvidenceIsBounded(t *testing.T) {
	s := NewSet[params](1, validate, nil)
	for i := range MaxEvidence {
		id, err := s.Add(Fault[params]{ID: fmt.Sprintf("f%d", i), Mode: "error", Params: params{Status: 500}})
		require.NoError(t, err)
		require.True(t, s.Remove(id))
	}
	_, err := s.Add(Fault[params]{ID: "new", Mode: "error", Params: params{Status: 500}})
	require.ErrorContains(t, err, "the server keeps evidence for 10000 fault IDs, the most it takes (faultmode.MaxEvidence)")
	_, err = s.Add(Fault[params]{ID: "f7", Mode: "error", Params: params{Status: 500}})
	require.NoError(t, err, "an ID the server already knows takes no new room")
	require.Len(t, s.Evidence(), MaxEvidence)
}
