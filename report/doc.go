// Package report computes a desk's figures from its stored tickets: the
// response rate, the time to a first answer (by the clock and in business
// hours), resolution, reopens and hand-overs, what waits now, and the
// customers' satisfaction, by source, agent and part of the week. It turns
// them into the short answer of /desk report, the weekly digest, charts
// (package chart) and CSV exports.
//
// Figures are built from what the store returns, one page of tickets at a
// time, so a year of a busy desk costs a few bytes per ticket, not the
// tickets themselves.
package report
