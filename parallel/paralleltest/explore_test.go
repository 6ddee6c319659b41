package paralleltest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// TestExploreEveryOrder: three keys, six orders, each run with a fresh
// gate and recorder; the tasks end in the order of the releases.
func TestExploreEveryOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen []string
		ok := paralleltest.ExploreOrders(t, []string{"a", "b", "c"}, func(t testing.TB, run *paralleltest.Run) {
			require.Empty(t, run.Recorder.Events(), "a fresh recorder")
			p, err := pool.New(pool.OnEvent(run.Recorder.Hook))
			require.NoError(t, err)
			for _, id := range run.Gate.Keys() {
				require.NoError(t, p.Go(run.Gate.Func(id), pool.Label("", id)))
			}
			require.NoError(t, p.Close())
			var ended []string
			for _, e := range run.Recorder.Events() {
				if e.Final() {
					ended = append(ended, e.ID)
				}
			}
			require.Equal(t, run.Order, ended)
			seen = append(seen, fmt.Sprint(run.Order))
		})
		require.True(t, ok)
		require.Equal(t, []string{"[a b c]", "[a c b]", "[b a c]", "[b c a]", "[c a b]", "[c b a]"}, seen)
	})
}

// failFastScenario runs four gated tasks of a group, two at a time; b
// fails when released. The policy under test: no task starts after the
// failure, and a name never overlaps.
func failFastScenario(s strategy.Strategy) func(testing.TB, *paralleltest.Run) {
	boom := errors.New("boom")
	return func(t testing.TB, run *paralleltest.Run) {
		g := parallel.NewGroup[struct{}](parallel.MaxWorkers(2), parallel.WithStrategy(s), parallel.OnEvent(run.Recorder.Hook))
		for _, id := range run.Gate.Keys() {
			fn := run.Gate.Func(id)
			if id == "b" {
				fn = run.Gate.Wrap(id, func(context.Context) error { return boom })
			}
			add(t, g, id, fn)
		}
		_, err := g.Run(t.Context())
		require.ErrorIs(t, err, boom)
		paralleltest.AssertNothingStartedAfter(t, run.Recorder, "b")
		paralleltest.AssertMaxConcurrent(t, run.Recorder, 2)
	}
}

// TestExploreProvesFailFast: under every completion order, fail_fast
// starts nothing after the failure.
func TestExploreProvesFailFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		runs := 0
		scenario := failFastScenario(strategy.FailFast())
		require.True(t, paralleltest.ExploreOrders(t, []string{"a", "b", "c", "d"}, func(t testing.TB, run *paralleltest.Run) {
			runs++
			scenario(t, run)
		}))
		require.Equal(t, 24, runs)
	})
}

// TestExploreCatchesTheWrongStrategy: wait_all in place of fail_fast
// fails the first order in which a task starts after b's failure: [a b c
// d], where c takes a's slot before b fails and d takes b's after.
// ExploreOrders reports that order and stops there.
func TestExploreCatchesTheWrongStrategy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		runs := 0
		scenario := failFastScenario(strategy.WaitAll())
		ft := &fakeT{TB: t}
		ok := paralleltest.ExploreOrders(ft, []string{"a", "b", "c", "d"}, func(t testing.TB, run *paralleltest.Run) {
			runs++
			scenario(t, run)
		})
		require.False(t, ok)
		report := ft.report()
		require.True(t, strings.HasPrefix(report, "order [a b c d] (1 of 24):\n    explore_test.go:"), report)
		require.Contains(t, report, ": no task should have started after b ended Failed: boom, but d did\n")
		require.Contains(t, report, "    the run:\n", "the chart of the failing run, indented")
		require.Equal(t, 1, runs, "stops at the first failing order")
	})
}

// TestExploreCatchesAWrongLimit: a name meant to serialise is given a
// limit of 2; some order makes the two overlap.
func TestExploreCatchesAWrongLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeT{TB: t}
		paralleltest.ExploreOrders(ft, []string{"x1", "x2", "y"}, func(t testing.TB, run *paralleltest.Run) {
			p, err := pool.New(pool.NameLimit("x", 2), pool.OnEvent(run.Recorder.Hook))
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, p.Close()) })
			for _, id := range run.Gate.Keys() {
				require.NoError(t, p.Go(run.Gate.Func(id), pool.Name(id[:1]), pool.Label("", id)))
			}
			require.NoError(t, p.Wait())
			paralleltest.AssertNoOverlap(t, run.Recorder, "x")
		})
		require.Contains(t, ft.report(), "order [x1 x2 y] (1 of 6):")
		require.Contains(t, ft.report(), `tasks of name "x" should never overlap, but x1 and x2 ran at the same time`)
	})
}

