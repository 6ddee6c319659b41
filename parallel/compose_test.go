package parallel_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// TestSeed004CustomerLineThroughGroup: an ETL tool's per-name job queue,
// written as a group. 50 runs of customer "A" (the first held) and 50 of
// distinct customers, limit 2: the distinct ones all finish while A's
// first is held, because A's waiting runs hold no slot; A's runs go one at
// a time, in the order they were added.
func TestSeed004CustomerLineThroughGroup(t *testing.T) {
	t.Parallel()
	var gate paralleltest.Gate
	var rec timeline.Recorder
	g := parallel.NewGroup[string](parallel.MaxWorkers(2), parallel.OnEvent(rec.Hook))
	var mu sync.Mutex
	var orderA []string
	var others atomic.Int32
	othersDone := make(chan struct{})
	for i := range 50 {
		id := fmt.Sprintf("A-%02d", i)
		fn := func(ctx context.Context) (string, error) {
			mu.Lock()
			orderA = append(orderA, id)
			mu.Unlock()
			return id, nil
		}
		if i == 0 {
			fn = func(ctx context.Context) (string, error) {
				mu.Lock()
				orderA = append(orderA, id)
				mu.Unlock()
				return id, gate.Func(id)(ctx)
			}
		}
		g.Add(id, fn, pool.Name("A"))
	}
	for i := range 50 {
		id := fmt.Sprintf("C-%02d", i)
		g.Add(id, func(context.Context) (string, error) {
			if others.Add(1) == 50 {
				close(othersDone)
			}
			return id, nil
		}, pool.Name(id))
	}
	ctx := t.Context()
	go func() {
		select {
		case <-othersDone:
		case <-ctx.Done():
		}
		gate.Release("A-00") // only once every other customer is done
	}()
	res, err := g.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, 100, res.Count(pool.Succeeded))
	want := make([]string, 50)
	for i := range want {
		want[i] = fmt.Sprintf("A-%02d", i)
	}
	require.Equal(t, want, orderA, "A's runs in the order they were added")
	paralleltest.AssertMaxConcurrentByName(t, &rec, "A", 1)
	paralleltest.AssertMaxConcurrent(t, &rec, 2)
	a1, _ := res.Get("A-01")
	require.Equal(t, "A-01", a1.Output)
}

// TestSeed002TableLockThroughPlan: a data platform's row parallelism with
// table locks, as a plan: 5 rows, parallelism 2, rows 0 and 1 write table
// T. They never overlap; the row that waited for T reports that time as
// blocked, not running and not waiting; while it waits it holds no slot,
// so another row runs beside the holder.
func TestSeed002TableLockThroughPlan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type row struct {
			n     int
			table string
		}
		rows := []row{{0, "T"}, {1, "T"}, {2, "U"}, {3, "V"}, {4, "W"}}
		var rec timeline.Recorder
		plan := parallel.NewPlan(parallel.OnEvent(rec.Hook)).Add(
			parallel.Broadcast("rows", rows, func(ctx context.Context, r row) error {
				time.Sleep(time.Second) // the row's work, on fake time
				return nil
			}, parallel.Parallelism(2), parallel.PerItem(func(r row) pool.TaskOption { return pool.Resources(r.table) })),
		)
		res, err := plan.Run(t.Context())
		require.NoError(t, err)
		paralleltest.AssertResourceExclusive(t, &rec, "T")
		paralleltest.AssertExclusive(t, &rec, "rows[0]", "rows[1]")
		paralleltest.AssertMaxConcurrent(t, &rec, 2)
		paralleltest.AssertRanTogether(t, &rec, "rows[0]", "rows[2]") // row 1 waits for T holding no slot
		r1, _ := res.Get("rows[1]")
		require.Equal(t, time.Second, r1.Blocked, "waiting for table T is blocked time")
		require.Equal(t, time.Second, r1.Ran, "only the work is running time")
		r0, _ := res.Get("rows[0]")
		require.Zero(t, r0.Blocked)
		require.Equal(t, time.Second, r0.Ran)
	})
}

