package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkProxy compares chat completions sent straight to a fake provider
// with the same requests through the gateway (routing, breaker, budget
// check, usage parsing, cost, validation, metrics), on keep-alive
// connections. req/s is reported per sub-benchmark; the ratio is the
// gateway's overhead.
func BenchmarkProxy(b *testing.B) {
	resp := []byte(completionJSON("gpt-4o-mini", "The quick brown fox jumps over the lazy dog.", 42, 11))
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(resp)
	}))
	defer provider.Close()
	cfg := testConfig(provider, nil)
	cfg.BudgetUSDPerMin = 1e9 // exercise the budget path without tripping it
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := []byte(`{"model":"gpt-4o-mini","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Say something about foxes."}]}`)

	for _, target := range []struct{ name, url string }{
		{"direct", provider.URL + "/v1/chat/completions"},
		{"gateway", s.URL() + "/v1/chat/completions"},
	} {
		b.Run(target.name, func(b *testing.B) {
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, err := client.Post(target.url, "application/json", bytes.NewReader(body))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, r.Body)
					r.Body.Close()
					if r.StatusCode != http.StatusOK {
						b.Errorf("status %d", r.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
