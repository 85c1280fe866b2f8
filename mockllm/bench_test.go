package mockllm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The benchmarks compare mockllm with a bare net/http handler that sends
// the same bytes, on loopback, with bounded load (64 connections), and
// report the ratios. Run: make bench, or
//
//	go test -run '^$' -bench . -benchmem ./mockllm/

const benchConns = 64

func benchConfig(ttft, itl time.Duration) Config {
	cfg := DefaultConfig()
	for i := range cfg.Models {
		cfg.Models[i].Latency = Latency{TTFT: Constant(ttft), ITL: Constant(itl)}
		cfg.Models[i].OutputTokens = TokenRange{Min: 100, Max: 100}
	}
	cfg.Sleeper = RealTime{}
	return cfg
}

// benchClient keeps conns keep-alive connections to each of two servers
// (mockllm and the bare handler), so that alternating between them never
// evicts the other's idle connections and no round pays for dialing.
func benchClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: 2 * conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
}

// load sends total requests over conns connections and returns the
// latencies and the wall time.
func load(b *testing.B, client *http.Client, url, body string, total int) ([]time.Duration, time.Duration) {
	lat := make([]time.Duration, total)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				t0 := time.Now()
				res, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, total)
	}
	return lat, time.Since(start)
}

// pairedRatio is the median, over rounds, of bare time / mock time for
// the same work in back-to-back rounds: a burst of load from elsewhere
// on the machine spoils a round or two, not the figure.
func pairedRatio(bare, mock []time.Duration) float64 {
	r := make([]float64, len(bare))
	for i := range bare {
		r[i] = bare[i].Seconds() / mock[i].Seconds()
	}
	sort.Float64s(r)
	if n := len(r); n%2 == 0 {
		return (r[n/2-1] + r[n/2]) / 2
	}
	return r[len(r)/2]
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}

func pct(xs []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(p*float64(len(s)-1))]
}

func startBench(b *testing.B, cfg Config) *Server {
	s, err := Start(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func bareServer(b *testing.B, h http.HandlerFunc) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// BenchmarkNonStreaming: mockllm chat completions against a bare handler
// returning a body of the same size. Target: ratio >= 0.8.
func BenchmarkNonStreaming(b *testing.B) {
	benchWhole(b, "/v1/chat/completions", chatBody("gpt-4o-mini", "summarise the incident", ""))
}

// BenchmarkBedrockConverse: Bedrock's Converse against the same bare
// handler, in the same run. Target: ratio >= 0.7.
func BenchmarkBedrockConverse(b *testing.B) {
	benchWhole(b, "/model/amazon.nova-lite-v1:0/converse", `{"messages":[{"role":"user","content":[{"text":"summarise the incident"}]}]}`)
}

// benchWhole measures non-streamed answers of one surface against a bare
// handler sending a body of the same size.
func benchWhole(b *testing.B, path, body string) {
	s := startBench(b, benchConfig(0, 0))
	_, sample := post(b, s.URL()+path, body)
	payload := []byte(sample)
	bare := bareServer(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	})
	client := benchClient(benchConns)
	// Short alternating rounds, so that load from elsewhere on the
	// machine hits both sides alike.
	const rounds, batch = 16, 2000
	var mockLat, bareLat []time.Duration
	var mockRounds, bareRounds []time.Duration
	b.ResetTimer()
	for range b.N {
		for range rounds {
			l, d := load(b, client, bare+"/", body, batch)
			bareLat, bareRounds = append(bareLat, l...), append(bareRounds, d)
			l, d = load(b, client, s.URL()+path, body, batch)
			mockLat, mockRounds = append(mockLat, l...), append(mockRounds, d)
		}
	}
	b.StopTimer()
	mockRPS := float64(len(mockLat)) / sum(mockRounds).Seconds()
	bareRPS := float64(len(bareLat)) / sum(bareRounds).Seconds()
	b.ReportMetric(mockRPS, "mock_req/s")
	b.ReportMetric(bareRPS, "bare_req/s")
	b.ReportMetric(pairedRatio(bareRounds, mockRounds), "ratio")
	b.ReportMetric(float64(pct(mockLat, 0.5).Microseconds()), "mock_p50_us")
	b.ReportMetric(float64(pct(mockLat, 0.99).Microseconds()), "mock_p99_us")
	b.ReportMetric(float64(pct(bareLat, 0.5).Microseconds()), "bare_p50_us")
	b.ReportMetric(float64(pct(bareLat, 0.99).Microseconds()), "bare_p99_us")
	b.ReportMetric(float64(len(payload)), "body_bytes")
}

// BenchmarkStreaming: tokens/s of 100-token streams at zero latency
// against a bare handler writing and flushing the same SSE chunks.
// Target: ratio >= 0.9.
func BenchmarkStreaming(b *testing.B) {
	s := startBench(b, benchConfig(0, 0))
	body := chatBody("gpt-4o-mini", "stream the incident", `"stream":true`)
	_, sample := post(b, s.URL()+"/v1/chat/completions", body)
	chunks := strings.SplitAfter(sample, "\n\n")
	if chunks[len(chunks)-1] == "" {
		chunks = chunks[:len(chunks)-1]
	}
	if n := strings.Count(sample, `"content":"`) - 1; n != 100 {
		b.Fatalf("want 100 tokens a stream, got %d", n)
	}
	bare := bareServer(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		rc := http.NewResponseController(w)
		for _, c := range chunks {
			_, _ = io.WriteString(w, c)
			_ = rc.Flush()
		}
	})
	client := benchClient(benchConns)
	const rounds, batch = 16, 256
	var mockRounds, bareRounds []time.Duration
	var n int
	b.ResetTimer()
	for range b.N {
		for range rounds {
			_, d := load(b, client, bare+"/", body, batch)
			bareRounds = append(bareRounds, d)
			_, d = load(b, client, s.URL()+"/v1/chat/completions", body, batch)
			mockRounds = append(mockRounds, d)
			n += batch
		}
	}
	b.StopTimer()
	mockTPS := float64(n*100) / sum(mockRounds).Seconds()
	bareTPS := float64(n*100) / sum(bareRounds).Seconds()
	b.ReportMetric(mockTPS, "mock_tokens/s")
	b.ReportMetric(bareTPS, "bare_tokens/s")
	b.ReportMetric(pairedRatio(bareRounds, mockRounds), "ratio")
}

