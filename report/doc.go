// Package report turns the history of drill runs into trend reports:
// pass rate, time to detect, acknowledge, mitigate and recover (median,
// p90, n) and false alarm rate, overall and per scenario family, for the
// current part of a window against its baseline, the window's first part
// (by default the first 14 of 30 days: the weeks a team records before it
// changes its process). Changes are flagged by a stated rule: a pass or
// false alarm rate moving by 5 points or more, a p90 moving by 20% or more,
// with at least 3 samples on each side. The scorecards' breakdowns of
// time to recover are aggregated the same way: the phase most often the
// bottleneck, each phase's p90, handoffs and role gaps per scenario, and
// the bottleneck run by run.
//
// Reports are written as text, Markdown, JSON or one self-contained HTML
// file whose trend charts, per-scenario breakdown bars and timelines are
// inline SVG.
package report
