package response

import (
	"context"

	"github.com/drillkit/drill/internal/ctlclient"
)

// The routes of the live endpoint, served by the Engine and called by
// LiveClient.
const (
	pathPages     = "/pages"
	pathAck       = "/ack"
	pathRoleClaim = "/roles/claim"
	pathNotes     = "/notes"
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
