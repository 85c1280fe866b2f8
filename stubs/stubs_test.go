package stubs

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/internal/faultmode"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client never reuses connections, so no idle connection goroutine
// outlives a test.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func start(t *testing.T, src string) *Server {
	t.Helper()
	f, err := Parse("test.yaml", []byte(src))
	require.NoError(t, err)
	s, err := Start(Config{Stub: f, Seed: 7})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url, body string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return reply{res.StatusCode, res.Header, string(b)}
}

const features = `
name: feat
routes:
  - name: item
    method: GET
    path: /items/{id}/parts/{part}
    match:
      query: {view: full}
      headers: {X-Tenant: "re:^t-[0-9]+$"}
    response:
      status: 203
      headers: {X-Echo: "{{.Headers.Accept}}|{{index .Headers \"X-Tenant\"}}"}
      body: '{"id": {{json .Path.id}}, "part": {{json .Path.part}}, "view": {{json .Query.view}}, "seq": {{.Seq}}}'
  - name: any-header
    method: GET
    path: /present
    match:
      headers: {X-Key: "*"}
    response:
      json: {ok: true, key: "{{index .Headers \"X-Key\"}}", n: 3, list: [1, "two", null]}
  - name: order
    method: POST
    path: /orders
    match:
      body:
        json: {"customer.id": cus_1, "items[1].sku": "re:^B", "$.total": "re:^[0-9]+$"}
    response:
      status: 201
      body: '{"customer": {{json .Body.customer.id}}, "total": {{.Body.total}}, "method": "{{.Method}}", "route": "{{.Route}}"}'
  - name: raw
    method: PUT
    path: /raw/{rest...}
    match:
      body: {regex: "^hello"}
    response:
      headers: {Content-Type: text/plain}
      body: "got {{.RawBody}} at {{.Path.rest}}"
  - name: slowpoke
    method: GET
    path: /slow
    latency: {dist: constant, mean: 60ms}
    response: {json: {ok: true}}
  - name: jittery
    method: GET
    path: /jitter
    latency: {dist: lognormal, mean: 2ms, stddev: 1ms}
    response: {json: {ok: true}}
`

func TestRouteFeatures(t *testing.T) {
	s := start(t, features)
	u := s.URL()

	r := do(t, "GET", u+"/items/42/parts/bolt?view=full", "", "X-Tenant", "t-9")
	require.Equal(t, 203, r.status)
	require.JSONEq(t, `{"id":"42","part":"bolt","view":"full","seq":1}`, r.body)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.Equal(t, "|t-9", r.header.Get("X-Echo"), "missing headers are empty; dashed names need index")

	require.Equal(t, 404, do(t, "GET", u+"/items/42/parts/bolt?view=short", "", "X-Tenant", "t-9").status, "query matcher")
	require.Equal(t, 404, do(t, "GET", u+"/items/42/parts/bolt?view=full", "", "X-Tenant", "x-9").status, "header regex")
	require.Equal(t, 404, do(t, "GET", u+"/items/42/parts?view=full", "", "X-Tenant", "t-9").status, "segment count")

	r = do(t, "GET", u+"/present", "", "X-Key", "abc")
	require.Equal(t, 200, r.status)
	require.JSONEq(t, `{"ok":true,"key":"abc","n":3,"list":[1,"two",null]}`, r.body)
	require.Equal(t, 404, do(t, "GET", u+"/present", "").status, "* needs the header present")

	order := `{"customer":{"id":"cus_1"},"items":[{"sku":"A1"},{"sku":"B2"}],"total":1250}`
	r = do(t, "POST", u+"/orders", order)
	require.Equal(t, 201, r.status)
	require.JSONEq(t, `{"customer":"cus_1","total":1250,"method":"POST","route":"order"}`, r.body)
	require.Equal(t, 404, do(t, "POST", u+"/orders", strings.Replace(order, "B2", "C2", 1)).status, "body array path")
	require.Equal(t, 404, do(t, "POST", u+"/orders", strings.Replace(order, "cus_1", "cus_2", 1)).status, "body nested path")
	require.Equal(t, 404, do(t, "POST", u+"/orders", "not json").status)

	r = do(t, "PUT", u+"/raw/a/b/c", "hello there")
	require.Equal(t, 200, r.status)
	require.Equal(t, "got hello there at a/b/c", r.body)
	require.Equal(t, "text/plain", r.header.Get("Content-Type"))
	require.Equal(t, 404, do(t, "PUT", u+"/raw/a", "goodbye").status, "body regex")

	t0 := time.Now()
	require.Equal(t, 200, do(t, "GET", u+"/slow", "").status)
	require.GreaterOrEqual(t, time.Since(t0), 60*time.Millisecond, "constant latency is a lower bound")
	for range 5 {
		require.Equal(t, 200, do(t, "GET", u+"/jitter", "").status)
	}
	require.Equal(t, 200, do(t, "HEAD", u+"/slow", "").status, "HEAD is served by GET routes")
}

