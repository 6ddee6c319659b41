package lock_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
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
// four, and a fourth gets it as soon as one of the three lets go; other
// names keep the default of 1.
func TestNameLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := newNames(t, lock.NameLimit("report", 3))
		var cur atomic.Int32
		release := make(chan struct{})
		var wg sync.WaitGroup
		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(func() { cancel(); wg.Wait() }) // on a failure, everyone gives up
		for range 10 {
			wg.Go(func() {
				l, err := names.Acquire(ctx, "report")
				if err != nil {
					if ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				cur.Add(1)
				select { // each holder keeps it until the test lets one go
				case <-release:
				case <-ctx.Done():
				}
				cur.Add(-1)
				require.NoError(t, l.Release())
			})
		}
		for left := 10; left > 0; left-- {
			synctest.Wait()
			require.EqualValues(t, min(3, left), cur.Load(), "with %d left, exactly min(3, left) hold the name", left)
			require.Equal(t, map[string]int{"report": min(3, left)}, lock.Held(names))
			release <- struct{}{} // one holder lets go
		}
		wg.Wait()
		require.Zero(t, names.Len())
	})

	names := newNames(t, lock.NameLimit("report", 3))
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

// TestOppositeOrdersDoNotDeadlock: requests naming overlapping sets of
// resources in every order (each with a twin in the opposite order), all
// waiting at once. The table sorts each request's names, so the order
// given cannot matter by itself: what keeps such requests free of deadlock
// is that a request takes all its names at once and holds none while it
// waits. holdInTurn checks exactly that at every step, and that some
// request holds while any waits: a deadlock fails at once, in synctest,
// instead of hanging.
func TestOppositeOrdersDoNotDeadlock(t *testing.T) {
	all := []string{"orders", "customers", "stock", "users"}
	for seed := range uint64(10) {
		rnd := rand.New(rand.NewPCG(seed, 3))
		var sets [][]string
		for range 30 {
			keys := slices.Clone(all[:2+rnd.IntN(3)])
			rnd.Shuffle(len(keys), func(a, b int) { keys[a], keys[b] = keys[b], keys[a] })
			opposite := slices.Clone(keys)
			slices.Reverse(opposite)
			sets = append(sets, keys, opposite)
		}
		holdInTurn(t, seed, sets)
	}
}

// TestRandomResourceSets: 300 requests for random sets of 5 resources,
// each holding what it got until the test lets it go, one at a time in a
// random order, so that every pair that could overlap would if resources
// were not exclusive: no resource is ever held by two at once, a waiter
// holds nothing, and every request finishes.
func TestRandomResourceSets(t *testing.T) {
	for seed := range uint64(5) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		var sets [][]string
		for range 300 {
			var keys []string
			for r := range 5 {
				if rnd.IntN(3) == 0 {
					keys = append(keys, fmt.Sprint("table-", r))
				}
			}
			if len(keys) == 0 {
				keys = []string{"table-0"}
			}
			sets = append(sets, keys)
		}
		holdInTurn(t, seed, sets)
	}
}

// holdInTurn runs one request per set in a bubble, some arriving while
// others hold. Each holds its names until the test lets it go; the test
// lets one go at a time, in an order drawn from seed, once every
// goroutine has settled. At every step: no name has two holders, the
// table's holders are exactly the granted requests' names (a waiting
// request holds none of its names), and some request holds while any
// waits (no deadlock). Then every request has ended and the table is
// empty.
func holdInTurn(t *testing.T, seed uint64, sets [][]string) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		names := newNames(t)
		rnd := rand.New(rand.NewPCG(seed, 5))
		type holder struct {
			keys    []string
			release chan struct{}
		}
		var mu sync.Mutex
		holders := map[int]holder{}
		var wg sync.WaitGroup
		// On a failure, every request gives up, so that the bubble ends
		// and the other tests still run.
		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(func() {
			cancel()
			wg.Wait()
		})
		for i, keys := range sets {
			wg.Go(func() {
				l, err := names.AcquireAll(ctx, keys...)
				if err != nil {
					if ctx.Err() == nil {
						t.Error(err)
					}
					return
				}
				ch := make(chan struct{})
				mu.Lock()
				holders[i] = holder{keys, ch}
				mu.Unlock()
				select {
				case <-ch:
				case <-ctx.Done():
				}
				if err := l.Release(); err != nil {
					t.Error(err)
				}
			})
			if rnd.IntN(4) == 0 {
				synctest.Wait() // some arrive while others hold
			}
		}
		for done := 0; done < len(sets); done++ {
			synctest.Wait()
			mu.Lock()
			now := maps.Clone(holders)
			mu.Unlock() // not held across a failing check: the requests must be able to give up
			want := map[string]int{}
			for id, h := range now {
				for _, k := range slices.Compact(slices.Sorted(slices.Values(h.keys))) {
					want[k]++
					require.Equal(t, 1, want[k], "seed %d: %s held twice (request %d)", seed, k, id)
				}
			}
			require.Equal(t, want, lock.Held(names), "seed %d: the held names are exactly the granted requests' (no waiter holds part of its set)", seed)
			ids := slices.Sorted(maps.Keys(now))
			require.NotEmpty(t, ids, "seed %d: %d requests wait and none holds: deadlock", seed, len(sets)-done)
			id := ids[rnd.IntN(len(ids))]
			close(now[id].release)
			mu.Lock()
			delete(holders, id)
			mu.Unlock()
		}
		wg.Wait()
		require.Zero(t, names.Len())
	})
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
