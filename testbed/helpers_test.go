package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// sectionsOf splits drill.yaml text into the topology sections, the way
// team.Config keeps them.
func sectionsOf(t testing.TB, data []byte) Sections {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	var s Sections
	if len(doc.Content) == 0 {
		return s
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		v := root.Content[i+1]
		switch root.Content[i].Value {
		case "providers":
			s.Providers = v
		case "stubs":
			s.Stubs = v
		case "service":
			s.Service = v
		case "traffic":
			s.Traffic = v
		case "toxiproxy":
			s.Toxiproxy = v
		}
	}
	return s
}

func loadTopology(t testing.TB, file string) Topology {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	top, err := ParseTopology(file, sectionsOf(t, data))
	require.NoError(t, err)
	return top
}

func parseText(t testing.TB, text string) Topology {
	t.Helper()
	top, err := ParseTopology(filepath.Join("testdata", "drill.yaml"), sectionsOf(t, []byte(text)))
	require.NoError(t, err)
	return top
}

// startTestbed starts the standard test topology with traffic off.
func startTestbed(t testing.TB, top Topology, opts Options) *Testbed {
	t.Helper()
	opts.TrafficOff = true
	if opts.Dir == "" {
		opts.Dir = "testdata"
	}
	tb, err := Start(context.Background(), top, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tb.Close()) })
	return tb
}

var client = &http.Client{Timeout: 20 * time.Second}

type reply struct {
	status int
	body   string
	took   time.Duration
	err    error
}

func post(url string, body any) reply {
	b, _ := json.Marshal(body)
	start := time.Now()
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return reply{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: string(data), took: time.Since(start), err: err}
}

func get(url string) reply {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return reply{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: string(data), took: time.Since(start), err: err}
}

func chat(base, prompt string, extra map[string]any) reply {
	req := map[string]any{"model": "gpt-4o-mini", "messages": []map[string]string{{"role": "user", "content": prompt}}}
	for k, v := range extra {
		req[k] = v
	}
	return post(base+"/v1/chat/completions", req)
}

// metric sums the samples of a metric family whose lines contain every
// one of match, from Prometheus text.
func metric(t testing.TB, url, name string, match ...string) float64 {
	t.Helper()
	r := get(url)
	require.NoError(t, r.err)
	var sum float64
	for _, line := range strings.Split(r.body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, m := range match {
			ok = ok && strings.Contains(line, m)
		}
		if !ok {
			continue
		}
		var v float64
		f := strings.Fields(line)
		_ = json.Unmarshal([]byte(f[len(f)-1]), &v)
		sum += v
	}
	return sum
}
