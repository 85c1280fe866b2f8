// Package mutate answers whether a team's drills notice when its response
// plan breaks: it makes mutants of the team's own files (alert rules,
// runbooks, escalation, drill.yaml variables), one small explained change
// each, in a temporary copy of the team directory, runs the drills that
// touch the mutated file (scenarios.Impact, as drill ci selects them)
// against each, and reports which mutants the drills killed and which
// survived, with the mutation score per file and per family.
//
// A mutant is killed when a drill that passed on the unchanged plan (the
// baseline) fails or is inconclusive on it; it survives otherwise, and
// the report says what the drills fail to check and suggests the step
// that would have caught it. A mutant lint refuses (an error finding the
// unchanged team does not have) is invalid and not counted.
//
// A mutant that changes nothing a drill can observe is equivalent and
// left out, never run: its change prints as the original (or leaves the
// file as it was), or it is a rule mutant whose rules evaluate
// identically on the recorded metrics of every baseline drill it would
// run. Each baseline drill hands over its alerting engine's recording
// (scenarios.Options.Record: the scraped series, the instants it
// evaluated at and the transitions it emitted, bounded by
// alerting.DefaultRecordLimit, and by MaxRecordedSamples over the whole
// baseline); alerting.Replay evaluates the unchanged rule files over it,
// which must give back the drill's own transitions, and the mutated ones,
// which must give the same transitions, rule errors and recorded series
// for the mutant to be equivalent. That is equivalence for the baseline
// drills' traffic only, as the report's note says. A drill without a
// usable recording judges nothing: the mutant runs, and a note names the
// drill and why.
//
// YAML is edited through yaml.v3 nodes (comments and styles kept), PromQL
// through the Prometheus parser, Markdown runbooks through goldmark's
// positions.
package mutate
