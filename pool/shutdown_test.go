package pool_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

func TestCloseDrainsQueuedWork(t *testing.T) {
	t.Parallel()
	p, err := pool.New(pool.MaxWorkers(2))
	require.NoError(t, err)
	var r recorder
	boom := errors.New("boom")
	for i := range 50 {
		mustGo(t, p, r.task(i))
	}
	mustGo(t, p, func(context.Context) error { return boom })
	require.ErrorIs(t, p.Close(), boom)
	require.Len(t, r.order(), 50)
	require.Zero(t, p.Stats().Workers)
	require.ErrorIs(t, p.Go(succeed), pool.ErrClosed)
	_, err = p.Submit(t.Context(), succeed)
	require.ErrorIs(t, err, pool.ErrClosed)
	require.NoError(t, p.Close(), "a second Close is a no-op")
}

// TestShutdownWithLeftovers: limit 1, one running task and five queued;
// the deadline passes; the queued ones are skipped, the running one is
// cancelled, and each is reported.
func TestShutdownWithLeftovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		release := make(chan struct{})
		running := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			<-ctx.Done()
			<-release // a straggler: it takes its time after cancellation
			return context.Cause(ctx)
		})
		queued := mustSubmit(t, p, t.Context(), succeed)
		for range 4 {
			mustGo(t, p, succeed)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err = p.Shutdown(ctx)
		var se *pool.ShutdownError
		require.ErrorAs(t, err, &se)
		require.Equal(t, 5, se.Skipped)
		require.Equal(t, 1, se.Running)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		var sk *pool.SkippedError
		require.ErrorAs(t, err, &sk, "the skipped Go tasks are among the pool's errors")
		require.Equal(t, 4, sk.Count)
		require.Equal(t, pool.Skipped, queued.State())

		close(release)
		<-running.Done()
		require.Equal(t, pool.Canceled, running.State())
		require.ErrorIs(t, running.Err(), context.DeadlineExceeded, "the cause names the shutdown")
		require.NoError(t, p.Close(), "the straggler's error is on its handle")
		s := p.Stats()
		require.Equal(t, s.Submitted, s.Succeeded+s.Failed+s.Canceled+s.Skipped+s.TimedOut)
	})
}

func TestShutdownThatDrainsInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		for range 3 {
			mustGo(t, p, func(context.Context) error { sleep(time.Second); return nil })
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		require.NoError(t, p.Shutdown(ctx))
		require.EqualValues(t, 3, p.Stats().Succeeded)
	})
}

// TestCloseWaitsForSuspendedTasks: a task blocked on its child counts as
// unfinished until it has resumed and returned, and may still submit that
// child while the pool drains.
func TestCloseWaitsForSuspendedTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		closing := make(chan struct{})
		done := false
		mustGo(t, p, func(ctx context.Context) error {
			<-closing
			err := mustSubmit(t, p, ctx, succeed).Wait(ctx)
			done = true
			return err
		})
		closed := make(chan error)
		go func() { closed <- p.Close() }()
		synctest.Wait() // Close is now draining
		require.ErrorIs(t, p.Go(succeed), pool.ErrClosed, "outsiders are refused")
		close(closing)
		require.NoError(t, <-closed)
		require.True(t, done)
	})
}

// TestCloseFromItsOwnTaskDoesNotHang: a task that closes its own pool (or
// its parent) gets ErrWaitsForItself at once; the pool stops intake, and
// the tasks drain. Wait from inside a task returns the same error.
func TestCloseFromItsOwnTaskDoesNotHang(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(2))
	sub, err := p.Sub()
	require.NoError(t, err)
	queued := make(chan struct{})
	task := mustSubmit(t, sub, t.Context(), func(ctx context.Context) error {
		<-queued
		if err := sub.Wait(); !errors.Is(err, pool.ErrWaitsForItself) {
			return fmt.Errorf("Wait from inside: %v", err)
		}
		return p.Close()
	})
	other := mustSubmit(t, p, t.Context(), func(context.Context) error { return nil })
	close(queued)
	require.ErrorIs(t, task.Wait(t.Context()), pool.ErrWaitsForItself)
	require.NoError(t, other.Wait(t.Context()))
	require.ErrorIs(t, p.Go(func(context.Context) error { return nil }), pool.ErrClosed)
	require.NoError(t, p.Close())
}

