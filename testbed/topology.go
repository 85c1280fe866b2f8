package testbed

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/mockllm"
	"github.com/drillkit/drill/traffic"
	"go.yaml.in/yaml/v3"
)

// Topology is the testbed's part of drill.yaml: what to start and how to
// wire it. ParseTopology builds it; docs/topology.md documents it.
type Topology struct {
	// File is drill.yaml's path, for messages and relative paths.
	File      string
	Providers []Provider
	Stubs     []Stub
	Service   Service
	// Traffic is nil when drill.yaml has no traffic section: no traffic
	// runs until a scenario starts it.
	Traffic   *traffic.Config
	Toxiproxy Toxiproxy
}

// Provider is one mock LLM provider (mockllm), behind its own proxy.
type Provider struct {
	Name string `yaml:"name"`
	// Config is a mockllm config file, relative to drill.yaml; empty is
	// mockllm's defaults.
	Config string  `yaml:"config"`
	Seed   *uint64 `yaml:"seed"`
	// Surfaces are the provider APIs it answers (mockllm.AllSurfaces:
	// openai, azure, anthropic, gemini, bedrock); empty is all, or the
	// config file's own list.
	Surfaces []string `yaml:"surfaces"`
}

// Stub is one third-party API stub, behind its own proxy: an embedded
// kit or a stub file.
type Stub struct {
	Name string  `yaml:"name"`
	Kit  string  `yaml:"kit"`
	File string  `yaml:"file"`
	Seed *uint64 `yaml:"seed"`
}

// Service forms.
const (
	FormBuiltin = "builtin"
	FormCommand = "command"
	FormImage   = "image"
	FormCompose = "compose"
)

// Service is the service under test, in one of four forms: Builtin
// (the reference gateway, in process), Command (a local process), Image
// (a container) or Compose (one service of the team's compose file, with
// the dependencies the file gives it).
type Service struct {
	Builtin string      `yaml:"builtin"`
	Gateway GatewaySpec `yaml:"gateway"`

	Command []string `yaml:"command"`
	Dir     string   `yaml:"dir"` // working directory of command, relative to drill.yaml

	Image string     `yaml:"image"`
	Build *BuildSpec `yaml:"build"` // build the image from a Dockerfile first
	Args  []string   `yaml:"args"`  // the container's command (after its entrypoint)
	// Compose is the team's compose file (relative to drill.yaml), run
	// with the docker compose CLI; ServiceName names its service under
	// test (see compose.go).
	Compose     string `yaml:"compose"`
	ServiceName string `yaml:"service_name"`

	// Port is a fixed port the container listens on. Empty: the container
	// is told a free port through {{ .Port }} in env or args, so testbeds
	// run side by side.
	Port int `yaml:"port"`

	Env     map[string]string `yaml:"env"`
	Health  string            `yaml:"health"`  // path polled until it answers 2xx; empty waits for the port
	Metrics string            `yaml:"metrics"` // path of its Prometheus metrics; empty: none
	Admin   string            `yaml:"admin"`   // path of its admin API, for {{ .Service.Admin }}
	// StartTimeout bounds the wait for health (default
	// DefaultStartTimeout; DefaultImageStartTimeout for images).
	StartTimeout time.Duration `yaml:"start_timeout"`
}

// Form tells which form the service takes.
func (s Service) Form() string {
	switch {
	case len(s.Command) > 0:
		return FormCommand
	case s.Image != "":
		return FormImage
	case s.Compose != "":
		return FormCompose
	}
	return FormBuiltin
}

// BuildSpec builds a container image from a Dockerfile before it runs.
type BuildSpec struct {
	Context    string `yaml:"context"`    // directory, relative to drill.yaml
	Dockerfile string `yaml:"dockerfile"` // relative to the context (default Dockerfile)
}

