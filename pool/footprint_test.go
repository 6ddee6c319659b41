package pool_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestCancelledQueuedTasksDoNotPileUp: behind a stalled worker, a bounded
// queue filled again and again with tasks that are cancelled while
// queued holds at most a bounded number of entries: the bound is on
// memory, not only on the count of live tasks.
func TestCancelledQueuedTasksDoNotPileUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound = 4
		p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(bound))
		gate, open := gateOnce(t)
		mustGo(t, p, gated(gate, nil))
		synctest.Wait()
		for range 1000 {
			ctx, cancel := context.WithCancel(t.Context())
			for range bound {
				_, err := p.TrySubmit(ctx, succeed)
				require.NoError(t, err)
			}
			cancel()
			synctest.Wait()
		}
		queued, _, watches, _ := pool.Footprint(p)
		require.Zero(t, p.Stats().Waiting)
		require.Zero(t, watches)
		require.LessOrEqual(t, queued, 4*bound, "queue entries held behind a stalled worker, for %d live tasks at most", bound)
		open()
		require.NoError(t, p.Wait())
	})
}

// TestWithdrawnWaitersDoNotPileUp: the same for a name's bounded line:
// waiters withdrawn while the holder is stuck leave no entries behind
// beyond a bound.
func TestWithdrawnWaitersDoNotPileUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound = 4
		p := newPool(t, pool.NameQueueSize("k", bound))
		gate, open := gateOnce(t)
		mustGo(t, p, gated(gate, nil), pool.Name("k"))
		synctest.Wait()
		for range 1000 {
			ctx, cancel := context.WithCancel(t.Context())
			for range bound {
				_, err := p.TrySubmit(ctx, succeed, pool.Name("k"))
				require.NoError(t, err)
			}
			cancel()
			synctest.Wait()
		}
		_, lines, _, _ := pool.Footprint(p)
		require.Zero(t, p.Stats().Blocked)
		require.LessOrEqual(t, lines, 4*bound, "line entries held behind a stuck holder, for %d live waiters at most", bound)
		open()
		require.NoError(t, p.Wait())
	})
}

// TestCloseLeavesNoResourceHeld: a task skipped while it held its
// resources (granted, queued for a slot, then cancelled) gives them back
// by the time Close returns: Close promises that nothing of the pool is
// left, no goroutine and no entry in the lock table.
func TestCloseLeavesNoResourceHeld(t *testing.T) {
	for i := range 200 {
		synctest.Test(t, func(t *testing.T) {
			p, err := pool.New(pool.MaxWorkers(1))
			require.NoError(t, err)
			gate := make(chan struct{})
			started := make(chan struct{})
			mustGo(t, p, gated(gate, started))
			<-started
			ctx, cancel := context.WithCancel(t.Context())
			task := mustSubmit(t, p, ctx, succeed, pool.Resources("orders"))
			require.Equal(t, pool.Waiting, task.State(), "it holds orders and waits for the slot")
			cancel()
			<-task.Done()
			close(gate)
			require.NoError(t, p.Close())
			require.Zero(t, p.Stats().Names, "round %d: a resource still held after Close returned", i)
			_, resources := pool.TableSizes(p)
			require.Zero(t, resources, "round %d", i)
		})
	}
}

// gateOnce returns a gate and its opener, which may be called more than
// once; the test opens it when it ends, failed or not, before the pool's
// Close, so that a failing test ends instead of hanging its bubble.
func gateOnce(t *testing.T) (<-chan struct{}, func()) {
	gate := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	return gate, open
}
