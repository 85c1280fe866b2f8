package faults

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkKeepAliveThroughput compares requests per second through the
// embedded toxiproxy (no toxic) with direct requests, both on keep-alive
// connections, interleaved so both see the same machine load. The target
// is proxy/direct ≥ 0.7.
func BenchmarkKeepAliveThroughput(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"ok"}}]}`)
	}))
	defer up.Close()
	p, err := NewEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	proxied, err := p.CreateProxy("bench", up.URL)
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	do := func(url string) time.Duration {
		start := time.Now()
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start)
	}
	do(up.URL) // open both keep-alive connections first
	do(proxied)
	var direct, proxy time.Duration
	b.ResetTimer()
	for range b.N {
		direct += do(up.URL)
		proxy += do(proxied)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/direct.Seconds(), "direct-req/s")
	b.ReportMetric(float64(b.N)/proxy.Seconds(), "proxy-req/s")
	b.ReportMetric(direct.Seconds()/proxy.Seconds(), "proxy/direct")
}
