package lint

import (
	"fmt"
	"sort"
)

// Finding is one lint result. File is relative to the team directory;
// Line and Col are 1 or more.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Message  string   `json:"message"`
}

// String renders file:line:col: ID severity: message.
func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s %s: %s", f.File, f.Line, f.Col, f.ID, f.Severity, f.Message)
}

// Report is what Run found in one team.
type Report struct {
	// Team is the team directory as the caller named it (team.Team.Dir).
	// The writers put it before every file name, so that an editor can
	// jump from the working directory to the finding.
	Team string
	// Findings are sorted by file, line, column and check ID. Checks set
	// to off in drill.yaml produce none.
	Findings []Finding
	// FilesRead counts the team's files lint read: drill.yaml and every
	// alert, promtool test, runbook, escalation and feature file.
	FilesRead int
	// Strict is Options.Strict: warnings fail the report too.
	Strict bool
}

// Summary counts a report's findings.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	// Files counts the files with findings, FilesRead the files read.
	Files     int `json:"files"`
	FilesRead int `json:"files_read"`
}

// Summary counts the report's findings by severity and file.
func (r *Report) Summary() Summary {
	s := Summary{FilesRead: r.FilesRead}
	files := map[string]bool{}
	for _, f := range r.Findings {
		files[f.File] = true
		switch f.Severity {
		case SeverityError:
			s.Errors++
		case SeverityWarning:
			s.Warnings++
		default:
			s.Infos++
		}
	}
	s.Files = len(files)
	return s
}

// Failed reports whether the team is not lint clean: a finding at error
// level remains, or, with Strict, one at warning level. drill lint and
// drill ci exit 3 on it.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError || (r.Strict && f.Severity == SeverityWarning) {
			return true
		}
	}
	return false
}

// finish gives every finding its severity for the team (drill.yaml's
// lint.severity, else the check's default), drops those set to off,
// places a finding with no known position at line 1, column 1, and sorts.
func finish(sev func(id string) Severity, raw []Finding) []Finding {
	out := make([]Finding, 0, len(raw))
	for _, f := range raw {
		if f.Severity = sev(f.ID); f.Severity == SeverityOff {
			continue
		}
		f.Line, f.Col = max(f.Line, 1), max(f.Col, 1)
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.ID < b.ID
	})
	return out
}
