package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/drillkit/drill/faults"
	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/exitcode"
	"github.com/drillkit/drill/internal/strictyaml"
	"github.com/drillkit/drill/internal/teamfile"
	"github.com/drillkit/drill/internal/tempdir"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/stubs"
	"github.com/drillkit/drill/timeline"
)

// Options tune one testbed.
type Options struct {
	// Dir is the team directory relative paths in the topology are
	// resolved against; empty is drill.yaml's directory.
	Dir string
	// Logger receives the testbed's own log lines; nil discards.
	Logger *slog.Logger
	// Log is the scenario's event log: faults write FaultOn/FaultOff to
	// it and the testbed a HarnessError when the service crashes. Nil
	// starts a log of its own on a real-time clock.
	Log *timeline.Log
	// Seed, when not zero, seeds every provider and stub without a seed
	// of its own (provider i gets Seed+i), so parallel scenarios differ
	// and reruns repeat.
	Seed uint64
	// TrafficOff leaves traffic stopped even when the topology has a
	// traffic section; a scenario starts it with StartTraffic.
	TrafficOff bool
	// Toxiproxy overrides the topology's toxiproxy section (the
	// --toxiproxy URL flag): an external server's API URL.
	Toxiproxy string
	// HealthEvery is how often the service's health is polled once it is
	// ready (default DefaultHealthEvery); HealthFailures consecutive
	// failures (default DefaultHealthFailures) are a crash.
	HealthEvery    time.Duration
	HealthFailures int
}

// Testbed is one running, isolated world. Its methods are safe for
// concurrent use.
type Testbed struct {
	top    Topology
	opts   Options
	logger *slog.Logger
	events *timeline.Log
	dir    string // team directory
	tmp    string // removed on Close

	proxies        *faults.Proxies
	providers      map[string]*upstream
	stubs          map[string]*upstream
	order          []string // provider then stub names, in topology order
	providerModels []mockllm.Model
	svc            service
	injector       *faults.Injector

	trafficMu sync.Mutex
	traffic   trafficRunner

	faultMu sync.Mutex
	applied []*faults.Active

	errc     chan error
	failMu   sync.Mutex
	failure  error
	closing  chan struct{}
	stopCtx  func() bool
	closeMu  sync.Mutex
	closed   bool
	closeErr error
	undo     []func() error // LIFO teardown of what Start built
}

// upstream is one provider or stub with its proxy.
type upstream struct {
	name    string
	direct  string // the mock's own URL
	proxied string // the proxy in front of it
	close   func() error
	// surfaces a mock provider answers (mockllm.AllSurfaces); nil for a stub
	surfaces []string
	// deployments are a mock provider's Azure deployments (name: model)
	deployments map[string]string
}

// HarnessError is a failure of the testbed itself (a port in use, the
// service under test crashing or failing to start): the runner reports it
// as an error of the harness, never as a failed drill.
type HarnessError struct {
	Op  string // what failed: "start", "service", "provider primary", ...
	Err error
	// Logs is the tail of the service's output, when it has any.
	Logs string
}

func (e *HarnessError) Error() string {
	msg := "testbed: " + e.Op + ": " + e.Err.Error()
	if e.Logs != "" {
		msg += "\n--- last output of the service ---\n" + strings.TrimRight(e.Logs, "\n")
	}
	return msg
}

func (e *HarnessError) Unwrap() error { return e.Err }

// ExitCode is exitcode.Harness: a HarnessError that reaches the command
// line says nothing of the team.
func (e *HarnessError) ExitCode() exitcode.Code { return exitcode.Harness }

// ErrServiceCrashed is wrapped by the HarnessError a crash of the service
// under test produces.
var ErrServiceCrashed = errors.New("service under test crashed")

