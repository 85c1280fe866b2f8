package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/internal/loopback"
)

// A compose: service is one service (service_name) of the team's own
// compose file, started with its dependencies through the docker compose
// CLI: `docker compose` (the v2 plugin) where it answers, else
// `docker-compose` (v1, Debian's package). Not testcontainers-go's
// compose module: it embeds docker/compose, buildx, buildkit and
// docker/cli (878 packages to compile against testcontainers-go's own 334,
// over three minutes on a cold cache here) for what a few CLI calls do.
//
// The plumbing is the image: form's. Every service of the project runs in
// the host's network namespace, with each service's name resolving to
// 127.0.0.1 (extra_hosts), so the service under test reaches the proxies
// on the host's loopback and its dependencies by the names the file gives
// them; the service under test gets the free port chosen for it
// ({{ .Port }}) and the rendered env: on top of its own environment. drill
// adds these in an override file of its own; the team's file is not
// changed. Published ports are discarded in that mode, so dependencies
// listen on their own ports on the loopback: worlds with a compose service
// whose dependencies use fixed ports cannot run side by side (--parallel
// 1).
//
// Each world is its own compose project, named drill-<testbed>, and its
// teardown (Close, also when the run is interrupted) is `down -v
// --remove-orphans --rmi local`: every container, network and volume the
// project made goes, and the images compose built for it.

// composeCLI finds the compose CLI: the argv prefix that runs it.
func composeCLI(ctx context.Context) ([]string, error) {
	try := func(argv ...string) bool {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return exec.CommandContext(cctx, argv[0], append(argv[1:], "version")...).Run() == nil
	}
	if _, err := exec.LookPath("docker"); err == nil && try("docker", "compose") {
		return []string{"docker", "compose"}, nil
	}
	if _, err := exec.LookPath("docker-compose"); err == nil && try("docker-compose") {
		return []string{"docker-compose"}, nil
	}
	return nil, errors.New("no docker compose CLI answers: a compose: service needs `docker compose` (the compose plugin) or `docker-compose` (Debian's docker-compose package) on PATH")
}

// engineUp says whether a container engine answers `docker info`.
func engineUp(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err != nil {
		return fmt.Errorf("no container engine answers (docker info: %s); a compose: service needs one running", firstLineOf(strings.TrimSpace(string(out))))
	}
	return nil
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

var projectUnsafe = regexp.MustCompile(`[^a-z0-9_-]+`)

// composeSvc is a started compose project.
type composeSvc struct {
	tb      *Testbed
	base    []string // the CLI: docker compose, or docker-compose
	cli     []string // the CLI and the project's -p and -f flags
	project string
	port    int
	ep      ServiceEndpoint
	tail    *tailBuffer
	logs    *exec.Cmd
	stop    chan struct{}
	dead    chan struct{}
	why     string
	wg      sync.WaitGroup
	once    sync.Once
}

func (c *composeSvc) run(ctx context.Context, timeout time.Duration, args ...string) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	argv := append(append([]string(nil), c.cli...), args...)
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	cmd.Dir = c.tb.path(".")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w: %s", strings.Join(c.base, " "), strings.Join(args, " "), err, lastLines(strings.TrimSpace(out.String()), 10))
	}
	return out.Bytes(), nil
}

