package mockllm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/eventstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of clients' transports.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// fakeSleeper is a virtual clock: Sleep advances it instead of waiting,
// and records what was asked.
type fakeSleeper struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeSleeper() *fakeSleeper { return &fakeSleeper{now: time.Unix(1_800_000_000, 0)} }

func (f *fakeSleeper) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeSleeper) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	f.sleeps = append(f.sleeps, d)
	return ctx.Err()
}

func (f *fakeSleeper) total() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var t time.Duration
	for _, d := range f.sleeps {
		t += d
	}
	return t
}

// startTest starts a server on the default config with a virtual clock;
// edit may change the config first.
func startTest(t testing.TB, edit func(*Config)) (*Server, *fakeSleeper) {
	t.Helper()
	fs := newFakeSleeper()
	cfg := DefaultConfig()
	cfg.Sleeper = fs
	if edit != nil {
		edit(&cfg)
	}
	s, err := Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, fs
}

// post sends a JSON body and returns the response and its body.
func post(t testing.TB, url, body string, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func addFault(t testing.TB, s *Server, f Fault) string {
	t.Helper()
	id, err := s.Faults().Add(f)
	require.NoError(t, err)
	return id
}

func chatBody(model, prompt string, extra string) string {
	b := `{"model":"` + model + `","messages":[{"role":"user","content":` + string(appendJSONString(nil, prompt)) + `}]`
	if extra != "" {
		b += "," + extra
	}
	return b + "}"
}

// requireEventStream decodes b as AWS event stream messages, prelude and
// message CRCs checked, with the SDK's own decoder.
func requireEventStream(t testing.TB, b []byte) {
	t.Helper()
	dec := eventstream.NewDecoder()
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		msg, err := dec.Decode(r, nil)
		require.NoError(t, err)
		require.NotNil(t, msg.Headers.Get(":message-type"))
	}
}
