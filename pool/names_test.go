package pool_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestNoHeadOfLineBlocking is the probe of the names issue: limit 2; 50
// tasks named "A" that each wait on a gate, then 50 tasks of distinct
// names. All 50 distinct tasks finish while the first "A" is still gated,
// and exactly one "A" ever runs at a time.
func TestNoHeadOfLineBlocking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(2))
		var inA peak
		gate := make(chan struct{})
		for range 50 {
			mustGo(t, p, gated(gate, nil, &inA), pool.Name("A"))
		}
		var distinct atomic.Int32
		for i := range 50 {
			mustGo(t, p, func(context.Context) error { distinct.Add(1); return nil }, pool.Name(fmt.Sprint("job-", i)))
		}
		synctest.Wait()
		require.EqualValues(t, 50, distinct.Load(), "distinct names ran beside the gated A")
		require.EqualValues(t, 1, inA.cur.Load())
		s := p.Stats()
		require.Equal(t, 1, s.Running, "the 49 waiting A hold no slot")
		require.Equal(t, 49, s.Blocked)
		close(gate)
		require.NoError(t, p.Wait())
		require.EqualValues(t, 1, inA.max.Load(), "exactly one A at a time")
		require.Zero(t, p.Stats().Names)
	})
}

func TestSameNameRunsInSubmissionOrder(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(4))
	var r recorder
	want := make([]int, 40)
	for i := range want {
		want[i] = i
		mustGo(t, p, r.task(i), pool.Name("nightly"))
	}
	require.NoError(t, p.Wait())
	require.Equal(t, want, r.order())
}

func TestNameLimitAllowsParallelRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(8), pool.NameLimit("thumbnails", 3))
		var pk peak
		gate := make(chan struct{})
		for range 10 {
			mustGo(t, p, gated(gate, nil, &pk), pool.Name("thumbnails"))
		}
		synctest.Wait()
		require.EqualValues(t, 3, pk.cur.Load())
		close(gate)
		require.NoError(t, p.Wait())
		require.EqualValues(t, 3, pk.max.Load())
	})
}

// TestRandomResourceSetsNeverOverlap: 300 tasks over random sets of 5
// resources at limit 4. Each task stays inside its critical section until
// the test lets it go, one task at a time in a random order, so every
// task that could overlap another does so if resources are not
// exclusive: at each step no resource has two users, checked by the tasks
// and from the events; every task ends, and nothing is left in the lock
// table.
func TestRandomResourceSetsNeverOverlap(t *testing.T) {
	for seed := range uint64(5) {
		synctest.Test(t, func(t *testing.T) {
			var c events
			p := newPool(t, pool.MaxWorkers(4), pool.OnEvent(c.hook))
			var users [5]atomic.Int32
			var overlaps atomic.Int32
			var mu sync.Mutex
			inside := map[int]chan struct{}{}
			stop := make(chan struct{})
			t.Cleanup(func() { close(stop) }) // on a failure, before the pool's Close: every task lets go
			rnd := rand.New(rand.NewPCG(seed, 9))
			const n = 300
			for i := range n {
				var keys []string
				var idx []int
				for r := range 5 {
					if rnd.IntN(3) == 0 {
						keys = append(keys, fmt.Sprint("table-", r))
						idx = append(idx, r)
					}
				}
				mustGo(t, p, func(context.Context) error {
					for _, r := range idx {
						if users[r].Add(1) != 1 {
							overlaps.Add(1)
						}
					}
					ch := make(chan struct{})
					mu.Lock()
					inside[i] = ch
					mu.Unlock()
					select { // inside the critical section until let go
					case <-ch:
					case <-stop:
					}
					for _, r := range idx {
						users[r].Add(-1)
					}
					return nil
				}, pool.Resources(keys...))
			}
			for done := 0; done < n; done++ {
				synctest.Wait()
				require.Zero(t, overlaps.Load(), "seed %d: a resource had two users", seed)
				mu.Lock()
				ids := slices.Sorted(maps.Keys(inside))
				mu.Unlock()
				require.NotEmpty(t, ids, "seed %d: %d tasks left and none runs", seed, n-done)
				require.LessOrEqual(t, len(ids), 4)
				id := ids[rnd.IntN(len(ids))]
				mu.Lock()
				close(inside[id])
				delete(inside, id)
				mu.Unlock()
			}
			require.NoError(t, p.Wait())
			require.Zero(t, overlaps.Load())
			tasks, err := checkEvents(c.snapshot(), nil)
			require.NoError(t, err, "seed %d", seed)
			require.Equal(t, n, tasks, "seed %d: every task has events", seed)
			s := p.Stats()
			require.EqualValues(t, n, s.Succeeded)
			require.Zero(t, s.Names)
		})
	}
}

