package parallel_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// The seed's table: steps 1 No, 2 Yes, 3 Yes, 4 Join, 5 Yes, 6 Yes, 7 No.
// Every step is held at a gate, so each stage shows exactly what runs.
func TestSeedThreadTable(t *testing.T) {
	res := staged(t, func(g *gates) *parallel.Plan {
		return parallel.NewPlan().Add(
			parallel.Do("1", g.step("1")),
			parallel.Do("2", g.step("2"), parallel.ThreadYes),
			parallel.Do("3", g.step("3"), parallel.ThreadYes),
			parallel.Do("4", g.step("4"), parallel.ThreadJoin),
			parallel.Do("5", g.step("5"), parallel.ThreadYes),
			parallel.Do("6", g.step("6"), parallel.ThreadYes),
			parallel.Do("7", g.step("7")),
		)
	}, []stage{
		{running: []string{"1"}, release: []string{"1"}},                // 1 finishes before 2 starts
		{running: []string{"2", "3", "4"}, release: []string{"2", "3"}}, // 2, 3, 4 overlap
		{running: []string{"4"}, release: []string{"4"}},                // 5 and 6 wait for all three
		{running: []string{"5", "6"}, release: []string{"5"}},           // 5 and 6 overlap
		{running: []string{"6"}, release: []string{"6"}},                // 7 waits for both
		{running: []string{"7"}, release: []string{"7"}},
	})
	require.Len(t, res.Outputs(), 7)
	require.Equal(t, []string{"1", "2", "3", "4", "5", "6", "7"}, ids(res))
}

// TestBlockRules: a lone Yes step and a Join with no Yes before it run
// alone; a Yes followed by a Join is a block of two.
func TestBlockRules(t *testing.T) {
	staged(t, func(g *gates) *parallel.Plan {
		return parallel.NewPlan().Add(
			parallel.Do("join-alone", g.step("join-alone"), parallel.ThreadJoin),
			parallel.Do("lone-yes", g.step("lone-yes"), parallel.ThreadYes),
			parallel.Do("no", g.step("no")),
			parallel.Do("yes", g.step("yes"), parallel.ThreadYes),
			parallel.Do("join", g.step("join"), parallel.ThreadJoin),
			parallel.Do("last-yes", g.step("last-yes"), parallel.ThreadYes),
		)
	}, []stage{
		{running: []string{"join-alone"}, release: []string{"join-alone"}},
		{running: []string{"lone-yes"}, release: []string{"lone-yes"}},
		{running: []string{"no"}, release: []string{"no"}},
		{running: []string{"join", "yes"}, release: []string{"join", "yes"}},
		{running: []string{"last-yes"}, release: []string{"last-yes"}},
	})
}

// TestInlineContinuesTheBlock: a threaded Inline step whose plan starts
// with threaded steps extends the enclosing block into them, up to the
// inlined plan's Join; the rest of the inlined plan follows in order.
func TestInlineContinuesTheBlock(t *testing.T) {
	res := staged(t, func(g *gates) *parallel.Plan {
		reports := parallel.NewPlan().Add(
			parallel.Do("pdf", g.step("reports/pdf"), parallel.ThreadYes),
			parallel.Do("csv", g.step("reports/csv"), parallel.ThreadJoin),
			parallel.Do("archive", g.step("reports/archive")),
		)
		return parallel.NewPlan().Add(
			parallel.Do("users", g.step("users"), parallel.ThreadYes),
			parallel.Inline("reports", reports, parallel.ThreadYes),
			parallel.Do("notify", g.step("notify")),
		)
	}, []stage{
		{running: []string{"reports/csv", "reports/pdf", "users"}, release: []string{"reports/csv", "reports/pdf"}},
		{running: []string{"users"}, release: []string{"users"}},
		{running: []string{"reports/archive"}, release: []string{"reports/archive"}},
		{running: []string{"notify"}, release: []string{"notify"}},
	})
	require.Equal(t, []string{"users", "reports/pdf", "reports/csv", "reports/archive", "notify"}, ids(res))
}

