package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// The console's limits (documented in the package and the README).
const (
	// DefaultMaxClients is how many event streams the console serves at
	// a time unless Options says otherwise; one more is refused (503).
	DefaultMaxClients = 16
	// DefaultHeartbeat is how often, in real time, a stream carries the
	// drill clock and the faults' evidence so far.
	DefaultHeartbeat = 2 * time.Second
	// MaxFeed is how many messages one run's feed keeps (every timeline
	// event of every scenario is one). Beyond it the feed says it was
	// cut, once, and drops the rest but the end of the run.
	MaxFeed = 200_000
	// TokenHeader carries the token on API calls; the query parameter
	// token does too (the page's own URL, the event stream).
	TokenHeader = "X-Drill-Token"
)

// FaultKind is a fault of the catalog as drill up's inject form offers it.
type FaultKind struct {
	Name    string   `json:"name"`
	Summary string   `json:"summary"`
	Params  []string `json:"params,omitempty"`
}

// Options configure a console.
type Options struct {
	// Addr is where it listens; empty is 127.0.0.1 on a free port.
	Addr string
	// Title says what runs ("drill run --live cost-spike").
	Title string
	// Users and Roles are the team's, for the page's "who are you" and
	// role-claim pickers; the APIs check them, not the page.
	Users []string
	Roles []string
	// Control is drill up's testbed control API (inject, clear, status),
	// served under /up/; nil in drill run. Faults are the kinds its
	// inject form offers.
	Control http.Handler
	Faults  []FaultKind
	// MaxClients bounds the event streams at a time (default
	// DefaultMaxClients); Heartbeat is their heartbeat (default
	// DefaultHeartbeat).
	MaxClients int
	Heartbeat  time.Duration
	// Token is the run's token; empty draws a random one (tests set it).
	Token  string
	Logger *slog.Logger
}

// message is one entry of the feed every stream replays and follows.
type message struct {
	id   int64
	kind string
	data []byte
}

// scenario is the one running now.
type scenario struct {
	begin    beginMsg
	log      *timeline.Log
	api      http.Handler
	evidence func(context.Context) (map[string]int64, error)
	stop     context.CancelFunc
	followed chan struct{} // closed when its follower has drained the log
}

// Server is a running console. Its methods are safe for concurrent use;
// none of those a run calls (Begin, Attach, Step, Tell, End, Finish)
// blocks on a client.
type Server struct {
	opt   Options
	token string
	srv   *loopback.Server

	clients atomic.Int64

	mu      sync.Mutex
	feed    []message
	cut     bool
	change  chan struct{} // closed and replaced on every feed append
	ended   bool
	cur     *scenario
	running int    // the index of the step that runs, -1 between steps
	card    []byte // the scorecard, JSON, once the run ended
	report  []byte // the HTML report, once the run ended
	closing chan struct{}
}

type beginMsg struct {
	Name  string   `json:"name"`
	Where string   `json:"where,omitempty"`
	Steps []string `json:"steps"`
}

