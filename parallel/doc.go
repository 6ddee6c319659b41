// Package parallel composes parallel work on braid's pools: typed groups of
// tasks under a failure strategy, and plans of ordered steps whose threaded
// steps run together in blocks.
//
// # Groups
//
// A [Group] holds tasks, each with an ID unique in the group and a
// function returning a typed output and an error. [Group.Run] starts them
// all and returns when every task has ended, with a [Results] addressable by
// ID (state, output, error, time waiting and time running for each task)
// and the group's error.
//
//	g := parallel.NewGroup[Quote](
//		parallel.WithStrategy(strategy.Race()), // first success wins
//		parallel.MaxWorkers(3),
//		parallel.Timeout(2*time.Second),
//	)
//	g.Add("primary", fetchPrimary)
//	g.Add("mirror", fetchMirror, pool.Name("mirror-host")) // one request at a time to the mirror
//	res, err := g.Run(ctx)
//	id, quote, ok := res.Winner()
//
// A group is either declared and then run ([Group.Run]), or started and
// fed while it runs ([Start], [Group.Start], then [Group.Wait]): tasks may
// then be added from anywhere, tasks of the group included, as a crawler
// adds the links it finds. [Map] is the one-call form of the commonest
// group: one task per item of a slice, outputs in the items' order,
// fail_fast by default.
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
// start and end Skipped. A Skipped task's error says why: the cause that
// stopped the group, or what its pool skipped it for (a forced
// pool.Pool.Shutdown of a shared pool, a name's overflow policy). Run
// always waits for every started task to return.
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
// What a run costs: a group with a pool of its own and a limit hands its
// tasks to that pool as slots free up, keeping at most the limit's worth
// queued (topped up once half of them have started), so a fail_fast group
// of thousands decided early never submits (nor has the pool skip) most of
// the tasks it did not need; they still start in the order added, and a
// slot given back by a waiting task still goes to the next. A group with
// no limit and at most 64 declared tasks, none with task options, and no
// [OnEvent], [PoolOptions] or [WithMiddleware] (nor an execution trace
// running), makes no pool at all: each task runs on a goroutine of its own,
// started at once as an unlimited pool would start it, without the cost
// of building the pool and of its workers starting one after another
// (BenchmarkRace in internal/bench measures it). Such a task is not a pool
// task: pool.CurrentTask reports false in it, and pool.Suspend has no slot
// to give back. Tasks added while such a group runs go to a pool made for
// them.
//
// # Plans
//
// A [Plan] is an ordered list of steps, each with a [Thread] property (No,
// the default, Yes or Join), run the way a job scheduler runs a project of
// threaded steps. A step runs a function ([Do]), a nested plan ([Inline]),
// or one function over many inputs ([Broadcast]).
//
//	plan := parallel.NewPlan(parallel.MaxWorkers(4)).Add( // Max Threads 4
//		parallel.Do("extract", extract),
//		parallel.Do("users", loadUsers, parallel.ThreadYes),
//		parallel.Do("orders", loadOrders, parallel.ThreadYes),
//		parallel.Do("stock", loadStock, parallel.ThreadJoin),
//		parallel.Broadcast("rows", rows, loadRow, parallel.Parallelism(2)),
//		parallel.Inline("reports", reports),
//	)
//	res, err := plan.Run(ctx)
//
// How steps are grouped and ordered:
//
//   - A thread block is a maximal run of adjacent Yes steps, closed by a
//     Join step, which belongs to it, or ended by a No step, which does not.
//     A lone Yes step runs alone, and so does a Join with no Yes before it.
//   - Blocks and lone steps run in plan order: the next one starts only
//     once every member of the block before it has returned, failed
//     members included.
//   - A Yes Inline step whose plan begins with a threaded step continues
//     the enclosing block into that plan, until a Join or a No step, at any
//     depth: the plan's steps behave as if they stood in place of the
//     Inline step. Any other Inline step is one member (or one sequential
//     step) that runs its plan's blocks in order.
//   - Max Threads ([MaxWorkers] of a plan) counts every running step of the
//     plan and of the plans inlined into it, which may have limits of their
//     own; a step starts only when its plan and every enclosing plan are
//     under their limit. A step waiting for its inlined plan holds no
//     thread, so a plan at Max Threads 1 with inlined plans completes.
//   - A broadcast runs each input as a step of its own, named "name[i]",
//     one at a time unless [Parallelism] says otherwise.
//   - Servers: with [OnServers], a step with an [OnServer] key runs on the
//     pool, of those the key selects, with the most free slots when it
//     starts, so a key's capacity is the sum of its pools' limits. [Sticky]
//     keeps all the steps of a run on the pool the first one used.
//   - Outputs: a step made with [Produce] keeps its typed value as an
//     [Output], which later steps read with [Output.From] and the caller
//     with [Output.In]; each run keeps its own values.
//
// One strategy governs a whole run, inlined plans included, and a
// broadcast's inputs count as steps for it:
//
//	wait_all     a failure lets its block finish; every later step is
//	             Skipped and the plan fails with every failure (default)
//	fail_fast    the first failure cancels the running steps and skips the
//	             rest; the plan fails with that failure
//	best_effort  failures stop nothing; the plan succeeds if any step did.
//	             With a tolerance, exceeding it stops the plan like fail_fast
//	race         rejected by validation: ordered steps have nothing to race
//
// An inlined plan contributes its steps and its Max Threads; its strategy,
// timeout, pool and servers apply only when it is the plan being run.
//
// Names and results: a step's name must be unique in its plan. A step is
// addressed by its path, the names of the Inline steps above it and its
// own, joined by "/" ("reports/pdf"), so the same name may be used in
// different plans and one plan may be inlined twice. Run returns a
// [Results] with one [Result] per function step and per broadcast input, in
// plan order and by path; steps return no value of their own (T is
// struct{}): a step that produces one for later steps is a [Produce] step.
//
// Validation: [Plan.Validate], which Run and Describe call first, reports
// every problem it finds, each a [*PlanError] naming the step, and then
// nothing runs: an empty or duplicate name ([ErrEmptyID], [ErrDuplicateID]);
// a nil function or plan ([ErrNilStep]: not a panic as in [Group.Add],
// because a plan is a declaration, often assembled from configuration, and
// is checked as a whole); a negative Max Threads or parallelism, an option
// where it does not apply, a race strategy ([ErrInvalid]); an inline that
// contains itself, directly or through other inlines ([ErrCycle]); and a
// plan with no steps, run or inlined ([ErrEmptyPlan]: almost always a
// mistake, while a broadcast with no inputs, which comes from data, is
// valid and does nothing). [Plan.Describe] returns the blocks in order, as
// data ([Description]) that also renders as text, without running anything.
//
// # Names, resources and the other task options
//
// Everything a pool task takes that makes sense for one task is taken by
// a group's task ([Group.Add]), a plan step ([TaskOptions]) and each input
// of a broadcast or item of a Map ([PerItem], which derives the options
// from the item): [pool.Name] serialises the tasks of one name, FIFO, one
// at a time (or up to the name's limit); [pool.Resources] declares what a
// task uses exclusively; [pool.Priority] jumps the queue; [pool.Reentrant]
// lets a child use its submitter's names. A task waiting for its name or
// resources is Blocked: it holds no worker slot (no thread of a plan), it
// never delays tasks of other names, and once its group or plan is
// decided it never starts: it ends Skipped and the name passes to the
// next task in line. Settings per name (its limit, the bound of its line,
// its overflow policy) are declared once, with [PoolOptions] on a group
// or plan with a pool of its own, or on the pool given with [OnPool].
// A group, plan or Map run by a braid task on that task's pool, one of
// whose tasks needs a name or resource the running task holds, could never
// end: it ends at once with [pool.ErrDeadlock] instead, and its tasks not
// started are skipped.
//
// Each [Result] reports three durations apart: Blocked (waiting for its
// name or resources, before it started), Waited (queued for a worker
// slot) and Ran (from start to end, time suspended inside included). Only Ran
// is work: waiting is not billed. Events carry each task's name and
// resources, so package parallel/timeline draws them and package
// parallel/paralleltest asserts on them for group and plan runs as for
// pool tasks.
//
// # Vocabulary
//
// Each word means one thing in every package of braid:
//
//	Name       a serialisation key: tasks of one name run one at a time
//	           (pool.Name, pool.NameLimit). Never a display label.
//	Label      text shown in events and charts; changes nothing about how
//	           tasks run (Label here, pool.Label, pool.PoolLabel).
//	Resources  keys a task uses exclusively, taken all at once.
//	Task       one function run once: pool.Task is its handle; a group's
//	           task has an ID; a plan's step runs one task (a broadcast one
//	           per input). A recorded task is a timeline.Track.
//	ID         a task's identity in its group or plan (a step's path).
//	Waiting    queued for a worker slot; Blocked: waiting for a name,
//	           resources or suspended children, holding no slot.
//	Thread     a plan step's Thread property, a job scheduler's word: No
//	           (runs alone), Yes (runs with adjacent Yes steps), Join
//	           (closes a block of Yes steps). In Go terms a block is a set
//	           of goroutines started together and joined before the next
//	           step, like an errgroup waited on.
//	Max Threads  a plan's limit on running steps, nested plans included:
//	           MaxWorkers given to a plan, a semaphore shared by its tree.
//	Server     a pool a plan's steps may be placed on (OnServers, OnServer).
//
// # Conventions
//
// Options are values of a sealed type: here an interface with an
// unexported method, in package pool a function of an unexported
// configuration. Only the package makes them, so defaults live in one
// place and every value is checked. Constructors follow one rule: a live
// object that starts doing work or holds resources at once ([pool.New],
// Pool.Sub, lock.NewNames) returns an error for a bad option; a
// declaration that is built up and run later ([NewGroup], [NewPlan])
// cannot fail, and reports every problem when it is run, with nothing
// run. So a loop of [Group.Add] or Plan.Add needs no error check, and
// misuse (an empty or duplicate ID, a bad option) still reaches the caller
// as a typed error from Run. Programming errors (a nil function, a nil
// context) panic with a "parallel:" or "pool:" prefix. (The modules that
// keep their state in PostgreSQL, lock/pglock and parallel/cluster, touch
// the database in their constructors and Add, so those return errors.)
//
// Zero values: a zero Group, Plan, Results, lock.Names,
// timeline.Recorder or paralleltest.Gate is ready to use. A zero
// pool.Pool or lock.Semaphore has nothing to run on: using one panics
// with a message that says which constructor to call; so does a zero
// pool.Task, whose handles only Pool.Submit makes.
//
// Limits: 0 means "no limit of its own" for MaxWorkers, QueueSize and
// Timeout. Parallelism is the one exception: a Broadcast runs its inputs
// one at a time unless told otherwise (the seed products' default), so
// its default is 1, and Parallelism(0) asks for no limit.
//
// # Coming from errgroup or conc
//
// Each point has a runnable example (Example_migrate...):
//
//   - Go queues, it does not block: a loop of Adds never stalls. For
//     backpressure, bound a pool's queue (pool.QueueSize): its Go then
//     blocks while the queue is full.
//   - TryGo (pool.Pool.TryGo) refuses only when the queue bound is reached,
//     not when every worker is busy.
//   - MaxWorkers(0) means no limit; a negative limit is an error
//     (errgroup's SetLimit(0) lets nothing run, and a negative limit there
//     means none).
//   - Errors: wait_all, the default, runs every task and joins every
//     error; fail_fast returns the first, as errgroup does.
//   - errgroup.WithContext is [Start] with fail_fast; its context's cause
//     is the deciding error.
//   - Panics are errors (*pool.PanicError, value and stack kept), not
//     re-panics; a panic is a failure; [pool.Panics] finds them all.
//   - A task that never started (Skipped) never ran: not even its defers.
//   - Results are by task ID ([Results.Get]) and in the order added
//     ([Results.All], [Results.Values]); [Map] returns a slice like conc's
//     iter.Map.
//
// # Middleware
//
// [WithMiddleware] wraps each task of a group or plan in [pool.Middleware],
// with the task's context and identity (Group is the group's [Label], ID
// the task's ID or the step's path). It runs inside the group's
// bookkeeping, so the strategy sees only what the middleware returns: a
// [pool.Retry] there retries a task before a fail_fast group hears of the
// failure. On a pool given with [OnPool], that pool's own middleware runs
// outside the group's. [WithRunMiddleware] wraps a whole run, and each
// block of a plan, in a [RunMiddleware]; the tasks' contexts derive from
// the context it passes on, so a tracing span made there is the parent of
// the blocks' spans and they of the tasks'. Package parallel/otelbraid
// (a module of its own) builds OpenTelemetry spans and metrics on these.
//
// # Errors
//
// Each task's error reaches Run's error wrapped in a [*TaskError] naming
// the task; errors.Is and errors.As see through it to the task's own error
// and to a *pool.PanicError. The timeout adds [ErrTimeout], which wraps
// context.DeadlineExceeded. Bad IDs and options get [ErrEmptyID],
// [ErrDuplicateID] and [ErrInvalid], reported by Run with nothing run;
// running a group twice gets [ErrStarted]; a nil task function given to
// [Group.Add] panics with a "parallel:" prefix. Every panic in an error
// is found by [pool.Panics].
//
// Each step's error reaches a plan's error the same way, as a [*TaskError]
// naming the step's path.
//
// # Concurrency
//
// A Group is safe for concurrent use; it runs once. The zero Group is
// ready to use, with the default settings. A Plan is safe for
// concurrent use too, and may be run any number of times, also at once:
// each Run works on a snapshot taken when it starts. Results are
// read-only once Run has returned them.
package parallel
