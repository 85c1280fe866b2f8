// Package alerting evaluates a team's real Prometheus alerting and
// recording rules on a drill's live metrics, in drill time.
//
// An Engine scrapes every testbed /metrics endpoint on the rule groups'
// evaluation interval, stamps the samples with the drill clock's time and
// appends them to an embedded TSDB (tsdb.Open in a temporary directory).
// It then evaluates the rule groups with Prometheus' own rules package and
// PromQL engine at that drill instant, so pending/firing/resolved,
// `for`, `keep_firing_for`, templating and the ALERTS series behave
// exactly as in Prometheus. Alert transitions become timeline events, each
// with when its episode began (timeline.ActiveAt, Prometheus' ActiveAt), so
// that a firing whose episode was under way before a fault is told from a
// detection. A target's scrapes that start failing, and come back, are
// events too (timeline.ScrapeFailed, timeline.ScrapeRestored).
//
// ReadAlert and ReadCondition read a condition on the data rather than on
// an alert's state: an alert that resolved because its expression went
// empty (the series vanished, a scrape fails, a window held too few
// samples) reads NoData, not Good. An alert expression is split at its
// top-level comparison with Prometheus' parser (`x > 0.1` reads x and
// compares it with 0.1); one without that shape is read by whether its
// selectors have fresh samples.
//
// ExplainAlert says why an alert never went pending over a time range,
// from the stored series (a storage querier, as pint's series check asks
// a Prometheus server): each vector selector of its expression that
// matched none, and why: no series of the metric at all (with the closest
// metric names stored), a recording rule that recorded nothing (followed
// into its own selectors), or label matchers that exclude every series
// (with the values, or label names, those series carry, and a near miss
// offered as the one meant); or, when every selector matched, the extreme
// value its expression without the final comparison reached against the
// threshold. CheckSelectors is the same check of any expression, for
// drill lint --live.
//
// Rates stay, durations compress: at clock speed N the scraper multiplies
// counter samples (counters and histogram/summary _count, _sum, _bucket)
// by N, so rate() over drill-time windows reads the real per-second rate
// and thresholds fire at the same drill time at any speed.
//
// Groups are evaluated in levels: a group comes after every earlier group
// whose results it could read (a metric that group records, ALERTS of its
// alerts, or anything, for a selector without a fixed metric name), and
// the groups of one level run concurrently, as Prometheus runs every group
// on its own goroutine. Results equal promtool's one-group-after-another
// order. PromQL reads chunks untrimmed (it bounds every range itself).
//
// An engine given Options.Record keeps what its Recording returns once it
// stopped: the series it scraped (never what the rules wrote), the drill
// time of every tick and its alert transitions, bounded by a RecordLimit
// (series, and samples over them). Replay evaluates any rule files over a
// recording as the engine evaluated its own, in a fresh store: the same
// rule files give its transitions back, mutated ones show what they
// would have done on the same metrics (drill mutate's equivalent mutants).
//
// RunRuleTests runs promtool-format rule unit test files through the same
// storage, engine and rule evaluation, reporting failures as promtool
// words them.
package alerting