// GatewaySpec wires the builtin gateway to the testbed: provider and stub
// names, models, and overrides of gateway.Config.
type GatewaySpec struct {
	Primary        string `yaml:"primary"`   // provider name; default the first provider
	Secondary      string `yaml:"secondary"` // provider name; default the second provider, if any
	Search         string `yaml:"search"`    // stub name behind the agent's web_search tool
	PrimaryModel   string `yaml:"primary_model"`
	SecondaryModel string `yaml:"secondary_model"`
	PrimaryKind    string `yaml:"primary_kind"` // openai | anthropic | gemini | bedrock; default from the model name
	SecondaryKind  string `yaml:"secondary_kind"`
	// Config is gateway.DefaultConfig with the overrides applied: every
	// other key of service.gateway is a gateway.Config field, decoded by
	// the same decoder as `drill serve gateway --config`. The testbed
	// fills in addresses and upstream URLs (wiredKeys), and names the
	// upstreams (primary, secondary).
	Config gateway.Config `yaml:",inline" drill:"omit=addr,search_url,primary,secondary"`
}

// Toxiproxy says where the toxiproxy server runs.
type Toxiproxy struct {
	Mode   string // embedded (default) | external | container
	URL    string // external: the API URL
	Binary string // container: a static toxiproxy-server to build an image from
	Image  string // container: an image already in the engine
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// reserved names are job names of the testbed's own metrics targets.
var reserved = map[string]bool{"service": true, "traffic": true, "toxiproxy": true}

// gatewayKeys are the keys of service.gateway that wire the gateway; every
// other key is a field of gateway.Config.
var gatewayKeys = []string{"primary", "secondary", "search", "primary_model", "secondary_model", "primary_kind", "secondary_kind"}

// wiredKeys are gateway.Config fields the testbed sets itself.
var wiredKeys = map[string]string{
	"addr":       "the testbed picks a free port",
	"search_url": "name a stub in service.gateway.search instead",
}

// Sections are drill.yaml's topology sections as raw YAML, the way
// team.Config keeps them; nil is an absent section.
type Sections struct {
	Providers, Stubs, Service, Traffic, Toxiproxy *yaml.Node
}

// ParseTopology decodes drill.yaml's topology sections strictly: unknown
// fields, wrong types and broken references are problems naming
// file:line:col and the field, all reported at once as Problems.
func ParseTopology(file string, s Sections) (Topology, error) {
	d := &decoder{file: file}
	top := Topology{File: file}

	d.decode(s.Providers, &top.Providers, "providers")
	d.decode(s.Stubs, &top.Stubs, "stubs")

	names := map[string]string{}
	checkName := func(n *yaml.Node, field, name, what string) {
		nn := valueNode(n, "name")
		if nn == nil {
			nn = resolve(n)
		}
		switch {
		case name == "":
			d.addf(nn, field+".name", "missing; every %s needs a name ([a-z0-9-]+)", what)
		case !nameRE.MatchString(name):
			d.addf(nn, field+".name", "expected lowercase letters, digits and '-', got %q", name)
		case reserved[name]:
			d.addf(nn, field+".name", "%q is reserved for the testbed's own metrics; choose another name", name)
		case names[name] != "":
			d.addf(nn, field+".name", "%q is already the name of %s; names are unique across providers and stubs", name, names[name])
		default:
			names[name] = field
		}
	}
	if pn := resolve(s.Providers); pn != nil && pn.Kind == yaml.SequenceNode {
		for i, p := range top.Providers {
			if i < len(pn.Content) {
				checkName(pn.Content[i], fmt.Sprintf("providers[%d]", i), p.Name, "provider")
				sn := valueNode(pn.Content[i], "surfaces")
				for j, sf := range p.Surfaces {
					at := sn
					if sn != nil && j < len(sn.Content) {
						at = sn.Content[j]
					}
					if !slices.Contains(mockllm.AllSurfaces, sf) {
						d.addf(at, fmt.Sprintf("providers[%d].surfaces[%d]", i, j), "expected one of %s, got %q", strings.Join(mockllm.AllSurfaces, ", "), sf)
					}
				}
			}
		}
	}
	if sn := resolve(s.Stubs); sn != nil && sn.Kind == yaml.SequenceNode {
		for i, st := range top.Stubs {
			if i >= len(sn.Content) {
				break
			}
			field := fmt.Sprintf("stubs[%d]", i)
			checkName(sn.Content[i], field, st.Name, "stub")
			if (st.Kit == "") == (st.File == "") {
				d.addf(resolve(sn.Content[i]), field, "expected exactly one of kit (websearch, vectordb, payments) or file")
			}
		}
	}

	top.Service = d.service(s.Service, &top)
	d.gatewaySurfaces(s.Providers, &top)
	d.traffic(s.Traffic, &top)
	top.Toxiproxy = d.toxiproxy(s.Toxiproxy)

	if len(d.probs) > 0 {
		d.probs.Sort()
		return top, d.probs
	}
	return top, nil
}

// gatewaySurfaces checks that a provider limited to some surfaces serves
// the one the builtin gateway speaks to it (surface names are the
// gateway's kinds). A provider whose surfaces are already wrong is left
// to that problem.
func (d *decoder) gatewaySurfaces(providers *yaml.Node, top *Topology) {
	pn := resolve(providers)
	if pn == nil || pn.Kind != yaml.SequenceNode || top.Service.Form() != FormBuiltin || top.Service.Builtin != "gateway" {
		return
	}
	gw := top.Service.Gateway
	for _, w := range []struct{ role, prov, kind string }{{"primary", gw.Primary, gw.PrimaryKind}, {"secondary", gw.Secondary, gw.SecondaryKind}} {
		for i, p := range top.Providers {
			if w.prov == "" || p.Name != w.prov || len(p.Surfaces) == 0 || slices.Contains(p.Surfaces, w.kind) || i >= len(pn.Content) {
				continue
			}
			known := true
			for _, sf := range p.Surfaces {
				known = known && slices.Contains(mockllm.AllSurfaces, sf)
			}
			if known {
				d.addf(valueNode(pn.Content[i], "surfaces"), fmt.Sprintf("providers[%d].surfaces", i),
					"the builtin gateway speaks %s to its %s %q (service.gateway.%s_kind, or guessed from the model name); add %s, or set %s_kind to one of %s",
					w.kind, w.role, p.Name, w.role, w.kind, w.role, strings.Join(p.Surfaces, ", "))
			}
		}
	}
}

func (d *decoder) service(n *yaml.Node, top *Topology) Service {
	n = resolve(n)
	var svc Service
	var gw *yaml.Node
	if n != nil && n.Kind == yaml.MappingNode {
		// service.gateway mixes wiring keys and gateway.Config fields:
		// split it before the strict walk.
		rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "gateway" {
				gw = resolve(n.Content[i+1])
				continue
			}
			rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
		}
		d.decode(rest, &svc, "service")
	} else if !isNull(n) {
		d.addf(n, "service", "expected a mapping with one of builtin, command, image or compose, got %s", kindName(n))
		return svc
	}

	forms := 0
	for _, k := range []string{"builtin", "command", "image", "compose"} {
		if keyNode(n, k) != nil {
			forms++
		}
	}
	if forms > 1 {
		d.addf(n, "service", "expected exactly one of builtin, command, image or compose; got %d", forms)
	}
	form := svc.Form()
	if n == nil || forms == 0 {
		svc.Builtin = "gateway" // the embedded default
	}
	if svc.Builtin != "" && svc.Builtin != "gateway" {
		d.addf(valueNode(n, "builtin"), "service.builtin", "expected gateway (the only builtin service), got %q", svc.Builtin)
	}
	only := func(key, forForm string) {
		if k := keyNode(n, key); k != nil && form != forForm {
			d.addf(k, "service."+key, "only applies to the %s form; this service is %s", forForm, form)
		}
	}
	only("dir", FormCommand)
	only("build", FormImage)
	only("args", FormImage)
	if k := keyNode(n, "port"); k != nil && form != FormImage && form != FormCompose {
		d.addf(k, "service.port", "only applies to the image and compose forms; this service is %s", form)
	}
	only("service_name", FormCompose)
	if form == FormCompose && svc.ServiceName == "" {
		d.addf(keyNode(n, "compose"), "service.service_name", "missing; expected the name of the compose file's service under test (service_name: api)")
	}
	if form == FormBuiltin {
		for _, k := range []string{"env", "health", "metrics", "admin"} {
			if kn := keyNode(n, k); kn != nil {
				d.addf(kn, "service."+k, "does not apply to the builtin gateway; it is wired by the testbed")
			}
		}
	}
	if gw != nil && form != FormBuiltin {
		d.addf(keyNode(n, "gateway"), "service.gateway", "only applies to builtin: gateway; this service is %s", form)
	}
	if cn := valueNode(n, "command"); cn != nil && cn.Kind == yaml.SequenceNode && len(cn.Content) == 0 {
		d.addf(cn, "service.command", "expected the program and its arguments, got an empty list")
	}
	if svc.Port < 0 || svc.Port > 65535 {
		d.addf(valueNode(n, "port"), "service.port", "expected a port from 1 to 65535, got %d", svc.Port)
	}
	for _, k := range []string{"health", "metrics", "admin"} {
		if vn := valueNode(n, k); vn != nil && vn.Kind == yaml.ScalarNode && !strings.HasPrefix(vn.Value, "/") {
			d.addf(vn, "service."+k, "expected a path starting with /, got %q", vn.Value)
		}
	}
	if svc.StartTimeout < 0 {
		d.addf(valueNode(n, "start_timeout"), "service.start_timeout", "expected a positive duration")
	}
	if b := valueNode(n, "build"); b != nil && svc.Build != nil && svc.Build.Context == "" {
		d.addf(b, "service.build.context", "missing; expected the directory holding the Dockerfile")
	}
	if form == FormBuiltin && svc.Builtin == "gateway" {
		svc.Gateway = d.gateway(gw, top)
	}
	return svc
}