// TestFailFastReachesBlockedTasks: under every order in which its gated
// tasks end, a fail_fast group whose tasks share a name starts none of
// its tasks once the failing one has ended, those blocked on the name
// included; they end Skipped, and the name goes on to a task from
// outside the group.
func TestFailFastReachesBlockedTasks(t *testing.T) {
	boom := errors.New("boom")
	synctest.Test(t, func(t *testing.T) {
		paralleltest.ExploreOrders(t, []string{"a", "b", "c"}, func(t testing.TB, run *paralleltest.Run) {
			p, err := pool.New(pool.OnEvent(run.Recorder.Hook))
			require.NoError(t, err)
			defer func() { _ = p.Close() }() // the test has checked what it needs
			g := parallel.NewGroup[struct{}](parallel.OnPool(p), parallel.WithStrategy(strategy.FailFast()), parallel.Label("g"))
			task := func(fn func(context.Context) error) func(context.Context) (struct{}, error) {
				return func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) }
			}
			// a and b run (their names are free); "bad" fails once released.
			g.Add("a", task(run.Gate.Func("a")), pool.Name("x"))
			g.Add("b", task(run.Gate.Wrap("b", func(context.Context) error { return boom })), pool.Name("y"))
			g.Add("c", task(run.Gate.Func("c")), pool.Name("z"))
			// Blocked behind a, b and c: they can only start after one of them ended.
			g.Add("after-a", task(func(context.Context) error { return nil }), pool.Name("x"))
			g.Add("after-b", task(func(context.Context) error { return nil }), pool.Name("y"))
			g.Add("after-c", task(func(context.Context) error { return nil }), pool.Name("z"))
			_, err = g.Run(t.Context())
			require.ErrorIs(t, err, boom)
			paralleltest.AssertNothingStartedAfter(t, run.Recorder, "b")
			paralleltest.AssertFinal(t, run.Recorder, "after-b", pool.Skipped)
			// The name the group held goes on to a task from outside it.
			outside, err := p.Submit(context.Background(), func(context.Context) error { return nil }, pool.Name("y"))
			require.NoError(t, err)
			require.NoError(t, outside.Wait(context.Background()))
		})
	})
}

// TestDecidedGroupCauseIsTheFailure: the context a started group gives its
// caller ends at the first failure, with that failure as its cause, as
// errgroup.WithContext's does.
func TestDecidedGroupCauseIsTheFailure(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	g, ctx := parallel.Start[int](t.Context(), parallel.WithStrategy(strategy.FailFast()))
	g.Add("ok", func(context.Context) (int, error) { return 1, nil })
	g.Add("bad", func(context.Context) (int, error) { return 0, boom })
	<-ctx.Done()
	require.ErrorIs(t, context.Cause(ctx), boom)
	var te *parallel.TaskError
	require.ErrorAs(t, context.Cause(ctx), &te)
	require.Equal(t, "bad", te.ID)
	_, err := g.Wait()
	require.ErrorIs(t, err, boom)
}

// TestStartedGroupTakesTasksFromItsTasks: a crawler's shape. Tasks add
// tasks while the group runs; Wait returns once all have ended, and the
// limit holds throughout.
func TestStartedGroupTakesTasksFromItsTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { startedGroupTakesTasksFromItsTasks(t) })
}

func startedGroupTakesTasksFromItsTasks(t *testing.T) {
	ctx := soon(t)
	var rec timeline.Recorder
	g, _ := parallel.Start[int](ctx, parallel.MaxWorkers(3), parallel.OnEvent(rec.Hook))
	var visit func(depth, n int) func(context.Context) (int, error)
	visit = func(depth, n int) func(context.Context) (int, error) {
		return func(context.Context) (int, error) {
			if depth < 3 {
				for i := range 3 {
					g.Add(fmt.Sprintf("%d.%d.%d", depth+1, n, i), visit(depth+1, n*3+i))
				}
			}
			return depth, nil
		}
	}
	g.Add("root", visit(0, 0))
	res, err := g.Wait()
	noHang(t, ctx, "a group fed by its tasks")
	require.NoError(t, err)
	require.Len(t, res.All(), 1+3+9+27)
	require.Equal(t, 40, res.Count(pool.Succeeded))
	paralleltest.AssertMaxConcurrent(t, &rec, 3)
	again, err2 := g.Wait()
	require.Same(t, res, again, "Wait again returns the same results")
	require.NoError(t, err2)
}

