package testbed

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
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
