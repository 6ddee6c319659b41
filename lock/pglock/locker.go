package pglock

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/lock"
)

// Statements on a name's key. The lock statement takes the fencing token
// only once it holds the lock: a volatile CTE is evaluated before the
// query that reads it, so the token of every holder is taken after its
// predecessor took its own, and released.
//
// Each statement that takes a token commits synchronously, whatever the
// session or server says (set_config(..., true) lasts until the end of
// the statement's own transaction, its commit included): nextval writes
// to the WAL only every 32 values, and an asynchronous commit
// (synchronous_commit = off) lets a crash lose that record, after which
// the sequence would hand out the same tokens again.
const (
	sqlLock = `WITH l AS (SELECT pg_advisory_lock($1::bigint))
	SELECT nextval('braid_fence') FROM l, set_config('synchronous_commit', 'on', true) AS durable`
	sqlTryLock = `SELECT CASE WHEN pg_try_advisory_lock($1::bigint) THEN nextval('braid_fence') END
	FROM set_config('synchronous_commit', 'on', true) AS durable`
	sqlUnlock = `SELECT pg_advisory_unlock($1::bigint)`
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
// A Locker is safe for concurrent use. Close it when done. A zero Locker
// has no database: using one panics with a "pglock:" message.
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
	keys   map[int64]string // name keys held or awaited in the database, and their names
}

// Compile-time checks that the types fit package lock's interfaces.
var (
	_ lock.Locker            = (*Locker)(nil)
	_ lock.WeightedSemaphore = (*Semaphore)(nil)
)

// Open connects to the database at dsn (a PostgreSQL URL or key=value
// string; pgxpool settings such as pool_max_conns are honoured) and
// returns a Locker that owns the connection pool and closes it on Close.
// Its connections override the server's timeouts, which would end a wait
// before the caller's context does, and bound how long the server keeps
// the locks of a client it no longer hears from (see [SessionTimeout]).
// It creates the fencing sequence braid_fence if it is missing.
func Open(ctx context.Context, dsn string, opts ...Option) (*Locker, error) {
	cfg, err := configure(opts)
	if err != nil {
		return nil, err
	}
	if cfg.session > maxSession {
		return nil, &Error{Op: "open", Err: fmt.Errorf("%w: SessionTimeout %v (at least twice the Heartbeat %v): "+
			"at most %v, the longest that PostgreSQL's tcp_user_timeout and idle_session_timeout take",
			lock.ErrInvalid, cfg.session, cfg.heartbeat, maxSession)}
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, &Error{Op: "open", Err: err}
	}
	configurePool(pc, cfg)
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

// maxSession is the longest SessionTimeout that Open's sessions can carry:
// the server takes tcp_user_timeout and idle_session_timeout in
// milliseconds, as a 32-bit integer.
const maxSession = math.MaxInt32 * time.Millisecond

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
		if o == nil {
			cfg.fail("nil Option")
			continue
		}
		o(&cfg)
	}
	if cfg.session == 0 {
		cfg.session = max(defaultSession, 2*cfg.heartbeat)
	}
	if len(cfg.errs) == 0 && cfg.session < 2*cfg.heartbeat {
		cfg.fail("SessionTimeout %v: must be at least twice the Heartbeat %v", cfg.session, cfg.heartbeat)
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
		keys:   make(map[int64]string),
	}, nil
}