// TestStartedGroupReportsBadIDsWithoutRunningThem: a duplicate ID added
// while the group runs never runs, and Wait says why.
func TestStartedGroupReportsBadIDsWithoutRunningThem(t *testing.T) {
	t.Parallel()
	g, _ := parallel.Start[int](t.Context())
	var runs atomic.Int32
	fn := func(context.Context) (int, error) { runs.Add(1); return 0, nil }
	g.Add("x", fn)
	g.Add("x", fn)
	g.Add("", fn)
	_, err := g.Wait()
	require.ErrorIs(t, err, parallel.ErrDuplicateID)
	require.ErrorIs(t, err, parallel.ErrEmptyID)
	require.Equal(t, int32(1), runs.Load())
}

// TestZeroGroupIsReady: a Group declared as a variable runs with the
// defaults.
func TestZeroGroupIsReady(t *testing.T) {
	t.Parallel()
	var g parallel.Group[int]
	g.Add("a", func(context.Context) (int, error) { return 1, nil })
	g.Add("b", func(context.Context) (int, error) { return 2, nil })
	res, err := g.Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, res.Values())
}

// TestZeroResultsIsReady: a Results declared as a variable has no task
// and no winner; none of its methods panics.
func TestZeroResultsIsReady(t *testing.T) {
	t.Parallel()
	var res parallel.Results[int]
	_, found := res.Get("a")
	require.False(t, found)
	require.Empty(t, res.All())
	require.Empty(t, res.Values())
	require.Empty(t, res.Outputs())
	require.Empty(t, res.Failed())
	require.Zero(t, res.Count(pool.Succeeded))
	id, out, ok := res.Winner()
	require.False(t, ok)
	require.Empty(t, id)
	require.Zero(t, out)
}

// TestMapKeepsOrderAndTypes: outputs come back in the items' order,
// typed, whatever order the items end in.
func TestMapKeepsOrderAndTypes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		items := []int{5, 1, 4, 2, 3}
		out, err := parallel.Map(t.Context(), items, func(_ context.Context, n int) (string, error) {
			time.Sleep(time.Duration(n) * time.Second) // later items end first
			return strconv.Itoa(n * n), nil
		}, parallel.MaxWorkers(5))
		require.NoError(t, err)
		require.Equal(t, []string{"25", "1", "16", "4", "9"}, out)
	})
}

// TestMapStopsAtFirstError: by default Map is fail_fast: the first error
// is returned and queued items never start.
func TestMapStopsAtFirstError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	var started atomic.Int32
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	res, err := parallel.MapResults(t.Context(), items, func(_ context.Context, n int) (int, error) {
		started.Add(1)
		if n == 3 {
			return 0, boom
		}
		return n, nil
	}, parallel.MaxWorkers(1))
	require.ErrorIs(t, err, boom)
	require.Equal(t, int32(4), started.Load(), "limit 1: items 0 to 3 ran, then nothing")
	require.Equal(t, 96, res.Count(pool.Skipped))
	r3, _ := res.Get("3")
	require.Equal(t, pool.Failed, r3.State)
}

