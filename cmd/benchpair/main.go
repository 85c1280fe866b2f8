// Command benchpair serves mockllm and a bare net/http handler side by
// side on loopback, for measuring mockllm from outside with a load tool
// (scripts/wrk-mockllm.sh runs wrk against both, alternating).
//
// mockllm runs with zero latency and 100 output tokens a request; the
// bare handler answers every request with the bytes mockllm sent for a
// sample of the same request on the same surface: the same status, the
// same headers (less Date and Content-Length, which net/http writes) and
// the same body, streamed frames flushed one by one as mockllm flushes
// them. The difference between the two is then mockllm's own work. The
// garbage collector is set as the drill binary sets it (GOGC=400 with a
// soft memory limit; GOGC and GOMEMLIMIT in the environment win).
//
//	benchpair -mock 127.0.0.1:18080 -bare 127.0.0.1:18081 -path /v1/chat/completions -body '{...}'
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/drillkit/drill/internal/gctune"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/mockllm"
)

func main() {
	mockAddr := flag.String("mock", "127.0.0.1:18080", "mockllm's listen address (loopback)")
	bareAddr := flag.String("bare", "127.0.0.1:18081", "the bare handler's listen address (loopback)")
	path := flag.String("path", "/v1/chat/completions", "the surface's path, sampled once to build the bare answer")
	body := flag.String("body", `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"summarise the incident"}]}`, "the request body sampled")
	bareServer := flag.String("bare-server", "plain", "how the bare handler is served: plain (net/http's defaults) or loopback (mockllm's own server settings: timeouts, h2c, a base context that Close cancels)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address (profile mockllm under load)")
	flag.Parse()
	gctune.Apply(os.Getenv) // the garbage collector as `drill serve mockllm` sets it
	if *pprofAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		go func() {
			srv := &http.Server{Addr: *pprofAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintln(os.Stderr, "benchpair: pprof:", srv.ListenAndServe())
		}()
	}
	if *bareServer != "plain" && *bareServer != "loopback" {
		fmt.Fprintf(os.Stderr, "benchpair: -bare-server %q: want plain or loopback\n", *bareServer)
		os.Exit(2)
	}
	if err := run(*mockAddr, *bareAddr, *path, *body, *bareServer == "loopback"); err != nil {
		fmt.Fprintln(os.Stderr, "benchpair:", err)
		os.Exit(1)
	}
}

func run(mockAddr, bareAddr, path, body string, asMockllm bool) error {
	for _, a := range []string{mockAddr, bareAddr} {
		if host, _, err := net.SplitHostPort(a); err != nil || !net.ParseIP(host).IsLoopback() {
			return fmt.Errorf("listen address %q: want a loopback host:port", a)
		}
	}
	cfg := mockllm.DefaultConfig()
	for i := range cfg.Models {
		cfg.Models[i].Latency = mockllm.Latency{TTFT: mockllm.Constant(0), ITL: mockllm.Constant(0)}
		cfg.Models[i].OutputTokens = mockllm.TokenRange{Min: 100, Max: 100}
	}
	cfg.Sleeper = mockllm.RealTime{}
	cfg.Addr = mockAddr
	s, err := mockllm.Start(cfg)
	if err != nil {
		return err
	}
	defer s.Close()

	res, err := http.Post(s.URL()+path, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	sample, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("sample %s: status %d: %s", path, res.StatusCode, sample)
	}
	frames := split(res.Header.Get("Content-Type"), sample)
	header := res.Header.Clone()
	header.Del("Date")
	header.Del("Content-Length")
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		if len(frames) == 1 {
			_, _ = w.Write(frames[0])
			return
		}
		rc := http.NewResponseController(w)
		for _, f := range frames {
			_, _ = w.Write(f)
			_ = rc.Flush()
		}
	})
	report := func(bareURL string) {
		fmt.Printf("mockllm %s%s\nbare    %s%s\nsample  %d bytes in %d frames\n", s.URL(), path, bareURL, path, len(sample), len(frames))
	}
	if asMockllm {
		srv, err := loopback.Serve(bareAddr, bare, nil)
		if err != nil {
			return err
		}
		defer srv.Close(time.Second)
		report(srv.URL())
		select {} // until killed, as the plain server below
	}
	ln, err := net.Listen("tcp", bareAddr)
	if err != nil {
		return err
	}
	report("http://" + ln.Addr().String())
	return (&http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: bare}).Serve(ln)
}

// split cuts a sampled answer into the pieces mockllm flushed: SSE
// events, AWS event stream messages, JSON stream lines; a whole answer
// is one piece.
func split(contentType string, b []byte) [][]byte {
	switch {
	case strings.HasPrefix(contentType, "text/event-stream"):
		var out [][]byte
		for len(b) > 0 {
			i := bytes.Index(b, []byte("\n\n"))
			if i < 0 {
				return append(out, b)
			}
			out, b = append(out, b[:i+2]), b[i+2:]
		}
		return out
	case strings.HasPrefix(contentType, "application/vnd.amazon.eventstream"):
		var out [][]byte
		for len(b) >= 4 {
			n := int(binary.BigEndian.Uint32(b[:4]))
			if n < 16 || n > len(b) {
				return append(out, b)
			}
			out, b = append(out, b[:n]), b[n:]
		}
		return out
	}
	return [][]byte{b}
}
