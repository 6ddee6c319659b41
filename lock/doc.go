// Package lock orders work by name: per-name mutual exclusion with FIFO
// waiters, per-name limits, several names taken at once without deadlock,
// and a weighted semaphore, all behind small interfaces that a distributed
// backend can implement.
//
// # Which type to use
//
//   - [Names]: a table of named locks, the in-process [Locker]. Use it as a
//     keyed mutex (one deploy per service at a time: Acquire(ctx, service)),
//     with a limit per name to let N runs of one name proceed side by side
//     ([NameLimit]), or to take several names at once ([Names.AcquireAll]),
//     as a task that writes several tables takes all of their locks.
//   - [Names.AcquireNotify] (or [Names.AcquireFunc]): the same without a
//     goroutine waiting: a [Grantee] receives the lease once the names are
//     free. This is how a worker pool queues a task behind its resources
//     without holding a worker for it.
//   - [Semaphore]: N slots taken one or more at a time, the in-process
//     [WeightedSemaphore].
//
// The caller picks the key, and with it the policy: a job's name
// serialises all runs of that job, while a unique instance ID (the job name
// plus a run ID) lets runs proceed side by side.
//
// [Names] and [Semaphore] implement [Locker] and [WeightedSemaphore], the
// interfaces a distributed backend implements too (a database's advisory
// locks, say); package pool takes a Locker to serialise task names across
// processes (pool.NameLocker).
//
// # Guarantees
//
// Waiters are served in arrival order, per name. A request for several
// names joins every one of their lines at once and is granted only when it
// is at the head of each and all have room: it never holds some names while
// waiting for others, so requests naming the same resources in different
// orders cannot deadlock, and it is never starved by a stream of requests
// for one of its names, which queue behind it. A waiter whose context ends
// leaves no trace. A name nobody holds or waits for costs no memory.
//
// Every acquisition returns a [Lease]: Release gives it back (releasing
// twice is a no-op), Token is a fencing token that grows with every
// acquisition, and Lost is closed when a backend loses ownership (an
// in-process lease is never lost: its Lost is nil).
//
// # Costs and concurrency
//
// Names and Semaphore are safe for concurrent use. Names takes one mutex
// per operation; acquiring a free name allocates the request and its lease.
// Bad arguments (an empty name, a limit below 1, a weight larger than the
// semaphore) are errors wrapping [ErrInvalid].
package lock