// TestInlineContinuesAtAnyDepth: the block runs on through two levels of
// inlined plans, up to the Join two levels down; the steps after it, in
// each plan, follow in plan order as if every inlined plan stood in place.
func TestInlineContinuesAtAnyDepth(t *testing.T) {
	staged(t, func(g *gates) *parallel.Plan {
		inner := parallel.NewPlan().Add(
			parallel.Do("x", g.step("a/b/x"), parallel.ThreadYes),
			parallel.Do("y", g.step("a/b/y"), parallel.ThreadJoin),
			parallel.Do("tail", g.step("a/b/tail")),
		)
		middle := parallel.NewPlan().Add(
			parallel.Inline("b", inner, parallel.ThreadYes),
			parallel.Do("z", g.step("a/z"), parallel.ThreadYes),
			parallel.Do("w", g.step("a/w"), parallel.ThreadJoin),
		)
		return parallel.NewPlan().Add(
			parallel.Do("first", g.step("first"), parallel.ThreadYes),
			parallel.Inline("a", middle, parallel.ThreadYes),
			parallel.Do("after", g.step("after")),
		)
	}, []stage{
		{running: []string{"a/b/x", "a/b/y", "first"}, release: []string{"a/b/x", "a/b/y", "first"}},
		{running: []string{"a/b/tail"}, release: []string{"a/b/tail"}},
		{running: []string{"a/w", "a/z"}, release: []string{"a/w", "a/z"}},
		{running: []string{"after"}, release: []string{"after"}},
	})
}

// TestInlineAsOneMember: an inlined plan whose first step is not threaded
// is one member of the block, which runs its own steps in order while the
// other members run.
func TestInlineAsOneMember(t *testing.T) {
	staged(t, func(g *gates) *parallel.Plan {
		audit := parallel.NewPlan().Add(
			parallel.Do("scan", g.step("audit/scan")),
			parallel.Do("diff", g.step("audit/diff")),
		)
		return parallel.NewPlan().Add(
			parallel.Do("users", g.step("users"), parallel.ThreadYes),
			parallel.Inline("audit", audit, parallel.ThreadYes),
			parallel.Do("orders", g.step("orders"), parallel.ThreadJoin),
			parallel.Do("notify", g.step("notify")),
		)
	}, []stage{
		{running: []string{"audit/scan", "orders", "users"}, release: []string{"audit/scan"}},
		{running: []string{"audit/diff", "orders", "users"}, release: []string{"audit/diff", "orders", "users"}},
		{running: []string{"notify"}, release: []string{"notify"}},
	})
}

// TestMaxThreadsOneWithNestedInline: at Max Threads 1 the step that waits
// for its inlined plan holds no thread, so the plan completes, one process
// at a time. (A deadlock would make synctest fail the test.)
func TestMaxThreadsOneWithNestedInline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGates()
		inner := parallel.NewPlan().Add(
			parallel.Do("x", g.step("in/x")),
			parallel.Do("y", g.step("in/y"), parallel.ThreadYes),
			parallel.Do("z", g.step("in/z"), parallel.ThreadJoin),
		)
		plan := parallel.NewPlan(parallel.MaxWorkers(1)).Add(
			parallel.Do("a", g.step("a"), parallel.ThreadYes),
			parallel.Inline("in", inner, parallel.ThreadYes),
			parallel.Do("b", g.step("b"), parallel.ThreadJoin),
		)
		o := g.drain(t, start(t.Context(), plan), func(running []string) {
			require.Len(t, running, 1)
		})
		require.NoError(t, o.err)
		require.Equal(t, 5, g.startedCount())
	})
}

// TestPlanInsideATaskAtLimitOne: a task of a pool at limit 1 runs a plan on
// that same pool; waiting for the plan gives the task's slot to its steps.
func TestPlanInsideATaskAtLimitOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		defer func() { _ = p.Close() }() // the test has checked what it needs; Close only lets the workers go
		var ran atomic.Int32
		step := func(context.Context) error { ran.Add(1); return nil }
		inner := parallel.NewPlan().Add(parallel.Do("x", step), parallel.Do("y", step, parallel.ThreadYes))
		plan := parallel.NewPlan(parallel.OnPool(p)).Add(
			parallel.Do("a", step, parallel.ThreadYes),
			parallel.Do("b", step, parallel.ThreadYes),
			parallel.Inline("in", inner),
		)
		ctx := soon(t)
		task, err := p.Submit(ctx, func(ctx context.Context) error {
			_, err := plan.Run(ctx)
			return err
		})
		require.NoError(t, err)
		err = task.Wait(ctx)
		noHang(t, ctx, "the plan inside a task at limit 1")
		require.NoError(t, err)
		require.EqualValues(t, 4, ran.Load())
	})
}

