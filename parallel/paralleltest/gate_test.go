package paralleltest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/parallel/paralleltest"
	"github.com/braid-go/braid/parallel/timeline"
	"github.com/braid-go/braid/pool"
)

// TestGateOneByOne: tasks wait at the gate until released, one at a time;
// synctest.Wait tells when everything that can start has arrived.
func TestGateOneByOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g paralleltest.Gate
		var rec timeline.Recorder
		p := newPool(t, &rec, pool.MaxWorkers(2))
		for _, id := range []string{"a", "b", "c"} {
			goID(t, p, id, g.Func(id))
		}
		synctest.Wait()
		require.ElementsMatch(t, []string{"a", "b"}, g.Held(), "c waits for a slot")
		require.Equal(t, []string{"a", "b", "c"}, g.Keys())

		g.Release("b")
		synctest.Wait()
		require.ElementsMatch(t, []string{"a", "c"}, g.Held(), "b's slot went to c")
		g.Release("a")
		synctest.Wait()
		require.Equal(t, []string{"c"}, g.Held())
		g.ReleaseAll()
		require.NoError(t, p.Wait())
		require.Empty(t, g.Held())
		paralleltest.AssertStartedAfter(t, &rec, "c", "b")
		paralleltest.AssertRanTogether(t, &rec, "a", "b")
		paralleltest.AssertRanTogether(t, &rec, "a", "c")
	})
}

// TestGateStarted: a test can await a task's start, with no bubble and no
// sleeping.
func TestGateStarted(t *testing.T) {
	t.Parallel()
	var g paralleltest.Gate
	var rec timeline.Recorder
	p := newPool(t, &rec, pool.MaxWorkers(1))
	goID(t, p, "first", g.Func("first"))
	goID(t, p, "second", g.Func("second"))
	<-g.Started("first")
	select {
	case <-g.Started("second"):
		t.Fatal("second started while first held the only slot")
	default:
	}
	g.Release("first")
	<-g.Started("second")
	g.Release("second")
	require.NoError(t, p.Wait())
	paralleltest.AssertStartedAfter(t, &rec, "second", "first")
}

// TestGateReleasedEarly: a key released before its task starts lets the
// task pass at once, and so do later runs of the key.
func TestGateReleasedEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g paralleltest.Gate
		g.Release("x")
		fn := g.Func("x")
		require.NoError(t, fn(t.Context()))
		require.NoError(t, fn(t.Context()))
		<-g.Started("x")
	})
}

// TestGateReleasedPassesWithItsContextDone: a run of a released key
// passes even with its context already done, every time: a replay of one
// order of releases runs the same.
func TestGateReleasedPassesWithItsContextDone(t *testing.T) {
	var g paralleltest.Gate
	g.Release("x")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := 0
	fn := g.Wrap("x", func(context.Context) error { ran++; return nil })
	for range 200 {
		require.NoError(t, fn(ctx))
	}
	require.Equal(t, 200, ran)
}

// TestGateCancelled: a held task whose context ends returns the cause, so
// the pool counts it Canceled.
func TestGateCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g paralleltest.Gate
		var rec timeline.Recorder
		p := newPool(t, &rec)
		task, err := p.Submit(t.Context(), g.Func("slow"), pool.Label("", "slow"))
		require.NoError(t, err)
		<-g.Started("slow")
		task.Cancel()
		require.ErrorIs(t, task.Wait(t.Context()), context.Canceled)
		require.NoError(t, p.Wait())
		paralleltest.AssertFinal(t, &rec, "slow", pool.Canceled)
	})
}

// TestGateWrap: a wrapped task runs its function once released.
func TestGateWrap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g paralleltest.Gate
		boom := errors.New("boom")
		ran := false
		fn := g.Wrap("w", func(context.Context) error { ran = true; return boom })
		errc := make(chan error)
		go func() { errc <- fn(t.Context()) }()
		synctest.Wait()
		require.False(t, ran)
		require.Equal(t, []string{"w"}, g.Held())
		g.Release("w")
		require.ErrorIs(t, <-errc, boom)
		require.True(t, ran)
	})
}
