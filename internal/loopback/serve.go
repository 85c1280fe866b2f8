package loopback

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an HTTP server that owns its listener: Serve binds before it
// returns, so the URL is known and the port taken, and Close stops it and
// waits until it has.
type Server struct {
	ln     net.Listener
	srv    *http.Server
	served chan struct{}

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
	s := &Server{ln: ln, srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, served: make(chan struct{})}
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

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the server's base URL, http://host:port.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close shuts the server down, letting requests in flight finish for up
// to grace, then closes what is left, and returns once it has stopped.
// It is safe to call twice; the second call returns the first's error.
func (s *Server) Close(grace time.Duration) error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeErr = s.srv.Close()
		}
		<-s.served
		if s.closeErr == nil {
			s.closeErr = s.serveErr
		}
	})
	return s.closeErr
}
