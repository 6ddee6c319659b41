package pglock

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/lock"
)

// Statements on a name's key. The lock statement takes the fencing token
// only once it holds the lock: a volatile CTE is evaluated before the
// query that reads it, so the token of every holder is taken after its
// predecessor took its own, and released.
const (
	sqlLock    = `WITH l AS (SELECT pg_advisory_lock($1::bigint)) SELECT nextval('braid_fence') FROM l`
	sqlTryLock = `SELECT CASE WHEN pg_try_advisory_lock($1::bigint) THEN nextval('braid_fence') END`
	sqlUnlock  = `SELECT pg_advisory_unlock($1::bigint)`
)

// Locker is a named mutex across processes on PostgreSQL's session-level
// advisory locks: the [lock.Locker] to give a braid pool so that a
// name serialises its runs across every replica of a service
// ([github.com/braid-go/braid/pool.NameLocker]).
//
// Each name is first taken in process, FIFO, and only then from the
// database, on a connection of its own that the lease keeps until
// Release. So a process holds at most one database lock per name, and
// uses at most one connection per name it holds or waits for in the
// database at once (see the package doc for the connection budget).
//
// A Locker is safe for concurrent use. Close it when done.
type Locker struct {
	pool  *pgxpool.Pool
	owned bool // Close closes the pool
	cfg   config
	names *lock.Names

	closing context.Context // ended by Close
	stop    context.CancelCauseFunc

	mu     sync.Mutex
	closed bool
	ops    sync.WaitGroup // acquisitions in flight
	leases map[*lease]struct{}
}

// Compile-time checks that the types fit package lock's interfaces.
var (
	_ lock.Locker            = (*Locker)(nil)
	_ lock.WeightedSemaphore = (*Semaphore)(nil)
)

// Open connects to the database at dsn (a PostgreSQL URL or key=value
// string; pgxpool settings such as pool_max_conns are honoured) and
// returns a Locker that owns the connection pool and closes it on Close.
// Its connections ask the server to check for a vanished client while a
// statement runs (client_connection_check_interval, PostgreSQL 14 and
// later), so a waiter whose process died leaves the lock's queue within a
// heartbeat. It creates the fencing sequence braid_fence if it is missing.
func Open(ctx context.Context, dsn string, opts ...Option) (*Locker, error) {
	cfg, err := configure(opts)
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, &Error{Op: "open", Err: err}
	}
	pc.AfterConnect = checkClient(cfg)
	p, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, &Error{Op: "open", Err: err}
	}
	l, err := newLocker(ctx, p, true, cfg)
	if err != nil {
		p.Close()
		return nil, err
	}
	return l, nil
}

// FromPool returns a Locker on connections from p, which the caller keeps
// and closes after the Locker. p must leave room for the Locker's
// connections (see the package doc) and use pgx's default handling of a
// cancelled context. It creates the fencing sequence braid_fence if it is
// missing.
func FromPool(ctx context.Context, p *pgxpool.Pool, opts ...Option) (*Locker, error) {
	if p == nil {
		return nil, &Error{Op: "open", Err: fmt.Errorf("%w: nil pool", lock.ErrInvalid)}
	}
	cfg, err := configure(opts)
	if err != nil {
		return nil, err
	}
	return newLocker(ctx, p, false, cfg)
}

func configure(opts []Option) (config, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.errs) > 0 {
		return cfg, &Error{Op: "open", Err: errors.Join(cfg.errs...)}
	}
	return cfg, nil
}

func newLocker(ctx context.Context, p *pgxpool.Pool, owned bool, cfg config) (*Locker, error) {
	if err := createFence(ctx, p); err != nil {
		return nil, &Error{Op: "open", Err: err}
	}
	names, err := lock.NewNames()
	if err != nil {
		return nil, err
	}
	closing, stop := context.WithCancelCause(context.Background())
	return &Locker{
		pool: p, owned: owned, cfg: cfg, names: names,
		closing: closing, stop: stop,
		leases: make(map[*lease]struct{}),
	}, nil
}

// createFence creates the fencing sequence. Two processes creating it at
// once may both pass IF NOT EXISTS, and the loser fails on a unique index
// of the catalog: it then finds the sequence there, so it tries again.
func createFence(ctx context.Context, p *pgxpool.Pool) error {
	var err error
	for range 3 {
		if _, err = p.Exec(ctx, `CREATE SEQUENCE IF NOT EXISTS braid_fence`); !isCode(err, "23505", "42P07") {
			return err
		}
	}
	return err
}

// checkClient makes the server check, while a statement runs, whether the
// client is still there. Servers before PostgreSQL 14 lack the setting,
// and are left as they are.
func checkClient(cfg config) func(context.Context, *pgx.Conn) error {
	ms := max(cfg.heartbeat.Milliseconds(), 1)
	return func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, fmt.Sprintf("SET client_connection_check_interval = %d", ms))
		if isCode(err, "42704") { // undefined_object: an older server
			return nil
		}
		return err
	}
}