// TestMapKeepsOnlySucceededOutputs: an item that failed leaves its zero
// value in Map's outputs, whatever it returned beside its error, under
// every strategy.
func TestMapKeepsOnlySucceededOutputs(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, st := range []strategy.Strategy{strategy.FailFast(), strategy.WaitAll(), strategy.BestEffort()} {
		out, _ := parallel.Map(t.Context(), []string{"a", "b", "c"}, func(_ context.Context, s string) (string, error) {
			if s == "b" {
				return "partial-b", boom
			}
			return s, nil
		}, parallel.MaxWorkers(1), parallel.WithStrategy(st))
		require.Equal(t, "", out[1], st.Kind())
		require.Equal(t, "a", out[0], st.Kind())
		if st.Kind() != strategy.KindFailFast {
			require.Equal(t, []string{"a", "", "c"}, out, st.Kind())
		}
	}
}

// TestMapKeysSerialise: items with the same key never overlap; items with
// other keys run beside them.
func TestMapKeysSerialise(t *testing.T) {
	t.Parallel()
	type order struct {
		customer string
		n        int
	}
	var orders []order
	for i := range 30 {
		orders = append(orders, order{customer: []string{"ann", "bob", "cy"}[i%3], n: i})
	}
	var rec timeline.Recorder
	out, err := parallel.Map(t.Context(), orders, func(_ context.Context, o order) (int, error) {
		return o.n, nil
	}, parallel.MaxWorkers(4), parallel.OnEvent(rec.Hook),
		parallel.PerItem(func(o order) pool.TaskOption { return pool.Name(o.customer) }))
	require.NoError(t, err)
	require.Len(t, out, 30)
	require.Equal(t, 29, out[29])
	for _, c := range []string{"ann", "bob", "cy"} {
		paralleltest.AssertNoOverlap(t, &rec, c)
	}
}

// TestPerNameSettingsOnAGroup: a name's limit, declared once with
// PoolOptions, holds for every task of the name in the group.
func TestPerNameSettingsOnAGroup(t *testing.T) {
	t.Parallel()
	var rec timeline.Recorder
	var gate paralleltest.Gate
	g := parallel.NewGroup[int](parallel.OnEvent(rec.Hook), parallel.PoolOptions(pool.NameLimit("A", 2)))
	for i := range 6 {
		id := fmt.Sprintf("a%d", i)
		held := gate.Func(id)
		g.Add(id, func(ctx context.Context) (int, error) { return i, held(ctx) }, pool.Name("A"))
	}
	go func() {
		<-gate.Started("a0")
		<-gate.Started("a1")
		gate.ReleaseAll()
	}()
	_, err := g.Run(t.Context())
	require.NoError(t, err)
	paralleltest.AssertMaxConcurrentByName(t, &rec, "A", 2)
	paralleltest.AssertRanTogether(t, &rec, "a0", "a1")
}

// TestPlanOutputs: a step's typed value reaches later steps and the
// caller, each run its own.
func TestPlanOutputs(t *testing.T) {
	t.Parallel()
	count := parallel.NewOutput[int]("count")
	plan := parallel.NewPlan().Add(
		parallel.Produce("count", count, func(ctx context.Context) (int, error) {
			n, _ := ctx.Value(runKey{}).(int)
			return n * 10, nil
		}),
		parallel.Do("check", func(ctx context.Context) error {
			n, ok := count.From(ctx)
			want, _ := ctx.Value(runKey{}).(int)
			if !ok || n != want*10 {
				return fmt.Errorf("count.From = %d, %v; want %d", n, ok, want*10)
			}
			return nil
		}),
	)
	var wg sync.WaitGroup
	for i := range 8 { // runs at once keep their own values
		wg.Go(func() {
			res, err := plan.Run(context.WithValue(t.Context(), runKey{}, i))
			if !assertNoError(t, err) {
				return
			}
			n, ok := count.In(res)
			if !ok || n != i*10 {
				t.Errorf("count.In = %d, %v; want %d", n, ok, i*10)
			}
		})
	}
	wg.Wait()
	_, ok := count.From(t.Context())
	require.False(t, ok, "outside a plan run there is no value")
}

type runKey struct{}

func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

