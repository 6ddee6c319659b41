package parallel_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// A group with a limit on a pool of its own hands its tasks to the pool as
// they start (feeding); these tests hold it to what submitting them all at
// once gave: order, a slot given back while a task waits, tasks added from
// inside, and never-fed tasks ending Skipped.

func TestFeedingStartsTasksInOrder(t *testing.T) {
	t.Parallel()
	g := parallel.NewGroup[int](parallel.MaxWorkers(1))
	var mu sync.Mutex
	var order []int
	for i := range 20 {
		g.Add(fmt.Sprint(i), func(context.Context) (int, error) {
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			return i, nil
		})
	}
	res, err := g.Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, 20, res.Count(pool.Succeeded))
	for i, v := range order {
		require.Equal(t, i, v, "limit 1: tasks start in the order they were added")
	}
}

// TestFeedingGivesASuspendedSlotToALaterTask: at limit 1, task 0 gives its
// slot back while it waits for task 2, two tasks behind it.
func TestFeedingGivesASuspendedSlotToALaterTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		g := parallel.NewGroup[int](parallel.MaxWorkers(1))
		done := make(chan struct{})
		g.Add("0", func(ctx context.Context) (int, error) {
			pool.Suspend(ctx, func() { <-done })
			return 0, nil
		})
		for i := 1; i < 5; i++ {
			g.Add(fmt.Sprint(i), func(context.Context) (int, error) {
				if i == 2 {
					close(done)
				}
				return i, nil
			})
		}
		res, err := g.Run(ctx)
		noHang(t, ctx, "a task waiting for a later one at limit 1")
		require.NoError(t, err)
		require.Equal(t, 5, res.Count(pool.Succeeded))
	})
}

// TestFeedingRunsATaskAddedFromInside: at limit 1, a task adds a task and
// waits for it, giving its slot back, while declared tasks are held back.
func TestFeedingRunsATaskAddedFromInside(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		g := parallel.NewGroup[int](parallel.MaxWorkers(1))
		done := make(chan struct{})
		g.Add("parent", func(ctx context.Context) (int, error) {
			g.Add("child", func(context.Context) (int, error) {
				close(done)
				return 1, nil
			})
			pool.Suspend(ctx, func() { <-done })
			return 0, nil
		})
		for i := range 4 {
			g.Add(fmt.Sprint(i), func(context.Context) (int, error) { return i, nil })
		}
		res, err := g.Run(ctx)
		noHang(t, ctx, "a task waiting for the task it added at limit 1")
		require.NoError(t, err)
		require.Equal(t, 6, res.Count(pool.Succeeded))
	})
}

func TestFeedingSkipsWhatItNeverFed(t *testing.T) {
	t.Parallel()
	g := parallel.NewGroup[int](parallel.WithStrategy(strategy.FailFast()), parallel.MaxWorkers(2))
	var ran atomic.Int32
	for i := range 1000 {
		g.Add(fmt.Sprint(i), func(ctx context.Context) (int, error) {
			ran.Add(1)
			if i == 1 {
				return 0, errDown
			}
			<-ctx.Done()
			return 0, ctx.Err()
		})
	}
	res, err := g.Run(t.Context())
	require.ErrorIs(t, err, errDown)
	require.Len(t, res.All(), 1000)
	require.Equal(t, int(ran.Load()), 1000-res.Count(pool.Skipped), "every task that did not run is Skipped")
	r, ok := res.Get("999")
	require.True(t, ok)
	require.Equal(t, pool.Skipped, r.State)
	require.ErrorIs(t, r.Err, errDown, "skipped with the failure that decided the group")
	require.Positive(t, r.Waited)
}

