package lint

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sample is a report as Run returns it: sorted, with a file name that a
// URI must escape.
func sample() *Report {
	return &Report{
		Team:      "ops",
		FilesRead: 14,
		Findings: []Finding{
			{ID: "alert-for-short", Severity: SeverityWarning, File: "alerts/llm.yaml", Line: 7, Col: 9, Message: "alert LLMSpendSpike: for: 30s is shorter than two evaluation intervals (30s); expected 1m or more"},
			{ID: "alert-description-vague", Severity: SeverityInfo, File: "alerts/llm.yaml", Line: 12, Col: 9, Message: "alert LLMSpendSpike: description states neither the threshold (2) nor {{ $value }}"},
			{ID: "runbook-no-owner", Severity: SeverityError, File: "runbooks/provider errors.md", Line: 1, Col: 1, Message: `runbook provider-errors has no owner; expected owner: naming a team or user from escalation/`},
		},
	}
}

func written(t *testing.T, r *Report, format string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Write(&b, r, format, "1.2.3"))
	return b.String()
}

// The three writers' exact output, for a report with findings and for a
// clean one (go test -update rewrites the golden files).
func TestWritersGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		r    *Report
	}{
		{"findings", sample()},
		{"clean", &Report{Team: ".", FilesRead: 10}},
	} {
		for _, format := range Formats {
			checkGolden(t, filepath.Join("testdata", "write-"+c.name+"."+format), written(t, c.r, format))
		}
	}
}

func TestTextSummaryCountsFilesRead(t *testing.T) {
	out := written(t, sample(), "text")
	require.True(t, strings.HasSuffix(out, "\nteam ops: 1 error, 1 warning, 1 info in 14 files read (2 with findings)\n"), out)
	r := &Report{Team: "ops", FilesRead: 1, Findings: []Finding{{ID: "runbook-stale", Severity: SeverityWarning, File: "runbooks/a.md", Line: 3, Col: 1, Message: "m"}, {ID: "runbook-stale", Severity: SeverityWarning, File: "runbooks/a.md", Line: 4, Col: 1, Message: "m"}}}
	require.Equal(t, "ops/runbooks/a.md:3:1: runbook-stale warning: m\nops/runbooks/a.md:4:1: runbook-stale warning: m\n\nteam ops: 0 errors, 2 warnings, 0 info in 1 file read (1 with findings)\n", written(t, r, "text"))
}

func TestJSONCarriesFilesRead(t *testing.T) {
	var js struct {
		Team     string
		Findings []Finding
		Summary  map[string]int
	}
	require.NoError(t, json.Unmarshal([]byte(written(t, sample(), "json")), &js))
	require.Equal(t, "ops", js.Team)
	require.Equal(t, map[string]int{"errors": 1, "warnings": 1, "infos": 1, "files": 2, "files_read": 14}, js.Summary)
	require.Equal(t, "ops/alerts/llm.yaml", js.Findings[0].File)

	require.NoError(t, json.Unmarshal([]byte(written(t, &Report{Team: "ops"}, "json")), &js))
	require.NotNil(t, js.Findings, "an empty list, not null")
}

// The SARIF log holds to what SARIF 2.1.0 requires of the parts drill
// writes, and to what code-scanning UIs read: every result names a rule of
// the driver by id and index, a level SARIF knows, a message, and a
// location with a URI reference and a 1-based region.
func TestSARIFIsValid(t *testing.T) {
	var log struct {
		Schema  string `json:"$schema"`
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name, Version, InformationURI string
					Rules                         []struct {
						ID                   string
						ShortDescription     struct{ Text string }
						DefaultConfiguration struct{ Level string }
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(written(t, sample(), "sarif")), &log))
	require.Equal(t, "2.1.0", log.Version)
	require.Equal(t, "https://json.schemastore.org/sarif-2.1.0.json", log.Schema)
	require.Len(t, log.Runs, 1)
	run := log.Runs[0]
	require.Equal(t, "drill", run.Tool.Driver.Name)
	require.Equal(t, "1.2.3", run.Tool.Driver.Version)
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	seen := map[string]bool{}
	require.Len(t, run.Tool.Driver.Rules, len(Checks()))
	for _, rule := range run.Tool.Driver.Rules {
		require.False(t, seen[rule.ID], "rule ids are unique: %s", rule.ID)
		seen[rule.ID] = true
		require.NotEmpty(t, rule.ShortDescription.Text)
		require.True(t, levels[rule.DefaultConfiguration.Level], rule.DefaultConfiguration.Level)
	}
	require.Len(t, run.Results, 3)
	for i, res := range run.Results {
		require.Equal(t, res.RuleID, run.Tool.Driver.Rules[res.RuleIndex].ID)
		require.True(t, levels[res.Level], res.Level)
		require.NotEmpty(t, res.Message.Text)
		require.Len(t, res.Locations, 1)
		loc := res.Locations[0].PhysicalLocation
		u, err := url.Parse(loc.ArtifactLocation.URI)
		require.NoError(t, err)
		require.Empty(t, u.Scheme, "a relative reference")
		require.Equal(t, "ops/"+sample().Findings[i].File, u.Path)
		require.NotContains(t, loc.ArtifactLocation.URI, " ")
		require.GreaterOrEqual(t, loc.Region.StartLine, 1)
		require.GreaterOrEqual(t, loc.Region.StartColumn, 1)
	}
	require.Equal(t, []string{"warning", "note", "error"}, []string{run.Results[0].Level, run.Results[1].Level, run.Results[2].Level})
}

func TestWriteUnknownFormat(t *testing.T) {
	require.ErrorContains(t, Write(&bytes.Buffer{}, sample(), "xml", ""), `unknown format "xml"; formats are: text, json, sarif`)
}

func TestTeamPath(t *testing.T) {
	require.Equal(t, "alerts/a.yaml", TeamPath(".", "alerts/a.yaml"))
	require.Equal(t, "alerts/a.yaml", TeamPath("", "alerts/a.yaml"))
	require.Equal(t, "../ops/alerts/a.yaml", TeamPath("../ops", "alerts/a.yaml"))
	require.Equal(t, "", TeamPath("ops", ""))
}