// Start assembles one testbed: providers and stubs on free ports, a
// toxiproxy proxy in front of each, the service under test wired to the
// proxies and ready, and traffic if the topology asks for it. Every
// failure is a *HarnessError, and whatever was started is torn down
// before Start returns it. The testbed lives until Close or until ctx is
// cancelled, whichever comes first.
func Start(ctx context.Context, top Topology, opts Options) (_ *Testbed, err error) {
	if err := ctx.Err(); err != nil {
		return nil, &HarnessError{Op: "start", Err: err}
	}
	tb := &Testbed{
		top: top, opts: opts, logger: opts.Logger, events: opts.Log,
		providers: map[string]*upstream{}, stubs: map[string]*upstream{},
		errc: make(chan error, 1), closing: make(chan struct{}),
	}
	if tb.logger == nil {
		tb.logger = slog.New(slog.DiscardHandler)
	}
	if tb.events == nil {
		clock, _ := timeline.NewScaled(time.Now(), 1)
		tb.events = timeline.NewLog(clock)
	}
	if tb.opts.HealthEvery <= 0 {
		tb.opts.HealthEvery = DefaultHealthEvery
	}
	if tb.opts.HealthFailures <= 0 {
		tb.opts.HealthFailures = DefaultHealthFailures
	}
	tb.dir = opts.Dir
	if tb.dir == "" && top.File != "" {
		tb.dir = filepath.Dir(top.File)
	}
	defer func() {
		if err != nil {
			_ = tb.Close() // whatever was started goes
		}
	}()
	tb.tmp, err = tempdir.Make("", "testbed") // swept by the next drill if this one is killed
	if err != nil {
		return nil, &HarnessError{Op: "start", Err: err}
	}
	tb.undo = append(tb.undo, func() error { return os.RemoveAll(tb.tmp) })

	if err := tb.startProxies(ctx); err != nil {
		return nil, &HarnessError{Op: "toxiproxy", Err: err}
	}
	for i, p := range top.Providers {
		if err := tb.startProvider(i, p); err != nil {
			return nil, &HarnessError{Op: "provider " + p.Name, Err: err}
		}
	}
	for i, s := range top.Stubs {
		if err := tb.startStub(i, s); err != nil {
			return nil, &HarnessError{Op: "stub " + s.Name, Err: err}
		}
	}
	tb.injector = faults.NewInjector(faults.Targets{
		Proxies:   tb.proxies,
		Providers: controlURLs(tb.providers),
		Stubs:     controlURLs(tb.stubs),
		Surge:     tb.surge,
		Sent:      tb.sent,
	}, tb.events)
	tb.undo = append(tb.undo, func() error { return tb.injector.RemoveAll(context.Background()) })

	svc, err := tb.startService(ctx)
	if err != nil {
		var he *HarnessError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, &HarnessError{Op: "service", Err: err}
	}
	tb.svc = svc
	tb.undo = append(tb.undo, svc.Close)

	if top.Traffic != nil && !opts.TrafficOff {
		if err := tb.StartTraffic(ctx, *top.Traffic); err != nil {
			return nil, &HarnessError{Op: "traffic", Err: err}
		}
	}
	// The testbed lives no longer than ctx.
	tb.stopCtx = context.AfterFunc(ctx, func() { _ = tb.Close() })
	return tb, nil
}

func controlURLs(m map[string]*upstream) map[string]string {
	out := make(map[string]string, len(m))
	for n, u := range m {
		out[n] = u.direct
	}
	return out
}

func (tb *Testbed) startProxies(ctx context.Context) error {
	var (
		p   *faults.Proxies
		err error
	)
	t := tb.top.Toxiproxy
	if tb.opts.Toxiproxy != "" {
		t = Toxiproxy{Mode: "external", URL: tb.opts.Toxiproxy}
	}
	switch t.Mode {
	case "", "embedded":
		p, err = faults.NewEmbedded()
	case "external":
		p, err = faults.NewExternal(t.URL)
	case "container":
		bin := t.Binary
		if bin != "" && !filepath.IsAbs(bin) {
			bin = filepath.Join(tb.dir, bin)
		}
		p, err = faults.NewContainer(ctx, faults.ContainerOptions{Image: t.Image, Binary: bin})
	default:
		err = fmt.Errorf("unknown toxiproxy mode %q", t.Mode)
	}
	if err != nil {
		return err
	}
	tb.proxies = p
	tb.undo = append(tb.undo, p.Close)
	return nil
}

func (tb *Testbed) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(tb.dir, p)
}

// loadStub reads the stub file drill.yaml names; see teamFile.
func (tb *Testbed) loadStub(p string) (*stubs.File, error) {
	name, data, err := tb.teamFile(p)
	if err != nil {
		return nil, fmt.Errorf("stubs: %w", err)
	}
	return stubs.Parse(name, data)
}

// loadProviderConfig reads a mock provider's config drill.yaml names;
// see teamFile.
func (tb *Testbed) loadProviderConfig(p string) (mockllm.Config, error) {
	name, data, err := tb.teamFile(p)
	if err != nil {
		return mockllm.Config{}, err
	}
	return mockllm.ParseConfig(name, data)
}

// teamFile reads a YAML file drill.yaml names. A relative path is read
// inside the team directory through internal/teamfile (a regular file,
// no link out of the team, at most strictyaml.MaxBytes); an absolute one
// was written so by the team and is read as a file given on the command
// line (a regular file, capped).
func (tb *Testbed) teamFile(p string) (string, []byte, error) {
	return tb.teamFileMax(p, strictyaml.MaxBytes)
}

