package pglock_test

import (
	"context"
	"slices"
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
	require.Equal(t, 2, adm.slots("sem-aon", 3), "exactly the weight is taken")
	_, err = b.TryAcquire(2)
	require.ErrorIs(t, err, lock.ErrBusy)
	require.Equal(t, 2, adm.slots("sem-aon", 3), "a refused request holds nothing")
	one, err := b.TryAcquire(1)
	require.NoError(t, err)
	require.Greater(t, one.Token(), two.Token())
	_, err = a.TryAcquire(1)
	require.ErrorIs(t, err, lock.ErrBusy)

	require.NoError(t, two.Release())
	require.NoError(t, two.Release())
	require.Equal(t, 1, adm.slots("sem-aon", 3))
	require.NoError(t, one.Release())
	require.Zero(t, adm.slots("sem-aon", 3))
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
// slots it got, or a ping (pg_stat_activity shows a session's last
// statement). The
// waiter's Locker is opened with openAs(t, app).
func listening(a *admin, app string) bool {
	var n int
	require.NoError(a.t, a.c.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'idle'
		AND (query LIKE '%generate_series%' OR query = ';' OR (query LIKE '%unnest%' AND query NOT LIKE '%pg_notify%'))`, app).Scan(&n))
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
	adm.terminate(adm.slotHolder("sem-poll", 1))
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
	require.Equal(t, 1, adm.slots("sem-cancel", 2))
	other, err := b.TryAcquire(1)
	require.NoError(t, err, "the cancelled request gave back its in-process slots")
	require.NoError(t, other.Release())
	require.NoError(t, one.Release())
}

// TestSemaphoreLargeRequestNotStarved: while eight processes keep taking
// one slot each of a semaphore of 3, far more than it has, a request for
// all 3 from a ninth is served in its turn, after the requests that were
// waiting before it, instead of waiting until the others stop.
func TestSemaphoreLargeRequestNotStarved(t *testing.T) {
	t.Parallel()
	const size, small = 3, 8
	stop := make(chan struct{})
	errs := make(chan error, small)
	var longest [small]time.Duration
	for i := range small {
		s := newSemaphore(t, open(t), "sem-starve", size)
		go func() {
			errs <- func() error {
				for {
					select {
					case <-stop:
						return nil
					default:
					}
					start := time.Now()
					lease, err := s.Acquire(t.Context(), 1)
					if err != nil {
						return err
					}
					longest[i] = max(longest[i], time.Since(start))
					time.Sleep(2 * time.Millisecond) // simulated work while holding the slot, not a wait for an event
					if err := lease.Release(); err != nil {
						return err
					}
				}
			}()
		}()
	}
	big := newSemaphore(t, open(t), "sem-starve", size)
	adm := newAdmin(t)
	eventually(t, func() bool { return adm.slots("sem-starve", size) == size }, "the small requests hold every slot")
	start := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	lease, err := big.Acquire(ctx, size)
	waited := time.Since(start)
	close(stop)
	require.NoError(t, err, "the request for %d slots, after %v", size, waited)
	require.NoError(t, lease.Release())
	for range small {
		require.NoError(t, within(t, errs, 10*time.Second, "a small requester"))
	}
	t.Logf("the request for %d slots waited %v; the longest wait for 1 slot was %v", size, waited, slices.Max(longest[:]))
	require.Less(t, waited, 2*time.Second)
}

// TestSemaphoreFIFOAcrossProcesses: a request for one slot that comes
// after a request for all 3 does not overtake it when a slot frees: the
// large request is served first, once the three holders released theirs.
// Without the order across processes, the small request would take the
// first slot freed, and the large one would wait as long as small ones
// keep coming.
func TestSemaphoreFIFOAcrossProcesses(t *testing.T) {
	t.Parallel()
	const size = 3
	adm := newAdmin(t)
	var holders []lock.Lease
	for range size {
		lease, err := newSemaphore(t, open(t), "sem-fifo", size).Acquire(t.Context(), 1)
		require.NoError(t, err)
		holders = append(holders, lease)
	}
	big := make(chan result, 1)
	small := make(chan result, 1)
	acquire := func(app string, n int, ch chan<- result) {
		s := newSemaphore(t, openAs(t, app), "sem-fifo", size)
		go func() {
			lease, err := s.Acquire(t.Context(), n)
			ch <- result{lease, err}
		}()
		eventually(t, func() bool { return waiting(adm, app) }, app+" waits")
	}
	acquire("sem-fifo-big", size, big)
	acquire("sem-fifo-small", 1, small)
	// Free one slot, and let the small request take it if it can: it
	// can only if it is not held back in the database's queue.
	require.NoError(t, holders[0].Release())
	eventually(t, func() bool { return adm.slots("sem-fifo", size) == size || lockWaiting(adm, "sem-fifo-small") },
		"the small request took the slot freed, or waits in a lock's queue")
	for _, h := range holders[1:] {
		require.NoError(t, h.Release())
	}
	r := within(t, big, 5*time.Second, "the large request, first in line")
	require.NoError(t, r.err)
	require.Len(t, small, 0, "the small request waits behind it")
	require.NoError(t, r.lease.Release())
	r = within(t, small, 5*time.Second, "the small request")
	require.NoError(t, r.err)
	require.NoError(t, r.lease.Release())
}

// waiting reports whether a semaphore request of the Locker opened with
// openAs(t, app) waits in the database: in a lock's queue, or listening.
func waiting(a *admin, app string) bool { return listening(a, app) || lockWaiting(a, app) }

// lockWaiting reports whether a session of the Locker opened with
// openAs(t, app) waits in a lock's queue.
func lockWaiting(a *admin, app string) bool {
	return a.count(`SELECT count(*) FROM pg_stat_activity
		WHERE application_name = $1 AND state = 'active' AND wait_event_type = 'Lock'`, app) > 0
}
