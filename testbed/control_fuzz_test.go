package testbed

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUpControlAPI sends any body to `drill up`'s POST /inject, then
// clears: the API answers a JSON object with 200 or 400, never a 5xx or
// a panic, and a refused fault leaves nothing injected. One testbed
// serves every input.
//
//	go test ./testbed -run '^$' -fuzz FuzzUpControlAPI -fuzztime 10s
func FuzzUpControlAPI(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"latency","target":"primary","params":{"latency":"2s"},"for":"1m"}`,
		`{"kind":"billing-spike","target":"primary","params":{"factor":"1e20"}}`,
		`{"kind":"outage","target":"nope"}`,
		`{"kind":"latency","for":"-1s"}`,
		`{"kind":"` + strings.Repeat("x", 500) + `"}`,
		`[]`, `null`, ``, `{"kind":1}`, `{"extra":true}`,
	} {
		f.Add([]byte(seed))
	}
	tb := startTestbed(f, loadTopology(f, filepath.Join("testdata", "drill.yaml")), Options{})
	h := tb.ControlHandler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, pathInject, strings.NewReader(string(body)))
		req.RemoteAddr = "127.0.0.1:4000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("not a JSON object (%v): %q", err, rec.Body.String())
		}
		clear := httptest.NewRequest(http.MethodPost, pathClear, nil)
		clear.RemoteAddr = "127.0.0.1:4000"
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, clear)
		if rec.Code != http.StatusOK {
			t.Fatalf("clear: status %d: %s", rec.Code, rec.Body.String())
		}
	})
}
