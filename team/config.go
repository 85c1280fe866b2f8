package team

import (
	"fmt"
	"time"

	"github.com/drillkit/drill/internal/strictyaml"
	"go.yaml.in/yaml/v3"
)

// ConfigFile is the name drill looks for from the working directory upward.
const ConfigFile = "drill.yaml"

// Config is drill.yaml. The team package owns the file as a whole and
// decodes it strictly; the topology sections (providers, stubs, service,
// traffic, toxiproxy) and responders are kept as raw YAML for the testbed
// and the response engine to decode, with File to name in their errors.
type Config struct {
	File string          `yaml:"-"` // path of drill.yaml as given to Load, for messages
	doc  *strictyaml.Doc // the parsed file, for the positions of later problems

	Team  TeamInfo   `yaml:"team"`
	Paths Paths      `yaml:"paths"`
	Lint  LintConfig `yaml:"lint"`
	// Alertmanager maps the receivers of paths.alertmanager to escalation
	// policies; see docs/escalation.md.
	Alertmanager AlertmanagerConfig `yaml:"alertmanager"`
	// Variables are bound for runbook commands: name → value template. A
	// value may reference testbed endpoints ({{ .Service.Admin }}); it is
	// kept raw and the testbed resolves it.
	Variables map[string]string `yaml:"variables"`
	// Responders: user id → {available, ack_delay}; decoded by the
	// response engine.
	Responders *yaml.Node `yaml:"responders"`

	// Topology, decoded by the testbed package.
	Providers *yaml.Node `yaml:"providers"`
	Stubs     *yaml.Node `yaml:"stubs"`
	Service   *yaml.Node `yaml:"service"`
	Traffic   *yaml.Node `yaml:"traffic"`
	Toxiproxy *yaml.Node `yaml:"toxiproxy"`
}

// HasTopology says whether drill.yaml describes a world to start: any of
// providers, stubs, service, traffic or toxiproxy written. A file with
// none lints (runbooks, rules, escalation, features); the commands that
// start a world refuse it, saying what they need.
func (c *Config) HasTopology() bool {
	for _, n := range []*yaml.Node{c.Providers, c.Stubs, c.Service, c.Traffic, c.Toxiproxy} {
		if n != nil {
			return true
		}
	}
	return false
}

// TeamInfo names the team.
type TeamInfo struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
}

// Paths locate the team's files, relative to drill.yaml's directory.
type Paths struct {
	Alerts     string `yaml:"alerts"`
	Runbooks   string `yaml:"runbooks"`
	Escalation string `yaml:"escalation"`
	Features   string `yaml:"features"`
	// Tests narrows where promtool rule-test files are looked for; empty
	// means the whole team directory (see FindTests).
	Tests string `yaml:"tests"`
	// Alertmanager is the team's alertmanager.yml; when set, its route
	// tree routes alerts instead of the escalation routes:. Empty means
	// none.
	Alertmanager string `yaml:"alertmanager"`
}

// LintConfig tunes the lint checks.
type LintConfig struct {
	// Severity overrides a check's default: check ID → error|warning|info|off.
	// The lint package, which owns the checks, refuses an unknown ID.
	Severity map[string]Severity `yaml:"severity"`
	Review   ReviewConfig        `yaml:"review"`
	// RunbookAnnotation is the alert annotation that links the runbook
	// (runbook_url by default; teams also use sop_url, playbook).
	RunbookAnnotation string `yaml:"runbook_annotation"`
	// Sections are the required runbook section headings, by role.
	Sections SectionNames `yaml:"sections"`
	// PagingSeverities are the severity label values that page a human
	// (default critical, page).
	PagingSeverities []string `yaml:"paging_severities"`
	// EvaluationInterval is the rule evaluation interval assumed where a
	// group sets none (default 1m, Prometheus' default).
	EvaluationInterval Duration `yaml:"evaluation_interval"`
	// CoverageDays is how far ahead on-call coverage is walked (default 28).
	CoverageDays int `yaml:"coverage_days"`
	// OwnerLabel is the alert label naming the owning team or user
	// (default team).
	OwnerLabel string `yaml:"owner_label"`
}

// ReviewConfig holds the runbook review defaults.
type ReviewConfig struct {
	// Every is the review interval for runbooks without review_every
	// (default 90d).
	Every Duration `yaml:"every"`
}

