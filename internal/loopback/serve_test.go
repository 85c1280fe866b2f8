package loopback

import (
	"net/http"
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
