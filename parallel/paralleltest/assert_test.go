package paralleltest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// gatedRun submits one gated task per ID (with the options opts gives
// it), lets every task that can start reach the gate, and then releases
// them all and waits.
func gatedRun(t *testing.T, p *pool.Pool, ids []string, opts func(id string) []pool.TaskOption) {
	t.Helper()
	var g paralleltest.Gate
	for _, id := range ids {
		goID(t, p, id, g.Func(id), opts(id)...)
	}
	synctest.Wait()
	g.ReleaseAll()
	require.NoError(t, p.Wait())
}

func noOptions(string) []pool.TaskOption { return nil }

var five = []string{"t1", "t2", "t3", "t4", "t5"}

// TestMaxConcurrentCatchesAWrongLimit: the policy is "at most 2 at once";
// a pool configured with 3 fails the assertion, and says which tasks ran
// together.
func TestMaxConcurrentCatchesAWrongLimit(t *testing.T) {
	for _, limit := range []int{2, 3} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rec timeline.Recorder
				gatedRun(t, newPool(t, &rec, pool.MaxWorkers(limit)), five, noOptions)
				ft := &fakeT{TB: t}
				held := paralleltest.AssertMaxConcurrent(ft, &rec, 2)
				if limit == 2 {
					require.True(t, held)
					require.Empty(t, ft.report())
					return
				}
				require.False(t, held)
				require.Contains(t, ft.report(), "at most 2 tasks should run at once, but 3 did: t1, t2 and t3\nthe run:\n")
				require.Contains(t, ft.report(), "t1 |", "the message shows the run's chart")
			})
		})
	}
}

// TestMaxConcurrentInPool: a sub-pool meant to run one export at a time,
// configured with 2.
func TestMaxConcurrentInPool(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		root := newPool(t, &rec, pool.MaxWorkers(8), pool.PoolLabel("root"))
		exports, err := root.Sub(pool.MaxWorkers(2), pool.PoolLabel("exports"))
		require.NoError(t, err)
		var g paralleltest.Gate
		for _, id := range []string{"e1", "e2", "e3"} {
			goID(t, exports, id, g.Func(id))
		}
		goID(t, root, "other", g.Func("other"))
		synctest.Wait()
		g.ReleaseAll()
		require.NoError(t, exports.Wait())
		require.NoError(t, root.Wait())

		require.True(t, paralleltest.AssertMaxConcurrentInPool(t, &rec, "root", 1))
		ft := &fakeT{TB: t}
		require.False(t, paralleltest.AssertMaxConcurrentInPool(ft, &rec, "exports", 1))
		require.Contains(t, ft.report(), `at most 1 tasks of pool "exports" should run at once, but 2 did: e1 and e2`)
		ft = &fakeT{TB: t}
		require.False(t, paralleltest.AssertMaxConcurrentInPool(ft, &rec, "export", 1))
		require.Equal(t, `no task of pool "export" was recorded`, ft.report(), "a typo does not pass unnoticed")
	})
}

// TestNamesCatchAWrongLimit: "deploy" must never overlap, and at most 2
// thumbnails may run at once; NameLimit set too high is caught.
func TestNamesCatchAWrongLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		p := newPool(t, &rec, pool.NameLimit("deploy", 2), pool.NameLimit("thumbs", 3))
		ids := []string{"d1", "d2", "d3", "th1", "th2", "th3", "th4"}
		gatedRun(t, p, ids, func(id string) []pool.TaskOption {
			if id[0] == 'd' {
				return []pool.TaskOption{pool.Name("deploy")}
			}
			return []pool.TaskOption{pool.Name("thumbs")}
		})
		ft := &fakeT{TB: t}
		require.False(t, paralleltest.AssertNoOverlap(ft, &rec, "deploy"))
		require.Contains(t, ft.report(), `tasks of name "deploy" should never overlap, but d1 and d2 ran at the same time`)
		ft = &fakeT{TB: t}
		require.False(t, paralleltest.AssertMaxConcurrentByName(ft, &rec, "thumbs", 2))
		require.Contains(t, ft.report(), `at most 2 tasks of name "thumbs" should run at once, but 3 did: th1, th2 and th3`)
		require.True(t, paralleltest.AssertMaxConcurrentByName(t, &rec, "thumbs", 3))
	})
}

// TestExclusiveCatchesAMissingName: three tasks write the same table and
// must never overlap; one was submitted without the name. AssertNoOverlap
// cannot see that task, AssertExclusive on the IDs does.
func TestExclusiveCatchesAMissingName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		gatedRun(t, newPool(t, &rec), []string{"w1", "w2", "w3"}, func(id string) []pool.TaskOption {
			if id == "w3" {
				return nil // the bug
			}
			return []pool.TaskOption{pool.Name("orders-table")}
		})
		require.True(t, paralleltest.AssertNoOverlap(t, &rec, "orders-table"), "blind to the unnamed task")
		ft := &fakeT{TB: t}
		require.False(t, paralleltest.AssertExclusive(ft, &rec, "w1", "w2", "w3"))
		require.Contains(t, ft.report(), "w1, w2 and w3 should never run at the same time, but w1 and w3 did")
	})
}

// TestResourcesAreExclusive: tasks sharing a resource, checked by ID.
func TestResourcesAreExclusive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		uses := map[string][]string{"a": {"orders"}, "b": {"orders", "users"}, "c": {"users"}, "d": {"stock"}}
		gatedRun(t, newPool(t, &rec), []string{"a", "b", "c", "d"}, func(id string) []pool.TaskOption {
			return []pool.TaskOption{pool.Resources(uses[id]...)}
		})
		paralleltest.AssertExclusive(t, &rec, "a", "b")
		paralleltest.AssertExclusive(t, &rec, "b", "c")
		paralleltest.AssertRanTogether(t, &rec, "a", "d")
	})
}

