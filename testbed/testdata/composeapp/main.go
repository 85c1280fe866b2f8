// Command composeapp is the service of the compose test: `composeapp
// store` is a small key-value store keeping its counts in a file under
// /data (a compose volume); `composeapp api` answers POST /ask by counting
// the question in the store (reached as http://store:PORT, the compose
// name) and asking the LLM provider (LLM_URL) for a chat completion.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: composeapp store|api")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "store":
		err = store()
	case "api":
		err = api()
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "composeapp:", err)
		os.Exit(1)
	}
}

func store() error {
	var mu sync.Mutex
	file := filepath.Join(os.Getenv("DATA_DIR"), "count")
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
	fmt.Println("store listening on", os.Getenv("STORE_ADDR"))
	return http.ListenAndServe(os.Getenv("STORE_ADDR"), mux)
}

func api() error {
	client := &http.Client{Timeout: 10 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Get(os.Getenv("STORE_URL") + "/healthz")
		if err != nil {
			http.Error(w, "store unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		resp.Body.Close()
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("POST /ask", func(w http.ResponseWriter, r *http.Request) {
		resp, err := client.Post(os.Getenv("STORE_URL")+"/incr", "text/plain", nil)
		if err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusBadGateway)
			return
		}
		count, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body, _ := json.Marshal(map[string]any{"model": "gpt-4o-mini", "messages": []map[string]string{{"role": "user", "content": "hello"}}})
		resp, err = client.Post(os.Getenv("LLM_URL")+"/v1/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			http.Error(w, "LLM: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, fmt.Sprintf("LLM answered %d", resp.StatusCode), http.StatusBadGateway)
			return
		}
		var out struct {
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) == 0 {
			http.Error(w, "LLM: no answer", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"answer": out.Choices[0].Message.Content, "count": strings.TrimSpace(string(count))})
	})
	fmt.Println("api listening on", os.Getenv("API_ADDR"))
	return http.ListenAndServe(os.Getenv("API_ADDR"), mux)
}
