package testbed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/loopback"
	"github.com/drillkit/drill/timeline"
)

// service is the service under test, in any form.
type service interface {
	Endpoint() ServiceEndpoint
	Port() int // the port chosen for it; 0 for the builtin
	Logs() string
	Close() error
}

func (tb *Testbed) startService(ctx context.Context) (service, error) {
	switch tb.top.Service.Form() {
	case FormCommand:
		return tb.startCommand(ctx)
	case FormImage:
		return tb.startImage(ctx)
	case FormCompose:
		return tb.startCompose(ctx)
	}
	cfg, err := tb.gatewayConfig()
	if err != nil {
		return nil, err
	}
	gw, err := gateway.Start(cfg)
	if err != nil {
		return nil, err
	}
	return builtin{gw}, nil
}

// builtin is the reference gateway in this process.
type builtin struct{ gw *gateway.Server }

func (b builtin) Endpoint() ServiceEndpoint { return builtinEndpoint(b.gw.URL()) }

// builtinEndpoint is where the reference gateway at base answers.
func builtinEndpoint(base string) ServiceEndpoint {
	return ServiceEndpoint{URL: base, Admin: base + "/admin", Metrics: base + "/metrics", Health: base + "/healthz", Form: FormBuiltin}
}
func (builtin) Port() int      { return 0 }
func (builtin) Logs() string   { return "" }
func (b builtin) Close() error { return b.gw.Close() }

// endpointAt is the ServiceEndpoint of a service listening on port.
func endpointAt(svc Service, port int, form string) ServiceEndpoint {
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	e := ServiceEndpoint{URL: base, Form: form}
	if svc.Admin != "" {
		e.Admin = base + svc.Admin
	}
	if svc.Metrics != "" {
		e.Metrics = base + svc.Metrics
	}
	if svc.Health != "" {
		e.Health = base + svc.Health
	}
	return e
}

// templateEnv renders the service's env values over the endpoints.
func templateEnv(svc Service, data Endpoints) ([]string, error) {
	names := make([]string, 0, len(svc.Env))
	for n := range svc.Env {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	var errs []error
	for _, n := range names {
		v, err := render("service.env."+n, svc.Env[n], data)
		if err != nil {
			errs = append(errs, fmt.Errorf("service.env.%s: %w", n, err))
			continue
		}
		out = append(out, n+"="+v)
	}
	return out, errors.Join(errs...)
}

func templateArgs(field string, args []string, data Endpoints) ([]string, error) {
	out := make([]string, len(args))
	var errs []error
	for i, a := range args {
		v, err := render(field, a, data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", field, i, err))
			continue
		}
		out[i] = v
	}
	return out, errors.Join(errs...)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func newTail(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns at most n of the last lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitReady polls the service until it is ready: health answers 2xx, or,
// without a health path, the port accepts connections. dead is closed
// when the service is gone for good; its error comes from why.
func waitReady(ctx context.Context, e ServiceEndpoint, port int, timeout time.Duration, dead <-chan struct{}, why func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		last = probe(ctx, client, e, port)
		if last == nil {
			return nil
		}
		select {
		case <-dead:
			return why()
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("not ready after %s: %v", timeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, client *http.Client, e ServiceEndpoint, port int) error {
	if e.Health == "" {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.Health, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("health %s answered %s", e.Health, resp.Status)
	}
	return nil
}

// monitor polls health every opts.HealthEvery until stop is closed, and
// reports HealthFailures failures in a row as a crash.
func (tb *Testbed) monitor(e ServiceEndpoint, port int, stop <-chan struct{}, logs func() string, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: tb.opts.HealthEvery, Transport: &http.Transport{DisableKeepAlives: true}}
		defer client.CloseIdleConnections()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-stop:
			case <-ctx.Done():
			}
			cancel()
		}()
		tick := time.NewTicker(tb.opts.HealthEvery)
		defer tick.Stop()
		fails := 0
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			err := probe(ctx, client, e, port)
			if err == nil {
				fails = 0
				continue
			}
			if ctx.Err() != nil {
				return
			}
			fails++
			if fails >= tb.opts.HealthFailures {
				tb.fail(&HarnessError{Op: "service", Err: fmt.Errorf("%w: health check failed %d times in a row: %v", ErrServiceCrashed, fails, err), Logs: lastLines(logs(), 20)})
				return
			}
		}
	}()
}

// process is a command: service: a child process in its own process
// group. Its output goes straight to a file, not through a pipe: a pipe
// that a grandchild holds open would keep cmd.Wait from returning when the
// direct child dies.
type process struct {
	tb      *Testbed
	cmd     *exec.Cmd
	port    int
	ep      ServiceEndpoint
	file    *os.File
	exited  chan struct{}
	waitErr error
	stop    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	watchMu sync.Mutex
	watched map[int]procInfo // processes of the group whose exit is noticed
}

// tail returns the last OutputTail bytes of the service's output.
func (p *process) tail() string {
	f, err := os.Open(p.file.Name())
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > OutputTail {
		if _, err := f.Seek(fi.Size()-OutputTail, io.SeekStart); err != nil {
			return ""
		}
	}
	b, _ := io.ReadAll(io.LimitReader(f, OutputTail))
	return string(b)
}