func (d *decoder) gateway(n *yaml.Node, top *Topology) GatewaySpec {
	spec := GatewaySpec{Config: gateway.DefaultConfig()}
	valNodes := map[string]*yaml.Node{} // the wiring keys written, by key
	if n != nil && !isNull(n) {
		if n.Kind != yaml.MappingNode {
			d.addf(n, "service.gateway", "expected a mapping of %s and gateway settings, got %s", strings.Join(gatewayKeys, ", "), kindName(n))
			return spec
		}
		// The settings the testbed wires itself are refused, saying why;
		// the rest decodes strictly into the spec.
		rest := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if why, ok := wiredKeys[k.Value]; ok {
				d.addf(k, "service.gateway."+k.Value, "set by the testbed (%s)", why)
				continue
			}
			rest.Content = append(rest.Content, k, n.Content[i+1])
		}
		d.decode(rest, &spec, "service.gateway")
		for _, k := range gatewayKeys {
			if v := valueNode(rest, k); v != nil && v.Kind == yaml.ScalarNode && !isNull(v) {
				valNodes[k] = v
			}
		}
	}
	providers := map[string]bool{}
	for _, p := range top.Providers {
		providers[p.Name] = true
	}
	stubs := map[string]bool{}
	for _, s := range top.Stubs {
		stubs[s.Name] = true
	}
	if spec.Primary == "" && len(top.Providers) > 0 {
		spec.Primary = top.Providers[0].Name
	}
	if spec.Secondary == "" && len(top.Providers) > 1 && valNodes["secondary"] == nil {
		spec.Secondary = top.Providers[1].Name
	}
	if spec.Primary == "" {
		d.addf(n, "providers", "the builtin gateway needs at least one provider; add one under providers:")
	}
	for _, k := range []string{"primary", "secondary"} {
		if v := valNodes[k]; v != nil && !providers[v.Value] {
			d.addf(v, "service.gateway."+k, "no provider %q; providers are: %s", v.Value, strings.Join(provNames(top), ", "))
		}
	}
	if v := valNodes["search"]; v != nil && !stubs[v.Value] {
		d.addf(v, "service.gateway.search", "no stub %q; stubs are: %s", v.Value, strings.Join(stubNames(top), ", "))
	}
	if spec.Search == "" && valNodes["search"] == nil {
		for _, s := range top.Stubs {
			if s.Kit == "websearch" {
				spec.Search = s.Name
				break
			}
		}
	}
	for _, k := range []string{"primary_kind", "secondary_kind"} {
		if v := valNodes[k]; v != nil && !slices.Contains(gateway.Kinds, v.Value) {
			d.addf(v, "service.gateway."+k, "expected one of %s, got %q", strings.Join(gateway.Kinds, ", "), v.Value)
		}
	}
	if spec.PrimaryModel == "" {
		spec.PrimaryModel = spec.Config.Primary.Model
	}
	if spec.SecondaryModel == "" {
		spec.SecondaryModel = spec.PrimaryModel
	}
	if spec.PrimaryKind == "" {
		spec.PrimaryKind = kindOf(spec.PrimaryModel)
	}
	if spec.SecondaryKind == "" {
		spec.SecondaryKind = kindOf(spec.SecondaryModel)
	}
	return spec
}