// composeFile reads what the override needs of the team's compose file
// (through teamFile: inside the team directory, bounded): its version
// (compose v1 merges only files of one version) and its services, which
// must include service_name.
func (tb *Testbed) composeFile() (version string, services []string, err error) {
	svc := tb.top.Service
	_, b, err := tb.teamFile(svc.Compose)
	if err != nil {
		return "", nil, err
	}
	var f struct {
		Version  string               `yaml:"version"`
		Services map[string]yaml.Node `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return "", nil, fmt.Errorf("not a compose file: %v", err)
	}
	for name := range f.Services {
		services = append(services, name)
	}
	sort.Strings(services)
	if len(services) == 0 {
		return "", nil, errors.New("no services: expected a compose file with a services: mapping")
	}
	if !slices.Contains(services, svc.ServiceName) {
		return "", nil, fmt.Errorf("service_name %q is no service of the file (services: %s)", svc.ServiceName, strings.Join(services, ", "))
	}
	return f.Version, services, nil
}

func (tb *Testbed) startCompose(ctx context.Context) (service, error) {
	svc := tb.top.Service
	fail := func(err error) (service, error) {
		return nil, &HarnessError{Op: "service", Err: fmt.Errorf("compose %s: %w", svc.Compose, err)}
	}
	if err := engineUp(ctx); err != nil {
		return fail(err)
	}
	cli, err := composeCLI(ctx)
	if err != nil {
		return fail(err)
	}
	file := tb.path(svc.Compose)
	version, services, err := tb.composeFile()
	if err != nil {
		return fail(err)
	}
	port := svc.Port
	if port == 0 {
		if port, err = loopback.FreePort(); err != nil {
			return nil, err
		}
	}
	data := tb.upstreamEndpoints()
	data.Port = port
	envList, err := templateEnv(svc, data)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range envList {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	project := "drill-" + strings.Trim(projectUnsafe.ReplaceAllString(strings.ToLower(filepath.Base(tb.tmp)), "-"), "-")
	override := map[string]any{}
	if version != "" {
		override["version"] = version
	}
	var hosts []string
	for _, s := range services {
		hosts = append(hosts, s+":127.0.0.1")
	}
	ovServices := map[string]any{}
	for _, s := range services {
		o := map[string]any{"network_mode": "host", "extra_hosts": hosts,
			"labels": map[string]string{"org.drillkit.testbed": filepath.Base(tb.tmp)}}
		if s == svc.ServiceName {
			o["environment"] = env
		}
		ovServices[s] = o
	}
	override["services"] = ovServices
	ob, err := yaml.Marshal(override)
	if err != nil {
		return nil, err
	}
	ovFile := filepath.Join(tb.tmp, "compose.override.yaml")
	if err := os.WriteFile(ovFile, ob, 0o600); err != nil {
		return nil, err
	}
	c := &composeSvc{tb: tb, project: project, port: port, ep: endpointAt(svc, port, FormCompose), tail: newTail(OutputTail),
		stop: make(chan struct{}), dead: make(chan struct{})}
	c.base = cli
	c.cli = append(append([]string(nil), cli...), "-p", project, "-f", file, "-f", ovFile)
	timeout := svc.StartTimeout
	if timeout == 0 {
		timeout = DefaultImageStartTimeout
	}
	if out, err := c.run(ctx, timeout, "up", "-d", "--build"); err != nil {
		_, _ = c.tail.Write(out)
		logs := lastLines(c.tail.String(), 20)
		c.down()
		return nil, &HarnessError{Op: "service", Err: fmt.Errorf("compose %s: %w", svc.Compose, err), Logs: logs}
	}
	tb.logger.Info("service started", "form", "compose", "project", project, "service", svc.ServiceName, "port", port)
	c.followLogs()
	c.wg.Add(1)
	go c.watch()
	why := func() error {
		return fmt.Errorf("compose service %s stopped before it was ready: %s", svc.ServiceName, c.why)
	}
	if err := waitReady(ctx, c.ep, port, timeout, c.dead, why); err != nil {
		logs := lastLines(c.tail.String(), 20)
		c.Close()
		return nil, &HarnessError{Op: "service", Err: err, Logs: logs}
	}
	tb.monitor(c.ep, port, c.stop, c.tail.String, &c.wg)
	return c, nil
}

// followLogs keeps the project's output (every service's) in the tail.
func (c *composeSvc) followLogs() {
	argv := append(append([]string(nil), c.cli...), "logs", "-f", "--no-color")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.tb.path(".")
	cmd.Stdout, cmd.Stderr = c.tail, c.tail
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1") // docker-compose v1 is Python: line by line, not at exit
	if cmd.Start() == nil {
		c.logs = cmd
	}
}

// containerOf is the container of the service under test, "" when it has
// none (yet).
func (c *composeSvc) containerOf(ctx context.Context) string {
	out, err := c.run(ctx, 10*time.Second, "ps", "-q", c.tb.top.Service.ServiceName)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(firstLineOf(string(out)))
}

// watch polls the service under test's container and reports its death.
func (c *composeSvc) watch() {
	defer c.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	id := ""
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if id == "" {
			id = c.containerOf(ctx)
		}
		var out []byte
		var err error
		if id != "" {
			out, err = exec.CommandContext(ctx, "docker", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}", id).Output()
		}
		cancel()
		if id == "" || err != nil {
			continue // the engine hiccuped; the health check decides
		}
		f := strings.Fields(string(out))
		if len(f) < 3 || f[0] == "running" || f[0] == "created" || f[0] == "restarting" {
			continue
		}
		c.why = fmt.Sprintf("status %s, exit code %s", f[0], f[1])
		if f[2] == "true" {
			c.why += " (out of memory)"
		}
		select {
		case <-c.stop:
			return
		default:
		}
		close(c.dead)
		c.tb.fail(&HarnessError{Op: "service", Err: fmt.Errorf("%w: compose service %s exited: %s", ErrServiceCrashed, c.tb.top.Service.ServiceName, c.why), Logs: lastLines(c.tail.String(), 20)})
		return
	}
}

func (c *composeSvc) Endpoint() ServiceEndpoint { return c.ep }
func (c *composeSvc) Port() int                 { return c.port }
func (c *composeSvc) Logs() string              { return c.tail.String() }

// down removes everything the project made: containers, networks,
// volumes, the images compose built, and containers of services no longer
// in the file.
func (c *composeSvc) down() error {
	_, err := c.run(context.Background(), 2*time.Minute, "down", "-v", "--remove-orphans", "--rmi", "local", "-t", strconv.Itoa(int(StopGrace/time.Second)))
	if c.logs != nil {
		_ = c.logs.Process.Kill()
		_ = c.logs.Wait()
		c.logs = nil
	}
	return err
}

// Close stops the project and removes what it made.
func (c *composeSvc) Close() error {
	var err error
	c.once.Do(func() {
		close(c.stop)
		c.wg.Wait()
		err = c.down()
	})
	return err
}
