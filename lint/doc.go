// Package lint judges a loaded team for the failures that rot a response
// plan, and is the one place "lint clean" is decided: drill lint and drill
// ci both call Run, the same way, and read the same Report.
//
// It owns:
//
//   - the checks and their registry (Checks): a stable ID, a default
//     severity and a rationale each; drill.yaml's lint.severity overrides
//     the severity per ID (SeverityOf), and CheckConfig refuses an ID that
//     names no check;
//   - the checks of the team's files (runbooks, escalation, ownership and
//     roles, alert thresholds), of its feature files against the step
//     catalog, and of its promtool rule tests run through drill's alerting
//     engine;
//   - the assembly: before any check, what a drill would refuse
//     (scenarios.Validate, and the names and faults the team's drills use: scenarios.CheckSteps) is a
//     RefusedError, invalid input rather than findings;
//   - with Options.Live, the live series check (live.go): the team's world
//     is started (scenarios.CheckSeries), every selector of every rule is
//     checked against what it exposed, and the world is torn down; a
//     selector that can never match is rule-selector-no-series, one whose
//     values only an incident may write is rule-selector-unmatched;
//   - the options (Options: reference time, coverage days, strict, live)
//     and the writers: text, JSON and SARIF 2.1.0 (Write).
//
// Positions come from the sources, never from error text: team's values
// carry their file, line and column; features.Parse returns
// features.ParseErrors and alerting's rule tests return positioned
// problems. Finding files are relative to the team directory; the writers
// name them from the working directory (TeamPath).
//
// Package team loads and validates the files; lint only reads what it
// loaded (and, for the git history check, runs git log; with Live, starts
// the team's world).
package lint