// TestMaxThreadsAcrossNesting: every process counts against its own plan's
// Max Threads and every enclosing plan's, whether the inlined plan joins
// the block or runs as one member.
func TestMaxThreadsAcrossNesting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGates()
		joined := parallel.NewPlan(parallel.MaxWorkers(2))
		member := parallel.NewPlan(parallel.MaxWorkers(2)).Add(parallel.Do("first", g.step("m/first")))
		for i := range 4 {
			name := fmt.Sprint(i)
			joined.Add(parallel.Do(name, g.step("j/"+name), parallel.ThreadYes))
			member.Add(parallel.Do(name, g.step("m/"+name), parallel.ThreadYes))
		}
		plan := parallel.NewPlan(parallel.MaxWorkers(3)).Add(
			parallel.Do("a", g.step("a"), parallel.ThreadYes),
			parallel.Inline("j", joined, parallel.ThreadYes),
			parallel.Inline("m", member, parallel.ThreadYes),
			parallel.Do("b", g.step("b"), parallel.ThreadJoin),
		)
		peak, peakJ, peakM := 0, 0, 0
		o := g.drain(t, start(t.Context(), plan), func(running []string) {
			j, m := 0, 0
			for _, r := range running {
				switch r[0] {
				case 'j':
					j++
				case 'm':
					m++
				}
			}
			require.LessOrEqual(t, len(running), 3)
			require.LessOrEqual(t, j, 2)
			require.LessOrEqual(t, m, 2)
			peak, peakJ, peakM = max(peak, len(running)), max(peakJ, j), max(peakM, m)
		})
		require.NoError(t, o.err)
		require.Equal(t, 11, g.startedCount())
		require.Equal(t, []int{3, 2, 2}, []int{peak, peakJ, peakM}, "every limit was reached")
	})
}

// TestBroadcastParallelism: five inputs at parallelism 2 never have more
// than two running; by default a broadcast runs its inputs one at a time.
func TestBroadcastParallelism(t *testing.T) {
	for _, tc := range []struct {
		opts []parallel.StepOption
		want int
	}{
		{[]parallel.StepOption{parallel.Parallelism(2)}, 2},
		{nil, 1},
		{[]parallel.StepOption{parallel.Parallelism(0)}, 5},
	} {
		t.Run(fmt.Sprint(tc.want), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newGates()
				rows := []int{0, 1, 2, 3, 4}
				plan := parallel.NewPlan().Add(parallel.Broadcast("rows", rows, g.inputs("rows", 5), tc.opts...))
				peak := 0
				o := g.drain(t, start(t.Context(), plan), func(running []string) {
					require.LessOrEqual(t, len(running), tc.want)
					peak = max(peak, len(running))
				})
				require.NoError(t, o.err)
				require.Equal(t, tc.want, peak)
				require.Equal(t, []string{"rows[0]", "rows[1]", "rows[2]", "rows[3]", "rows[4]"}, ids(o.res))
			})
		})
	}
}

