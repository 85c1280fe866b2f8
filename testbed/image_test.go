package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
)

// engineOrSkip skips, in one line, when no container engine answers.
func engineOrSkip(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("container tests run without -short")
	}
	// Nothing can be pulled here, Ryuk included; .ci/run sets this too.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err == nil {
		defer p.Close()
		err = p.Health(ctx)
	}
	if err != nil {
		t.Skipf("no container engine answers (%v); skipping the image: form", firstLine(err.Error()))
	}
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func TestImageServiceRunsGatewayInAContainer(t *testing.T) {
	engineOrSkip(t)
	bin := drillBinary(t)
	// The build context: a static drill in an image with nothing else (no
	// registry is reachable, so nothing can be pulled).
	dir := t.TempDir()
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drill"), data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY drill /drill\nENTRYPOINT [\"/drill\", \"serve\", \"gateway\"]\n"), 0o644))

	top := parseText(t, upstreams+fmt.Sprintf("service:\n  image: drill-testbed-gateway:test\n  build: {context: %q}\n", dir)+gatewayEnv)
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
	require.NoError(t, err)
	defer tb.Close()

	e := tb.Endpoints()
	require.Equal(t, FormImage, e.Service.Form)
	r := chat(e.Service.URL, "hello", nil)
	require.Equal(t, 200, r.status, r.body)
	r = get(e.Service.Admin + "/state")
	require.Contains(t, r.body, e.Providers["primary"].URL, "the container must be wired to the proxy")
	require.Eventually(t, func() bool { return len(tb.ServiceLogs()) > 0 }, 5*time.Second, 50*time.Millisecond, "container logs are captured")

	ctr := tb.svc.(*containerSvc).ctr
	require.NoError(t, tb.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = ctr.State(ctx)
	require.Error(t, err, "the container must be gone")
	require.True(t, portFree(e.Port))
}

func TestImageServiceCrashIsAHarnessError(t *testing.T) {
	engineOrSkip(t)
	bin := drillBinary(t)
	dir := t.TempDir()
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drill"), data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY drill /drill\nENTRYPOINT [\"/drill\", \"serve\", \"gateway\"]\n"), 0o644))
	top := parseText(t, upstreams+fmt.Sprintf("service:\n  image: drill-testbed-gateway:test\n  build: {context: %q}\n", dir)+gatewayEnv)
	tb, err := Start(context.Background(), top, Options{Dir: "testdata", TrafficOff: true})
	require.NoError(t, err)
	defer tb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	stop := 0 * time.Second
	require.NoError(t, tb.svc.(*containerSvc).ctr.Stop(ctx, &stop))
	select {
	case err := <-tb.Err():
		require.ErrorIs(t, err, ErrServiceCrashed)
		require.Contains(t, err.Error(), "container exited")
	case <-ctx.Done():
		t.Fatal("the container's death was not reported")
	}
}
