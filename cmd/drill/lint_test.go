package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drillkit/drill/internal/exitcode"
	"github.com/stretchr/testify/require"
)

// copyTeam copies the team package's clean testdata team to a temp dir and
// applies edits (file → old → new; old "" means write new as the file).
func copyTeam(t *testing.T, edits ...[3]string) string {
	t.Helper()
	src := filepath.Join("..", "..", "team", "testdata", "clean")
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	for _, e := range edits {
		p := filepath.Join(dst, e[0])
		if e[1] == "" {
			require.NoError(t, os.WriteFile(p, []byte(e[2]), 0o644))
			continue
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Contains(t, string(b), e[1])
		require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), e[1], e[2], 1)), 0o644))
	}
	return dst
}

func TestLintCleanTeam(t *testing.T) {
	dir := copyTeam(t)
	code, out, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "team "+dir+": 0 errors, 0 warnings, 0 info in 10 files read (0 with findings)\n", out)
}

func TestLintFindsTeamUpward(t *testing.T) {
	dir := copyTeam(t)
	t.Chdir(filepath.Join(dir, "runbooks"))
	code, out, _ := runCLI(t, "lint", "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "team ..: 0 errors")
}

func TestLintMissingTeamDir(t *testing.T) {
	code, _, errs := runCLI(t, "lint", "--team", filepath.Join(t.TempDir(), "nope"))
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "nope")
}

func TestLintErrorsExit3AndGroupByFile(t *testing.T) {
	dir := copyTeam(t,
		[3]string{"runbooks/provider-errors.md", "owner: sre\n", ""},
		[3]string{"alerts/llm.yaml", "for: 2m", "for: 30s"},
	)
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code)
	want := dir + "/alerts/llm.yaml:7:9: alert-for-short warning: alert LLMSpendSpike: for: 30s is shorter than two evaluation intervals (30s); expected 1m or more\n" +
		"\n" +
		dir + "/runbooks/provider-errors.md:1:1: runbook-no-owner error: runbook provider-errors has no owner; expected owner: naming a team or user from escalation/\n" +
		"\n" +
		"team " + dir + ": 1 error, 1 warning, 0 info in 10 files read (2 with findings)\n"
	require.Equal(t, want, out)
}

func TestLintStrictCountsWarnings(t *testing.T) {
	dir := copyTeam(t, [3]string{"alerts/llm.yaml", "for: 2m", "for: 30s"})
	code, _, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code)
	code, _, _ = runCLI(t, "lint", "--team", dir, "--now", "2026-03-05", "--strict")
	require.Equal(t, exitcode.Lint, code)
}

func TestLintJSONAndSARIF(t *testing.T) {
	dir := copyTeam(t, [3]string{"alerts/llm.yaml", "for: 2m", "for: 30s"})
	code, out, _ := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05", "--format", "json")
	require.Equal(t, exitcode.OK, code)
	var js struct {
		Findings []struct {
			ID, Severity, File, Message string
			Line, Col                   int
		}
		Summary struct{ Warnings int }
	}
	require.NoError(t, json.Unmarshal([]byte(out), &js))
	require.Len(t, js.Findings, 1)
	require.Equal(t, "alert-for-short", js.Findings[0].ID)
	require.Equal(t, 7, js.Findings[0].Line)
	require.Equal(t, 1, js.Summary.Warnings)

	code, out, _ = runCLI(t, "lint", "--team", dir, "--now", "2026-03-05", "--format", "sarif")
	require.Equal(t, exitcode.OK, code)
	var sarif struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine, StartColumn int }
					}
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal([]byte(out), &sarif))
	require.Equal(t, "2.1.0", sarif.Version)
	run := sarif.Runs[0]
	require.Equal(t, "drill", run.Tool.Driver.Name)
	require.Len(t, run.Results, 1)
	r := run.Results[0]
	require.Equal(t, "alert-for-short", r.RuleID)
	require.Equal(t, "alert-for-short", run.Tool.Driver.Rules[r.RuleIndex].ID)
	require.Equal(t, "warning", r.Level)
	require.Equal(t, 7, r.Locations[0].PhysicalLocation.Region.StartLine)
	require.True(t, strings.HasSuffix(r.Locations[0].PhysicalLocation.ArtifactLocation.URI, "alerts/llm.yaml"))
}