// bedrockModelRE matches Bedrock model and inference profile IDs:
// "amazon.nova-lite-v1:0", "us.anthropic.claude-...".
var bedrockModelRE = regexp.MustCompile(`^([a-z-]+\.)?(amazon|anthropic|meta|mistral|cohere|ai21|deepseek|qwen|openai|writer)\.`)

// kindOf guesses the wire protocol from a model name: Bedrock model IDs
// speak Converse, Claude models Anthropic's Messages API, Gemini models
// the Gemini API, everything else OpenAI's.
func kindOf(model string) string {
	switch {
	case bedrockModelRE.MatchString(model):
		return gateway.KindBedrock
	case strings.HasPrefix(model, "claude"):
		return gateway.KindAnthropic
	case strings.HasPrefix(model, "gemini"):
		return gateway.KindGemini
	}
	return gateway.KindOpenAI
}

func provNames(top *Topology) []string {
	var out []string
	for _, p := range top.Providers {
		out = append(out, p.Name)
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

func stubNames(top *Topology) []string {
	var out []string
	for _, s := range top.Stubs {
		out = append(out, s.Name)
	}
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

func (d *decoder) toxiproxy(n *yaml.Node) Toxiproxy {
	n = resolve(n)
	t := Toxiproxy{Mode: "embedded"}
	if isNull(n) {
		return t
	}
	const expect = "expected embedded, container, {url: http://host:8474} or {container: {binary: PATH} | {image: NAME}}"
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Value {
		case "embedded":
		case "container":
			t.Mode = "container"
		default:
			d.addf(n, "toxiproxy", "%s, got %q", expect, n.Value)
		}
		return t
	case yaml.MappingNode:
		var m struct {
			URL       string `yaml:"url"`
			Container *struct {
				Binary string `yaml:"binary"`
				Image  string `yaml:"image"`
			} `yaml:"container"`
		}
		d.decode(n, &m, "toxiproxy")
		switch {
		case m.URL != "" && m.Container != nil:
			d.addf(n, "toxiproxy", "expected url or container, not both")
		case m.URL != "":
			if !strings.HasPrefix(m.URL, "http://") && !strings.HasPrefix(m.URL, "https://") {
				d.addf(valueNode(n, "url"), "toxiproxy.url", "expected http://host:port, got %q", m.URL)
			}
			t.Mode, t.URL = "external", m.URL
		case m.Container != nil:
			t.Mode, t.Binary, t.Image = "container", m.Container.Binary, m.Container.Image
		default:
			d.addf(n, "toxiproxy", "%s", expect)
		}
		return t
	}
	d.addf(n, "toxiproxy", "%s, got %s", expect, kindName(n))
	return t
}

// traffic decodes the traffic section on top of traffic.DefaultConfig and
// validates it, pointing each problem at its field's line.
func (d *decoder) traffic(n *yaml.Node, top *Topology) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	cfg := traffic.DefaultConfig()
	// A mix given in drill.yaml replaces the default mix rather than
	// adding to it.
	if valueNode(n, "mix") != nil {
		cfg.Mix = nil
	}
	before := len(d.probs)
	d.decode(n, &cfg, "traffic")
	// A team's own request kinds without a mix: each weighs 1, and the
	// built-in OpenAI kinds are off.
	if valueNode(n, "mix") == nil && len(cfg.Requests) > 0 {
		cfg.Mix = map[string]float64{}
		for name := range cfg.Requests {
			cfg.Mix[name] = 1
		}
	}
	bad := map[string]bool{}
	for _, p := range d.probs[before:] {
		bad[p.Field] = true
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	// Validate even after decoding problems, so every problem shows at
	// once; a field that did not decode is not judged again.
	if err := cfg.Validate(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			line = strings.TrimPrefix(line, "traffic: ")
			field, msg, ok := strings.Cut(line, ": ")
			if !ok {
				d.addf(n, "traffic", "%s", line)
				continue
			}
			if bad["traffic."+field] {
				continue
			}
			d.probs = append(d.probs, d.doc(n, "traffic").ValueProblemf("traffic."+field, "%s", msg))
		}
		return
	}
	if len(d.probs) > before {
		return
	}
	top.Traffic = &cfg
}
