// Package timeline holds the drill clock and the event log.
//
// Every part of a drill reads time from a [Clock] and records what happened
// as an [Event] on a [Log]. Drill time runs Speed times faster than real time
// (1 for a live game day, 60 or more in CI); a [Virtual] clock advances only
// when told, for tests. Steps of a scenario wait on the log with a drill-time
// deadline ([Log.Wait]) instead of sleeping, so a verdict never depends on the
// speed a drill ran at.
//
// This package imports only the standard library: every other package of
// drill may depend on it.
package timeline
