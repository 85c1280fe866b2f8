package testbed

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/internal/ctlclient"
	"github.com/drillkit/drill/internal/faultmode"
)

// The routes of a testbed's control API (what drill up serves), served by
// ControlHandler and called by ControlClient.
const (
	pathInject = "/inject"
	pathClear  = "/clear"
	pathStatus = "/status"
)

// InjectRequest is the body of POST /inject: a fault of the catalog, as
// drill inject gives it.
type InjectRequest struct {
	Kind   string            `json:"kind"`
	Target string            `json:"target,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	For    string            `json:"for,omitempty"`   // duration; empty lasts until clear
	After  string            `json:"after,omitempty"` // start offset
}

// Injected is the answer to POST /inject: the fault as it was applied.
type Injected struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Spec   string `json:"spec"`
	On     bool   `json:"on"`
}

// Cleared is the answer to POST /clear: the evidence of every fault
// injected since the testbed started, and the error of removing them, if
// one was not removed.
type Cleared struct {
	Evidence []Evidence `json:"evidence"`
	Error    string     `json:"error,omitempty"`
}

// Status is the answer to GET /status.
type Status struct {
	Endpoints Endpoints  `json:"endpoints"`
	Evidence  []Evidence `json:"evidence"`
}

// ControlHandler serves the testbed's control API to loopback clients:
// POST /inject (400 for a fault, target, parameter or schedule the
// testbed refuses, with its message), POST /clear and GET /status.
func (tb *Testbed) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathInject, func(w http.ResponseWriter, r *http.Request) {
		var req InjectRequest
		if err := faultmode.DecodeStrict(r.Body, &req); err != nil {
			faultmode.WriteError(w, http.StatusBadRequest, err)
			return
		}
		var s faults.Schedule
		for _, d := range []struct {
			name string
			text string
			dst  *time.Duration
		}{{"for", req.For, &s.Duration}, {"after", req.After, &s.Start}} {
			if d.text == "" {
				continue
			}
			v, err := time.ParseDuration(d.text)
			if err != nil || v < 0 {
				faultmode.WriteError(w, http.StatusBadRequest, fmt.Errorf("--%s: want a duration such as 30s or 2m, got %q", d.name, d.text))
				return
			}
			*d.dst = v
		}
		// The fault outlives this request: it lasts until its schedule
		// ends, clear, or teardown.
		a, err := tb.Inject(context.WithoutCancel(r.Context()), req.Kind, req.Target, req.Params, s)
		if err != nil {
			faultmode.WriteError(w, http.StatusBadRequest, err)
			return
		}
		faultmode.WriteJSON(w, http.StatusOK, Injected{ID: a.ID, Kind: a.Spec.Kind, Target: a.Target, Spec: a.Spec.String(), On: a.On()})
	})
	mux.HandleFunc("POST "+pathClear, func(w http.ResponseWriter, r *http.Request) {
		err := tb.ClearFaults(r.Context())
		out := Cleared{Evidence: tb.Evidence(r.Context())}
		if err != nil {
			out.Error = err.Error()
		}
		faultmode.WriteJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET "+pathStatus, func(w http.ResponseWriter, r *http.Request) {
		faultmode.WriteJSON(w, http.StatusOK, Status{Endpoints: tb.Endpoints(), Evidence: tb.Evidence(r.Context())})
	})
	return faultmode.LoopbackOnly(mux)
}

// ControlClient calls a testbed's control API, for drill inject and
// clear. Its errors are *ctlclient.Error: Rejected for a fault the
// testbed refused, with its message.
type ControlClient struct {
	c ctlclient.Client
}

// NewControlClient calls the control API at url; source says where url
// came from ("state file /repo/.drill/up.json"), for messages.
func NewControlClient(url, source string) *ControlClient {
	return &ControlClient{c: ctlclient.Client{URL: url, Source: source, What: "drill up", Hint: "is `drill up` still running?"}}
}

// Inject applies a fault.
func (c *ControlClient) Inject(ctx context.Context, req InjectRequest) (Injected, error) {
	var out Injected
	err := c.c.Post(ctx, pathInject, req, &out)
	return out, err
}

// Clear removes every fault and returns their evidence. A fault that
// could not be removed is in Cleared.Error, not in the error, which is
// the call's own.
func (c *ControlClient) Clear(ctx context.Context) (Cleared, error) {
	var out Cleared
	err := c.c.Post(ctx, pathClear, struct{}{}, &out)
	return out, err
}

// Status returns the testbed's endpoints and the evidence of its faults.
func (c *ControlClient) Status(ctx context.Context) (Status, error) {
	var out Status
	err := c.c.Get(ctx, pathStatus, &out)
	return out, err
}