// BenchmarkBedrockConverseStream: tokens/s of 100-token ConverseStream
// answers against a bare handler writing and flushing the same event
// stream frames. Target: ratio >= 0.7.
func BenchmarkBedrockConverseStream(b *testing.B) {
	s := startBench(b, benchConfig(0, 0))
	path := "/model/amazon.nova-lite-v1:0/converse-stream"
	body := `{"messages":[{"role":"user","content":[{"text":"stream the incident"}]}]}`
	_, sample := post(b, s.URL()+path, body)
	var frames []string
	for rest := sample; len(rest) > 0; {
		n := int(binary.BigEndian.Uint32([]byte(rest[:4]))) // the prelude's total length
		frames, rest = append(frames, rest[:n]), rest[n:]
	}
	if n := strings.Count(sample, "contentBlockDelta"); n != 100 {
		b.Fatalf("want 100 tokens a stream, got %d", n)
	}
	bare := bareServer(b, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", bedrockStreamType)
		rc := http.NewResponseController(w)
		for _, f := range frames {
			_, _ = io.WriteString(w, f)
			_ = rc.Flush()
		}
	})
	client := benchClient(benchConns)
	const rounds, batch = 16, 256
	var mockRounds, bareRounds []time.Duration
	var n int
	b.ResetTimer()
	for range b.N {
		for range rounds {
			_, d := load(b, client, bare+"/", body, batch)
			bareRounds = append(bareRounds, d)
			_, d = load(b, client, s.URL()+path, body, batch)
			mockRounds = append(mockRounds, d)
			n += batch
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(n*100)/sum(mockRounds).Seconds(), "mock_tokens/s")
	b.ReportMetric(float64(n*100)/sum(bareRounds).Seconds(), "bare_tokens/s")
	b.ReportMetric(pairedRatio(bareRounds, mockRounds), "ratio")
}

