// Package bench measures braid against errgroup, conc, ants and pond on the
// same work, in one `go test -bench` run, so that every figure braid claims
// is a ratio taken on one machine at one time.
//
// It is a module of its own so that the peer libraries never enter braid's
// go.mod. Run it from this directory:
//
//	go test -run '^$' -bench . -benchtime 200x -count 3
//
// Workloads (each reports ns/task: wall time per task, and allocs/op):
//
//   - BenchmarkTiny/limit=8: 10 000 tasks per op, each an atomic add, at
//     most 8 running. braid, ants and pond keep one pool across ops (that is
//     how they are meant to be used); errgroup and conc build one group per
//     op, as they must; "channel" is 8 goroutines reading a channel of
//     funcs, the floor a hand-written pool reaches.
//   - BenchmarkTiny/unlimited: the same with no limit; the reference is a
//     go statement per task and a WaitGroup.
//   - BenchmarkBlocking/limit=16: 400 tasks per op that each block on a
//     release channel, at most 16 running. The release is closed by the
//     16th task to start, so every implementation does the same work: fill
//     its slots, release, drain the rest (which no longer block).
//   - BenchmarkFailFast: 1 000 tasks, limit 16, that each block until
//     cancelled (or 50 ms pass); task 10 fails at once. Measures the time
//     until Wait returns, for a braid fail_fast group, errgroup.WithContext
//     and conc's ContextPool with WithCancelOnError.
//   - BenchmarkRace: 16 tasks of which one succeeds at once and the others
//     block until cancelled; time until the winner is known, for a braid
//     race group and a hand-written select over a result channel.
//   - BenchmarkMap: parallel.Map over 10 000 items whose function returns
//     at once, limit 8, against errgroup doing the same: what a group adds
//     per task when the task costs nothing.
//   - BenchmarkGoMiddleware: Pool.Go of tiny tasks at limit 8 (ns and
//     allocs per task) with no middleware, one and three pass-through
//     ones: the first is the hot path, which middleware leaves as it was;
//     TestGoWithMiddlewareAllocations checks the allocations.
//   - BenchmarkGoTrace: the same with runtime/trace off (the worker checks
//     trace.IsEnabled once per task, and that is all) and on (each task a
//     trace task and region). To show that tracing costs nothing when off,
//     run BenchmarkGoTrace/off here and on a commit from before the trace
//     integration, with the same flags, and compare.
//
// The shapes of issue 14 (see README.md for the figures and the command):
//
//   - BenchmarkTinyProcs1: BenchmarkTiny/limit=8 at GOMAXPROCS=1 (set in
//     each leaf benchmark: the testing package resets it per leaf).
//   - BenchmarkBlockingFloor: BenchmarkBlocking with the channel floor.
//   - BenchmarkSleep: 400 tasks sleeping 200 us, limit 16, with the floor.
//   - BenchmarkIO: 2 000 tasks waiting 1 ms on a timer, limit 64, with the
//     floor.
//   - BenchmarkScaling: tiny tasks at limit 8, N = 1e3 to 1e6 per Wait,
//     braid and the floor: ns/task should not drift with N. braid-bounded
//     is braid with QueueSize(4096), whose Go waits for room as the
//     floor's send does.
//   - BenchmarkQueuedMemoryN: heap bytes per queued task, N = 1e5, 2e5, ...
//     1e6 behind a stalled worker (not only at powers of two).
//   - BenchmarkGoBatch: batches of 100 to 1e6 Pool.Go calls queued behind a
//     stalled worker, then Wait: go-allocs/task and go-B/task are what the
//     Go calls allocate (memory statistics read around them, outside the
//     timer); allocs/op and B/op include Wait and the worker's restart.
//   - BenchmarkOversubscribed: 64 goroutines submit 1 000 tiny tasks each to
//     8 workers at once, against 64 senders and 8 receivers on a channel:
//     the queue under contention. Its braid-GoAll row hands each
//     submitter's 1 000 over in one Pool.GoAll call.
//   - BenchmarkGoAll: BenchmarkTiny/limit=8's 10 000 tasks from one
//     submitter, one Pool.Go call per task or one Pool.GoAll for all.
//   - BenchmarkFailFast/braid-pool: a pool cancelled by hand from the
//     failing task, the least the fail_fast group could cost.
//   - BenchmarkRace/braid-pool: a pool of its own per op, cancelled by hand
//     by the winner: what the race group cost while it ran its tasks on a
//     pool of its own (a group of a few tasks with no limit now runs them
//     on goroutines of its own).
package bench
