package loopback

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// get sends a GET to url in the background and reports its error.
func get(url string) <-chan error {
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	return errc
}

func TestServeBindsLoopbackAndClosesTwice(t *testing.T) {
	s, err := Serve("", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }), nil)
	require.NoError(t, err)
	require.Contains(t, s.URL(), "http://127.0.0.1:")
	resp, err := http.Get(s.URL())
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusTeapot, resp.StatusCode)
	require.NoError(t, s.Close(time.Second))
	require.NoError(t, s.Close(time.Second), "a second Close returns the first's result")
	_, err = http.Get(s.URL())
	require.Error(t, err, "the port is closed")
}

// A handler still waiting when the grace period ends sees its context
// cancelled, and Close returns only once it has returned.
func TestCloseCancelsHandlersAfterGraceAndWaits(t *testing.T) {
	started := make(chan struct{})
	var returned atomic.Bool
	s, err := Serve("", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		time.Sleep(20 * time.Millisecond) // a handler that takes a moment to wind down
		returned.Store(true)
	}), nil)
	require.NoError(t, err)
	errc := get(s.URL())
	<-started
	require.NoError(t, s.Close(50*time.Millisecond))
	require.True(t, returned.Load(), "Close returned before the handler did")
	require.Error(t, <-errc, "the cut request fails for its client")
}

// A handler that ignores its context does not hang Close: Close says how
// many handlers are still running.
func TestCloseReportsHandlersThatIgnoreCancellation(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	s, err := Serve("", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(started)
		<-release
	}), nil)
	require.NoError(t, err)
	errc := get(s.URL())
	<-started
	err = s.Close(20 * time.Millisecond)
	close(release)
	require.ErrorContains(t, err, "1 handler(s) still running")
	require.Error(t, <-errc)
}

func TestServeReportsABusyAddress(t *testing.T) {
	s, err := Serve("", http.NotFoundHandler(), nil)
	require.NoError(t, err)
	defer s.Close(time.Second)
	_, err = Serve(s.Addr(), http.NotFoundHandler(), nil)
	require.ErrorIs(t, err, syscall.EADDRINUSE)
}

// Issue 16: the mock servers held 300 slow-body connections without end.
// A client that sends headers and then trickles, or never sends, the body
// its Content-Length promised gets its handler a read error when the read
// timeout passes, and its connection closed: nothing is held.
func TestSlowBodiesAreCut(t *testing.T) {
	var readErrs atomic.Int64
	s, err := ServeWith("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			readErrs.Add(1)
			http.Error(w, "body: "+err.Error(), http.StatusRequestTimeout)
			return
		}
		w.WriteHeader(http.StatusOK)
	}), nil, Limits{ReadTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(time.Second)) }()

	const conns = 300
	closed := make(chan struct{}, conns)
	for range conns {
		c, err := net.Dial("tcp", s.Addr())
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":")
		require.NoError(t, err)
		go func() {
			_, _ = io.Copy(io.Discard, c) // until the server closes the connection
			closed <- struct{}{}
		}()
	}
	for range conns {
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("a slow-body connection is still open; %d handlers running", s.running.Load())
		}
	}
	require.EqualValues(t, conns, readErrs.Load())
	require.Eventually(t, func() bool { return s.running.Load() == 0 }, 5*time.Second, time.Millisecond)
}

// The read timeout bounds reads, not writes: a response that streams far
// longer than it (an SSE stream, after its request body was read, or a
// GET with none) is neither cut nor has its context cancelled. net/http
// lifts the read deadline once a body is read; this keeps that true.
func TestLongStreamsOutliveTheReadTimeout(t *testing.T) {
	const timeout = 50 * time.Millisecond
	s, err := ServeWith("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := range 8 {
			select {
			case <-r.Context().Done():
				return // cut: the client sees no [DONE]
			case <-time.After(timeout / 2):
			}
			fmt.Fprintf(w, "data: %d\n\n", i)
			_ = rc.Flush()
		}
		io.WriteString(w, "data: [DONE]\n\n")
	}), nil, Limits{ReadTimeout: timeout})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(time.Second)) }()

	for _, req := range []func() (*http.Response, error){
		func() (*http.Response, error) {
			return http.Post(s.URL(), "application/json", strings.NewReader(`{"stream":true}`))
		},
		func() (*http.Response, error) { return http.Get(s.URL()) },
	} {
		resp, err := req()
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
		require.True(t, strings.HasSuffix(string(b), "data: [DONE]\n\n"), "stream cut: %q", b)
	}
}

// A client that connects and keeps its connection idle is closed after
// the idle timeout, not held.
func TestIdleConnectionsAreClosed(t *testing.T) {
	s, err := ServeWith("", http.NotFoundHandler(), nil, Limits{IdleTimeout: 100 * time.Millisecond, HeaderTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(time.Second)) }()
	c, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "the server closed the silent connection")
}

// TestServesHTTP2WithPriorKnowledge: a client that speaks HTTP/2 from its
// first byte on plain HTTP (as the AWS SDK for JavaScript does) is
// served, and HTTP/1 clients still are.
func TestServesHTTP2WithPriorKnowledge(t *testing.T) {
	s, err := Serve("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, r.Proto) }), nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, s.Close(time.Second)) }()
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: p}
	defer tr.CloseIdleConnections()
	for _, c := range []struct {
		client *http.Client
		want   string
	}{{&http.Client{Transport: tr}, "HTTP/2.0"}, {http.DefaultClient, "HTTP/1.1"}} {
		resp, err := c.client.Get(s.URL())
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, c.want, string(b))
	}
}
