package testbed

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/drillkit/drill/internal/loopback"
)

// containerSvc is an image: service, run through testcontainers-go in the
// host's network namespace: the proxies it must reach listen on the
// host's loopback, and only so can it listen on a port chosen at start.
type containerSvc struct {
	tb   *Testbed
	ctr  testcontainers.Container
	port int
	ep   ServiceEndpoint
	tail *tailBuffer
	stop chan struct{}
	dead chan struct{} // closed when the container is seen not running
	why  string
	wg   sync.WaitGroup
	once sync.Once
}

// tcLogger sends testcontainers' progress lines to the testbed's logger
// instead of stderr.
type tcLogger struct{ l *slog.Logger }

func (t tcLogger) Printf(format string, args ...any) {
	t.l.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "testcontainers")
}

type logSink struct{ t *tailBuffer }

func (s logSink) Accept(l testcontainers.Log) { _, _ = s.t.Write(l.Content) }

func (tb *Testbed) startImage(ctx context.Context) (service, error) {
	svc := tb.top.Service
	port := svc.Port
	if port == 0 {
		p, err := loopback.FreePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	data := tb.upstreamEndpoints()
	data.Port = port
	args, err := templateArgs("service.args", svc.Args, data)
	if err != nil {
		return nil, err
	}
	envList, err := templateEnv(svc, data)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range envList {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	c := &containerSvc{tb: tb, port: port, ep: endpointAt(svc, port, FormImage), tail: newTail(OutputTail),
		stop: make(chan struct{}), dead: make(chan struct{})}
	req := testcontainers.ContainerRequest{
		Image: svc.Image,
		Env:   env,
		Cmd:   args,
		HostConfigModifier: func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
			hc.PortBindings = nil
		},
		LogConsumerCfg: &testcontainers.LogConsumerConfig{Consumers: []testcontainers.LogConsumer{logSink{c.tail}}},
		Labels:         map[string]string{"org.drillkit.testbed": filepath.Base(tb.tmp)},
	}
	if svc.Build != nil {
		repo, tag, _ := strings.Cut(svc.Image, ":")
		if tag == "" {
			tag = "latest"
		}
		req.Image = ""
		req.FromDockerfile = testcontainers.FromDockerfile{
			Context: tb.path(svc.Build.Context), Dockerfile: svc.Build.Dockerfile,
			Repo: repo, Tag: tag, KeepImage: true, BuildLogWriter: c.tail,
		}
	}
	timeout := svc.StartTimeout
	if timeout == 0 {
		timeout = DefaultImageStartTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctr, err := testcontainers.GenericContainer(sctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req, Started: true, Logger: tcLogger{tb.logger},
	})
	if ctr != nil {
		c.ctr = ctr
	}
	if err != nil {
		logs := lastLines(c.tail.String(), 20)
		c.terminate()
		if strings.Contains(err.Error(), "reaper") {
			// Ryuk is an image to pull, and drill runs where nothing can be
			// pulled; the testbed removes its containers itself.
			err = fmt.Errorf("%w (set TESTCONTAINERS_RYUK_DISABLED=true)", err)
		}
		return nil, &HarnessError{Op: "service", Err: fmt.Errorf("container %s: %w", svc.Image, err), Logs: logs}
	}
	tb.logger.Info("service started", "form", "image", "image", svc.Image, "id", ctr.GetContainerID(), "port", port)
	c.wg.Add(1)
	go c.watch()
	why := func() error { return fmt.Errorf("container %s stopped before it was ready: %s", svc.Image, c.why) }
	if err := waitReady(ctx, c.ep, port, timeout, c.dead, why); err != nil {
		logs := lastLines(c.tail.String(), 20)
		c.Close()
		return nil, &HarnessError{Op: "service", Err: err, Logs: logs}
	}
	tb.monitor(c.ep, port, c.stop, c.tail.String, &c.wg)
	return c, nil
}

// watch polls the container's state and reports its death.
func (c *containerSvc) watch() {
	defer c.wg.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := c.ctr.State(ctx)
		cancel()
		if err != nil {
			select {
			case <-c.stop:
				return
			default:
			}
			continue // the engine hiccuped; the health check decides
		}
		if st.Running {
			continue
		}
		c.why = fmt.Sprintf("status %s, exit code %d", st.Status, st.ExitCode)
		if st.OOMKilled {
			c.why += " (out of memory)"
		}
		close(c.dead)
		c.tb.fail(&HarnessError{Op: "service", Err: fmt.Errorf("%w: container exited: %s", ErrServiceCrashed, c.why), Logs: lastLines(c.tail.String(), 20)})
		return
	}
}

func (c *containerSvc) Endpoint() ServiceEndpoint { return c.ep }
func (c *containerSvc) Port() int                 { return c.port }
func (c *containerSvc) Logs() string              { return c.tail.String() }

func (c *containerSvc) terminate() error {
	if c.ctr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The built image stays (KeepImage) so the next testbed starts at once.
	return c.ctr.Terminate(ctx, testcontainers.StopTimeout(StopGrace))
}

// Close stops and removes the container.
func (c *containerSvc) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		err = c.terminate()
		if err != nil {
			err = fmt.Errorf("container %s: %w", strconv.Quote(c.tb.top.Service.Image), err)
		}
	})
	return err
}
