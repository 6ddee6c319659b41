package parallel_test

import (
	"context"

	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/parallel"
	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// misuse is one entry of the bad-input catalogue: what a caller does
// wrong, and the typed error (want) or the package-prefixed panic (panics)
// it gets.
type misuse struct {
	name   string
	do     func(t *testing.T) error
	want   error  // errors.Is target
	as     any    // errors.As target, in place of want
	panics string // the panic message's prefix, in place of want
}

func nop(context.Context) error { return nil }

func newRoot(t *testing.T, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p, err := pool.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func newPoolErr(opts ...pool.Option) func(*testing.T) error {
	return func(*testing.T) error {
		p, err := pool.New(opts...)
		if p != nil {
			_ = p.Close()
		}
		return err
	}
}

func planErr(opts []parallel.PlanOption, steps ...parallel.Step) func(*testing.T) error {
	return func(t *testing.T) error {
		_, err := parallel.NewPlan(opts...).Add(steps...).Run(t.Context())
		return err
	}
}

var catalogue = []misuse{
	// pool
	{name: "pool: negative limit", do: newPoolErr(pool.MaxWorkers(-1)), want: pool.ErrInvalid},
	{name: "pool: negative queue bound", do: newPoolErr(pool.QueueSize(-1)), want: pool.ErrInvalid},
	{name: "pool: negative idle timeout", do: newPoolErr(pool.IdleTimeout(-time.Second)), want: pool.ErrInvalid},
	//lint:ignore SA1012 the misuse under test
	{name: "pool: nil context option", do: newPoolErr(pool.WithContext(nil)), want: pool.ErrInvalid}, //nolint:staticcheck // the misuse under test
	{name: "pool: resize negative", do: func(t *testing.T) error { return newRoot(t).SetLimit(-1) }, want: pool.ErrInvalid},
	{name: "pool: nil task function", do: func(t *testing.T) error { return newRoot(t).Go(nil) }, panics: "pool: nil task function"},
	{name: "pool: nil submit context", do: func(t *testing.T) error {
		//lint:ignore SA1012 the misuse under test
		_, err := newRoot(t).Submit(nil, nop) //nolint:staticcheck // the misuse under test
		return err
	}, panics: "pool: nil context"},
	{name: "pool: submit after Close", do: func(t *testing.T) error {
		p := newRoot(t)
		_ = p.Close()
		return p.Go(nop)
	}, want: pool.ErrClosed},
	{name: "pool: try-submit to a full queue", do: func(t *testing.T) error {
		p := newRoot(t, pool.MaxWorkers(1), pool.QueueSize(1))
		release := make(chan struct{})
		defer close(release)
		started := make(chan struct{})
		_ = p.Go(func(context.Context) error { close(started); <-release; return nil })
		<-started
		_ = p.Go(nop)
		return p.TryGo(nop)
	}, want: pool.ErrQueueFull},
	{name: "pool: IdleTimeout on a sub-pool", do: func(t *testing.T) error {
		_, err := newRoot(t).Sub(pool.IdleTimeout(time.Second))
		return err
	}, want: pool.ErrInvalid},
	{name: "pool: name limit below 1", do: newPoolErr(pool.NameLimit("x", 0)), want: pool.ErrInvalid},
	{name: "pool: unknown overflow policy", do: newPoolErr(pool.NameOverflow("x", pool.Overflow(99))), want: pool.ErrInvalid},
	{name: "pool: name queue bound below 1", do: newPoolErr(pool.NameQueueSize("x", 0)), want: pool.ErrInvalid},
	{name: "pool: nil name locker", do: newPoolErr(pool.NameLocker(nil)), want: pool.ErrInvalid},
	{name: "pool: nil event hook", do: newPoolErr(pool.OnEvent(nil)), want: pool.ErrInvalid},
	{name: "pool: nil slog logger", do: func(*testing.T) error { pool.LogEvents(nil); return nil }, panics: "pool: LogEvents(nil)"},
	{name: "pool: full name line", do: func(t *testing.T) error {
		p := newRoot(t, pool.NameQueueSize("x", 1))
		release := make(chan struct{})
		defer close(release)
		started := make(chan struct{})
		_ = p.Go(func(context.Context) error { close(started); <-release; return nil }, pool.Name("x"))
		<-started
		_ = p.Go(nop, pool.Name("x"))
		return p.Go(nop, pool.Name("x"))
	}, want: pool.ErrNameQueueFull},
	{name: "pool: holder waits for a task needing its name", do: func(t *testing.T) error {
		p := newRoot(t)
		var inner error
		h, _ := p.Submit(t.Context(), func(ctx context.Context) error {
			child, _ := p.Submit(ctx, nop, pool.Name("k"))
			inner = child.Wait(ctx)
			return nil
		}, pool.Name("k"))
		_ = h.Wait(t.Context())
		return inner
	}, want: pool.ErrDeadlock},
	{name: "pool: hook that panics", do: func(t *testing.T) error {
		p := newRoot(t, pool.OnEvent(func(pool.Event) { panic("hook") }))
		_ = p.Go(nop)
		return p.Wait()
	}, as: new(*pool.HookError)},
	// lock
	{name: "lock: limit below 1", do: func(*testing.T) error { _, err := lock.NewNames(lock.Limit(0)); return err }, want: lock.ErrInvalid},
	{name: "lock: empty name", do: func(t *testing.T) error {
		n, _ := lock.NewNames()
		_, err := n.Acquire(t.Context(), "")
		return err
	}, want: lock.ErrInvalid},
	{name: "lock: no name at all", do: func(t *testing.T) error {
		n, _ := lock.NewNames()
		_, err := n.AcquireAll(t.Context())
		return err
	}, want: lock.ErrInvalid},
	{name: "lock: semaphore weight above its size", do: func(t *testing.T) error {
		s, _ := lock.NewSemaphore(2)
		_, err := s.Acquire(t.Context(), 3)
		return err
	}, want: lock.ErrInvalid},
	{name: "lock: semaphore of size 0", do: func(*testing.T) error { _, err := lock.NewSemaphore(0); return err }, want: lock.ErrInvalid},
	{name: "lock: try a held name", do: func(t *testing.T) error {
		n, _ := lock.NewNames()
		l, _ := n.Acquire(t.Context(), "x")
		defer func() { _ = l.Release() }() // an in-process lease is never lost
		_, err := n.TryAcquire("x")
		return err
	}, want: lock.ErrBusy},
	{name: "lock: nil grant callback", do: func(*testing.T) error {
		n, _ := lock.NewNames()
		_, err := n.AcquireFunc([]string{"x"}, nil)
		return err
	}, panics: "lock: nil granted function"},
	// strategy
	{name: "strategy: negative tolerance", do: func(*testing.T) error { return strategy.BestEffort().Tolerate(-1).Err() }, want: strategy.ErrInvalid},
	{name: "strategy: tolerance fraction above 1", do: func(*testing.T) error { return strategy.BestEffort().TolerateFraction(1.5).Err() }, want: strategy.ErrInvalid},
	{name: "strategy: tolerance on fail_fast", do: func(*testing.T) error { return strategy.FailFast().Tolerate(1).Err() }, want: strategy.ErrInvalid},
	// parallel: groups
	{name: "parallel: negative max workers", do: groupErr(parallel.MaxWorkers(-1)), want: parallel.ErrInvalid},
	{name: "parallel: negative timeout", do: groupErr(parallel.Timeout(-1)), want: parallel.ErrInvalid},
	{name: "parallel: invalid strategy", do: groupErr(parallel.WithStrategy(strategy.BestEffort().TolerateFraction(-0.1))), want: parallel.ErrInvalid},
	{name: "parallel: PerItem on a group", do: groupErr(parallel.PerItem(func(int) pool.TaskOption { return pool.Name("x") })), want: parallel.ErrInvalid},
	{name: "parallel: PerItem of the wrong type on Map", do: func(t *testing.T) error {
		_, err := parallel.Map(t.Context(), []int{1}, func(context.Context, int) (int, error) { return 0, nil },
			parallel.PerItem(func(string) pool.TaskOption { return pool.Name("x") }))
		return err
	}, want: parallel.ErrInvalid},
	{name: "parallel: pool options with a shared pool", do: func(t *testing.T) error {
		return groupErr(parallel.OnPool(newRoot(t)), parallel.PoolOptions(pool.NameLimit("x", 2)))(t)
	}, want: parallel.ErrInvalid},
	{name: "parallel: bad pool options", do: groupErr(parallel.PoolOptions(pool.MaxWorkers(-1))), want: parallel.ErrInvalid},
	{name: "parallel: empty task ID", do: func(t *testing.T) error {
		g := parallel.NewGroup[int]()
		g.Add("", func(context.Context) (int, error) { return 0, nil })
		_, err := g.Run(t.Context())
		return err
	}, want: parallel.ErrEmptyID},
	{name: "parallel: duplicate task ID", do: func(t *testing.T) error {
		g := parallel.NewGroup[int]()
		g.Add("a", func(context.Context) (int, error) { return 0, nil })
		g.Add("a", func(context.Context) (int, error) { return 0, nil })
		_, err := g.Run(t.Context())
		return err
	}, want: parallel.ErrDuplicateID},
	{name: "parallel: nil task function", do: func(*testing.T) error {
		g := parallel.NewGroup[int]()
		g.Add("a", nil)
		return nil
	}, panics: "parallel:"},
	{name: "parallel: add after Run", do: func(t *testing.T) error {
		g := parallel.NewGroup[int]()
		_, _ = g.Run(t.Context())
		g.Add("late", func(context.Context) (int, error) { return 0, nil })
		return nil
	}, panics: "parallel:"},
	{name: "parallel: run twice", do: func(t *testing.T) error {
		g := parallel.NewGroup[int]()
		_, _ = g.Run(t.Context())
		_, err := g.Run(t.Context())
		return err
	}, want: parallel.ErrStarted},
	{name: "parallel: race with no task", do: func(t *testing.T) error {
		g := parallel.NewGroup[int](parallel.WithStrategy(strategy.Race()))
		_, err := g.Run(t.Context())
		return err
	}, want: strategy.ErrNoWinner},
	{name: "parallel: event hook with a shared pool", do: func(t *testing.T) error {
		return groupErr(parallel.OnPool(newRoot(t)), parallel.OnEvent(func(pool.Event) {}))(t)
	}, want: parallel.ErrInvalid},
	// parallel: plans
	{name: "plan: no steps", do: planErr(nil), want: parallel.ErrEmptyPlan},
	{name: "plan: empty step name", do: planErr(nil, parallel.Do("", nop)), want: parallel.ErrEmptyID},
	{name: "plan: duplicate step names", do: planErr(nil, parallel.Do("a", nop), parallel.Do("a", nop)), want: parallel.ErrDuplicateID},
	{name: "plan: step name with a path separator", do: planErr(nil, parallel.Do("load/users", nop)), want: parallel.ErrInvalid},
	{name: "plan: nil step function", do: planErr(nil, parallel.Do("a", nil)), want: parallel.ErrNilStep},
	{name: "plan: negative max threads", do: planErr([]parallel.PlanOption{parallel.MaxWorkers(-1)}, parallel.Do("a", nop)), want: parallel.ErrInvalid},
	{name: "plan: negative parallelism", do: planErr(nil, parallel.Broadcast("rows", []int{1}, func(context.Context, int) error { return nil }, parallel.Parallelism(-1))), want: parallel.ErrInvalid},
	{name: "plan: race strategy", do: planErr([]parallel.PlanOption{parallel.WithStrategy(strategy.Race())}, parallel.Do("a", nop)), want: parallel.ErrInvalid},
	{name: "plan: inlines itself", do: func(t *testing.T) error {
		p := parallel.NewPlan()
		p.Add(parallel.Do("a", nop), parallel.Inline("again", p))
		_, err := p.Run(t.Context())
		return err
	}, want: parallel.ErrCycle},
	{name: "plan: inlines itself through another", do: func(t *testing.T) error {
		a, b := parallel.NewPlan(), parallel.NewPlan()
		a.Add(parallel.Inline("b", b))
		b.Add(parallel.Inline("a", a))
		_, err := a.Run(t.Context())
		return err
	}, want: parallel.ErrCycle},
}

// TestBadInputCatalogue runs every misuse under a deadline: each gets its
// typed error or its package-prefixed panic, and none hangs.
func TestBadInputCatalogue(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, len(catalogue), 25)
	for _, m := range catalogue {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			panicked, err := runWithDeadline(t, m.do)
			if m.panics != "" {
				require.NotNil(t, panicked, "expected a panic")
				require.True(t, strings.HasPrefix(fmt.Sprint(panicked), m.panics), "panic %q lacks the prefix %q", panicked, m.panics)
				return
			}
			require.Nil(t, panicked)
			if m.as != nil {
				require.ErrorAs(t, err, m.as)
				return
			}
			require.ErrorIs(t, err, m.want)
		})
	}
}

// runWithDeadline runs do, recovering a panic, and fails the test if it
// does not return within ten seconds of real time.
func runWithDeadline(t *testing.T, do func(*testing.T) error) (panicked any, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		err = do(t)
	}()
	select {
	case <-done:
		return panicked, err
	case <-time.After(10 * time.Second):
		t.Fatal("misuse hung")
		return nil, nil
	}
}

// groupErr runs a group made with opts and one task, and returns Run's
// error, having checked that the task did not run.
func groupErr(opts ...parallel.Option) func(*testing.T) error {
	return func(t *testing.T) error {
		g := parallel.NewGroup[int](opts...)
		ran := false
		g.Add("a", func(context.Context) (int, error) { ran = true; return 0, nil })
		_, err := g.Run(t.Context())
		require.False(t, ran, "a group with a bad option runs nothing")
		return err
	}
}
