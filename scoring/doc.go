// Package scoring turns the results of drills into a scorecard.
//
// A scenario's verdict comes from its steps and from evidence: it passes
// only when every step passed and its faults provably fired; without proof
// it is inconclusive, never passed, and a harness failure is an error,
// never a failed drill. From each scenario's timeline, scoring computes the
// response timings (time to detect, acknowledge, mitigate and recover) and
// classifies every alert that fired: alerts in the control window before
// the first fault, or that no step of the scenario expected, are false
// alarms.
//
// [Metrics] defines every timing, phase and run metric once (from → to,
// what it tells); the README, docs/metrics.md, the schema's descriptions
// and drill run --help are generated from it. Timings and phases are
// measured between the same instants, so a phase that is a timing has its
// count; a scenario no step of which waits for an alert has neither.
//
// The scorecard is written as versioned JSON (schema in
// scorecard.schema.json), JUnit XML, Markdown for pull requests and a
// terminal table; gates (`pass_rate >= 0.9`) are parsed expressions
// evaluated against its summary.
//
// Judge is that rule, in one place: it decides a Verdict from the
// scenario's step statuses (StepStatus, godog's names) and the evidence of
// each fault (Evidence; a count from a source of EvidenceUnavailable
// proves nothing). Scorecard.ExitCode maps the verdicts to package
// exitcode's codes.
//
// A run that repeats every scenario (drill run --repeat N) keeps every
// repetition as a Scenario with its Repetition (index and seed), each
// judged by Judge as any run; Summarize adds one Repeat per scenario on
// top: passes out of N with their Wilson interval, each timing's median
// and p90 with distribution-free intervals, the seeds of each verdict
// and the command that reruns one, and the verdict Flaky when some
// repetitions passed and some failed. Gates read these
// (`pass_rate_lower >= 0.9`, `flaky == 0`); GatedExitCode says how
// gates and verdicts make the exit code.
//
// scoring imports only the standard library, timeline,
// internal/exitcode and internal/stats (the one implementation of the
// median, the nearest-rank quantile and the intervals).
package scoring