// TestShutdownDeadlineHoldsWhileEventsAreDelivered: a slow hook cannot
// hold Shutdown past its deadline: every task has ended, the events are
// still on their way, and Shutdown returns a *ShutdownError on time.
func TestShutdownDeadlineHoldsWhileEventsAreDelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := pool.New(pool.OnEvent(func(pool.Event) { time.Sleep(5 * time.Millisecond) }))
		require.NoError(t, err)
		for range 100 {
			mustGo(t, p, func(context.Context) error { return nil })
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err = p.Shutdown(ctx)
		var serr *pool.ShutdownError
		require.ErrorAs(t, err, &serr)
		require.Equal(t, 50*time.Millisecond, time.Since(start))
		require.NoError(t, p.Close(), "a later Close waits for the rest of the events")
	})
}

// TestCloseReturnsWithSkippedTasksResourcesFree: tasks that held their
// resources while queued and were then skipped give them back before
// Close returns, not after.
func TestCloseReturnsWithSkippedTasksResourcesFree(t *testing.T) {
	t.Parallel()
	for range 50 {
		p, err := pool.New(pool.MaxWorkers(1))
		require.NoError(t, err)
		release := make(chan struct{})
		mustGo(t, p, func(context.Context) error { <-release; return nil })
		ctx, cancel := context.WithCancel(t.Context())
		for i := range 20 {
			_, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Resources(fmt.Sprint("r", i)))
			require.NoError(t, err)
		}
		cancel()
		close(release)
		require.NoError(t, p.Close())
		require.Zero(t, p.Stats().Names, "resources still held after Close returned")
	}
}

// TestShutdownDeadlineHoldsWithASlowHook: Shutdown is Close bounded by its
// context. A pool that drains in time but whose event hook is stuck must
// still return by the deadline, not wait for the hook past it.
func TestShutdownDeadlineHoldsWithASlowHook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := make(chan struct{})
		var once sync.Once
		unstick := func() { once.Do(func() { close(stuck) }) }
		p, err := pool.New(pool.OnEvent(func(pool.Event) { <-stuck }))
		require.NoError(t, err)
		defer func() { unstick(); _ = p.Close() }()
		mustGo(t, p, succeed)
		synctest.Wait() // the task has ended; its events wait for the hook
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
		defer cancel()
		begin := time.Now()
		done := make(chan error, 1)
		go func() { done <- p.Shutdown(ctx) }()
		select {
		case err := <-done:
			_ = err // a ShutdownError or nil: the timing is what is checked
		case <-time.After(time.Second):
			unstick()
			err := <-done
			_ = err
			t.Fatalf("Shutdown with a deadline of 10ms returned only once the hook was unstuck, %v later", time.Since(begin))
		}
		require.LessOrEqual(t, time.Since(begin), 10*time.Millisecond)
	})
}

// TestWaitReturnsUnderSteadyLoad: Wait waits for the tasks submitted
// before it, not for an instant with nothing pending: with tasks whose
// start triggers the next submit, it still returns, and the tasks it
// waited for have all ended. The same holds with an event hook.
func TestWaitReturnsUnderSteadyLoad(t *testing.T) {
	for _, hook := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var opts []pool.Option
			if hook {
				opts = append(opts, pool.OnEvent(func(pool.Event) {}))
			}
			p := newPool(t, append(opts, pool.MaxWorkers(4))...)
			var stop atomic.Bool
			var chain func(context.Context) error
			chain = func(context.Context) error {
				if !stop.Load() {
					mustGo(t, p, chain) // the next one, before this one ends
				}
				time.Sleep(time.Millisecond)
				return nil
			}
			first := mustSubmit(t, p, t.Context(), chain)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			waited := make(chan error, 1)
			go func() { waited <- p.Wait() }()
			select {
			case err := <-waited:
				require.NoError(t, err)
			case <-ctx.Done():
				t.Fatal("Wait did not return under steady load")
			}
			require.Equal(t, pool.Succeeded, first.State(), "Wait returned before a task submitted before it ended")
			stop.Store(true)
			require.NoError(t, p.Wait())
		})
	}
}

