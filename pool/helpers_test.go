package pool_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// peak tracks how many tasks run at once and the most that ever did.
type peak struct {
	cur, max atomic.Int64
}

func (p *peak) enter() {
	n := p.cur.Add(1)
	for {
		m := p.max.Load()
		if n <= m || p.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (p *peak) leave() { p.cur.Add(-1) }

// gated returns a task that marks itself running in each tracker, signals
// started, and blocks until gate is closed.
func gated(gate <-chan struct{}, started chan<- struct{}, trackers ...*peak) func(context.Context) error {
	return func(context.Context) error {
		for _, t := range trackers {
			t.enter()
		}
		if started != nil {
			started <- struct{}{}
		}
		<-gate
		for _, t := range trackers {
			t.leave()
		}
		return nil
	}
}

// recorder keeps the order in which tasks ran.
type recorder struct {
	mu  sync.Mutex
	ids []int
}

func (r *recorder) task(id int) func(context.Context) error {
	return func(context.Context) error {
		r.mu.Lock()
		r.ids = append(r.ids, id)
		r.mu.Unlock()
		return nil
	}
}

func (r *recorder) order() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.ids...)
}

func newPool(t *testing.T, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p, err := pool.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func mustGo(t *testing.T, p *pool.Pool, fn func(context.Context) error, opts ...pool.TaskOption) {
	t.Helper()
	require.NoError(t, p.Go(fn, opts...))
}

func mustSubmit(t *testing.T, p *pool.Pool, ctx context.Context, fn func(context.Context) error, opts ...pool.TaskOption) *pool.Task {
	t.Helper()
	task, err := p.Submit(ctx, fn, opts...)
	require.NoError(t, err)
	return task
}

func succeed(context.Context) error { return nil }

// soon returns a context that ends a minute from now: in a synctest
// bubble, that is as soon as every goroutine of the bubble is blocked. A
// test of "at once, never a hang" waits with it, and submits with it, so
// that a deadlock fails on its own deadline, at once, and unwinds (the
// tasks see the deadline too) instead of hanging until the binary's
// timeout.
func soon(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// waitSoon is p.Wait bounded by ctx: past ctx's deadline it fails the
// test, saying what was still there, instead of waiting on.
func waitSoon(t *testing.T, ctx context.Context, p *pool.Pool) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		t.Fatalf("Wait did not return by its deadline, a deadlock: stats %+v; lanes: %s", p.Stats(), pool.LaneDump(p))
		return nil
	}
}

// waitTask is task.Wait bounded by ctx, failing the test past its deadline.
func waitTask(t *testing.T, ctx context.Context, task *pool.Task) error {
	t.Helper()
	err := task.Wait(ctx)
	if ctx.Err() != nil {
		t.Fatalf("task %d did not end by its deadline, a deadlock: state %v", task.ID(), task.State())
	}
	return err
}
