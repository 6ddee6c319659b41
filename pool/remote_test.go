package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/pool"
)

// backend is a lock.Locker standing in for a distributed one: names are
// shared by every pool given it (every "process"), and the test can make a
// lease be lost.
type backend struct {
	names    *lock.Names
	acquired atomic.Int32
	refuse   error

	mu     sync.Mutex
	leases []*lossyLease
}

type lossyLease struct {
	lock.Lease
	lost     chan struct{}
	loseOnce sync.Once
}

func (l *lossyLease) Lost() <-chan struct{} { return l.lost }
func (l *lossyLease) lose()                 { l.loseOnce.Do(func() { close(l.lost) }) }

func newBackend(t *testing.T) *backend {
	names, err := lock.NewNames()
	require.NoError(t, err)
	return &backend{names: names}
}

func (b *backend) Acquire(ctx context.Context, name string) (lock.Lease, error) {
	if b.refuse != nil {
		return nil, b.refuse
	}
	l, err := b.names.Acquire(ctx, name)
	if err != nil {
		return nil, err
	}
	b.acquired.Add(1)
	ll := &lossyLease{Lease: l, lost: make(chan struct{})}
	b.mu.Lock()
	b.leases = append(b.leases, ll)
	b.mu.Unlock()
	return ll, nil
}

func (b *backend) TryAcquire(name string) (lock.Lease, error) { return b.names.TryAcquire(name) }

func (b *backend) last() *lossyLease {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leases[len(b.leases)-1]
}

// TestNameLockerSerialisesAcrossPools: two root pools, like two replicas of
// a service, share a backend; tasks of one name never overlap across them,
// and other names run side by side.
func TestNameLockerSerialisesAcrossPools(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(t)
		replicas := []*pool.Pool{
			newPool(t, pool.MaxWorkers(4), pool.NameLocker(b)),
			newPool(t, pool.MaxWorkers(4), pool.NameLocker(b)),
		}
		var inJob peak
		gate := make(chan struct{})
		for i := range 6 {
			mustGo(t, replicas[i%2], gated(gate, nil, &inJob), pool.Name("nightly"))
		}
		var others atomic.Int32
		for i := range 4 {
			mustGo(t, replicas[i%2], func(context.Context) error { others.Add(1); return nil }, pool.Name("report"), pool.Resources("tmp"))
		}
		synctest.Wait()
		require.EqualValues(t, 1, inJob.cur.Load(), "one nightly run across both replicas")
		require.EqualValues(t, 4, others.Load(), "other names ran meanwhile")
		require.Equal(t, 1, replicas[0].Stats().Running+replicas[1].Stats().Running, "waiting runs hold no slot")
		close(gate)
		for _, p := range replicas {
			require.NoError(t, p.Wait())
			require.Zero(t, p.Stats().Names)
		}
		require.EqualValues(t, 1, inJob.max.Load())
		require.EqualValues(t, 10, b.acquired.Load(), "every named task took its name from the backend")
		require.Zero(t, b.names.Len(), "every backend lease was released")
	})
}

// TestLostLeaseCancelsTheTask: when the backend loses a running task's
// lease, the task's context is cancelled with lock.ErrLost.
func TestLostLeaseCancelsTheTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(t)
		p := newPool(t, pool.NameLocker(b))
		for _, submit := range []func(fn func(context.Context) error) *pool.Task{
			func(fn func(context.Context) error) *pool.Task {
				return mustSubmit(t, p, t.Context(), fn, pool.Name("deploy"))
			},
			func(fn func(context.Context) error) *pool.Task { mustGo(t, p, fn, pool.Name("deploy")); return nil },
		} {
			var cause error
			h := submit(func(ctx context.Context) error {
				<-ctx.Done()
				cause = context.Cause(ctx)
				return cause
			})
			synctest.Wait()
			b.last().lose()
			synctest.Wait()
			require.ErrorIs(t, cause, lock.ErrLost)
			if h != nil {
				require.ErrorIs(t, h.Wait(t.Context()), lock.ErrLost)
				require.Equal(t, pool.Canceled, h.State())
			} else {
				require.ErrorIs(t, p.Wait(), lock.ErrLost)
			}
		}
		require.EqualValues(t, 2, p.Stats().Canceled)
		require.Zero(t, b.names.Len(), "lost leases are still given back")
	})
}

