package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestEscapedContextIsHarmless: a task's context kept after the task
// returned, used from another goroutine while its worker runs the next
// task, gives back no slot: the running task keeps it, and the limit
// holds. Before, Suspend acted on whatever task the worker ran next.
func TestEscapedContextIsHarmless(t *testing.T) {
	t.Parallel()
	for _, submit := range []bool{false, true} {
		p := newPool(t, pool.MaxWorkers(1))
		escaped := make(chan context.Context, 1)
		keep := func(ctx context.Context) error { escaped <- ctx; return nil }
		if submit {
			mustSubmit(t, p, t.Context(), keep)
		} else {
			mustGo(t, p, keep)
		}
		ctx := <-escaped
		release := make(chan struct{})
		running := make(chan struct{})
		mustGo(t, p, func(context.Context) error { close(running); <-release; return nil })
		<-running
		third := make(chan struct{})
		mustGo(t, p, func(context.Context) error { close(third); return nil })
		pool.Suspend(ctx, func() {
			require.Equal(t, 1, p.Stats().Running, "the running task keeps its slot")
			require.Equal(t, 1, p.Stats().Waiting, "the third task still waits")
		})
		select {
		case <-third:
			t.Fatal("an escaped context gave the running task's slot away")
		default:
		}
		close(release)
		require.NoError(t, p.Wait())
	}
}

// TestSuspendFromAnotherGoroutineKeepsTheSlot: a goroutine that a task
// starts, given the task's context, cannot make the task lose its slot
// while the task itself keeps running.
func TestSuspendFromAnotherGoroutineKeepsTheSlot(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(1))
	second := make(chan struct{})
	mustGo(t, p, func(ctx context.Context) error {
		done := make(chan struct{})
		go func() {
			defer close(done)
			pool.Suspend(ctx, func() {})
		}()
		<-done
		mustGo(t, p, func(context.Context) error { close(second); return nil })
		require.Equal(t, 1, p.Stats().Running)
		select {
		case <-second:
			t.Error("the second task started while the first still runs at limit 1")
		default:
		}
		return nil
	})
	require.NoError(t, p.Wait())
	<-second
}

// TestCurrentTaskOfAKeptContext: a Submit task's context kept after the
// task ended reports no task, not the one its worker runs next; a Go
// task's kept context reports no task while its worker runs a Submit task.
func TestCurrentTaskOfAKeptContext(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"submit", "go"} {
		t.Run(kind, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.MaxWorkers(1))
				kept := make(chan context.Context, 1)
				first := func(ctx context.Context) error { kept <- ctx; return nil }
				gate := make(chan struct{})
				if kind == "submit" {
					mustSubmit(t, p, context.Background(), first)
				} else {
					mustGo(t, p, first)
				}
				second := mustSubmit(t, p, context.Background(), func(context.Context) error { <-gate; return nil })
				ctx := <-kept
				synctest.Wait() // the second task runs now, on the same worker
				require.Equal(t, pool.Running, second.State())
				info, ok := pool.CurrentTask(ctx)
				close(gate)
				require.False(t, ok, "the first task ended; its context reports %+v", info)
				require.NoError(t, p.Wait())
			})
		})
	}
}