// TestBroadcastUnderMaxThreads: a broadcast's inputs are steps of the
// plan, so they count against its Max Threads and every enclosing plan's,
// whatever the broadcast's own parallelism: alone, beside another member
// of its block, and inside an inlined plan with or without a limit of its
// own. The peak is exactly the tightest limit.
func TestBroadcastUnderMaxThreads(t *testing.T) {
	rows := []int{0, 1, 2, 3, 4, 5}
	for _, tc := range []struct {
		name  string
		build func(g *gates) *parallel.Plan
		want  int
	}{
		{"alone, unlimited parallelism", func(g *gates) *parallel.Plan {
			return parallel.NewPlan(parallel.MaxWorkers(2)).Add(
				parallel.Broadcast("rows", rows, g.inputs("rows", 6), parallel.Parallelism(0)))
		}, 2},
		{"beside a step of its block", func(g *gates) *parallel.Plan {
			return parallel.NewPlan(parallel.MaxWorkers(3)).Add(
				parallel.Do("a", g.step("a"), parallel.ThreadYes),
				parallel.Broadcast("rows", rows, g.inputs("rows", 6), parallel.Parallelism(4), parallel.ThreadJoin))
		}, 3},
		{"in an inlined plan without a limit", func(g *gates) *parallel.Plan {
			inner := parallel.NewPlan().Add(
				parallel.Broadcast("rows", rows, g.inputs("in/rows", 6), parallel.Parallelism(0)))
			return parallel.NewPlan(parallel.MaxWorkers(2)).Add(parallel.Inline("in", inner))
		}, 2},
		{"in an inlined plan that continues the block", func(g *gates) *parallel.Plan {
			inner := parallel.NewPlan().Add(
				parallel.Broadcast("rows", rows, g.inputs("in/rows", 6), parallel.Parallelism(0), parallel.ThreadYes))
			return parallel.NewPlan(parallel.MaxWorkers(3)).Add(
				parallel.Do("a", g.step("a"), parallel.ThreadYes),
				parallel.Inline("in", inner, parallel.ThreadYes),
				parallel.Do("b", g.step("b"), parallel.ThreadJoin))
		}, 3},
		{"in an inlined plan with a tighter limit", func(g *gates) *parallel.Plan {
			inner := parallel.NewPlan(parallel.MaxWorkers(2)).Add(
				parallel.Broadcast("rows", rows, g.inputs("in/rows", 6), parallel.Parallelism(5)))
			return parallel.NewPlan().Add(parallel.Inline("in", inner))
		}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := soon(t)
				g := newGates()
				peak := 0
				o := g.drain(t, start(ctx, tc.build(g)), func(running []string) {
					require.LessOrEqual(t, len(running), tc.want, "running: %v", running)
					peak = max(peak, len(running))
				})
				noHang(t, ctx, "the plan")
				require.NoError(t, o.err)
				require.Equal(t, tc.want, peak, "the limit is reached, not just respected")
			})
		})
	}
}

var errRow = errors.New("bad row")

// TestBroadcastFailure: one of ten inputs fails. best_effort and wait_all
// let the nine others finish (best_effort succeeds); fail_fast stops.
func TestBroadcastFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s                  strategy.Strategy
		ok                 bool
		succeeded, skipped int
	}{
		{strategy.BestEffort(), true, 9, 0},
		{strategy.WaitAll(), false, 9, 0},
		{strategy.FailFast(), false, 3, 6},
	} {
		t.Run(tc.s.String(), func(t *testing.T) {
			t.Parallel()
			rows := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
			plan := parallel.NewPlan(parallel.WithStrategy(tc.s)).Add(
				parallel.Broadcast("rows", rows, func(_ context.Context, row int) error {
					if row == 3 {
						return errRow
					}
					return nil
				}),
			)
			res, err := plan.Run(t.Context())
			require.Equal(t, tc.ok, err == nil, "%v", err)
			require.Equal(t, tc.succeeded, res.Count(pool.Succeeded))
			require.Equal(t, 1, res.Count(pool.Failed))
			require.Equal(t, tc.skipped, res.Count(pool.Skipped))
			bad, _ := res.Get("rows[3]")
			require.ErrorIs(t, bad.Err, errRow)
			if !tc.ok {
				var te *parallel.TaskError
				require.ErrorAs(t, err, &te)
				require.Equal(t, "rows[3]", te.ID)
			}
		})
	}
}

// TestFailureInABlock: under wait_all the failed step's block runs to its
// end and later steps are skipped; under fail_fast the siblings are
// cancelled; under best_effort the plan goes on.
func TestFailureInABlock(t *testing.T) {
	for _, tc := range []struct {
		s    strategy.Strategy
		want map[string]string
		ok   bool
	}{
		{strategy.WaitAll(), map[string]string{"bad": "Failed", "slow": "Succeeded", "later": "Skipped"}, false},
		{strategy.FailFast(), map[string]string{"bad": "Failed", "slow": "Canceled", "later": "Skipped"}, false},
		{strategy.BestEffort(), map[string]string{"bad": "Failed", "slow": "Succeeded", "later": "Succeeded"}, true},
	} {
		t.Run(tc.s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				slowStarted := make(chan struct{})
				plan := parallel.NewPlan(parallel.WithStrategy(tc.s)).Add(
					parallel.Do("bad", func(context.Context) error { <-slowStarted; return errRow }, parallel.ThreadYes),
					parallel.Do("slow", func(ctx context.Context) error {
						close(slowStarted)
						select {
						case <-time.After(time.Hour): // fake time: the bubble advances it
							return nil
						case <-ctx.Done():
							return ctx.Err()
						}
					}, parallel.ThreadJoin),
					parallel.Do("later", ok),
				)
				res, err := plan.Run(t.Context())
				require.Equal(t, tc.want, planStates(res))
				require.Equal(t, tc.ok, err == nil)
				if !tc.ok {
					require.ErrorIs(t, err, errRow)
				}
			})
		})
	}
}