// createFence makes sure the fencing sequence exists and that the role
// may take values from it. It creates the sequence only if it is missing,
// since CREATE ... IF NOT EXISTS needs the CREATE privilege on the schema
// even when the sequence exists, and a role that only uses it lacks that
// privilege (PostgreSQL 15's default on the schema public). The creation
// commits synchronously, as tokens do. Two processes creating it at once
// may both find it missing, and the loser fails on a unique index of the
// catalog: it then finds the sequence there, so it tries again.
func createFence(ctx context.Context, p *pgxpool.Pool) error {
	var err error
	for range 3 {
		var exists, usable bool
		err = p.QueryRow(ctx, `SELECT f IS NOT NULL, coalesce(has_sequence_privilege(f, 'USAGE, UPDATE'), false)
			FROM to_regclass('braid_fence') AS f`).Scan(&exists, &usable)
		switch {
		case err != nil:
			return err
		case exists && !usable:
			return fmt.Errorf("%w: this role may not use the fencing sequence braid_fence: grant it USAGE on the sequence", ErrPrivilege)
		case exists:
			return nil
		}
		_, err = p.Exec(ctx, `SET LOCAL synchronous_commit = on; CREATE SEQUENCE IF NOT EXISTS braid_fence`)
		if isCode(err, "42501") { // insufficient_privilege
			return fmt.Errorf("%w: the fencing sequence braid_fence is missing, and this role may not create it: "+
				"create it ahead of time (see the package doc): %w", ErrPrivilege, err)
		}
		if isCode(err, "3F000") { // invalid_schema_name: no schema on the search_path that the role may use
			return fmt.Errorf("%w: the fencing sequence braid_fence is not on this role's search_path, "+
				"and no schema there may be used to create it: grant USAGE on the sequence's schema, "+
				"and put the schema on the search_path (see the package doc): %w", ErrPrivilege, err)
		}
		if !isCode(err, "23505", "42P07") {
			return err
		}
	}
	return err
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
	if ctx == nil {
		// A programming error, reported before anything is registered:
		// a panic after begin would leave an acquisition in flight that
		// Close would wait for forever.
		panic("pglock: nil context")
	}
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
// A waiting acquisition that loses its connection or statement to the
// server (a restart, a failover, a server-side timeout) connects and
// queues again, under its context.
func (l *Locker) lockName(ctx context.Context, name string, held lock.Lease, wait bool) (*lease, error) {
	key := l.cfg.nameKey(name)
	if err := l.claim(key, name); err != nil {
		return nil, err
	}
	s, err := l.lockKey(ctx, name, key, held, wait)
	if err != nil {
		l.unclaim(key)
	}
	return s, err
}

// claim records that this process takes key for name, unless another
// name with the same key has it: a second session asking for it would
// wait for the first, which may be held by the very task that waits.
func (l *Locker) claim(key int64, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if other, ok := l.keys[key]; ok {
		return fmt.Errorf("%w: %q and %q", ErrCollision, other, name)
	}
	l.keys[key] = name
	return nil
}

func (l *Locker) unclaim(key int64) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
}

// lockKey takes key in the database for name (see lockName).
func (l *Locker) lockKey(ctx context.Context, name string, key int64, held lock.Lease, wait bool) (*lease, error) {
	var (
		c     *pgxpool.Conn
		token *int64
	)
	err := retry(ctx, wait, func() error {
		var err error
		if c, err = l.conn(ctx, wait); err != nil {
			return err
		}
		if wait {
			return l.waitRow(ctx, c, sqlLock, []any{key}, &token)
		}
		if err = c.QueryRow(ctx, sqlTryLock, key).Scan(&token); err != nil {
			l.discard(c)
		}
		return err
	})
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
	return l.newLease(name, c, uint64(*token), held, unlock, func() { l.unclaim(key) }), nil
}

// conn takes a connection from the pool for an acquisition. One that
// must not wait (a TryAcquire) finds a full pool an error at once; one
// that waits does so under ctx, and if ctx ends while the pool is still
// full, its error says so, besides ctx's.
func (l *Locker) conn(ctx context.Context, wait bool) (*pgxpool.Conn, error) {
	if !wait && l.exhausted() {
		return nil, l.exhaustedErr(nil)
	}
	c, err := l.pool.Acquire(ctx)
	if err != nil && ctx.Err() != nil && l.exhausted() {
		return nil, l.exhaustedErr(ctx.Err())
	}
	return c, err
}

// exhausted reports whether every connection the pool may open is in use.
func (l *Locker) exhausted() bool {
	st := l.pool.Stat()
	return st.IdleConns() == 0 && st.TotalConns() >= st.MaxConns()
}

func (l *Locker) exhaustedErr(cause error) error {
	err := fmt.Errorf("%w: all %d connections in use", ErrPoolExhausted, l.pool.Stat().MaxConns())
	if cause != nil {
		err = fmt.Errorf("%w: %w", err, cause)
	}
	return err
}

// begin registers an acquisition in flight and returns its context, which
// also ends, with cause ErrClosed, when the Locker is closed.
func (l *Locker) begin(ctx context.Context) (context.Context, func(), error) {
	l.mustBeMade()
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

// mustBeMade panics, in the package's words, if l is a zero Locker
// rather than one from Open or FromPool.
func (l *Locker) mustBeMade() {
	if l.closing == nil {
		panic("pglock: a zero Locker has no database; create one with pglock.Open or pglock.FromPool")
	}
}

// ctxErr reports why an acquisition failed: ErrClosed if Close ended it,
// ctx's error if ctx ended (with ErrPoolExhausted if it ended while
// waiting for a connection), else err.
func (l *Locker) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrClosed) {
		return ErrClosed
	}
	if errors.Is(err, ErrPoolExhausted) {
		return err // it wraps ctx's error
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
	l.mustBeMade()
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
