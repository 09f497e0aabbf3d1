// Package report turns the measurements of one simulator run into what a
// person reads: JSON for tools, a self-contained HTML page with SVG charts,
// a terminal summary table, and a progress line while the run goes on.
//
// The simulator fills a [Report] (one [Run] for Starling and, with
// --compare-bare, one for bare go-libp2p-pubsub) and calls the writers. The
// package only presents numbers: it does not run anything, measure anything or
// read the clock except in [Progress]. [Latencies], [Summarize], [LatencyCDF],
// [Cumulative], [Run.Derive] and [Compare] are helpers for filling a Report
// consistently; [Checks] grades a Report against the project's targets.
//
// Every writer accepts any Report, including empty runs and zero deliveries,
// without panicking and without printing NaN; every string from the caller
// (scenario names come from user files) is escaped in HTML.
package report
