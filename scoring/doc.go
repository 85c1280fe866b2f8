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
// The scorecard is written as versioned JSON (schema in
// scorecard.schema.json), JUnit XML, Markdown for pull requests and a
// terminal table; gates (`pass_rate >= 0.9`) are parsed expressions
// evaluated against its summary.
//
// scoring imports only the standard library and timeline.
package scoring
