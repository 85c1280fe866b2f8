package faultmode

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzControlAPI sends any body to POST /_drill/faults and any ID to
// DELETE /_drill/faults/{id}: the API answers 201 or 400 (404 for the
// delete) with a JSON object, never panics, holds no more than MaxFaults,
// keeps only faults within every bound, and quotes no more than a short
// excerpt of what it was sent.
//
//	go test ./internal/faultmode -fuzz FuzzControlAPI -fuzztime 10s
func FuzzControlAPI(f *testing.F) {
	for _, seed := range []string{
		`{"id":"five","mode":"error","probability":1,"params":{"status":503}}`,
		`{"mode":"error","params":{"status":200},"count":-1,"target":"["}`,
		`{"mode":"error","probability":1e308,"count":99999999999}`,
		`{"id":"a/b","mode":"error"}`,
		`{"mode":"error","duration":"-1s"}`,
		`{"mode":"error"} trailing`,
		`[]`, `null`, ``, `{"mode":"` + strings.Repeat("x", 100) + `"}`,
	} {
		f.Add([]byte(seed), "five")
	}
	f.Fuzz(func(t *testing.T, body []byte, id string) {
		s := NewSet[params](1, validate, nil)
		h := controlHandler(s)
		for range 2 { // twice: the second may collide with the first's ID
			req := httptest.NewRequest(http.MethodPost, Prefix+"/faults", strings.NewReader(string(body)))
			req.RemoteAddr = "127.0.0.1:4000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			checkAnswer(t, rec, http.StatusCreated, http.StatusBadRequest)
		}
		if id != "" && id != "." && id != ".." && !strings.Contains(id, "/") { // else a path the mux itself refuses or cleans
			req := httptest.NewRequest(http.MethodDelete, Prefix+"/faults/"+url.PathEscape(id), nil)
			req.RemoteAddr = "127.0.0.1:4000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				checkAnswer(t, rec, http.StatusNotFound)
			}
		}
		list := s.List()
		if len(list) > MaxFaults {
			t.Fatalf("%d faults held, more than MaxFaults", len(list))
		}
		for _, st := range list {
			if len(st.ID) > MaxIDBytes || len(st.Mode) > MaxModeBytes || len(st.Target) > MaxTargetBytes || !utf8.ValidString(st.ID) {
				t.Fatalf("fault out of bounds kept: %+v", st.Fault)
			}
			if p := st.Probability; p != nil && !ProbabilityRange.Contains(*p) || !CountRange.Contains(int64(st.Count)) {
				t.Fatalf("fault out of range kept: %+v", st.Fault)
			}
			if err := validate(st.Mode, st.Params); err != nil {
				t.Fatalf("fault its validator refuses kept: %v", err)
			}
		}
	})
}

// checkAnswer fails unless rec has one of the codes and, for an error, a
// JSON {"error": msg} of reasonable length.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, codes ...int) {
	t.Helper()
	ok := false
	for _, c := range codes {
		ok = ok || rec.Code == c
	}
	if !ok {
		t.Fatalf("status %d, want one of %v: %s", rec.Code, codes, rec.Body.String())
	}
	var out map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer is not a JSON object of strings: %v: %q", err, rec.Body.String())
	}
	if rec.Code >= 400 && (out["error"] == "" || len(out["error"]) > 2000) {
		t.Fatalf("error missing or too long (%d bytes): %.200q", len(out["error"]), out["error"])
	}
}
