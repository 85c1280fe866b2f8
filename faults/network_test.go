package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/drillkit/drill/internal/leakcheck"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// world is an upstream behind an embedded proxy, with an injector.
type world struct {
	proxies  *Proxies
	upstream *httptest.Server
	hits     atomic.Int64
	url      string // the upstream through the proxy
	log      *timeline.Log
	inj      *Injector
}

// leakCheck verifies, after every other cleanup of the test, that no
// goroutine is left behind (but toxiproxy's own, see leakcheck).
func leakCheck(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t, leakcheck.Toxiproxy()...) })
}

func newWorld(t *testing.T, body string) *world {
	t.Helper()
	w := &world{}
	w.upstream = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.hits.Add(1)
		_, _ = io.WriteString(rw, body)
	}))
	p, err := NewEmbedded()
	require.NoError(t, err)
	w.proxies = p
	w.url, err = p.CreateProxy("llm", w.upstream.URL)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(w.url, "http://127.0.0.1:"), w.url)
	w.log = timeline.NewLog(timeline.NewVirtual(t0))
	w.inj = NewInjector(Targets{Proxies: p}, w.log)
	t.Cleanup(func() {
		require.NoError(t, w.inj.RemoveAll(context.Background()))
		require.NoError(t, w.proxies.Close())
		require.NoError(t, w.proxies.Close()) // safe twice
		w.upstream.Close()
	})
	return w
}

// client returns a keep-alive client that is closed with the test.
func client(t *testing.T, timeout time.Duration) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

func get(c *http.Client, url string) (string, time.Duration, error) {
	start := time.Now()
	resp, err := c.Get(url)
	if err != nil {
		return "", time.Since(start), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), time.Since(start), err
}

func mustParse(t *testing.T, kind string, params map[string]string) Spec {
	t.Helper()
	s, err := Parse(kind, params)
	require.NoError(t, err)
	return s
}

func offEvent(t *testing.T, l *timeline.Log, id string) timeline.Event {
	t.Helper()
	e, ok := l.Find(timeline.OfKind(timeline.FaultOff, id))
	require.True(t, ok, "no fault.off for %s in %v", id, l.Events())
	return e
}

func TestNetworkFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts toxiproxy and drives real connections")
	}
	leakCheck(t)
	body := strings.Repeat("x", 4096)

	cases := []struct {
		kind   string
		params map[string]string
		// hurt checks one request made while the fault is on.
		hurt func(t *testing.T, got string, took time.Duration, err error)
	}{
		{"latency", map[string]string{"latency": "300"}, func(t *testing.T, got string, took time.Duration, err error) {
			require.NoError(t, err)
			require.Equal(t, body, got)
			require.GreaterOrEqual(t, took, 300*time.Millisecond)
		}},
		{"blackhole", nil, func(t *testing.T, _ string, _ time.Duration, err error) {
			var ne net.Error
			require.True(t, errors.As(err, &ne) && ne.Timeout(), "want a client timeout, got %v", err)
		}},
		{"reset", nil, func(t *testing.T, _ string, _ time.Duration, err error) {
			require.Error(t, err)
		}},
		{"limit_data", map[string]string{"bytes": "100"}, func(t *testing.T, got string, _ time.Duration, err error) {
			require.True(t, err != nil || len(got) < len(body), "want a truncated body, got %d bytes, err %v", len(got), err)
		}},
		{"bandwidth", map[string]string{"rate": "8"}, func(t *testing.T, got string, took time.Duration, err error) {
			require.NoError(t, err)
			require.Equal(t, body, got)
			require.GreaterOrEqual(t, took, 300*time.Millisecond) // 4 KB at 8 KB/s is ~0.5s
		}},
		{"slicer", map[string]string{"average_size": "64", "size_variation": "0", "delay": "5000"}, func(t *testing.T, got string, took time.Duration, err error) {
			require.NoError(t, err)
			require.Equal(t, body, got)
			require.GreaterOrEqual(t, took, 100*time.Millisecond) // 64 slices, 5ms apart
		}},
		{"outage", nil, func(t *testing.T, _ string, _ time.Duration, err error) {
			require.True(t, errors.Is(err, syscall.ECONNREFUSED), "want connection refused, got %v", err)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			w := newWorld(t, body)
			c := client(t, time.Second)
			// A keep-alive connection opened before the fault: it counts.
			got, _, err := get(c, w.url)
			require.NoError(t, err)
			require.Equal(t, body, got)

			a, err := w.inj.Apply(context.Background(), "f1", mustParse(t, tc.kind, tc.params), "llm", Schedule{})
			require.NoError(t, err)
			require.True(t, a.On())
			on, ok := w.log.Find(timeline.OfKind(timeline.FaultOn, "f1"))
			require.True(t, ok)
			require.Equal(t, tc.kind, on.Labels["kind"])

			got, took, err := get(c, w.url)
			tc.hurt(t, got, took, err)
			n, err := a.Affected(context.Background())
			require.NoError(t, err)
			require.GreaterOrEqual(t, n, int64(1))

			require.NoError(t, a.Stop(context.Background()))
			off := offEvent(t, w.log, "f1")
			require.Equal(t, string(scoring.EvidenceToxiproxy), off.Attrs["evidence"])
			require.NotEqual(t, "0", off.Attrs["affected"])

			// Gone: the proxy is clean and requests pass unharmed.
			names, err := w.proxies.Toxics("llm")
			require.NoError(t, err)
			require.Empty(t, names)
			up, err := w.proxies.Enabled("llm")
			require.NoError(t, err)
			require.True(t, up)
			c2 := client(t, time.Second)
			got, took, err = get(c2, w.url)
			require.NoError(t, err)
			require.Equal(t, body, got)
			require.Less(t, took, 250*time.Millisecond)
		})
	}
}

