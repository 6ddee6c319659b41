package parallel_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
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

func newGroup[T any](t *testing.T, opts ...parallel.Option) *parallel.Group[T] {
	t.Helper()
	return parallel.NewGroup[T](opts...)
}

func add[T any](t *testing.T, g *parallel.Group[T], id string, fn func(context.Context) (T, error)) {
	t.Helper()
	g.Add(id, fn)
}

// after returns a task that takes d of (fake) time, then returns v and err;
// it gives up early, with the context's error, if cancelled.
func after[T any](d time.Duration, v T, err error) func(context.Context) (T, error) {
	return func(ctx context.Context) (T, error) {
		select {
		case <-time.After(d):
			return v, err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

func states[T any](res *parallel.Results[T]) []pool.State {
	var out []pool.State
	for _, r := range res.All() {
		out = append(out, r.State)
	}
	return out
}

var errDown = errors.New("service down")

// The seed's three-task group at max_workers 3, under each strategy: task
// "b" fails after 1s, "a" succeeds after 2s, "c" succeeds after 3s.
func TestSeedThreeTasks(t *testing.T) {
	type want struct {
		states  []pool.State
		ok      bool
		elapsed time.Duration
		winner  string
	}
	S, F, C := pool.Succeeded, pool.Failed, pool.Canceled
	for name, tc := range map[string]struct {
		s strategy.Strategy
		w want
	}{
		"wait_all":    {strategy.WaitAll(), want{[]pool.State{S, F, S}, false, 3 * time.Second, ""}},
		"fail_fast":   {strategy.FailFast(), want{[]pool.State{C, F, C}, false, time.Second, ""}},
		"best_effort": {strategy.BestEffort(), want{[]pool.State{S, F, S}, true, 3 * time.Second, ""}},
		"race":        {strategy.Race(), want{[]pool.State{S, F, C}, true, 2 * time.Second, "a"}},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGroup[string](t, parallel.WithStrategy(tc.s), parallel.MaxWorkers(3))
				add(t, g, "a", after(2*time.Second, "A", nil))
				add(t, g, "b", after(time.Second, "", errDown))
				add(t, g, "c", after(3*time.Second, "C", nil))
				start := time.Now()
				res, err := g.Run(t.Context())
				require.Equal(t, tc.w.elapsed, time.Since(start))
				require.Equal(t, tc.w.states, states(res))
				if tc.w.ok {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, errDown)
					var te *parallel.TaskError
					require.ErrorAs(t, err, &te)
					require.Equal(t, "b", te.ID)
				}
				id, out, won := res.Winner()
				require.Equal(t, tc.w.winner, id)
				require.Equal(t, tc.w.winner != "", won)
				if won {
					require.Equal(t, "A", out)
				}
				b, _ := res.Get("b")
				require.ErrorIs(t, b.Err, errDown)
			})
		})
	}
}

// TestRaceIsFirstSuccessNotFirstCompletion: a task that fails at once does
// not win; the later success does.
func TestRaceIsFirstSuccessNotFirstCompletion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup[int](t, parallel.WithStrategy(strategy.Race()))
		add(t, g, "fast-fail", func(context.Context) (int, error) { return 0, errDown })
		add(t, g, "slow-win", after(time.Second, 42, nil))
		res, err := g.Run(t.Context())
		require.NoError(t, err)
		id, out, ok := res.Winner()
		require.True(t, ok)
		require.Equal(t, "slow-win", id)
		require.Equal(t, 42, out)
	})
}

func TestRaceAllFailJoinsErrorsInSubmissionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup[int](t, parallel.WithStrategy(strategy.Race()))
		add(t, g, "one", after(3*time.Second, 0, errors.New("one broke")))
		add(t, g, "two", after(time.Second, 0, errors.New("two broke")))
		_, err := g.Run(t.Context())
		require.EqualError(t, err, "task \"one\": one broke\ntask \"two\": two broke")
	})
}

func TestEmptyGroups(t *testing.T) {
	t.Parallel()
	for _, s := range []strategy.Strategy{strategy.WaitAll(), strategy.FailFast(), strategy.BestEffort()} {
		res, err := newGroup[int](t, parallel.WithStrategy(s)).Run(t.Context())
		require.NoError(t, err, s.String())
		require.Empty(t, res.All())
	}
	_, err := newGroup[int](t, parallel.WithStrategy(strategy.Race())).Run(t.Context())
	require.ErrorIs(t, err, strategy.ErrNoWinner)
}

