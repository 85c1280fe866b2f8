// Command bot is a support bot, the service under test of the supportbot
// test team: not an OpenAI-compatible gateway but an API of its own,
// POST /api/ask {"question"} answered by an LLM provider's chat
// completions, and GET /search?q=. It fails over to a second provider
// through POST /admin/failover, and exposes its own metrics. With
// STORE_URL set it counts every question in a store first: `bot store`
// is that store, a dependency of its own for the compose drills, keeping
// its count in a file under --data.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Prices of gpt-4o-mini, USD per token.
const inPrice, outPrice = 0.15e-6, 0.60e-6

type bot struct {
	model     string
	client    *http.Client
	mu        sync.Mutex
	active    string // "primary" or "fallback"
	urls      map[string]string
	requests  *prometheus.CounterVec
	tokens    *prometheus.CounterVec
	cost      prometheus.Counter
	latencies prometheus.Histogram
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "store" {
		os.Exit(store(os.Args[2:]))
	}
	listen := flag.String("listen", os.Getenv("LISTEN"), "address to listen on (default $LISTEN)")
	flag.Parse()
	b := &bot{
		model:  os.Getenv("LLM_MODEL"),
		client: &http.Client{Timeout: 10 * time.Second},
		active: "primary",
		urls:   map[string]string{"primary": os.Getenv("LLM_URL"), "fallback": os.Getenv("LLM_FALLBACK_URL")},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "supportbot_requests_total",
			Help: "Requests answered, by route and outcome (ok, error)."}, []string{"route", "outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "supportbot_llm_tokens_total",
			Help: "LLM tokens billed, by type (input, output)."}, []string{"type"}),
		cost: prometheus.NewCounter(prometheus.CounterOpts{Name: "supportbot_llm_cost_usd_total",
			Help: "LLM spend in USD."}),
		latencies: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "supportbot_ask_duration_seconds",
			Help: "Time to answer a question.", Buckets: prometheus.DefBuckets}),
	}
	if b.urls["primary"] == "" || b.urls["fallback"] == "" {
		fmt.Fprintln(os.Stderr, "bot: LLM_URL and LLM_FALLBACK_URL must be set")
		os.Exit(2)
	}
	for _, o := range []string{"ok", "error"} {
		b.requests.WithLabelValues("ask", o)
		b.requests.WithLabelValues("search", o)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(b.requests, b.tokens, b.cost, b.latencies)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/ask", b.ask)
	mux.HandleFunc("GET /search", b.search)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if u := os.Getenv("STORE_URL"); u != "" {
			resp, err := b.client.Get(u + "/healthz")
			if err != nil {
				http.Error(w, "store unreachable: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
			resp.Body.Close()
		}
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /admin/state", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		fmt.Fprintf(w, "{\"active\": %q}\n", b.active)
	})
	mux.HandleFunc("POST /admin/failover", func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.active = "fallback"
		fmt.Fprintf(w, "{\"active\": %q}\n", b.active)
	})
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "bot:", err)
		os.Exit(1)
	}
}

func (b *bot) fail(w http.ResponseWriter, route string, status int, msg string) {
	b.requests.WithLabelValues(route, "error").Inc()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (b *bot) ask(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() { b.latencies.Observe(time.Since(start).Seconds()) }()
	var in struct {
		Question string `json:"question"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&in); err != nil || strings.TrimSpace(in.Question) == "" {
		b.fail(w, "ask", http.StatusBadRequest, `expected {"question": "..."}`)
		return
	}
	if u := os.Getenv("STORE_URL"); u != "" {
		resp, err := b.client.Post(u+"/incr", "text/plain", nil)
		if err != nil {
			b.fail(w, "ask", http.StatusServiceUnavailable, "store: "+err.Error())
			return
		}
		resp.Body.Close()
	}
	b.mu.Lock()
	url := b.urls[b.active]
	b.mu.Unlock()
	body, _ := json.Marshal(map[string]any{"model": b.model, "messages": []map[string]string{{"role": "user", "content": in.Question}}})
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		b.fail(w, "ask", http.StatusInternalServerError, err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		b.fail(w, "ask", http.StatusBadGateway, "LLM provider: "+err.Error())
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		b.fail(w, "ask", http.StatusBadGateway, fmt.Sprintf("LLM provider answered %d", resp.StatusCode))
		return
	}
	var out struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int64 `json:"prompt_tokens"`
			CompletionTokens int64 `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&out); err != nil || len(out.Choices) == 0 {
		b.fail(w, "ask", http.StatusBadGateway, "LLM provider: no answer")
		return
	}
	cost := float64(out.Usage.PromptTokens)*inPrice + float64(out.Usage.CompletionTokens)*outPrice
	b.tokens.WithLabelValues("input").Add(float64(out.Usage.PromptTokens))
	b.tokens.WithLabelValues("output").Add(float64(out.Usage.CompletionTokens))
	b.cost.Add(cost)
	b.requests.WithLabelValues("ask", "ok").Inc()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"answer":   out.Choices[0].Message.Content,
		"usage":    map[string]int64{"input_tokens": out.Usage.PromptTokens, "output_tokens": out.Usage.CompletionTokens},
		"cost_usd": cost,
	})
}

func (b *bot) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if q == "" {
		b.fail(w, "search", http.StatusBadRequest, "expected ?q=")
		return
	}
	b.requests.WithLabelValues("search", "ok").Inc()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"query": q, "hits": []map[string]string{{"id": "kb-1", "title": "Refunds and returns"}}})
}

// store serves the question count: POST /incr adds one and answers the
// count, kept in a file under --data.
func store(args []string) int {
	fs := flag.NewFlagSet("store", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:6380", "address to listen on")
	data := fs.String("data", "/data", "directory of the count file")
	_ = fs.Parse(args)
	var mu sync.Mutex
	file := filepath.Join(*data, "count")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("POST /incr", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, _ := os.ReadFile(file)
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		n++
		if err := os.WriteFile(file, []byte(strconv.Itoa(n)), 0o644); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, n)
	})
	fmt.Println("store listening on", *listen)
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	// As PID 1 of a container, nothing but a handler ends it on SIGTERM.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "store:", err)
		return 1
	}
	return 0
}