// BenchmarkConcurrentStreams holds 2,000 streams at once with a
// configured latency and checks, at the client, that the median time to
// first token and inter-token latency are within 5% of the configured
// values. The streams open over one second and each lasts 2.4s, so all
// 2,000 are open at once for more than a second. It needs about 4,100 file descriptors (ulimit -n).
func BenchmarkConcurrentStreams(b *testing.B) {
	if testing.Short() {
		b.Skip("slow")
	}
	const streams, tokens = 2000, 20
	const ttft, itl = 500 * time.Millisecond, 100 * time.Millisecond
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 2*streams+200 {
		b.Skipf("needs %d open files, ulimit -n is %d: raise it with ulimit -n 8192", 2*streams+200, lim.Cur)
	}
	cfg := benchConfig(ttft, itl)
	for i := range cfg.Models {
		cfg.Models[i].OutputTokens = TokenRange{Min: tokens, Max: tokens}
		cfg.Models[i].Latency.Capacity = 0
	}
	s := startBench(b, cfg)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: streams, MaxIdleConnsPerHost: streams}}
	url := s.URL() + "/v1/chat/completions"
	body := chatBody("gpt-4o-mini", "hold the line", `"stream":true`)
	// Open the connections first so that dialing is not counted as TTFT.
	warm := func() {
		var wg sync.WaitGroup
		for range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if res, err := client.Get(s.URL() + "/v1/models"); err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}()
		}
		wg.Wait()
	}
	var ttfts, itls []time.Duration
	var mu sync.Mutex
	var errs atomic.Int64
	var firstErr atomic.Value
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		warm()
		b.StartTimer()
		// Streams open over one second, as real traffic arrives, rather
		// than in one instant; they all overlap (each lasts 2.4s).
		var wg sync.WaitGroup
		ramp := time.Now()
		for i := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Until(ramp.Add(time.Duration(i) * time.Second / streams)))
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body))
				res, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				defer res.Body.Close()
				var stamps []time.Time
				sc := bufio.NewScanner(res.Body)
				done := false
				for sc.Scan() {
					line := sc.Bytes()
					if bytes.Contains(line, []byte(`"delta":{"content":"`)) {
						stamps = append(stamps, time.Now())
					}
					if bytes.Equal(line, []byte("data: [DONE]")) {
						done = true
					}
				}
				if sc.Err() != nil || !done || len(stamps) != tokens {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("stream ended: err %v done %v tokens %d", sc.Err(), done, len(stamps)))
					return
				}
				mu.Lock()
				ttfts = append(ttfts, stamps[0].Sub(t0))
				for i := 1; i < len(stamps); i++ {
					itls = append(itls, stamps[i].Sub(stamps[i-1]))
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	if n := errs.Load(); n > 0 {
		b.Fatalf("%d of %d streams failed; first: %v", n, streams*b.N, firstErr.Load())
	}
	p50TTFT, p50ITL := pct(ttfts, 0.5), pct(itls, 0.5)
	b.ReportMetric(float64(p50TTFT.Microseconds())/1000, "ttft_p50_ms")
	b.ReportMetric(float64(pct(ttfts, 0.99).Microseconds())/1000, "ttft_p99_ms")
	b.ReportMetric(float64(p50ITL.Microseconds())/1000, "itl_p50_ms")
	b.ReportMetric(float64(pct(itls, 0.99).Microseconds())/1000, "itl_p99_ms")
	b.ReportMetric(float64(streams), "streams")
	within := func(got, want time.Duration) bool {
		d := float64(got-want) / float64(want)
		return d < 0.05 && d > -0.05
	}
	if !within(p50TTFT, ttft) || !within(p50ITL, itl) {
		b.Errorf("p50 TTFT %v (configured %v), p50 ITL %v (configured %v): not within 5%%", p50TTFT, ttft, p50ITL, itl)
	}
}