// A group with no limit and a few tasks runs them on goroutines of its own
// (direct); a task that adds tasks gets them run on a pool made then.
func TestDirectRunTasksAddTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		g := parallel.NewGroup[int]()
		for i := range 3 {
			g.Add(fmt.Sprint(i), func(context.Context) (int, error) {
				g.Add(fmt.Sprint(i, "/plain"), func(context.Context) (int, error) { return 1, nil })
				g.Add(fmt.Sprint(i, "/named"), func(context.Context) (int, error) { return 2, nil }, pool.Name("n"))
				return 0, nil
			})
		}
		res, err := g.Run(ctx)
		noHang(t, ctx, "a direct run whose tasks add tasks")
		require.NoError(t, err)
		require.Equal(t, 9, res.Count(pool.Succeeded))
		r, ok := res.Get("2/named")
		require.True(t, ok)
		require.Equal(t, 2, r.Output)
	})
}

// TestDirectRaceWaitsForEveryStartedTask: the race is decided at once, and
// Run still returns only after the losers have returned.
func TestDirectRaceWaitsForEveryStartedTask(t *testing.T) {
	t.Parallel()
	g := parallel.NewGroup[int](parallel.WithStrategy(strategy.Race()))
	var running atomic.Int32
	for i := range 16 {
		g.Add(fmt.Sprint(i), func(ctx context.Context) (int, error) {
			running.Add(1)
			defer running.Add(-1)
			if i == 5 {
				return i, nil
			}
			<-ctx.Done()
			return 0, ctx.Err()
		})
	}
	res, err := g.Run(t.Context())
	require.NoError(t, err)
	require.Zero(t, running.Load(), "Run returned while a task was still running")
	id, out, ok := res.Winner()
	require.True(t, ok)
	require.Equal(t, "5", id)
	require.Equal(t, 5, out)
	for _, r := range res.All() {
		if r.ID != "5" {
			require.Contains(t, []pool.State{pool.Canceled, pool.Skipped}, r.State)
			require.True(t, errors.Is(r.Err, context.Canceled) || r.State == pool.Skipped, r.Err)
		}
	}
}

// TestDirectRunEndsEveryTaskOnce: on goroutines of the group's own, a
// panic and runtime.Goexit are failures, a task past the timeout ends
// TimedOut, and Run still returns.
func TestDirectRunEndsEveryTaskOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		g := parallel.NewGroup[int](parallel.Timeout(time.Second))
		g.Add("panic", func(context.Context) (int, error) { panic("boom") })
		g.Add("goexit", func(context.Context) (int, error) { runtime.Goexit(); return 0, nil })
		g.Add("slow", after(time.Hour, 1, nil))
		g.Add("ok", func(context.Context) (int, error) { return 1, nil })
		res, err := g.Run(ctx)
		noHang(t, ctx, "a direct run with a panic, a Goexit and a timeout")
		require.ErrorIs(t, err, parallel.ErrTimeout)
		require.Len(t, pool.Panics(err), 1)
		require.ErrorIs(t, err, pool.ErrGoexit)
		want := map[string]pool.State{"panic": pool.Failed, "goexit": pool.Failed, "slow": pool.TimedOut, "ok": pool.Succeeded}
		for id, st := range want {
			r, ok := res.Get(id)
			require.True(t, ok, id)
			require.Equal(t, st, r.State, id)
		}
	})
}

// TestFeedingKeepsAnAddedTaskInLine: at limit 1, a task added from inside
// starts after the declared tasks, as it did when they were all queued at
// once.
func TestFeedingKeepsAnAddedTaskInLine(t *testing.T) {
	t.Parallel()
	g := parallel.NewGroup[int](parallel.MaxWorkers(1))
	var mu sync.Mutex
	var order []string
	started := func(id string) {
		mu.Lock()
		order = append(order, id)
		mu.Unlock()
	}
	g.Add("a", func(context.Context) (int, error) {
		started("a")
		g.Add("late", func(context.Context) (int, error) { started("late"); return 0, nil })
		return 0, nil
	})
	for _, id := range []string{"b", "c", "d", "e"} {
		g.Add(id, func(context.Context) (int, error) { started(id); return 0, nil })
	}
	_, err := g.Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c", "d", "e", "late"}, order)
}

