package pool_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// keptContext runs a task on p that hands out its context and returns,
// and returns that context once the task has ended.
func keptContext(t *testing.T, ctx context.Context, p *pool.Pool) context.Context {
	t.Helper()
	kept := make(chan context.Context, 1)
	task := mustSubmit(t, p, ctx, func(ctx context.Context) error { kept <- ctx; return nil })
	require.NoError(t, waitTask(t, ctx, task))
	return <-kept
}

// TestKeptContextWaitGivesBackNoSlot: a task's context used after the
// task returned (kept by a goroutine it started, or handed out) marks no
// running task any more. Waiting with it must not give back the slot of
// whatever task its worker runs now.
func TestKeptContextWaitGivesBackNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		var c events
		p := newPool(t, pool.MaxWorkers(1), pool.OnEvent(c.hook), pool.IdleTimeout(time.Hour))
		var pk peak
		old := keptContext(t, ctx, p)
		// The same worker now runs a gated task, and another waits behind it.
		gate := make(chan struct{})
		var once sync.Once
		open := func() { once.Do(func() { close(gate) }) }
		t.Cleanup(open) // on a failure too, before the pool's Close
		started := make(chan struct{})
		second := mustSubmit(t, p, ctx, gated(gate, started, &pk))
		<-started
		third := mustSubmit(t, p, ctx, gated(gate, nil, &pk))
		waited := make(chan error, 1)
		go func() { waited <- third.Wait(old) }() // waits with the returned task's context
		synctest.Wait()
		require.EqualValues(t, 1, pk.cur.Load(), "the limit of 1 holds: the kept context gave back the running task's slot")
		require.Equal(t, pool.Running, second.State())
		require.Equal(t, pool.Waiting, third.State())
		open()
		// The kept context ended with its task: the wait returns that at
		// once, and third is left to run.
		require.ErrorIs(t, <-waited, context.Canceled)
		require.NoError(t, waitSoon(t, ctx, p))
		require.EqualValues(t, 1, pk.max.Load())
		_, err := checkEvents(c.snapshot(), nil)
		require.NoError(t, err)
		for _, e := range c.find(func(e pool.Event) bool { return e.Task == second.ID() }) {
			require.NotEqual(t, pool.Blocked, e.State, "the running task was reported Blocked by someone else's wait")
		}
	})
}

// TestKeptContextSubmitsLikeAnOutsider: after Close, a running task may
// still submit with its context (to finish its work), but a returned
// task's context is no running task's: a submit with it is refused.
func TestKeptContextSubmitsLikeAnOutsider(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		p := newPool(t, pool.MaxWorkers(1), pool.IdleTimeout(time.Hour))
		old := keptContext(t, ctx, p)
		require.NoError(t, p.Close())
		task, err := p.Submit(old, succeed)
		require.ErrorIs(t, err, pool.ErrClosed, "a returned task's context submits like an outsider after Close")
		if task != nil {
			require.NoError(t, waitTask(t, ctx, task))
		}
	})
}
