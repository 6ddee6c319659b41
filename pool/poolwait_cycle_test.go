package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestPoolWaitFromAHolderOfWhatItsTasksNeed: a task holding name K (or
// resource K) submits to a sub-pool a task that needs K, then waits for
// the sub-pool. That wait could never end: Pool.Wait returns ErrDeadlock at
// once. Once the holder has ended, the task gets K and runs. Both kinds of
// waiting task are covered: a Go task with just a name (it waits in the
// sub-pool's queue, see pend), and a Submit task (in the name's line).
func TestPoolWaitFromAHolderOfWhatItsTasksNeed(t *testing.T) {
	for _, c := range []struct {
		name   string
		key    pool.TaskOption
		submit bool
	}{
		{"Go with a name", pool.Name("K"), false},
		{"Submit with a name", pool.Name("K"), true},
		{"Go with a resource", pool.Resources("K"), false},
		{"Submit with a resource", pool.Resources("K"), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.MaxWorkers(2))
				sub, err := p.Sub()
				require.NoError(t, err)
				ran := make(chan struct{})
				var waitErr error
				holder := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
					fn := func(context.Context) error { close(ran); return nil }
					if c.submit { // with a context of its own: the holder's ends with it
						_, err = sub.Submit(context.WithoutCancel(ctx), fn, c.key)
					} else {
						err = sub.Go(fn, c.key)
					}
					if err != nil {
						return err
					}
					waitErr = sub.Wait()
					return nil
				}, c.key)
				require.NoError(t, holder.Wait(t.Context()))
				require.ErrorIs(t, waitErr, pool.ErrDeadlock)
				<-ran // after the holder: it got K
				require.NoError(t, sub.Wait())
			})
		})
	}
}

// TestPoolWaitWhoseTasksCanEnd: the same shapes with a key the waiter does
// not hold, and with one it holds that no task of the sub-pool needs,
// wait for the tasks and return no error.
func TestPoolWaitWhoseTasksCanEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		sub, err := p.Sub()
		require.NoError(t, err)
		var ran [3]bool
		holder := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			if err := sub.Go(func(context.Context) error { ran[0] = true; return nil }, pool.Name("other")); err != nil {
				return err
			}
			if _, err := sub.Submit(ctx, func(context.Context) error { ran[1] = true; return nil }, pool.Resources("R2")); err != nil {
				return err
			}
			if err := sub.Go(func(context.Context) error { ran[2] = true; return nil }); err != nil {
				return err
			}
			return sub.Wait() // at limit 1: it gives its slot back
		}, pool.Name("K"), pool.Resources("R"))
		require.NoError(t, holder.Wait(t.Context()))
		require.Equal(t, [3]bool{true, true, true}, ran)
	})
}

// TestDeadlockThroughAPoolWait: A holds K and waits for its sub-pool,
// whose task U then submits T, which needs K, and waits for T. U's wait
// closes the cycle (U waits for T, T for A, A for U's pool): it gets
// ErrDeadlock, U ends, and so does A's wait.
func TestDeadlockThroughAPoolWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(2))
		sub, err := p.Sub()
		require.NoError(t, err)
		gate := make(chan struct{})
		var uErr, aWait error
		a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			err := sub.Go(func(ctx context.Context) error {
				<-gate // until A waits for the sub-pool
				c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("K"))
				if err != nil {
					return err
				}
				uErr = c.Wait(ctx)
				return nil
			})
			if err != nil {
				return err
			}
			aWait = sub.Wait()
			return nil
		}, pool.Name("K"))
		synctest.Wait()
		close(gate)
		require.NoError(t, a.Wait(t.Context()))
		require.ErrorIs(t, uErr, pool.ErrDeadlock)
		require.NoError(t, aWait)
		require.NoError(t, p.Wait())
	})
}
