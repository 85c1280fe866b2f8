package alerting

import (
	"bytes"
	"fmt"
	"log/slog"

	"github.com/drillkit/drill/internal/teamfile"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// crLoader loads rule files as Prometheus does, and also PrometheusRule
// custom resources (the prometheus-operator's wrapping, whose .spec is a
// rule file): teams keep their rules in either form, and drills and
// promtool-style tests must read what production runs.
type crLoader struct {
	parser parser.Parser
	logger *slog.Logger
}

func (l crLoader) Load(file string, ignoreUnknownFields bool, scheme model.ValidationScheme) (*rulefmt.RuleGroups, []error) {
	// A regular file of at most teamfile.MaxYAML (the team's loader has
	// refused links out of the team already).
	b, err := teamfile.ReadFile(file, file, teamfile.MaxYAML)
	if err != nil {
		return nil, []error{err}
	}
	if spec, ok := prometheusRuleSpec(b); ok {
		b = spec
	}
	logger := l.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	rgs, errs := rulefmt.Parse(b, ignoreUnknownFields, scheme, l.parser, logger)
	for i := range errs {
		errs[i] = fmt.Errorf("%s: %w", file, errs[i])
	}
	return rgs, errs
}

func (l crLoader) Parse(query string) (parser.Expr, error) { return l.parser.ParseExpr(query) }

// prometheusRuleSpec returns the .spec of a PrometheusRule resource as
// YAML, and false for anything else.
func prometheusRuleSpec(b []byte) ([]byte, bool) {
	var doc struct {
		Kind string    `yaml:"kind"`
		Spec yaml.Node `yaml:"spec"`
	}
	if err := yaml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil || doc.Kind != "PrometheusRule" || doc.Spec.Kind == 0 {
		return nil, false
	}
	out, err := yaml.Marshal(&doc.Spec)
	if err != nil {
		return nil, false
	}
	return out, true
}
