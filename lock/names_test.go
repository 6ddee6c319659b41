package lock_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
)

func newNames(t *testing.T, opts ...lock.NamesOption) *lock.Names {
	t.Helper()
	n, err := lock.NewNames(opts...)
	require.NoError(t, err)
	return n
}

// TestSameNameIsFIFO: waiters for one name get it in arrival order, while
// another name is free throughout.
func TestSameNameIsFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := newNames(t)
		first, err := names.Acquire(t.Context(), "job")
		require.NoError(t, err)
		var mu sync.Mutex
		var order []int
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				l, err := names.Acquire(t.Context(), "job")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				require.NoError(t, l.Release())
			})
			synctest.Wait() // waiter i is queued before waiter i+1 arrives
		}
		other, err := names.TryAcquire("other-job")
		require.NoError(t, err, "a different name is not held back")
		require.NoError(t, other.Release())
		require.NoError(t, first.Release())
		wg.Wait()
		want := make([]int, 20)
		for i := range want {
			want[i] = i
		}
		require.Equal(t, want, order)
		require.Zero(t, names.Len())
	})
}

// TestNameLimit: a name with limit 3 admits three holders at once, never
// four; other names keep the default of 1.
func TestNameLimit(t *testing.T) {
	t.Parallel()
	names := newNames(t, lock.NameLimit("report", 3))
	var cur, peak atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			l, err := names.Acquire(t.Context(), "report")
			require.NoError(t, err)
			n := cur.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			cur.Add(-1)
			require.NoError(t, l.Release())
		})
	}
	wg.Wait()
	require.LessOrEqual(t, peak.Load(), int32(3))

	a, err := names.TryAcquire("single")
	require.NoError(t, err)
	_, err = names.TryAcquire("single")
	require.ErrorIs(t, err, lock.ErrBusy)
	require.NoError(t, a.Release())

	many := newNames(t, lock.Limit(2))
	x, _ := many.TryAcquire("k")
	y, err := many.TryAcquire("k")
	require.NoError(t, err, "Limit(2) admits two holders of any name")
	_, err = many.TryAcquire("k")
	require.ErrorIs(t, err, lock.ErrBusy)
	require.NoError(t, x.Release())
	require.NoError(t, y.Release())
}

// TestMultiNameIsNotStarved: a request for {a, b} waiting on a is served
// before later requests for b alone, although b is free: they queue behind
// it instead of overtaking it for ever.
func TestMultiNameIsNotStarved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := newNames(t)
		holdA, _ := names.TryAcquire("a")
		got := make(chan lock.Lease)
		go func() {
			l, err := names.AcquireAll(t.Context(), "b", "a")
			require.NoError(t, err)
			got <- l
		}()
		synctest.Wait()
		_, err := names.TryAcquire("b")
		require.ErrorIs(t, err, lock.ErrBusy, "b is promised to the older request")
		require.NoError(t, holdA.Release())
		both := <-got
		_, err = names.TryAcquire("a")
		require.ErrorIs(t, err, lock.ErrBusy)
		require.NoError(t, both.Release())
		require.Zero(t, names.Len())
	})
}

// TestOppositeOrdersDoNotDeadlock: requests naming the same resources in
// opposite orders, many at once.
func TestOppositeOrdersDoNotDeadlock(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			keys := []string{"orders", "customers", "stock"}
			if i%2 == 0 {
				keys = []string{"stock", "customers", "orders"}
			}
			l, err := names.AcquireAll(t.Context(), keys...)
			require.NoError(t, err)
			require.NoError(t, l.Release())
		})
	}
	wg.Wait()
	require.Zero(t, names.Len())
}

