package mockllm

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/drillkit/drill/internal/faultmode"
)

// FuzzControlAPI adds any fault mockllm's control API takes (a body for
// POST /_drill/faults, or the per-request X-Drill-Force-* headers), then
// sends a chat request, streaming or not, and scrapes /metrics, on a
// virtual clock. Whatever was sent: the control API answers 201 or 400
// with a JSON object and a short error, a fault it took never panics the
// server (a counter asked to decrease, a token count that wrapped), and
// usage stays within MaxTokens.
//
//	go test ./mockllm -fuzz FuzzControlAPI -fuzztime 10s
func FuzzControlAPI(f *testing.F) {
	for _, seed := range []struct {
		body, force, params string
		stream              bool
	}{
		{`{"mode":"billing","params":{"factor":1000,"tokens":"both"}}`, "", "", false},
		{`{"mode":"billing","params":{"factor":1e25,"tokens":"both"}}`, "", "", true},
		{`{"mode":"price","params":{"factor":1000}}`, "", "", false},
		{`{"mode":"stream_cut","params":{"after_tokens":3}}`, "", "", true},
		{`{"mode":"stream_stall","params":{"after_tokens":1,"delay":"1h"}}`, "", "", true},
		{`{"mode":"rate_limit","params":{"rpm":1,"tpm":1}}`, "", "", false},
		{`{"mode":"garbage","params":{"kind":"bad_tool_args"}}`, "", "", false},
		{`{"mode":"error","count":1,"params":{"status":599,"retry_after":86400}}`, "", "", false},
		{``, "billing", `{"factor":999.9,"tokens":"prompt"}`, true},
		{``, "slow_tokens", `{"delay":"1ms"}`, true},
		{``, "error", `{"status":-1}`, false},
	} {
		f.Add(seed.body, seed.force, seed.params, seed.stream)
	}
	f.Fuzz(func(t *testing.T, body, force, params string, stream bool) {
		cfg := DefaultConfig()
		cfg.Sleeper = newFakeSleeper()
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := s.Handler()
		if body != "" {
			rec := serve(h, http.MethodPost, "/_drill/faults", body, nil)
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
		}
		hdr := map[string]string{}
		if force != "" {
			hdr[HeaderForceFault], hdr[HeaderForceParams] = force, params
		}
		extra := ""
		if stream {
			extra = `"stream":true,"stream_options":{"include_usage":true}`
		}
		rec := serve(h, http.MethodPost, "/v1/chat/completions", chatBody("gpt-4o", "drill canary", extra), hdr)
		if rec.Code == http.StatusOK && !stream {
			var u struct {
				Usage struct{ PromptTokens, CompletionTokens, TotalTokens int } `json:"usage"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &u); err == nil {
				for _, n := range []int{u.Usage.PromptTokens, u.Usage.CompletionTokens} {
					if n < 0 || n > MaxTokens {
						t.Fatalf("usage out of bounds: %+v", u.Usage)
					}
				}
			}
		}
		if m := serve(h, http.MethodGet, "/metrics", "", nil); m.Code != http.StatusOK {
			t.Fatalf("/metrics answered %d", m.Code)
		}
		for _, e := range s.Journal() {
			if e.InputTokens < 0 || e.OutputTokens < 0 || !(e.CostUSD >= 0 && e.CostUSD <= MaxCostUSD) {
				t.Fatalf("journal entry out of bounds: %+v", e)
			}
		}
	})
}

// serve sends one request from a loopback client to h and records it. A
// handler that cuts its connection on purpose (stream_cut) panics with
// http.ErrAbortHandler, as net/http wants; any other panic is a failure.
func serve(h http.Handler, method, path, body string, headers map[string]string) (rec *httptest.ResponseRecorder) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "127.0.0.1:4000"
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec = httptest.NewRecorder()
	defer func() {
		if r := recover(); r != nil && r != http.ErrAbortHandler {
			panic(r)
		}
	}()
	h.ServeHTTP(rec, req)
	return rec
}
