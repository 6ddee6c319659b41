package pglock

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/lock"
)

// Statements on a semaphore's slots, the advisory locks (group, slot).
// sqlTake tries the slots one by one from a random offset, so that
// processes spread over them, and stops at the weight: PostgreSQL
// evaluates the filter row by row as LIMIT pulls rows, and no sort stands
// between them. The fencing token is taken after the slots, and commits
// synchronously (see sqlLock).
const (
	sqlTake = `SELECT (SELECT array_agg(s) FROM (
	SELECT (i + $3::int) % $2::int AS s FROM generate_series(0, $2::int - 1) AS i
	WHERE pg_try_advisory_lock($1::int, (i + $3::int) % $2::int) LIMIT $4::int) AS got),
	nextval('braid_fence')
	FROM set_config('synchronous_commit', 'on', true) AS durable`
	sqlGiveBack = `SELECT bool_and(pg_advisory_unlock($1::int, s)) FROM unnest($2::int[]) AS s`
	sqlRelease  = `SELECT bool_and(pg_advisory_unlock($1::int, s)) FROM unnest($2::int[]) AS s, pg_notify($3, '') AS n`
)

// Semaphore is a cluster-wide limit: size slots shared by every process
// using the same name (and namespace), taken one or more at a time, all
// or nothing: the [lock.WeightedSemaphore] across processes.
//
// Requests first wait in process, FIFO, on a [lock.Semaphore] of the same
// size, so a process never asks the database for more slots than there
// are, and then for the slots in the database. Waiters there are woken by
// LISTEN/NOTIFY when a lease is released, and try again at least every
// PollInterval, which catches slots freed by a session that ended. Across
// processes waiters are not served in order: whoever tries first after a
// release wins, and a request for several slots can be overtaken by
// requests for one.
//
// A Semaphore is safe for concurrent use; it lives as long as its Locker.
type Semaphore struct {
	l       *Locker
	name    string
	size    int
	group   int32
	channel string
	local   *lock.Semaphore
}

// NewSemaphore returns the semaphore called name, of size slots. Every
// process must give the same name the same size.
func (l *Locker) NewSemaphore(name string, size int) (*Semaphore, error) {
	if name == "" || size < 1 {
		return nil, &Error{Op: "semaphore", Name: name,
			Err: fmt.Errorf("%w: NewSemaphore(%q, %d): a name and at least 1 slot", lock.ErrInvalid, name, size)}
	}
	local, err := lock.NewSemaphore(size)
	if err != nil {
		return nil, err
	}
	g := semGroup(l.cfg.namespace, name)
	return &Semaphore{l: l, name: name, size: size, group: g, channel: semChannel(g), local: local}, nil
}

// Acquire waits until n slots are free, or ctx is done, and takes them
// all at once. n must be between 1 and the size. If ctx ends first it
// returns ctx's error and holds nothing.
func (s *Semaphore) Acquire(ctx context.Context, n int) (lock.Lease, error) {
	return s.acquire(ctx, "acquire", n, true)
}

// TryAcquire takes n slots if they are free now, else returns an error
// wrapping [lock.ErrBusy]. Like [Locker.TryAcquire] it waits for a
// connection and a round trip, for at most the Timeout.
func (s *Semaphore) TryAcquire(n int) (lock.Lease, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.l.cfg.timeout)
	defer cancel()
	return s.acquire(ctx, "try-acquire", n, false)
}

func (s *Semaphore) acquire(ctx context.Context, op string, n int, wait bool) (lock.Lease, error) {
	if n < 1 || n > s.size {
		return nil, &Error{Op: op, Name: s.name, Err: fmt.Errorf("%w: weight %d: must be in [1, %d]", lock.ErrInvalid, n, s.size)}
	}
	local := func(ctx context.Context) (lock.Lease, error) {
		if wait {
			return s.local.Acquire(ctx, n)
		}
		return s.local.TryAcquire(n)
	}
	remote := func(ctx context.Context, held lock.Lease) (*lease, error) {
		return s.take(ctx, n, held, wait)
	}
	return s.l.twoLevel(ctx, op, s.name, local, remote)
}

// take takes n slots in the database on a connection of its own. A
// waiter that finds too few free starts listening, and tries again: a
// release after that try wakes it.
func (s *Semaphore) take(ctx context.Context, n int, held lock.Lease, wait bool) (*lease, error) {
	c, err := s.l.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	listening := false
	for {
		slots, token, err := s.try(c, n)
		switch {
		case err != nil:
			s.l.discard(c)
			return nil, err
		case slots != nil:
			if listening {
				if err := s.l.unlisten(c); err != nil {
					return nil, err // closing the session gave the slots back
				}
			}
			return s.l.newLease(s.name, c, token, held, s.release(slots)), nil
		case !wait:
			c.Release()
			return nil, lock.ErrBusy
		case !listening:
			if err := s.l.exec(c, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
				s.l.discard(c)
				return nil, err
			}
			listening = true
			continue
		}
		if err := waitNotification(ctx, c.Conn(), s.l.cfg.poll); err != nil {
			if ctx.Err() == nil {
				s.l.discard(c)
			} else if s.l.unlisten(c) == nil {
				c.Release()
			}
			return nil, err
		}
	}
}

// try takes n slots or none: if fewer were free, it gives back those it
// took, without a notification (a waiter that found them taken meanwhile
// tries again at its next poll, or on the next release). Its statements
// are bounded by the Timeout, not by the caller's context, whose end
// would close the connection between taking and giving back.
func (s *Semaphore) try(c *pgxpool.Conn, n int) (slots []int32, token uint64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.l.cfg.timeout)
	defer cancel()
	var tok int64
	err = c.QueryRow(ctx, sqlTake, s.group, s.size, rand.IntN(s.size), n).Scan(&slots, &tok)
	if err != nil || len(slots) == n {
		return slots, uint64(tok), err
	}
	if len(slots) > 0 {
		var ok *bool
		if err := c.QueryRow(ctx, sqlGiveBack, s.group, slots).Scan(&ok); err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, nil
}

// release gives the slots back and wakes the waiters, whose notification
// is sent when the statement commits, after the slots are free.
func (s *Semaphore) release(slots []int32) unlockFunc {
	return func(ctx context.Context, c *pgx.Conn) (ok bool, err error) {
		err = c.QueryRow(ctx, sqlRelease, s.group, slots, s.channel).Scan(&ok)
		return ok, err
	}
}

// unlisten stops a waiter's connection listening, and drops the
// notifications it received meanwhile, so the connection goes on clean.
// On failure it closes the connection.
func (l *Locker) unlisten(c *pgxpool.Conn) error {
	if err := l.exec(c, "UNLISTEN *"); err != nil {
		l.discard(c)
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

// exec runs a short statement on c, bounded by the Timeout.
func (l *Locker) exec(c *pgxpool.Conn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.timeout)
	defer cancel()
	_, err := c.Exec(ctx, sql)
	return err
}