// TestFailFastLeavesQueuedTasksSkipped: limit 1, ten tasks, the second
// fails: the other eight never start.
func TestFailFastLeavesQueuedTasksSkipped(t *testing.T) {
	t.Parallel()
	g := newGroup[int](t, parallel.WithStrategy(strategy.FailFast()), parallel.MaxWorkers(1))
	var ran atomic.Int32
	for i := range 10 {
		add(t, g, fmt.Sprint("t", i), func(context.Context) (int, error) {
			ran.Add(1)
			if i == 1 {
				return 0, errDown
			}
			return i, nil
		})
	}
	res, err := g.Run(t.Context())
	require.ErrorIs(t, err, errDown)
	require.EqualValues(t, 2, ran.Load())
	require.Equal(t, 1, res.Count(pool.Succeeded))
	require.Equal(t, 1, res.Count(pool.Failed))
	require.Equal(t, 8, res.Count(pool.Skipped))
}

// TestTimeoutCountsQueuedTime: limit 1 and three slow tasks under a 1s
// timeout: the first runs and times out, the other two never start.
func TestTimeoutCountsQueuedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup[int](t, parallel.MaxWorkers(1), parallel.Timeout(time.Second))
		for _, id := range []string{"x", "y", "z"} {
			add(t, g, id, after(time.Hour, 1, nil))
		}
		start := time.Now()
		res, err := g.Run(t.Context())
		require.Equal(t, time.Second, time.Since(start))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, parallel.ErrTimeout)
		require.Equal(t, []pool.State{pool.TimedOut, pool.Skipped, pool.Skipped}, states(res))
		x, _ := res.Get("x")
		require.Equal(t, time.Second, x.Ran)
		y, _ := res.Get("y")
		require.Equal(t, time.Second, y.Waited, "a task that never started waited its whole life")
	})
}

func TestBestEffortTolerance(t *testing.T) {
	t.Parallel()
	run := func(s strategy.Strategy, fails int) (*parallel.Results[int], error) {
		g := newGroup[int](t, parallel.WithStrategy(s), parallel.MaxWorkers(1))
		for i := range 10 {
			add(t, g, fmt.Sprint(i), func(context.Context) (int, error) {
				if i < fails {
					return 0, errDown
				}
				return i, nil
			})
		}
		return g.Run(t.Context())
	}
	res, err := run(strategy.BestEffort().Tolerate(2), 2)
	require.NoError(t, err)
	require.Len(t, res.Outputs(), 8)

	res, err = run(strategy.BestEffort().Tolerate(2), 4)
	require.ErrorIs(t, err, strategy.ErrToleranceExceeded)
	require.Equal(t, 3, res.Count(pool.Failed), "it stops at the third failure, like fail_fast")
	require.Equal(t, 7, res.Count(pool.Skipped))

	_, err = run(strategy.BestEffort().TolerateFraction(0.3), 3)
	require.NoError(t, err)
}

func TestCallbacks(t *testing.T) {
	t.Parallel()
	g := newGroup[string](t)
	add(t, g, "a", func(context.Context) (string, error) { return "A", nil })
	add(t, g, "b", func(context.Context) (string, error) { return "B", nil })
	var got map[string]string
	g.OnSuccess(func(out map[string]string) { got = out })
	g.OnError(func([]parallel.Result[string], error) { t.Error("OnError called on success") })
	_, err := g.Run(t.Context())
	require.NoError(t, err)
	require.Equal(t, map[string]string{"a": "A", "b": "B"}, got)

	g = newGroup[string](t)
	add(t, g, "ok", func(context.Context) (string, error) { return "fine", nil })
	add(t, g, "bad", func(context.Context) (string, error) { return "", errDown })
	var failed []parallel.Result[string]
	var groupErr error
	g.OnError(func(f []parallel.Result[string], err error) { failed, groupErr = f, err })
	_, err = g.Run(t.Context())
	require.ErrorIs(t, err, errDown)
	require.Len(t, failed, 1)
	require.Equal(t, "bad", failed[0].ID)
	require.Equal(t, err, groupErr)
}

