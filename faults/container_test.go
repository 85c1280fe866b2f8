package faults

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/drillkit/drill/scoring"
	"github.com/drillkit/drill/timeline"
)

// requireEngine skips the test, with one line, when no container engine
// answers.
func requireEngine(t *testing.T) {
	t.Helper()
	provider, err := testcontainers.NewDockerProvider()
	if err == nil {
		defer provider.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = provider.Health(ctx)
	}
	if err != nil {
		t.Skipf("no container engine answers; skipping the toxiproxy container test (%s)", strings.SplitN(err.Error(), "\n", 2)[0])
	}
}

// The toxiproxy container, built FROM scratch from a toxiproxy-server
// built here (no registry is reachable), in host network mode, drives a
// real proxy in front of an upstream on the host's loopback.
func TestContainerBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a container")
	}
	// Nothing can be pulled here, Ryuk included; .ci/run sets this too.
	// Before anything reads testcontainers' configuration, which it
	// reads once.
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	requireEngine(t)
	bin := filepath.Join(t.TempDir(), "toxiproxy-server")
	build := exec.Command("go", "build", "-o", bin, "github.com/Shopify/toxiproxy/v2/cmd/server")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build toxiproxy-server: %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := NewContainer(ctx, ContainerOptions{Binary: bin})
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Close()) }()
	require.Equal(t, Container, p.Backend())

	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("hello")) }))
	defer up.Close()
	u, err := p.CreateProxy("llm", up.URL)
	require.NoError(t, err)
	log := timeline.NewLog(timeline.NewVirtual(t0))
	inj := NewInjector(Targets{Proxies: p}, log)
	a, err := inj.Apply(ctx, "slow", mustParse(t, "latency", map[string]string{"latency": "200"}), "llm", Schedule{})
	require.NoError(t, err)
	c := client(t, 5*time.Second)
	got, took, err := get(c, u)
	require.NoError(t, err)
	require.Equal(t, "hello", got)
	require.GreaterOrEqual(t, took, 200*time.Millisecond)
	// The container's log reaches us through the log stream, a moment later.
	require.Eventually(t, func() bool {
		n, _ := a.Affected(ctx)
		return n >= 1
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(t, inj.RemoveAll(ctx))
	require.Equal(t, string(scoring.EvidenceToxiproxy), offEvent(t, log, "slow").Attrs["evidence"])
	names, err := p.Toxics("llm")
	require.NoError(t, err)
	require.Empty(t, names)
}