func TestLintInvalidTeamPrintsAllProblems(t *testing.T) {
	dir := copyTeam(t,
		[3]string{"drill.yaml", "team:", "colour: blue\nteam:"},
		[3]string{"drill.yaml", "alert-description-vague: warning", "alert-description-vage: warning"},
		[3]string{"escalation/people.yaml", "rotation: 1w", "rotation: fortnight"},
		[3]string{"alerts/bad.yaml", "", "groups:\n  - name: x\n    rules:\n      - alert: Bad\n        expr: rate(foo[5m] > 1\n"},
	)
	code, out, errs := runCLI(t, "lint", "--team", dir)
	require.Equal(t, exitcode.Usage, code)
	require.Empty(t, out)
	require.Contains(t, errs, dir+"/drill.yaml:1:1: colour: unknown field; valid fields are: team, paths, lint, alertmanager, variables, responders, providers, stubs, service, traffic, toxiproxy\n")
	require.Contains(t, errs, dir+"/escalation/people.yaml:26:19: schedules[0].layers[0].rotation: expected a duration like 90s, 10m, 12h, 7d or 1w, got \"fortnight\"\n")
	require.Contains(t, errs, dir+"/alerts/bad.yaml:5:15: group \"x\", rule 1, \"Bad\": could not parse expression:")
	require.Contains(t, errs, dir+"/drill.yaml:10:5: lint.severity.alert-description-vage: unknown check (did you mean alert-description-vague?)", "lint's own problems of drill.yaml come with the loader's")
	require.Contains(t, errs, "4 problem(s)")
}

func TestLintBadFlags(t *testing.T) {
	code, _, errs := runCLI(t, "lint", "--format", "xml")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "formats are: text, json, sarif")
	code, _, errs = runCLI(t, "lint", "--now", "yesterday")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "expected YYYY-MM-DD")
}

func TestLintListsChecks(t *testing.T) {
	code, out, _ := runCLI(t, "lint", "--checks")
	require.Equal(t, exitcode.OK, code)
	require.Contains(t, out, "escalation-coverage-gap")
	require.Contains(t, out, "runbook-stale")
}

// Lint refuses what a drill would refuse before starting: a clean lint is
// never followed by a run that stops on the same files.
func TestLintRefusesWhatADrillWould(t *testing.T) {
	for _, c := range []struct {
		file, old, new, want string
	}{
		{"drill.yaml", "  rate: 5", "  rate: fast", `drill.yaml:25:9: traffic.rate: expected a number, got "fast"`},
		{"drill.yaml", "  alice: {", "  alicia: {", "responders.alicia: unknown user"},
		{"drill.yaml", `"{{ .Service.Admin }}"`, `"{{ .Servce.Admin }}"`, "variables.GATEWAY_ADMIN: template"},
		// A name a step refers to is resolved before any world starts.
		{"features/cost-spike.feature", `alert "LLMSpendSpike"`, `alert "LLMSpendSpik"`, `unknown alert "LLMSpendSpik"; closest: LLMSpendSpike`},
	} {
		dir := copyTeam(t, [3]string{c.file, c.old, c.new})
		code, _, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
		require.Equal(t, exitcode.Usage, code, c.new)
		require.Contains(t, errs, c.want)
		require.Contains(t, errs, "has problems a drill would refuse")
		code, _, errs = runCLI(t, "run", "--team", dir, "--plan", "--all")
		require.Equal(t, exitcode.Usage, code, "the plan refuses it too: %s", c.new)
		require.Contains(t, errs, c.want)
		code, _, errs = runCLI(t, "ci", "--team", dir, "--now", "2026-03-05")
		require.Equal(t, exitcode.Usage, code, "ci's lint refuses it too: %s", c.new)
		require.Contains(t, errs, c.want)
		require.Contains(t, errs, "drill ci: team "+dir+" has problems a drill would refuse")
	}
}

// An unknown check in lint.severity is invalid input for drill lint and
// drill ci alike.
func TestLintUnknownCheckIsInvalidInput(t *testing.T) {
	dir := copyTeam(t, [3]string{"drill.yaml", "alert-description-vague: warning", "alert-description-vage: warning"})
	for _, cmd := range []string{"lint", "ci"} {
		code, out, errs := runCLI(t, cmd, "--team", dir, "--now", "2026-03-05")
		require.Equal(t, exitcode.Usage, code, cmd)
		require.Empty(t, out)
		require.Equal(t, dir+"/drill.yaml:9:5: lint.severity.alert-description-vage: unknown check (did you mean alert-description-vague?); run 'drill lint --checks' for the list\n"+
			"drill "+cmd+": 1 problem(s) in team "+dir+"; fix them and run again\n", errs)
	}
}

// drill lint --live starts the team's world and finds what the static
// checks cannot: a label value a typo away from the one the world writes
// (static lint knows metric names, not the values a world writes). The
// clean team is clean live too.
func TestLintLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the team's world twice; skipped with -short")
	}
	dir := copyTeam(t, [3]string{"alerts/llm.yaml", "drill_gateway_cost_usd_total[5m]", `drill_gateway_cost_usd_total{upstream="opanai"}[5m]`})
	code, out, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code, "static lint cannot tell a label value: %s%s", errs, out)
	code, out, errs = runCLI(t, "lint", "--live", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code, errs)
	require.Contains(t, out, `alerts/llm.yaml:5:9: rule-selector-no-series error: recording rule drill:llm_cost_usd:rate5m: drill_gateway_cost_usd_total{upstream="opanai"} matched no series in the live world`)
	require.Contains(t, out, `"openai"`)
	// Whether a healthy world wrote an error_type yet varies: an info.
	require.Contains(t, out, ": 1 error, 0 warnings, ")

	dir = copyTeam(t)
	code, out, errs = runCLI(t, "lint", "--live", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code, errs+out)
	require.Contains(t, out, ": 0 errors, 0 warnings, ")
}

