package pglock

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/lock"
)

// Statements on a semaphore's slots, each an advisory lock on a 64-bit
// key of its own (keys[i] is slot i). sqlTake tries the slots one by one
// from a random offset, so that processes spread over them, and stops at
// the weight: PostgreSQL evaluates the filter row by row as LIMIT pulls
// rows, and no sort stands between them. The fencing token is taken
// after the slots, and commits synchronously (see sqlLock).
const (
	sqlTake = `SELECT (SELECT array_agg(k) FROM (
	SELECT ($1::bigint[])[1 + (i + $2::int) % cardinality($1::bigint[])] AS k
	FROM generate_series(0, cardinality($1::bigint[]) - 1) AS i
	WHERE pg_try_advisory_lock(($1::bigint[])[1 + (i + $2::int) % cardinality($1::bigint[])]) LIMIT $3::int) AS got),
	nextval('braid_fence')
	FROM set_config('synchronous_commit', 'on', true) AS durable`
	sqlGiveBack = `SELECT bool_and(pg_advisory_unlock(k)) FROM unnest($1::bigint[]) AS k`
	sqlRelease  = `SELECT bool_and(pg_advisory_unlock(k)) FROM unnest($1::bigint[]) AS k, pg_notify($2, '') AS n`
	sqlEnter    = `SELECT true FROM pg_advisory_lock($1::bigint)`
	sqlTryEnter = `SELECT pg_try_advisory_lock($1::bigint)`
	sqlLeave    = `SELECT pg_advisory_unlock($1::bigint)`
)

// Semaphore is a cluster-wide limit: size slots shared by every process
// using the same name (and namespace), taken one or more at a time, all
// or nothing: the [lock.WeightedSemaphore] across processes.
//
// Requests first wait in process, FIFO, on a [lock.Semaphore] of the same
// size, so a process never asks the database for more slots than there
// are, and then in the database, FIFO too: a request waits first for the
// semaphore's turnstile, an advisory lock whose queue PostgreSQL serves in
// order, and only the request holding it waits for slots, then lets the
// next one in. So a request for several slots is never overtaken by later
// requests for fewer; it waits for the slots held before it to come back.
// The request at the turnstile is woken by LISTEN/NOTIFY when a lease is
// released, and tries again at least every PollInterval, which catches
// slots freed by a session that ended.
//
// A Semaphore is safe for concurrent use; it lives as long as its Locker.
// A zero Semaphore has no slots: using one panics with a "pglock:"
// message.
type Semaphore struct {
	l         *Locker
	name      string
	size      int
	keys      []int64 // the slots' advisory lock keys
	turnstile int64
	channel   string
	local     *lock.Semaphore
}

// MaxSemaphoreSize is the largest size of a [Semaphore]. Each slot is an
// advisory lock, and PostgreSQL keeps every lock held at once in one
// shared table of about max_locks_per_transaction × (max_connections +
// max_prepared_transactions) entries (6 400 with the defaults), shared
// with every other lock of the server: a request for more slots than the
// table has room for fails with the database's "out of shared memory",
// and holds nothing.
const MaxSemaphoreSize = 1 << 20

// NewSemaphore returns the semaphore called name, of size slots (at most
// [MaxSemaphoreSize]). Every process must give the same name the same
// size.
func (l *Locker) NewSemaphore(name string, size int) (*Semaphore, error) {
	l.mustBeMade()
	if name == "" || size < 1 || size > MaxSemaphoreSize {
		return nil, &Error{Op: "semaphore", Name: name,
			Err: fmt.Errorf("%w: NewSemaphore(%q, %d): a name and 1 to %d slots", lock.ErrInvalid, name, size, MaxSemaphoreSize)}
	}
	local, err := lock.NewSemaphore(size)
	if err != nil {
		return nil, err
	}
	return &Semaphore{
		l: l, name: name, size: size, local: local,
		keys:      l.cfg.slotKeys(name, size),
		turnstile: keyOf(l.cfg.hashKey, kindTurnstile, l.cfg.namespace, name, 0),
		channel:   l.cfg.semChannel(name),
	}, nil
}

