// Package pglock implements package lock's interfaces across processes on
// PostgreSQL: a named mutex ([Locker], a [lock.Locker]) on session-level
// advisory locks, and a cluster-wide limit ([Semaphore], a
// [lock.WeightedSemaphore]) whose slots are advisory locks too. It is a
// module of its own, so that braid's core does not depend on pgx. The
// module's README.md is its reference page, with the same facts in
// tables and the measured figures.
//
// # Which type to use
//
//   - [Locker]: one holder per name across every process sharing the
//     database, as a job that must not run twice at once across the
//     replicas of a service. Give it to a braid pool with
//     [github.com/braid-go/braid/pool.NameLocker]: the pool then takes
//     every task name from PostgreSQL as well, after its own in-process
//     line, and a task whose lease is lost has its context cancelled with
//     [lock.ErrLost]. A name has one holder at a time, so such a pool
//     runs a name one task at a time even where its
//     [github.com/braid-go/braid/pool.NameLimit] allows more: the
//     second run waits in this Locker for the first. For n runs of a name
//     at once across replicas, take a Semaphore of n in the task instead.
//   - [Semaphore] (from [Locker.NewSemaphore]): at most N slots held at
//     once across every process, as a limit on runs against a remote
//     engine; a request takes one or more slots, all or none.
//
// Open one Locker per process (it holds a connection pool) and keep it:
// [Open] takes a DSN, [FromPool] a pgxpool.Pool the caller owns.
//
// # What holds
//
// A name is held by at most one process, and one lease in it, at a time,
// while the PostgreSQL server lives. A lock is PostgreSQL's advisory lock
// on a 64-bit key of the name, held by the session of a connection that
// the lease keeps to itself until Release. Waiters are served in arrival
// order: in process by a [lock.Names] line in front, and in the database
// by PostgreSQL's lock queue, first come, first served. Semaphore requests
// are served in order too, across processes: each passes a turnstile (an
// advisory lock, whose queue is FIFO) and only the first in line waits for
// slots, so a request for several slots is never overtaken by later
// requests for fewer.
//
// An Acquire whose context ends sends the server a cancel request, which
// takes its backend out of the queue at once, and then closes the
// connection: a lock granted just before the cancel struck is given back
// with the session, never left on a pooled connection. Any other failed
// wait closes its connection too.
//
// Open's connections wait as long as the caller's context says: they set
// statement_timeout, lock_timeout and (PostgreSQL 17) transaction_timeout
// to 0 for their sessions, whatever the role, the database or the server
// set. A waiting Acquire whose connection or statement is ended by the
// server anyway (a restart, a failover, pg_terminate_backend of a waiter,
// a server-side timeout on a FromPool pool) connects and queues again,
// under its context, with a pause growing from 20 ms to 1 s between tries.
//
// Every lease has a fencing token from the sequence braid_fence, taken
// once the lock is held: it grows with every acquisition, of a name or of
// slots, across every process. The statement that takes it commits
// synchronously whatever synchronous_commit says, so a crash of the server
// never hands out a token twice.
//
// # Failures
//
// A lease's Lost channel closes when its connection dies (the lease reads
// from its idle connection, and notices at once) or when a ping after a
// [Heartbeat] of silence gets no answer within another Heartbeat. Release
// then returns an error wrapping [lock.ErrLost]. What the other processes
// see depends on how the holder went:
//
//   - A holder process that dies (kill -9, a crash) loses its locks as
//     soon as the server sees its socket close: another process gets the
//     name within milliseconds (measured: 2 to 4 ms after kill -9). A
//     waiter process that dies leaves the
//     queue within a Heartbeat (client_connection_check_interval,
//     PostgreSQL 14, on Linux, macOS and the BSDs).
//   - A holder host that dies, or is cut off by a partition, keeps its
//     locks on the server until the server gives up on the session: within
//     the [SessionTimeout] (default 10 s) after the client was last heard.
//     Open's sessions carry it as TCP keepalives and tcp_user_timeout, for
//     a peer that stopped acknowledging, and as idle_session_timeout
//     (PostgreSQL 14), for a connection that stays open but silent. The
//     holder's Lost closes sooner, after about two Heartbeats (measured
//     through a proxy that stops forwarding, with the defaults: Lost after
//     2.0 s, the name free for the others after 10.0 s). A waiter cut
//     off while queued, whose context then ends, may still be granted the
//     name: the server ends that session, and frees the name, within the
//     SessionTimeout of the grant.
//   - A holder that is stalled but connected keeps its lock: a task that
//     hangs, while its process and heartbeat run, holds its name until it
//     returns or its context is cancelled; nothing in pglock takes the
//     name away. A whole process frozen (SIGSTOP, a paused VM) keeps it
//     until the SessionTimeout ends its silent session.
//   - A server restart or a failover loses every lock and every queue:
//     holders' leases are lost, and waiters reconnect and queue again
//     (measured: a waiter held its name 0.23 s after a fast stop began,
//     the stop and the start included).
//     The new primary knows no holder, so another process may take a name
//     at once, while a holder that has not noticed yet (up to about two
//     Heartbeats) still works. Whatever the lock protects must therefore
//     check the fencing token: record the highest token seen next to the
//     data and refuse writes with a lower one. A failover to an
//     asynchronous standby may also set the sequence back; use
//     synchronous replication where that matters.
//
// Sessions that Open does not set up (FromPool's) keep the server's
// idle_session_timeout: it must be 0, or more than twice the Heartbeat,
// since a lease pings only after a Heartbeat of silence, and a semaphore
// waiter every Heartbeat.
//
// # Keys and collisions
//
// A key is the first 64 bits of an HMAC-SHA-256, under the [HashKey], of
// the kind of lock, the [Namespace] and the name, each field prefixed by
// its length, so that no two (namespace, name) pairs encode alike. A
// semaphore's slots and its turnstile have keys of their own. Two names
// whose keys collide exclude each other (they never share a lock): one
// waits for the other. Collisions come by chance with a probability of
// about n²/2⁶⁵ among n names, and on purpose only to whoever can compute
// keys: without a HashKey, a search of about 2³² hashes finds a pair;
// with a secret HashKey, nobody can search. In one process, an
// acquisition of a name whose key is held or awaited under another name
// fails at once with [ErrCollision], which wraps
// [github.com/braid-go/braid/pool.ErrDeadlock]: a braid task holding one
// name and waiting for a task that needs the other gets that error, not
// a wait that never ends.
//
// Deadlocks across processes are not detected: a process holding one
// name and waiting for a second, while another holds the second and
// waits for the first, wait until a context ends. Each lease is a session
// of its own, so PostgreSQL sees no cycle. Take names in one order
// everywhere, or bound the waits with contexts.
//
// # Privileges and objects
//
// pglock needs one object, the sequence braid_fence, found on the
// search_path (every process must see the same one). Open creates it if
// it is missing, which needs CREATE on the schema; a role without it, as
// PostgreSQL 15 gives by default on public, needs it created ahead of
// time and USAGE on it:
//
//	CREATE SEQUENCE app.braid_fence;  -- CACHE 1, the default: tokens stay ordered across sessions
//	GRANT USAGE ON SCHEMA app TO worker;
//	GRANT USAGE ON SEQUENCE app.braid_fence TO worker;
//
// Nothing else is needed: advisory locks, LISTEN/NOTIFY and the session
// settings Open makes are open to every role. A role that may not use the
// sequence, or may not create a missing one, fails Open with
// [ErrPrivilege].
//
// # Connection budget
//
// A held lease keeps a connection of its own, and so does a request
// waiting in the database. The in-process line in front bounds what one
// process uses: at most one connection per name it holds or waits for,
// whatever the number of goroutines or tasks waiting for that name, and
// per semaphore at most one per lease held or request waiting in the
// database (at most size). Size the pool (pool_max_conns in the DSN;
// pgxpool's default is 4 or the number of CPUs) for the names held or
// awaited at once, plus the semaphore leases held or awaited at once,
// plus a few for TryAcquire and Release; size the server
// (max_connections) for the sum over every process. A braid pool with
// MaxWorkers w whose tasks hold one name each needs about w + 1 + the
// distinct names that queue meanwhile.
//
// A TryAcquire does not wait for a connection: with the pool full it
// fails at once with [ErrPoolExhausted] (not [lock.ErrBusy], as the name
// may be free). An Acquire waits for a connection under its context, and
// if the context ends first its error wraps both ErrPoolExhausted and the
// context's error. A task that holds a name and waits for another can
// wait for a connection held by a task like it, so leave room.
//
// # FromPool, and poolers
//
// [FromPool] leaves the caller's pool as it is. Its sessions should have
// statement_timeout and lock_timeout 0 (a waiter ended by one queues
// again, but loses its place), idle_session_timeout 0 or above twice the
// Heartbeat, and for a bound on a vanished client the settings Open
// makes: tcp_keepalives_idle, tcp_keepalives_interval, tcp_keepalives_count,
// tcp_user_timeout and idle_session_timeout, set in the pool's
// AfterConnect or the DSN's options. A pooler in transaction or statement
// mode (PgBouncer's pool_mode=transaction, RDS Proxy when it multiplexes)
// cannot carry session-level locks: a lock would stay with a server
// connection that the pooler gives to another client. Use a direct connection, or a pooler in session mode.
//
// # Beyond one machine
//
// pglock coordinates names and limits across the replicas of a service:
// a name runs in one replica at a time, a semaphore's slots are counted
// across all of them. It does not move tasks between replicas: each
// replica runs what it submitted, and a task waits in the replica that
// submitted it.
//
// # Errors and concurrency
//
// Errors are [*Error] values naming the operation and the name, wrapping
// [lock.ErrBusy] (TryAcquire), [lock.ErrLost] (Release), [lock.ErrInvalid]
// (an empty name, a size below 1 or above [MaxSemaphoreSize], a weight
// outside the semaphore's size,
// a bad option), [ErrClosed], [ErrPoolExhausted], [ErrPrivilege],
// [ErrCollision], a context's error or the database's. Locker, Semaphore
// and their leases are safe for concurrent use. A nil context is a
// programming error: Acquire panics with a "pglock:" message. A lease runs one
// goroutine, its heartbeat, which ends with it; Close ends every lease
// still held.
package pglock
