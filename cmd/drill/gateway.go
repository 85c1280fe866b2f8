package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/drillkit/drill/gateway"
	"github.com/drillkit/drill/internal/exitcode"
	"go.yaml.in/yaml/v3"
)

// serveGateway runs the reference gateway: defaults, then the config file,
// then DRILL_* environment variables, then --addr.
func serveGateway(ctx context.Context, e *env, o serveOptions) error {
	if o.seed.set {
		return usageErrorf("--seed: the gateway has no seeded behaviour; drop the flag")
	}
	cfg := gateway.DefaultConfig()
	if o.config != "" {
		data, err := os.ReadFile(o.config)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if cfg, err = parseGatewayConfig(o.config, data); err != nil {
			return exitcode.With(exitcode.Usage, err)
		}
	}
	if err := cfg.ApplyEnv(e.getenv); err != nil {
		return exitcode.With(exitcode.Usage, fmt.Errorf("environment: %w", err))
	}
	if o.addr != "" {
		cfg.Addr = o.addr
	}
	if err := cfg.Validate(); err != nil {
		return exitcode.With(exitcode.Usage, fmt.Errorf("gateway config: %w\n(set it in a --config file or DRILL_* variables: 'drill help serve' lists them)", err))
	}
	srv, err := gateway.Start(cfg)
	if err != nil {
		return exitcode.With(exitcode.Harness, err)
	}
	defer srv.Close()
	fmt.Fprintf(e.stdout, "gateway listening on %s\n", srv.URL())
	fmt.Fprintf(e.stdout, "  OpenAI base URL:  %s/v1\n", srv.URL())
	fmt.Fprintf(e.stdout, "  agent:            %s/v1/agent/run\n", srv.URL())
	fmt.Fprintf(e.stdout, "  admin API:        %s\n", srv.AdminURL())
	fmt.Fprintf(e.stdout, "  metrics:          %s/metrics\n", srv.URL())
	fmt.Fprintf(e.stdout, "  primary:          %s (%s %s at %s)\n", cfg.Primary.Name, cfg.Primary.Kind, cfg.Primary.Model, cfg.Primary.BaseURL)
	if cfg.Secondary.BaseURL != "" {
		fmt.Fprintf(e.stdout, "  secondary:        %s (%s %s at %s)\n", cfg.Secondary.Name, cfg.Secondary.Kind, cfg.Secondary.Model, cfg.Secondary.BaseURL)
	}
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "gateway stopped")
	return srv.Close()
}

// parseGatewayConfig decodes a gateway YAML config on top of the defaults,
// strictly, and validates it; every error names file:line and the field.
func parseGatewayConfig(file string, data []byte) (gateway.Config, error) {
	cfg := gateway.DefaultConfig()
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, cfg.Validate()
		}
		return gateway.Config{}, gatewayYAMLError(file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return gateway.Config{}, gatewayYAMLError(file, err)
	}
	err := cfg.Validate()
	if err == nil {
		return cfg, nil
	}
	var msgs []string
	for _, one := range unjoin(err) {
		var fe *gateway.FieldError
		if errors.As(one, &fe) {
			msgs = append(msgs, fmt.Sprintf("%s:%d: %s", file, yamlLine(&root, fe.Field), fe.Error()))
		} else {
			msgs = append(msgs, fmt.Sprintf("%s: %v", file, one))
		}
	}
	return gateway.Config{}, errors.New(strings.Join(msgs, "\n"))
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// gatewayYAMLError rewrites yaml's "line N: msg" as "file:N: msg".
func gatewayYAMLError(file string, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for i, m := range msgs {
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			msgs[i] = file + ":" + sm[1] + ": " + m[len(sm[0]):]
		} else {
			msgs[i] = file + ": " + m
		}
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// yamlLine finds the line of a field path such as "primary.base_url",
// "prices.gpt-4.1" or "disabled_models[1]": the deepest node the path
// reaches, so a missing field points at its parent.
func yamlLine(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for path != "" {
		switch {
		case strings.HasPrefix(path, "[") && n.Kind == yaml.SequenceNode:
			end := strings.Index(path, "]")
			i, err := strconv.Atoi(path[1:max(end, 1)])
			if end < 0 || err != nil || i >= len(n.Content) {
				return line
			}
			n, path = n.Content[i], strings.TrimPrefix(path[end+1:], ".")
		case n.Kind == yaml.MappingNode:
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if rest, ok := strings.CutPrefix(path, k); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
					line = n.Content[i].Line
					n, path, found = n.Content[i+1], strings.TrimPrefix(rest, "."), true
					break
				}
			}
			if !found {
				return line
			}
			continue
		default:
			return line
		}
		line = n.Line
	}
	return line
}