// TestStepTaskOptions: a Do step given a name serialises with other steps
// of that name in the same block, and its events carry the name.
func TestStepTaskOptions(t *testing.T) {
	t.Parallel()
	var rec timeline.Recorder
	work := func(context.Context) error { return nil }
	plan := parallel.NewPlan(parallel.OnEvent(rec.Hook)).Add(
		parallel.Do("a", work, parallel.ThreadYes, parallel.TaskOptions(pool.Name("db"))),
		parallel.Do("b", work, parallel.ThreadYes, parallel.TaskOptions(pool.Name("db"))),
		parallel.Do("c", work, parallel.ThreadJoin, parallel.TaskOptions(pool.Resources("disk"))),
	)
	_, err := plan.Run(t.Context())
	require.NoError(t, err)
	paralleltest.AssertNoOverlap(t, &rec, "db")
	tr := timeline.Find(rec.Tracks(), "c")
	require.Len(t, tr, 1)
	require.Equal(t, []string{"disk"}, tr[0].Resources)
	require.Equal(t, "db", timeline.Find(rec.Tracks(), "a")[0].Name)
}

// TestHookPanicReachesTheCaller: a group's or a plan's hook that panics
// makes Run fail with a *pool.HookError; it does not vanish.
func TestHookPanicReachesTheCaller(t *testing.T) {
	t.Parallel()
	hook := func(pool.Event) { panic("hook") }
	g := parallel.NewGroup[int](parallel.OnEvent(hook))
	g.Add("a", func(context.Context) (int, error) { return 1, nil })
	_, err := g.Run(t.Context())
	var he *pool.HookError
	require.ErrorAs(t, err, &he)
	plan := parallel.NewPlan(parallel.OnEvent(hook)).Add(parallel.Do("a", func(context.Context) error { return nil }))
	_, err = plan.Run(t.Context())
	require.ErrorAs(t, err, &he)
}

// TestCallerDeadlineIsNotTheGroupTimeout: a caller's deadline that passes
// before the group's own timeout is reported as the caller's, not as
// ErrTimeout.
func TestCallerDeadlineIsNotTheGroupTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		g := parallel.NewGroup[int](parallel.Timeout(10 * time.Second))
		g.Add("slow", func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
		_, err := g.Run(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.NotErrorIs(t, err, parallel.ErrTimeout)
	})
}

// TestDecidedGroupStartsNoNamedChild: a fail_fast group's task hands work
// to a child that waits for a name held outside the group. Once the group
// is decided, the child never starts, even when the name frees up.
func TestDecidedGroupStartsNoNamedChild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { decidedGroupStartsNoNamedChild(t) })
}

func decidedGroupStartsNoNamedChild(t *testing.T) {
	ctx := soon(t)
	p, err := pool.New()
	require.NoError(t, err)
	defer func() { _ = p.Close() }() // the test has checked what it needs
	release := make(chan struct{})
	holder, err := p.Submit(t.Context(), func(context.Context) error { <-release; return nil }, pool.Name("k"))
	require.NoError(t, err)
	boom := errors.New("boom")
	var childRan atomic.Bool
	childQueued := make(chan *pool.Task, 1)
	g := parallel.NewGroup[int](parallel.OnPool(p), parallel.WithStrategy(strategy.FailFast()))
	g.Add("parent", func(ctx context.Context) (int, error) {
		child, err := p.Submit(ctx, func(context.Context) error { childRan.Store(true); return nil }, pool.Name("k"))
		if err != nil {
			return 0, err
		}
		childQueued <- child
		return 0, child.Wait(ctx)
	})
	g.Add("failer", func(ctx context.Context) (int, error) {
		<-childQueued // fail once the child waits for its name
		return 0, boom
	})
	_, err = g.Run(ctx)
	noHang(t, ctx, "the decided group")
	require.ErrorIs(t, err, boom)
	close(release)
	require.NoError(t, holder.Wait(ctx))
	noHang(t, ctx, "the holder of k")
	require.NoError(t, p.Wait())
	require.False(t, childRan.Load(), "the child was handed its name after the group was decided")
}