// A fault through which nothing passed has zero evidence: the drill must
// be able to tell it is inconclusive.
func TestNetworkZeroEvidence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts toxiproxy")
	}
	leakCheck(t)
	w := newWorld(t, "ok")
	a, err := w.inj.Apply(context.Background(), "quiet", mustParse(t, "latency", nil), "llm", Schedule{})
	require.NoError(t, err)
	require.NoError(t, a.Stop(context.Background()))
	require.Equal(t, "0", offEvent(t, w.log, "quiet").Attrs["affected"])
}

// Connections are counted once however many requests they carry, and
// those opened during the fault count too.
func TestNetworkEvidenceCountsConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("starts toxiproxy")
	}
	leakCheck(t)
	w := newWorld(t, "ok")
	a, err := w.inj.Apply(context.Background(), "lat", mustParse(t, "latency", map[string]string{"latency": "1"}), "llm", Schedule{})
	require.NoError(t, err)
	c1 := client(t, time.Second)
	for range 5 {
		_, _, err := get(c1, w.url)
		require.NoError(t, err)
	}
	c2 := client(t, time.Second)
	_, _, err = get(c2, w.url)
	require.NoError(t, err)
	n, err := a.Affected(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(2), n)
	require.Equal(t, int64(6), w.hits.Load())
	require.NoError(t, a.Stop(context.Background()))
	// Closed connections leave the open set.
	c1.Transport.(*http.Transport).CloseIdleConnections()
	c2.Transport.(*http.Transport).CloseIdleConnections()
	require.Eventually(t, func() bool { return w.proxies.tracker.openConns("llm") == 0 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, int64(2), w.proxies.tracker.acceptedConns("llm"))
}

func TestProxiesErrors(t *testing.T) {
	leakCheck(t)
	p, err := NewEmbedded()
	require.NoError(t, err)
	defer p.Close()
	_, err = p.CreateProxy("a", "not a host")
	require.EqualError(t, err, `faults: proxy "a": upstream: want host:port or http://host:port, got "not a host"`)
	addr, err := p.CreateProxy("a", "127.0.0.1:9")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(addr, "127.0.0.1:"), addr)
	_, err = p.CreateProxy("a", "127.0.0.1:9")
	require.EqualError(t, err, `faults: proxy "a" already exists`)
	require.EqualError(t, p.Disable("b"), `faults: no proxy "b"; proxies are: a`)
	require.Equal(t, []string{"a"}, p.Names())

	_, err = NewExternal("localhost:8474")
	require.ErrorContains(t, err, "want http://host:port")
}

// An external toxiproxy is driven the same way; here the "external" server
// is an embedded one reached by its URL only.
func TestExternalBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts toxiproxy")
	}
	leakCheck(t)
	server, err := NewEmbedded()
	require.NoError(t, err)
	defer server.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	defer up.Close()

	ext, err := NewExternal(server.URL())
	require.NoError(t, err)
	require.Equal(t, External, ext.Backend())
	require.False(t, ext.HasEvidence())
	u, err := ext.CreateProxy("svc", up.URL)
	require.NoError(t, err)
	log := timeline.NewLog(timeline.NewVirtual(t0))
	inj := NewInjector(Targets{Proxies: ext}, log)
	_, err = inj.Apply(context.Background(), "down", mustParse(t, "outage", nil), "svc", Schedule{})
	require.NoError(t, err)
	c := client(t, time.Second)
	_, _, err = get(c, u)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.NoError(t, inj.RemoveAll(context.Background()))
	require.Equal(t, string(scoring.EvidenceUnavailable), offEvent(t, log, "down").Attrs["evidence"])
	got, _, err := get(c, u)
	require.NoError(t, err)
	require.Equal(t, "ok", got)
	require.NoError(t, ext.Close())
	left, err := server.client.Proxies()
	require.NoError(t, err)
	require.Empty(t, left) // ext deleted its proxy on the server
}