// teamFileMax is teamFile for a file of at most max bytes.
func (tb *Testbed) teamFileMax(p string, max int64) (string, []byte, error) {
	if tb.dir == "" || filepath.IsAbs(p) {
		if max == strictyaml.MaxBytes {
			b, err := strictyaml.ReadFile(p)
			return p, b, err
		}
		b, err := teamfile.ReadFile(p, p, max)
		return p, b, err
	}
	name := tb.path(p)
	root, err := teamfile.OpenRoot(tb.dir)
	if err != nil {
		return name, nil, err
	}
	defer root.Close()
	rel, ok := root.Rel(p)
	if !ok {
		return name, nil, fmt.Errorf("%s: expected a path inside the team directory, got %q", name, p)
	}
	b, err := root.ReadFile(rel, name, max)
	var te *teamfile.Error
	if errors.As(err, &te) && !errors.Is(err, fs.ErrNotExist) {
		return name, nil, strictyaml.Problems{{File: te.File, Msg: te.Msg}}
	}
	return name, b, err
}

func (tb *Testbed) seed(own *uint64, i int) uint64 {
	switch {
	case own != nil:
		return *own
	case tb.opts.Seed != 0:
		return tb.opts.Seed + uint64(i)
	}
	return uint64(i + 1)
}

func (tb *Testbed) startProvider(i int, p Provider) error {
	cfg := mockllm.DefaultConfig()
	if p.Config != "" {
		c, err := tb.loadProviderConfig(p.Config)
		if err != nil {
			return err
		}
		cfg = c
	}
	if p.Seed != nil || tb.opts.Seed != 0 || p.Config == "" {
		cfg.Seed = tb.seed(p.Seed, i)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.Logger = tb.logger.With("provider", p.Name)
	if len(p.Surfaces) > 0 {
		cfg.Surfaces = p.Surfaces
	}
	srv, err := mockllm.Start(cfg)
	if err != nil {
		return err
	}
	tb.undo = append(tb.undo, srv.Close)
	u := &upstream{name: p.Name, direct: srv.URL(), close: srv.Close, surfaces: srv.Surfaces(), deployments: srv.Deployments()}
	if u.proxied, err = tb.proxies.CreateProxy(p.Name, srv.URL()); err != nil {
		return err
	}
	tb.providers[p.Name] = u
	tb.order = append(tb.order, p.Name)
	tb.providerModels = append(tb.providerModels, cfg.Models...)
	return nil
}

func (tb *Testbed) startStub(i int, s Stub) error {
	var cfg stubs.Config
	if s.Kit != "" {
		c, err := stubs.Kit(s.Kit)
		if err != nil {
			return err
		}
		cfg = c
	} else {
		f, err := tb.loadStub(s.File)
		if err != nil {
			return err
		}
		cfg = stubs.Config{Stub: f}
	}
	cfg.Stub.Name = s.Name
	cfg.Seed = tb.seed(s.Seed, len(tb.top.Providers)+i)
	cfg.Logger = tb.logger.With("stub", s.Name)
	srv, err := stubs.Start(cfg)
	if err != nil {
		return err
	}
	tb.undo = append(tb.undo, srv.Close)
	u := &upstream{name: s.Name, direct: srv.URL(), close: srv.Close}
	if u.proxied, err = tb.proxies.CreateProxy(s.Name, srv.URL()); err != nil {
		return err
	}
	tb.stubs[s.Name] = u
	tb.order = append(tb.order, s.Name)
	return nil
}

// Topology returns the topology the testbed was built from.
func (tb *Testbed) Topology() Topology { return tb.top }

// Events is the event log faults and crashes are written to.
func (tb *Testbed) Events() *timeline.Log { return tb.events }

// Upstream is the template view of one provider or stub.
type Upstream struct {
	URL     string // through its proxy: what the service sees
	Direct  string // the mock itself, bypassing the proxy
	Control string // base URL of its control API (/_drill/faults, /_drill/evidence)
	Metrics string // its /metrics
	Proxy   string // name of its toxiproxy proxy
	// Surfaces are the provider APIs a mock provider answers; nil for a
	// stub. mockllm.BaseURLs(URL, Surfaces) is what each SDK takes.
	Surfaces []string
	// Deployments are a mock provider's Azure OpenAI deployments, name to
	// model (its config's deployments); nil when each is named after its
	// model, or for a stub.
	Deployments map[string]string
}

// ServiceEndpoint is the template view of the service under test.
type ServiceEndpoint struct {
	URL     string // base URL clients call
	Admin   string // base URL of its admin API; empty when unknown
	Metrics string // its /metrics; empty when it has none
	Health  string // its health URL; empty when none
	Form    string // builtin | command | image
}

// Endpoints is every address of a testbed, shaped as a template context:
// {{ .Providers.primary.URL }}, {{ .Service.Admin }}, {{ .Toxiproxy.URL }}.
type Endpoints struct {
	Providers map[string]Upstream
	Stubs     map[string]Upstream
	Service   ServiceEndpoint
	Toxiproxy struct{ URL string }
	Traffic   struct{ Metrics string }
	// Port is the port chosen for a command: or image: service (0 otherwise).
	Port int
}

// Endpoints returns every address of the testbed.
func (tb *Testbed) Endpoints() Endpoints {
	e := tb.upstreamEndpoints()
	if tb.svc != nil {
		e.Service = tb.svc.Endpoint()
		e.Port = tb.svc.Port()
	}
	tb.trafficMu.Lock()
	if tb.traffic != nil {
		e.Traffic.Metrics = tb.traffic.MetricsURL()
	}
	tb.trafficMu.Unlock()
	return e
}

func (tb *Testbed) upstreamEndpoints() Endpoints {
	e := Endpoints{Providers: map[string]Upstream{}, Stubs: map[string]Upstream{}}
	view := func(u *upstream) Upstream {
		return Upstream{URL: u.proxied, Direct: u.direct, Control: u.direct, Metrics: u.direct + "/metrics", Proxy: u.name, Surfaces: u.surfaces, Deployments: u.deployments}
	}
	for n, u := range tb.providers {
		e.Providers[n] = view(u)
	}
	for n, u := range tb.stubs {
		e.Stubs[n] = view(u)
	}
	if tb.proxies != nil {
		e.Toxiproxy.URL = tb.proxies.URL()
	}
	return e
}

// MetricsTarget is one /metrics endpoint; Name is its job label.
type MetricsTarget struct {
	Name string
	URL  string
}

// MetricsTargets lists every /metrics of the testbed, for the alerting
// engine: each provider and stub (by its name), the service ("service")
// and the traffic generator ("traffic"). Toxiproxy exposes none here.
func (tb *Testbed) MetricsTargets() []MetricsTarget {
	e := tb.Endpoints()
	var out []MetricsTarget
	for _, n := range tb.order {
		if u, ok := e.Providers[n]; ok {
			out = append(out, MetricsTarget{Name: n, URL: u.Metrics})
		} else if u, ok := e.Stubs[n]; ok {
			out = append(out, MetricsTarget{Name: n, URL: u.Metrics})
		}
	}
	if e.Service.Metrics != "" {
		out = append(out, MetricsTarget{Name: "service", URL: e.Service.Metrics})
	}
	if e.Traffic.Metrics != "" {
		out = append(out, MetricsTarget{Name: "traffic", URL: e.Traffic.Metrics})
	}
	return out
}

// Resolve renders a template over Endpoints: drill.yaml variables such
// as "{{ .Service.Admin }}". A reference to anything that does not exist
// is an error.
func (tb *Testbed) Resolve(text string) (string, error) {
	return render("variable", text, tb.Endpoints())
}

// ResolveAll resolves drill.yaml's variables; errors name the variable.
func (tb *Testbed) ResolveAll(vars map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(vars))
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		v, err := render(n, vars[n], tb.Endpoints())
		if err != nil {
			errs = append(errs, fmt.Errorf("variables.%s: %w", n, err))
			continue
		}
		out[n] = v
	}
	return out, errors.Join(errs...)
}

