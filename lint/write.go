package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
)

// Formats are the output formats Write knows.
var Formats = []string{"text", "json", "sarif"}

// Write writes the report in format (one of Formats). toolVersion is
// drill's version, for SARIF's tool.driver.version ("" leaves it out).
func Write(w io.Writer, r *Report, format, toolVersion string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "json":
		return WriteJSON(w, r)
	case "sarif":
		return WriteSARIF(w, r, toolVersion)
	}
	return fmt.Errorf("lint: unknown format %q; formats are: text, json, sarif", format)
}

// TeamPath is a file named relative to the team directory root as seen
// from the working directory root was named from, so editors can jump to
// it. Every writer names files so; so do drill's messages about the
// team's files.
func TeamPath(root, file string) string {
	if root == "." || root == "" || file == "" {
		return file
	}
	return filepath.ToSlash(filepath.Join(root, file))
}

// located is the report's findings with their files as TeamPath names
// them.
func (r *Report) located() []Finding {
	out := make([]Finding, len(r.Findings))
	for i, f := range r.Findings {
		f.File = TeamPath(r.Team, f.File)
		out[i] = f
	}
	return out
}

// WriteText prints the findings as file:line:col: ID severity: message,
// grouped by file (a blank line between files), then a summary line that
// counts the files read as well as those with findings.
func WriteText(w io.Writer, r *Report) error {
	fs := r.located()
	prev := ""
	for i, f := range fs {
		if i > 0 && f.File != prev {
			fmt.Fprintln(w)
		}
		prev = f.File
		fmt.Fprintln(w, f.String())
	}
	if len(fs) > 0 {
		fmt.Fprintln(w)
	}
	_, err := fmt.Fprintln(w, r.SummaryLine())
	return err
}

// SummaryLine is the text summary: "team DIR: 1 error, 2 warnings, 0 info
// in 14 files read (3 with findings)".
func (r *Report) SummaryLine() string {
	s := r.Summary()
	return fmt.Sprintf("team %s: %s, %s, %d info in %s read (%d with findings)",
		r.Team, plural(s.Errors, "error"), plural(s.Warnings, "warning"), s.Infos, plural(s.FilesRead, "file"), s.Files)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteJSON writes {"team", "findings", "summary"}; a finding's file is
// named as in the text output, and the summary counts files_read as well
// as the files with findings.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Team     string    `json:"team"`
		Findings []Finding `json:"findings"`
		Summary  Summary   `json:"summary"`
	}{r.Team, r.located(), r.Summary()})
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
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// sarifLevel maps a severity to SARIF's result level.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityOff:
		return "none"
	}
	return "note"
}

// WriteSARIF writes a SARIF 2.1.0 log: one run whose driver lists every
// registered check as a rule, and one result per finding, at its file
// (as TeamPath names it, as a URI reference), line and column.
func WriteSARIF(w io.Writer, r *Report, toolVersion string) error {
	driver := sarifDriver{Name: "drill", InformationURI: "https://github.com/drillkit/drill", Version: toolVersion}
	index := map[string]int{}
	for i, c := range checks {
		index[c.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{ID: c.ID, ShortDescription: sarifText{c.Rationale}, DefaultConfiguration: sarifConfig{sarifLevel(c.Severity)}})
	}
	results := []sarifResult{}
	for _, f := range r.located() {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: (&url.URL{Path: f.File}).String()}, // a URI reference: spaces and the like escaped
			Region:           sarifRegion{StartLine: f.Line, StartColumn: f.Col},
		}}
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
