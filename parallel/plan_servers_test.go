package parallel_test

import (
	"fmt"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
)

// servers returns two pools with the given limits, closed with the test,
// and a selector that maps label "etl" to both.
func servers(t *testing.T, limitA, limitB int) (a, b *pool.Pool, sel parallel.Selector) {
	t.Helper()
	a, err := pool.New(pool.MaxWorkers(limitA))
	require.NoError(t, err)
	b, err = pool.New(pool.MaxWorkers(limitB))
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b, func(label string) []*pool.Pool {
		if label == "etl" {
			return []*pool.Pool{a, b}
		}
		return nil
	}
}

// etlSteps adds n threaded steps labelled "etl" to plan, then a Join.
func etlSteps(g *gates, plan *parallel.Plan, n int) {
	for i := range n {
		name := fmt.Sprint("etl", i)
		plan.Add(parallel.Do(name, g.step(name), parallel.ThreadYes, parallel.OnServer("etl")))
	}
	plan.Add(parallel.Do("local", g.step("local"), parallel.ThreadJoin))
}

// TestServersCapacityIsTheSumOfLimits: a label's capacity is the sum of its
// pools' limits; a step whose label selects nothing runs on the plan's pool.
func TestServersCapacityIsTheSumOfLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, sel := servers(t, 1, 2)
		g := newGates()
		plan := parallel.NewPlan(parallel.OnServers(sel))
		etlSteps(g, plan, 4)
		done := start(t.Context(), plan)
		synctest.Wait()
		sa, sb := a.Stats(), b.Stats()
		require.Equal(t, []int{1, 2}, []int{sa.Running, sb.Running})
		require.Equal(t, 1, sa.Waiting+sb.Waiting, "the fourth step waits for a slot")
		require.Len(t, g.now(), 4, "three on the servers, one on the plan's pool")
		o := g.drain(t, done, func([]string) {})
		require.NoError(t, o.err)
		require.EqualValues(t, 4, a.Stats().Submitted+b.Stats().Submitted)
	})
}

// TestServersUnderMaxThreads: a step on a server still counts against the
// plan's Max Threads.
func TestServersUnderMaxThreads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, sel := servers(t, 2, 2)
		g := newGates()
		plan := parallel.NewPlan(parallel.OnServers(sel), parallel.MaxWorkers(2))
		etlSteps(g, plan, 4)
		peak := 0
		o := g.drain(t, start(t.Context(), plan), func(running []string) { peak = max(peak, len(running)) })
		require.NoError(t, o.err)
		require.Equal(t, 2, peak)
	})
}

// TestSticky: every step of the run, inlined ones included, runs on the
// pool the first step used, so at limit 1 they run one at a time there.
func TestSticky(t *testing.T) {
	for _, sticky := range []bool{true, false} {
		t.Run(fmt.Sprint("sticky=", sticky), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a, b, sel := servers(t, 1, 1)
				g := newGates()
				opts := []parallel.PlanOption{parallel.OnServers(sel)}
				if sticky {
					opts = append(opts, parallel.Sticky())
				}
				more := parallel.NewPlan().Add(parallel.Do("x", g.step("more/x"), parallel.OnServer("etl")))
				plan := parallel.NewPlan(opts...)
				for i := range 3 {
					name := fmt.Sprint("etl", i)
					plan.Add(parallel.Do(name, g.step(name), parallel.ThreadYes, parallel.OnServer("etl")))
				}
				plan.Add(parallel.Inline("more", more))
				peak := 0
				o := g.drain(t, start(t.Context(), plan), func(running []string) { peak = max(peak, len(running)) })
				require.NoError(t, o.err)
				if sticky {
					require.Equal(t, 1, peak)
					require.EqualValues(t, []uint64{4, 0}, []uint64{a.Stats().Submitted, b.Stats().Submitted})
				} else {
					require.Equal(t, 2, peak)
					require.NotZero(t, b.Stats().Submitted)
				}
			})
		})
	}
}