func render(name, text string, data any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", text, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("template %q: %w; templates can use %s", text, err, templateNames)
	}
	return b.String(), nil
}

// templateNames is what a template can refer to, as docs/topology.md lists it.
const templateNames = ".Providers.NAME.URL (.Direct, .Control, .Metrics), .Stubs.NAME.URL (the same), " +
	".Service.URL (.Admin, .Metrics, .Health), .Toxiproxy.URL, .Traffic.Metrics and .Port"

// Err delivers the first failure of the running testbed (the service
// under test exited, its container died, or its health check failed
// HealthFailures times in a row) as a *HarnessError wrapping
// ErrServiceCrashed. It is never closed; Failure returns the same error
// later.
func (tb *Testbed) Err() <-chan error { return tb.errc }

// Failure returns the failure Err delivered, or nil.
func (tb *Testbed) Failure() error {
	tb.failMu.Lock()
	defer tb.failMu.Unlock()
	return tb.failure
}

// fail records the first failure, logs it as a harness error and
// delivers it on Err. Failures while closing are not failures.
func (tb *Testbed) fail(err error) {
	select {
	case <-tb.closing:
		return
	default:
	}
	tb.failMu.Lock()
	defer tb.failMu.Unlock()
	if tb.failure != nil {
		return
	}
	tb.failure = err
	tb.logger.Error("testbed failure", "err", err)
	msg := err.Error()
	if he, ok := err.(*HarnessError); ok {
		msg = "testbed: " + he.Op + ": " + he.Err.Error()
	}
	tb.events.Append(timeline.Event{Kind: timeline.HarnessError, Subject: "service", Message: msg})
	tb.errc <- err
}

