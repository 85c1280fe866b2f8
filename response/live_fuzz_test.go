package response

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzLiveAPI sends any body to every mutating endpoint of the live
// drill's control API (ack, role claim, note, runbook mark and run) with
// an incident open: each answers with a JSON object and a 2xx or 4xx
// status, never a 5xx or a panic, and quotes no more than a bounded part
// of what it was sent.
//
//	go test ./response -run '^$' -fuzz FuzzLiveAPI -fuzztime 10s
func FuzzLiveAPI(f *testing.F) {
	for _, seed := range []string{
		`{"user":"ops-lead","alert":"llm-alert"}`,
		`{"user":"ops-lead","role":"incident_commander"}`,
		`{"user":"ops-lead","text":"mitigating"}`,
		`{"user":"ops-lead","step":"diagnosis-1","mark":"skipped"}`,
		`{"user":"ops-lead","step":"nope"}`,
		`{"user":"` + strings.Repeat("x", 3000) + `"}`,
		`[]`, `null`, ``, `{"user":1}`, `{"extra":true}`,
	} {
		f.Add([]byte(seed))
	}
	at := time.Date(2026, 3, 9, 12, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		h := newHarness(t, at, Options{})
		h.fire("llm-alert", map[string]string{"service": "llm-gateway"}, nil)
		handler := h.engine.liveHandler()
		for _, path := range []string{pathAck, pathRoleClaim, pathNotes, pathRunbookMark, pathRunbookRun} {
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, req)
			if rec.Code >= 500 || rec.Code < 200 {
				t.Fatalf("POST %s: status %d: %s", path, rec.Code, rec.Body.String())
			}
			var out any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatalf("POST %s: not JSON (%v): %q", path, err, rec.Body.String())
			}
			if rec.Code >= 400 && rec.Body.Len() > 4096 {
				t.Fatalf("POST %s: an error of %d bytes echoes what it was sent", path, rec.Body.Len())
			}
		}
	})
}