// Static lint derives what the drill world exposes from drill.yaml's
// topology: a recording rule over a metric nothing exports, feeding an
// alert the team drills, is an error before any world starts.
func TestLintStaticUnexposedMetric(t *testing.T) {
	dir := copyTeam(t, [3]string{"alerts/llm.yaml", "drill_gateway_cost_usd_total", "drill_llm_cost_usd_total"})
	code, out, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.Lint, code, errs)
	require.Contains(t, out, "alerts/llm.yaml:5:9: alert-metric-unexposed error: recording rule drill:llm_cost_usd:rate5m reads drill_llm_cost_usd_total, which nothing in the drill world exposes and no rule records: it never has data, and alerts the team's drills wait on read it")
}

// drill lint FILE lints that feature file alone, with the team found
// upward from it: its steps, and the names they give, as a drill of it
// would check them; the team's other checks do not run.
func TestLintOneFeatureFile(t *testing.T) {
	dir := copyTeam(t,
		[3]string{"runbooks/provider-errors.md", "owner: sre\n", ""}, // a team finding lint FILE does not report
		[3]string{"features/other.feature", "", "Feature: other\n  Scenario: s\n    When provider \"primary\" explodes\n"},
	)
	t.Chdir(filepath.Join(dir, "features"))
	code, out, errs := runCLI(t, "lint", "cost-spike.feature")
	require.Equal(t, exitcode.OK, code, errs)
	require.Equal(t, "team ..: 0 errors, 0 warnings, 0 info in 1 file read (0 with findings)\n", out)

	code, out, _ = runCLI(t, "lint", "other.feature")
	require.Equal(t, exitcode.Lint, code)
	require.Contains(t, out, `../features/other.feature:3:1: feature-undefined-step error: undefined step: When provider "primary" explodes`)
	require.Contains(t, out, "in 1 file read (1 with findings)")

	// A name the team lacks is refused as a drill of the file would.
	b, err := os.ReadFile(filepath.Join(dir, "features", "cost-spike.feature"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "features", "cost-spike.feature"), []byte(strings.Replace(string(b), `alert "LLMSpendSpike"`, `alert "LLMSpendSpik"`, 1)), 0o644))
	code, _, errs = runCLI(t, "lint", "cost-spike.feature")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, `unknown alert "LLMSpendSpik"; closest: LLMSpendSpike`)

	for _, c := range []struct{ arg, want string }{
		{"nope.feature", "nope.feature: no such feature file"},
		{"drill.yaml", `lint takes feature files (features/x.feature), got "drill.yaml"`},
	} {
		code, _, errs = runCLI(t, "lint", c.arg)
		require.Equal(t, exitcode.Usage, code, c.arg)
		require.Contains(t, errs, c.want)
	}
	outside := filepath.Join(t.TempDir(), "x.feature")
	require.NoError(t, os.WriteFile(outside, []byte("Feature: x\n"), 0o644))
	code, _, errs = runCLI(t, "lint", outside)
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "a feature file is linted with its team")
}

// A drill.yaml with team: and variables only (no topology) lints clean;
// the commands that start a world refuse it, each naming itself and what
// it needs.
func TestTeamOnlyConfigLintsAndWorldCommandsSayWhatTheyNeed(t *testing.T) {
	dir := copyTeam(t, [3]string{"drill.yaml", "", "team:\n  id: ml-platform\nvariables:\n  GATEWAY_ADMIN: http://127.0.0.1:1\n"})
	code, out, errs := runCLI(t, "lint", "--team", dir, "--now", "2026-03-05")
	require.Equal(t, exitcode.OK, code, errs)
	require.Contains(t, out, "0 errors, 0 warnings, 0 info in 10 files read")
	for _, args := range [][]string{{"run", "--team", dir, "--all"}, {"run", "--team", dir, "--all", "--plan"}, {"up", "--team", dir}} {
		code, _, errs := runCLI(t, args...)
		require.Equal(t, exitcode.Usage, code, "%v: %s", args, errs)
		require.Contains(t, errs, "drill "+args[0]+": drill.yaml: no topology: this command starts a world, which needs at least providers:", args)
	}
	code, _, errs = runCLI(t, "lint", "--team", dir, "--live")
	require.Equal(t, exitcode.Usage, code)
	require.Contains(t, errs, "--live: drill.yaml: no topology")
}