// TestBlockedTaskCancelled: a Submit task waiting for its name is skipped
// as soon as its context ends, while the holder still runs.
func TestBlockedTaskCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t)
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil), pool.Name("deploy"))
		ctx, cancel := context.WithCancel(t.Context())
		task := mustSubmit(t, p, ctx, func(context.Context) error { panic("must not run") }, pool.Name("deploy"))
		synctest.Wait()
		require.Equal(t, pool.Blocked, task.State())
		cancel()
		require.ErrorIs(t, task.Wait(t.Context()), context.Canceled)
		require.Equal(t, pool.Skipped, task.State())
		require.Zero(t, p.Stats().Blocked)
		close(gate)
		require.NoError(t, p.Wait())
		require.Zero(t, p.Stats().Names)
	})
}

// TestIdleNamesInThePoolCostNothing: 100 000 distinct names used once leave
// at most MaxIdleLanes idle lanes (kept for the next batch) once Wait
// returns, and nothing once the pool is closed.
func TestIdleNamesInThePoolCostNothing(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(8))
	for i := range 100_000 {
		mustGo(t, p, succeed, pool.Name(fmt.Sprint("run-", i)), pool.Resources(fmt.Sprint("table-", i%7)))
	}
	require.NoError(t, p.Wait())
	require.Zero(t, p.Stats().Names)
	lanes, resources := pool.TableSizes(p)
	require.LessOrEqual(t, lanes, pool.MaxIdleLanes, "idle lanes kept once Wait returned")
	require.Zero(t, resources, "no resource left in the lock table")
	require.NoError(t, p.Close())
	lanes, _ = pool.TableSizes(p)
	require.Zero(t, lanes, "no lane left once Close returned")
}

// TestIdleLanesGoAfterTheIdleTimeout: the lanes a Wait keeps for the next
// batch are dropped by the reaper once the pool has stayed idle.
func TestIdleLanesGoAfterTheIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(2), pool.IdleTimeout(time.Second))
		for i := range 100 {
			mustGo(t, p, succeed, pool.Name(fmt.Sprint("run-", i)))
		}
		require.NoError(t, p.Wait())
		lanes, _ := pool.TableSizes(p)
		require.Positive(t, lanes, "a Wait keeps idle lanes for the next batch")
		time.Sleep(3 * time.Second) // fake time: past the reaper's tick
		synctest.Wait()
		lanes, _ = pool.TableSizes(p)
		require.Zero(t, lanes, "the reaper drops idle lanes")
	})
}

// TestShutdownSkipsBlockedTasks: a forced shutdown skips tasks waiting for
// their names too, and counts them.
func TestShutdownSkipsBlockedTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New()
		require.NoError(t, err)
		release := make(chan struct{})
		mustGo(t, p, func(ctx context.Context) error { <-release; return nil }, pool.Name("x"))
		for range 3 {
			mustGo(t, p, func(context.Context) error { panic("must not run") }, pool.Name("x"))
		}
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err = p.Shutdown(ctx)
		var se *pool.ShutdownError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 3, se.Skipped)
		require.Equal(t, 1, se.Running)
		close(release)
		require.NoError(t, p.Close())
		s := p.Stats()
		require.EqualValues(t, 3, s.Skipped)
		require.Zero(t, s.Names)
	})
}

// TestReentranceIsADeadlockError: a task holding a name that waits for a
// child needing the same name gets ErrDeadlock at once, not a hang.
func TestReentranceIsADeadlockError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		p := newPool(t, pool.MaxWorkers(2))
		var childErr, otherErr error
		parent := mustSubmit(t, p, ctx, func(ctx context.Context) error {
			child := mustSubmit(t, p, ctx, succeed, pool.Name("K"))
			childErr = child.Wait(ctx)
			other := mustSubmit(t, p, ctx, succeed, pool.Name("L"))
			otherErr = other.Wait(ctx) // a different name: fine
			return nil
		}, pool.Name("K"))
		require.NoError(t, waitTask(t, ctx, parent))
		require.ErrorIs(t, childErr, pool.ErrDeadlock)
		require.NoError(t, otherErr)
		require.NoError(t, waitSoon(t, ctx, p), "the child ran once the parent let go of K")
	})
}

func TestNameOptionsBadInput(t *testing.T) {
	t.Parallel()
	_, err := pool.New(pool.NameLimit("x", 0))
	require.ErrorIs(t, err, pool.ErrInvalid)
	_, err = pool.New(pool.NameLimit("", 2))
	require.ErrorIs(t, err, pool.ErrInvalid)
	root := newPool(t)
	_, err = root.Sub(pool.NameLimit("x", 2))
	require.ErrorIs(t, err, pool.ErrInvalid)
	// An empty name means no serialisation; empty and duplicate resources
	// are ignored.
	mustGo(t, root, succeed, pool.Name(""))
	mustGo(t, root, succeed, pool.Resources("", "t", "t"))
	require.NoError(t, root.Wait())
	require.Zero(t, root.Stats().Names)
}

