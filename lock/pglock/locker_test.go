package pglock_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/lock/pglock/pgtest"
)

// TestAcquireRelease: a held name is busy for another process, free again
// after Release, and every acquisition has a larger token.
func TestAcquireRelease(t *testing.T) {
	t.Parallel()
	a, b := open(t), open(t)
	ctx := t.Context()

	first, err := a.Acquire(ctx, "deploy")
	require.NoError(t, err)
	require.NotNil(t, first.Lost())
	require.False(t, isClosed(first.Lost()))

	_, err = b.TryAcquire("deploy")
	require.ErrorIs(t, err, lock.ErrBusy)
	var pe *pglock.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "deploy", pe.Name)
	_, err = a.TryAcquire("deploy")
	require.ErrorIs(t, err, lock.ErrBusy, "busy in process too")

	other, err := b.TryAcquire("report")
	require.NoError(t, err, "other names are free")
	require.NoError(t, other.Release())

	require.NoError(t, first.Release())
	require.NoError(t, first.Release(), "a second release is a no-op")
	require.False(t, isClosed(first.Lost()), "a released lease is not lost")

	second, err := b.TryAcquire("deploy")
	require.NoError(t, err)
	require.Greater(t, second.Token(), first.Token())
	require.NoError(t, second.Release())
	third, err := a.Acquire(ctx, "deploy")
	require.NoError(t, err)
	require.Greater(t, third.Token(), second.Token())
	require.NoError(t, third.Release())
}

// TestInvalid: bad arguments are errors wrapping lock.ErrInvalid.
func TestInvalid(t *testing.T) {
	t.Parallel()
	l := open(t)
	_, err := l.Acquire(t.Context(), "")
	require.ErrorIs(t, err, lock.ErrInvalid)
	_, err = l.TryAcquire("")
	require.ErrorIs(t, err, lock.ErrInvalid)
	for _, size := range []int{0, -1, pglock.MaxSemaphoreSize + 1, 1 << 50} { // 1<<50 was a makeslice panic
		_, err = l.NewSemaphore("s", size)
		require.ErrorIs(t, err, lock.ErrInvalid)
	}
	_, err = l.NewSemaphore("", 1)
	require.ErrorIs(t, err, lock.ErrInvalid)
	s, err := l.NewSemaphore("s", 2)
	require.NoError(t, err)
	for _, n := range []int{0, 3} {
		_, err = s.Acquire(t.Context(), n)
		require.ErrorIs(t, err, lock.ErrInvalid)
		_, err = s.TryAcquire(n)
		require.ErrorIs(t, err, lock.ErrInvalid)
	}
	for _, o := range []pglock.Option{pglock.Heartbeat(0), pglock.PollInterval(-1), pglock.Timeout(0)} {
		_, err = pglock.Open(t.Context(), pgtest.DSN(t), o)
		require.ErrorIs(t, err, lock.ErrInvalid)
	}
	for _, o := range []pglock.Option{pglock.Heartbeat(400 * time.Hour), pglock.SessionTimeout(30 * 24 * time.Hour)} {
		_, err = pglock.Open(t.Context(), pgtest.DSN(t), o)
		require.ErrorIs(t, err, lock.ErrInvalid, "beyond what PostgreSQL takes (it was the server's error)")
	}
	_, err = pglock.Open(t.Context(), pgtest.DSN(t), nil)
	require.ErrorIs(t, err, lock.ErrInvalid, "a nil Option")
	_, err = pglock.FromPool(t.Context(), nil)
	require.ErrorIs(t, err, lock.ErrInvalid)
	_, err = pglock.Open(t.Context(), "not a dsn")
	require.Error(t, err)
}

// TestFIFO: processes waiting for a name are granted it in the order they
// joined the database's queue.
func TestFIFO(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	holder, err := open(t).Acquire(t.Context(), "fifo")
	require.NoError(t, err)
	order := make(chan int, 3)
	done := make(chan error, 3)
	for i := range 3 {
		l := open(t)
		go func() {
			lease, err := l.Acquire(t.Context(), "fifo")
			if err == nil {
				order <- i
				err = lease.Release()
			}
			done <- err
		}()
		eventually(t, func() bool { return adm.nameLocks("fifo", false) == i+1 }, "waiter joined the queue")
	}
	require.NoError(t, holder.Release())
	for i := range 3 {
		require.Equal(t, i, within(t, order, 10*time.Second, "grant"))
		require.NoError(t, within(t, done, 10*time.Second, "release"))
	}
}