// TestNameLockerRefusal: a task whose name the backend refuses ends
// Skipped with the backend's error, and never runs.
func TestNameLockerRefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(t)
		b.refuse = errors.New("backend down")
		p := newPool(t, pool.NameLocker(b))
		h := mustSubmit(t, p, t.Context(), func(context.Context) error { panic("must not run") }, pool.Name("x"))
		require.ErrorIs(t, h.Wait(t.Context()), b.refuse)
		require.Equal(t, pool.Skipped, h.State())
		require.NoError(t, mustSubmit(t, p, t.Context(), succeed).Wait(t.Context()), "unnamed tasks do not need the backend")
		require.Zero(t, p.Stats().Names)
	})
}

// TestNameLockerWaitIsCancelled: a task waiting for the backend is skipped
// when its context ends, and gives back its in-process hold.
func TestNameLockerWaitIsCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBackend(t)
		other, err := b.names.Acquire(t.Context(), "x") // another process holds x
		require.NoError(t, err)
		p := newPool(t, pool.MaxWorkers(1), pool.NameLocker(b))
		ctx, cancel := context.WithCancel(t.Context())
		h := mustSubmit(t, p, ctx, func(context.Context) error { panic("must not run") }, pool.Name("x"))
		synctest.Wait()
		require.Equal(t, pool.Blocked, h.State())
		require.Equal(t, 0, p.Stats().Running, "waiting for the backend holds no slot")
		cancel()
		require.ErrorIs(t, h.Wait(t.Context()), context.Canceled)
		require.Equal(t, pool.Skipped, h.State())
		require.NoError(t, other.Release())
		require.NoError(t, mustSubmit(t, p, t.Context(), succeed, pool.Name("x")).Wait(t.Context()))
		require.Zero(t, p.Stats().Names)
		require.Zero(t, b.names.Len())
	})
}

// slowRelease is a backend whose leases' Release blocks until let go.
type slowRelease struct {
	names   *lock.Names
	release chan struct{}
	entered chan struct{}
}

func (b *slowRelease) Acquire(ctx context.Context, name string) (lock.Lease, error) {
	l, err := b.names.Acquire(ctx, name)
	if err != nil {
		return nil, err
	}
	return &slowLease{Lease: l, b: b}, nil
}

func (b *slowRelease) TryAcquire(name string) (lock.Lease, error) { return nil, lock.ErrBusy }

type slowLease struct {
	lock.Lease
	b *slowRelease
}

func (l *slowLease) Release() error {
	close(l.b.entered)
	<-l.b.release
	return l.Lease.Release()
}

// TestSlowLeaseReleaseStallsNothingElse: while a worker gives back a
// backend lease slowly, the pool goes on starting other tasks on its free
// slots.
func TestSlowLeaseReleaseStallsNothingElse(t *testing.T) {
	t.Parallel()
	names, err := lock.NewNames()
	require.NoError(t, err)
	b := &slowRelease{names: names, release: make(chan struct{}), entered: make(chan struct{})}
	p := newPool(t, pool.MaxWorkers(8), pool.NameLocker(b))
	mustGo(t, p, func(context.Context) error { return nil }, pool.Name("job"))
	<-b.entered // its worker is inside Release now
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	other, err := p.Submit(ctx, func(context.Context) error { return nil })
	require.NoError(t, err)
	require.NoError(t, other.Wait(ctx), "an unrelated task waited for another's lease release")
	close(b.release)
	require.NoError(t, p.Wait())
}
