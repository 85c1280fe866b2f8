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
// unchanged team does not have) is invalid and not counted; a mutant that
// changes nothing a drill can observe (the mutated expression prints the
// same, or the file is unchanged) is equivalent and left out. Only
// syntactic equivalence is detected: the baseline's scorecards keep no
// metrics to evaluate a mutated rule on.
//
// YAML is edited through yaml.v3 nodes (comments and styles kept), PromQL
// through the Prometheus parser, Markdown runbooks through goldmark's
// positions.
package mutate