func TestLatencyDistributions(t *testing.T) {
	f, err := Parse("l.yaml", []byte("name: l\nroutes: [{name: a, method: GET, path: /}]\n"))
	require.NoError(t, err)
	s, err := New(Config{Stub: f, Seed: 3})
	require.NoError(t, err)
	for _, l := range []Latency{{"constant", 50 * time.Millisecond, 0}, {"normal", 50 * time.Millisecond, 10 * time.Millisecond}, {"lognormal", 50 * time.Millisecond, 20 * time.Millisecond}} {
		var sum, sq float64
		const n = 4000
		for range n {
			v := float64(s.draw(&l)) / float64(time.Millisecond)
			require.GreaterOrEqual(t, v, 0.0)
			sum += v
			sq += v * v
		}
		mean := sum / n
		sd := sq/n - mean*mean
		require.InDelta(t, 50, mean, 2, l.Dist)
		want := float64(l.Stddev / time.Millisecond)
		require.InDelta(t, want*want, sd, want*want*0.2+0.01, l.Dist)
	}
}

func TestUnmatchedNamesClosestRoutes(t *testing.T) {
	s := start(t, features)
	r := do(t, "GET", s.URL()+"/slw", "")
	require.Equal(t, 404, r.status)
	var got struct {
		Error   string `json:"error"`
		Closest []struct{ Route, Method, Path, Why string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	require.Equal(t, "stub feat: no route matches GET /slw", got.Error)
	require.Len(t, got.Closest, 3)
	require.Equal(t, "slowpoke", got.Closest[0].Route)
	require.Equal(t, "path: want /slow", got.Closest[0].Why)

	r = do(t, "DELETE", s.URL()+"/orders", "")
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	require.Equal(t, "order", got.Closest[0].Route)
	require.Equal(t, "method: want POST", got.Closest[0].Why)

	r = do(t, "GET", s.URL()+"/present", "")
	require.NoError(t, json.Unmarshal([]byte(r.body), &got))
	require.Equal(t, "header X-Key: want *", got.Closest[0].Why)
}

const faultStub = `
name: pay
routes:
  - name: charge
    method: POST
    path: /charges
    response:
      status: 201
      json: {id: ch_1, amount: 500, customer: {id: cus_1, email: a@b.c}}
  - name: text
    method: GET
    path: /text
    response: {body: "plain words"}
`

func TestEveryFaultMode(t *testing.T) {
	cases := []struct {
		mode   string
		params Params
		check  func(t *testing.T, r reply)
	}{
		{ModeError, Params{Status: 502}, func(t *testing.T, r reply) {
			require.Equal(t, 502, r.status)
			require.Contains(t, r.body, "Bad Gateway (injected by drill fault")
		}},
		{ModeError, Params{Status: 418, Body: "teapot"}, func(t *testing.T, r reply) {
			require.Equal(t, 418, r.status)
			require.Equal(t, "teapot", r.body)
		}},
		{ModeRateLimit, Params{RetryAfter: 7}, func(t *testing.T, r reply) {
			require.Equal(t, 429, r.status)
			require.Equal(t, "7", r.header.Get("Retry-After"))
		}},
		{ModeRateLimit, Params{}, func(t *testing.T, r reply) {
			require.Equal(t, "1", r.header.Get("Retry-After"))
		}},
		{ModeExpiredCredentials, Params{}, func(t *testing.T, r reply) {
			require.Equal(t, 401, r.status)
			require.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)
			require.Contains(t, r.body, "token_expired")
		}},
		{ModeMalformed, Params{}, func(t *testing.T, r reply) {
			require.Equal(t, 201, r.status)
			require.False(t, json.Valid([]byte(r.body)), r.body)
			require.True(t, strings.HasPrefix(r.body, `{"id":"ch_1"`), r.body)
		}},
		{ModeSchemaChange, Params{Rename: map[string]string{"amount": "amount_cents", "email": "mail"}, Drop: []string{"id"}}, func(t *testing.T, r reply) {
			require.Equal(t, 201, r.status)
			require.JSONEq(t, `{"amount_cents":500,"customer":{"mail":"a@b.c"}}`, r.body)
		}},
		{ModeSlow, Params{Delay: faultmode.Duration(80 * time.Millisecond)}, func(t *testing.T, r reply) {
			require.Equal(t, 201, r.status)
			require.Contains(t, r.body, "ch_1")
		}},
		{ModeOutage, Params{Status: 503}, func(t *testing.T, r reply) {
			require.Equal(t, 503, r.status)
		}},
		{ModeEmpty, Params{}, func(t *testing.T, r reply) {
			require.Equal(t, 200, r.status)
			require.Empty(t, r.body)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			s := start(t, faultStub)
			id, err := s.Faults().Add(faultmode.Fault[Params]{Mode: tc.mode, Scope: faultmode.Scope{Target: "char*"}, Params: tc.params})
			require.NoError(t, err)
			t0 := time.Now()
			r := do(t, "POST", s.URL()+"/charges", `{}`)
			if tc.mode == ModeSlow {
				require.GreaterOrEqual(t, time.Since(t0), 80*time.Millisecond)
			}
			require.Equal(t, id, r.header.Get(FaultHeader))
			tc.check(t, r)
			// The other route is out of the target glob.
			clean := do(t, "GET", s.URL()+"/text", "")
			require.Equal(t, 200, clean.status)
			require.Empty(t, clean.header.Get(FaultHeader))
			require.Equal(t, "plain words", clean.body)
			require.Equal(t, int64(1), s.Faults().Affected(id))
			require.Contains(t, metrics(t, s), fmt.Sprintf(`drill_stub_fault_affected_total{fault=%q,mode=%q,stub="pay"} 1`, id, tc.mode))
		})
	}
}

func TestOutageDropsConnection(t *testing.T) {
	s := start(t, faultStub)
	id, err := s.Faults().Add(faultmode.Fault[Params]{ID: "down", Mode: ModeOutage, Scope: faultmode.Scope{Target: "charge"}})
	require.NoError(t, err)
	res, err := client.Post(s.URL()+"/charges", "application/json", strings.NewReader("{}"))
	if err == nil {
		res.Body.Close()
	}
	require.Error(t, err, "no response at all")
	require.Equal(t, int64(1), s.Faults().Affected(id))
	// The handler counts the request after the client saw the cut.
	require.Eventually(t, func() bool {
		return strings.Contains(metrics(t, s), `drill_stub_requests_total{route="charge",status="dropped",stub="pay"} 1`)
	}, 5*time.Second, 5*time.Millisecond)
}

func TestSchemaChangeSkipsNonJSON(t *testing.T) {
	s := start(t, faultStub)
	id, err := s.Faults().Add(faultmode.Fault[Params]{Mode: ModeSchemaChange, Params: Params{Drop: []string{"x"}}})
	require.NoError(t, err)
	r := do(t, "GET", s.URL()+"/text", "")
	require.Equal(t, "plain words", r.body)
	require.Empty(t, r.header.Get(FaultHeader))
	require.Zero(t, s.Faults().Affected(id), "a fault that changed nothing is no evidence")
}

func TestFaultsFromFileAndSeededProbability(t *testing.T) {
	src := faultStub + `
faults:
  - id: flaky
    mode: error
    target: charge
    probability: 0.5
    params: {status: 500}
  - id: first-two
    mode: rate_limit
    target: text
    count: 2
`
	run := func() []int {
		s := start(t, src)
		var codes []int
		for range 60 {
			codes = append(codes, do(t, "POST", s.URL()+"/charges", "{}").status)
		}
		for range 4 {
			codes = append(codes, do(t, "GET", s.URL()+"/text", "").status)
		}
		require.Equal(t, int64(2), s.Faults().Affected("first-two"))
		var fails int64
		for _, c := range codes[:60] {
			if c == 500 {
				fails++
			}
		}
		require.Equal(t, fails, s.Faults().Affected("flaky"))
		require.InDelta(t, 30, fails, 15)
		return codes
	}
	a, b := run(), run()
	require.Equal(t, a, b, "same seed, same faults")
	require.Equal(t, []int{429, 429, 200, 200}, a[60:])
}

func TestControlAPIAndMetrics(t *testing.T) {
	s := start(t, faultStub)
	res, err := client.Post(s.URL()+"/_drill/faults", "application/json",
		strings.NewReader(`{"id":"sc","mode":"schema_change","target":"charge","params":{"rename":{"amount":"total"}}}`))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusCreated, res.StatusCode)
	require.Contains(t, do(t, "POST", s.URL()+"/charges", "{}").body, `"total":500`)

	r := do(t, "POST", s.URL()+"/_drill/faults", `{"mode":"slow","params":{"status":500}}`)
	require.Equal(t, 400, r.status)
	require.Contains(t, r.body, "params.delay: required for mode slow")
	require.Contains(t, r.body, "params.status: mode slow does not take status; it takes delay")
	r = do(t, "POST", s.URL()+"/_drill/faults", `{"mode":"meltdown"}`)
	require.Contains(t, r.body, `unknown \"meltdown\"; valid modes: error, rate_limit, expired_credentials, malformed, schema_change, slow, outage, empty`)

	r = do(t, "GET", s.URL()+"/_drill/evidence", "")
	require.JSONEq(t, `{"sc":1}`, r.body)
	do(t, "GET", s.URL()+"/nope", "")
	m := metrics(t, s)
	for _, want := range []string{
		`drill_stub_requests_total{route="charge",status="201",stub="pay"} 1`,
		`drill_stub_requests_total{route="unmatched",status="404",stub="pay"} 1`,
		`drill_stub_request_duration_seconds_count{route="charge",stub="pay"} 1`,
		`drill_stub_fault_affected_total{fault="sc",mode="schema_change",stub="pay"} 1`,
	} {
		require.Contains(t, m, want)
	}
}

