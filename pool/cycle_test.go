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
