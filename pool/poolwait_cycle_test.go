package pool_test

import (
	"context"
	"sync/atomic"
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
					if err = submitOrGo(ctx, sub, c.submit, fn, c.key); err != nil {
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

// TestRoomWaitOnTasksThatNeedWhatTheSubmitterHolds: a task holding key K
// fills its pool's bounded queue with a task that needs K, then submits
// again. The room it would wait for can only come from a task waiting for
// K: the submit returns ErrDeadlock at once instead of waiting for ever.
// Once the holder has ended, the queued task gets K and runs.
func TestRoomWaitOnTasksThatNeedWhatTheSubmitterHolds(t *testing.T) {
	for _, c := range []struct {
		name   string
		key    pool.TaskOption
		submit bool // the task filling the queue: Submit (in the name's line) or Go (pending)
		again  bool // the second submit: Submit with a context, or Go
	}{
		{"Go with a name, then Submit", pool.Name("K"), false, true},
		{"Go with a name, then Go", pool.Name("K"), false, false},
		{"Submit with a name, then Submit", pool.Name("K"), true, true},
		{"Go with a resource, then Go", pool.Resources("K"), false, false},
		{"Submit with a resource, then Submit", pool.Resources("K"), true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(1))
				ran := make(chan struct{})
				var againErr error
				holder := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
					fn := func(context.Context) error { close(ran); return nil }
					if err := submitOrGo(ctx, p, c.submit, fn, c.key); err != nil {
						return err
					}
					other := func(context.Context) error { return nil }
					if c.again {
						_, againErr = p.Submit(ctx, other)
					} else {
						againErr = p.Go(other)
					}
					return nil
				}, c.key)
				require.NoError(t, holder.Wait(t.Context()))
				require.ErrorIs(t, againErr, pool.ErrDeadlock)
				<-ran // after the holder: it got K
				require.NoError(t, p.Wait())
			})
		})
	}
}

// TestRoomWaitOnTasksThatCanStart: a full queue whose tasks wait for a key
// the submitter does not hold, or for a slot, makes the submit wait, not
// fail: the room comes.
func TestRoomWaitOnTasksThatCanStart(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []pool.TaskOption // nil: the queued task waits for a slot
	}{
		{"name", []pool.TaskOption{pool.Name("other")}},
		{"resource", []pool.TaskOption{pool.Resources("other")}},
		{"slot", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.MaxWorkers(2), pool.QueueSize(1))
				release := make(chan struct{})
				if c.opts != nil {
					// The key's holder, on the second slot, ends once the submit waits.
					mustSubmit(t, p, t.Context(), func(context.Context) error { <-release; return nil }, c.opts...)
				}
				var ran atomic.Int32
				holder := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
					if c.opts == nil {
						// Both slots taken (this task's and a blocked one's):
						// a task queued for a slot counts against the bound.
						if err := p.Go(func(context.Context) error { <-release; return nil }); err != nil {
							return err
						}
					}
					if err := p.Go(func(context.Context) error { ran.Add(1); return nil }, c.opts...); err != nil {
						return err
					}
					go func() { synctest.Wait(); close(release) }() // once the submit below waits
					// Not ctx: it ends with this task, and with it a task still queued.
					_, err := p.Submit(context.WithoutCancel(ctx), func(context.Context) error { ran.Add(1); return nil })
					return err
				}, pool.Name("K"))
				require.NoError(t, holder.Wait(t.Context()))
				require.NoError(t, p.Wait())
				require.EqualValues(t, 2, ran.Load())
			})
		})
	}
}

// TestDeadlockClosedByAWaitOnARoomWaiter: a task holding name K waits for
// room in a queue full of tasks that need resource R. R's holder then
// waits for a task that needs K: that wait closes the cycle (the room
// waiter is one of its edges) and returns ErrDeadlock.
func TestDeadlockClosedByAWaitOnARoomWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(3))
		sub, err := p.Sub(pool.QueueSize(1))
		require.NoError(t, err)
		holdsR := make(chan struct{})
		full := make(chan struct{})
		var roomErr, waitErr error
		rHolder := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			close(holdsR)
			<-full
			synctest.Wait() // the K holder now waits for room in sub
			needsK, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("K"))
			if err != nil {
				return err
			}
			waitErr = needsK.Wait(ctx)
			return nil
		}, pool.Resources("R"))
		<-holdsR
		kHolder := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			if err := sub.Go(func(context.Context) error { return nil }, pool.Resources("R")); err != nil {
				return err
			}
			close(full)
			_, roomErr = sub.Submit(ctx, func(context.Context) error { return nil })
			return nil
		}, pool.Name("K"))
		require.NoError(t, rHolder.Wait(t.Context()))
		require.ErrorIs(t, waitErr, pool.ErrDeadlock)
		require.NoError(t, kHolder.Wait(t.Context()))
		require.NoError(t, roomErr) // R's holder ended: the room came
		require.NoError(t, p.Wait())
	})
}

// submitOrGo submits fn with key to p from the task whose context is ctx:
// with Submit and a context of its own (ctx ends with the task), or Go.
func submitOrGo(ctx context.Context, p *pool.Pool, submit bool, fn func(context.Context) error, key pool.TaskOption) error {
	if submit {
		_, err := p.Submit(context.WithoutCancel(ctx), fn, key)
		return err
	}
	return p.Go(fn, key)
}
