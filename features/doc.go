// Package features is drill's step catalog: the Gherkin language trainers
// write drills in, and the built-in .feature files.
//
// One table ([Catalog]) holds every step definition with its canonical
// form, the other phrasings it accepts (as data, built from the shared
// phrases of phrases.go), documentation and an example; every value a
// step takes is written as the one value grammar of grammar.go says; the same table registers the steps with
// godog, prints `drill steps` and generates docs/steps.md. Steps are thin:
// a When step schedules a fault on the scenario's running world ([Env]); a
// Then step waits, with a deadline in drill time, for an event on the
// timeline or for a PromQL condition, and never sleeps.
//
// Deadlines are measured from the cause a trainer would measure from: an
// alert must fire within D of the latest fault, a page must reach someone
// within D of the alert firing, be acknowledged within D of the page, and
// the runbook must restore the condition within D of the acknowledgement.
// [Schedule] applies those rules to a whole scenario, step after step:
// when each step ends at the latest, and the scenario's end, which
// `drill run --plan` prints; a test holds the rules to the step handlers.
// Times in step messages are offsets from the scenario's start, as the
// scorecard writes them.
//
// [Check] finds undefined or mistyped steps in feature files before a
// drill runs, naming file:line and the two closest known steps written
// with the line's own values ([Closest]), never a Go snippet; a line
// that leaves out a value its step has no default for (a rate limit
// without its limit) is refused saying what to add.
// Each catalog entry also declares what its captured arguments name (an
// alert, team, responder, role, provider, stub, fault target, traffic mix
// or PromQL condition); [References] lists those names with file:line,
// Scenario Outline rows expanded, for the run to resolve against the team
// before any world starts.
//
// A step that takes a list or a long PromQL condition takes it below its
// line, as a data table (faults that go on at once) or a doc string;
// every other step refuses one ([Check]). Built-in measures (spend, the
// success and error ratios, the canary success ratio, latency p95) need
// no PromQL: a step can require one to stay on the good side of a bound
// over a window (failing at the first violation, with its drill time and
// value), to come good within a deadline, or to reach its bad side within
// a deadline of the fault (the fault showing where users are; no data
// never shows it). "it", "the alert" and "the page" refer to the alert of
// the step before that waited for one; with none before, Check refuses
// them. [ParseTags] reads --tags in cucumber's tag-expression language; a
// feature file in a Gherkin language other than English is
// refused at its "# language:" line.
//
// A failure says why: an alert a "fires" step waited for that never went
// pending is explained by the world, when it is an [AlertExplainer], from
// the series its selectors matched.
package features
