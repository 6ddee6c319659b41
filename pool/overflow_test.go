package pool_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// holdName submits a task of name that runs until release is closed (or
// its context ends) and waits until it runs.
func holdName(t *testing.T, p *pool.Pool, name string, release <-chan struct{}) *pool.Task {
	t.Helper()
	h := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}, pool.Name(name))
	synctest.Wait()
	require.Equal(t, pool.Running, h.State())
	return h
}

func TestOverflowDropNewest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameOverflow("sync", pool.DropNewest))
		release := make(chan struct{})
		holder := holdName(t, p, "sync", release)
		dropped := mustSubmit(t, p, t.Context(), func(context.Context) error { panic("must not run") }, pool.Name("sync"))
		require.Equal(t, pool.Skipped, dropped.State(), "dropped at once, not queued")
		require.ErrorIs(t, dropped.Err(), pool.ErrDropped)
		ranGo := false
		mustGo(t, p, func(context.Context) error { ranGo = true; return nil }, pool.Name("sync"))
		close(release)
		require.NoError(t, holder.Wait(t.Context()))
		require.NoError(t, p.Wait(), "a drop is the policy at work, not an error")
		require.False(t, ranGo)
		s := p.Stats()
		require.EqualValues(t, 3, s.Submitted)
		require.EqualValues(t, 1, s.Succeeded)
		require.EqualValues(t, 2, s.Skipped)
		require.EqualValues(t, 2, s.Dropped)
		// Once the name is free, the next task runs.
		require.NoError(t, mustSubmit(t, p, t.Context(), succeed, pool.Name("sync")).Wait(t.Context()))
	})
}

func TestOverflowCancelRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameOverflow("render", pool.CancelRunning))
		holder := holdName(t, p, "render", nil)
		newer := mustSubmit(t, p, t.Context(), succeed, pool.Name("render"))
		require.ErrorIs(t, holder.Wait(t.Context()), pool.ErrSuperseded)
		require.Equal(t, pool.Canceled, holder.State())
		require.NoError(t, newer.Wait(t.Context()))
		require.Equal(t, pool.Succeeded, newer.State())
	})
}

// TestOverflowCancelRunningGoTask: a Go task shares its pool's context, yet
// a newer task of its name cancels it alone.
func TestOverflowCancelRunningGoTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameOverflow("render", pool.CancelRunning))
		var cause error
		mustGo(t, p, func(ctx context.Context) error {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return cause
		}, pool.Name("render"))
		other := holdName(t, p, "other", nil) // must not be cancelled
		synctest.Wait()
		newer := mustSubmit(t, p, t.Context(), succeed, pool.Name("render"))
		require.NoError(t, newer.Wait(t.Context()))
		require.ErrorIs(t, cause, pool.ErrSuperseded)
		require.Equal(t, pool.Running, other.State())
		other.Cancel()
		require.ErrorIs(t, p.Wait(), pool.ErrSuperseded, "Wait reports the Go task's error")
		require.EqualValues(t, 2, p.Stats().Canceled, "the Go task and the other ended Canceled")
	})
}

func TestOverflowKeepLatest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameOverflow("refresh", pool.KeepLatest))
		release := make(chan struct{})
		holder := holdName(t, p, "refresh", release)
		var waiting []*pool.Task
		var r recorder
		for i := range 5 {
			waiting = append(waiting, mustSubmit(t, p, t.Context(), r.task(i), pool.Name("refresh")))
			require.Equal(t, pool.Blocked, waiting[i].State())
			if i > 0 {
				require.Equal(t, pool.Skipped, waiting[i-1].State(), "replaced at once by the newer task")
				require.ErrorIs(t, waiting[i-1].Err(), pool.ErrReplaced)
			}
		}
		require.Equal(t, 1, p.Stats().Blocked, "at most one waits")
		close(release)
		require.NoError(t, holder.Wait(t.Context()))
		require.NoError(t, p.Wait())
		require.Equal(t, []int{4}, r.order(), "only the latest ran")
		s := p.Stats()
		require.EqualValues(t, 4, s.Dropped)
		require.Zero(t, s.Names)
	})
}

func TestNameQueueSizeBoundsTheLine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameQueueSize("export", 2))
		release := make(chan struct{})
		holdName(t, p, "export", release)
		mustGo(t, p, succeed, pool.Name("export"))
		mustSubmit(t, p, t.Context(), succeed, pool.Name("export"))
		_, err := p.Submit(t.Context(), succeed, pool.Name("export"))
		require.ErrorIs(t, err, pool.ErrNameQueueFull)
		require.ErrorIs(t, p.Go(succeed, pool.Name("export")), pool.ErrNameQueueFull)
		require.NoError(t, p.Go(succeed, pool.Name("other")), "other names are not bounded")
		close(release)
		require.NoError(t, p.Wait())
		s := p.Stats()
		require.EqualValues(t, 4, s.Submitted, "refused submits were not submitted")
		require.EqualValues(t, 4, s.Succeeded)
	})
}

