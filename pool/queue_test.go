package pool_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

func TestQueueIsFIFO(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(1))
	gate := make(chan struct{})
	mustGo(t, p, gated(gate, nil))
	var r recorder
	want := make([]int, 100)
	for i := range want {
		want[i] = i
		mustGo(t, p, r.task(i))
	}
	close(gate)
	require.NoError(t, p.Wait())
	require.Equal(t, want, r.order())
}

func TestPriorityJumpsTheQueueButNotTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		gate := make(chan struct{})
		var pk peak
		mustGo(t, p, gated(gate, nil, &pk))
		var r recorder
		for i := range 3 {
			mustGo(t, p, r.task(i))
		}
		mustGo(t, p, r.task(100), pool.Priority())
		mustSubmit(t, p, t.Context(), r.task(101), pool.Priority())
		synctest.Wait()
		require.Empty(t, r.order(), "priority tasks still wait for the slot")
		close(gate)
		require.NoError(t, p.Wait())
		require.Equal(t, []int{100, 101, 0, 1, 2}, r.order(), "priority first, FIFO among themselves")
		require.EqualValues(t, 1, pk.max.Load())
	})
}

func TestBoundedQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(2))
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil)) // running: not in the queue
		mustGo(t, p, succeed)
		mustGo(t, p, succeed)
		require.Equal(t, 2, p.Stats().Waiting)

		require.ErrorIs(t, p.TryGo(succeed), pool.ErrQueueFull)
		_, err := p.TrySubmit(t.Context(), succeed)
		require.ErrorIs(t, err, pool.ErrQueueFull)

		// A blocking Submit honours its context.
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := p.Submit(ctx, succeed)
			errc <- err
		}()
		synctest.Wait()
		require.Empty(t, errc, "Submit blocks while the queue is full")
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)

		// A blocking Go goes through once there is room.
		ran := make(chan struct{})
		go func() { errc <- p.Go(func(context.Context) error { close(ran); return nil }) }()
		synctest.Wait()
		require.Empty(t, errc)
		close(gate)
		require.NoError(t, <-errc)
		<-ran
		require.NoError(t, p.Wait())
		require.EqualValues(t, 4, p.Stats().Submitted, "the rejected and cancelled submits are not tasks")
	})
}

// TestBoundedQueueNeverExceeded: many submitters against a stalled pool
// never push the queue past its bound.
func TestBoundedQueueNeverExceeded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(2), pool.QueueSize(5))
		gate := make(chan struct{})
		for range 8 {
			go func() {
				for range 10 {
					_ = p.Go(gated(gate, nil))
				}
			}()
		}
		synctest.Wait()
		s := p.Stats()
		require.Equal(t, 2, s.Running)
		require.Equal(t, 5, s.Waiting)
		close(gate)
		synctest.Wait()
		require.NoError(t, p.Wait())
		require.EqualValues(t, 80, p.Stats().Succeeded)
	})
}

func TestSubmitBlockedOnFullQueueFailsWhenClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(1))
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil))
		mustGo(t, p, succeed)
		errc := make(chan error, 1)
		go func() { errc <- p.Go(succeed) }()
		synctest.Wait()
		closed := make(chan error, 1)
		go func() { closed <- p.Close() }()
		require.ErrorIs(t, <-errc, pool.ErrClosed)
		close(gate)
		require.NoError(t, <-closed)
	})
}

// TestBoundedQueueGuardsMemory: a million submits against a stalled pool
// with a bounded queue are refused past the bound, and the heap does not
// grow with them.
func TestBoundedQueueGuardsMemory(t *testing.T) {
	p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(1000))
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	mustGo(t, p, gated(gate, started))
	<-started
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	accepted, refused := 0, 0
	for range 1_000_000 {
		switch err := p.TryGo(succeed); {
		case err == nil:
			accepted++
		case errors.Is(err, pool.ErrQueueFull):
			refused++
		default:
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, 1000, accepted)
	require.Equal(t, 999_000, refused)
	require.Equal(t, 1000, p.Stats().Waiting)
	growth := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	require.Less(t, growth, int64(1<<20), "the heap grew by %d bytes", growth)
	close(gate)
	require.NoError(t, p.Wait())
	require.EqualValues(t, 1001, p.Stats().Succeeded)
}

// TestBlockedSubmitFromATaskGivesItsSlotBack: a task at limit 1 that
// fills its own bounded queue and submits once more waits for room
// without holding its slot, so the queue drains and it goes on.
func TestBlockedSubmitFromATaskGivesItsSlotBack(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(1))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	ran := make(chan string, 2)
	task := mustSubmit(t, p, ctx, func(ctx context.Context) error {
		if err := p.Go(func(context.Context) error { ran <- "b"; return nil }); err != nil {
			return err
		}
		c, err := p.Submit(ctx, func(context.Context) error { ran <- "c"; return nil }) // the queue is full
		if err != nil {
			return err
		}
		return c.Wait(ctx)
	})
	require.NoError(t, task.Wait(ctx), "the blocked submit must not wait for its own slot")
	require.NoError(t, p.Wait())
	require.Len(t, ran, 2)
}

// TestCancelledTasksLeaveABoundedQueue: on a stalled pool with a bounded
// queue, submitting and cancelling over and over never fills the queue,
// and the heap stays put: cancelled entries do not pile up.
func TestCancelledTasksLeaveABoundedQueue(t *testing.T) {
	// Not parallel: the heap is measured, and other tests would move it.
	p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(4))
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // on a failure too, before the pool's Close
	mustGo(t, p, func(context.Context) error { <-release; return nil })
	noop := func(context.Context) error { return nil }
	cycle := func(n int) {
		for range n {
			task, err := p.TrySubmit(t.Context(), noop)
			require.NoError(t, err)
			task.Cancel()
		}
	}
	cycle(1000) // warm up
	before := heapInUse()
	cycle(100_000)
	after := heapInUse()
	require.Less(t, int64(after)-int64(before), int64(4<<20), "the heap grew by %d KB", (int64(after)-int64(before))>>10)
	open()
	require.NoError(t, p.Wait())
}

// TestQueueBoundCountsBlockedTasks: tasks blocked on a name or a resource
// cannot start, so they count against the queue bound.
func TestQueueBoundCountsBlockedTasks(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(4), pool.QueueSize(2))
	release := make(chan struct{})
	mustGo(t, p, func(context.Context) error { <-release; return nil }, pool.Name("k"), pool.Resources("r"))
	require.NoError(t, p.TryGo(func(context.Context) error { return nil }, pool.Name("k")))
	require.NoError(t, p.TryGo(func(context.Context) error { return nil }, pool.Resources("r")))
	require.ErrorIs(t, p.TryGo(func(context.Context) error { return nil }, pool.Resources("r")), pool.ErrQueueFull)
	require.ErrorIs(t, p.TryGo(func(context.Context) error { return nil }), pool.ErrQueueFull)
	close(release)
	require.NoError(t, p.Wait())
}

// TestQueueBoundCountsOnlyTasksThatCannotStart: with slots free, tasks
// waiting only for a worker goroutine to take them do not fill the queue.
func TestQueueBoundCountsOnlyTasksThatCannotStart(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(42), pool.QueueSize(1))
	release := make(chan struct{})
	block := func(context.Context) error { <-release; return nil }
	for i := range 42 {
		require.NoError(t, p.TryGo(block), "task %d of 42 has a free slot", i)
	}
	require.NoError(t, p.TryGo(block), "one may wait")
	require.ErrorIs(t, p.TryGo(block), pool.ErrQueueFull)
	close(release)
	require.NoError(t, p.Wait())
}