// TestExploreSample: beyond DefaultSample orders, a seeded sample: the
// same seed gives the same orders.
func TestExploreSample(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := []string{"a", "b", "c", "d", "e", "f", "g"}
		explore := func(opts ...paralleltest.ExploreOption) []string {
			var orders []string
			paralleltest.ExploreOrders(t, keys, func(t testing.TB, run *paralleltest.Run) {
				orders = append(orders, strings.Join(run.Order, ""))
				run.Gate.ReleaseAll() // nothing runs: only the orders matter here
			}, opts...)
			return orders
		}
		first := explore(paralleltest.Sample(20, 7))
		require.Len(t, first, 20)
		require.Equal(t, first, explore(paralleltest.Sample(20, 7)))
		require.NotEqual(t, first, explore(paralleltest.Sample(20, 8)))
		require.Len(t, explore(), paralleltest.DefaultSample)
		require.Len(t, explore(paralleltest.Sample(5040, 1)), 5040, "7! orders: all of them")
	})
}

// TestExploreRunsAreTheirOwn: errors, logs, Fatal, Skip, panics, cleanups
// and the context stay with a run.
func TestExploreRunsAreTheirOwn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cleaned []string
		ft := &fakeT{TB: t}
		ok := paralleltest.ExploreOrders(ft, []string{"a", "b"}, func(t testing.TB, run *paralleltest.Run) {
			order := strings.Join(run.Order, "")
			ctx := t.Context()
			t.Cleanup(func() {
				require.Error(t, ctx.Err(), "the context ends before the cleanups")
				cleaned = append(cleaned, order)
			})
			t.Logf("run %s", order)
			if order == "ab" {
				t.Skip("skipped")
			}
			t.Fatalf("fatal in %s", order)
			panic("not reached")
		})
		require.False(t, ok)
		require.Equal(t, []string{"ab", "ba"}, cleaned)
		require.Regexp(t, `^order \[b a\] \(2 of 2\):\n    explore_test.go:\d+: run ba\n    explore_test.go:\d+: fatal in ba$`, ft.report())

		ft = &fakeT{TB: t}
		paralleltest.ExploreOrders(ft, []string{"a"}, func(t testing.TB, run *paralleltest.Run) {
			panic("oops")
		})
		require.Contains(t, ft.report(), "order [a] (1 of 1):\n    panic: oops\n")

	})
}

// TestExploreMisuse: outside a bubble, duplicate keys, a bad sample.
func TestExploreMisuse(t *testing.T) {
	fatal := func(t *testing.T, f func(testing.TB)) string {
		ft := &fakeT{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			f(ft)
		}()
		<-done
		return ft.report()
	}
	none := func(testing.TB, *paralleltest.Run) { panic("must not run") }
	require.Equal(t, "paralleltest: ExploreOrders must be called inside a testing/synctest bubble (synctest.Test), or given a *testing.T: synctest.Wait: goroutine is not in a bubble",
		fatal(t, func(ft testing.TB) { paralleltest.ExploreOrders(ft, []string{"a"}, none) }))
	require.Equal(t, `paralleltest: ExploreOrders: key "a" is given twice`,
		fatal(t, func(ft testing.TB) { paralleltest.ExploreOrders(ft, []string{"a", "a"}, none) }))
	require.Equal(t, "paralleltest: ExploreOrders: Sample(0, ...): the sample needs at least one order",
		fatal(t, func(ft testing.TB) { paralleltest.ExploreOrders(ft, []string{"a"}, none, paralleltest.Sample(0, 1)) }))
}

