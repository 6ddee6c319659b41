package pool_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestNameOrderHoldsForEveryKindOfTask: Go tasks with just a name wait for
// it in their pool's queue, other tasks in the name's line. Mixed at
// random (plain Go tasks, Priority ones, Submit tasks, Submit tasks
// withdrawn by their context, from the root and two sub-pools (one at
// limit 1), at name
// limits 1 and 2), every name of limit 1 still starts its tasks in
// submission order, no name runs more at once than its limit, and each
// task runs once at most.
func TestNameOrderHoldsForEveryKindOfTask(t *testing.T) {
	t.Parallel()
	names := []string{"A", "B", "C"}
	for round := range 150 {
		rng := rand.New(rand.NewPCG(uint64(round), 14))
		p := newPool(t, pool.MaxWorkers(1+round%4), pool.NameLimit("C", 2))
		subs := []*pool.Pool{p, mustSub(t, p, pool.MaxWorkers(1)), mustSub(t, p)}
		var (
			mu      sync.Mutex
			started = map[string][]int{}
			ran     = make([]atomic.Int32, 200)
			inside  = map[string]*peak{"A": {}, "B": {}, "C": {}}
			tasks   []*pool.Task
		)
		for i := range ran {
			name := names[rng.IntN(len(names))]
			fn := func(context.Context) error {
				inside[name].enter()
				defer inside[name].leave()
				mu.Lock()
				started[name] = append(started[name], i)
				mu.Unlock()
				ran[i].Add(1)
				if i%3 == 0 {
					runtime.Gosched()
				}
				return nil
			}
			sp := subs[rng.IntN(len(subs))]
			switch k := rng.IntN(10); {
			case k < 6:
				mustGo(t, sp, fn, pool.Name(name))
			case k < 7:
				mustGo(t, sp, fn, pool.Name(name), pool.Priority())
			case k < 9:
				tasks = append(tasks, mustSubmit(t, sp, t.Context(), fn, pool.Name(name)))
			default:
				ctx, cancel := context.WithCancel(t.Context())
				tasks = append(tasks, mustSubmit(t, sp, ctx, fn, pool.Name(name)))
				cancel()
			}
		}
		for _, sp := range subs {
			require.NoError(t, sp.Wait())
		}
		for _, task := range tasks {
			_ = task.Wait(t.Context()) // skipped or done; ran is checked below
		}
		for _, name := range []string{"A", "B"} { // C's two at once start in either order
			order := started[name]
			require.True(t, slices.IsSorted(order), "round %d: %s started out of submission order: %v", round, name, order)
		}
		require.EqualValues(t, 1, inside["A"].max.Load(), "round %d", round)
		require.EqualValues(t, 1, inside["B"].max.Load(), "round %d", round)
		require.LessOrEqual(t, inside["C"].max.Load(), int64(2), "round %d", round)
		for i := range ran {
			require.LessOrEqual(t, ran[i].Load(), int32(1), "round %d: task %d ran twice", round, i)
		}
		require.Empty(t, p.NameStats(), "round %d: a name stayed in use", round)
	}
}

// TestLateWaiterComesAfterPendingTasks: while Go tasks wait for a name in
// the queue, a task that cannot (a Submit task) waits in the line behind
// them, and Go tasks after it behind it, whether the pending tasks reach
// the front before the holder ends (workers free) or after (one worker).
func TestLateWaiterComesAfterPendingTasks(t *testing.T) {
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.MaxWorkers(workers))
				var r recorder
				gate, started := make(chan struct{}), make(chan struct{})
				holderRan := gated(gate, started)
				mustGo(t, p, func(ctx context.Context) error { _ = r.task(0)(ctx); return holderRan(ctx) }, pool.Name("K"))
				<-started
				mustGo(t, p, r.task(1), pool.Name("K"))
				mustGo(t, p, r.task(2), pool.Name("K"))
				late := mustSubmit(t, p, t.Context(), r.task(3), pool.Name("K"))
				mustGo(t, p, r.task(4), pool.Name("K"))
				synctest.Wait()
				s := p.Stats()
				require.Equal(t, 1, s.Running)
				require.Equal(t, 4, s.Blocked, "pending and lined tasks are Blocked alike")
				require.Zero(t, s.Waiting)
				require.Equal(t, pool.NameStats{Holding: 1, Running: 1, Blocked: 4}, p.NameStats()["K"])
				close(gate)
				require.NoError(t, late.Wait(t.Context()))
				require.NoError(t, p.Wait())
				require.Equal(t, []int{0, 1, 2, 3, 4}, r.order())
				require.Empty(t, p.NameStats())
			})
		})
	}
}

