package pool_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestNestedSubmitAndWaitAtLimitOne: a task submits a child to its own
// pool and waits for it, three levels deep, at limit 1. errgroup, conc,
// ants and pond deadlock here.
func TestNestedSubmitAndWaitAtLimitOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { nestedAtLimitOne(t) })
}

func nestedAtLimitOne(t *testing.T) {
	ctx := soon(t)
	p := newPool(t, pool.MaxWorkers(1))
	var pk peak
	var r recorder
	var level func(depth int) func(context.Context) error
	level = func(depth int) func(context.Context) error {
		return func(ctx context.Context) error {
			pk.enter()
			defer pk.leave()
			if depth < 3 {
				child := mustSubmit(t, p, ctx, level(depth+1))
				pk.leave() // not running while it waits
				err := child.Wait(ctx)
				pk.enter()
				if err != nil {
					return err
				}
			}
			return r.task(depth)(ctx)
		}
	}
	top := mustSubmit(t, p, ctx, level(1))
	require.NoError(t, waitTask(t, ctx, top))
	require.Equal(t, []int{3, 2, 1}, r.order())
	require.EqualValues(t, 1, pk.max.Load())
}

// TestNestedAcrossSubPools: the same through three levels of sub-pools,
// each at limit 1, each level submitting into the next deeper sub-pool.
func TestNestedAcrossSubPools(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { nestedAcrossSubPools(t) })
}

func nestedAcrossSubPools(t *testing.T) {
	ctx := soon(t)
	root := newPool(t, pool.MaxWorkers(1))
	s1, _ := root.Sub(pool.MaxWorkers(1))
	s2, _ := s1.Sub(pool.MaxWorkers(1))
	s3, _ := s2.Sub(pool.MaxWorkers(1))
	levels := []*pool.Pool{root, s1, s2, s3}
	var pk peak
	var run func(i int) func(context.Context) error
	run = func(i int) func(context.Context) error {
		return func(ctx context.Context) error {
			pk.enter()
			defer pk.leave()
			if i+1 == len(levels) {
				return nil
			}
			// Fan out two children so that waiting matters at every level.
			a := mustSubmit(t, levels[i+1], ctx, run(i+1))
			b := mustSubmit(t, levels[i+1], ctx, run(i+1))
			pk.leave()
			defer pk.enter()
			require.NoError(t, a.Wait(ctx))
			return b.Wait(ctx)
		}
	}
	require.NoError(t, waitTask(t, ctx, mustSubmit(t, root, ctx, run(0))))
	require.EqualValues(t, 1, pk.max.Load(), "the root's limit of 1 holds across all levels")
	require.EqualValues(t, 1+2+4+8, root.Stats().Succeeded+s1.Stats().Succeeded+s2.Stats().Succeeded+s3.Stats().Succeeded)
}

// TestSuspendedTaskIsBlockedAndHoldsNoSlot: while a parent waits, its slot
// runs other work and the parent is counted Blocked.
func TestSuspendedTaskIsBlockedAndHoldsNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		childGate := make(chan struct{})
		var child *pool.Task
		parent := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			child = mustSubmit(t, p, ctx, gated(childGate, nil))
			return child.Wait(ctx)
		})
		synctest.Wait()
		require.Equal(t, pool.Blocked, parent.State())
		require.Equal(t, pool.Running, child.State())
		s := p.Stats()
		require.Equal(t, 1, s.Running)
		require.Equal(t, 1, s.Blocked)
		close(childGate)
		require.NoError(t, parent.Wait(t.Context()))
		require.Equal(t, pool.Succeeded, parent.State())
	})
}

// TestResumeWaitsForTheLimit: a parent whose child finished does not run
// beside a task that took the slot meanwhile; it resumes ahead of the
// queued tasks once the slot is free.
func TestResumeWaitsForTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		var pk peak
		var r recorder
		otherGate := make(chan struct{})
		parent := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			pk.enter()
			child := mustSubmit(t, p, ctx, succeed)
			// Queue a long task and two short ones before waiting.
			mustGo(t, p, gated(otherGate, nil, &pk))
			mustGo(t, p, r.task(1))
			mustGo(t, p, r.task(2))
			pk.leave()
			err := child.Wait(ctx)
			pk.enter()
			defer pk.leave()
			_ = r.task(0)(ctx)
			return err
		})
		synctest.Wait()
		require.Equal(t, pool.Blocked, parent.State(), "the gated task holds the slot")
		close(otherGate)
		require.NoError(t, parent.Wait(t.Context()))
		require.NoError(t, p.Wait())
		require.Equal(t, []int{0, 1, 2}, r.order(), "a resume goes before queued work")
		require.EqualValues(t, 1, pk.max.Load())
	})
}

func TestSuspendOutsideAPoolJustWaits(t *testing.T) {
	t.Parallel()
	called := false
	pool.Suspend(t.Context(), func() { called = true })
	require.True(t, called)
}

// TestResumeGoesAheadOfPriorityTasks: a suspended task taking its slot
// back goes ahead of every queued task, Priority ones included: its task
// is already running.
func TestResumeGoesAheadOfPriorityTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		var mu sync.Mutex
		var order []string
		note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		wake := make(chan struct{})
		mustGo(t, p, func(ctx context.Context) error {
			pool.Suspend(ctx, func() { <-wake })
			note("resumed")
			return nil
		})
		synctest.Wait() // suspended: the slot is free
		release := make(chan struct{})
		mustGo(t, p, func(context.Context) error { <-release; return nil })
		synctest.Wait()
		for _, id := range []string{"P1", "P2", "P3"} {
			mustGo(t, p, func(context.Context) error { note(id); return nil }, pool.Priority())
		}
		close(wake)
		synctest.Wait() // the resume entry is queued behind nothing but the running task
		close(release)
		require.NoError(t, p.Wait())
		require.Equal(t, []string{"resumed", "P1", "P2", "P3"}, order)
	})
}