// isCode reports whether err is a server error with one of codes.
func isCode(err error, codes ...string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// Acquire waits until name is free in this process and in the database,
// or ctx is done, and returns the lease. Waiters in this process are
// served in arrival order; waiters in the database, one per process, in
// the order PostgreSQL queued them, which is FIFO. If ctx ends first,
// Acquire cancels the database's wait (a cancel request) and returns ctx's
// error, leaving no waiter behind in the database.
func (l *Locker) Acquire(ctx context.Context, name string) (lock.Lease, error) {
	return l.acquire(ctx, "acquire", name, true)
}

// TryAcquire takes name if no other holder has it, in this process or in
// the database, else returns an error wrapping [lock.ErrBusy]. It does not
// wait for the lock, but it does for a connection and a round trip to the
// server, for at most the Timeout.
func (l *Locker) TryAcquire(name string) (lock.Lease, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.timeout)
	defer cancel()
	return l.acquire(ctx, "try-acquire", name, false)
}

func (l *Locker) acquire(ctx context.Context, op, name string, wait bool) (lock.Lease, error) {
	if name == "" {
		return nil, &Error{Op: op, Err: fmt.Errorf("%w: empty name", lock.ErrInvalid)}
	}
	local := func(ctx context.Context) (lock.Lease, error) {
		if wait {
			return l.names.Acquire(ctx, name)
		}
		return l.names.TryAcquire(name)
	}
	remote := func(ctx context.Context, held lock.Lease) (*lease, error) {
		return l.lockName(ctx, name, held, wait)
	}
	return l.twoLevel(ctx, op, name, local, remote)
}

// twoLevel takes a lock in process, then in the database, and gives the
// first back if the second fails. The in-process line in front keeps one
// process from asking the database twice for what it already holds.
func (l *Locker) twoLevel(ctx context.Context, op, name string,
	local func(context.Context) (lock.Lease, error),
	remote func(context.Context, lock.Lease) (*lease, error),
) (lock.Lease, error) {
	ctx, done, err := l.begin(ctx)
	if err != nil {
		return nil, &Error{Op: op, Name: name, Err: err}
	}
	defer done()
	held, err := local(ctx)
	if err != nil {
		return nil, &Error{Op: op, Name: name, Err: l.ctxErr(ctx, err)}
	}
	s, err := remote(ctx, held)
	if err != nil {
		_ = held.Release()
		return nil, &Error{Op: op, Name: name, Err: l.ctxErr(ctx, err)}
	}
	return s, nil
}

// lockName takes name's key in the database on a connection of its own.
func (l *Locker) lockName(ctx context.Context, name string, held lock.Lease, wait bool) (*lease, error) {
	key := nameKey(l.cfg.namespace, name)
	c, err := l.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	var token *int64
	if wait {
		err = l.waitRow(ctx, c, sqlLock, []any{key}, &token)
	} else {
		err = c.QueryRow(ctx, sqlTryLock, key).Scan(&token)
		if err != nil {
			l.discard(c)
		}
	}
	switch {
	case err != nil:
		return nil, err
	case token == nil:
		c.Release()
		return nil, lock.ErrBusy
	}
	unlock := func(ctx context.Context, c *pgx.Conn) (ok bool, err error) {
		err = c.QueryRow(ctx, sqlUnlock, key).Scan(&ok)
		return ok, err
	}
	return l.newLease(name, c, uint64(*token), held, unlock), nil
}

// begin registers an acquisition in flight and returns its context, which
// also ends, with cause ErrClosed, when the Locker is closed.
func (l *Locker) begin(ctx context.Context) (context.Context, func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, ErrClosed
	}
	l.ops.Add(1)
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(l.closing, func() { cancel(ErrClosed) })
	return ctx, func() { stop(); cancel(nil); l.ops.Done() }, nil
}

// ctxErr reports why an acquisition failed: ErrClosed if Close ended it,
// ctx's error if ctx ended, else err.
func (l *Locker) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrClosed) {
		return ErrClosed
	}
	return ctx.Err()
}

// discard closes a connection whose state is unknown and gives it back to
// the pool, which drops it. Closing a session gives back every lock it
// held.
func (l *Locker) discard(c *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.timeout)
	defer cancel()
	_ = c.Conn().Close(ctx)
	c.Release()
}

// Close ends the Locker: acquisitions in flight return ErrClosed, leases
// still held are ended (their Lost channels close, their connections are
// closed, which gives their locks back, and their Release returns
// lock.ErrLost), and the pool is closed if Open made it. Calling Close
// again does nothing.
func (l *Locker) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.stop(ErrClosed)
	l.ops.Wait() // every acquisition has returned, and registered its lease if it got one
	l.mu.Lock()
	held := make([]*lease, 0, len(l.leases))
	for s := range l.leases {
		held = append(held, s)
	}
	l.mu.Unlock()
	for _, s := range held {
		s.abandon()
	}
	if l.owned {
		l.pool.Close()
	}
	return nil
}