// TestGroupRunFromATaskDuringClose: a task still running while its pool
// drains may run a group on that pool; the group's tasks run, as the
// task's own Submits would.
func TestGroupRunFromATaskDuringClose(t *testing.T) {
	t.Parallel()
	p, err := pool.New(pool.MaxWorkers(2))
	require.NoError(t, err)
	res := make(chan error, 1)
	started := make(chan struct{})
	require.NoError(t, p.Go(func(ctx context.Context) error {
		close(started)
		for p.TryGo(func(context.Context) error { return nil }) == nil {
			runtime.Gosched() // until Close has begun
		}
		g := parallel.NewGroup[int](parallel.OnPool(p), parallel.MaxWorkers(1))
		g.Add("a", func(context.Context) (int, error) { return 1, nil })
		g.Add("b", func(context.Context) (int, error) { return 2, nil })
		_, err := g.Run(ctx)
		res <- err
		return nil
	}))
	<-started
	require.NoError(t, p.Close())
	require.NoError(t, <-res)
}

// TestHookPanicOfASharedPoolStaysWithThePool: a group run on a shared
// pool whose hook panics leaves the panic for that pool's Close to report.
func TestHookPanicOfASharedPoolStaysWithThePool(t *testing.T) {
	t.Parallel()
	p, err := pool.New(pool.OnEvent(func(pool.Event) { panic("hook") }))
	require.NoError(t, err)
	g := parallel.NewGroup[int](parallel.OnPool(p), parallel.MaxWorkers(1))
	g.Add("a", func(context.Context) (int, error) { return 1, nil })
	_, err = g.Run(t.Context())
	require.NoError(t, err, "the group's tasks all succeeded")
	var he *pool.HookError
	require.ErrorAs(t, p.Close(), &he)
}

// TestNilContextsPanicWithPrefix: a nil context given to a group or a
// plan is a programming error, reported in the package's words.
func TestNilContextsPanicWithPrefix(t *testing.T) {
	t.Parallel()
	var none context.Context // nil: the point of the test
	for name, call := range map[string]func(){
		"Group.Run":   func() { _, _ = parallel.NewGroup[int]().Run(none) },
		"Group.Start": func() { parallel.NewGroup[int]().Start(none) },
		"Start":       func() { parallel.Start[int](none) },
		"Plan.Run":    func() { _, _ = parallel.NewPlan().Run(none) },
		"Map":         func() { _, _ = parallel.Map(none, []int{1}, func(context.Context, int) (int, error) { return 0, nil }) },
		"Output.From": func() { _, _ = parallel.NewOutput[int]("n").From(none) },
	} {
		require.PanicsWithValue(t, "parallel: nil context", call, name)
	}
}

// TestCallbacksSetWhileRunning: OnSuccess and OnError may be set from
// another goroutine while the group runs (run under -race).
func TestCallbacksSetWhileRunning(t *testing.T) {
	t.Parallel()
	for range 20 {
		g := parallel.NewGroup[int]()
		g.Add("a", func(context.Context) (int, error) { return 1, nil })
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.OnSuccess(func(map[string]int) {})
			g.OnError(func([]parallel.Result[int], error) {})
		}()
		_, err := g.Run(t.Context())
		require.NoError(t, err)
		<-done
	}
}

// TestReentrantGroupTask: a task holding name K runs a group on its pool
// whose task needs K too; with pool.Reentrant it shares the hold instead
// of waiting for a name its parent will only give back after the group.
func TestReentrantGroupTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		defer func() { _ = p.Close() }() // the test has checked what it needs
		task, err := p.Submit(t.Context(), func(ctx context.Context) error {
			g := parallel.NewGroup[int](parallel.OnPool(p))
			g.Add("child", func(context.Context) (int, error) { return 1, nil }, pool.Name("K"), pool.Reentrant())
			_, err := g.Run(ctx)
			return err
		}, pool.Name("K"))
		require.NoError(t, err)
		require.NoError(t, task.Wait(t.Context()))
	})
}
