package main

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"os"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/drillkit/drill/export"
	"github.com/drillkit/drill/internal/statedir"
	"github.com/drillkit/drill/stubs/incident"
)

// stubExporter is the name of the exporter drill up writes for its
// incident-service stub: drill export latest --to drill-stub.
const stubExporter = "drill-stub"

// stubPorts is the range a team's incident-stub port is drawn from
// (by its ID) the first time; later runs reuse the port its exporter
// entry names.
const (
	stubPortBase  = 20000
	stubPortRange = 10000
)

// openIncidentStub starts the GitLab-shaped incident-service stub: on
// addr when given (--incident-addr; taken or not, no fallback), else on
// the port the team's drill-stub exporter entry names (the previous
// drill up's), else on a port drawn from the team's ID, else on any free
// port. The port stays a team's between runs while it is free, so an
// exporter entry, a browser tab or a colleague's notes keep working.
func openIncidentStub(addr, teamID, exportersFile string) (*incident.Server, error) {
	sdl, err := export.PresetSchema("gitlab")
	if err != nil {
		return nil, err
	}
	schema, err := incident.LoadSchema("gitlab.graphql", sdl)
	if err != nil {
		return nil, err
	}
	if addr != "" {
		srv, err := incident.Open(schema, addr)
		if err != nil {
			return nil, fmt.Errorf("--incident-addr %s: %w", addr, err)
		}
		return srv, nil
	}
	var tries []string
	if p := previousStubPort(exportersFile); p != 0 {
		tries = append(tries, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	h := fnv.New32a()
	h.Write([]byte(teamID))
	tries = append(tries, net.JoinHostPort("127.0.0.1", strconv.Itoa(stubPortBase+int(h.Sum32()%stubPortRange))), "127.0.0.1:0")
	var errs []error
	for _, a := range tries {
		srv, err := incident.Open(schema, a)
		if err == nil {
			return srv, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// previousStubPort is the loopback port of the drill-stub entry of the
// exporters file; 0 when there is none.
func previousStubPort(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var f struct {
		Exporters map[string]struct {
			Endpoint string `yaml:"endpoint"`
		} `yaml:"exporters"`
	}
	if yaml.Unmarshal(b, &f) != nil {
		return 0
	}
	u, err := url.Parse(f.Exporters[stubExporter].Endpoint)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return 0
	}
	p, _ := strconv.Atoi(u.Port())
	return p
}

// writeStubExporter records the stub in the exporters file as the
// exporter drill-stub, so that drill export latest --to drill-stub works
// as it is: a new file, or the entry added to (or replaced in) the
// team's file, its other exporters and comments kept. A file that does
// not parse is left alone, with an error saying so.
func writeStubExporter(path, endpoint string) error {
	entry := &yaml.Node{Kind: yaml.MappingNode}
	for _, kv := range [][2]string{{"preset", "gitlab"}, {"endpoint", endpoint}} {
		entry.Content = append(entry.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[0]}, &yaml.Node{Kind: yaml.ScalarNode, Value: kv[1]})
	}
	vars := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "input.incidentId"}, {Kind: yaml.ScalarNode, Value: "gid://gitlab/Issue/1"},
	}}
	entry.Content = append(entry.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "variables"}, vars)
	key := &yaml.Node{Kind: yaml.ScalarNode, Value: stubExporter,
		HeadComment: "written by drill up: its incident-service stub (GitLab's GraphQL shape); rewritten at each drill up"}

	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		var parsed yaml.Node
		if err := yaml.Unmarshal(b, &parsed); err != nil {
			return fmt.Errorf("%s does not parse (%v): its %s exporter was not written", path, err, stubExporter)
		}
		if parsed.Kind == yaml.DocumentNode && len(parsed.Content) == 1 {
			doc = &parsed
		}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: expected a mapping with exporters:, so its %s exporter was not written", path, stubExporter)
	}
	var exps *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "exporters" {
			exps = root.Content[i+1]
		}
	}
	if exps == nil {
		exps = &yaml.Node{Kind: yaml.MappingNode}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "exporters"}, exps)
	}
	if exps.Kind != yaml.MappingNode {
		if exps.Kind == yaml.ScalarNode && exps.Tag == "!!null" {
			exps.Kind, exps.Tag, exps.Value = yaml.MappingNode, "", ""
		} else {
			return fmt.Errorf("%s: exporters: expected a mapping of exporter names, so its %s exporter was not written", path, stubExporter)
		}
	}
	replaced := false
	for i := 0; i+1 < len(exps.Content); i += 2 {
		if exps.Content[i].Value == stubExporter {
			exps.Content[i+1], replaced = entry, true
		}
	}
	if !replaced {
		exps.Content = append(exps.Content, key, entry)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if _, err := export.Parse(path, out.Bytes()); err != nil {
		return fmt.Errorf("%s with a %s exporter would not load, so it was not written: %w", path, stubExporter, err)
	}
	return statedir.Write(path, out.Bytes())
}