// ServiceLogs returns the tail of the service's output (command and
// image forms; empty for the builtin gateway).
func (tb *Testbed) ServiceLogs() string {
	if tb.svc == nil {
		return ""
	}
	return tb.svc.Logs()
}

// Close tears everything down in reverse order of creation: traffic,
// faults, the service (its process group or container), proxies, mocks,
// temporary files. Safe to call twice and concurrently; later calls
// return the first call's result.
func (tb *Testbed) Close() error {
	tb.closeMu.Lock()
	defer tb.closeMu.Unlock()
	if tb.closed {
		return tb.closeErr
	}
	tb.closed = true
	close(tb.closing)
	if tb.stopCtx != nil {
		tb.stopCtx()
	}
	var errs []error
	tb.trafficMu.Lock()
	if tb.traffic != nil {
		errs = append(errs, tb.traffic.Close())
		tb.traffic = nil
	}
	tb.trafficMu.Unlock()
	for i := len(tb.undo) - 1; i >= 0; i-- {
		if err := tb.undo[i](); err != nil {
			errs = append(errs, err)
		}
	}
	tb.undo = nil
	tb.closeErr = errors.Join(errs...)
	return tb.closeErr
}

// upstreamKey is the API key the gateway sends provider name: "drill-"
// and the name; for Bedrock, that as the access key ID of a static test
// key pair, so requests are SigV4-signed as with real AWS credentials.
func upstreamKey(name, kind string) string {
	if kind == gateway.KindBedrock {
		return "drill-" + name + ":drill-test-secret"
	}
	return "drill-" + name
}

// gatewayConfig wires the builtin gateway (or the reference gateway run
// as a command, through its environment) to the proxies.
func (tb *Testbed) gatewayConfig() (gateway.Config, error) {
	spec := tb.top.Service.Gateway
	cfg := spec.Config
	cfg.Addr = "127.0.0.1:0"
	p, ok := tb.providers[spec.Primary]
	if !ok {
		return cfg, fmt.Errorf("gateway primary: no provider %q", spec.Primary)
	}
	cfg.Primary = gateway.Upstream{Name: spec.Primary, Kind: spec.PrimaryKind, BaseURL: p.proxied, Model: spec.PrimaryModel, APIKey: upstreamKey(spec.Primary, spec.PrimaryKind)}
	cfg.Secondary = gateway.Upstream{}
	if spec.Secondary != "" {
		s, ok := tb.providers[spec.Secondary]
		if !ok {
			return cfg, fmt.Errorf("gateway secondary: no provider %q", spec.Secondary)
		}
		cfg.Secondary = gateway.Upstream{Name: spec.Secondary, Kind: spec.SecondaryKind, BaseURL: s.proxied, Model: spec.SecondaryModel, APIKey: upstreamKey(spec.Secondary, spec.SecondaryKind)}
	}
	if spec.Search != "" {
		s, ok := tb.stubs[spec.Search]
		if !ok {
			return cfg, fmt.Errorf("gateway search: no stub %q", spec.Search)
		}
		cfg.SearchURL = s.proxied
	}
	// The gateway prices what the mocks price, unless drill.yaml says
	// otherwise: cost metrics then match the providers' bills.
	prices := make(map[string]gateway.Price, len(cfg.Prices))
	for m, pr := range cfg.Prices {
		prices[m] = pr
	}
	for _, m := range tb.providerModels {
		if _, ok := prices[m.Name]; !ok {
			prices[m.Name] = gateway.Price{InputPerMTok: m.Price.InputPerMTok, OutputPerMTok: m.Price.OutputPerMTok}
		}
	}
	cfg.Prices = prices
	// The gateway checks canaries against the answer the mocks give,
	// unless drill.yaml names another.
	if cfg.CanaryAnswer == gateway.DefaultCanaryAnswer {
		cfg.CanaryAnswer = mockllm.CanaryAnswer
	}
	cfg.Logger = tb.logger.With("service", "gateway")
	return cfg, cfg.Validate()
}
