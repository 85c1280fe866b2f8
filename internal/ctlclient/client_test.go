package ctlclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type echo struct {
	Got  string `json:"got"`
	Type string `json:"type"`
}

func newClient(url string) *Client {
	return &Client{URL: url, Source: "state file /repo/.drill/live.json", What: "live drill", Hint: "is `drill run --live` running?"}
}

func kindOf(t *testing.T, err error) *Error {
	t.Helper()
	var ce *Error
	require.True(t, errors.As(err, &ce), "want an *Error, got %T: %v", err, err)
	return ce
}

func TestCalls(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"got": "`+r.Method+" "+r.URL.Path+" "+strings.ReplaceAll(string(b), `"`, `'`)+`", "type": "`+r.Header.Get("Content-Type")+`"}`)
	}))
	defer srv.Close()
	c := newClient(srv.URL + "/") // a trailing slash is ignored

	var out echo
	require.NoError(t, c.Post(context.Background(), "/ack", map[string]string{"user": "bob"}, &out))
	require.Equal(t, echo{Got: "POST /ack {'user':'bob'}", Type: "application/json"}, out)

	require.NoError(t, c.Get(context.Background(), "/pages", &out))
	require.Equal(t, echo{Got: "GET /pages ", Type: ""}, out)

	require.NoError(t, c.Post(context.Background(), "/clear", struct{}{}, nil), "an answer nobody reads")
}

func TestErrorAnswers(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		kind   Kind
		msg    string
	}{
		{400, `{"error": "unknown role \"captain\": expected one of incident_commander"}`, Rejected, `unknown role "captain": expected one of incident_commander`},
		{404, `{"error": "no open unacknowledged page for alert X"}`, Rejected, "no open unacknowledged page for alert X"},
		{404, "404 page not found\n", Rejected, "404 page not found"},
		{403, `{"error": "the drill control API answers loopback clients only"}`, Rejected, "the drill control API answers loopback clients only"},
		{500, `{"error": "toxiproxy: connection reset"}`, Failed, "the live drill at URL failed POST /x (500 Internal Server Error): toxiproxy: connection reset"},
		{502, "", Failed, "the live drill at URL failed POST /x (502 Bad Gateway): no message"},
		{302, "", Failed, "the live drill at URL failed POST /x (302 Found): no message"},
		{200, "not json", BadAnswer, "unexpected answer from the live drill at URL to POST /x: invalid character 'o' in literal null (expecting 'u'): not json"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(c.status)
			_, _ = io.WriteString(w, c.body)
		}))
		var out echo
		err := newClient(srv.URL).Post(context.Background(), "/x", struct{}{}, &out)
		srv.Close()
		ce := kindOf(t, err)
		require.Equal(t, c.kind, ce.Kind, "%d %s", c.status, c.body)
		require.Equal(t, c.status, ce.Status)
		require.Equal(t, srv.URL+"/x", ce.URL)
		require.Equal(t, strings.ReplaceAll(c.msg, "URL", srv.URL), err.Error())
	}
}

func TestClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	err = newClient(url).Post(context.Background(), "/ack", struct{}{}, nil)
	ce := kindOf(t, err)
	require.Equal(t, Unreachable, ce.Kind)
	require.Zero(t, ce.Status)
	require.Equal(t, "no live drill at "+url+" (state file /repo/.drill/live.json): is `drill run --live` running?", err.Error())

	// Without a source and a hint, the message still says what to check.
	err = (&Client{URL: url}).Get(context.Background(), "/status", nil)
	require.Equal(t, "no control API at "+url+": is it running?", err.Error())
}

// A server that takes the connection and never answers is unreachable
// too, once the client's timeout passes (a transport fails as a passed
// deadline does, so that no test waits for one); the caller's own cancellation is
// not the server's doing and comes back as it is.
func TestNoAnswer(t *testing.T) {
	const url = "http://127.0.0.1:4000"
	ctx, cancel := context.WithCancel(context.Background())
	c := newClient(url)
	c.HTTP = &http.Client{Transport: cancelling{cancel: cancel}}
	err := c.Get(ctx, "/pages", nil)
	require.ErrorIs(t, err, context.Canceled)
	var ce *Error
	require.False(t, errors.As(err, &ce))

	c.HTTP = &http.Client{Transport: failing{}}
	err = c.Get(context.Background(), "/pages", nil)
	ce = kindOf(t, err)
	require.Equal(t, Unreachable, ce.Kind)
	require.Contains(t, err.Error(), "the live drill at "+url+" (state file /repo/.drill/live.json) does not answer (")
	require.Contains(t, err.Error(), "i/o timeout")
}

// cancelling cancels the caller's context instead of sending.
type cancelling struct{ cancel context.CancelFunc }

func (c cancelling) RoundTrip(r *http.Request) (*http.Response, error) {
	c.cancel()
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// failing fails as a transport whose deadline passed does.
type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestAnswerTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `"`+strings.Repeat("x", MaxBody)+`"`)
	}))
	defer srv.Close()
	var s string
	err := newClient(srv.URL).Get(context.Background(), "/pages", &s)
	ce := kindOf(t, err)
	require.Equal(t, BadAnswer, ce.Kind)
	require.Contains(t, err.Error(), "more than 1048576 bytes")

	// Exactly MaxBody is read whole.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `"`+strings.Repeat("x", MaxBody-2)+`"`)
	}))
	defer srv2.Close()
	require.NoError(t, newClient(srv2.URL).Get(context.Background(), "/pages", &s))
	require.Len(t, s, MaxBody-2)
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:4000", "ftp://127.0.0.1:4000", "http://", "http://[::1"} {
		c := &Client{URL: u, Source: "--url", What: "live drill"}
		err := c.Post(context.Background(), "/ack", struct{}{}, nil)
		ce := kindOf(t, err)
		require.Equal(t, BadURL, ce.Kind, u)
		require.Contains(t, err.Error(), "live drill URL \""+u+"\" (--url)", u)
	}
}

func TestKindOf(t *testing.T) {
	err := fmt.Errorf("drill ack: %w", &Error{Kind: Rejected, Msg: "no"})
	require.Equal(t, Rejected, KindOf(err))
	require.Zero(t, KindOf(context.Canceled))
	require.Zero(t, KindOf(nil))
}

func TestKindNames(t *testing.T) {
	for k, want := range map[Kind]string{Unreachable: "unreachable", Rejected: "rejected", Failed: "failed", BadAnswer: "bad answer", BadURL: "bad URL", 0: "Kind(0)"} {
		require.Equal(t, want, k.String())
	}
}