func metrics(t *testing.T, s *Server) string {
	t.Helper()
	return do(t, "GET", s.URL()+"/metrics", "").body
}

func TestCloseTwiceAndDuringSlowRequest(t *testing.T) {
	f, err := Parse("x.yaml", []byte(faultStub))
	require.NoError(t, err)
	s, err := Start(Config{Stub: f})
	require.NoError(t, err)
	_, err = s.Faults().Add(faultmode.Fault[Params]{Mode: ModeSlow, Params: Params{Delay: faultmode.Duration(time.Hour)}})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		res, err := client.Post(s.URL()+"/charges", "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.Faults().List()[0].Affected == 1 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	<-errc
}

func TestStartErrors(t *testing.T) {
	_, err := Start(Config{})
	require.ErrorContains(t, err, "Config.Stub is required")
	f, err := Parse("x.yaml", []byte(faultStub))
	require.NoError(t, err)
	s := start(t, faultStub)
	_, err = Start(Config{Stub: f, Addr: strings.TrimPrefix(s.URL(), "http://")})
	require.ErrorContains(t, err, "stubs: pay: listen:")
}

func TestKitsLoadAndAnswer(t *testing.T) {
	require.Equal(t, []string{"payments", "vectordb", "websearch"}, Kits())
	_, err := Kit("weather")
	require.EqualError(t, err, `stubs: unknown kit "weather"; kits are payments, vectordb, websearch`)
	open := func(name string) *Server {
		cfg, err := Kit(name)
		require.NoError(t, err)
		// Kits carry realistic latency; the test needs none of it.
		for _, r := range cfg.Stub.Routes {
			r.Latency = nil
		}
		s, err := Start(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}

	ws := open("websearch")
	r := do(t, "GET", ws.URL()+"/search?q=chaos+engineering", "")
	require.Equal(t, 200, r.status)
	var sr struct {
		Query   string
		Results []struct{ Title, URL, Snippet string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &sr), r.body)
	require.Equal(t, "chaos engineering", sr.Query)
	require.Len(t, sr.Results, 3)
	require.Contains(t, sr.Results[0].Title, "chaos engineering")
	require.Contains(t, sr.Results[0].URL, "chaos+engineering")
	require.Equal(t, 400, do(t, "GET", ws.URL()+"/search", "").status)

	vd := open("vectordb")
	r = do(t, "POST", vd.URL()+"/query", `{"vector":[0.1,0.2],"top_k":2,"namespace":"faq"}`, "Content-Type", "application/json")
	require.Equal(t, 200, r.status)
	var vr struct {
		Namespace string
		TopK      int `json:"top_k"`
		Matches   []struct {
			ID    string
			Score float64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(r.body), &vr), r.body)
	require.Equal(t, "faq", vr.Namespace)
	require.Equal(t, 2, vr.TopK)
	require.NotEmpty(t, vr.Matches)
	require.Greater(t, vr.Matches[0].Score, 0.5)

	pay := open("payments")
	auth := []string{"Authorization", "Bearer sk_test_123"}
	r = do(t, "POST", pay.URL()+"/charges", `{"amount":2500,"currency":"eur","customer":"cus_9"}`, auth...)
	require.Equal(t, 201, r.status, r.body)
	var ch map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &ch), r.body)
	require.Equal(t, 2500.0, ch["amount"])
	require.Equal(t, "eur", ch["currency"])
	require.Equal(t, "cus_9", ch["customer"])
	require.Equal(t, "/charges/"+ch["id"].(string), r.header.Get("Location"))
	require.Equal(t, 400, do(t, "POST", pay.URL()+"/charges", `{"amount":-1,"currency":"eur"}`, auth...).status)
	r = do(t, "GET", pay.URL()+"/charges/ch_42", "", auth...)
	require.JSONEq(t, `{"id":"ch_42","object":"charge","amount":2000,"currency":"usd","status":"succeeded"}`, r.body)
	require.Equal(t, 200, do(t, "GET", pay.URL()+"/balance", "", auth...).status)
	require.Equal(t, 401, do(t, "GET", pay.URL()+"/balance", "").status)
	require.Equal(t, 401, do(t, "POST", pay.URL()+"/charges", `{}`).status)
}