// slotKeys are the advisory lock keys of a semaphore's slots.
func (c *config) slotKeys(name string, size int) []int64 {
	keys := make([]int64, size)
	for i := range keys {
		keys[i] = keyOf(c.hashKey, kindSlot, c.namespace, name, i)
	}
	return keys
}

// Acquire waits until n slots are free, or ctx is done, and takes them
// all at once. n must be between 1 and the size. If ctx ends first it
// returns ctx's error and holds nothing: it gives up its place by closing
// its connection, and the server ends that session a moment later (about a
// millisecond here), so a TryAcquire from another Locker made at once may
// still find the request's turn taken and get [lock.ErrBusy]; an Acquire
// just waits that moment. Like [Locker.Acquire], it
// connects and queues again if the server goes away while it waits.
func (s *Semaphore) Acquire(ctx context.Context, n int) (lock.Lease, error) {
	return s.acquire(ctx, "acquire", n, true)
}

// TryAcquire takes n slots if they are free now and no request waits for
// them in the database, else returns an error wrapping [lock.ErrBusy].
// Like [Locker.TryAcquire] it does not wait for a connection
// ([ErrPoolExhausted]), and waits for a round trip for at most the
// Timeout.
func (s *Semaphore) TryAcquire(n int) (lock.Lease, error) {
	if s.l == nil {
		panic("pglock: a zero Semaphore has no slots; create one with Locker.NewSemaphore")
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.l.cfg.timeout)
	defer cancel()
	return s.acquire(ctx, "try-acquire", n, false)
}

func (s *Semaphore) acquire(ctx context.Context, op string, n int, wait bool) (lock.Lease, error) {
	if s.l == nil {
		panic("pglock: a zero Semaphore has no slots; create one with Locker.NewSemaphore")
	}
	if n < 1 || n > s.size {
		return nil, &Error{Op: op, Name: s.name, Err: fmt.Errorf("%w: weight %d: must be in [1, %d]", lock.ErrInvalid, n, s.size)}
	}
	local := func(ctx context.Context) (lock.Lease, error) {
		if wait {
			return s.local.Acquire(ctx, n)
		}
		return s.local.TryAcquire(n)
	}
	remote := func(ctx context.Context, held lock.Lease) (lease *lease, err error) {
		err = retry(ctx, wait, func() error {
			lease, err = s.take(ctx, n, held, wait)
			return err
		})
		return lease, err
	}
	return s.l.twoLevel(ctx, op, s.name, local, remote)
}

// take takes n slots in the database on a connection of its own: it
// passes the turnstile (waiting in its queue, or not at all for a
// TryAcquire), takes the slots, waiting for them if need be, and leaves
// the turnstile to the next request. On failure the connection is closed,
// which gives back whatever the session held, or given back clean.
func (s *Semaphore) take(ctx context.Context, n int, held lock.Lease, wait bool) (*lease, error) {
	c, err := s.l.conn(ctx, wait)
	if err != nil {
		return nil, err
	}
	if wait {
		var in bool
		if err := s.l.waitRow(ctx, c, sqlEnter, []any{s.turnstile}, &in); err != nil {
			return nil, err // waitRow closed the connection
		}
	} else {
		var in bool
		if err := s.l.row(c, sqlTryEnter, []any{s.turnstile}, &in); err != nil {
			s.l.discard(c)
			return nil, err
		}
		if !in { // a request waits in the database: it goes first
			c.Release()
			return nil, lock.ErrBusy
		}
	}
	slots, token, listening, err := s.waitSlots(ctx, c, n, wait)
	if err == nil {
		err = s.leave(c, listening)
	}
	switch {
	case err != nil:
		s.l.discard(c)
		return nil, err
	case slots == nil:
		c.Release()
		return nil, lock.ErrBusy
	}
	return s.l.newLease(s.name, c, token, held, s.release(slots), nil), nil
}