// TestCloseRacingSubmitsReturns: Close of a tree with a sub-pool and
// names, racing Go and Submit from other goroutines and from inside
// tasks, always returns, and every accepted task ends.
func TestCloseRacingSubmitsReturns(t *testing.T) {
	t.Parallel()
	rounds := 1500
	if testing.Short() {
		rounds = 200
	}
	for round := range rounds {
		root, err := pool.New(pool.MaxWorkers(2), pool.IdleTimeout(0))
		require.NoError(t, err)
		sub, err := root.Sub(pool.MaxWorkers(1))
		require.NoError(t, err)
		var wg sync.WaitGroup
		var handles sync.Map
		var submitted atomic.Int32
		start := make(chan struct{})
		for g := range 3 {
			wg.Go(func() {
				<-start
				for i := range 20 {
					target := []*pool.Pool{root, sub}[(g+i)%2]
					name := pool.Name([]string{"a", "b", "c"}[i%3])
					fn := func(ctx context.Context) error {
						if i%4 == 0 {
							if h, err := target.Submit(ctx, func(context.Context) error { return nil }, name); err == nil {
								return h.Wait(ctx)
							}
						}
						return nil
					}
					if i%2 == 0 {
						_ = target.Go(fn, name)
					} else if h, err := target.Submit(context.Background(), fn, name); err == nil {
						handles.Store(h, true)
					}
					submitted.Add(1)
				}
			})
		}
		closed := make(chan error, 1)
		close(start)
		go func() {
			for submitted.Load() < int32(round%40) {
				runtime.Gosched() // let some submits in first: Close races the rest
			}
			closed <- root.Close()
		}()
		select {
		case err := <-closed:
			_ = err // task errors are expected; returning is what is checked
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Close did not return: root %+v, sub %+v", round, root.Stats(), sub.Stats())
		}
		wg.Wait()
		handles.Range(func(k, _ any) bool {
			select {
			case <-k.(*pool.Task).Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: an accepted task never ended", round)
			}
			return true
		})
		_ = root.Close()
	}
}

// TestCloseSubPoolFromAParentTask: a task of the root at limit 1 that
// closes (or shuts down) a sub-pool gives its slot back while it waits
// for the sub-pool's tasks, as Wait does, instead of waiting for ever for
// tasks that need that slot; and a close that waits for tasks needing the
// caller's name is refused with ErrDeadlock, never a hang.
func TestCloseSubPoolFromAParentTask(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"Close", "Shutdown"} {
		t.Run(how, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				root := newPool(t, pool.MaxWorkers(1))
				ran := 0
				task := mustSubmit(t, root, context.Background(), func(ctx context.Context) error {
					sub, err := root.Sub()
					if err != nil {
						return err
					}
					for range 3 {
						if err := sub.Go(func(context.Context) error { ran++; return nil }); err != nil {
							return err
						}
					}
					if how == "Close" {
						return sub.Close()
					}
					return sub.Shutdown(ctx)
				})
				requireEndsNow(t, task, "the task closing its sub-pool hangs")
				require.Equal(t, 3, ran)
				require.NoError(t, root.Wait())

				// The caller holds a name the sub-pool's task needs.
				task = mustSubmit(t, root, context.Background(), func(ctx context.Context) error {
					sub, err := root.Sub()
					if err != nil {
						return err
					}
					if err := sub.Go(func(context.Context) error { return nil }, pool.Name("k")); err != nil {
						return err
					}
					err = sub.Close()
					if !errors.Is(err, pool.ErrDeadlock) {
						return fmt.Errorf("want ErrDeadlock, got %v", err)
					}
					return nil
				}, pool.Name("k"))
				requireEndsNow(t, task, "a close that waits for a task needing the caller's name hangs")
				require.NoError(t, root.Wait())
			})
		})
	}
}

// TestWaitThroughAClosingParentTaskIsADeadlock: a task of the sub-pool
// that waits for a task needing the name held by the parent's task
// closing the sub-pool closes a cycle; it gets ErrDeadlock, and nothing
// hangs.
func TestWaitThroughAClosingParentTaskIsADeadlock(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		root := newPool(t, pool.MaxWorkers(2))
		gate := make(chan struct{})
		var closeErr error
		task := mustSubmit(t, root, context.Background(), func(ctx context.Context) error {
			sub, err := root.Sub()
			if err != nil {
				return err
			}
			if err := sub.Go(func(ctx context.Context) error {
				<-gate // the parent's task is in Close by now
				c, err := root.Submit(ctx, func(context.Context) error { return nil }, pool.Name("k"))
				if err != nil {
					return err
				}
				return c.Wait(ctx)
			}); err != nil {
				return err
			}
			closeErr = sub.Close()
			return nil
		}, pool.Name("k"))
		synctest.Wait()
		close(gate)
		requireEndsNow(t, task, "a wait closing a cycle through a closing task hangs")
		require.ErrorIs(t, closeErr, pool.ErrDeadlock, "the sub-pool's task's error")
		require.NoError(t, root.Wait())
	})
}

// requireEndsNow lets every goroutine of the bubble run until it blocks,
// and requires that task has ended by then, with no error: else it fails
// with hang, which says what hangs.
func requireEndsNow(t *testing.T, task *pool.Task, hang string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- task.Wait(context.Background()) }()
	synctest.Wait()
	select {
	case err := <-done:
		require.NoError(t, err)
	default:
		t.Fatal(hang)
	}
}
