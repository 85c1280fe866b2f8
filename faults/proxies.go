package faults

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"

	"github.com/drillkit/drill/internal/loopback"
)

// Backend names where the toxiproxy server runs.
type Backend string

// Backends.
const (
	Embedded  Backend = "embedded"  // in this process
	External  Backend = "external"  // a server someone else runs, by URL
	Container Backend = "container" // a container started through testcontainers
)

// Toxic is one toxiproxy toxic as Proxies adds it.
type Toxic struct {
	Name       string         // unique on its proxy
	Type       string         // latency, timeout, reset_peer, bandwidth, slicer, limit_data, ...
	Stream     string         // upstream (requests) or downstream (responses, the default)
	Toxicity   float64        // share of connections it applies to; rolled per connection
	Attributes map[string]any // the toxic's attributes, as toxiproxy names them
}

// Proxies drives one toxiproxy server, whichever backend runs it, through
// toxiproxy's official client. Callers never care which backend it is.
type Proxies struct {
	backend Backend
	apiURL  string
	client  *toxiclient.Client
	tracker *connTracker // nil when the backend's log cannot be read
	// listenHost is where proxies listen, as seen from this process.
	listenHost string
	shutdown   func() error

	mu      sync.Mutex
	proxies map[string]*toxiclient.Proxy
	closed  bool
}

var silenceOnce sync.Once

// silenceZerolog mutes toxiproxy's logging to zerolog's global logger
// (the bandwidth toxic logs through it) and lets trace events reach the
// server's own logger, which feeds the connection tracker: its
// "Remove link" event, the only sign that a connection ended, is at trace
// level.
func silenceZerolog() {
	silenceOnce.Do(func() {
		zlog.Logger = zerolog.Nop()
		zerolog.SetGlobalLevel(zerolog.TraceLevel)
	})
}

// NewEmbedded starts a toxiproxy server in this process, its API served on
// a listener of our own on 127.0.0.1:0 (toxiproxy's Listen cannot take a
// random port).
func NewEmbedded() (*Proxies, error) {
	silenceZerolog()
	tracker := newConnTracker()
	logger := zerolog.New(tracker).Level(zerolog.TraceLevel)
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), logger)
	api, err := loopback.Serve("", server.Routes(), nil)
	if err != nil {
		return nil, fmt.Errorf("faults: toxiproxy API listener: %w", err)
	}
	p := newProxies(Embedded, api.URL(), tracker, "127.0.0.1")
	p.shutdown = func() error {
		// Proxies created behind our back (through the API URL) go too.
		return errors.Join(server.Collection.Clear(), api.Close(5*time.Second))
	}
	return p, nil
}

// NewExternal drives a toxiproxy server that runs elsewhere, at apiURL
// (http://host:8474). Its proxies must be able to reach the upstreams, and
// this process its proxies' listen addresses. Its log is out of reach, so
// network faults on it carry no evidence.
func NewExternal(apiURL string) (*Proxies, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("faults: toxiproxy URL: want http://host:port, got %q", apiURL)
	}
	p := newProxies(External, strings.TrimRight(apiURL, "/"), nil, u.Hostname())
	if _, err := p.client.Version(); err != nil {
		return nil, fmt.Errorf("faults: toxiproxy at %s does not answer: %w", apiURL, err)
	}
	p.shutdown = func() error { return nil }
	return p, nil
}

func newProxies(b Backend, apiURL string, tracker *connTracker, listenHost string) *Proxies {
	return &Proxies{
		backend:    b,
		apiURL:     apiURL,
		client:     toxiclient.NewClient(apiURL),
		tracker:    tracker,
		listenHost: listenHost,
		proxies:    map[string]*toxiclient.Proxy{},
	}
}

// Backend tells where the server runs.
func (p *Proxies) Backend() Backend { return p.backend }

// URL is the toxiproxy API's base URL.
func (p *Proxies) URL() string { return p.apiURL }

// HasEvidence reports whether network faults on this backend can count the
// connections they affected.
func (p *Proxies) HasEvidence() bool { return p.tracker != nil }

