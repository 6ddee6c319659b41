package pglock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
)

func newSemaphore(t testing.TB, l *pglock.Locker, name string, size int) *pglock.Semaphore {
	t.Helper()
	s, err := l.NewSemaphore(name, size)
	require.NoError(t, err)
	return s
}

// TestSemaphoreAllOrNothing: a request for more slots than are free takes
// none; slots are shared by every process naming the semaphore.
func TestSemaphoreAllOrNothing(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	a := newSemaphore(t, open(t), "sem-aon", 3)
	b := newSemaphore(t, open(t), "sem-aon", 3)

	two, err := a.TryAcquire(2)
	require.NoError(t, err)
	require.Equal(t, 2, adm.slots("sem-aon"), "exactly the weight is taken")
	_, err = b.TryAcquire(2)
	require.ErrorIs(t, err, lock.ErrBusy)
	require.Equal(t, 2, adm.slots("sem-aon"), "a refused request holds nothing")
	one, err := b.TryAcquire(1)
	require.NoError(t, err)
	require.Greater(t, one.Token(), two.Token())
	_, err = a.TryAcquire(1)
	require.ErrorIs(t, err, lock.ErrBusy)

	require.NoError(t, two.Release())
	require.NoError(t, two.Release())
	require.Equal(t, 1, adm.slots("sem-aon"))
	require.NoError(t, one.Release())
	require.Zero(t, adm.slots("sem-aon"))
}

// TestSemaphoreNotifyWakesWaiter: a release wakes a waiter in another
// process at once through NOTIFY; the poll interval is an hour here, so
// only the notification can wake it in time.
func TestSemaphoreNotifyWakesWaiter(t *testing.T) {
	t.Parallel()
	a := newSemaphore(t, open(t), "sem-notify", 2)
	b := newSemaphore(t, openAs(t, "sem-notify", pglock.PollInterval(time.Hour)), "sem-notify", 2)
	full, err := a.Acquire(t.Context(), 2)
	require.NoError(t, err)
	got := make(chan result, 1)
	go func() {
		lease, err := b.Acquire(t.Context(), 2)
		got <- result{lease, err}
	}()
	adm := newAdmin(t)
	eventually(t, func() bool { return listening(adm, "sem-notify") }, "the waiter listens")
	require.NoError(t, full.Release())
	r := within(t, got, 5*time.Second, "woken waiter")
	require.NoError(t, r.err)
	require.Greater(t, r.lease.Token(), full.Token())
	require.NoError(t, r.lease.Release())
}

// listening reports whether a semaphore waiter is waiting for a
// notification: a session sits idle after a try that found too few slots,
// the last statement it ran being that try, or the giving back of the
// slots it got (pg_stat_activity shows a session's last statement). The
// waiter's Locker is opened with openAs(t, app).
func listening(a *admin, app string) bool {
	var n int
	require.NoError(a.t, a.c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'idle'
		AND (query LIKE '%generate_series%' OR (query LIKE '%unnest%' AND query NOT LIKE '%pg_notify%'))`, app).Scan(&n))
	return n > 0
}

// TestSemaphorePollAfterSessionDeath: slots freed by a session that ended
// send no notification; the waiter finds them at its next poll.
func TestSemaphorePollAfterSessionDeath(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	a := newSemaphore(t, open(t), "sem-poll", 1)
	b := newSemaphore(t, open(t, pglock.PollInterval(50*time.Millisecond)), "sem-poll", 1)
	held, err := a.Acquire(t.Context(), 1)
	require.NoError(t, err)
	got := make(chan result, 1)
	go func() {
		lease, err := b.Acquire(t.Context(), 1)
		got <- result{lease, err}
	}()
	adm.terminate(adm.slotHolder("sem-poll"))
	within(t, held.Lost(), 5*time.Second, "holder lost")
	r := within(t, got, 5*time.Second, "waiter after poll")
	require.NoError(t, r.err)
	require.ErrorIs(t, held.Release(), lock.ErrLost)
	require.NoError(t, r.lease.Release())
}

// TestSemaphoreCancel: a waiter whose context ends returns its error and
// holds nothing, in process or in the database.
func TestSemaphoreCancel(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	a := newSemaphore(t, open(t), "sem-cancel", 2)
	b := newSemaphore(t, openAs(t, "sem-cancel"), "sem-cancel", 2)
	one, err := a.Acquire(t.Context(), 1)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan result, 1)
	go func() {
		lease, err := b.Acquire(ctx, 2)
		got <- result{lease, err}
	}()
	eventually(t, func() bool { return listening(adm, "sem-cancel") }, "the waiter listens")
	cancel()
	require.ErrorIs(t, within(t, got, 5*time.Second, "cancelled").err, context.Canceled)
	require.Equal(t, 1, adm.slots("sem-cancel"))
	other, err := b.TryAcquire(1)
	require.NoError(t, err, "the cancelled request gave back its in-process slots")
	require.NoError(t, other.Release())
	require.NoError(t, one.Release())
}
