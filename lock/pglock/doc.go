// Package pglock implements package lock's interfaces across processes on
// PostgreSQL: a named mutex ([Locker], a [lock.Locker]) on session-level
// advisory locks, and a cluster-wide limit ([Semaphore], a
// [lock.WeightedSemaphore]) whose slots are advisory locks too. It is a
// module of its own, so that braid's core does not depend on pgx.
//
// # Which type to use
//
//   - [Locker]: one holder per name across every process sharing the
//     database, as a job that must not run twice at once across the
//     replicas of a service. Give it to a braid pool with
//     [github.com/braid-go/braid/pool.NameLocker]: the pool then takes
//     every task name from PostgreSQL as well, after its own in-process
//     line, and a task whose lease is lost has its context cancelled with
//     [lock.ErrLost].
//   - [Semaphore] (from [Locker.NewSemaphore]): at most N slots held at
//     once across every process, as a limit on runs against a remote
//     engine; a request takes one or more slots, all or none.
//
// Open one Locker per process (it holds a connection pool) and keep it:
// [Open] takes a DSN, [FromPool] a pgxpool.Pool the caller owns.
//
// # Guarantees
//
// A name is held by at most one process, and one lease in it, at a time,
// while PostgreSQL lives. A lock is PostgreSQL's advisory lock on a 64-bit
// hash of the name (and the [Namespace]), held by the session of a
// connection that the lease keeps to itself until Release. Waiters are
// served in arrival order: in process by a [lock.Names] line in front,
// and in the database by PostgreSQL's lock queue, which grants a lock to
// its waiters first come, first served. An Acquire whose context ends
// sends the server a cancel request, which takes its backend out of the
// queue at once: it leaves no phantom waiter behind, ahead of later ones.
// A waiter whose process dies leaves the queue within a Heartbeat: the
// connections [Open] makes ask the server to check for a vanished client
// while a statement runs (client_connection_check_interval, PostgreSQL 14
// and later).
//
// A lease's Lost channel closes when its connection dies (the server ended
// the session, a restart, a network error: the lease reads from its idle
// connection, and notices at once) or when a ping after a [Heartbeat] of
// silence gets no answer in time. Release then returns an error wrapping
// [lock.ErrLost]. A holder whose process dies loses its locks as soon as
// the server sees its socket close: another process gets the name within
// milliseconds.
//
// Every lease has a fencing token from the sequence braid_fence (created
// on first use), taken once the lock is held: it grows with every
// acquisition, of a name or of slots, across every process.
//
// # What is not guaranteed
//
// Locks live in the PostgreSQL server's memory. A failover to a standby,
// or a restart, loses every one of them: the new primary knows no holder,
// and another process may take a name at once, while a holder that has
// not noticed yet (up to a Heartbeat and a round trip) still works.
// Likewise a network partition: the server may end a session whose client
// still runs. Lost closes when the holder notices, not before. So
// whatever the lock protects must check the fencing token: record the
// highest token seen next to the data and refuse writes with a lower one.
// Tokens come from a sequence, which a failover to an asynchronous
// standby can also set back; use synchronous replication where that
// matters. Every process must see the same braid_fence (the same schema
// on its search_path).
//
// Names are hashed: two names share a lock only if their 64-bit hashes
// collide (about n²/2⁶⁵ for n names). Semaphores are told apart by a
// 32-bit hash of their names. Across processes, semaphore waiters are
// not served in order: the first to try after a release wins, and a
// request for several slots can be overtaken by requests for one.
//
// # Connection budget
//
// A held lease keeps a connection of its own, and so does a request
// waiting in the database. The in-process line in front bounds what one
// process uses: at most one connection per name it holds or waits for,
// whatever the number of goroutines or tasks waiting for that name, and
// per semaphore at most one per lease held or waiting in the database
// (at most size). A pool's connections are thus the names and leases held
// at once, plus one for a moment per TryAcquire, Release or Open. Size
// the pool for that (pool_max_conns in the DSN; pgxpool's default is 4 or
// the number of CPUs), and the server for the sum over every process
// (max_connections). An acquisition that finds the pool exhausted waits
// for a connection, under its context; a task that holds a name and waits
// for another can therefore wait for a connection held by a task like it,
// so leave room.
//
// # Errors and concurrency
//
// Errors are [*Error] values naming the operation and the name, wrapping
// [lock.ErrBusy] (TryAcquire), [lock.ErrLost] (Release), [lock.ErrInvalid]
// (an empty name, a size below 1, a weight outside the semaphore's size,
// a bad option), [ErrClosed], a context's error or the database's.
// Locker, Semaphore and their leases are safe for concurrent use. A
// lease runs one goroutine, its heartbeat, which ends with it; Close ends
// every lease still held.
package pglock