// BenchmarkStreamMemory holds up to 10,000 streams open at once (fewer
// when ulimit -n cannot hold both ends of that many connections in one
// process) and reports the server's memory per open stream: heap and
// goroutine stacks in use, from runtime.MemStats after a GC, with all
// streams open less before any. The client end is a bare TCP
// connection that reads the first token and then waits, so what it
// holds (a socket, a few hundred bytes) is all it adds. Each stream's
// first token comes at once and the next one an hour later; closing the
// connections ends them. Target: <= 60 KB a stream.
func BenchmarkStreamMemory(b *testing.B) {
	if testing.Short() {
		b.Skip("slow")
	}
	streams := 10_000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < 2*uint64(streams)+300 {
		streams = (int(lim.Cur) - 300) / 2
	}
	if streams < 1000 {
		b.Skipf("ulimit -n is %d: needs at least 2,300 open files", lim.Cur)
	}
	cfg := benchConfig(0, time.Hour)
	for i := range cfg.Models {
		cfg.Models[i].OutputTokens = TokenRange{Min: 20, Max: 20}
		cfg.Models[i].Latency.Capacity = 0
	}
	s := startBench(b, cfg)
	addr := strings.TrimPrefix(s.URL(), "http://")
	body := chatBody("gpt-4o-mini", "hold the line", `"stream":true`)
	req := "POST /v1/chat/completions HTTP/1.1\r\nHost: " + addr +
		"\r\nContent-Type: application/json\r\nContent-Length: " + fmt.Sprint(len(body)) + "\r\n\r\n" + body
	// open dials one stream and reads until its first token arrives.
	open := func() (net.Conn, error) {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return nil, err
		}
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c, req); err != nil {
			c.Close()
			return nil, err
		}
		var got []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(got, []byte(`"delta":{"content":"`)) {
			n, err := c.Read(buf)
			if err != nil {
				c.Close()
				return nil, fmt.Errorf("before the first token: %w (read %q)", err, got)
			}
			if got = append(got, buf[:n]...); len(got) > 64<<10 {
				c.Close()
				return nil, fmt.Errorf("no token in the first 64 KB")
			}
		}
		return c, nil
	}
	heap := func() (uint64, uint64) {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse, m.StackInuse
	}
	var heapPer, stackPer float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		// One stream first, so that what every stream shares (pools,
		// the route table's first use) is not counted.
		c, err := open()
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
		b.StartTimer()
		heap0, stack0 := heap()
		conns := make([]net.Conn, streams)
		var next atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		for range benchConns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= streams {
						return
					}
					c, err := open()
					if err != nil {
						firstErr.CompareAndSwap(nil, err.Error())
						return
					}
					conns[i] = c
				}
			}()
		}
		wg.Wait()
		heap1, stack1 := heap()
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
		if e := firstErr.Load(); e != nil {
			b.Fatalf("opening %d streams: %v", streams, e)
		}
		heapPer = (float64(heap1) - float64(heap0)) / float64(streams)
		stackPer = (float64(stack1) - float64(stack0)) / float64(streams)
	}
	b.StopTimer()
	b.ReportMetric(float64(streams), "streams")
	b.ReportMetric((heapPer+stackPer)/1024, "KB/stream")
	b.ReportMetric(heapPer/1024, "heap_KB/stream")
	b.ReportMetric(stackPer/1024, "stack_KB/stream")
}

// discardWriter is a ResponseWriter that keeps nothing, so that
// BenchmarkHandlerChat measures the handler alone.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(b), nil
}
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

// BenchmarkHandlerChat: the chat completions handler's own CPU time and
// allocations for one non-streamed answer, with no network and no
// net/http server around it (building the request is counted too).
func BenchmarkHandlerChat(b *testing.B) {
	benchHandler(b, chatBody("gpt-4o-mini", "summarise the incident", ""))
}

// BenchmarkHandlerChatTools is BenchmarkHandlerChat for an agent's
// request with two tools (benchToolsBody), answered with a tool call.
func BenchmarkHandlerChatTools(b *testing.B) { benchHandler(b, benchToolsBody) }

// BenchmarkHandlerTools: the agent's request of BenchmarkHandlerChatTools
// on each surface with tools, through the handler alone.
func BenchmarkHandlerTools(b *testing.B) {
	for _, sc := range benchSurfaces {
		if strings.HasSuffix(sc.name, "-tools") {
			b.Run(strings.TrimSuffix(sc.name, "-tools"), func(b *testing.B) { benchHandlerAt(b, sc.path, sc.body) })
		}
	}
}

func benchHandler(b *testing.B, body string) { benchHandlerAt(b, "/v1/chat/completions", body) }

// benchHandlerAt is benchHandler on any surface's path.
func benchHandlerAt(b *testing.B, path, body string) {
	s, err := New(benchConfig(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	b.ReportAllocs()
	for range b.N {
		r, _ := http.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header["Content-Type"] = []string{"application/json"}
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("status %d: headers %v", w.code, w.h)
		}
	}
}