// TestBadFiles checks every testdata/bad/*.yaml against its golden error.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			_, err := LoadFile(name)
			require.Error(t, err)
			golden := strings.TrimSuffix(name, ".yaml") + ".err"
			got := err.Error() + "\n"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./stubs -update to create it")
			require.Equal(t, string(want), got)
		})
	}
	_, err = LoadFile("testdata/nothere.yaml")
	require.ErrorContains(t, err, "stubs: testdata/nothere.yaml: no such file or directory")
}

func FuzzParse(f *testing.F) {
	for _, k := range Kits() {
		src, err := KitSource(k)
		require.NoError(f, err)
		f.Add(src)
	}
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, b := range bad {
		src, err := os.ReadFile(b)
		require.NoError(f, err)
		f.Add(src)
	}
	f.Add([]byte(faultStub))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "fuzz.yaml:"), "every error names the file: %q", line)
			}
			return
		}
		require.NotEmpty(t, file.Name)
		require.NotEmpty(t, file.Routes)
		for _, r := range file.Routes {
			require.NotEmpty(t, r.Name)
			require.NotEmpty(t, r.Method)
		}
		s, err := New(Config{Stub: file})
		require.NoError(t, err, "a file that parses must serve")
		_ = s
	})
}

func BenchmarkServeStub(b *testing.B) {
	cfg, err := Kit("payments")
	require.NoError(b, err)
	for _, r := range cfg.Stub.Routes {
		r.Latency = nil
	}
	s, err := Start(cfg)
	require.NoError(b, err)
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	body := `{"amount":2500,"currency":"eur"}`
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", s.URL()+"/charges", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer sk_test")
			res, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}