func TestPanickingCallbackIsAnError(t *testing.T) {
	t.Parallel()
	g := newGroup[int](t)
	add(t, g, "a", func(context.Context) (int, error) { return 1, nil })
	g.OnSuccess(func(map[string]int) { panic("callback bug") })
	_, err := g.Run(t.Context())
	var ce *parallel.CallbackError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "OnSuccess", ce.Callback)
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "callback bug", pe.Value)
}

// TestPanicIsAFailureThatKeepsItsStack: under fail_fast a panic stops the
// group, and the error reaches both the task ID and the panic.
func TestPanicIsAFailureThatKeepsItsStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGroup[int](t, parallel.WithStrategy(strategy.FailFast()))
		slowStarted := make(chan struct{})
		add(t, g, "boom", func(context.Context) (int, error) { <-slowStarted; panic("nil map") })
		add(t, g, "slow", func(ctx context.Context) (int, error) {
			close(slowStarted)
			return after(time.Hour, 1, nil)(ctx)
		})
		res, err := g.Run(t.Context())
		var te *parallel.TaskError
		require.ErrorAs(t, err, &te)
		require.Equal(t, "boom", te.ID)
		var pe *pool.PanicError
		require.ErrorAs(t, err, &pe)
		require.Contains(t, string(pe.Stack), "TestPanicIsAFailureThatKeepsItsStack")
		require.Equal(t, []pool.State{pool.Failed, pool.Canceled}, states(res))
	})
}

// TestGroupOnASharedPool: a group with MaxWorkers on a pool runs in a
// sub-pool: both limits hold.
func TestGroupOnASharedPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(4))
		require.NoError(t, err)
		defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
		var cur, peak atomic.Int32
		g := newGroup[int](t, parallel.OnPool(p), parallel.MaxWorkers(2))
		for i := range 6 {
			add(t, g, fmt.Sprint(i), func(context.Context) (int, error) {
				n := cur.Add(1)
				if n > peak.Load() {
					peak.Store(n)
				}
				time.Sleep(time.Second) // the work itself, in fake time
				cur.Add(-1)
				return i, nil
			})
		}
		start := time.Now()
		res, err := g.Run(t.Context())
		require.NoError(t, err)
		require.Len(t, res.Outputs(), 6)
		require.EqualValues(t, 2, peak.Load())
		require.Equal(t, 3*time.Second, time.Since(start))
	})
}

// TestGroupInsideATaskAtLimitOne: a task runs a group on its own pool at
// limit 1; waiting for the group gives its slot to the group's tasks.
func TestGroupInsideATaskAtLimitOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		defer func() { _ = p.Close() }() // the test has checked what it needs
		task, err := p.Submit(ctx, func(ctx context.Context) error {
			g := parallel.NewGroup[int](parallel.OnPool(p))
			for i := range 3 {
				g.Add(fmt.Sprint(i), func(context.Context) (int, error) { return i, nil })
			}
			res, err := g.Run(ctx)
			if err == nil && len(res.Outputs()) != 3 {
				err = errors.New("missing outputs")
			}
			return err
		})
		require.NoError(t, err)
		err = task.Wait(ctx)
		noHang(t, ctx, "the group inside a task at limit 1")
		require.NoError(t, err)
	})
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	g := newGroup[int](t)
	var ran atomic.Int32
	ok := func(context.Context) (int, error) { ran.Add(1); return 0, nil }
	g.Add("", ok)
	g.Add("x", ok)
	g.Add("x", ok)
	require.PanicsWithValue(t, "parallel: nil task function", func() { g.Add("y", nil) })
	res, err := g.Run(t.Context())
	require.ErrorIs(t, err, parallel.ErrEmptyID)
	require.ErrorIs(t, err, parallel.ErrDuplicateID)
	require.ErrorContains(t, err, `task "x": parallel: duplicate task ID`)
	require.Zero(t, ran.Load(), "misuse found by Add: nothing runs")
	r, _ := res.Get("x")
	require.Equal(t, pool.Skipped, r.State)
	require.PanicsWithValue(t, "parallel: Group.Add after the group's Wait or Run returned", func() { g.Add("z", ok) })
	_, err = g.Run(t.Context())
	require.ErrorIs(t, err, parallel.ErrStarted)
	started := parallel.NewGroup[int]()
	started.Start(t.Context())
	_, err = started.Run(t.Context()) // Run on a started group: ErrStarted, as the sentinel's doc says
	require.ErrorIs(t, err, parallel.ErrStarted)
	_, err = started.Wait()
	require.NoError(t, err)

	for name, opt := range map[string]parallel.Option{
		"negative tolerance":  parallel.WithStrategy(strategy.BestEffort().Tolerate(-1)),
		"fraction above one":  parallel.WithStrategy(strategy.BestEffort().TolerateFraction(2)),
		"negative limit":      parallel.MaxWorkers(-1),
		"negative timeout":    parallel.Timeout(-time.Second),
		"nil pool":            parallel.OnPool(nil),
		"tolerance on a race": parallel.WithStrategy(strategy.Race().Tolerate(1)),
	} {
		_, err := parallel.NewGroup[int](opt).Run(t.Context())
		require.ErrorIs(t, err, parallel.ErrInvalid, name)
	}
}

