package pool_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

type ctxKey string

// trail records what middleware and tasks did, in order.
type trail struct {
	mu    sync.Mutex
	steps []string
}

func (tr *trail) add(s string) {
	tr.mu.Lock()
	tr.steps = append(tr.steps, s)
	tr.mu.Unlock()
}

func (tr *trail) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.steps...)
}

// named returns middleware that records its entry and exit in tr.
func (tr *trail) named(name string) pool.Middleware {
	return func(ctx context.Context, _ pool.TaskInfo, next func(context.Context) error) error {
		tr.add(name + " in")
		err := next(ctx)
		tr.add(name + " out")
		return err
	}
}

func TestMiddlewareOrderFirstIsOutermost(t *testing.T) {
	t.Parallel()
	var tr trail
	p := newPool(t, pool.WithMiddleware(tr.named("a"), tr.named("b")), pool.WithMiddleware(tr.named("c")))
	mustGo(t, p, func(context.Context) error { tr.add("task"); return nil })
	require.NoError(t, p.Wait())
	require.Equal(t, []string{"a in", "b in", "c in", "task", "c out", "b out", "a out"}, tr.get())
}

func TestMiddlewareSeesTaskIdentity(t *testing.T) {
	t.Parallel()
	infos := make(chan pool.TaskInfo, 2)
	mw := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
		infos <- info
		return next(ctx)
	}
	p := newPool(t, pool.WithMiddleware(mw), pool.PoolLabel("etl"))
	sub, err := p.Sub(pool.PoolLabel("loads"))
	require.NoError(t, err)
	mustGo(t, p, succeed, pool.Label("nightly", "extract"), pool.Name("orders"))
	require.NoError(t, p.Wait())
	task := mustSubmit(t, sub, context.Background(), succeed)
	require.NoError(t, task.Wait(context.Background()))
	first, second := <-infos, <-infos
	require.False(t, first.Queued.IsZero())
	require.False(t, second.Queued.IsZero())
	first.Queued, second.Queued = time.Time{}, time.Time{}
	require.Equal(t, pool.TaskInfo{Task: 1, ID: "extract", Group: "nightly", Name: "orders", Pool: "etl"}, first)
	require.Equal(t, pool.TaskInfo{Task: task.ID(), Pool: "loads"}, second, "a sub-pool's tasks run through the root's middleware")
}

func TestMiddlewarePassesContextOn(t *testing.T) {
	t.Parallel()
	mw := func(ctx context.Context, _ pool.TaskInfo, next func(context.Context) error) error {
		if ctx.Value(ctxKey("request")) != "r-1" {
			return errors.New("middleware did not get the task's context")
		}
		return next(context.WithValue(ctx, ctxKey("span"), "s-1"))
	}
	p := newPool(t, pool.WithMiddleware(mw), pool.MaxWorkers(1))
	ctx := context.WithValue(context.Background(), ctxKey("request"), "r-1")
	task := mustSubmit(t, p, ctx, func(ctx context.Context) error {
		if ctx.Value(ctxKey("span")) != "s-1" || ctx.Value(ctxKey("request")) != "r-1" {
			return errors.New("task did not get the middleware's context")
		}
		// The context still marks the task's worker: waiting for a subtask
		// gives the slot back (at limit 1 this would deadlock otherwise).
		child := mustSubmit(t, p, ctx, succeed)
		return child.Wait(ctx)
	})
	require.NoError(t, task.Wait(context.Background()))
}

func TestMiddlewareErrorIsTheTasks(t *testing.T) {
	t.Parallel()
	denied := errors.New("denied")
	mw := func(context.Context, pool.TaskInfo, func(context.Context) error) error { return denied }
	p := newPool(t, pool.WithMiddleware(mw))
	ran := false
	task := mustSubmit(t, p, context.Background(), func(context.Context) error { ran = true; return nil })
	require.ErrorIs(t, task.Wait(context.Background()), denied)
	require.Equal(t, pool.Failed, task.State())
	require.False(t, ran, "middleware that does not call next keeps the task from running")
}

func TestMiddlewarePanicFailsTheTask(t *testing.T) {
	t.Parallel()
	mw := func(context.Context, pool.TaskInfo, func(context.Context) error) error { panic("in middleware") }
	p := newPool(t, pool.WithMiddleware(mw))
	mustGo(t, p, succeed)
	var pe *pool.PanicError
	require.ErrorAs(t, p.Wait(), &pe)
	require.Equal(t, "in middleware", pe.Value)
}

