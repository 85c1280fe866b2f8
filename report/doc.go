// Package report turns the history of drill runs into trend reports:
// pass rate, time to detect, acknowledge, mitigate and recover (median,
// p90, n) and false alarm rate, overall and per scenario family, for the
// current part of a window against its baseline, the window's first part
// (by default the first 14 of 30 days: the weeks a team records before it
// changes its process). The scorecards' breakdowns of time to recover are
// aggregated the same way: the phase most often the bottleneck, each
// phase's p90, handoffs and role gaps per scenario, and the bottleneck
// run by run. Interrupted runs are left out.
//
// A change is flagged only when a two-sided test finds it unlikely to be
// chance and it is at least the minimum change (Options): Fisher's exact
// test for rates, the Mann-Whitney U test for timings, phases and counts
// per scenario (whose minimum change is a margin the shift must clear),
// every p-value corrected with Holm's method over the comparisons of the
// report that could reach significance (Tarone's screen), and never for
// values that print alike. Each comparison also says how many runs a
// period would flag a change of twice the minimum (Comparison.RunsNeeded).
// The statistics are in internal/stats.
//
// Reports are written as text, Markdown, JSON or one self-contained HTML
// file whose trend charts, per-scenario breakdown bars and timelines are
// inline SVG, with axes at round units and labels laid out not to overlap.
package report
