package pool_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

func explode(context.Context) error { panic("kaboom") }

func TestPanicKeepsValueAndStack(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(2))
	task := mustSubmit(t, p, t.Context(), explode)
	err := task.Wait(t.Context())
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "kaboom", pe.Value)
	require.Contains(t, string(pe.Stack), "pool_test.explode", "the stack shows the frame that panicked")
	require.Equal(t, pool.Failed, task.State())
	require.EqualError(t, err, "pool: task panicked: kaboom")
}

func TestEveryPanicIsKeptAndThePoolGoesOn(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(2))
	for range 5 {
		mustGo(t, p, explode)
	}
	mustGo(t, p, func(context.Context) error { panic(io.EOF) })
	err := p.Wait()
	var panics int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var pe *pool.PanicError
		require.ErrorAs(t, e, &pe)
		panics++
	}
	require.Equal(t, 6, panics)
	require.ErrorIs(t, err, io.EOF, "a panic with an error value unwraps to it")

	// The pool still works, with both of its workers.
	mustGo(t, p, succeed)
	mustGo(t, p, succeed)
	require.NoError(t, p.Wait())
}

func TestPanicWithNil(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	err := mustSubmit(t, p, t.Context(), func(context.Context) error { panic(nil) }).Wait(t.Context())
	var pe *pool.PanicError
	require.ErrorAs(t, err, &pe)
	var pn *runtime.PanicNilError
	require.True(t, errors.As(err, &pn))
}

// TestGoexitIsAFailureNotAHang: a task that calls runtime.Goexit (as
// t.FailNow does) ends Failed; the pool replaces the worker and goes on.
func TestGoexitIsAFailureNotAHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		p := newPool(t, pool.MaxWorkers(1))
		task := mustSubmit(t, p, ctx, func(context.Context) error { runtime.Goexit(); return nil })
		require.ErrorIs(t, waitTask(t, ctx, task), pool.ErrGoexit)
		require.Equal(t, pool.Failed, task.State())
		mustGo(t, p, succeed)
		require.NoError(t, waitSoon(t, ctx, p))
	})
}

func TestNilFunctionPanics(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	require.PanicsWithValue(t, "pool: nil task function", func() { _ = p.Go(nil) })
	require.PanicsWithValue(t, "pool: nil task function", func() { _ = p.TryGo(nil) })
	require.PanicsWithValue(t, "pool: nil task function", func() { _, _ = p.Submit(t.Context(), nil) })
	//lint:ignore SA1012 the point of the test
	require.PanicsWithValue(t, "pool: nil context", func() { _, _ = p.Submit(nil, succeed) }) //nolint:staticcheck // the point of the test
	require.Zero(t, p.Stats().Submitted)
}

// TestNilContextsPanicWithPrefix: a nil context is a programming error,
// reported in the package's words wherever a context is taken.
func TestNilContextsPanicWithPrefix(t *testing.T) {
	t.Parallel()
	p := newPool(t)
	task := mustSubmit(t, p, t.Context(), succeed)
	var none context.Context // nil: the point of the test
	for name, call := range map[string]func(){
		"Task.Wait":   func() { _ = task.Wait(none) },
		"Suspend":     func() { pool.Suspend(none, func() {}) },
		"Shutdown":    func() { _ = p.Shutdown(none) },
		"CurrentTask": func() { _, _ = pool.CurrentTask(none) },
		"Outcome":     func() { _ = pool.Outcome(none, errors.New("x")) },
	} {
		require.PanicsWithValue(t, "pool: nil context", call, name)
	}
}

// TestNilInputsOfOtherKinds: a nil function or option, and the zero value
// of an exported error type, are reported in the package's words, not by a
// nil dereference.
func TestNilInputsOfOtherKinds(t *testing.T) {
	t.Parallel()
	require.PanicsWithValue(t, "pool: Suspend with a nil function", func() { pool.Suspend(t.Context(), nil) })
	_, err := pool.New(nil)
	require.ErrorIs(t, err, pool.ErrInvalid)
	p := newPool(t)
	_, err = p.Sub(pool.MaxWorkers(1), nil)
	require.ErrorIs(t, err, pool.ErrInvalid)
	require.Equal(t, "pool: event hook panicked", (&pool.HookError{}).Error())
}

// TestZeroPoolPanicsWithAdvice: a Pool not made by New says what to call.
func TestZeroPoolPanicsWithAdvice(t *testing.T) {
	t.Parallel()
	const want = "pool: a zero or nil Pool; create one with pool.New (or Pool.Sub)"
	var zero pool.Pool
	var nilPool *pool.Pool
	require.PanicsWithValue(t, want, func() { _ = zero.Go(succeed) })
	require.PanicsWithValue(t, want, func() { _, _ = zero.Submit(t.Context(), succeed) })
	require.PanicsWithValue(t, want, func() { _ = zero.Wait() })
	require.PanicsWithValue(t, want, func() { _ = nilPool.Close() })
	require.PanicsWithValue(t, want, func() { _ = new(pool.Pool).Stats() })
}

// TestZeroTaskPanicsWithAdvice: a Task not made by Submit says where tasks
// come from, from every method, and its Wait does not hang (in the bubble,
// a Wait that blocked forever would fail the test as a deadlock).
func TestZeroTaskPanicsWithAdvice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const want = "pool: a zero or nil Task; tasks come from Pool.Submit"
		for _, tk := range []*pool.Task{new(pool.Task), nil} {
			require.PanicsWithValue(t, want, func() { _ = tk.Wait(context.Background()) })
			require.PanicsWithValue(t, want, func() { _ = tk.Done() })
			require.PanicsWithValue(t, want, func() { _ = tk.State() })
			require.PanicsWithValue(t, want, func() { _ = tk.Err() })
			require.PanicsWithValue(t, want, func() { tk.Cancel() })
			require.PanicsWithValue(t, want, func() { _ = tk.Times() })
			require.PanicsWithValue(t, want, func() { _ = tk.ID() })
		}
	})
}

// TestPanicsFindsEveryPanic: errors.As finds the first panic of a joined
// error; Panics finds them all, through wrapping at any depth.
func TestPanicsFindsEveryPanic(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(1))
	for i := range 3 {
		mustGo(t, p, func(context.Context) error { panic(i) })
	}
	mustGo(t, p, func(context.Context) error { return errors.New("plain") })
	err := fmt.Errorf("wrapped: %w", p.Wait())
	panics := pool.Panics(err)
	require.Len(t, panics, 3)
	for i, pe := range panics {
		require.Equal(t, i, pe.Value)
	}
	require.Empty(t, pool.Panics(errors.New("no panic")))
	require.Empty(t, pool.Panics(nil))
}

// TestGoexitEndIsReportedBeforeItsResourcesPass: a task holding a
// resource that calls runtime.Goexit gives the resource back only after
// its end is reported, as a task that returns does: no event shows two
// holders of the resource at once.
func TestGoexitEndIsReportedBeforeItsResourcesPass(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var order []string
	hook := func(e pool.Event) {
		if e.State == pool.Running || e.Final() {
			mu.Lock()
			order = append(order, e.ID+" "+e.State.String())
			mu.Unlock()
		}
	}
	p := newPool(t, pool.OnEvent(hook))
	mustGo(t, p, func(context.Context) error { runtime.Goexit(); return nil }, pool.Resources("R"), pool.Label("", "quits"))
	mustGo(t, p, succeed, pool.Resources("R"), pool.Label("", "next"))
	require.ErrorIs(t, p.Close(), pool.ErrGoexit) // every event delivered
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"quits Running", "quits Failed", "next Running", "next Succeeded"}, order)
}