// waitSlots takes n slots on c, which holds the turnstile. A waiter that
// finds too few free starts listening, and tries again: a release after
// that try wakes it. While it waits it pings the server every Heartbeat,
// so that its session never looks idle to the server
// (idle_session_timeout). It returns no slots and no error if !wait and
// too few were free.
func (s *Semaphore) waitSlots(ctx context.Context, c *pgxpool.Conn, n int, wait bool) (slots []int64, token uint64, listening bool, err error) {
	for {
		slots, token, err = s.try(c, n)
		switch {
		case err != nil || slots != nil || !wait:
			return slots, token, listening, err
		case !listening:
			if err := s.l.exec(c, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
				return nil, 0, listening, err
			}
			listening = true
			continue
		}
		if err := s.l.idle(ctx, c); err != nil {
			return nil, 0, listening, err
		}
	}
}

// idle waits on c for a notification, at most the PollInterval, pinging
// the server every Heartbeat meanwhile. It returns ctx's error if ctx
// ends first.
func (l *Locker) idle(ctx context.Context, c *pgxpool.Conn) error {
	until := time.Now().Add(l.cfg.poll)
	for {
		left := time.Until(until)
		notified, err := waitNotification(ctx, c.Conn(), min(left, l.cfg.heartbeat))
		if err != nil || notified || left <= l.cfg.heartbeat {
			return err
		}
		if err := l.exec(c, ";"); err != nil {
			return err
		}
	}
}

// leave lets the next request through the turnstile, and stops c
// listening, if it was, dropping the notifications it received meanwhile,
// so that the connection goes on clean.
func (s *Semaphore) leave(c *pgxpool.Conn, listening bool) error {
	var ok bool
	if err := s.l.row(c, sqlLeave, []any{s.turnstile}, &ok); err != nil || !listening {
		return err
	}
	if err := s.l.exec(c, "UNLISTEN *"); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an ended context makes WaitForNotification return only what it buffered
	for {
		if n, _ := c.Conn().WaitForNotification(ctx); n == nil {
			return nil
		}
	}
}

// try takes n slots or none: if fewer were free, it gives back those it
// took, without a notification (a waiter that found them taken meanwhile
// tries again at its next poll, or on the next release). Its statements
// are bounded by the Timeout, not by the caller's context, whose end
// would close the connection between taking and giving back.
func (s *Semaphore) try(c *pgxpool.Conn, n int) (slots []int64, token uint64, err error) {
	var tok int64
	err = s.l.row(c, sqlTake, []any{s.keys, rand.IntN(s.size), n}, &slots, &tok)
	if err != nil || len(slots) == n {
		return slots, uint64(tok), err
	}
	if len(slots) > 0 {
		var ok *bool
		if err := s.l.row(c, sqlGiveBack, []any{slots}, &ok); err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, nil
}

// release gives the slots back and wakes the waiters, whose notification
// is sent when the statement commits, after the slots are free.
func (s *Semaphore) release(slots []int64) unlockFunc {
	return func(ctx context.Context, c *pgx.Conn) (ok bool, err error) {
		err = c.QueryRow(ctx, sqlRelease, slots, s.channel).Scan(&ok)
		return ok, err
	}
}

// exec runs a short statement on c, bounded by the Timeout.
func (l *Locker) exec(c *pgxpool.Conn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.timeout)
	defer cancel()
	_, err := c.Exec(ctx, sql)
	return err
}

// row runs a short query on c, bounded by the Timeout, and scans its one
// row into dst.
func (l *Locker) row(c *pgxpool.Conn, sql string, args []any, dst ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.timeout)
	defer cancel()
	return c.QueryRow(ctx, sql, args...).Scan(dst...)
}