// TestFailureInsideAnInline: a failure inside an inlined plan stops what
// follows in it and in the enclosing plan.
func TestFailureInsideAnInline(t *testing.T) {
	t.Parallel()
	inner := parallel.NewPlan().Add(
		parallel.Do("boom", func(context.Context) error { panic("nil map") }),
		parallel.Do("after", ok),
	)
	plan := parallel.NewPlan().Add(parallel.Inline("in", inner), parallel.Do("last", ok))
	res, err := plan.Run(t.Context())
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, map[string]string{"in/boom": "Failed", "in/after": "Skipped", "last": "Skipped"}, planStates(res))
	after, _ := res.Get("in/after")
	require.EqualError(t, after.Err, "parallel: an earlier step failed")
}

// TestWaitAllFinishesTheBlock: under wait_all every member of the block
// in which a step failed still runs, an Inline member included (its first
// block); what comes after, in the inlined plan too, is skipped.
func TestWaitAllFinishesTheBlock(t *testing.T) {
	t.Parallel()
	inner := parallel.NewPlan().Add(parallel.Do("x", ok), parallel.Do("y", ok))
	plan := parallel.NewPlan(parallel.MaxWorkers(1)).Add( // one at a time, in order
		parallel.Do("bad", func(context.Context) error { return errRow }, parallel.ThreadYes),
		parallel.Inline("in", inner, parallel.ThreadYes),
		parallel.Do("queued", ok, parallel.ThreadJoin),
		parallel.Do("later", ok),
	)
	res, err := plan.Run(t.Context())
	require.ErrorIs(t, err, errRow)
	require.Equal(t, map[string]string{
		"bad": "Failed", "in/x": "Succeeded", "in/y": "Skipped", "queued": "Succeeded", "later": "Skipped",
	}, planStates(res))
}

func TestPlanTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plan := parallel.NewPlan(parallel.Timeout(time.Second)).Add(
			parallel.Do("slow", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }),
			parallel.Do("next", ok),
		)
		begin := time.Now()
		res, err := plan.Run(t.Context())
		require.Equal(t, time.Second, time.Since(begin))
		require.ErrorIs(t, err, parallel.ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, map[string]string{"slow": "TimedOut", "next": "Skipped"}, planStates(res))
	})
}

func TestPlanWithADoneContext(t *testing.T) {
	t.Parallel()
	plan := parallel.NewPlan().Add(
		parallel.Do("a", func(context.Context) error { panic("must not run") }, parallel.ThreadYes),
		parallel.Do("b", func(context.Context) error { panic("must not run") }, parallel.ThreadYes),
	)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := plan.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 2, res.Count(pool.Skipped))
}

// TestPlanRunsAgain: a plan is a declaration; each Run starts afresh.
func TestPlanRunsAgain(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	plan := parallel.NewPlan().Add(parallel.Do("count", func(context.Context) error { n.Add(1); return nil }))
	for range 3 {
		_, err := plan.Run(t.Context())
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, n.Load())
}

func TestPlanOnAClosedPool(t *testing.T) {
	t.Parallel()
	p, err := pool.New()
	require.NoError(t, err)
	require.NoError(t, p.Close())
	res, err := parallel.NewPlan(parallel.OnPool(p)).Add(parallel.Do("a", ok)).Run(t.Context())
	require.ErrorIs(t, err, pool.ErrClosed)
	require.Equal(t, map[string]string{"a": "Skipped"}, planStates(res))
}

// TestShutdownSkipsPlanStepsWithItsError: steps that a forced Shutdown of
// the plan's shared pool skipped, an inlined plan's included, end Skipped
// with the shutdown's error, not as if an earlier step had failed; the
// steps after them find the pool closed.
func TestShutdownSkipsPlanStepsWithItsError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := busyPool(t)
		type ended struct {
			res *parallel.Results[struct{}]
			err error
		}
		done := make(chan ended, 1)
		go func() {
			res, err := parallel.NewPlan(parallel.OnPool(p)).Add(
				parallel.Do("a", ok, parallel.ThreadYes),
				parallel.Inline("in", parallel.NewPlan().Add(parallel.Do("x", ok)), parallel.ThreadYes),
				parallel.Do("b", ok),
			).Run(context.Background())
			done <- ended{res, err}
		}()
		synctest.Wait() // a and in are queued behind the busy task
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var serr *pool.ShutdownError
		require.ErrorAs(t, p.Shutdown(ctx), &serr)
		e := <-done
		require.ErrorAs(t, e.err, &serr)
		require.ErrorIs(t, e.err, pool.ErrClosed)
		require.Equal(t, map[string]string{"a": "Skipped", "in/x": "Skipped", "b": "Skipped"}, planStates(e.res))
		for _, id := range []string{"a", "in/x"} {
			r, _ := e.res.Get(id)
			require.ErrorAs(t, r.Err, &serr, id)
		}
		b, _ := e.res.Get("b")
		require.ErrorIs(t, b.Err, pool.ErrClosed)
	})
}

