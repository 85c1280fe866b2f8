package stubs

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
)

// FuzzControlAPI adds any fault a stub's control API takes, then sends the
// kit's charge request and scrapes /metrics. Whatever was sent, the
// control API answers 201 or 400 with a JSON object and a short error,
// holds no more than MaxFaults, and a fault it took never panics the
// stub. (A stub's control API is faultmode's, with the stub's validator;
// this fuzzes the two together, as a drill drives them.)
//
//	go test ./stubs -fuzz FuzzControlAPI -fuzztime 10s
func FuzzControlAPI(f *testing.F) {
	for _, seed := range []string{
		`{"mode":"error","params":{"status":503,"body":"down"}}`,
		`{"mode":"rate_limit","params":{"retry_after":86400}}`,
		`{"mode":"rate_limit","params":{"retry_after":9223372036854775807}}`,
		`{"mode":"schema_change","params":{"rename":{"id":"ID"},"drop":["status"]}}`,
		`{"mode":"slow","params":{"delay":"1h"}}`,
		`{"mode":"outage","params":{"status":503}}`,
		`{"mode":"outage"}`,
		`{"mode":"malformed","target":"create-*","count":2}`,
		`{"mode":"empty","probability":0.5}`,
		`{"mode":"expired_credentials","duration":"1ms"}`,
	} {
		f.Add(seed)
	}
	cfg, err := Kit("payments")
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range cfg.Stub.Routes {
		r.Latency = nil // answer at once: the fuzzer runs on no clock
	}
	f.Fuzz(func(t *testing.T, body string) {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		h := s.Handler()
		rec := serveStub(h, http.MethodPost, "/_drill/faults", body)
		if rec.Code != http.StatusCreated && rec.Code != http.StatusBadRequest {
			t.Fatalf("control API answered %d: %s", rec.Code, rec.Body.String())
		}
		var out map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("control API answer is not a JSON object: %v: %q", err, rec.Body.String())
		}
		if rec.Code == http.StatusBadRequest && (out["error"] == "" || len(out["error"]) > 2000) {
			t.Fatalf("error missing or too long (%d bytes)", len(out["error"]))
		}
		if len(s.Faults().List()) > faultmode.MaxFaults {
			t.Fatal("more faults than MaxFaults")
		}
		for _, st := range s.Faults().List() {
			if err := Validate(st.Mode, st.Params); err != nil {
				t.Fatalf("kept a fault its validator refuses: %v", err)
			}
		}
		serveStub(h, http.MethodPost, "/charges", `{"amount":"100","currency":"usd"}`)
		if m := serveStub(h, http.MethodGet, "/metrics", ""); m.Code != http.StatusOK {
			t.Fatalf("/metrics answered %d", m.Code)
		}
	})
}

// serveStub sends one request from a loopback client to h, bounded to a
// few milliseconds (a slow fault sleeps in real time), and records it. A
// dropped connection (outage) aborts the handler with
// http.ErrAbortHandler, as net/http wants; any other panic is a failure.
func serveStub(h http.Handler, method, path, body string) (rec *httptest.ResponseRecorder) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(method, path, rd).WithContext(ctx)
	req.RemoteAddr = "127.0.0.1:4000"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk_test")
	rec = httptest.NewRecorder()
	defer func() {
		if r := recover(); r != nil && r != http.ErrAbortHandler {
			panic(r)
		}
	}()
	h.ServeHTTP(rec, req)
	return rec
}
