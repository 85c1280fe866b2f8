package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/drillkit/drill/scenarios"
	"github.com/drillkit/drill/team"
)

func lintCommand() *command {
	return &command{
		name:    "lint",
		summary: "check a team's runbooks, escalation and alert rules (changes nothing)",
		usage:   "[--team DIR] [--format text|json|sarif] [--now DATE] [--strict] [--checks]",
		help: `Loads the team (drill.yaml, alerts/, runbooks/, escalation/, features/) and
runs every lint check. Without --team, drill.yaml is looked for from the
working directory upward. Text output prints file:line:col: ID severity:
message, grouped by file, and a summary. Severities are set per check in
drill.yaml's lint.severity. lint needs no network.

Exit 0 when no error-level finding remains (--strict: no warning either),
3 when one does, 2 when the team's files are invalid (every problem is
printed).`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
			dir := fs.String("team", "", "team directory (holding drill.yaml); default: search upward from the working directory")
			format := fs.String("format", "text", "output format: text, json or sarif")
			now := fs.String("now", "", "reference date for review and coverage checks, YYYY-MM-DD or RFC 3339 (default: now)")
			strict := fs.Bool("strict", false, "warnings also fail (exit 3)")
			list := fs.Bool("checks", false, "list the checks with their default severity and rationale, and exit")
			return func(_ context.Context, e *env, args []string) error {
				if len(args) > 0 {
					return usageErrorf("lint takes no arguments, got %q", args[0])
				}
				if *list {
					tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					for _, c := range team.Checks() {
						fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Severity, c.Rationale)
					}
					return tw.Flush()
				}
				switch *format {
				case "text", "json", "sarif":
				default:
					return usageErrorf("unknown --format %q; formats are: text, json, sarif", *format)
				}
				ref := time.Now()
				if *now != "" {
					t, err := parseNow(*now)
					if err != nil {
						return usageErrorf("--now: %v", err)
					}
					ref = t
				}
				root := *dir
				if root == "" {
					wd, err := os.Getwd()
					if err != nil {
						return withCode(exitHarness, err)
					}
					found, ok := team.Find(wd)
					if ok {
						root = relTo(wd, found)
					} else {
						demo, err := scenarios.ExtractDemo("")
						if err != nil {
							return withCode(exitHarness, err)
						}
						defer os.RemoveAll(demo)
						fmt.Fprintf(e.stderr, "drill lint: no %s in %s or any parent directory, and no --team: linting the built-in demo team acme-ml\n", team.ConfigFile, wd)
						root = demo
					}
				}
				t, err := team.Load(root)
				if err != nil {
					var ps team.Problems
					if errors.As(err, &ps) {
						for _, p := range ps {
							p.File = prefixPath(root, p.File)
							fmt.Fprintln(e.stderr, p.String())
						}
						fmt.Fprintf(e.stderr, "drill lint: %d problem(s) in team %s; fix them and run again\n", len(ps), root)
						return silentError{exitUsage}
					}
					return withCode(exitUsage, err)
				}
				// What a drill would refuse before starting is invalid
				// input here too, not a clean bill of health.
				top, err := scenarios.Validate(t)
				if err == nil {
					// Faults the team's own drills inject; feature files
					// that do not parse are findings below.
					if sel, serr := scenarios.Select(scenarios.Options{Team: t, All: true, NoBuiltin: true}); serr == nil {
						err = scenarios.CheckFaults(sel, top)
					}
				}
				if err != nil {
					fmt.Fprintln(e.stderr, err)
					fmt.Fprintf(e.stderr, "drill lint: team %s has problems a drill would refuse; fix them and run again\n", root)
					return silentError{exitUsage}
				}
				findings := append(team.Lint(t, team.LintOptions{Now: ref}), drillFindings(t, root)...)
				for i := range findings {
					findings[i].File = prefixPath(root, findings[i].File)
				}
				switch *format {
				case "json":
					err = writeLintJSON(e.stdout, root, findings)
				case "sarif":
					err = writeSARIF(e.stdout, findings)
				default:
					writeLintText(e.stdout, root, findings)
				}
				if err != nil {
					return withCode(exitHarness, err)
				}
				for _, f := range findings {
					if f.Severity == team.SeverityError || (*strict && f.Severity == team.SeverityWarning) {
						return silentError{exitLint}
					}
				}
				return nil
			}
		},
	}
}

func parseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("expected YYYY-MM-DD or RFC 3339, got %q", s)
	}
	return t, nil
}

func relTo(wd, dir string) string {
	if r, err := filepath.Rel(wd, dir); err == nil {
		return r
	}
	return dir
}

// prefixPath makes a team-relative file name relative to the working
// directory, so editors can jump to it.
func prefixPath(root, file string) string {
	if root == "." || root == "" || file == "" {
		return file
	}
	return filepath.ToSlash(filepath.Join(root, file))
}

type lintSummary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Files    int `json:"files"`
}

func summarize(fs []team.Finding) lintSummary {
	var s lintSummary
	files := map[string]bool{}
	for _, f := range fs {
		files[f.File] = true
		switch f.Severity {
		case team.SeverityError:
			s.Errors++
		case team.SeverityWarning:
			s.Warnings++
		default:
			s.Infos++
		}
	}
	s.Files = len(files)
	return s
}

// writeLintText prints findings grouped by file (a blank line between
// files) and a summary line.
func writeLintText(w io.Writer, root string, fs []team.Finding) {
	byFile := map[string][]team.Finding{}
	var order []string
	for _, f := range fs {
		if _, ok := byFile[f.File]; !ok {
			order = append(order, f.File)
		}
		byFile[f.File] = append(byFile[f.File], f)
	}
	for i, file := range order {
		if i > 0 {
			fmt.Fprintln(w)
		}
		for _, f := range byFile[file] {
			fmt.Fprintln(w, f.String())
		}
	}
	s := summarize(fs)
	if len(fs) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "team %s: %d error(s), %d warning(s), %d info in %d file(s)\n", root, s.Errors, s.Warnings, s.Infos, s.Files)
}

func writeLintJSON(w io.Writer, root string, fs []team.Finding) error {
	if fs == nil {
		fs = []team.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Team     string         `json:"team"`
		Findings []team.Finding `json:"findings"`
		Summary  lintSummary    `json:"summary"`
	}{root, fs, summarize(fs)})
}

// SARIF 2.1.0, the subset code-scanning UIs read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string      `json:"id"`
	ShortDescription     sarifText   `json:"shortDescription"`
	DefaultConfiguration sarifConfig `json:"defaultConfiguration"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine   int `json:"startLine"`
			StartColumn int `json:"startColumn"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

func sarifLevel(s team.Severity) string {
	switch s {
	case team.SeverityError:
		return "error"
	case team.SeverityWarning:
		return "warning"
	case team.SeverityOff:
		return "none"
	}
	return "note"
}

func writeSARIF(w io.Writer, fs []team.Finding) error {
	driver := sarifDriver{Name: "drill", InformationURI: "https://github.com/drillkit/drill", Version: strings.TrimPrefix(strings.Fields(versionString())[1], "v")}
	index := map[string]int{}
	for i, c := range team.Checks() {
		index[c.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{ID: c.ID, ShortDescription: sarifText{c.Rationale}, DefaultConfiguration: sarifConfig{sarifLevel(c.Severity)}})
	}
	results := []sarifResult{}
	for _, f := range fs {
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(f.File)
		loc.PhysicalLocation.Region.StartLine = f.Line
		loc.PhysicalLocation.Region.StartColumn = f.Col
		results = append(results, sarifResult{RuleID: f.ID, RuleIndex: index[f.ID], Level: sarifLevel(f.Severity), Message: sarifText{f.Message}, Locations: []sarifLocation{loc}})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	})
}