// TestRandomResourceSets: 1 000 requests for random sets of 5 resources,
// each checked on entry: no resource is ever held by two at once, and every
// request finishes.
func TestRandomResourceSets(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	var holders [5]atomic.Int32
	var done atomic.Int32
	var wg sync.WaitGroup
	for i := range 1000 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(i), 7))
			var keys []string
			var idx []int
			for r := range 5 {
				if rnd.IntN(3) == 0 {
					keys = append(keys, fmt.Sprint("table-", r))
					idx = append(idx, r)
				}
			}
			if len(keys) == 0 {
				keys, idx = []string{"table-0"}, []int{0}
			}
			l, err := names.AcquireAll(t.Context(), keys...)
			require.NoError(t, err)
			for _, r := range idx {
				if holders[r].Add(1) != 1 {
					t.Errorf("table-%d held twice", r)
				}
			}
			for _, r := range idx {
				holders[r].Add(-1)
			}
			require.NoError(t, l.Release())
			done.Add(1)
		})
	}
	wg.Wait()
	require.EqualValues(t, 1000, done.Load())
	require.Zero(t, names.Len())
}

// TestCancelledWaiterLeavesNoTrace: a waiter whose context ends holds
// nothing, is gone from the line, and does not block those behind it.
func TestCancelledWaiterLeavesNoTrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := newNames(t)
		hold, _ := names.TryAcquire("a")
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() {
			_, err := names.AcquireAll(ctx, "a", "b")
			errc <- err
		}()
		synctest.Wait()
		_, err := names.TryAcquire("b")
		require.ErrorIs(t, err, lock.ErrBusy, "b is promised to the waiter")
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)
		b, err := names.TryAcquire("b")
		require.NoError(t, err, "the cancelled waiter no longer holds b back")
		require.NoError(t, b.Release())
		require.NoError(t, hold.Release())
		require.Zero(t, names.Len())
	})
}

// TestIdleNamesCostNothing: 100 000 distinct names, each used once, leave
// the table empty.
func TestIdleNamesCostNothing(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	for i := range 100_000 {
		l, err := names.Acquire(t.Context(), fmt.Sprint("run-", i))
		require.NoError(t, err)
		require.NoError(t, l.Release())
	}
	require.Zero(t, names.Len())
}

func TestFencingTokensIncrease(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	var last uint64
	for range 10 {
		l, err := names.Acquire(t.Context(), "deploy")
		require.NoError(t, err)
		require.Greater(t, l.Token(), last)
		last = l.Token()
		require.Nil(t, l.Lost(), "an in-process lease cannot be lost")
		require.NoError(t, l.Release())
	}
}

func TestReleaseTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	l, _ := names.TryAcquire("x")
	require.NoError(t, l.Release())
	other, err := names.TryAcquire("x")
	require.NoError(t, err)
	require.NoError(t, l.Release(), "a second release of the old lease")
	_, err = names.TryAcquire("x")
	require.ErrorIs(t, err, lock.ErrBusy, "the second release did not free the new holder's lock")
	require.NoError(t, other.Release())
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]lock.NamesOption{
		"limit 0":            lock.Limit(0),
		"negative limit":     lock.Limit(-2),
		"name limit 0":       lock.NameLimit("x", 0),
		"name limit no name": lock.NameLimit("", 2),
	} {
		_, err := lock.NewNames(opt)
		require.ErrorIs(t, err, lock.ErrInvalid, name)
	}
	names := newNames(t)
	_, err := names.Acquire(t.Context(), "")
	require.ErrorIs(t, err, lock.ErrInvalid)
	_, err = names.TryAcquireAll()
	require.ErrorIs(t, err, lock.ErrInvalid)
	_, err = names.AcquireAll(t.Context(), "a", "")
	require.ErrorIs(t, err, lock.ErrInvalid)

	// Duplicates count once: {a, a} is just a.
	l, err := names.AcquireAll(t.Context(), "a", "a")
	require.NoError(t, err)
	require.NoError(t, l.Release())
	require.Zero(t, names.Len())
}

// TestZeroNamesIsAMutexPerName: a Names declared as a variable works.
func TestZeroNamesIsAMutexPerName(t *testing.T) {
	t.Parallel()
	var n lock.Names
	l, err := n.Acquire(t.Context(), "x")
	require.NoError(t, err)
	_, err = n.TryAcquire("x")
	require.ErrorIs(t, err, lock.ErrBusy)
	require.NoError(t, l.Release())
	l, err = n.TryAcquire("x")
	require.NoError(t, err)
	require.NoError(t, l.Release())
}