// TestOrderAssertions: the messages of the order assertions.
func TestOrderAssertions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		p := newPool(t, &rec, pool.MaxWorkers(2))
		gatedRun(t, p, []string{"a", "b", "c"}, noOptions)

		ft := &fakeT{TB: t}
		require.False(t, paralleltest.AssertStartedAfter(ft, &rec, "b", "a"))
		require.Contains(t, ft.report(), "b should have started after a ended, but it started while a was running")
		afterA := paralleltest.AssertStartedAfter(&fakeT{TB: t}, &rec, "c", "a")
		afterB := paralleltest.AssertStartedAfter(&fakeT{TB: t}, &rec, "c", "b")
		require.True(t, afterA || afterB, "c took the slot of whichever ended first")

		ft = &fakeT{TB: t}
		require.False(t, paralleltest.AssertRanTogether(ft, &rec, "a", "b", "c"))
		require.Contains(t, ft.report(), "a, b and c should have run at the same time, but at most 2 of them did at once (a and b)")

		ft = &fakeT{TB: t}
		require.False(t, paralleltest.AssertFinal(ft, &rec, "c", pool.Failed))
		require.Contains(t, ft.report(), "c should have ended Failed, but it ended Succeeded")

		ft = &fakeT{TB: t}
		require.False(t, paralleltest.AssertFinal(ft, &rec, "x", pool.Failed))
		require.Equal(t, `no task with ID "x" was recorded (recorded: "a", "b", "c")`, ft.report())

		ft = &fakeT{TB: t}
		require.False(t, paralleltest.AssertMaxConcurrent(ft, new(timeline.Recorder), 1))
		require.Contains(t, ft.report(), "no events were recorded: give the recorder's Hook to the pool")
	})
}

// TestNothingStartedAfter: fail_fast starts nothing after the failure;
// wait_all, the wrong strategy for that policy, does.
func TestNothingStartedAfter(t *testing.T) {
	for _, s := range []strategy.Strategy{strategy.FailFast(), strategy.WaitAll()} {
		t.Run(s.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var rec timeline.Recorder
				var g paralleltest.Gate
				grp := parallel.NewGroup[struct{}](parallel.MaxWorkers(1), parallel.WithStrategy(s), parallel.OnEvent(rec.Hook))
				boom := errors.New("boom")
				add(t, grp, "bad", g.Wrap("bad", func(context.Context) error { return boom }))
				add(t, grp, "next", g.Func("next"))
				g.ReleaseAll()
				_, err := grp.Run(t.Context())
				require.ErrorIs(t, err, boom)

				ft := &fakeT{TB: t}
				held := paralleltest.AssertNothingStartedAfter(ft, &rec, "bad")
				if s.String() == strategy.FailFast().String() {
					require.True(t, held, ft.report())
					paralleltest.AssertFinal(t, &rec, "next", pool.Skipped)
					return
				}
				require.False(t, held)
				require.Contains(t, ft.report(), "no task should have started after bad ended Failed: boom, but next did")
			})
		})
	}
}

// add adds a gated task to a group.
func add(t testing.TB, g *parallel.Group[struct{}], id string, fn func(context.Context) error) {
	t.Helper()
	g.Add(id, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
}

// TestAssertNilRecorder: an assertion given a nil recorder reports it in
// the package's words instead of a nil dereference.
func TestAssertNilRecorder(t *testing.T) {
	for name, assert := range map[string]func(testing.TB) bool{
		"MaxConcurrent":     func(t testing.TB) bool { return paralleltest.AssertMaxConcurrent(t, nil, 1) },
		"NoOverlap":         func(t testing.TB) bool { return paralleltest.AssertNoOverlap(t, nil, "x") },
		"Exclusive":         func(t testing.TB) bool { return paralleltest.AssertExclusive(t, nil, "a", "b") },
		"StartedAfter":      func(t testing.TB) bool { return paralleltest.AssertStartedAfter(t, nil, "a", "b") },
		"NothingStartedAft": func(t testing.TB) bool { return paralleltest.AssertNothingStartedAfter(t, nil, "a") },
		"Final":             func(t testing.TB) bool { return paralleltest.AssertFinal(t, nil, "a", pool.Succeeded) },
	} {
		t.Run(name, func(t *testing.T) {
			ft := &fakeT{TB: t}
			require.False(t, assert(ft))
			require.Contains(t, ft.report(), "paralleltest: the recorder is nil")
		})
	}
}

// TestAssertDuplicateIDs: an ID given twice is reported as such, not as a
// task that overlapped itself.
func TestAssertDuplicateIDs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		gatedRun(t, newPool(t, &rec, pool.MaxWorkers(1)), []string{"a", "b"}, noOptions)
		ft := &fakeT{TB: t}
		require.False(t, paralleltest.AssertExclusive(ft, &rec, "a", "b", "a"))
		require.Equal(t, `paralleltest: the ID "a" is given twice`, ft.report())
		require.True(t, paralleltest.AssertExclusive(t, &rec, "a", "b"))
	})
}

// TestAssertEmptyName: an empty name serialises nothing, so the assertions
// on a name report it instead of judging the unnamed tasks as one name.
func TestAssertEmptyName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec timeline.Recorder
		gatedRun(t, newPool(t, &rec, pool.MaxWorkers(2)), []string{"a", "b"}, noOptions)
		ft := &fakeT{TB: t}
		require.False(t, paralleltest.AssertNoOverlap(ft, &rec, ""))
		require.False(t, paralleltest.AssertMaxConcurrentByName(ft, &rec, "", 1))
		require.NotContains(t, ft.report(), "ran at the same time")
		require.Contains(t, ft.report(), "paralleltest: the name is empty")
	})
}
