// Package strategy decides how a group of parallel tasks ends. It is pure
// policy: no goroutines, no clocks, no I/O. A runner (package parallel)
// feeds it each task's final status as it happens; it answers whether the
// siblings must be stopped now and, once every task has ended, whether the
// group succeeded and with which error.
//
// # The four strategies
//
//	strategy      group succeeds when          deciding event            result
//	[WaitAll]     every task succeeded         none: all run to the end  every output and error
//	[FailFast]    every task succeeded         the first failure         the first error
//	[BestEffort]  at least one task succeeded  none (or: tolerance       every output and error
//	                                           exceeded, then as FailFast)
//	[Race]        some task succeeded          the first success         the winner
//
// Rules common to all: a task that ended Canceled or Skipped did not fail
// (it was stopped, or never started), so it never triggers a deciding event;
// a panic is a failure. An empty group succeeds at once, except under Race,
// which has no winner and returns [ErrNoWinner]. When every task of a Race
// fails, the error joins their errors in submission order.
//
// # Use
//
// Build a strategy with [WaitAll], [FailFast], [BestEffort] or [Race]
// (tolerance via [Strategy.Tolerate] and [Strategy.TolerateFraction]), then
// [Strategy.Start] a [Tally] for a group of n tasks and [Tally.Observe] each
// task's end. A Tally is not safe for concurrent use; its owner locks it.
// Strategy values are small, comparable and safe to share.
package strategy