func TestMiddlewareIsForRootPools(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	_, err := p.Sub(pool.WithMiddleware(func(ctx context.Context, _ pool.TaskInfo, next func(context.Context) error) error {
		return next(ctx)
	}))
	require.ErrorIs(t, err, pool.ErrInvalid)
}

func TestNilMiddlewarePanics(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "pool: nil middleware", func() { pool.WithMiddleware(nil) })
	require.PanicsWithValue(t, "pool: nil middleware", func() { pool.Chain(nil) })
}

func TestCurrentTask(t *testing.T) {
	t.Parallel()
	_, ok := pool.CurrentTask(context.Background())
	require.False(t, ok, "not a task's context")
	p := newPool(t, pool.PoolLabel("etl"))
	got := make(chan pool.TaskInfo, 1)
	mustGo(t, p, func(ctx context.Context) error {
		info, ok := pool.CurrentTask(ctx)
		if !ok {
			return errors.New("no task in its own context")
		}
		got <- info
		return nil
	}, pool.Name("load"))
	require.NoError(t, p.Wait())
	require.Equal(t, pool.TaskInfo{Task: 1, Name: "load", Pool: "etl"}, <-got, "a plain Go task: no record, so no Queued")
}

func TestChain(t *testing.T) {
	t.Parallel()
	require.Nil(t, pool.Chain())
	var tr trail
	mw := pool.Chain(tr.named("a"), tr.named("b"), tr.named("c"))
	require.NoError(t, mw(context.Background(), pool.TaskInfo{}, func(context.Context) error { tr.add("task"); return nil }))
	require.Equal(t, []string{"a in", "b in", "c in", "task", "c out", "b out", "a out"}, tr.get())
}

// Middleware learns when a task was queued, and after it, how long the
// task spent suspended: what a tracing span reports as its waits.
func TestMiddlewareSeesWaitedAndBlockedTime(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		type times struct{ waited, blocked time.Duration }
		got := make(chan times, 4)
		mw := func(ctx context.Context, info pool.TaskInfo, next func(context.Context) error) error {
			waited := time.Since(info.Queued)
			err := next(ctx)
			after, _ := pool.CurrentTask(ctx)
			got <- times{waited, after.Blocked}
			return err
		}
		p := newPool(t, pool.MaxWorkers(1), pool.WithMiddleware(mw))
		mustGo(t, p, func(context.Context) error { sleep(time1s); return nil }, pool.Label("", "first"))
		mustGo(t, p, func(ctx context.Context) error {
			child := mustSubmit(t, p, ctx, func(context.Context) error { sleep(2 * time1s); return nil })
			return child.Wait(ctx)
		}, pool.Label("", "parent"))
		require.NoError(t, p.Wait())
		require.Equal(t, times{0, 0}, <-got, "the first task")
		require.Equal(t, times{0, 0}, <-got, "the child: its parent gave it its slot at once")
		require.Equal(t, times{time1s, 2 * time1s}, <-got, "the parent: queued behind the first task, then suspended while its child ran")
	})
}

// TestCurrentTaskLabelOfAGoTask: a Go task's Label reaches CurrentTask
// where the tree keeps labels (middleware, a hook), and is empty, as
// TaskInfo's doc says, where nothing reads it.
func TestCurrentTaskLabelOfAGoTask(t *testing.T) {
	t.Parallel()
	for _, kept := range []bool{false, true} {
		var opts []pool.Option
		if kept {
			opts = append(opts, pool.WithMiddleware(func(ctx context.Context, _ pool.TaskInfo, next func(context.Context) error) error { return next(ctx) }))
		}
		p := newPool(t, opts...)
		got := make(chan pool.TaskInfo, 1)
		mustGo(t, p, func(ctx context.Context) error { info, _ := pool.CurrentTask(ctx); got <- info; return nil }, pool.Label("g", "x"))
		require.NoError(t, p.Wait())
		info := <-got
		if kept {
			require.Equal(t, "g/x", info.Group+"/"+info.ID)
			require.False(t, info.Queued.IsZero())
		} else {
			require.Equal(t, "/", info.Group+"/"+info.ID)
			require.True(t, info.Queued.IsZero())
		}
	}
}
