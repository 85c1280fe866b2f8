package testbed

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/drillkit/drill/faults"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/drillkit/drill/internal/leakcheck"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakcheck.Toxiproxy()...)
}

func TestBuiltinWorld(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	tb := startTestbed(t, top, Options{})
	e := tb.Endpoints()
	require.Equal(t, FormBuiltin, e.Service.Form)
	require.NotEqual(t, e.Providers["primary"].URL, e.Providers["primary"].Direct, "the service must see the proxy")

	r := chat(e.Service.URL, "hello there", nil)
	require.NoError(t, r.err)
	require.Equal(t, 200, r.status, r.body)

	for _, mt := range tb.MetricsTargets() {
		r := get(mt.URL)
		require.NoError(t, r.err, mt.Name)
		require.Equal(t, 200, r.status, mt.Name)
	}
	names := []string{}
	for _, mt := range tb.MetricsTargets() {
		names = append(names, mt.Name)
	}
	require.Equal(t, []string{"primary", "secondary", "search", "service"}, names)

	admin, err := tb.Resolve("{{ .Service.Admin }}")
	require.NoError(t, err)
	require.Equal(t, e.Service.URL+"/admin", admin)
	_, err = tb.Resolve("{{ .Providers.nosuch.URL }}")
	require.Error(t, err)
	r = get(admin + "/state")
	require.Equal(t, 200, r.status, r.body)
	require.Contains(t, r.body, e.Providers["primary"].URL)
	_ = context.Background()
}

func TestTeardownLeavesNothing(t *testing.T) {
	top := loadTopology(t, filepath.Join("testdata", "drill.yaml"))
	before := goleak.IgnoreCurrent()
	var ports []string
	// Two side by side, with traffic: every port differs.
	var tbs []*Testbed
	for range 2 {
		tb, err := Start(context.Background(), top, Options{Dir: "testdata"})
		require.NoError(t, err)
		tbs = append(tbs, tb)
		e := tb.Endpoints()
		ports = append(ports, e.Service.URL, e.Toxiproxy.URL, e.Traffic.Metrics)
		for _, u := range e.Providers {
			ports = append(ports, u.URL, u.Direct)
		}
		for _, u := range e.Stubs {
			ports = append(ports, u.URL, u.Direct)
		}
	}
	seen := map[string]bool{}
	for _, p := range ports {
		u, err := url.Parse(p)
		require.NoError(t, err)
		require.False(t, seen[u.Host], "port %s used twice", u.Host)
		seen[u.Host] = true
	}
	require.Eventually(t, func() bool {
		return metric(t, tbs[0].Endpoints().Traffic.Metrics, "drill_traffic_requests_total") > 0
	}, 10*time.Second, 50*time.Millisecond, "traffic flows")
	_, err := tbs[0].Inject(context.Background(), "latency", "primary", map[string]string{"latency": "50"}, faults.Schedule{})
	require.NoError(t, err)
	tmp := tbs[0].tmp
	for _, tb := range tbs {
		require.NoError(t, tb.Close())
		require.NoError(t, tb.Close())
	}
	for h := range seen {
		_, port, _ := net.SplitHostPort(h)
		n, _ := strconv.Atoi(port)
		require.True(t, portFree(n), "port %s still taken", h)
	}
	_, err = os.Stat(tmp)
	require.True(t, os.IsNotExist(err), "temp dir left behind")
	require.NoError(t, goleak.Find(append(leakcheck.Toxiproxy(), before)...), "goroutines left behind")
}
