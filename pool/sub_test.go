package pool_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestSubPoolCeilings: root limit 5; sub-pool A limit 3 with its own
// sub-pool A1 limit 1; sub-pool B unlimited. Each level's ceiling holds and
// everything together never passes the root's.
func TestSubPoolCeilings(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newPool(t, pool.MaxWorkers(5))
		a, err := root.Sub(pool.MaxWorkers(3))
		require.NoError(t, err)
		a1, err := a.Sub(pool.MaxWorkers(1))
		require.NoError(t, err)
		b, err := root.Sub()
		require.NoError(t, err)

		var all, inA, inA1, inB peak
		gate := make(chan struct{})
		for range 10 {
			mustGo(t, a1, gated(gate, nil, &all, &inA, &inA1))
		}
		synctest.Wait()
		require.EqualValues(t, 1, inA1.cur.Load(), "A1 is limited to 1")
		for range 10 {
			mustGo(t, a, gated(gate, nil, &all, &inA))
		}
		synctest.Wait()
		require.EqualValues(t, 3, inA.cur.Load(), "A and its sub-pool share A's 3 slots")
		for range 10 {
			mustGo(t, b, gated(gate, nil, &all, &inB))
		}
		synctest.Wait()
		require.EqualValues(t, 2, inB.cur.Load(), "B gets what the root has left")
		require.EqualValues(t, 5, all.cur.Load())
		require.Equal(t, 5, root.Stats().Running)
		require.Equal(t, 3, a.Stats().Running)

		close(gate)
		for _, p := range []*pool.Pool{a1, a, b} {
			require.NoError(t, p.Wait())
		}
		require.EqualValues(t, 5, all.max.Load())
		require.EqualValues(t, 3, inA.max.Load())
		require.EqualValues(t, 1, inA1.max.Load())
	})
}

// TestSubPoolsDoNotBlockEachOther: a full sub-pool with a long queue does
// not hold back a sibling's tasks submitted later.
func TestSubPoolsDoNotBlockEachOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		root := newPool(t, pool.MaxWorkers(4))
		slow, _ := root.Sub(pool.MaxWorkers(1))
		fast, _ := root.Sub()
		gate := make(chan struct{})
		for range 50 {
			mustGo(t, slow, gated(gate, nil))
		}
		var r recorder
		for i := range 20 {
			mustGo(t, fast, r.task(i))
		}
		require.NoError(t, fast.Wait())
		require.Len(t, r.order(), 20)
		close(gate)
		require.NoError(t, slow.Wait())
	})
}

func TestSubPoolOptions(t *testing.T) {
	t.Parallel()
	root := newPool(t)
	_, err := root.Sub(pool.IdleTimeout(0))
	require.ErrorIs(t, err, pool.ErrInvalid)
	_, err = root.Sub(pool.MaxWorkers(-2))
	require.ErrorIs(t, err, pool.ErrInvalid)
	// EventBuffer sizes the tree's one event buffer, as OnEvent sets its
	// hook: a sub-pool used to accept it and ignore it.
	_, err = root.Sub(pool.EventBuffer(8))
	require.ErrorIs(t, err, pool.ErrInvalid)
	require.NoError(t, root.Close())
	_, err = root.Sub()
	require.ErrorIs(t, err, pool.ErrClosed)
}

// TestCloseClosesSubPools: closing the root stops intake in its sub-pools
// and drains their queues too.
func TestCloseClosesSubPools(t *testing.T) {
	t.Parallel()
	root := newPool(t, pool.MaxWorkers(2))
	sub, _ := root.Sub(pool.MaxWorkers(1))
	var r recorder
	for i := range 10 {
		mustGo(t, sub, r.task(i))
	}
	require.NoError(t, root.Close())
	require.Len(t, r.order(), 10)
	require.ErrorIs(t, sub.Go(succeed), pool.ErrClosed)
}

// TestSubPoolWithItsOwnContext: a sub-pool's own context gives its tasks
// their values and cancellation, and the parent's end still reaches them.
func TestSubPoolWithItsOwnContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type key struct{}
		root := newPool(t, pool.MaxWorkers(2))
		ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "request-7"))
		sub, err := root.Sub(pool.WithContext(ctx))
		require.NoError(t, err)
		seen := make(chan any, 1)
		mustGo(t, sub, func(ctx context.Context) error { seen <- ctx.Value(key{}); return nil })
		require.Equal(t, "request-7", <-seen)
		require.NoError(t, sub.Wait())

		// Cancelling the sub-pool's context skips its queue, not the root's.
		gate := make(chan struct{})
		mustGo(t, root, gated(gate, nil))
		mustGo(t, root, gated(gate, nil))
		mustGo(t, sub, succeed)
		cancel()
		var se *pool.SkippedError
		require.ErrorAs(t, sub.Wait(), &se)
		close(gate)
		require.NoError(t, root.Wait())

		// A forced shutdown of the root reaches a sub-pool with its own context.
		sub2, err := root.Sub(pool.WithContext(t.Context()))
		require.NoError(t, err)
		stopped := make(chan error, 1)
		mustGo(t, sub2, func(ctx context.Context) error { <-ctx.Done(); stopped <- context.Cause(ctx); return nil })
		synctest.Wait()
		short, stop := context.WithTimeout(t.Context(), time.Second)
		defer stop()
		require.ErrorIs(t, root.Shutdown(short), context.DeadlineExceeded)
		require.ErrorIs(t, <-stopped, context.DeadlineExceeded)
	})
}