func TestOverflowBadInput(t *testing.T) {
	t.Parallel()
	for _, opt := range []pool.Option{
		pool.NameOverflow("x", pool.Overflow(42)),
		pool.NameOverflow("x", pool.Overflow(-1)),
		pool.NameOverflow("", pool.DropNewest),
		pool.NameQueueSize("x", 0),
		pool.NameQueueSize("", 3),
		pool.NameLocker(nil),
	} {
		_, err := pool.New(opt)
		require.ErrorIs(t, err, pool.ErrInvalid)
	}
	root := newPool(t)
	_, err := root.Sub(pool.NameOverflow("x", pool.DropNewest))
	require.ErrorIs(t, err, pool.ErrInvalid, "names belong to the root")
	require.Equal(t, "KeepLatest", pool.KeepLatest.String())
	require.Equal(t, "Overflow(invalid)", pool.Overflow(9).String())
}

// TestReentrantChildUsesTheHoldersName: with Reentrant, a child needing the
// name its submitter holds runs inside the holder's hold instead of
// deadlocking, while other tasks of the name still wait for the holder.
func TestReentrantChildUsesTheHoldersName(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		var inK peak
		var r recorder
		parent := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			inK.enter()
			defer inK.leave()
			child := mustSubmit(t, p, ctx, r.task(1), pool.Name("K"), pool.Reentrant())
			return child.Wait(ctx)
		}, pool.Name("K"))
		later := mustSubmit(t, p, t.Context(), r.task(2), pool.Name("K"))
		require.NoError(t, parent.Wait(t.Context()))
		require.NoError(t, later.Wait(t.Context()))
		require.Equal(t, []int{1, 2}, r.order())
		require.EqualValues(t, 1, inK.max.Load())
	})
}

// TestReentranceChainsToAnyDepth: a Reentrant child shares its holder's
// name and resources, and passes them on to its own Reentrant children:
// four levels under one hold of K and R all run, with a resource of their
// own taken on the way (S at level 2, shared below it), while a task of K
// from outside waits for the holder.
func TestReentranceChainsToAnyDepth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		var r recorder
		var level func(n int) func(context.Context) error
		level = func(n int) func(context.Context) error {
			return func(ctx context.Context) error {
				if n == 4 {
					return r.task(n)(ctx)
				}
				opts := []pool.TaskOption{pool.Name("K"), pool.Resources("R"), pool.Reentrant()}
				if n >= 1 {
					opts = append(opts, pool.Resources("S"))
				}
				child, err := p.Submit(ctx, level(n+1), opts...)
				if err != nil {
					return err
				}
				if err := child.Wait(ctx); err != nil {
					return err
				}
				return r.task(n)(ctx)
			}
		}
		holder := mustSubmit(t, p, t.Context(), level(0), pool.Name("K"), pool.Resources("R"))
		later := mustSubmit(t, p, t.Context(), r.task(9), pool.Name("K"))
		require.NoError(t, holder.Wait(t.Context()))
		require.NoError(t, later.Wait(t.Context()))
		require.Equal(t, []int{4, 3, 2, 1, 0, 9}, r.order())
	})
}

// TestReentranceOnResourcesIsADeadlockError: the deadlock check covers
// resources too, and Reentrant lifts it.
func TestReentranceOnResourcesIsADeadlockError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := soon(t)
		p := newPool(t, pool.MaxWorkers(1))
		var plain, reentrant error
		holder := mustSubmit(t, p, ctx, func(ctx context.Context) error {
			plain = mustSubmit(t, p, ctx, succeed, pool.Resources("orders")).Wait(ctx)
			reentrant = mustSubmit(t, p, ctx, succeed, pool.Resources("orders"), pool.Reentrant()).Wait(ctx)
			return nil
		}, pool.Resources("orders", "customers"))
		require.NoError(t, waitTask(t, ctx, holder))
		require.ErrorIs(t, plain, pool.ErrDeadlock)
		require.NoError(t, reentrant)
		require.NoError(t, waitSoon(t, ctx, p))
	})
}

// A Submit task that holds its CancelRunning name but has not started,
// because it waits for a slot or for its resources, is superseded by a
// newer task of the name: it ends Skipped with ErrSuperseded, and Stats
// counts it in Dropped, as it does a Go task. A Skipped task whose own
// context ended for another reason is not counted.
func TestSupersededSubmitTaskIsCountedDropped(t *testing.T) {
	t.Parallel()
	for _, wait := range []string{"slot", "resource"} {
		t.Run(wait, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newPool(t, pool.MaxWorkers(1), pool.NameOverflow("x", pool.CancelRunning))
				gate := make(chan struct{})
				var opts []pool.TaskOption
				if wait == "resource" {
					require.NoError(t, p.SetLimit(2))
					opts = append(opts, pool.Resources("r"))
				}
				mustGo(t, p, func(context.Context) error { <-gate; return nil }, opts...)
				synctest.Wait()
				noop := func(context.Context) error { return nil }
				first := mustSubmit(t, p, t.Context(), noop, append(opts, pool.Name("x"))...)
				synctest.Wait()
				mustGo(t, p, noop, pool.Name("x"))
				synctest.Wait()
				require.Equal(t, pool.Skipped, first.State())
				require.ErrorIs(t, first.Err(), pool.ErrSuperseded)
				close(gate)
				require.NoError(t, p.Wait())
				st := p.Stats()
				require.EqualValues(t, 1, st.Skipped)
				require.EqualValues(t, 1, st.Dropped)
			})
		})
	}
}
