package pool_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestSteppingAsideLeavesNoSlotIdle: two workers finish while the lock is
// taken, so that both wait for it to come back for work. The first to get
// it steps aside and parks; the other takes the next task. The task queued
// after that one must still start on the free slot at once (handed to the
// parked worker), not wait for a slot to come free.
func TestSteppingAsideLeavesNoSlotIdle(t *testing.T) {
	for round := range 20 {
		p := newPool(t, pool.MaxWorkers(2))
		first, second := make(chan struct{}), make(chan struct{})
		started := make(chan struct{}, 4)
		mustGo(t, p, gated(first, started))
		mustGo(t, p, gated(first, started))
		<-started
		<-started
		mustGo(t, p, gated(second, started))
		mustGo(t, p, gated(second, started)) // both queued: the limit is reached

		release := pool.HoldLock(p)
		close(first)
		for pool.Returning(p) < 2 {
			runtime.Gosched() // both workers are on their way to the lock
		}
		release()

		deadline := time.After(10 * time.Second)
		for i := range 2 {
			select {
			case <-started:
			case <-deadline:
				close(second) // let Close end what did start
				t.Fatalf("round %d: %d of the 2 queued tasks started, with both slots free", round, i)
			}
		}
		require.Equal(t, 1, pool.SteppedAside(p), "round %d: one worker stepped aside", round)
		close(second)
		require.NoError(t, p.Wait())
	}
}
