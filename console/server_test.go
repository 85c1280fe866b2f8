package console

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

func open(t *testing.T, opt Options) *Server {
	t.Helper()
	s, err := Open(opt)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func do(t *testing.T, method, url, token string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set(TokenHeader, token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// sse is one message of an event stream.
type sse struct{ id, event, data string }

// stream reads an event stream's messages as they come.
func stream(t *testing.T, url string, header http.Header) (<-chan sse, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	out := make(chan sse, 1024)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var m sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				out <- m
				m = sse{}
			case strings.HasPrefix(line, "id: "):
				m.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				m.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.data = line[6:]
			}
		}
	}()
	return out, resp
}

// next returns the next message of kind, skipping others, within a few
// seconds.
func next(t *testing.T, c <-chan sse, kind string) sse {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-c:
			require.True(t, ok, "the stream ended before a %s message", kind)
			if m.event == kind {
				return m
			}
		case <-timeout:
			t.Fatalf("no %s message", kind)
		}
	}
}

// Every endpoint but the page needs the run's token: 401 without one,
// 403 with a wrong one; the token in the header or the query works.
func TestTokenRequired(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"acked":1}`) })
	ctl := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"id":"f1"}`) })
	s := open(t, Options{Control: ctl})
	require.Len(t, s.Token(), 32)
	require.True(t, s.Loopback())
	require.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), s.URL())
	require.True(t, strings.HasSuffix(s.URL(), "/?token="+s.Token()), s.URL())
	s.Begin("sc", "f.feature:3", []string{"Given x"})
	s.Attach(timeline.NewLog(timeline.NewVirtual(time.Unix(0, 0))), api, nil)
	base := s.BaseURL()

	code, body := do(t, http.MethodGet, base+"/", "", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `<script src="console.js">`)
	for _, ep := range []struct{ method, path string }{
		{http.MethodGet, "/events"}, {http.MethodPost, "/api/ack"}, {http.MethodPost, "/api/runbook/mark"},
		{http.MethodPost, "/api/roles/claim"}, {http.MethodPost, "/api/notes"}, {http.MethodPost, "/up/inject"},
		{http.MethodPost, "/up/clear"}, {http.MethodGet, "/scorecard.json"}, {http.MethodGet, "/report"},
	} {
		code, body := do(t, ep.method, base+ep.path, "", "{}")
		require.Equal(t, http.StatusUnauthorized, code, "%s %s: %s", ep.method, ep.path, body)
		require.Contains(t, body, "needs the token")
		code, body = do(t, ep.method, base+ep.path, "not-the-token", "{}")
		require.Equal(t, http.StatusForbidden, code, "%s %s: %s", ep.method, ep.path, body)
		code, _ = do(t, ep.method, base+ep.path+"?token=wrong", "", "{}")
		require.Equal(t, http.StatusForbidden, code, "%s %s", ep.method, ep.path)
	}
	code, body = do(t, http.MethodPost, base+"/api/ack", s.Token(), `{"user":"alice"}`)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"acked":1}`, body)
	code, body = do(t, http.MethodPost, base+"/up/inject?token="+s.Token(), "", `{}`)
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"id":"f1"}`, body)
}

// Between scenarios there is no live API to act on: 409, saying so. In
// drill run there is no fault control: 404, saying so.
func TestNoScenarioNoControl(t *testing.T) {
	s := open(t, Options{})
	code, body := do(t, http.MethodPost, s.BaseURL()+"/api/ack", s.Token(), `{"user":"alice"}`)
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, body, "no live scenario is running now")
	code, body = do(t, http.MethodPost, s.BaseURL()+"/up/inject", s.Token(), `{}`)
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body, "drill up only")

	// A scenario that has begun but whose world is not up yet says so,
	// and so does one that runs without a live control API.
	s.Begin("cost spike", "cost-spike.feature:2", nil)
	code, body = do(t, http.MethodPost, s.BaseURL()+"/api/ack", s.Token(), `{"user":"alice"}`)
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, body, `scenario \"cost spike\" is still setting up its world`)
	s.Attach(timeline.NewLog(timeline.NewVirtual(time.Unix(0, 0))), nil, nil)
	code, body = do(t, http.MethodPost, s.BaseURL()+"/api/ack", s.Token(), `{"user":"alice"}`)
	require.Equal(t, http.StatusConflict, code)
	require.Contains(t, body, "has no live control API: only drill run --live")
	code, body = do(t, http.MethodGet, s.BaseURL()+"/scorecard.json", s.Token(), "")
	require.Equal(t, http.StatusNotFound, code)
	require.Contains(t, body, "still running")
}