// TestAbortedPoolsPendingTasksLetTheNameGoOn: a sub-pool shut down by
// force skips its Go tasks pending for a name, and a task of another pool
// waiting for the name behind them still gets it once its holder ends.
func TestAbortedPoolsPendingTasksLetTheNameGoOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(4))
		a, b := mustSub(t, p), mustSub(t, p)
		gate, started := make(chan struct{}), make(chan struct{})
		mustGo(t, a, gated(gate, started), pool.Name("K"))
		<-started
		var pendingRan atomic.Int32
		for range 3 {
			mustGo(t, a, func(context.Context) error { pendingRan.Add(1); return nil }, pool.Name("K"))
		}
		other := mustSubmit(t, b, t.Context(), succeed, pool.Name("K"))
		synctest.Wait()
		require.Equal(t, 3, a.Stats().Blocked)
		require.Equal(t, 1, b.Stats().Blocked)

		ended, cancel := context.WithCancel(t.Context())
		cancel()
		var serr *pool.ShutdownError
		require.ErrorAs(t, a.Shutdown(ended), &serr)
		require.Equal(t, 3, serr.Skipped)
		require.Equal(t, pool.Blocked, other.State(), "the holder still runs")
		close(gate)
		require.NoError(t, other.Wait(t.Context()))
		require.Zero(t, pendingRan.Load())
		require.NoError(t, b.Wait())
		_ = a.Close()
		require.Empty(t, p.NameStats())
	})
}

// TestNamedGoAllocatesNothing: a Go task with a name allocates nothing,
// whether it takes its name or waits for it in the queue: Name keeps the
// caller's key as it is, and the option is read in place.
func TestNamedGoAllocatesNothing(t *testing.T) {
	p := newPool(t, pool.MaxWorkers(1))
	gate, started := make(chan struct{}), make(chan struct{})
	mustGo(t, p, gated(gate, started))
	<-started
	keys := []string{"a", "b", "c", "d"}
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		_ = p.Go(succeed, pool.Name(keys[i%len(keys)]))
		i++
	})
	close(gate)
	require.NoError(t, p.Wait())
	require.Zero(t, allocs)
}

func mustSub(t *testing.T, p *pool.Pool, opts ...pool.Option) *pool.Pool {
	t.Helper()
	s, err := p.Sub(opts...)
	require.NoError(t, err)
	return s
}

// TestPendingTaskClaimsItsSlotFirst: a pending task that takes its name
// (of limit 2) as its sub-pool's one slot frees, and with it ends the
// pending, lets a late waiter of the same pool have the name's other
// place; that waiter must still wait for the slot, which the pending task
// claimed before the name moved on.
func TestPendingTaskClaimsItsSlotFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameLimit("K", 2))
		a := mustSub(t, p, pool.MaxWorkers(1))
		b := mustSub(t, p)

		xGate, xStarted := make(chan struct{}), make(chan struct{})
		mustGo(t, a, gated(xGate, xStarted)) // fills a
		<-xStarted

		hGate, hStarted := make(chan struct{}), make(chan struct{}, 2)
		mustGo(t, b, gated(hGate, hStarted), pool.Name("K"))
		mustGo(t, b, gated(hGate, hStarted), pool.Name("K"))
		<-hStarted
		<-hStarted

		inA := &peak{}
		gate := make(chan struct{})
		mustGo(t, a, gated(gate, nil, inA), pool.Name("K"))                          // pends in a's queue
		late := mustSubmit(t, a, t.Context(), gated(gate, nil, inA), pool.Name("K")) // late, in the line
		close(hGate)                                                                 // K is free; a is full: the pending task stays
		synctest.Wait()

		close(xGate) // a's slot frees: its worker pops the pending task
		synctest.Wait()
		running := a.Stats().Running
		close(gate)
		require.NoError(t, late.Wait(t.Context()))
		require.NoError(t, p.Wait())
		require.LessOrEqual(t, running, 1, "a sub-pool at MaxWorkers(1) ran %d tasks at once", running)
		require.EqualValues(t, 1, inA.max.Load(), "a sub-pool at MaxWorkers(1) ran two tasks at once")
	})
}

// TestShutdownCountsEverySkippedTask: a forced shutdown counts, in
// ShutdownError.Skipped, a waiter of its pool that the name reached while
// the shutdown was skipping the task pending before it.
func TestShutdownCountsEverySkippedTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t)
		a := mustSub(t, p, pool.MaxWorkers(1))
		b := mustSub(t, p)
		xGate, xStarted := make(chan struct{}), make(chan struct{})
		mustGo(t, a, gated(xGate, xStarted))
		<-xStarted
		hGate, hStarted := make(chan struct{}), make(chan struct{})
		mustGo(t, b, gated(hGate, hStarted), pool.Name("K"))
		<-hStarted
		mustGo(t, a, succeed, pool.Name("K"))                       // pends in a
		s := mustSubmit(t, a, t.Context(), succeed, pool.Name("K")) // late, in the line
		close(hGate)
		synctest.Wait()
		ended, cancel := context.WithCancel(t.Context())
		cancel()
		var serr *pool.ShutdownError
		require.ErrorAs(t, a.Shutdown(ended), &serr)
		<-s.Done()
		require.Equal(t, pool.Skipped, s.State())
		close(xGate)
		require.Equal(t, 2, serr.Skipped, "the pending Go task and the Submit task were both skipped")
	})
}

