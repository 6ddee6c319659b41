// Package parallel composes parallel work on braid's pools: typed groups of
// tasks under a failure strategy.
//
// # Groups
//
// A [Group] holds tasks, each with an ID unique in the group and a
// function returning a typed output and an error. [Group.Run] starts them
// all and returns when every task has ended, with a [Results] addressable by
// ID (state, output, error, time waiting and time running for each task)
// and the group's error.
//
//	g, _ := parallel.NewGroup[Quote](
//		parallel.WithStrategy(strategy.Race()), // first success wins
//		parallel.MaxWorkers(3),
//		parallel.Timeout(2*time.Second),
//	)
//	g.Add("primary", fetchPrimary)
//	g.Add("mirror", fetchMirror)
//	res, err := g.Run(ctx)
//	id, quote, ok := res.Winner()
//
// The strategy (package strategy) decides when the group stops and
// whether it succeeded:
//
//	strategy      succeeds when                on the deciding event
//	wait_all      every task succeeded         nothing is cancelled (default)
//	fail_fast     every task succeeded         the first failure cancels the rest
//	best_effort   at least one succeeded       nothing is cancelled, unless a
//	                                           tolerance is exceeded
//	race          some task succeeded          the first success cancels the rest
//
// When the group stops early, running tasks see their context cancelled and
// end Canceled (a task returning its context's error) and queued tasks never
// start and end Skipped. Run always waits for every started task to return.
// A task's panic is a failure: Run's error holds a *pool.PanicError with the
// stack. A task that returns its own error after the group was cancelled
// still counts as Failed; one that returns the context's error is Canceled.
//
// Where tasks run: by default on a pool of the group's own, limited by
// [MaxWorkers] (0, the default, is unlimited). [OnPool] runs them on a shared
// pool instead, in a sub-pool when MaxWorkers is also given, so that the
// group's limit and the pool's both hold. Run called from inside a task of a
// braid pool, with that task's context, gives the task's slot back while it
// waits: a group may run on the very pool its caller runs on, even at a
// limit of 1.
//
// # Errors
//
// Each task's error reaches Run's error wrapped in a [*TaskError] naming
// the task; errors.Is and errors.As see through it to the task's own error
// and to a *pool.PanicError. The timeout adds [ErrTimeout], which wraps
// context.DeadlineExceeded. Bad IDs and options get [ErrEmptyID],
// [ErrDuplicateID], [ErrStarted] and [ErrInvalid]; a nil task function
// panics with a "parallel:" prefix.
//
// # Concurrency
//
// A Group is safe for concurrent use; it runs once. Results are read-only
// once Run has returned them.
package parallel
