package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// fakeMock is a control API served by the real faultmode machinery, that
// also records every JSON body posted to it.
type fakeMock struct {
	srv   *httptest.Server
	set   *faultmode.Set[map[string]any]
	mu    sync.Mutex
	posts []map[string]any
}

func newFakeMock(t *testing.T) *fakeMock {
	m := &fakeMock{set: faultmode.NewSet[map[string]any](1, nil, nil)}
	mux := http.NewServeMux()
	m.set.Register(mux)
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			var v map[string]any
			require.NoError(t, json.Unmarshal(b, &v))
			m.mu.Lock()
			m.posts = append(m.posts, v)
			m.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *fakeMock) posted() []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.posts...)
}

// requests plays n requests for a model against the mock's fault set.
func (m *fakeMock) requests(model string, n int) (affected int) {
	for range n {
		if _, ok := m.set.Pick(model); ok {
			affected++
		}
	}
	return affected
}

func TestAppFaultPostsModeAndParams(t *testing.T) {
	leakCheck(t)
	cases := []struct {
		kind   string
		target TargetType
		params map[string]string
		want   string // the JSON body posted
	}{
		{"provider-error", TargetProvider, map[string]string{"status": "503", "retry_after": "20s"},
			`{"id":"f","mode":"error","probability":1,"params":{"status":503,"retry_after":20}}`},
		{"quality-drift", TargetProvider, map[string]string{"probability": "0.3", "target": "gpt-*"},
			`{"id":"f","mode":"garbage","target":"gpt-*","probability":0.3,"params":{"kind":"wrong_answer"}}`},
		{"stream-stall", TargetProvider, map[string]string{"count": "4"},
			`{"id":"f","mode":"stream_stall","probability":1,"count":4,"params":{"after_tokens":20,"delay":"30s"}}`},
		{"billing-spike", TargetProvider, map[string]string{"factor": "2.5", "tokens": "completion"},
			`{"id":"f","mode":"billing","probability":1,"params":{"factor":2.5,"tokens":"completion"}}`},
		{"rate-limit", TargetProvider, map[string]string{"rpm": "10"},
			`{"id":"f","mode":"rate_limit","probability":1,"params":{"rpm":10,"tpm":0}}`},
		{"stub-schema-change", TargetStub, map[string]string{"rename": "results=items", "drop": "score,url"},
			`{"id":"f","mode":"schema_change","probability":1,"params":{"rename":{"results":"items"},"drop":["score","url"]}}`},
		{"stub-expired-credentials", TargetStub, nil,
			`{"id":"f","mode":"expired_credentials","probability":1,"params":{}}`},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			m := newFakeMock(t)
			log := timeline.NewLog(timeline.NewVirtual(t0))
			tg := Targets{Providers: map[string]string{"openai": m.srv.URL}, Stubs: map[string]string{"search": m.srv.URL}}
			inj := NewInjector(tg, log)
			target := "openai"
			if tc.target == TargetStub {
				target = "search"
			}
			a, err := inj.Apply(context.Background(), "f", mustParse(t, tc.kind, tc.params), target, Schedule{})
			require.NoError(t, err)
			posts := m.posted()
			require.Len(t, posts, 1)
			got, _ := json.Marshal(posts[0])
			require.JSONEq(t, tc.want, string(got))

			hit := m.requests("gpt-4o", 20)
			require.Positive(t, hit)
			n, err := a.Affected(context.Background())
			require.NoError(t, err)
			require.Equal(t, int64(hit), n)

			require.NoError(t, inj.RemoveAll(context.Background()))
			require.Empty(t, m.set.IDs(), "fault still on the mock")
			off := offEvent(t, log, "f")
			require.Equal(t, string(scoring.EvidenceControlAPI), off.Attrs["evidence"])
			require.Equal(t, itoa(hit), off.Attrs["affected"])
			require.Zero(t, m.requests("gpt-4o", 5)) // gone
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestAppFaultErrorsFromTheMock(t *testing.T) {
	leakCheck(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		faultmode.WriteError(w, http.StatusBadRequest, errString("fault: params.kind: unknown garbage kind"))
	}))
	defer srv.Close()
	inj := NewInjector(Targets{Providers: map[string]string{"openai": srv.URL}}, timeline.NewLog(timeline.NewVirtual(t0)))
	_, err := inj.Apply(context.Background(), "g", mustParse(t, "garbage-output", nil), "openai", Schedule{})
	require.EqualError(t, err, "faults: "+srv.URL+": add garbage: 400: fault: params.kind: unknown garbage kind")
	require.Empty(t, inj.Active())

	_, err = inj.Apply(context.Background(), "g", mustParse(t, "garbage-output", nil), "anthropic", Schedule{})
	require.EqualError(t, err, `faults: garbage-output: no provider "anthropic"; providers are: openai`)
	_, err = inj.Apply(context.Background(), "s", mustParse(t, "stub-slow", nil), "openai", Schedule{})
	require.EqualError(t, err, `faults: stub-slow: no stub "openai"; stubs are: `)
	_, err = inj.Apply(context.Background(), "l", mustParse(t, "latency", nil), "openai", Schedule{})
	require.EqualError(t, err, "faults: latency needs toxiproxy, and this testbed has none")
	_, err = inj.Apply(context.Background(), "o", mustParse(t, "outage", nil), "x", Schedule{Ramp: Ramp{Steps: 3, Over: time.Minute}})
	require.EqualError(t, err, "faults: outage: cannot ramp; it is all or nothing")
	_, err = inj.Apply(context.Background(), "bad id", mustParse(t, "provider-quota", nil), "openai", Schedule{})
	require.EqualError(t, err, `faults: fault id "bad id" must not contain '/' or spaces`)
	require.NoError(t, inj.RemoveAll(context.Background()))
}

type errString string

func (e errString) Error() string { return string(e) }
