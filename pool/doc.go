// Package pool runs tasks on a bounded set of reusable worker goroutines.
//
// It is the core every other braid package runs on, and it is useful on its
// own wherever a Go service would otherwise combine errgroup.SetLimit, a
// semaphore and a hand-written worker pool.
//
// # Which type to use
//
//   - [Pool] with [Pool.Go] and [Pool.Wait]: fire-and-forget tasks whose
//     errors you collect at the end, like errgroup. This is the hot path: it
//     allocates nothing per task beyond the caller's closure.
//   - [Pool.Submit], which returns a [Task]: when you need one task's error,
//     state ([Waiting], [Blocked], [Running], then one final state), time
//     spent waiting and running, or to cancel it. It costs a few small
//     allocations per task (a context, a channel, the handle).
//   - [Pool.Sub]: a sub-pool with its own limit that also counts against
//     its parent's, at any depth. A task in a sub-pool holds a slot in the
//     sub-pool and in every ancestor, so its effective concurrency is the
//     smaller of its own limit and what its ancestors have free.
//
// # Limits, queue, workers
//
// [MaxWorkers](n) caps how many tasks run at once, at every instant; 0 means
// no limit, with no hidden cap. [Pool.SetLimit] changes it while the pool
// runs. Tasks that cannot start wait in a FIFO queue, unbounded unless
// [QueueSize] bounds it; [Priority] puts a task at the front. Workers start
// lazily, take the next queued task when they finish one, and exit after
// [IdleTimeout] without work, or when Wait or Close finds the pool idle: an
// idle pool holds no goroutine. The queue's memory is kept across a Wait for
// the next batch, and given back once the pool has been idle for
// IdleTimeout, or on Close.
//
// # Waiting inside a task
//
// A task may submit to its own pool (or any pool of the same tree) and wait
// for the result with [Task.Wait] and the task's context, even at a limit of
// 1 and any number of levels deep. While it waits the task holds no slot:
// its slot runs other work, and it takes a slot back, ahead of queued work,
// before it continues. [Suspend] offers the same to any other kind of
// waiting. errgroup, conc, ants and pond deadlock on this pattern.
//
// # Names and resources
//
// [Name] serialises tasks that share a name across a whole tree of pools:
// they run one at a time (up to [NameLimit] at once), in submission order,
// while tasks of other names run beside them. A task waiting for its name
// is [Blocked] and holds no worker slot, so a busy name never delays other
// names and never starves the pool. The caller picks the key: a job's name
// serialises all its runs, a unique instance ID lets them run side by side.
// [Resources] declares things a task uses exclusively (the tables it
// writes): tasks sharing any resource never overlap, and a task takes all
// of its resources at once, FIFO and deadlock-free. Names and resources
// nobody holds or waits for cost no memory.
//
// What happens when a task arrives while its name is busy is the name's
// [Overflow] policy ([NameOverflow]): wait in line ([Enqueue], the default,
// bounded by [NameQueueSize]), drop the newcomer ([DropNewest]), cancel the
// one in progress ([CancelRunning]) or keep only the latest waiting
// ([KeepLatest]). Tasks a policy ends are Skipped (or Canceled, if they
// were running) with [ErrDropped], [ErrReplaced] or [ErrSuperseded]: none
// disappears, and [Stats].Dropped counts those ended before they started.
//
// A task holding a name that waits for a task needing the same name gets
// [ErrDeadlock] at once, instead of a wait that never ends, whether it
// waits with [Task.Wait], for a whole sub-pool with [Pool.Wait], or for
// room in a queue at its [QueueSize] that only tasks needing the name could
// make; a child submitted with [Reentrant] shares its submitter's name
// instead.
// [NameLocker] also takes every name from a [lock.Locker] shared with other
// processes, with the in-process line in front, and cancels a task whose
// backend lease is lost.
//
// # Events and snapshots
//
// [OnEvent] gives a tree of pools a hook that receives every state change
// of every task as an [Event]: its number, the ID and group its submitter
// gave it ([Label]), its name, its pool ([PoolLabel]), the state, the time,
// and for a task Blocked on its name the task holding it. Delivery is
// buffered and in order, by a goroutine that runs only while events wait:
// a slow hook never stalls a worker, a panicking one stops nothing, and
// Wait returns once every event of its tasks was delivered. [LogEvents]
// writes events to a log/slog logger. [Pool.Stats] and [Pool.NameStats]
// are snapshots, per pool and per name, readable at any time; package
// parallel/timeline turns a recorded run into a Gantt chart or a trace.
//
// # Middleware, retries, go tool trace
//
// [WithMiddleware] wraps every task of a tree of pools in [Middleware]: a
// function that runs around the task, on its goroutine, with the task's
// own context and its identity ([TaskInfo]: the fields of its events). It
// is how a tracing span becomes the parent of the spans the task makes, how
// a log line gets the request's attributes, how a task is retried: the
// event hook, asynchronous and without the task's context, cannot. The
// first middleware given is the outermost; package parallel's groups and
// plans add theirs inside the pool's. A tree without middleware pays
// nothing for it. [Retry] is middleware that runs a failed task again,
// with exponential backoff and jitter, giving its slot back while it waits;
// each attempt shows in the events ([Event].Attempt). [CurrentTask] tells
// code running in a task which task it is.
//
// When runtime/trace is on (go test -trace, or trace.Start), every task is
// a trace task with a region labelled with its ID, so go tool trace shows
// braid's tasks, by group, with no code of yours; with tracing off that
// costs one check per task.
//
// # Errors, panics, cancellation
//
// A task's panic is recovered into a [*PanicError] that keeps the value and
// the stack; every panic is kept. A task whose context is done before it
// starts never runs and ends [Skipped]. [Pool.Close] drains; [Pool.Shutdown]
// drains until its context ends, then skips what is queued and cancels what
// runs. Submitting after either returns [ErrClosed]. Bad arguments are errors
// wrapping [ErrInvalid]; a nil task function panics with a "pool:" prefix,
// since it is a programming error.
//
// # Concurrency
//
// All methods of [Pool] and [Task] are safe for concurrent use. A pool and
// its sub-pools share one mutex, which also guards their names; task code
// never runs under it. A task with just a name costs, under that mutex, a
// probe of the tree's table of names (the name's hash is made by [Name],
// outside it) and no allocation of its own; a Submit task, a task with
// resources or a backend adds one small record. A [Pool.Go] task with just
// a name (no [Priority], a name of the default policy with an unbounded
// line, a tree without a hook) that arrives while the name is taken waits
// in its pool's queue, at the place any task would take, rather than in
// the name's line, unless tasks of the name already wait so in another
// pool's queue. It is [Blocked] all the same and holds no slot; it takes
// the name when it reaches the front, or joins the line then if the name
// is still taken. Such tasks cost 0.97-1.12x a task without a name on 2
// cores and 1.15x at GOMAXPROCS=1 (internal/bench), against 2.3-2.5x when
// all of them waited in the line.
//
// # Contention
//
// A task takes the tree's mutex twice: once when submitted, once when the
// worker that ran the task before it on the same goroutine accounts for
// that one and takes this one, in a single critical section. Each hold
// costs some 50 to 100 nanoseconds once the mutex's cache line moves
// between cores, so one tree serves some 5 to 10 million tasks a second
// whatever the core count: with W workers running tasks of length d, the
// mutex is busy about 2hW/d of the time (h one hold), which saturates for
// tasks shorter than a few microseconds at 16 workers and about ten at 64.
// Longer tasks leave it idle. With shorter ones, workers do not queue up
// for it: a worker that finishes while another waits for the mutex parks
// and leaves the next task to that one (unless [IdleTimeout] is 0, where a
// parked worker would exit), so fewer workers than the limit are busy at a
// time, about as many as keep the mutex busy. The limit still holds, and
// queued work still starts in order as slots come free. To go further
// with short tasks:
//
//   - submit many at once with [Pool.GoAll], one hold per 64 tasks;
//   - give independent producers independent root pools ([New] each): they
//     share nothing, while sub-pools and names share their root's mutex
//     (they spread no load, though names add no hold per task; resources
//     also take the lock table's own mutex, and a task granted them later
//     one more hold of the tree's, as does a [NameLocker] backend);
//   - make each task do more (a chunk of items rather than one).
//
// The model, with measurements, is written where the mutex is declared
// (schedule.go); internal/bench measures the oversubscribed case (64
// submitters, 8 workers) against a channel.
package pool
