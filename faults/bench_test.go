package faults

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/mockllm"
)

// BenchmarkKeepAliveThroughput compares requests per second on one
// keep-alive connection through the embedded toxiproxy (no toxic) with
// requests straight to the upstream, interleaved so that both see the
// same machine load. The target is proxy/direct ≥ 0.7 for the
// upstream a drill puts behind the proxy, mockllm; see below for why
// proxy/relay says more.
//
// Beside it runs the smallest possible userspace TCP proxy, two io.Copy
// goroutines per connection: what any proxy that relays through its own
// sockets can reach, since each request then crosses the loopback twice
// each way. The empty upstream, a handler that does nothing, shows that
// ceiling at its lowest: there the relayed path does twice the socket
// work of the direct one and nothing else.
func BenchmarkKeepAliveThroughput(b *testing.B) {
	b.Run("upstream=mockllm", func(b *testing.B) {
		cfg := mockllm.DefaultConfig()
		for i := range cfg.Models {
			cfg.Models[i].Latency = mockllm.Latency{} // answer at once: the proxy's share is all that differs
		}
		s, err := mockllm.Start(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"summarise the incident"}]}`
		keepAlive(b, s.URL(), "/v1/chat/completions", body)
	})
	b.Run("upstream=empty", func(b *testing.B) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, `{"choices":[{"message":{"content":"ok"}}]}`)
		}))
		defer up.Close()
		keepAlive(b, up.URL, "/", "")
	})
}

func keepAlive(b *testing.B, upstream, path, body string) {
	p, err := NewEmbedded()
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	proxied, err := p.CreateProxy("bench", upstream)
	if err != nil {
		b.Fatal(err)
	}
	relayed := relay(b, strings.TrimPrefix(upstream, "http://"))
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	do := func(base string) time.Duration {
		start := time.Now()
		var resp *http.Response
		var err error
		if body == "" {
			resp, err = c.Get(base + path)
		} else {
			resp, err = c.Post(base+path, "application/json", strings.NewReader(body))
		}
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: status %d", base, resp.StatusCode)
		}
		return time.Since(start)
	}
	for _, u := range []string{upstream, proxied, relayed} {
		do(u) // open each keep-alive connection first
	}
	var direct, proxy, relay time.Duration
	b.ResetTimer()
	for range b.N {
		direct += do(upstream)
		proxy += do(proxied)
		relay += do(relayed)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/direct.Seconds(), "direct-req/s")
	b.ReportMetric(float64(b.N)/proxy.Seconds(), "proxy-req/s")
	b.ReportMetric(direct.Seconds()/proxy.Seconds(), "proxy/direct")
	b.ReportMetric(direct.Seconds()/relay.Seconds(), "relay/direct")
	// toxiproxy's own cost, beyond what any relaying proxy pays
	b.ReportMetric(relay.Seconds()/proxy.Seconds(), "proxy/relay")
}

// relay is the smallest userspace TCP proxy: a listener on loopback whose
// connections are copied both ways to upstream (host:port).
func relay(b *testing.B, upstream string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	b.Cleanup(func() {
		ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	return "http://" + ln.Addr().String()
}