// TestFeedingKeepsOrderAboveLimitOne: at limit 3 the run keeps more than
// one task queued in its pool (a window, see feedNext) and tops it up in
// batches; tasks must still start in the order they were added. Each task
// holds its slot until released, and releasing one frees exactly one
// slot, so the task that starts next is exactly the next one in order.
func TestFeedingKeepsOrderAboveLimitOne(t *testing.T) {
	t.Parallel()
	const n, limit = 40, 3
	g := parallel.NewGroup[int](parallel.MaxWorkers(limit))
	started := make(chan int, n)
	gates := make([]chan struct{}, n)
	release := make([]func(), n)
	for i := range n {
		gates[i] = make(chan struct{})
		release[i] = sync.OnceFunc(func() { close(gates[i]) })
		g.Add(fmt.Sprint(i), func(context.Context) (int, error) {
			started <- i
			<-gates[i]
			return i, nil
		})
	}
	done := make(chan error, 1)
	go func() { _, err := g.Run(t.Context()); done <- err }()
	t.Cleanup(func() { // a failed assertion leaves no task blocked
		for _, r := range release {
			r()
		}
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	next := func() int {
		select {
		case i := <-started:
			return i
		case <-time.After(10 * time.Second):
			t.Fatal("no task started with a slot free")
			return -1
		}
	}
	first := map[int]bool{next(): true, next(): true, next(): true}
	require.Equal(t, map[int]bool{0: true, 1: true, 2: true}, first)
	for k := range n - limit {
		release[k]()
		require.Equal(t, k+limit, next(), "the task released was %d", k)
	}
	for k := n - limit; k < n; k++ {
		release[k]()
	}
}

// TestFeedingRunsEveryTaskOnce: many short tasks at limit 4, some of which
// add tasks while the run feeds its pool in batches; every task runs
// exactly once and no more than the limit run at once.
func TestFeedingRunsEveryTaskOnce(t *testing.T) {
	t.Parallel()
	const n, limit = 3000, 4
	g := parallel.NewGroup[int](parallel.MaxWorkers(limit))
	var running, peak atomic.Int32
	runs := make([]atomic.Int32, 2*n)
	var task func(i int) func(context.Context) (int, error)
	task = func(i int) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			now := running.Add(1)
			for {
				p := peak.Load()
				if now <= p || peak.CompareAndSwap(p, now) {
					break
				}
			}
			runs[i].Add(1)
			if i < n && i%3 == 0 {
				g.Add(fmt.Sprint(n+i), task(n+i))
			}
			runtime.Gosched()
			running.Add(-1)
			return i, nil
		}
	}
	for i := range n {
		g.Add(fmt.Sprint(i), task(i))
	}
	res, err := g.Run(t.Context())
	require.NoError(t, err)
	added := (n + 2) / 3
	require.Equal(t, n+added, res.Count(pool.Succeeded))
	for i := range 2 * n {
		want := int32(0)
		if i < n || (i-n)%3 == 0 {
			want = 1
		}
		require.Equal(t, want, runs[i].Load(), "task %d", i)
	}
	require.LessOrEqual(t, peak.Load(), int32(limit))
}

// TestFeedingSubmitsInOrder: the pool numbers tasks as they are
// submitted, and a feeding run must submit them in the order they were
// added, also while start is still submitting the first ones and those
// already started feed more. (A middleware sees each task's number.) The
// interleaving that broke it is rare, hence the rounds.
func TestFeedingSubmitsInOrder(t *testing.T) {
	t.Parallel()
	const rounds, n, limit = 3000, 64, 16
	for round := range rounds {
		seqs := make([]uint64, n)
		mw := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
			var i int
			_, _ = fmt.Sscan(info.ID, &i)
			seqs[i] = info.Task
			return next(ctx)
		}
		g := parallel.NewGroup[int](parallel.MaxWorkers(limit), parallel.WithMiddleware(mw))
		for i := range n {
			g.Add(fmt.Sprint(i), func(context.Context) (int, error) { return i, nil })
		}
		_, err := g.Run(t.Context())
		require.NoError(t, err)
		for i := 1; i < n; i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("round %d: task %d was submitted before task %d: %v", round, i, i-1, seqs)
			}
		}
	}
}
