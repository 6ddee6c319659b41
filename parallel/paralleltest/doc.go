// Package paralleltest helps test concurrency policies built on braid,
// as net/http/httptest helps test HTTP handlers: limits, names that must
// not overlap, failure strategies, the order of blocks in a plan.
//
// Three tools, used together:
//
//   - A [Gate] makes tasks that wait until the test releases them, one by
//     one or all at once, and whose start the test can await. The test,
//     not the scheduler, decides when each task finishes.
//   - Assertions read a run recorded by a timeline.Recorder (package
//     parallel/timeline): [AssertMaxConcurrent] overall, per pool and per
//     name, [AssertNoOverlap] of a name, [AssertExclusive] of a set of
//     tasks (tasks sharing a resource), [AssertStartedAfter],
//     [AssertNothingStartedAfter], [AssertRanTogether] and [AssertFinal].
//     They report through testing.TB's Errorf with a sentence naming the
//     tasks at fault, followed by the run's Gantt chart, and return whether
//     they held.
//   - [ExploreOrders] runs a scenario once for every order in which its
//     gated tasks can be released (a seeded sample beyond 6 tasks) and
//     reports the first order under which an assertion failed. A policy
//     ("fail_fast never starts a task after the failure", "name X never
//     overlaps") is then checked over all completion orders, not only the
//     one the scheduler happened to pick.
//
// # Time and goroutines
//
// Everything works inside a testing/synctest bubble, where time is fake:
// timeouts can be tested without waiting for them, synctest.Wait tells
// when every task that can start has reached its gate, and a test that
// leaves a goroutine behind fails. ExploreOrders needs a bubble, and opens
// one itself (synctest.Test) when given the test's *testing.T. The
// assertions compare the order of events, not their times, so they hold
// in a bubble, where the clock stands still while tasks run, and outside
// one alike.
//
// # A scenario that can fail
//
// A policy test proves something only if it fails when the policy is
// wrong. Check it against a policy that must fail: a fail_fast scenario in
// which every task has started before the failure passes under wait_all
// too, since neither starts anything after it. Give such a scenario a task
// that cannot start before the failure: more tasks than slots (the
// group's MaxWorkers), so that one waits in the queue. A task that must
// never finish on its own (the one fail_fast is to cancel) takes a gate
// key that is not explored: the gate holds it until the scenario releases
// it or its context ends; a group Timeout ends a run in which nothing
// cancels it, on the bubble's fake clock.
//
// # Cost and concurrency
//
// A gated task costs two channels per key and a mutex; the assertions
// read a snapshot of the recorder, sorting its events (n log n) each time.
// ExploreOrders runs the scenario up to n! times (720 for 6 tasks): keep
// the scenarios small. Gate and the assertions are safe for concurrent
// use; give each run its own recorder, or Reset it between runs, since
// the assertions find tasks by ID.
package paralleltest