// TestResourceWaitsAreFIFO: a task needing several resources joins every
// one of their lines when it is submitted, so a later task needing only
// one of them waits behind it instead of starving it.
func TestResourceWaitsAreFIFO(t *testing.T) {
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			p := newPool(t, pool.MaxWorkers(4))
			gate := make(chan struct{})
			mustGo(t, p, gated(gate, nil), pool.Resources("orders"))
			var r recorder
			mustGo(t, p, r.task(1), pool.Resources("orders", "users"))
			mustGo(t, p, r.task(2), pool.Resources("users"))
			synctest.Wait()
			require.Empty(t, r.order(), "users waits behind the task that asked for it first")
			close(gate)
			require.NoError(t, p.Wait())
			require.Equal(t, []int{1, 2}, r.order())
		})
	}
}

// TestManyNamesGiveTheirMemoryBack: after a burst of many distinct names
// and resources in use at once, the drained pool's heap is back to about
// where it started: the tables' maps do not keep their buckets.
func TestManyNamesGiveTheirMemoryBack(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MB")
	}
	p := newPool(t, pool.MaxWorkers(1))
	const n = 200_000
	before := heapInUse()
	release := make(chan struct{})
	mustGo(t, p, func(context.Context) error { <-release; return nil })
	for i := range n {
		key := strconv.Itoa(i)
		mustGo(t, p, func(context.Context) error { return nil }, pool.Name(key), pool.Resources(key))
	}
	close(release)
	require.NoError(t, p.Wait())
	require.Zero(t, p.Stats().Names)
	after := heapInUse()
	require.Less(t, after-min(after, before), uint64(8<<20), "heap grew by %d MB and stayed", (after-before)>>20)
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestWithdrawnWaitersLeaveTheLine: waiters of a busy name that give up
// over and over do not pile up in the name's line.
func TestWithdrawnWaitersLeaveTheLine(t *testing.T) {
	// Not parallel: the heap is measured, and other tests would move it.
	p := newPool(t, pool.NameQueueSize("k", 4))
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	t.Cleanup(open) // on a failure too, before the pool's Close
	mustGo(t, p, func(context.Context) error { <-release; return nil }, pool.Name("k"))
	cycle := func(n int) {
		for range n {
			task, err := p.TrySubmit(t.Context(), func(context.Context) error { return nil }, pool.Name("k"))
			require.NoError(t, err)
			task.Cancel()
		}
	}
	cycle(1000)
	before := heapInUse()
	cycle(100_000)
	after := heapInUse()
	require.Less(t, int64(after)-int64(before), int64(4<<20), "the heap grew by %d KB", (int64(after)-int64(before))>>10)
	open()
	require.NoError(t, p.Wait())
}

// TestBusyPoolKeepsIdleLanesAtReaperTicks: the reaper drops idle lanes only
// when the pool has nothing to do; while it works, a tick would otherwise
// walk every name in use under the pool's lock.
func TestBusyPoolKeepsIdleLanesAtReaperTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(2), pool.IdleTimeout(time.Second))
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil), pool.Name("held"))
		mustGo(t, p, succeed, pool.Name("done"))
		synctest.Wait()             // "done" ran; its worker parked, and the reaper ticks
		time.Sleep(3 * time.Second) // fake time: past several ticks
		synctest.Wait()
		lanes, _ := pool.TableSizes(p)
		require.Equal(t, 2, lanes, "a busy pool keeps its idle lane")
		close(gate)
		require.NoError(t, p.Wait())
		time.Sleep(3 * time.Second)
		synctest.Wait()
		lanes, _ = pool.TableSizes(p)
		require.Zero(t, lanes, "an idle pool drops it")
	})
}

// TestWaitKeepsWhatItKeptForAFullIdleTimeout: what a Wait keeps for the
// next batch stays a full IdleTimeout after it, even when the reaper's
// tick was due sooner.
func TestWaitKeepsWhatItKeptForAFullIdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1), pool.IdleTimeout(time.Second))
		mustGo(t, p, succeed)
		synctest.Wait() // its worker parked: the reaper's tick is due at 1s
		time.Sleep(900 * time.Millisecond)
		mustGo(t, p, succeed, pool.Name("n"))
		require.NoError(t, p.Wait())
		time.Sleep(600 * time.Millisecond) // 1.5s: past the tick first due
		synctest.Wait()
		lanes, _ := pool.TableSizes(p)
		require.Equal(t, 1, lanes, "kept for a full IdleTimeout after Wait")
		time.Sleep(time.Second) // 2.5s
		synctest.Wait()
		lanes, _ = pool.TableSizes(p)
		require.Zero(t, lanes)
	})
}
