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

// maxControlBody caps a control request body.
const maxControlBody = 1 << 20

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
		if err := DecodeStrict(r.Body, &f); err != nil {
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
			WriteError(w, http.StatusNotFound, fmt.Errorf("no fault %q; active faults: %s", id, strings.Join(s.IDs(), ", ")))
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
// fields and trailing data.
func DecodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(io.LimitReader(r, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("empty body; want a JSON object")
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
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