type stepMsg struct {
	Index  int    `json:"index"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

type endMsg struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

type helloMsg struct {
	Title  string      `json:"title"`
	Users  []string    `json:"users"`
	Roles  []string    `json:"roles"`
	Up     bool        `json:"up"`
	Faults []FaultKind `json:"faults,omitempty"`
}

type clockMsg struct {
	Now      *time.Time       `json:"now,omitempty"` // none between scenarios
	Evidence map[string]int64 `json:"evidence,omitempty"`
}

// runEnd is the last message of a run: its summary, each scenario's
// verdict, and where the full scorecard and the report are.
type runEnd struct {
	Summary   scoring.Summary `json:"summary"`
	Scenarios []endMsg        `json:"scenarios"`
	Scorecard string          `json:"scorecard"`
	Report    string          `json:"report,omitempty"`
	Error     string          `json:"error,omitempty"`
}

// Open starts a console. It refuses a MaxClients or Heartbeat below
// zero; a listen address that is not loopback is served, but the caller
// should say that anyone who can reach it with the URL can act.
func Open(opt Options) (*Server, error) {
	if opt.MaxClients < 0 || opt.Heartbeat < 0 {
		return nil, fmt.Errorf("console: MaxClients and Heartbeat must not be negative, got %d and %s", opt.MaxClients, opt.Heartbeat)
	}
	if opt.MaxClients == 0 {
		opt.MaxClients = DefaultMaxClients
	}
	if opt.Heartbeat == 0 {
		opt.Heartbeat = DefaultHeartbeat
	}
	if opt.Users == nil {
		opt.Users = []string{}
	}
	if opt.Roles == nil {
		opt.Roles = []string{}
	}
	s := &Server{opt: opt, token: opt.Token, change: make(chan struct{}), closing: make(chan struct{}), running: -1}
	if s.token == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("console: token: %w", err)
		}
		s.token = hex.EncodeToString(b)
	}
	s.push("hello", helloMsg{Title: opt.Title, Users: opt.Users, Roles: opt.Roles, Up: opt.Control != nil, Faults: opt.Faults})
	srv, err := loopback.Serve(opt.Addr, s.handler(), opt.Logger)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	s.srv = srv
	return s, nil
}

// URL is the page's address with the run's token: the one to print.
func (s *Server) URL() string { return s.srv.URL() + "/?token=" + s.token }

// BaseURL is the console's address without the token.
func (s *Server) BaseURL() string { return s.srv.URL() }

// Token is the run's token.
func (s *Server) Token() string { return s.token }

// Loopback reports whether the console listens on a loopback address
// only.
func (s *Server) Loopback() bool {
	host, _, err := net.SplitHostPort(s.srv.Addr())
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// Close ends every stream and stops the server.
func (s *Server) Close() error {
	s.mu.Lock()
	select {
	case <-s.closing:
	default:
		close(s.closing)
	}
	cur := s.cur
	s.cur = nil
	s.mu.Unlock()
	if cur != nil {
		cur.stop()
		<-cur.followed
	}
	return s.srv.Close(2 * time.Second)
}

// push appends a message to the feed and wakes the streams. Past
// MaxFeed only the run's end gets in.
func (s *Server) push(kind string, v any) {
	data, err := json.Marshal(v)
	if err != nil { // every message type marshals
		data, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	if len(s.feed) >= MaxFeed && kind != "end" {
		if s.cut {
			return
		}
		s.cut = true
		kind, data = "cut", []byte(fmt.Sprintf(`{"limit":%d}`, MaxFeed))
	}
	s.feed = append(s.feed, message{id: int64(len(s.feed) + 1), kind: kind, data: data})
	if kind == "end" {
		s.ended = true
	}
	close(s.change)
	s.change = make(chan struct{})
}

// Begin says a scenario starts: its name, FILE:LINE and step texts.
func (s *Server) Begin(name, where string, steps []string) {
	s.detach()
	if steps == nil {
		steps = []string{}
	}
	b := beginMsg{Name: name, Where: where, Steps: steps}
	s.mu.Lock()
	s.cur = &scenario{begin: b, stop: func() {}, followed: closedChan()}
	s.running = -1
	s.mu.Unlock()
	s.push("scenario", b)
}

func closedChan() chan struct{} { c := make(chan struct{}); close(c); return c }

// Attach gives the running scenario's world: its event log (streamed
// from its first event), its live control API (served under /api/) and
// its faults' evidence so far (on each heartbeat). api or evidence may
// be nil.
func (s *Server) Attach(log *timeline.Log, api http.Handler, evidence func(context.Context) (map[string]int64, error)) {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	cur, own := s.cur, s.cur == nil
	if own { // drill up: a scenario of its own
		cur = &scenario{begin: beginMsg{Name: s.opt.Title, Steps: []string{}}}
		s.cur = cur
	}
	cur.log, cur.api, cur.evidence, cur.stop, cur.followed = log, api, evidence, cancel, make(chan struct{})
	s.mu.Unlock()
	if own { // before its first event
		s.push("scenario", cur.begin)
	}
	// Follow first, then read what is there: an event appended between
	// the two comes twice and is skipped by its sequence number.
	f := log.Follow()
	go func() {
		defer close(cur.followed)
		var last int64
		send := func(evs []timeline.Event) {
			for _, e := range evs {
				if e.Seq <= last {
					continue
				}
				last = e.Seq
				s.push("event", e)
			}
		}
		send(log.Events())
		for {
			evs, err := f.Next(ctx)
			if err != nil {
				send(log.Events()) // what landed with the end
				return
			}
			send(evs)
		}
	}()
}

// detach stops following the running scenario, after its last event.
func (s *Server) detach() {
	s.mu.Lock()
	cur := s.cur
	s.cur = nil
	s.mu.Unlock()
	if cur != nil {
		cur.stop()
		<-cur.followed
	}
}

// Step says a step of the running scenario changed state: "running",
// or a scoring.StepStatus once it ended, with its error.
func (s *Server) Step(index int, status, err string) {
	s.mu.Lock()
	if status == "running" {
		s.running = index
	} else if s.running == index {
		s.running = -1
	}
	s.mu.Unlock()
	s.push("step", stepMsg{Index: index, Status: status, Error: err})
}

// tellMsg is a line a step waits with, and the index of that step (-1
// when no step runs): the page marks the line done when the step ends,
// so the room is not left waiting on what is already judged.
type tellMsg struct {
	Text string `json:"text"`
	Step int    `json:"step"`
}

// Tell shows the room a line a step waits with (WAITING ...).
func (s *Server) Tell(msg string) {
	s.mu.Lock()
	step := s.running
	s.mu.Unlock()
	s.push("tell", tellMsg{Text: msg, Step: step})
}

// End says the running scenario ended with its verdict; its log has been
// streamed to its last event.
func (s *Server) End(rec *scoring.Scenario) {
	s.detach()
	s.push("scenario.end", endMsg{Name: rec.Name, Status: string(rec.Status), Reason: rec.Reason})
}

// Finish ends the run: the page shows the scorecard's summary and
// verdicts, /scorecard.json serves it and /report the HTML report
// (report may be nil), and every stream ends. card may be nil when the
// run ended without one; runErr then says why.
func (s *Server) Finish(card *scoring.Scorecard, report []byte, runErr error) {
	s.detach()
	end := runEnd{Scorecard: "/scorecard.json", Scenarios: []endMsg{}}
	if card != nil {
		end.Summary = card.Summary
		for _, sc := range card.Scenarios {
			end.Scenarios = append(end.Scenarios, endMsg{Name: sc.Name, Status: string(sc.Status), Reason: sc.Reason})
		}
		b, err := json.MarshalIndent(card, "", "  ")
		if err == nil {
			s.mu.Lock()
			s.card = b
			s.mu.Unlock()
		}
	}
	if len(report) > 0 {
		end.Report = "/report"
		s.mu.Lock()
		s.report = report
		s.mu.Unlock()
	}
	if runErr != nil {
		end.Error = runErr.Error()
	}
	s.push("end", end)
}

// authorized checks the token of r: 401 without one, 403 with a wrong
// one.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	got := r.Header.Get(TokenHeader)
	if got == "" {
		got = r.URL.Query().Get("token")
	}
	switch {
	case got == "":
		writeErr(w, http.StatusUnauthorized, "this console needs the token of its URL (?token=..., as drill printed it), or the "+TokenHeader+" header")
		return false
	case subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) != 1:
		writeErr(w, http.StatusForbidden, "wrong token: use the console URL drill printed for this run")
		return false
	}
	return true
}

func writeErr(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		_, _ = w.Write(pageHTML)
	})
	mux.HandleFunc("GET /console.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(pageJS)
	})
	mux.HandleFunc("GET /console.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write(pageCSS)
	})
	mux.Handle("GET /events", s.guard(http.HandlerFunc(s.serveEvents)))
	mux.Handle("GET /scorecard.json", s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveResult(w, func() []byte { return s.card }, "application/json")
	})))
	mux.Handle("GET /report", s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveResult(w, func() []byte { return s.report }, "text/html; charset=utf-8")
	})))
	mux.Handle("/api/", s.guard(http.StripPrefix("/api", http.HandlerFunc(s.serveAPI))))
	mux.Handle("/up/", s.guard(http.StripPrefix("/up", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.opt.Control == nil {
			writeErr(w, http.StatusNotFound, "faults are injected from the console of drill up only; drill run's scenarios inject their own")
			return
		}
		s.opt.Control.ServeHTTP(w, r)
	}))))
	return mux
}

// guard lets through requests with the run's token only.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.authorized(w, r) {
			h.ServeHTTP(w, r)
		}
	})
}

func (s *Server) serveResult(w http.ResponseWriter, get func() []byte, ctype string) {
	s.mu.Lock()
	b := get()
	s.mu.Unlock()
	if b == nil {
		writeErr(w, http.StatusNotFound, "not yet: the drill is still running")
		return
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(b)
}

// serveAPI hands a call to the running scenario's live control API.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var api http.Handler
	msg := "no live scenario is running now: acknowledgements, roles, notes and runbook steps wait for the next one"
	if cur := s.cur; cur != nil {
		api = cur.api
		switch {
		case cur.log == nil: // begun, its world not up yet
			msg = fmt.Sprintf("scenario %q is still setting up its world: acknowledgements, roles, notes and runbook steps open once it is ready", cur.begin.Name)
		case api == nil:
			msg = fmt.Sprintf("%q has no live control API: only drill run --live takes acknowledgements, roles, notes and runbook steps", cur.begin.Name)
		}
	}
	s.mu.Unlock()
	if api == nil {
		writeErr(w, http.StatusConflict, msg)
		return
	}
	api.ServeHTTP(w, r)
}

// serveEvents streams the feed from the message after Last-Event-ID (or
// the first), then follows it with a heartbeat, until the run ends, the
// client goes or the console closes. A client that reconnects after the
// end gets 204, which tells EventSource to stop.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeErr(w, http.StatusInternalServerError, "streaming unsupported")
		return
	}
	var next int64
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || n < 0 {
			writeErr(w, http.StatusBadRequest, "Last-Event-ID: want a message number, got "+strconv.Quote(id))
			return
		}
		next = n
	}
	s.mu.Lock()
	over := s.ended && next >= int64(len(s.feed))
	s.mu.Unlock()
	if over {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if n := s.clients.Add(1); n > int64(s.opt.MaxClients) {
		s.clients.Add(-1)
		writeErr(w, http.StatusServiceUnavailable, fmt.Sprintf("the console serves at most %d pages at a time; close one", s.opt.MaxClients))
		return
	}
	defer s.clients.Add(-1)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	beat := time.NewTicker(s.opt.Heartbeat)
	defer beat.Stop()
	for {
		s.mu.Lock()
		msgs := s.feed[min(next, int64(len(s.feed))):]
		change, ended := s.change, s.ended
		s.mu.Unlock()
		var b strings.Builder
		for _, m := range msgs {
			fmt.Fprintf(&b, "id: %d\nevent: %s\ndata: %s\n\n", m.id, m.kind, m.data)
			next = m.id
		}
		if b.Len() > 0 {
			if _, err := w.Write([]byte(b.String())); err != nil {
				return
			}
			fl.Flush()
		}
		if ended {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-change:
		case <-beat.C:
			if err := s.heartbeat(r.Context(), w); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// heartbeat writes the drill clock and the evidence so far; not part of
// the feed (no id), so a reconnect does not replay it.
func (s *Server) heartbeat(ctx context.Context, w http.ResponseWriter) error {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	var m clockMsg
	if cur != nil && cur.log != nil {
		now := cur.log.Clock().Now()
		m.Now = &now
		if cur.evidence != nil {
			ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ev, err := cur.evidence(ectx)
			cancel()
			if err == nil {
				m.Evidence = ev
			}
		}
	}
	data, _ := json.Marshal(m)
	_, err := fmt.Fprintf(w, "event: clock\ndata: %s\n\n", data)
	return err
}