// TestEveryTaskEndsOnce: whatever the strategy, every task reaches exactly
// one final state, and Run returns only after every started task returned.
// Tasks stay in until the test lets them go, one at a time in a random
// order, and do not look at their context before that (a task slow to
// notice a cancellation): a Run that returns while any is still in fails,
// and so does a Run that never returns once every task is out.
func TestEveryTaskEndsOnce(t *testing.T) {
	for _, s := range []strategy.Strategy{strategy.WaitAll(), strategy.FailFast(), strategy.BestEffort(), strategy.Race()} {
		for seed := range uint64(5) {
			synctest.Test(t, func(t *testing.T) {
				var rec eventLog
				g := newGroup[int](t, parallel.WithStrategy(s), parallel.MaxWorkers(3), parallel.OnEvent(rec.hook))
				rnd := rand.New(rand.NewPCG(seed, 1))
				var mu sync.Mutex
				inside := map[int]chan struct{}{}
				var running atomic.Int32
				stop := make(chan struct{})
				t.Cleanup(func() { close(stop) }) // on a failure: let every task out
				for i := range 30 {
					add(t, g, fmt.Sprint(i), func(ctx context.Context) (int, error) {
						running.Add(1)
						defer running.Add(-1)
						ch := make(chan struct{})
						mu.Lock()
						inside[i] = ch
						mu.Unlock()
						select {
						case <-ch:
						case <-stop:
						}
						switch {
						case i%7 == 3:
							return 0, errDown
						case ctx.Err() != nil:
							return 0, ctx.Err()
						}
						return i, nil
					})
				}
				type outcome struct {
					res *parallel.Results[int]
					err error
				}
				done := make(chan outcome, 1)
				go func() {
					res, err := g.Run(t.Context())
					done <- outcome{res, err}
				}()
				var out outcome
				for {
					synctest.Wait()
					select {
					case out = <-done:
					default:
					}
					if out.res != nil {
						break
					}
					mu.Lock()
					ids := slices.Sorted(maps.Keys(inside))
					mu.Unlock()
					require.NotEmpty(t, ids, "%v seed %d: no task is in and Run has not returned", s, seed)
					id := ids[rnd.IntN(len(ids))]
					mu.Lock()
					close(inside[id])
					delete(inside, id)
					mu.Unlock()
				}
				require.Zero(t, running.Load(), "%v seed %d: Run returned while a task ran", s, seed)
				mu.Lock()
				require.Empty(t, inside, "%v seed %d: Run returned while tasks were still in", s, seed)
				mu.Unlock()
				total := 0
				for _, st := range []pool.State{pool.Succeeded, pool.Failed, pool.Canceled, pool.Skipped, pool.TimedOut} {
					total += out.res.Count(st)
				}
				require.Equal(t, 30, total, "%v seed %d", s, seed)
				for i := range 30 {
					r, ok := out.res.Get(fmt.Sprint(i))
					require.True(t, ok)
					require.True(t, r.State.Final(), "%v seed %d: task %d ended %v", s, seed, i, r.State)
				}
				require.NoError(t, rec.oneFinalEach(30), "%v seed %d", s, seed)
			})
		}
	}
}

// eventLog records a run's events, for checks across tasks.
type eventLog struct {
	mu  sync.Mutex
	all []pool.Event
}

func (l *eventLog) hook(e pool.Event) {
	l.mu.Lock()
	l.all = append(l.all, e)
	l.mu.Unlock()
}

