package response

import (
	"context"
	"net/http"
	"time"

	"github.com/drillkit/drill/internal/ctlclient"
)

// The routes of the live endpoint, served by the Engine and called by
// LiveClient.
const (
	pathPages     = "/pages"
	pathAck       = "/ack"
	pathRoleClaim = "/roles/claim"
	pathNotes     = "/notes"

	pathRunbook     = "/runbook"
	pathRunbookMark = "/runbook/mark"
	pathRunbookRun  = "/runbook/run"
)

// LiveClient calls a live drill's endpoint, for drill ack, role and
// note. Its errors are *ctlclient.Error: Rejected for what the drill
// refused as invalid (an unknown role or user, no open page to
// acknowledge), with the drill's own message.
type LiveClient struct {
	c ctlclient.Client
}

// NewLiveClient calls the live endpoint at url; source says where url
// came from ("state file /repo/.drill/live.json", "--url"), for messages.
func NewLiveClient(url, source string) *LiveClient {
	return &LiveClient{c: ctlclient.Client{URL: url, Source: source, What: "live drill", Hint: "is `drill run --live` running?"}}
}

// Pages lists every page of the drill so far.
func (l *LiveClient) Pages(ctx context.Context) ([]Page, error) {
	var out []Page
	err := l.c.Get(ctx, pathPages, &out)
	return out, err
}

// Ack acknowledges the open pages of req.Alert (every open page when
// empty) as req.User.
func (l *LiveClient) Ack(ctx context.Context, req AckRequest) (AckResponse, error) {
	var out AckResponse
	err := l.c.Post(ctx, pathAck, req, &out)
	return out, err
}

// ClaimRole claims req.Role for req.User.
func (l *LiveClient) ClaimRole(ctx context.Context, req RoleClaimRequest) (RoleClaim, error) {
	var out RoleClaim
	err := l.c.Post(ctx, pathRoleClaim, req, &out)
	return out, err
}

// Note posts a status update.
func (l *LiveClient) Note(ctx context.Context, req NoteRequest) (NoteResponse, error) {
	var out NoteResponse
	err := l.c.Post(ctx, pathNotes, req, &out)
	return out, err
}

// Runbook returns the open live runbook and its steps' marks.
func (l *LiveClient) Runbook(ctx context.Context) (LiveRunbook, error) {
	var out LiveRunbook
	err := l.c.Get(ctx, pathRunbook, &out)
	return out, err
}

// MarkStep marks a step of the open runbook done or skipped.
func (l *LiveClient) MarkStep(ctx context.Context, req StepMarkRequest) (LiveStep, error) {
	var out LiveStep
	err := l.c.Post(ctx, pathRunbookMark, req, &out)
	return out, err
}

// RunStep runs an executable step of the open runbook and returns it
// with its exit code and output. The call waits for the step, which
// runs up to the drill's step timeout: timeout bounds the call (0:
// ctlclient's default).
func (l *LiveClient) RunStep(ctx context.Context, req StepRunRequest, timeout time.Duration) (LiveStep, error) {
	c := l.c
	if timeout > 0 {
		c.HTTP = &http.Client{Timeout: timeout}
	}
	var out LiveStep
	err := c.Post(ctx, pathRunbookRun, req, &out)
	return out, err
}
