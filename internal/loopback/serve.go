package loopback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an HTTP server that owns its listener: Serve binds before it
// returns, so the URL is known and the port taken, and Close stops it and
// waits until it has, handlers included.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	served chan struct{}

	// Every request's context derives from base, which Close cancels once
	// the grace period is over, so a handler waiting on an upstream or a
	// drill-time sleep returns instead of outliving the server.
	base     context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup
	running  atomic.Int64 // handlers running now

	once     sync.Once
	serveErr error // from Serve, other than ErrServerClosed
	closeErr error
}

// Serve listens on addr (127.0.0.1:0 when empty) and serves h. Every
// server of a testbed reads request headers within 10 seconds, as a
// guard against a client that connects and says nothing. What net/http
// itself reports (a handler's panic, a bad handshake) goes to logger as
// warnings; nil leaves it to the standard log.
func Serve(addr string, h http.Handler, logger *slog.Logger) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, served: make(chan struct{})}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           s.track(h),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return s.base },
	}
	if logger != nil {
		s.srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
	}()
	return s, nil
}

// track counts the handlers running, so that Close can wait for them.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		s.running.Add(1)
		defer func() {
			s.running.Add(-1)
			s.inflight.Done()
		}()
		h.ServeHTTP(w, r)
	})
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server's base URL, http://host:port.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close shuts the server down: it stops accepting, lets requests in
// flight finish for up to grace, then cancels their contexts and closes
// their connections, and returns once every handler has returned. A
// handler that ignores its context gets one more grace period; Close then
// returns an error saying how many are still running rather than hang a
// drill's teardown. It is safe to call twice; the second call returns the
// first's error.
func (s *Server) Close(grace time.Duration) error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.cancel()
			s.closeErr = s.srv.Close()
		}
		s.cancel()
		<-s.served
		if s.closeErr == nil {
			s.closeErr = s.serveErr
		}
		if err := s.waitHandlers(grace); err != nil {
			s.closeErr = errors.Join(s.closeErr, err)
		}
	})
	return s.closeErr
}

// waitHandlers waits up to d for every handler to return.
func (s *Server) waitHandlers(d time.Duration) error {
	done := make(chan struct{})
	go func() {
		s.inflight.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("%s: %d handler(s) still running %s after their requests were cancelled", s.Addr(), s.running.Load(), d)
	}
}