// SectionNames are the heading texts of the required runbook sections.
// An empty name takes the default (the role's name, capitalised).
type SectionNames struct {
	Meaning      string `yaml:"meaning"`
	Impact       string `yaml:"impact"`
	Diagnosis    string `yaml:"diagnosis"`
	Mitigation   string `yaml:"mitigation"`
	Verification string `yaml:"verification"`
	Escalation   string `yaml:"escalation"`
}

// Required returns the required headings in order.
func (s SectionNames) Required() []string {
	return []string{s.Meaning, s.Impact, s.Diagnosis, s.Mitigation, s.Verification, s.Escalation}
}

// Defaults returns drill.yaml's settings as a file that sets none of them
// reads; docs/drill-yaml.md's table of defaults is generated from it (go
// test ./team -run TestDocs -update).
func Defaults() Config {
	var c Config
	c.applyDefaults()
	return c
}

func (c *Config) applyDefaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&c.Paths.Alerts, "alerts")
	def(&c.Paths.Runbooks, "runbooks")
	def(&c.Paths.Escalation, "escalation")
	def(&c.Paths.Features, "features")
	def(&c.Lint.RunbookAnnotation, "runbook_url")
	def(&c.Lint.OwnerLabel, "team")
	s := &c.Lint.Sections
	def(&s.Meaning, "Meaning")
	def(&s.Impact, "Impact")
	def(&s.Diagnosis, "Diagnosis")
	def(&s.Mitigation, "Mitigation")
	def(&s.Verification, "Verification")
	def(&s.Escalation, "Escalation")
	if c.Lint.Review.Every == 0 {
		c.Lint.Review.Every = Duration(90 * 24 * time.Hour)
	}
	if len(c.Lint.PagingSeverities) == 0 {
		c.Lint.PagingSeverities = []string{"critical", "page"}
	}
	if c.Lint.EvaluationInterval == 0 {
		c.Lint.EvaluationInterval = Duration(time.Minute)
	}
	if c.Lint.CoverageDays == 0 {
		c.Lint.CoverageDays = 28
	}
}

// ParseConfig decodes drill.yaml strictly; file names it in problems.
func ParseConfig(file string, data []byte) (*Config, error) {
	c := &Config{File: file}
	var probs Problems
	c.doc, probs = strictyaml.Decode(file, data, c)
	// A value written as 0 is judged, never taken for "absent" and
	// replaced by the default.
	written := c.doc.Has
	if written("lint.coverage_days") && (c.Lint.CoverageDays < 1 || c.Lint.CoverageDays > 366) {
		probs = append(probs, c.problem("lint.coverage_days", fmt.Sprintf("expected 1 to 366 days, got %d", c.Lint.CoverageDays)))
	}
	if written("lint.evaluation_interval") && c.Lint.EvaluationInterval <= 0 {
		probs = append(probs, c.problem("lint.evaluation_interval", "expected a positive duration such as 1m"))
	}
	if written("lint.review.every") && c.Lint.Review.Every <= 0 {
		probs = append(probs, c.problem("lint.review.every", "expected a positive duration such as 90d"))
	}
	if len(c.Alertmanager.Receivers) > 0 && c.Paths.Alertmanager == "" {
		probs = append(probs, c.problem("alertmanager.receivers", "expected paths.alertmanager to name the alertmanager.yml whose receivers these are"))
	}
	c.applyDefaults()
	if len(probs) > 0 {
		probs.Sort()
		return c, probs
	}
	return c, nil
}

// problem is a problem with drill.yaml's field (a path such as
// "lint.coverage_days"), placed at the field's key when it is written.
// Problem is a problem with drill.yaml's field (a path such as
// "lint.severity.runbook-stale"), placed at the field's key when the file
// has it. Other packages judging drill.yaml's sections (lint, for the
// check IDs of lint.severity) report through it.
func (c *Config) Problem(field, msg string) Problem { return c.problem(field, msg) }

func (c *Config) problem(field, msg string) Problem {
	p := Problem{File: c.File, Field: field, Msg: msg}
	if k := c.doc.Key(field); k != nil {
		p.Line, p.Col = k.Line, k.Column
	}
	return p
}
