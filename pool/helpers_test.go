package pool_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

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
