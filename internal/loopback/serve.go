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

// Limits bound what a client may hold of a server. They bound reads
// only: a response (a long SSE stream, a stalled answer a fault asked
// for) takes as long as its handler does, so there is no write timeout.
type Limits struct {
	// HeaderTimeout is how long a client has to send a request's line
	// and headers.
	HeaderTimeout time.Duration
	// ReadTimeout is how long a client has to send a whole request,
	// headers and body, from its first byte: a client trickling a body,
	// or sending fewer bytes than its Content-Length promised, gets its
	// handler a read error and its connection closed instead of holding
	// them without end. Once the body is read to its end net/http lifts
	// the deadline, so the response may stream for as long as it likes
	// (TestLongStreamsOutliveTheReadTimeout keeps that true).
	ReadTimeout time.Duration
	// IdleTimeout closes a kept-alive connection that sends no new
	// request for this long.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers.
	MaxHeaderBytes int
}

// DefaultLimits are the limits of every drill server (Serve).
var DefaultLimits = Limits{
	HeaderTimeout:  10 * time.Second,
	ReadTimeout:    30 * time.Second,
	IdleTimeout:    2 * time.Minute,
	MaxHeaderBytes: 1 << 20,
}

// Serve listens on addr (127.0.0.1:0 when empty) and serves h within
// DefaultLimits: every server of a testbed reads request headers within
// 10 seconds and a whole request within 30, as a guard against a client
// that connects and says nothing or trickles a body. What net/http
// itself reports (a handler's panic, a bad handshake) goes to logger as
// warnings; nil leaves it to the standard log.
func Serve(addr string, h http.Handler, logger *slog.Logger) (*Server, error) {
	return ServeWith(addr, h, logger, DefaultLimits)
}

// ServeWith is Serve with other limits; zero fields take DefaultLimits.
func ServeWith(addr string, h http.Handler, logger *slog.Logger, lim Limits) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	lim = lim.withDefaults()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, served: make(chan struct{})}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           s.track(h),
		ReadHeaderTimeout: lim.HeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		Protocols:         protocols(),
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

// protocols are HTTP/1 and unencrypted HTTP/2 with prior knowledge: the
// servers are plain HTTP, and some official clients speak HTTP/2 to any
// endpoint (the AWS SDK for JavaScript's Bedrock Runtime client does, as
// the real endpoints offer it), so they must be served too.
func protocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	return p
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.HeaderTimeout <= 0 {
		l.HeaderTimeout = d.HeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = d.ReadTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	return l
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
