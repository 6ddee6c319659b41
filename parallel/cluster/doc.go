// Package cluster runs braid's tasks across the replicas of a service, on
// River (github.com/riverqueue/river), the PostgreSQL job queue: a task
// is inserted durably, any replica with a free worker runs it, and
// groups, plans, names and limits hold across the whole cluster instead
// of one process.
//
// It lives in a module of its own, so that braid's core stays free of
// River and of a database.
//
// # Which type to use
//
//   - [Register] a [Kind] in a [Kinds] registry: a typed function of
//     arguments that travel as JSON. A closure cannot cross machines; a
//     kind's name and its arguments can. Every replica registers the same
//     kinds.
//   - [Open] a [Node] per process, on a pgxpool.Pool whose database
//     [Migrate] prepared. With [MaxWorkers] the node is a worker: it runs
//     up to that many tasks at once, on a braid pool, and takes no more
//     while they run; the cluster's capacity is the sum of its workers'.
//     Without it the node only submits and waits.
//   - [Submit] (or [SubmitTx], in the caller's own transaction) one call,
//     and [Wait] for its [Result] by [TaskID], from any node.
//   - [Group]: calls with IDs and one result type, under a strategy
//     (wait_all, fail_fast, best_effort, race: package strategy), a
//     cluster-wide cap ([GroupMaxWorkers]) and a [Timeout]. [WaitGroup]
//     waits for a group by its ID from any node; [CancelGroup] stops it.
//   - [Plan]: steps of different kinds in thread blocks ([ThreadYes],
//     [ThreadJoin]) and broadcasts ([Broadcast] with [Parallelism]), run in
//     order across the cluster, as package parallel runs a plan in one
//     process. A step takes the task options too ([Name] among them), on
//     its call or for the whole step.
//   - [Name] puts a task in a cluster-wide FIFO line: tasks of one name
//     run one at a time ([NameLimit] for more) across all replicas, in
//     submission order; [NameOverflow] gives a name the pool's overflow
//     policies (DropNewest, CancelRunning, KeepLatest). [KindLimit] caps a
//     kind across the cluster.
//   - [Prune] deletes the rows of work that ended before a horizon;
//     [Retention] makes worker nodes prune on their own. Nothing is
//     deleted otherwise.
//
// Use package lock/pglock instead when the work itself stays in the
// process that has it, and only names and limits must hold across
// replicas; use this package when the work must move: survive its
// process, spread over the cluster, or run where capacity is free.
//
// # What holds, and how
//
// Each task is a row of braid_tasks, the one source of truth for its
// state, and, once it may run, one River job that carries only its ID
// and attempt number. A task moves Waiting (River holds a job) or Blocked
// (waiting in its line, with no job: it holds no worker anywhere), then
// Running on one replica, then one final state: pool.State's values.
//
//   - Strategies are decided in the transaction that records the deciding
//     result: the group's row stores which task decided and when, every
//     task of the group that has not started is skipped in that same
//     transaction, and a notification tells every replica to cancel the
//     group's running tasks (cause [ErrStopped]). A replica claims a task
//     under the task's row lock, so a claim and a decision exclude each
//     other: no task starts after the decision is committed. The decision
//     does not depend on the replica that made it staying alive.
//   - Lines (names, kind limits, group caps, a plan's units) are locked
//     by whoever changes them, with a transaction advisory lock; a task
//     ending lets the next in, in the same transaction, and the worker
//     that ran it runs that next task at once, without a round trip
//     through River's queue.
//   - What a tiny task costs beside River's own fetch and completion is
//     round trips: one to claim the task, and one to record its end (a
//     pipelined batch in one implicit transaction) when that end decides
//     nothing; an end that may decide its group or open a plan's next
//     unit takes two. A task with no other waiting in its line has its
//     end recorded after its River job returned, so that its worker is
//     free for River's next fetch at once, as River frees a worker before
//     it records a job's completion.
//   - A worker node proves it is alive with its database session, which
//     holds an advisory lock: when its process dies, the server ends the
//     session and any worker node's reaper, within [FailureDetection]'s
//     interval (200 ms by default), gives the dead replica's running tasks
//     a new attempt and a new River job. A process that only stalls (GC,
//     a slow disk, a stopped debugger) keeps its session and is not
//     counted dead; a heartbeat catches one hung for longer than
//     FailureDetection's limit (30 s by default).
//
// # At least once
//
// A task runs at least once and, when no replica dies, exactly once. A
// replica counted dead may still be running its tasks (its connection was
// cut, not its process): the task then runs again elsewhere while the
// first run goes on, until the first replica notices (it cancels its
// running tasks with [ErrLeaseLost]). The attempt number is a fencing
// token: only the current attempt's completion is recorded, and a late
// one from an earlier attempt is rejected ([Stats].Fenced). Side effects
// outside braid's tables are the task's own business: tasks must be
// idempotent, or fence their writes themselves with the task ID and
// attempt that [Running] reads from their context (a row keyed by task
// ID whose attempt only grows, say).
//
// # Observability
//
// [OnEvent] receives the events of a worker node's pool (Pool is the
// replica, Group and ID the task's), which parallel/timeline records as
// for any pool; [Node.Stats] gives the pool's counters and the node's
// own, [Node.ClusterStats] the tasks waiting and running cluster-wide and
// on which replicas. Every [Result] says which replica ran the task, on which attempt,
// how long it waited (from submission to start) and ran.
package cluster
