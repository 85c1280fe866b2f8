package response

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/internal/statedir"
)

// LiveInfo is the content of a live drill's state file (statedir's
// live.json): its endpoint and the process serving it.
type LiveInfo struct {
	URL string `json:"url"`
	PID int    `json:"pid,omitempty"`
}

// ErrNoLive is wrapped by ReadLiveFile's error when no live drill runs
// there: the file is missing, or its process ended.
var ErrNoLive = errors.New("no live drill")

// WriteLiveFile records url, served by this process, in the live.json of
// the state folder of root (statedir.At(root)).
func WriteLiveFile(root, url string) error {
	b, _ := json.MarshalIndent(LiveInfo{URL: url, PID: os.Getpid()}, "", "  ")
	return statedir.Write(statedir.At(root).Live(), append(b, '\n'))
}

// RemoveLiveFile removes the live.json of the state folder of root if it
// still names url, so that ack, note and role never find a drill that
// ended; a file a later live drill wrote stays.
func RemoveLiveFile(root, url string) error {
	p := statedir.At(root).Live()
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var info LiveInfo
	if json.Unmarshal(b, &info) == nil && info.URL != url {
		return nil
	}
	return os.Remove(p)
}

// ReadLiveFile reads the live.json at path. A missing file, or one whose
// process no longer runs, is an error wrapping ErrNoLive; a file that is
// not {"url": ...} is an error naming it.
func ReadLiveFile(path string) (LiveInfo, error) {
	var info LiveInfo
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return info, fmt.Errorf("%w found: no %s; start one with drill run --live, or pass --url", ErrNoLive, path)
	}
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal(b, &info); err != nil || info.URL == "" {
		return info, fmt.Errorf(`%s: expected {"url": "http://127.0.0.1:PORT"}`, path)
	}
	if info.PID != 0 && !statedir.Alive(info.PID) {
		return info, fmt.Errorf("%w found: the live drill that wrote %s (pid %d) is no longer running; start one with drill run --live, or pass --url", ErrNoLive, path, info.PID)
	}
	return info, nil
}

// AckRequest is the body of POST /ack. An empty Alert acknowledges every
// open page.
type AckRequest struct {
	User  string `json:"user"`
	Alert string `json:"alert"`
}

// AckResponse tells how many open incidents the ack reached.
type AckResponse struct {
	Acked int `json:"acked"`
}

// RoleClaimRequest is the body of POST /roles/claim; the answer is a
// RoleClaim (400 for a role not in roles: or an unknown user).
type RoleClaimRequest struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// NoteRequest is the body of POST /notes: a status update.
type NoteRequest struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// NoteResponse tells where the status update landed.
type NoteResponse struct {
	Seq   int64     `json:"seq"`
	Alert string    `json:"alert,omitempty"`
	At    time.Time `json:"at"`
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, shape string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "expected " + shape + ": " + err.Error()})
		return false
	}
	return true
}

// URL is the live endpoint's base URL; empty unless Live.
func (e *Engine) URL() string { return e.url }

func (e *Engine) openLive() error {
	// An acknowledgement endpoint must not be reachable from the network.
	srv, err := loopback.Serve(e.opt.LiveAddr, faultmode.LoopbackOnly(e.liveHandler()), e.logger)
	if err != nil {
		return fmt.Errorf("response: live endpoint: %w", err)
	}
	e.srv, e.url = srv, srv.URL()
	return nil
}

// LiveHandler is the live drill's control API that URL serves (pages,
// acknowledgements, role claims, notes and the live runbook), for a
// console to mount: the same handlers drill ack, role, note and runbook
// call. Whoever serves it keeps it off the network.
func (e *Engine) LiveHandler() http.Handler { return e.liveHandler() }

