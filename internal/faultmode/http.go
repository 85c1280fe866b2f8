package faultmode

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// Prefix is where every drill control API lives on a server.
const Prefix = "/_drill"

// Register mounts the fault control API of s on mux:
//
//	GET    /_drill/faults       list faults with their evidence
//	POST   /_drill/faults       add one fault (JSON); answers {"id": ...}
//	DELETE /_drill/faults       remove every fault
//	DELETE /_drill/faults/{id}  remove one fault
//	GET    /_drill/evidence     requests affected, by fault ID (removed ones too)
//
// Every route refuses clients that are not on loopback.
func (s *Set[P]) Register(mux *http.ServeMux) {
	mux.Handle("GET "+Prefix+"/faults", LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, s.List())
	})))
	mux.Handle("POST "+Prefix+"/faults", LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f Fault[P]
		if err := DecodeStrict(http.MaxBytesReader(w, r.Body, MaxControlBody), &f); err != nil {
			WriteError(w, http.StatusBadRequest, fmt.Errorf("fault: %w", err))
			return
		}
		id, err := s.Add(f)
		if err != nil {
			WriteError(w, http.StatusBadRequest, fmt.Errorf("fault: %w", err))
			return
		}
		WriteJSON(w, http.StatusCreated, map[string]string{"id": id})
	})))
	mux.Handle("DELETE "+Prefix+"/faults", LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Clear()
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("DELETE "+Prefix+"/faults/{id}", LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !s.Remove(id) {
			WriteError(w, http.StatusNotFound, fmt.Errorf("no fault %s; active faults: %s", Quote(id), strings.Join(s.IDs(), ", ")))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("GET "+Prefix+"/evidence", LoopbackOnly(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, s.Evidence())
	})))
}

// LoopbackOnly answers 403 to clients whose address is not loopback: the
// control API changes how a server behaves and must not be reachable from
// elsewhere even when the server itself is.
func LoopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			WriteError(w, http.StatusForbidden, errors.New("the drill control API answers loopback clients only"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// DecodeStrict decodes one JSON value from r into v, refusing unknown
// fields, trailing data and more than MaxControlBody bytes. Its errors
// quote at most a short excerpt of what they read.
func DecodeStrict(r io.Reader, v any) error {
	lr := &io.LimitedReader{R: r, N: MaxControlBody + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	tooLong := func() bool { return lr.N <= 0 }
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe) || tooLong():
			return fmt.Errorf("body larger than %d bytes (faultmode.MaxControlBody)", MaxControlBody)
		case errors.Is(err, io.EOF):
			return errors.New("empty body; want a JSON object")
		}
		return shortError(err)
	}
	if dec.More() {
		if tooLong() {
			return fmt.Errorf("body larger than %d bytes (faultmode.MaxControlBody)", MaxControlBody)
		}
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// shortError cuts a decoder's message, which may quote a field name of
// any length, to a readable size.
func shortError(err error) error {
	const most = 300
	msg := err.Error()
	if len(msg) <= most {
		return err
	}
	cut := most
	for cut > 0 && !utf8RuneStart(msg[cut]) {
		cut--
	}
	return fmt.Errorf("%s… (%d bytes of message cut)", msg[:cut], len(msg)-cut)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// WriteError writes {"error": msg} with the given status.
func WriteError(w http.ResponseWriter, status int, err error) {
	WriteJSON(w, status, map[string]string{"error": err.Error()})
}