func (tb *Testbed) startCommand(ctx context.Context) (service, error) {
	svc := tb.top.Service
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	data := tb.upstreamEndpoints()
	data.Port = port
	args, err := templateArgs("service.command", svc.Command, data)
	if err != nil {
		return nil, err
	}
	env, err := templateEnv(svc, data)
	if err != nil {
		return nil, err
	}
	prog := args[0]
	if strings.Contains(prog, "/") && !filepath.IsAbs(prog) {
		prog = tb.path(prog)
	}
	cmd := exec.Command(prog, args[1:]...)
	cmd.Dir = tb.dir
	if svc.Dir != "" {
		cmd.Dir = tb.path(svc.Dir)
	}
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	p := &process{tb: tb, cmd: cmd, port: port, ep: endpointAt(svc, port, FormCommand),
		exited: make(chan struct{}), stop: make(chan struct{}), watched: map[int]procInfo{}}
	p.file, err = os.Create(filepath.Join(tb.tmp, "service.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = p.file, p.file
	if err := cmd.Start(); err != nil {
		p.file.Close()
		return nil, fmt.Errorf("start %s: %w", prog, err)
	}
	tb.logger.Info("service started", "form", "command", "pid", cmd.Process.Pid, "port", port)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
		select {
		case <-p.stop:
		default:
			tb.fail(&HarnessError{Op: "service", Err: fmt.Errorf("%w: %s exited: %v", ErrServiceCrashed, prog, exitText(p.waitErr)), Logs: lastLines(p.tail(), 20)})
		}
	}()
	timeout := svc.StartTimeout
	if timeout == 0 {
		timeout = DefaultStartTimeout
	}
	why := func() error { return fmt.Errorf("%s exited before it was ready: %v", prog, exitText(p.waitErr)) }
	if err := waitReady(ctx, p.ep, port, timeout, p.exited, why); err != nil {
		logs := lastLines(p.tail(), 20)
		p.Close()
		return nil, &HarnessError{Op: "service", Err: err, Logs: logs}
	}
	tb.monitor(p.ep, port, p.stop, p.tail, &p.wg)
	p.watchGroup()
	return p, nil
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (p *process) Endpoint() ServiceEndpoint { return p.ep }
func (p *process) Port() int                 { return p.port }
func (p *process) Logs() string              { return p.tail() }

// Close stops the process group: SIGTERM, then SIGKILL after StopGrace,
// and SIGKILL to whatever of the group is left once the leader is gone.
func (p *process) Close() error {
	p.once.Do(func() {
		close(p.stop)
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(StopGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.exited
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // children that outlived the leader
		p.wg.Wait()
		p.file.Close()
	})
	return nil
}

// groupEvery is how often, in real time, the processes the service's
// process group had are checked; every groupScans checks the group is
// listed anew, and a process seen in two listings in a row is watched.
const (
	groupEvery = 200 * time.Millisecond
	groupScans = 5
)

// watchGroup watches the service's process group, not only its direct
// child: a service run through a wrapper (sh -c 'server & sleep 1000',
// a process manager) may die while the wrapper lives on. When a watched
// process of the group exits, the exit is an event (timeline.ServiceExit)
// and the service is probed at once; if it no longer answers, that is a
// crash. A process that exits while the service answers (a worker
// recycled, a helper that finished) is only an event. Where processes
// cannot be listed (no /proc), only the direct child is watched.
func (p *process) watchGroup() {
	tb, leader := p.tb, p.cmd.Process.Pid
	if _, err := listGroup(leader); err != nil {
		tb.logger.Info("service: the process group cannot be watched here; only the direct child is", "err", err)
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		client := &http.Client{Timeout: tb.opts.HealthEvery, Transport: &http.Transport{DisableKeepAlives: true}}
		defer client.CloseIdleConnections()
		tick := time.NewTicker(groupEvery)
		defer tick.Stop()
		var seen map[int]procInfo
		for n := 0; ; n++ {
			select {
			case <-p.stop:
				return
			case <-p.exited:
				return // the direct child's exit is reported by Wait
			case <-tick.C:
			}
			p.watchMu.Lock()
			var gone []int
			for pid, info := range p.watched {
				if !alive(pid, info) {
					gone = append(gone, pid)
				}
			}
			exits := make([]procInfo, len(gone))
			for i, pid := range gone {
				exits[i] = p.watched[pid]
				delete(p.watched, pid)
			}
			p.watchMu.Unlock()
			for i, pid := range gone {
				if p.groupExit(client, pid, exits[i]) {
					return
				}
			}
			if n%groupScans != 0 {
				continue
			}
			now, err := listGroup(leader)
			if err != nil {
				continue
			}
			p.watchMu.Lock()
			for pid, info := range now {
				if prev, ok := seen[pid]; ok && prev.start == info.start && pid != leader {
					p.watched[pid] = info
				}
			}
			p.watchMu.Unlock()
			seen = now
		}
	}()
}

// groupExit records the exit of a process of the service's group and
// probes the service; it reports whether that was a crash.
func (p *process) groupExit(client *http.Client, pid int, info procInfo) bool {
	tb := p.tb
	select {
	case <-p.stop:
		return true
	default:
	}
	msg := fmt.Sprintf("process %d (%s) of the service's process group exited", pid, info.comm)
	tb.events.Append(timeline.Event{Kind: timeline.ServiceExit, Subject: "service",
		Attrs: map[string]string{"pid": strconv.Itoa(pid), "command": info.comm}, Message: msg})
	ctx, cancel := context.WithTimeout(context.Background(), tb.opts.HealthEvery)
	defer cancel()
	err := probe(ctx, client, p.ep, p.port)
	if err == nil {
		return false
	}
	tb.fail(&HarnessError{Op: "service", Err: fmt.Errorf("%w: %s, and the service no longer answers: %v", ErrServiceCrashed, msg, err), Logs: lastLines(p.tail(), 20)})
	return true
}

// procInfo is what identifies a process across listings: its command
// name and start time (a reused pid starts later).
type procInfo struct {
	comm  string
	start uint64
}