// TestNameOrderSurvivesCompaction: a line with waiters before and after
// pending tasks, most of them withdrawn so that the line is compacted,
// still hands the name out in submission order, whether the pending tasks
// joined the line (their pool free) or took the name from the queue (their
// pool full), with the line's store reusing freed nodes.
func TestNameOrderSurvivesCompaction(t *testing.T) {
	for _, full := range []bool{false, true} {
		for _, joined := range []bool{false, true} {
			t.Run(fmt.Sprint("full=", full, ",joined=", joined), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := newPool(t)
					a := mustSub(t, p, pool.MaxWorkers(1))
					b := mustSub(t, p)
					var r recorder
					{ // warm the line store: more than a thousand freed nodes, reused from then on
						wGate, wStarted := make(chan struct{}), make(chan struct{})
						mustGo(t, b, gated(wGate, wStarted), pool.Name("W"))
						<-wStarted
						for range 1500 {
							mustSubmit(t, b, t.Context(), succeed, pool.Name("W"))
						}
						close(wGate)
						require.NoError(t, b.Wait())
						synctest.Wait()
					}
					hGate, hStarted := make(chan struct{}), make(chan struct{})
					mustGo(t, b, gated(hGate, hStarted), pool.Name("K"))
					<-hStarted
					xGate, xStarted := make(chan struct{}), make(chan struct{})
					if full {
						mustGo(t, a, gated(xGate, xStarted))
						<-xStarted
					}
					var cancels []context.CancelFunc
					sub := func(id int) {
						ctx, cancel := context.WithCancel(t.Context())
						cancels = append(cancels, cancel)
						mustSubmit(t, b, ctx, r.task(id), pool.Name("K"))
					}
					for i := 1; i <= 12; i++ { // early
						sub(i)
					}
					mustGo(t, a, r.task(100), pool.Name("K"))
					mustGo(t, a, r.task(101), pool.Name("K"))
					if joined && !full {
						mustGo(t, a, func(context.Context) error { return nil }) // pumps: the pending ones join the line
					}
					for i := 201; i <= 212; i++ { // late
						sub(i)
					}
					for i := 1; i < 11; i++ {
						cancels[i]() // E2..E11
					}
					synctest.Wait()
					for i := 12; i < 22; i++ {
						cancels[i]() // L1..L10
					}
					synctest.Wait()
					close(hGate)
					synctest.Wait()
					close(xGate)
					require.NoError(t, p.Wait())
					require.NoError(t, a.Wait())
					require.NoError(t, b.Wait())
					require.Equal(t, []int{1, 12, 100, 101, 211, 212}, r.order())
					require.Empty(t, p.NameStats())
				})
			})
		}
	}
}

// TestLateTaskUsesRoomThePendingOnesLeave: at NameLimit 2, a task pending
// in a full sub-pool's queue keeps one place of the name for itself, not
// both: a task of another pool, arriving before or after the name comes
// free, runs in the other place, without waiting for the pending one's
// pool (whose task might be waiting for it).
func TestLateTaskUsesRoomThePendingOnesLeave(t *testing.T) {
	for _, after := range []bool{false, true} {
		t.Run(fmt.Sprint("submitted after the name came free=", after), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				root := newPool(t, pool.NameLimit("N", 2))
				p := mustSub(t, root, pool.MaxWorkers(1))
				q := mustSub(t, root)
				holders, filler := make(chan struct{}), make(chan struct{})
				started := make(chan struct{}, 3)
				for range 2 {
					mustGo(t, q, gated(holders, started), pool.Name("N"))
				}
				mustGo(t, p, gated(filler, started))
				for range 3 {
					<-started
				}
				var pendingRan atomic.Bool
				mustGo(t, p, func(context.Context) error { pendingRan.Store(true); return nil }, pool.Name("N"))
				var late *pool.Task
				if !after {
					late = mustSubmit(t, q, t.Context(), succeed, pool.Name("N"))
				}
				close(holders)
				synctest.Wait()
				if after {
					late = mustSubmit(t, q, t.Context(), succeed, pool.Name("N"))
				}
				synctest.Wait()
				require.Equal(t, pool.Succeeded, late.State(), "the name has room beyond its pending task")
				require.False(t, pendingRan.Load(), "its pool's one slot is still taken")
				require.Equal(t, pool.NameStats{Blocked: 1}, root.NameStats()["N"])
				close(filler)
				require.NoError(t, root.Wait())
				require.NoError(t, p.Wait())
				require.True(t, pendingRan.Load())
				require.Empty(t, root.NameStats())
			})
		})
	}
}
