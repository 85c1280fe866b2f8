// Package scenarios selects and runs drills: each Gherkin scenario gets
// its own isolated world (testbed, drill clock, alerting and response
// engines), a control window before its first fault, and a verdict that
// is honest (scoring.Judge): passed only when every step passed and every
// fault provably fired; inconclusive without that proof; error when the
// harness failed. Bad input is refused before any world starts, with an
// error carrying exitcode.Usage.
//
// Scenarios are selected by name (`cost-spike` runs the @cost-spike
// scenarios), by cucumber tag expression (features.ParseTags), by feature
// path or FILE:LINE, or all; they run
// through godog with --parallel N worlds at a time. The result is a
// scoring.Scorecard.
//
// Each scenario's world is seeded from the run seed and the scenario's
// place alone (ScenarioSeed), so a scenario runs in the same world
// whichever others run beside it. With Options.Repeat N every scenario
// runs N times, repetition i with run seed Seed+i-1, each a full world
// judged as any run; `drill run --seed Seed+i-1 FILE:LINE` reruns one.
//
// Before the first world starts, Prepare refuses what a drill could not
// honestly judge, as invalid input: undefined steps (Select), a bad
// topology (Validate), and in the steps (CheckSteps) faults the catalog or
// topology cannot inject, settings out of range, and names the team does
// not have (CheckNames: alerts, teams, responders, roles, providers,
// stubs, mixes, PromQL metrics). `drill run --plan` calls Prepare too.
//
// A world is a features.AlertExplainer: when an alert a step waits for
// never went pending, the step's failure names the selectors that matched
// no series in what the world's alerting engine scraped (alerting's
// ExplainAlert). CheckSeries runs that series check on every rule in a
// world started for it alone (drill lint --live) and tears it down.
package scenarios
