package pglock

import (
	"context"
	"errors"
	"net"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/braid-go/braid/lock"
)

// unlockFunc gives a lease's database locks back on its connection and
// reports whether the session still held them.
type unlockFunc func(ctx context.Context, c *pgx.Conn) (bool, error)

// lease is a held name or set of slots: session-level advisory locks on a
// connection pinned until Release, watched by a goroutine that ends with
// the lease.
//
// While the lease is held, the watcher is the only user of the connection:
// it waits for anything the server sends, which notices a closed
// connection at once, and pings after every Heartbeat of silence, which
// notices a server or network that stopped answering. Release or Close
// interrupt the wait, wait for the watcher to return, and only then use
// the connection themselves.
type lease struct {
	l      *Locker
	name   string
	conn   *pgxpool.Conn
	token  uint64
	unlock unlockFunc
	held   lock.Lease // the in-process hold, given back after the database's
	onEnd  func()     // if not nil, called once the database's locks are given back
	wake   *interrupter
	done   chan struct{} // closed when the watcher has returned

	lost     chan struct{}
	loseOnce sync.Once

	mu       sync.Mutex
	ended    bool // Release or Close took the lease down, or is doing so
	released bool // Release was called
}

func (l *Locker) newLease(name string, c *pgxpool.Conn, token uint64, held lock.Lease, unlock unlockFunc, onEnd func()) *lease {
	s := &lease{
		l: l, name: name, conn: c, token: token, unlock: unlock, held: held, onEnd: onEnd,
		wake: &interrupter{nc: c.Conn().PgConn().Conn()},
		done: make(chan struct{}),
		lost: make(chan struct{}),
	}
	l.mu.Lock()
	closed := l.closed
	l.leases[s] = struct{}{}
	l.mu.Unlock()
	go s.watch()
	if closed { // Close has begun: the lease ends as soon as it starts
		s.abandon()
	}
	return s
}

// Token is the fencing token: a value of the sequence braid_fence taken
// once the lock was held, so it grows with every acquisition of the name.
func (s *lease) Token() uint64 { return s.token }

// Lost is closed when the lease's connection dies, a heartbeat fails, or
// Close ends the lease.
func (s *lease) Lost() <-chan struct{} { return s.lost }

func (s *lease) lose() { s.loseOnce.Do(func() { close(s.lost) }) }

func (s *lease) isLost() bool {
	select {
	case <-s.lost:
		return true
	default:
		return false
	}
}

// Release gives the database's locks back on the lease's connection, and
// the connection back to the pool, then the in-process hold. It returns an
// error wrapping lock.ErrLost if ownership was lost first, or if the
// server could not confirm it still held the locks.
func (s *lease) Release() error {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return nil
	}
	s.released = true
	mine := !s.ended
	s.ended = true
	s.mu.Unlock()
	if mine {
		s.end(true)
	}
	_ = s.held.Release()
	if s.isLost() {
		return &Error{Op: "release", Name: s.name, Err: lock.ErrLost}
	}
	return nil
}

// abandon ends a lease for Close: it is lost, and its connection closed.
func (s *lease) abandon() {
	s.mu.Lock()
	mine := !s.ended
	s.ended = true
	s.mu.Unlock()
	if mine {
		s.lose()
		s.end(false)
	}
}

// end stops the watcher, then gives the locks back (if unlock and the
// lease is not lost) and the connection to the pool, or closes the
// connection, which gives them back too.
func (s *lease) end(unlock bool) {
	s.wake.interrupt()
	<-s.done
	s.wake.disarm()
	defer s.l.forget(s)
	if unlock && !s.isLost() {
		ctx, cancel := context.WithTimeout(context.Background(), s.l.cfg.timeout)
		ok, err := s.unlock(ctx, s.conn.Conn())
		cancel()
		if err == nil && ok {
			s.conn.Release()
			return
		}
		s.lose() // the session no longer held them, or could not say
	}
	s.l.discard(s.conn)
}

func (l *Locker) forget(s *lease) {
	l.mu.Lock()
	delete(l.leases, s)
	l.mu.Unlock()
	if s.onEnd != nil {
		s.onEnd()
	}
}

// watch is the lease's heartbeat (see lease).
func (s *lease) watch() {
	defer close(s.done)
	c := s.conn.Conn()
	for s.wake.arm(s.l.cfg.heartbeat, true) {
		_, err := c.WaitForNotification(context.Background())
		if err == nil {
			continue // a notification: the connection is alive
		}
		if !isTimeout(err) || !s.wake.arm(s.l.cfg.heartbeat, false) {
			s.fail(err)
			return
		}
		// The ping is bounded by the read deadline just set, not by a
		// context: a context's end would close the connection. It is not
		// interrupted either, so a Release waits for it to return.
		if err := c.PgConn().Ping(context.Background()); err != nil {
			s.fail(err)
			return
		}
	}
}

// fail ends a lease whose connection died or stopped answering, unless the
// wait ended because Release or Close interrupted it.
func (s *lease) fail(err error) {
	if isTimeout(err) && s.wake.wasInterrupted() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.l.cfg.timeout)
	defer cancel()
	_ = s.conn.Conn().Close(ctx) // ends the session, if the server still has it
	s.lose()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