// TestOneDatabaseWaiterPerProcess: the in-process line stays in front, so
// however many goroutines of a process wait for a name, one of them waits
// in the database, on one connection.
func TestOneDatabaseWaiterPerProcess(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	holder, err := open(t).Acquire(t.Context(), "two-level")
	require.NoError(t, err)
	l := open(t)
	results := make(chan result, 5)
	for range 5 {
		go func() {
			lease, err := l.Acquire(t.Context(), "two-level")
			results <- result{lease, err}
		}()
	}
	eventually(t, func() bool { return adm.nameLocks("two-level", false) == 1 }, "a waiter in the database")
	require.NoError(t, holder.Release())
	tokens := map[uint64]bool{}
	for range 5 { // each is granted in turn, as the previous one releases
		r := within(t, results, 10*time.Second, "grant")
		require.NoError(t, r.err)
		require.LessOrEqual(t, adm.nameLocks("two-level", false), 1)
		tokens[r.lease.Token()] = true
		require.NoError(t, r.lease.Release())
	}
	require.Len(t, tokens, 5)
}

// TestCancelLeavesNoWaiter: a waiting Acquire whose context ends returns
// at once, and the server's queue holds no phantom waiter for it: the
// next process in line is the next to get the name.
func TestCancelLeavesNoWaiter(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	holder, err := open(t).Acquire(t.Context(), "cancel")
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	waiter := acquireAsync(ctx, open(t), "cancel")
	eventually(t, func() bool { return adm.nameLocks("cancel", false) == 1 }, "the waiter joined the queue")
	cancel()
	r := within(t, waiter, 5*time.Second, "cancelled Acquire")
	require.ErrorIs(t, r.err, context.Canceled)
	require.Zero(t, adm.nameLocks("cancel", false), "no waiter left in the server's queue, right after Acquire returned")

	// The cancelled waiter's Locker still works, and so does the queue.
	next := acquireAsync(t.Context(), open(t), "cancel")
	eventually(t, func() bool { return adm.nameLocks("cancel", false) == 1 }, "the next waiter joined the queue")
	require.NoError(t, holder.Release())
	r = within(t, next, 5*time.Second, "next waiter")
	require.NoError(t, r.err)
	require.NoError(t, r.lease.Release())
}

// TestDeadlineBeforeStart: an Acquire whose context has already ended
// takes nothing.
func TestDeadlineBeforeStart(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := open(t).Acquire(ctx, "ended")
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, adm.nameLocks("ended", true))
}

// TestDroppedConnectionIsLost: when the server ends a holder's session,
// the lease's Lost channel closes at once (the lease reads from its
// connection), Release reports lock.ErrLost, and the name is free.
func TestDroppedConnectionIsLost(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	l := open(t, pglock.Heartbeat(time.Minute)) // no ping needed to notice
	lease, err := l.Acquire(t.Context(), "dropped")
	require.NoError(t, err)
	adm.terminate(adm.holder("dropped"))
	within(t, lease.Lost(), 5*time.Second, "lost")
	require.ErrorIs(t, lease.Release(), lock.ErrLost)
	require.NoError(t, lease.Release(), "ErrLost is reported once")
	again, err := l.TryAcquire("dropped")
	require.NoError(t, err)
	require.NoError(t, again.Release())
}

// TestHeartbeatFailure: a server that stops answering (its backend is
// stopped with SIGSTOP) fails the lease's heartbeat, which closes Lost.
func TestHeartbeatFailure(t *testing.T) {
	t.Parallel()
	if !pgtest.Local() {
		t.Skip("needs the backends of a local cluster")
	}
	adm := newAdmin(t)
	l := open(t, pglock.Heartbeat(100*time.Millisecond), pglock.Timeout(time.Second))
	lease, err := l.Acquire(t.Context(), "stopped")
	require.NoError(t, err)
	pid := adm.holder("stopped")
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	defer func() { require.NoError(t, syscall.Kill(pid, syscall.SIGCONT)) }()
	within(t, lease.Lost(), 5*time.Second, "lost")
	require.ErrorIs(t, lease.Release(), lock.ErrLost)
}

