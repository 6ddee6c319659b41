package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// A snapshot's gauges count the pool and its sub-pools alike: a task
// running, queued or blocked in a sub-pool counts there and in every
// ancestor; its cumulative counts are the pool's own.
func TestStatsGaugesCountSubPools(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		root := newPool(t, pool.MaxWorkers(2))
		mid, err := root.Sub()
		require.NoError(t, err)
		leaf, err := mid.Sub(pool.MaxWorkers(1))
		require.NoError(t, err)

		gate := make(chan struct{})
		hold := func(context.Context) error { <-gate; return nil }
		mustGo(t, leaf, hold) // runs
		mustGo(t, leaf, hold) // waits for the leaf's only slot
		mustGo(t, mid, func(ctx context.Context) error {
			pool.Suspend(ctx, func() { <-gate }) // blocked, holding no slot
			return nil
		})
		synctest.Wait()

		type gauges struct{ running, waiting, blocked int }
		of := func(p *pool.Pool) gauges {
			s := p.Stats()
			return gauges{s.Running, s.Waiting, s.Blocked}
		}
		require.Equal(t, gauges{1, 1, 0}, of(leaf))
		require.Equal(t, gauges{1, 1, 1}, of(mid))
		require.Equal(t, gauges{1, 1, 1}, of(root))
		require.Equal(t, uint64(0), root.Stats().Submitted, "cumulative counts are the pool's own")
		require.Equal(t, uint64(2), leaf.Stats().Submitted)

		close(gate)
		require.NoError(t, leaf.Wait())
		require.NoError(t, mid.Wait())
		require.Equal(t, gauges{0, 0, 0}, of(root))
	})
}

// A task of a name that waits for its child (or a retry's backoff) is
// Blocked and holds no slot: NameStats counts it holding the name, not
// running, as Stats and the events do; it counts as running again once it
// resumes.
func TestNameStatsSuspendedHolderIsNotRunning(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		child, resume := make(chan struct{}), make(chan struct{})
		mustGo(t, p, func(ctx context.Context) error {
			tk, err := p.Submit(ctx, func(context.Context) error { <-child; return nil })
			if err != nil {
				return err
			}
			if err := tk.Wait(ctx); err != nil {
				return err
			}
			<-resume
			return nil
		}, pool.Name("a"))
		synctest.Wait()
		st := p.Stats()
		require.Equal(t, 1, st.Blocked)
		require.Equal(t, 1, st.Running, "the child")
		require.Equal(t, pool.NameStats{Holding: 1}, p.NameStats()["a"])
		close(child)
		synctest.Wait()
		require.Equal(t, pool.NameStats{Holding: 1, Running: 1}, p.NameStats()["a"])
		close(resume)
		require.NoError(t, p.Wait())
		require.Empty(t, p.NameStats())
	})
}
