package ctlclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// MaxBody is the most of an answer a call reads: the control APIs answer
// a few kilobytes; more is not one of them.
const MaxBody = 1 << 20

// DefaultTimeout bounds one call when Client.HTTP is nil.
const DefaultTimeout = 30 * time.Second

// Client calls one control API.
type Client struct {
	// URL is the API's base URL (http://127.0.0.1:PORT); a trailing
	// slash is ignored.
	URL string
	// Source says where URL came from, for messages: "state file
	// /repo/.drill/live.json", "--url".
	Source string
	// What names the server in messages: "live drill", "drill up".
	What string
	// Hint is what to check when nothing answers: "is `drill run --live`
	// running?".
	Hint string
	// HTTP is the client calls go through; nil uses one with
	// DefaultTimeout.
	HTTP *http.Client
}

// Kind is what went wrong with a call.
type Kind int

// The kinds of failed calls; see the package documentation.
const (
	Unreachable Kind = iota + 1
	Rejected
	Failed
	BadAnswer
	BadURL
)

func (k Kind) String() string {
	switch k {
	case Unreachable:
		return "unreachable"
	case Rejected:
		return "rejected"
	case Failed:
		return "failed"
	case BadAnswer:
		return "bad answer"
	case BadURL:
		return "bad URL"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a failed call.
type Error struct {
	Kind   Kind
	URL    string // the URL called (the base URL for BadURL)
	Status int    // the HTTP status answered; 0 when there was none
	Msg    string // the whole message, as Error returns it
	Err    error  // the transport or decoding error underneath, if any
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// KindOf is the Kind of the *Error in err's chain, or 0 when there is
// none (the caller's own cancellation, an error of the caller's).
func KindOf(err error) Kind {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Kind
	}
	return 0
}

// Get calls GET path and decodes the JSON answer into out.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// Post calls POST path with body as JSON and decodes the answer into out.
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("ctlclient: encoding the request to %s: %w", path, err)
	}
	return c.do(ctx, http.MethodPost, path, data, out)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	base := strings.TrimRight(c.URL, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &Error{Kind: BadURL, URL: c.URL, Err: err,
			Msg: fmt.Sprintf("%s URL %q%s: want http://HOST:PORT", c.what(), c.URL, c.source())}
	}
	target := base + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return &Error{Kind: BadURL, URL: c.URL, Err: err, Msg: fmt.Sprintf("%s URL %q%s: %v", c.what(), c.URL, c.source(), err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the caller gave up: not the server's doing
		}
		e := &Error{Kind: Unreachable, URL: target, Err: err}
		if errors.Is(err, syscall.ECONNREFUSED) {
			e.Msg = fmt.Sprintf("no %s at %s%s: %s", c.what(), base, c.source(), c.hint())
		} else {
			e.Msg = fmt.Sprintf("the %s at %s%s does not answer (%v): %s", c.what(), base, c.source(), err, c.hint())
		}
		return e
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return &Error{Kind: Failed, URL: target, Status: resp.StatusCode, Err: err,
			Msg: fmt.Sprintf("the %s at %s%s broke off its answer to %s %s: %v", c.what(), base, c.source(), method, path, err)}
	}
	if len(raw) > MaxBody {
		return &Error{Kind: BadAnswer, URL: target, Status: resp.StatusCode,
			Msg: fmt.Sprintf("the %s at %s answered %s %s with more than %d bytes; is it a drill?", c.what(), base, method, path, MaxBody)}
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Kind: BadAnswer, URL: target, Status: resp.StatusCode, Err: err,
				Msg: fmt.Sprintf("unexpected answer from the %s at %s to %s %s: %v: %s", c.what(), base, method, path, err, excerpt(raw))}
		}
		return nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return &Error{Kind: Rejected, URL: target, Status: resp.StatusCode, Msg: serverMessage(raw, resp.Status)}
	default:
		return &Error{Kind: Failed, URL: target, Status: resp.StatusCode,
			Msg: fmt.Sprintf("the %s at %s failed %s %s (%s): %s", c.what(), base, method, path, resp.Status, serverMessage(raw, "no message"))}
	}
}

func (c *Client) what() string {
	if c.What == "" {
		return "control API"
	}
	return c.What
}

func (c *Client) source() string {
	if c.Source == "" {
		return ""
	}
	return " (" + c.Source + ")"
}

func (c *Client) hint() string {
	if c.Hint == "" {
		return "is it running?"
	}
	return c.Hint
}

// serverMessage is an error answer's {"error": ...}, else its text, else
// fallback.
func serverMessage(raw []byte, fallback string) string {
	var m struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(raw, &m) == nil && m.Error != "" {
		return m.Error
	}
	if s := excerpt(raw); s != "" {
		return s
	}
	return fallback
}

// excerpt is the start of a body, on one line, for a message.
func excerpt(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