// TestCloseEndsEverything: Close ends waiting acquisitions with ErrClosed
// and held leases as lost, and refuses new ones.
func TestCloseEndsEverything(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	other := open(t)
	busy, err := other.Acquire(t.Context(), "close-busy")
	require.NoError(t, err)
	l, err := pglock.Open(t.Context(), pgtest.DSN(t))
	require.NoError(t, err)
	held, err := l.Acquire(t.Context(), "close-held")
	require.NoError(t, err)
	waiting := acquireAsync(t.Context(), l, "close-busy")
	eventually(t, func() bool { return adm.nameLocks("close-busy", false) == 1 }, "waiting")

	require.NoError(t, l.Close())
	require.ErrorIs(t, within(t, waiting, 5*time.Second, "waiter").err, pglock.ErrClosed)
	require.True(t, isClosed(held.Lost()))
	require.ErrorIs(t, held.Release(), lock.ErrLost)
	_, err = l.Acquire(t.Context(), "x")
	require.ErrorIs(t, err, pglock.ErrClosed)
	_, err = l.TryAcquire("x")
	require.True(t, errors.Is(err, pglock.ErrClosed))
	require.NoError(t, l.Close(), "closing twice is a no-op")

	eventually(t, func() bool { return adm.nameLocks("close-held", true) == 0 }, "the closed session's lock is gone")
	require.NoError(t, busy.Release())
}

// TestFromPool: a Locker on the caller's pool leaves the pool open when
// it closes.
func TestFromPool(t *testing.T) {
	t.Parallel()
	p, err := pgxpool.New(t.Context(), pgtest.DSN(t))
	require.NoError(t, err)
	defer p.Close()
	l, err := pglock.FromPool(t.Context(), p, pglock.Namespace("from-pool"))
	require.NoError(t, err)
	lease, err := l.Acquire(t.Context(), "job")
	require.NoError(t, err)
	require.NoError(t, lease.Release())
	require.NoError(t, l.Close())
	require.NoError(t, p.Ping(t.Context()), "the caller's pool is still open")
}

// TestNilContext: a nil context is a programming error: Acquire panics
// with a pglock: prefix, and the Locker stays usable and closes (a panic
// after the acquisition was registered left Close waiting forever).
func TestNilContext(t *testing.T) {
	t.Parallel()
	l, err := pglock.Open(t.Context(), pgtest.DSN(t))
	require.NoError(t, err)
	s := newSemaphore(t, l, "nil-ctx", 2)
	//lint:ignore SA1012 the point of the test
	require.PanicsWithValue(t, "pglock: nil context", func() { _, _ = l.Acquire(nil, "nil-ctx") }) //nolint:staticcheck // the point of the test
	//lint:ignore SA1012 the point of the test
	require.PanicsWithValue(t, "pglock: nil context", func() { _, _ = s.Acquire(nil, 1) }) //nolint:staticcheck // the point of the test
	lease, err := l.TryAcquire("nil-ctx")
	require.NoError(t, err)
	require.NoError(t, lease.Release())
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	require.NoError(t, within(t, closed, 5*time.Second, "Close"))
}

// TestZeroValues: a zero Locker or Semaphore panics in the package's
// words, not with a nil dereference, and a zero Error still prints.
func TestZeroValues(t *testing.T) {
	t.Parallel()
	const zeroLocker = "pglock: a zero Locker has no database; create one with pglock.Open or pglock.FromPool"
	var l pglock.Locker
	require.PanicsWithValue(t, zeroLocker, func() { _, _ = l.Acquire(t.Context(), "x") })
	require.PanicsWithValue(t, zeroLocker, func() { _, _ = l.TryAcquire("x") })
	require.PanicsWithValue(t, zeroLocker, func() { _, _ = l.NewSemaphore("x", 1) })
	require.PanicsWithValue(t, zeroLocker, func() { _ = l.Close() })
	const zeroSem = "pglock: a zero Semaphore has no slots; create one with Locker.NewSemaphore"
	var s pglock.Semaphore
	require.PanicsWithValue(t, zeroSem, func() { _, _ = s.Acquire(t.Context(), 1) })
	require.PanicsWithValue(t, zeroSem, func() { _, _ = s.TryAcquire(1) })
	require.Equal(t, "pglock: failed", (&pglock.Error{}).Error())
	require.Equal(t, `pglock: acquire "x": failed`, (&pglock.Error{Op: "acquire", Name: "x"}).Error())
}
