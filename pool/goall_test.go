package pool_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestGoAllKeepsOrderAndErrors: GoAll submits in order (FIFO at limit 1),
// across several holds of the lock, and Wait returns the tasks' errors
// as for Go.
func TestGoAllKeepsOrderAndErrors(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(1))
	gate := make(chan struct{})
	mustGo(t, p, gated(gate, nil))
	var r recorder
	const n = 1000 // several runs of the lock
	fns := make([]func(context.Context) error, n)
	want := make([]int, n)
	boom := errors.New("boom")
	for i := range fns {
		want[i] = i
		task := r.task(i)
		fns[i] = func(ctx context.Context) error {
			err := task(ctx)
			if i == 500 {
				return boom
			}
			return err
		}
	}
	got, err := p.GoAll(fns...)
	require.NoError(t, err)
	require.Equal(t, n, got)
	require.Equal(t, n, p.Stats().Waiting)
	close(gate)
	require.ErrorIs(t, p.Wait(), boom)
	require.Equal(t, want, r.order())
	require.EqualValues(t, n+1, p.Stats().Submitted)
}

// TestGoAllWaitsForRoom: with a queue bound, GoAll submits what fits and
// waits for room for the rest, as Go does, and returns once all are in.
func TestGoAllWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1), pool.QueueSize(3))
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil))
		fns := make([]func(context.Context) error, 10)
		for i := range fns {
			fns[i] = succeed
		}
		done := goAllAsync(p, fns)
		synctest.Wait()
		require.Empty(t, done, "GoAll waits while the queue is full")
		require.Equal(t, 3, p.Stats().Waiting, "it filled the queue to its bound, no further")
		close(gate)
		require.Equal(t, goAllResult{10, nil}, <-done)
		require.NoError(t, p.Wait())
		require.EqualValues(t, 11, p.Stats().Succeeded)
	})
}

// TestGoAllStopsAtClose: a GoAll waiting for room when the pool closes
// reports how many it submitted and ErrClosed; those ran, the rest never.
func TestGoAllStopsAtClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(1), pool.QueueSize(2))
		require.NoError(t, err)
		gate := make(chan struct{})
		mustGo(t, p, gated(gate, nil))
		var r recorder
		fns := make([]func(context.Context) error, 5)
		for i := range fns {
			fns[i] = r.task(i)
		}
		done := goAllAsync(p, fns)
		synctest.Wait()
		closed := make(chan error, 1)
		go func() { closed <- p.Close() }()
		res := <-done
		require.ErrorIs(t, res.err, pool.ErrClosed)
		require.Equal(t, 2, res.n, "the two that fitted before Close")
		close(gate)
		require.NoError(t, <-closed)
		require.Equal(t, []int{0, 1}, r.order())
		n, err := p.GoAll(succeed)
		require.ErrorIs(t, err, pool.ErrClosed)
		require.Zero(t, n)
	})
}

// TestGoAllNilPanicsBeforeSubmitting: a nil function among fns is a
// programming error, reported before anything is submitted.
func TestGoAllNilPanicsBeforeSubmitting(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	require.PanicsWithValue(t, "pool: nil task function", func() { _, _ = p.GoAll(succeed, nil) })
	require.NoError(t, p.Wait())
	require.Zero(t, p.Stats().Submitted)
}

type goAllResult struct {
	n   int
	err error
}

// goAllAsync calls GoAll on a goroutine of its own and sends what it
// returned.
func goAllAsync(p *pool.Pool, fns []func(context.Context) error) <-chan goAllResult {
	done := make(chan goAllResult, 1)
	go func() {
		n, err := p.GoAll(fns...)
		done <- goAllResult{n, err}
	}()
	return done
}
