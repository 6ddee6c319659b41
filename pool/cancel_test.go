package pool_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestCanceledBeforeStartNeverRuns: a queued task whose context ends is
// skipped at once (its handle does not wait for a slot) and never runs.
func TestCanceledBeforeStartNeverRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil))
		ctx, cancel := context.WithCancelCause(t.Context())
		ran := false
		task := mustSubmit(t, p, ctx, func(context.Context) error { ran = true; return nil })
		require.Equal(t, pool.Waiting, task.State())
		why := errors.New("not needed any more")
		cancel(why)
		<-task.Done() // skipped while the gate is still closed
		require.Equal(t, pool.Skipped, task.State())
		require.ErrorIs(t, task.Err(), why, "the cancellation cause is the task's error")
		require.Zero(t, p.Stats().Waiting)
		close(gate)
		require.NoError(t, p.Wait())
		require.False(t, ran)
	})
}

func TestSubmitWithDoneContextIsSkipped(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	task := mustSubmit(t, p, ctx, func(context.Context) error { panic("must not run") })
	require.ErrorIs(t, task.Wait(t.Context()), context.Canceled)
	require.Equal(t, pool.Skipped, task.State())
}

func TestTaskCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		running := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			<-ctx.Done()
			return context.Cause(ctx)
		})
		queued := mustSubmit(t, p, t.Context(), succeed)
		synctest.Wait()
		queued.Cancel()
		running.Cancel()
		require.ErrorIs(t, running.Wait(t.Context()), context.Canceled)
		require.ErrorIs(t, queued.Wait(t.Context()), context.Canceled)
		require.Equal(t, pool.Canceled, running.State())
		require.Equal(t, pool.Skipped, queued.State())
	})
}

func TestRunningTaskSeesDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		task := mustSubmit(t, p, ctx, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})
		require.ErrorIs(t, task.Wait(t.Context()), context.DeadlineExceeded)
		require.Equal(t, pool.TimedOut, task.State())
		times := task.Times()
		require.Zero(t, times.Waited)
		require.Equal(t, time.Minute, times.Ran)
		require.Equal(t, time.Minute, time.Since(start))
	})
}

func TestTimesSplitWaitingFromRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		mustGo(t, p, func(context.Context) error { sleep(3 * time.Second); return nil })
		task := mustSubmit(t, p, t.Context(), func(context.Context) error { sleep(2 * time.Second); return nil })
		require.NoError(t, task.Wait(t.Context()))
		times := task.Times()
		require.Equal(t, 3*time.Second, times.Waited, "waiting for a slot is not running")
		require.Zero(t, times.Blocked)
		require.Equal(t, 2*time.Second, times.Ran)
	})
}

// TestTimesSplitBlockedFromWaiting: a task that waits for its name is
// Blocked, not Waiting, and neither is running.
func TestTimesSplitBlockedFromWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		mustGo(t, p, func(context.Context) error { sleep(3 * time.Second); return nil }, pool.Name("k"))
		task := mustSubmit(t, p, t.Context(), func(context.Context) error { sleep(2 * time.Second); return nil }, pool.Name("k"))
		require.NoError(t, task.Wait(t.Context()))
		times := task.Times()
		require.Equal(t, 3*time.Second, times.Blocked, "waiting for the name")
		require.Zero(t, times.Waited, "the slot was free once the name was")
		require.Equal(t, 2*time.Second, times.Ran)
	})
}

// TestPoolContextSkipsQueuedGoTasks: when the context given with
// WithContext ends, queued Go tasks never start and Wait reports them.
func TestPoolContextSkipsQueuedGoTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		p := newPool(t, pool.MaxWorkers(1), pool.WithContext(ctx))
		sawCancel := make(chan struct{})
		mustGo(t, p, func(ctx context.Context) error { <-ctx.Done(); close(sawCancel); return ctx.Err() })
		for range 4 {
			mustGo(t, p, func(context.Context) error { panic("must not run") })
		}
		synctest.Wait()
		cancel()
		<-sawCancel
		mustGo(t, p, func(context.Context) error { panic("must not run") })
		err := p.Wait()
		var se *pool.SkippedError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 5, se.Count)
		require.ErrorIs(t, err, context.Canceled)
		s := p.Stats()
		require.EqualValues(t, 5, s.Skipped)
		require.EqualValues(t, 1, s.Canceled)
	})
}

func TestTaskWaitHonoursItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t)
		gate := make(chan struct{})
		task := mustSubmit(t, p, t.Context(), gated(gate, nil))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		require.ErrorIs(t, task.Wait(ctx), context.DeadlineExceeded)
		require.Nil(t, task.Err(), "the task has not ended")
		close(gate)
		require.NoError(t, task.Wait(t.Context()))
	})
}

// TestQueuedTaskNeverStartsAfterItsContextEnded: a task queued behind a
// running sibling that shares its context never starts once that context
// is cancelled, even when the sibling sees the cancellation and returns
// before the cancellation has reached the queued task's own context.
func TestQueuedTaskNeverStartsAfterItsContextEnded(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(1))
	rounds := 20000
	if testing.Short() {
		rounds = 2000
	}
	for range rounds {
		ctx, cancel := context.WithCancel(t.Context())
		running := make(chan struct{})
		first := mustSubmit(t, p, ctx, func(ctx context.Context) error { close(running); <-ctx.Done(); return ctx.Err() })
		var started atomic.Bool
		second := mustSubmit(t, p, ctx, func(context.Context) error { started.Store(true); return nil })
		<-running
		cancel()
		require.ErrorIs(t, first.Wait(t.Context()), context.Canceled)
		require.ErrorIs(t, second.Wait(t.Context()), context.Canceled)
		require.False(t, started.Load(), "a task started after its context was cancelled")
		require.Equal(t, pool.Skipped, second.State())
	}
}