// TestDroppedStepCarriesItsError: a step that its name's overflow policy
// dropped ends Skipped with ErrDropped, and the plan's error says so.
func TestDroppedStepCarriesItsError(t *testing.T) {
	t.Parallel()
	p := busyPool(t, pool.NameOverflow("n", pool.DropNewest))
	res, err := parallel.NewPlan(parallel.OnPool(p)).Add(
		parallel.Do("a", ok, parallel.TaskOptions(pool.Name("n"))),
	).Run(t.Context())
	require.ErrorIs(t, err, pool.ErrDropped)
	a, _ := res.Get("a")
	require.Equal(t, pool.Skipped, a.State)
	require.ErrorIs(t, a.Err, pool.ErrDropped)
}

// TestDroppedStepKeepsItsErrorOnceDecided: a step its name's overflow
// policy dropped, in a plan decided afterwards by another step's failure,
// ends Skipped with ErrDropped, not with the failure that decided the plan.
func TestDroppedStepKeepsItsErrorOnceDecided(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	hold := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	res, err := parallel.NewPlan(
		parallel.WithStrategy(strategy.FailFast()),
		parallel.PoolOptions(pool.NameOverflow("n", pool.DropNewest)),
	).Add(
		parallel.Do("hold", hold, parallel.ThreadYes, parallel.TaskOptions(pool.Name("n"))),
		parallel.Do("a", ok, parallel.ThreadYes, parallel.TaskOptions(pool.Name("n"))),
		parallel.Do("fail", func(context.Context) error { return boom }, parallel.ThreadJoin),
	).Run(t.Context())
	require.ErrorIs(t, err, boom)
	a, _ := res.Get("a")
	require.Equal(t, pool.Skipped, a.State)
	require.ErrorIs(t, a.Err, pool.ErrDropped)
}

// TestDroppedStepWaitedNothing: a step its name's policy dropped at once
// reports no time waiting for a slot, however long its block runs after.
func TestDroppedStepWaitedNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res, err := parallel.NewPlan(parallel.PoolOptions(pool.NameOverflow("n", pool.DropNewest))).Add(
			parallel.Do("hold", func(context.Context) error { time.Sleep(time.Second); return nil },
				parallel.ThreadYes, parallel.TaskOptions(pool.Name("n"))),
			parallel.Do("dropped", ok, parallel.ThreadJoin, parallel.TaskOptions(pool.Name("n"))),
		).Run(t.Context())
		require.ErrorIs(t, err, pool.ErrDropped)
		d, _ := res.Get("dropped")
		require.Equal(t, pool.Skipped, d.State)
		require.Zero(t, d.Waited, "dropped at once, never queued for a slot")
		require.Zero(t, d.Ran)
	})
}

// A step that never started waited for a thread until the plan was
// stopped, not until its last running step returned.
func TestNeverStartedStepWaitedUntilThePlanWasStopped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		res, err := parallel.NewPlan(parallel.MaxWorkers(2), parallel.WithStrategy(strategy.FailFast())).Add(
			parallel.Do("slow", func(context.Context) error { time.Sleep(time.Second); return nil }, parallel.ThreadYes),
			parallel.Do("fail", func(context.Context) error { time.Sleep(10 * time.Millisecond); return errBoom }, parallel.ThreadYes),
			parallel.Do("never", ok, parallel.ThreadJoin),
		).Run(t.Context())
		require.ErrorIs(t, err, errBoom)
		r, _ := res.Get("never")
		require.Equal(t, pool.Skipped, r.State)
		require.LessOrEqual(t, r.Waited, 10*time.Millisecond, "waited for a thread until the plan was decided")
		require.Zero(t, r.Ran)
	})
}