// oneFinalEach checks that n tasks had events and that each has exactly
// one final event, its last. A task skipped before it was queued (the
// group decided first) may have no event at all; that is for the results
// to say, so n bounds the count from above.
func (l *eventLog) oneFinalEach(n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	final := map[uint64]bool{}
	seen := map[uint64]bool{}
	for i, e := range l.all {
		seen[e.Task] = true
		if final[e.Task] {
			return fmt.Errorf("event %d: task %d (%s) entered %v after its final state", i, e.Task, e.ID, e.State)
		}
		final[e.Task] = e.Final()
	}
	if len(seen) > n {
		return fmt.Errorf("%d tasks had events, %d were added", len(seen), n)
	}
	for task := range seen {
		if !final[task] {
			return fmt.Errorf("task %d has no final event", task)
		}
	}
	return nil
}

// TestGroupOnAClosedPool: a group that cannot start reports every task
// Skipped with the reason, rather than no results.
func TestGroupOnAClosedPool(t *testing.T) {
	t.Parallel()
	p, err := pool.New()
	require.NoError(t, err)
	require.NoError(t, p.Close())
	g := newGroup[int](t, parallel.OnPool(p))
	add(t, g, "a", func(context.Context) (int, error) { return 1, nil })
	add(t, g, "b", func(context.Context) (int, error) { return 2, nil })
	res, err := g.Run(t.Context())
	require.ErrorIs(t, err, pool.ErrClosed)
	require.Equal(t, []pool.State{pool.Skipped, pool.Skipped}, states(res))
	a, _ := res.Get("a")
	require.ErrorIs(t, a.Err, pool.ErrClosed)
}

// TestRunWithADoneContext: every task is skipped, none runs, and the group
// fails with the context's error.
func TestRunWithADoneContext(t *testing.T) {
	t.Parallel()
	for _, s := range []strategy.Strategy{strategy.WaitAll(), strategy.FailFast(), strategy.BestEffort(), strategy.Race()} {
		g := newGroup[int](t, parallel.WithStrategy(s))
		for i := range 5 {
			add(t, g, fmt.Sprint(i), func(context.Context) (int, error) { panic("must not run") })
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		res, err := g.Run(ctx)
		require.ErrorIs(t, err, context.Canceled, s.String())
		require.Equal(t, 5, res.Count(pool.Skipped), s.String())
	}
}

// TestTimeoutFailsBestEffort: a best_effort group with a success still
// fails when its timeout cuts other tasks short.
func TestTimeoutFailsBestEffort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := parallel.NewGroup[int](parallel.WithStrategy(strategy.BestEffort()), parallel.Timeout(time.Second))
		g.Add("quick", func(context.Context) (int, error) { return 1, nil })
		g.Add("slow", func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() })
		res, err := g.Run(t.Context())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorIs(t, err, parallel.ErrTimeout)
		r, _ := res.Get("slow")
		require.Equal(t, pool.TimedOut, r.State)
	})
}

// busyPool returns a pool whose one slot, and the name "n", a task holds
// until the test ends, deaf to its context: a forced Shutdown leaves it
// running and skips everything queued behind it.
func busyPool(t *testing.T, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p, err := pool.New(append([]pool.Option{pool.MaxWorkers(1)}, opts...)...)
	require.NoError(t, err)
	release := make(chan struct{})
	t.Cleanup(func() {
		close(release)
		_ = p.Close() // after a Shutdown, its error again
	})
	require.NoError(t, p.Go(func(context.Context) error { <-release; return nil }, pool.Name("n")))
	return p
}