// TestExploreWithFakeTime: releases happen at one instant of the bubble's
// clock; a timeout fires once the run waits for nothing else, without
// waiting for real.
func TestExploreWithFakeTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		require.True(t, paralleltest.ExploreOrders(t, []string{"a", "b"}, func(t testing.TB, run *paralleltest.Run) {
			g := parallel.NewGroup[struct{}](parallel.Timeout(time.Hour), parallel.OnEvent(run.Recorder.Hook))
			add(t, g, "a", run.Gate.Func("a"))
			add(t, g, "b", run.Gate.Func("b"))
			add(t, g, "stuck", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
			_, err := g.Run(t.Context())
			require.ErrorIs(t, err, context.DeadlineExceeded)
			paralleltest.AssertFinal(t, run.Recorder, "a", pool.Succeeded)
			paralleltest.AssertFinal(t, run.Recorder, "b", pool.Succeeded)
			paralleltest.AssertFinal(t, run.Recorder, "stuck", pool.TimedOut)
		}))
		require.Equal(t, 2*time.Hour, time.Since(start), "two runs, an hour of fake time each")
	})
}

// TestExploreOpensTheBubble: given a *testing.T outside a bubble,
// ExploreOrders opens one itself: one closure less in every policy test.
func TestExploreOpensTheBubble(t *testing.T) {
	start := time.Now()
	runs := 0
	require.True(t, paralleltest.ExploreOrders(t, []string{"a", "b"}, func(t testing.TB, run *paralleltest.Run) {
		runs++
		g := parallel.NewGroup[struct{}](parallel.OnEvent(run.Recorder.Hook))
		add(t, g, "a", run.Gate.Func("a"))
		add(t, g, "b", run.Gate.Func("b"))
		time.Sleep(time.Hour) // the bubble's clock: no real wait
		_, err := g.Run(t.Context())
		require.NoError(t, err)
	}))
	require.Equal(t, 2, runs)
	require.Less(t, time.Since(start), time.Hour, "the hours slept were fake")
}

// heldScenario is a fail_fast policy test built so that it can fail:
// "late" cannot start before "b" fails unless "a" ends first, as it waits
// for one of two slots; it is not explored, so it never ends on its own.
// The group's timeout ends a run in which nothing cancels it.
func heldScenario(s strategy.Strategy) func(t testing.TB, run *paralleltest.Run) {
	return func(t testing.TB, run *paralleltest.Run) {
		g := parallel.NewGroup[struct{}](parallel.MaxWorkers(2), parallel.WithStrategy(s),
			parallel.Timeout(time.Hour), parallel.OnEvent(run.Recorder.Hook))
		add(t, g, "a", run.Gate.Func("a"))
		add(t, g, "b", run.Gate.Wrap("b", func(context.Context) error { return errors.New("boom") }))
		add(t, g, "late", run.Gate.Func("late"))
		_, _ = g.Run(t.Context())
		paralleltest.AssertNothingStartedAfter(t, run.Recorder, "b")
	}
}

// TestExploreHeldKeysAndAScenarioThatCanFail: a gate key outside the
// exploration holds its task until the scenario releases it; the
// fail_fast scenario passes, and fails under wait_all, as it must.
func TestExploreHeldKeysAndAScenarioThatCanFail(t *testing.T) {
	require.True(t, paralleltest.ExploreOrders(t, []string{"a", "b"}, heldScenario(strategy.FailFast())))

	synctest.Test(t, func(t *testing.T) {
		ft := &fakeT{TB: t}
		require.False(t, paralleltest.ExploreOrders(ft, []string{"a", "b"}, heldScenario(strategy.WaitAll())))
		require.Contains(t, ft.report(), "order [b a] (2 of 2):")
		require.Contains(t, ft.report(), "late")
	})
}

// TestExploreKeepsOutputWithTheRun: what a run writes to its testing.TB's
// Output stays with the run, as its Logs do: reported with the failing
// order, not printed by the passing ones.
func TestExploreKeepsOutputWithTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ft := &fakeT{TB: t}
		ok := paralleltest.ExploreOrders(ft, []string{"a", "b"}, func(t testing.TB, run *paralleltest.Run) {
			_, _ = fmt.Fprintf(t.Output(), "written in order %v\n", run.Order)
			if run.Order[0] == "b" {
				t.Errorf("b first")
			}
		})
		require.False(t, ok)
		require.Contains(t, ft.report(), "order [b a] (2 of 2):")
		require.Contains(t, ft.report(), "written in order [b a]")
		require.NotContains(t, ft.report(), "written in order [a b]")
	})
}
