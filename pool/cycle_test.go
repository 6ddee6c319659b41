package pool_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestDeadlockThroughAChainOfWaits: A holds name K and waits for B, B
// waits for C, and C needs K. The wait that closes the cycle (B's for C)
// gets ErrDeadlock at once, with or without Reentrant on the hops; then
// everything ends.
func TestDeadlockThroughAChainOfWaits(t *testing.T) {
	for _, reentrant := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			p := newPool(t, pool.MaxWorkers(1))
			var hop []pool.TaskOption
			if reentrant {
				hop = append(hop, pool.Reentrant())
			}
			var bErr error
			a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
				b, err := p.Submit(ctx, func(ctx context.Context) error {
					c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("K"))
					if err != nil {
						return err
					}
					bErr = c.Wait(ctx)
					return bErr
				}, hop...)
				if err != nil {
					return err
				}
				return b.Wait(ctx)
			}, pool.Name("K"))
			require.ErrorIs(t, a.Wait(t.Context()), pool.ErrDeadlock, "reentrant hops: %v", reentrant)
			require.ErrorIs(t, bErr, pool.ErrDeadlock)
			require.NoError(t, p.Wait())
		})
	}
}

// TestDeadlockAcrossANameAndAResource: X holds resource R and waits for a
// child needing name N, while Q holds N and waits for a child needing R.
// One of the two waits gets ErrDeadlock; the other then ends normally.
func TestDeadlockAcrossANameAndAResource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(2))
		bothIn := make(chan struct{})
		in := make(chan struct{}, 2)
		holder := func(child pool.TaskOption) func(context.Context) error {
			return func(ctx context.Context) error {
				in <- struct{}{}
				<-bothIn
				c, err := p.Submit(ctx, func(context.Context) error { return nil }, child)
				if err != nil {
					return err
				}
				return c.Wait(ctx)
			}
		}
		x := mustSubmit(t, p, t.Context(), holder(pool.Name("N")), pool.Resources("R"))
		q := mustSubmit(t, p, t.Context(), holder(pool.Resources("R")), pool.Name("N"))
		<-in
		<-in
		close(bothIn)
		errX, errQ := x.Wait(t.Context()), q.Wait(t.Context())
		require.True(t, errors.Is(errX, pool.ErrDeadlock) != errors.Is(errQ, pool.ErrDeadlock),
			"exactly one wait closes the cycle: X %v, Q %v", errX, errQ)
		require.NoError(t, p.Wait())
	})
}

// TestDeadlockThroughANameHeldByAResourceWaiter: A holds resource R and
// waits for its child C, which needs name N; N is held by H, which waits
// for R. H is on no worker, and still cannot end before A does: A's wait
// closes the cycle and gets ErrDeadlock, instead of hanging.
func TestDeadlockThroughANameHeldByAResourceWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(4))
		holding, hBlocked := make(chan struct{}), make(chan struct{})
		a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			close(holding)
			<-hBlocked
			c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("N"))
			if err != nil {
				return err
			}
			return c.Wait(ctx)
		}, pool.Resources("R"))
		<-holding
		h := mustSubmit(t, p, t.Context(), func(context.Context) error { return nil }, pool.Name("N"), pool.Resources("R"))
		synctest.Wait()
		require.Equal(t, pool.Blocked, h.State(), "H holds N and waits for R")
		close(hBlocked)
		require.ErrorIs(t, a.Wait(t.Context()), pool.ErrDeadlock)
		require.NoError(t, h.Wait(t.Context()), "R is free once A ended")
		require.NoError(t, p.Wait())
	})
}

// TestNoDeadlockWhereAResourceWaiterCanEnd: the holder of N waits for R,
// and R's holder waits for nobody: A's wait for a child needing N is no
// deadlock, and ends once R's holder does.
func TestNoDeadlockWhereAResourceWaiterCanEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(4))
		holding, release := make(chan struct{}), make(chan struct{})
		x := mustSubmit(t, p, t.Context(), func(context.Context) error {
			close(holding)
			<-release
			return nil
		}, pool.Resources("R"))
		<-holding
		h := mustSubmit(t, p, t.Context(), func(context.Context) error { return nil }, pool.Name("N"), pool.Resources("R"))
		synctest.Wait()
		require.Equal(t, pool.Blocked, h.State(), "H holds N and waits for R")
		waited := make(chan error, 1)
		a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("N"))
			if err != nil {
				return err
			}
			err = c.Wait(ctx)
			waited <- err
			return err
		})
		synctest.Wait()
		require.Empty(t, waited, "A still waits: N's holder can end")
		close(release)
		require.NoError(t, a.Wait(t.Context()))
		require.NoError(t, x.Wait(t.Context()))
		require.NoError(t, h.Wait(t.Context()))
		require.NoError(t, p.Wait())
	})
}