// TestShutdownSkipsWithItsError: the tasks of a group or of a Map that a
// forced Shutdown of their shared pool skipped end Skipped with the
// shutdown's error, whether the pool ran them with Go (no options) or with
// Submit (a name), and the group's error says so too.
func TestShutdownSkipsWithItsError(t *testing.T) {
	one := func(context.Context) (int, error) { return 1, nil }
	cases := []struct {
		name  string
		start func(p *pool.Pool) (wait func() (*parallel.Results[int], error))
	}{
		{"group", func(p *pool.Pool) func() (*parallel.Results[int], error) {
			g := parallel.NewGroup[int](parallel.OnPool(p))
			g.Add("a", one)
			g.Add("b", one)
			g.Start(context.Background())
			return g.Wait
		}},
		{"named group", func(p *pool.Pool) func() (*parallel.Results[int], error) {
			g := parallel.NewGroup[int](parallel.OnPool(p))
			g.Add("a", one, pool.Name("a"))
			g.Add("b", one, pool.Name("b"))
			g.Start(context.Background())
			return g.Wait
		}},
		{"map", func(p *pool.Pool) func() (*parallel.Results[int], error) {
			type ended struct {
				res *parallel.Results[int]
				err error
			}
			done := make(chan ended, 1)
			go func() {
				res, err := parallel.MapResults(context.Background(), []int{1, 2}, func(context.Context, int) (int, error) { return 1, nil },
					parallel.OnPool(p), parallel.WithStrategy(strategy.WaitAll()))
				done <- ended{res, err}
			}()
			return func() (*parallel.Results[int], error) { e := <-done; return e.res, e.err }
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := busyPool(t)
				wait := c.start(p)
				synctest.Wait() // every task is queued behind the busy one
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				var serr *pool.ShutdownError
				require.ErrorAs(t, p.Shutdown(ctx), &serr)
				res, err := wait()
				require.ErrorAs(t, err, &serr)
				require.ErrorIs(t, err, context.Canceled)
				require.Len(t, res.All(), 2)
				for _, r := range res.All() {
					require.Equal(t, pool.Skipped, r.State, r.ID)
					require.ErrorAs(t, r.Err, &serr, r.ID)
				}
			})
		})
	}
}

// TestDroppedGroupTaskCarriesItsError: a group's task that its name's
// overflow policy dropped ends Skipped with ErrDropped, and the group's
// error says so.
func TestDroppedGroupTaskCarriesItsError(t *testing.T) {
	t.Parallel()
	p := busyPool(t, pool.NameOverflow("n", pool.DropNewest))
	g := parallel.NewGroup[int](parallel.OnPool(p))
	g.Add("a", func(context.Context) (int, error) { return 1, nil }, pool.Name("n"))
	res, err := g.Run(t.Context())
	require.ErrorIs(t, err, pool.ErrDropped)
	a, _ := res.Get("a")
	require.Equal(t, pool.Skipped, a.State)
	require.ErrorIs(t, a.Err, pool.ErrDropped)
}

// TestDroppedGroupTaskKeepsItsErrorOnceDecided: a task its name's overflow
// policy dropped, in a group decided afterwards by another task's failure,
// ends Skipped with ErrDropped, not with the cause that decided the group:
// it was skipped before the group was decided, and for another reason.
func TestDroppedGroupTaskKeepsItsErrorOnceDecided(t *testing.T) {
	t.Parallel()
	for _, pol := range []pool.Overflow{pool.DropNewest, pool.KeepLatest} {
		t.Run(pol.String(), func(t *testing.T) {
			boom := errors.New("boom")
			g := parallel.NewGroup[int](
				parallel.WithStrategy(strategy.FailFast()),
				parallel.PoolOptions(pool.NameOverflow("n", pol)),
			)
			hold := func(ctx context.Context) (int, error) { <-ctx.Done(); return 0, ctx.Err() }
			g.Add("hold", hold, pool.Name("n"))
			g.Add("a", func(context.Context) (int, error) { return 1, nil }, pool.Name("n"))
			g.Add("b", func(context.Context) (int, error) { return 2, nil }, pool.Name("n")) // replaces a under KeepLatest
			g.Add("fail", func(context.Context) (int, error) { return 0, boom })
			res, err := g.Run(t.Context())
			require.ErrorIs(t, err, boom)
			a, _ := res.Get("a")
			require.Equal(t, pool.Skipped, a.State)
			want := pool.ErrDropped
			if pol == pool.KeepLatest {
				want = pool.ErrReplaced
			}
			require.ErrorIs(t, a.Err, want)
		})
	}
}

// TestDroppedGroupTaskWaitedNothing: a task its name's policy dropped at
// once never waited for a worker slot: its Result reports no Waited time,
// however long the rest of the group runs after.
func TestDroppedGroupTaskWaitedNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := parallel.NewGroup[int](parallel.PoolOptions(pool.NameOverflow("n", pool.DropNewest)))
		g.Add("hold", func(context.Context) (int, error) { time.Sleep(time.Second); return 1, nil }, pool.Name("n"))
		g.Add("dropped", func(context.Context) (int, error) { return 2, nil }, pool.Name("n"))
		res, err := g.Run(t.Context())
		require.ErrorIs(t, err, pool.ErrDropped)
		d, _ := res.Get("dropped")
		require.Equal(t, pool.Skipped, d.State)
		require.Zero(t, d.Waited, "dropped at once, never queued for a slot")
		require.Zero(t, d.Blocked)
		require.Zero(t, d.Ran)
	})
}