// liveHandler is the live drill's control API: pages, acknowledgements,
// role claims, notes and the live runbook.
func (e *Engine) liveHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathPages, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, e.Pages())
	})
	mux.HandleFunc("POST "+pathAck, func(w http.ResponseWriter, r *http.Request) {
		var req AckRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `expected {"user": "...", "alert": "..."}: ` + err.Error()})
			return
		}
		if req.User == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "user is required"})
			return
		}
		n, _ := e.Ack(req.User, req.Alert)
		if n == 0 {
			what := "no open unacknowledged page"
			if req.Alert != "" {
				what += " for alert " + req.Alert
			}
			writeJSON(w, http.StatusNotFound, map[string]string{"error": what})
			return
		}
		writeJSON(w, http.StatusOK, AckResponse{Acked: n})
	})
	mux.HandleFunc("POST "+pathRoleClaim, func(w http.ResponseWriter, r *http.Request) {
		var req RoleClaimRequest
		if !decodeBody(w, r, &req, `{"user": "...", "role": "..."}`) {
			return
		}
		if req.User == "" || req.Role == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "user and role are required"})
			return
		}
		out, err := e.ClaimRole(req.User, req.Role) // an unknown role or user is bad input: 400
		if errors.Is(err, ErrNoIncident) {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST "+pathNotes, func(w http.ResponseWriter, r *http.Request) {
		var req NoteRequest
		if !decodeBody(w, r, &req, `{"user": "...", "text": "..."}`) {
			return
		}
		ev, err := e.PostNote(req.User, req.Text)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "user and text are required"})
			return
		}
		writeJSON(w, http.StatusOK, NoteResponse{Seq: ev.Seq, Alert: ev.Attrs["alert"], At: ev.At})
	})
	mux.HandleFunc("GET "+pathRunbook, func(w http.ResponseWriter, r *http.Request) {
		lr, err := e.LiveRunbook()
		if err != nil {
			writeRunbookErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, lr)
	})
	mux.HandleFunc("POST "+pathRunbookMark, func(w http.ResponseWriter, r *http.Request) {
		var req StepMarkRequest
		if !decodeBody(w, r, &req, `{"user": "...", "step": "...", "mark": "done|skipped", "why": "..."}`) {
			return
		}
		st, err := e.MarkStep(req.User, req.Step, req.Mark, req.Why)
		if err != nil {
			writeRunbookErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	mux.HandleFunc("POST "+pathRunbookRun, func(w http.ResponseWriter, r *http.Request) {
		var req StepRunRequest
		if !decodeBody(w, r, &req, `{"user": "...", "step": "..."}`) {
			return
		}
		st, err := e.RunStep(r.Context(), req.User, req.Step)
		if err != nil {
			writeRunbookErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
	return mux
}

// StepMarkRequest is the body of POST /runbook/mark: a step of the open
// live runbook done or skipped (why is required for skipped).
type StepMarkRequest struct {
	User string `json:"user"`
	Step string `json:"step"`
	Mark string `json:"mark"`
	Why  string `json:"why,omitempty"`
}

// StepRunRequest is the body of POST /runbook/run: run an executable
// step of the open live runbook. The answer is the step with its exit
// code and output.
type StepRunRequest struct {
	User string `json:"user"`
	Step string `json:"step"`
}

// writeRunbookErr answers a refused runbook call: no runbook open or a
// step that cannot be marked so is a conflict (409), an unknown step or
// a bad mark is bad input (400); both are the caller's to fix.
func writeRunbookErr(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	if errors.Is(err, ErrNoRunbook) || errors.Is(err, ErrStepState) {
		code = http.StatusConflict
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// showPage prints a page for the humans in the room.
func (e *Engine) showPage(in *incident, user string) {
	e.dryMu.Lock()
	defer e.dryMu.Unlock()
	fmt.Fprintf(e.opt.Pager, "PAGE %s  %s → %s (policy %s, rule %d)   ack: drill ack --user %s %s\n",
		in.now.Format("15:04:05"), in.alert, user, in.policyID, in.rule, user, in.alert)
}
