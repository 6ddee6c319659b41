package pglock

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// interrupter bounds and interrupts the reads of one goroutine on a
// connection through the socket's read deadline, not through a context:
// pgx ends a statement whose context ends by closing the connection,
// which would end the session and drop every lock it holds. A read that
// times out leaves the connection usable.
type interrupter struct {
	mu          sync.Mutex
	nc          net.Conn
	stopped     bool // interrupt or disarm was called: no more reads
	interrupted bool // interrupt was called
	soft        bool // the current read may be cut short by interrupt
}

// arm sets the deadline of the next read to d from now and reports
// whether the reader should go on (false once interrupted). A soft read
// is cut short by interrupt; a hard one (a ping) runs to its deadline.
func (w *interrupter) arm(d time.Duration, soft bool) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	w.soft = soft
	_ = w.nc.SetReadDeadline(time.Now().Add(d))
	return true
}

// interrupt stops the reader: its current read, if soft, ends at once
// with a timeout, and arm reports false from now on.
func (w *interrupter) interrupt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	w.stopped, w.interrupted = true, true
	if w.soft {
		_ = w.nc.SetReadDeadline(time.Unix(1, 0))
	}
}

func (w *interrupter) wasInterrupted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.interrupted
}

// disarm clears the deadline once the reader has returned; an interrupt
// after it does nothing.
func (w *interrupter) disarm() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped, w.soft = true, false
	_ = w.nc.SetReadDeadline(time.Time{})
}

// waitRow runs a statement that may wait for a lock on c, and scans its
// one row into dst. The statement does not see ctx: a context ending at
// pgx's level closes the connection (with pgx's default handler), and a
// backend waiting in a lock queue does not notice that its client is gone
// until it is granted the lock. It would stay in the queue as a phantom
// waiter, ahead of later ones, and then hold the lock for a moment.
// Instead, when ctx ends, waitRow sends a cancel request, which takes the
// backend out of the queue at once, and waits for the statement to
// return.
//
// On success c is kept for the lease. On any failure c is closed, which
// ends its session: the lock may have been granted just before the
// cancel request (or a server timeout) struck the rest of the statement,
// and a session-level lock outlives the statement, so a connection given
// back to the pool could hold it for nobody. Closing is also the only
// safe end for a late cancel request, which could hit the connection's
// next statement.
func (l *Locker) waitRow(ctx context.Context, c *pgxpool.Conn, sql string, args []any, dst ...any) error {
	if err := ctx.Err(); err != nil {
		c.Release()
		return err
	}
	qctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	cancelled := make(chan struct{})
	stopCancel := context.AfterFunc(ctx, func() {
		defer close(cancelled)
		l.cancelStatement(qctx, stop, c)
	})
	err := c.QueryRow(qctx, sql, args...).Scan(dst...)
	stop() // ends the canceller's wait, if it is waiting
	if stopCancel() {
		if err != nil {
			l.discard(c)
		}
		return err
	}
	<-cancelled
	l.discard(c)
	return ctx.Err()
}

// cancelStatement asks the server to cancel c's statement until it
// returns. A request that reaches the backend before the statement does
// is ignored, hence the retries, every cancelRetry. If a request cannot
// be sent, or the statement has not returned after the Timeout, it ends
// qctx, which makes pgx close the connection.
func (l *Locker) cancelStatement(qctx context.Context, stop func(), c *pgxpool.Conn) {
	deadline := time.NewTimer(l.cfg.timeout)
	defer deadline.Stop()
	retry := time.NewTicker(cancelRetry)
	defer retry.Stop()
	for {
		rctx, cancel := context.WithTimeout(qctx, l.cfg.timeout)
		err := c.Conn().PgConn().CancelRequest(rctx)
		cancel()
		if err != nil {
			stop()
			return
		}
		select {
		case <-retry.C:
		case <-deadline.C:
			stop()
			return
		case <-qctx.Done():
			return
		}
	}
}

// cancelRetry is how long a cancelled statement may go on before the
// cancel request is sent again.
const cancelRetry = 200 * time.Millisecond

// waitNotification waits on c for a notification, at most d, or until ctx
// is done. It reports whether a notification came, and returns ctx's
// error if ctx ended, or the connection's. The connection stays usable
// after a timeout or ctx's end.
func waitNotification(ctx context.Context, c *pgx.Conn, d time.Duration) (bool, error) {
	w := &interrupter{nc: c.PgConn().Conn()}
	if !w.arm(d, true) {
		return false, nil
	}
	stop := context.AfterFunc(ctx, w.interrupt)
	n, err := c.WaitForNotification(context.Background())
	stop()
	w.disarm()
	switch {
	case ctx.Err() != nil:
		return false, ctx.Err()
	case err != nil && isTimeout(err):
		return false, nil
	}
	return n != nil, err
}