// A task that never started waited for a slot until the run's context
// ended (a decision, a timeout, the caller's cancellation), not until the
// run's last task returned: here a task that ignores its context and runs
// for a second.
func TestNeverStartedTaskWaitedUntilTheRunWasStopped(t *testing.T) {
	for _, stop := range []string{"decided", "timeout", "cancelled"} {
		for _, n := range []int{3, 6} { // limit 2: 3 are submitted at once, 6 fed
			t.Run(fmt.Sprint(stop, "/", n), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					opts := []parallel.Option{parallel.MaxWorkers(2), parallel.WithStrategy(strategy.FailFast())}
					want := 100 * time.Millisecond
					switch stop {
					case "decided":
						want = 0
					case "timeout":
						opts = append(opts, parallel.Timeout(want))
					case "cancelled":
						go func() { time.Sleep(want); cancel() }()
					}
					g := parallel.NewGroup[int](opts...)
					g.Add("slow", func(context.Context) (int, error) { time.Sleep(time.Second); return 0, nil })
					g.Add("second", func(ctx context.Context) (int, error) {
						if stop == "decided" {
							return 0, errBoom
						}
						<-ctx.Done()
						return 0, ctx.Err()
					})
					for i := range n - 2 {
						g.Add(fmt.Sprint("never", i), func(context.Context) (int, error) { return 0, nil })
					}
					res, err := g.Run(ctx)
					require.Error(t, err)
					for i := range n - 2 {
						r, _ := res.Get(fmt.Sprint("never", i))
						require.Equal(t, pool.Skipped, r.State, r.ID)
						require.Equal(t, want, r.Waited, "%s waited for a slot until the run was stopped", r.ID)
						require.Zero(t, r.Ran, r.ID)
					}
				})
			})
		}
	}
}

// TestNilResultsReadAsEmpty: Run on a group already run returns ErrStarted
// and nil results, which read as empty instead of panicking with a nil
// dereference in the caller's loop over them.
func TestNilResultsReadAsEmpty(t *testing.T) {
	t.Parallel()
	g := parallel.NewGroup[int]()
	_, err := g.Run(t.Context())
	require.NoError(t, err)
	res, err := g.Run(t.Context())
	require.ErrorIs(t, err, parallel.ErrStarted)
	require.Empty(t, res.All())
	require.Empty(t, res.Values())
	require.Empty(t, res.Outputs())
	require.Empty(t, res.Failed())
	require.Zero(t, res.Count(pool.Failed))
	_, ok := res.Get("a")
	require.False(t, ok)
	_, _, ok = res.Winner()
	require.False(t, ok)
}

// TestAddRacingWaitEndsCleanly: Adds from goroutines racing the end of
// Wait either panic (the group is over) or run and are reported; none is
// skipped with pool.ErrClosed (which failed a wait_all group whose tasks
// all succeeded), none is Skipped with a nil error, and Add does not race
// with the making of the results (a data race on the group's ID index).
func TestAddRacingWaitEndsCleanly(t *testing.T) {
	t.Parallel()
	for round := range 200 {
		g, _ := parallel.Start[int](t.Context(), parallel.MaxWorkers(2))
		var mu sync.Mutex
		ran := map[string]bool{}
		var accepted atomic.Int64
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 20 {
					id := fmt.Sprintf("%d-%d", w, i)
					func() {
						defer func() {
							if v := recover(); v != nil {
								require.Equal(t, "parallel: Group.Add after the group's Wait or Run returned", v)
							}
						}()
						g.Add(id, func(context.Context) (int, error) {
							mu.Lock()
							ran[id] = true
							mu.Unlock()
							return 0, nil
						})
						accepted.Add(1)
					}()
				}
			})
		}
		res, err := g.Wait()
		wg.Wait()
		require.NoError(t, err, "round %d", round)
		require.Len(t, res.All(), int(accepted.Load()), "round %d: every accepted Add is in the results", round)
		for _, r := range res.All() {
			require.Equal(t, pool.Succeeded, r.State, "round %d: %s: %v", round, r.ID, r.Err)
			require.True(t, ran[r.ID], "round %d: %s", round, r.ID)
		}
	}
}