// TestDeadlockThroughTwoHoldersWaitingOnOneTask: N has room for two, and
// both holders wait for B, which waits for A; A's child needs N. The
// search reaches B once through each holder: the second time it must
// still count B as stuck (it did not, and A's wait hung).
func TestDeadlockThroughTwoHoldersWaitingOnOneTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(5), pool.NameLimit("N", 2))
		gate := make(chan struct{})
		a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			<-gate
			c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("N"))
			if err != nil {
				return err
			}
			return c.Wait(ctx)
		})
		b := mustSubmit(t, p, t.Context(), func(ctx context.Context) error { return a.Wait(ctx) })
		holder := func(ctx context.Context) error { return b.Wait(ctx) }
		h1 := mustSubmit(t, p, t.Context(), holder, pool.Name("N"))
		h2 := mustSubmit(t, p, t.Context(), holder, pool.Name("N"))
		synctest.Wait()
		close(gate)
		require.ErrorIs(t, a.Wait(t.Context()), pool.ErrDeadlock)
		for _, task := range []*pool.Task{b, h1, h2} {
			require.ErrorIs(t, task.Wait(t.Context()), pool.ErrDeadlock, "each waited, in the end, for A's error")
		}
		require.NoError(t, p.Wait())
	})
}

// TestNoDeadlockWhereAHolderCanEnd: a name with room for two holders,
// both taken; one holder waits for a child needing the name while the
// other holder can end. That is no deadlock: the child gets the name when
// the other holder ends.
func TestNoDeadlockWhereAHolderCanEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.NameLimit("K", 2))
		release := make(chan struct{})
		mustGo(t, p, func(context.Context) error { <-release; return nil }, pool.Name("K"))
		a := mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
			c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("K"))
			if err != nil {
				return err
			}
			close(release)
			return c.Wait(ctx)
		}, pool.Name("K"))
		require.NoError(t, a.Wait(t.Context()))
		require.NoError(t, p.Wait())
	})
}

// TestDeadlockThroughHoldersEachWaitingOnItsOwnChild: N has room for n,
// all taken by holders that each wait for a child needing N. Every wait
// but the last could end (a holder not yet waiting might end and free a
// place); the last closes the cycle: each holder waits, through its
// child, for the others. The search reached a holder again through N
// while still looking at it and took it as able to end, so the last wait
// hung. Now it gets ErrDeadlock, its holder ends, and the others' children
// run, one after another. With 12 holders the search must stay cheap: a
// holder's answer resting on another being looked at is kept, not worked
// out again for every order in which the holders can be reached.
func TestDeadlockThroughHoldersEachWaitingOnItsOwnChild(t *testing.T) {
	for _, n := range []int{2, 3, 12} {
		synctest.Test(t, func(t *testing.T) {
			p := newPool(t, pool.MaxWorkers(2*n), pool.NameLimit("N", n))
			gates := make([]chan struct{}, n)
			holders := make([]*pool.Task, n)
			for i := range n {
				gates[i] = make(chan struct{})
				holders[i] = mustSubmit(t, p, t.Context(), func(ctx context.Context) error {
					<-gates[i]
					c, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("N"))
					if err != nil {
						return err
					}
					return c.Wait(ctx)
				}, pool.Name("N"))
			}
			for i := range n {
				synctest.Wait() // the holders before it wait for their children
				close(gates[i])
			}
			require.ErrorIs(t, holders[n-1].Wait(t.Context()), pool.ErrDeadlock, "the last wait closes the cycle")
			for _, h := range holders[:n-1] {
				require.NoError(t, h.Wait(t.Context()))
			}
			require.NoError(t, p.Wait())
		})
	}
}