// CreateProxy starts a proxy named name in front of upstream (host:port
// or an http(s) URL) on a free port and returns its address in the same
// form: a URL with the upstream's scheme and path, or host:port.
func (p *Proxies) CreateProxy(name, upstream string) (string, error) {
	hostport, rebuild, err := splitUpstream(upstream)
	if err != nil {
		return "", fmt.Errorf("faults: proxy %q: %w", name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return "", fmt.Errorf("faults: proxy %q: proxies are closed", name)
	}
	if _, dup := p.proxies[name]; dup {
		return "", fmt.Errorf("faults: proxy %q already exists", name)
	}
	proxy, err := p.client.CreateProxy(name, "127.0.0.1:0", hostport)
	if err != nil {
		return "", fmt.Errorf("faults: create proxy %q → %s: %w", name, hostport, err)
	}
	p.proxies[name] = proxy
	_, port, err := net.SplitHostPort(proxy.Listen)
	if err != nil {
		return "", fmt.Errorf("faults: proxy %q listens on %q: %w", name, proxy.Listen, err)
	}
	return rebuild(net.JoinHostPort(p.listenHost, port)), nil
}

func splitUpstream(upstream string) (string, func(string) string, error) {
	if strings.Contains(upstream, "://") {
		u, err := url.Parse(upstream)
		if err != nil || u.Host == "" {
			return "", nil, fmt.Errorf("upstream: want host:port or http://host:port, got %q", upstream)
		}
		hostport := u.Host
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			hostport = net.JoinHostPort(u.Hostname(), port)
		}
		return hostport, func(listen string) string {
			v := *u
			v.Host = listen
			return v.String()
		}, nil
	}
	if _, _, err := net.SplitHostPort(upstream); err != nil {
		return "", nil, fmt.Errorf("upstream: want host:port or http://host:port, got %q", upstream)
	}
	return upstream, func(listen string) string { return listen }, nil
}

// Names returns the names of the proxies, sorted.
func (p *Proxies) Names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.proxies))
	for n := range p.proxies {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (p *Proxies) get(name string) (*toxiclient.Proxy, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	proxy, ok := p.proxies[name]
	if !ok {
		names := make([]string, 0, len(p.proxies))
		for n := range p.proxies {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("faults: no proxy %q; proxies are: %s", name, strings.Join(names, ", "))
	}
	return proxy, nil
}

// AddToxic adds a toxic to the named proxy.
func (p *Proxies) AddToxic(proxy string, t Toxic) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	stream := t.Stream
	if stream == "" {
		stream = "downstream"
	}
	if _, err := px.AddToxic(t.Name, t.Type, stream, float32(t.Toxicity), toxiclient.Attributes(t.Attributes)); err != nil {
		return fmt.Errorf("faults: add %s toxic %q to proxy %q: %w", t.Type, t.Name, proxy, err)
	}
	return nil
}

// SetToxicity changes the toxicity of a toxic (ramps). Toxiproxy rolls it
// again for every open connection.
func (p *Proxies) SetToxicity(proxy, name string, toxicity float64) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	if _, err := px.UpdateToxic(name, float32(toxicity), toxiclient.Attributes{}); err != nil {
		return fmt.Errorf("faults: set toxicity of %q on proxy %q: %w", name, proxy, err)
	}
	return nil
}

// RemoveToxic removes a toxic from the named proxy.
func (p *Proxies) RemoveToxic(proxy, name string) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	if err := px.RemoveToxic(name); err != nil {
		return fmt.Errorf("faults: remove toxic %q from proxy %q: %w", name, proxy, err)
	}
	return nil
}

// Toxics lists the names of the toxics on the named proxy, sorted.
func (p *Proxies) Toxics(proxy string) ([]string, error) {
	px, err := p.get(proxy)
	if err != nil {
		return nil, err
	}
	ts, err := px.Toxics()
	if err != nil {
		return nil, fmt.Errorf("faults: list toxics of proxy %q: %w", proxy, err)
	}
	names := make([]string, 0, len(ts))
	for _, t := range ts {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	return names, nil
}

// Disable takes the named proxy down: it stops listening and closes its
// connections.
func (p *Proxies) Disable(proxy string) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := px.Disable(); err != nil {
		return fmt.Errorf("faults: disable proxy %q: %w", proxy, err)
	}
	return nil
}

// Enable brings the named proxy back on the same address.
func (p *Proxies) Enable(proxy string) error {
	px, err := p.get(proxy)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := px.Enable(); err != nil {
		return fmt.Errorf("faults: enable proxy %q: %w", proxy, err)
	}
	return nil
}

// Enabled reports whether the named proxy is up, as the server says.
func (p *Proxies) Enabled(proxy string) (bool, error) {
	if _, err := p.get(proxy); err != nil {
		return false, err
	}
	px, err := p.client.Proxy(proxy)
	if err != nil {
		return false, fmt.Errorf("faults: proxy %q: %w", proxy, err)
	}
	return px.Enabled, nil
}

// watch starts counting the connections of a proxy for a fault; nil when
// the backend gives no evidence.
func (p *Proxies) watch(proxy string) *connWatch {
	if p.tracker == nil {
		return nil
	}
	return p.tracker.watch(proxy)
}

// Close deletes every proxy this Proxies created and stops the server it
// started, if any. Safe to call twice.
func (p *Proxies) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	proxies := p.proxies
	p.proxies = map[string]*toxiclient.Proxy{}
	p.mu.Unlock()
	var errs []error
	for name, px := range proxies {
		if err := px.Delete(); err != nil {
			errs = append(errs, fmt.Errorf("faults: delete proxy %q: %w", name, err))
		}
	}
	if p.shutdown != nil {
		errs = append(errs, p.shutdown())
	}
	return errors.Join(errs...)
}
