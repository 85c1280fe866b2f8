package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	tctoxiproxy "github.com/testcontainers/testcontainers-go/modules/toxiproxy"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/internal/tempdir"
)

// ContainerOptions says which toxiproxy image to run.
type ContainerOptions struct {
	// Image is a toxiproxy image already in the engine. Nothing can be
	// pulled where drill runs hermetically, so it is usually empty and
	// Binary is built into an image instead.
	Image string
	// Binary is a static toxiproxy-server binary
	// (CGO_ENABLED=0 go build github.com/Shopify/toxiproxy/v2/cmd/server);
	// NewContainer builds an image FROM scratch around it.
	Binary string
}

// dockerfile wraps a static toxiproxy-server in an image with nothing else.
const dockerfile = `FROM scratch
COPY toxiproxy-server /toxiproxy-server
ENTRYPOINT ["/toxiproxy-server"]
`

// NewContainer starts toxiproxy in a container through testcontainers'
// toxiproxy module.
//
// The container shares the host's network namespace (network mode host):
// a proxy listens inside the container, and only so can it listen on a
// port chosen when the proxy is created (a bridged container publishes
// only the ports fixed at start) and reach upstreams that listen on the
// host's loopback. Its API listens on a free port of 127.0.0.1 for the
// same reason. Evidence comes from the container's log; its server logs
// accepted connections but not closed ones, so a fault counts the
// connections opened while it was on, not those already open.
func NewContainer(ctx context.Context, opts ContainerOptions) (*Proxies, error) {
	if opts.Image == "" && opts.Binary == "" {
		return nil, errors.New("faults: toxiproxy container: want an image or a toxiproxy-server binary")
	}
	port, err := loopback.FreePort()
	if err != nil {
		return nil, fmt.Errorf("faults: toxiproxy container: %w", err)
	}
	tracker := newConnTracker()
	tracker.closesHidden = true
	customs := []testcontainers.ContainerCustomizer{
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.PortBindings = nil
		}),
		testcontainers.WithConfigModifier(func(c *container.Config) { c.ExposedPorts = nil }),
		testcontainers.WithCmd("-host=127.0.0.1", "-port="+strconv.Itoa(port)),
		// Readiness is read from the log here and checked on loopback
		// below, not with an HTTP wait: testcontainers reaches a container
		// at the host it guesses, which where /.dockerenv exists (some VMs
		// and CI runners) is a gateway address, not the loopback this
		// container's host network serves on.
		testcontainers.WithWaitStrategyAndDeadline(30*time.Second, wait.ForLog("Starting Toxiproxy HTTP server")),
		testcontainers.WithLogConsumers(logConsumer{tracker}),
	}
	image := opts.Image
	if image == "" {
		dir, err := tempdir.Make("", "toxiproxy-image")
		if err != nil {
			return nil, fmt.Errorf("faults: toxiproxy image context: %w", err)
		}
		defer os.RemoveAll(dir)
		if err := copyFile(opts.Binary, filepath.Join(dir, "toxiproxy-server")); err != nil {
			return nil, fmt.Errorf("faults: toxiproxy image context: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			return nil, fmt.Errorf("faults: toxiproxy image context: %w", err)
		}
		// KeepImage: the next testbed reuses the layers instead of building again.
		customs = append(customs, testcontainers.WithDockerfile(testcontainers.FromDockerfile{
			Context: dir, Repo: "drill-toxiproxy", Tag: "local", KeepImage: true,
		}))
	}
	ctr, err := tctoxiproxy.Run(ctx, image, customs...)
	if err != nil {
		if ctr != nil {
			_ = ctr.Terminate(context.Background())
		}
		if strings.Contains(err.Error(), "reaper") {
			// Ryuk is an image to pull, and drill runs where nothing can be
			// pulled; Close removes the container itself.
			err = fmt.Errorf("%w (set TESTCONTAINERS_RYUK_DISABLED=true)", err)
		}
		return nil, fmt.Errorf("faults: toxiproxy container: %w", err)
	}
	p := newProxies(Container, "http://127.0.0.1:"+strconv.Itoa(port), tracker, "127.0.0.1")
	p.shutdown = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return ctr.Terminate(ctx)
	}
	if err := p.awaitAPI(ctx, 10*time.Second); err != nil {
		_ = p.shutdown()
		return nil, fmt.Errorf("faults: toxiproxy container: %w", err)
	}
	return p, nil
}

// awaitAPI waits until the toxiproxy API answers, at most within: the
// server logs that it starts its API just before it listens.
func (p *Proxies) awaitAPI(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	backoff := 10 * time.Millisecond
	for {
		_, err := p.client.Version()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("API at %s does not answer: %w", p.apiURL, err)
		case <-time.After(backoff):
			backoff = min(2*backoff, 500*time.Millisecond)
		}
	}
}

type logConsumer struct{ t *connTracker }

func (c logConsumer) Accept(l testcontainers.Log) { _, _ = c.t.Write(l.Content) }

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