// The stream replays the run from its start, follows the log, carries
// the clock on its heartbeat, and ends after the scorecard; a reconnect
// after the end gets 204, and one with Last-Event-ID resumes after it.
func TestStreamFollowsTheRunAndEnds(t *testing.T) {
	clk := timeline.NewVirtual(time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC))
	log := timeline.NewLog(clk)
	s := open(t, Options{Title: "drill run --live cost-spike", Users: []string{"alice"}, Heartbeat: 5 * time.Millisecond})
	s.Begin("The provider bills ten times the tokens", "builtin/cost-spike.feature:7", []string{"Given a", "Then b"})
	log.Append(timeline.Event{Kind: timeline.ScenarioStart})
	s.Attach(log, nil, func(context.Context) (map[string]int64, error) { return map[string]int64{"billing-1": 7}, nil })
	url := s.BaseURL() + "/events?token=" + s.Token()

	c, resp := stream(t, url, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var hello helloMsg
	require.NoError(t, json.Unmarshal([]byte(next(t, c, "hello").data), &hello))
	require.Equal(t, "drill run --live cost-spike", hello.Title)
	require.Equal(t, []string{"alice"}, hello.Users)
	require.Contains(t, next(t, c, "scenario").data, `"where":"builtin/cost-spike.feature:7"`)
	require.Contains(t, next(t, c, "event").data, `"kind":"scenario.start"`)

	clk.Advance(90 * time.Second)
	log.Append(timeline.Event{Kind: timeline.AlertFiring, Subject: "LLMSpendSpike", Attrs: map[string]string{"value": "0.4"}})
	ev := next(t, c, "event")
	require.Contains(t, ev.data, `"subject":"LLMSpendSpike"`)
	require.Contains(t, ev.data, `"value":"0.4"`)
	var beat clockMsg
	require.NoError(t, json.Unmarshal([]byte(next(t, c, "clock").data), &beat))
	require.NotNil(t, beat.Now)
	require.Equal(t, clk.Now(), *beat.Now)
	require.Equal(t, map[string]int64{"billing-1": 7}, beat.Evidence)

	// A line told while a step runs names that step, so the page can mark
	// it done when the step ends; one told between steps names none.
	s.Step(1, "running", "")
	require.JSONEq(t, `{"index":1,"status":"running"}`, next(t, c, "step").data)
	s.Tell("WAITING 12:01:30  waiting for an acknowledgement")
	require.JSONEq(t, `{"text":"WAITING 12:01:30  waiting for an acknowledgement","step":1}`, next(t, c, "tell").data)
	s.Step(1, "failed", "it never fired")
	require.JSONEq(t, `{"index":1,"status":"failed","error":"it never fired"}`, next(t, c, "step").data)
	s.Tell("WAITING 12:01:40  between steps")
	require.JSONEq(t, `{"text":"WAITING 12:01:40  between steps","step":-1}`, next(t, c, "tell").data)
	log.Append(timeline.Event{Kind: timeline.Ack, Subject: "alice"}) // lands with the end: still streamed
	s.End(&scoring.Scenario{Name: "The provider bills ten times the tokens", Status: scoring.Failed, Reason: "it never fired"})
	require.Contains(t, next(t, c, "event").data, `"kind":"ack"`)
	require.Contains(t, next(t, c, "scenario.end").data, `"status":"failed"`)

	card := &scoring.Scorecard{Summary: scoring.Summary{Total: 1, Failed: 1}, Scenarios: []scoring.Scenario{{Name: "x", Status: scoring.Failed}}}
	s.Finish(card, []byte("<html>report</html>"), nil)
	end := next(t, c, "end")
	require.Contains(t, end.data, `"scorecard":"/scorecard.json"`)
	require.Contains(t, end.data, `"report":"/report"`)
	for range c { // the server ends the stream
	}
	code, body := do(t, http.MethodGet, s.BaseURL()+"/scorecard.json", s.Token(), "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"failed": 1`)
	code, body = do(t, http.MethodGet, s.BaseURL()+"/report", s.Token(), "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "<html>report</html>", body)

	// EventSource reconnects with the last id it saw: after the end it
	// is told to stop; from an earlier id it gets the rest.
	_, resp = stream(t, url, http.Header{"Last-Event-Id": {end.id}})
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	c, resp = stream(t, url, http.Header{"Last-Event-Id": {"1"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "2", next(t, c, "scenario").id)
	// A page opened after the end gets the whole run, scorecard last.
	code, body = do(t, http.MethodGet, url, "", "")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasSuffix(body, "event: end\ndata: "+end.data+"\n\n"), body)
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Last-Event-ID", "x")
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, http.StatusBadRequest, r.StatusCode)
}

// At most MaxClients streams at a time: one more is refused with 503,
// and a slot frees when a page goes.
func TestClientLimit(t *testing.T) {
	s := open(t, Options{MaxClients: 2})
	url := s.BaseURL() + "/events?token=" + s.Token()
	ctx, cancel := context.WithCancel(context.Background())
	var held []*http.Response
	for range 2 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		held = append(held, resp)
	}
	code, body := do(t, http.MethodGet, url, "", "")
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, body, "at most 2 pages at a time")
	cancel()
	for _, r := range held {
		r.Body.Close()
	}
	require.Eventually(t, func() bool { return s.clients.Load() == 0 }, 5*time.Second, time.Millisecond)
	_, resp := stream(t, url, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	_, err := Open(Options{MaxClients: -1})
	require.ErrorContains(t, err, "must not be negative")
}

// Past MaxFeed messages the feed says it was cut, once, and still takes
// the run's end.
func TestFeedBound(t *testing.T) {
	s := &Server{change: make(chan struct{})}
	for range MaxFeed + 10 {
		s.push("tell", map[string]string{"text": "x"})
	}
	require.Len(t, s.feed, MaxFeed+1)
	require.Equal(t, "cut", s.feed[MaxFeed].kind)
	s.push("end", runEnd{})
	require.Len(t, s.feed, MaxFeed+2)
	require.Equal(t, "end", s.feed[MaxFeed+1].kind)
	s.push("tell", map[string]string{"text": "after the end"})
	require.Len(t, s.feed, MaxFeed+2)
}

// drill up attaches its world without a scenario: the console names one
// after its title, before the world's first event.
func TestAttachWithoutScenario(t *testing.T) {
	log := timeline.NewLog(timeline.NewVirtual(time.Unix(0, 0)))
	log.Append(timeline.Event{Kind: timeline.FaultOn, Subject: "latency-1"})
	s := open(t, Options{Title: "up acme-ml"})
	s.Attach(log, nil, nil)
	c, _ := stream(t, s.BaseURL()+"/events?token="+s.Token(), nil)
	require.Equal(t, "hello", (<-c).event)
	m := <-c
	require.Equal(t, "scenario", m.event)
	require.JSONEq(t, `{"name":"up acme-ml","steps":[]}`, m.data)
	m = <-c
	require.Equal(t, "event", m.event)
	require.Contains(t, m.data, `"subject":"latency-1"`)
	s.Finish(nil, nil, nil)
	require.JSONEq(t, `{"summary":{"total":0,"passed":0,"failed":0,"inconclusive":0,"errors":0,"pass_rate":0,"time_to_detect":{"n":0},"time_to_acknowledge":{"n":0},"time_to_mitigate":{"n":0},"time_to_recover":{"n":0},"alerts":0,"false_alarms":0,"false_alarm_rate":0,"alert_precision":null,"families":null},"scenarios":[],"scorecard":"/scorecard.json"}`, next(t, c, "end").data)
}
