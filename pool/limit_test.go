package pool_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

// TestLimitHoldsAtEveryInstant: with 20 gated tasks at limit 3, exactly 3
// start and no fourth starts until one of them ends; then each release lets
// exactly one more start.
func TestLimitHoldsAtEveryInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(3))
		var pk peak
		gates := make([]chan struct{}, 20)
		for i := range gates {
			gates[i] = make(chan struct{})
			mustGo(t, p, gated(gates[i], nil, &pk))
		}
		synctest.Wait()
		require.EqualValues(t, 3, pk.cur.Load())
		require.Equal(t, 17, p.Stats().Waiting)
		for i := range gates {
			close(gates[i])
			synctest.Wait()
			// Tasks start in submission order: once task i has ended, the
			// next one (if any is left) took its slot, and no other did.
			want := min(3, len(gates)-i-1)
			require.EqualValues(t, want, pk.cur.Load(), "after release %d", i)
			require.Equal(t, want, p.Stats().Running, "after release %d", i)
			require.Equal(t, max(0, len(gates)-i-1-3), p.Stats().Waiting, "after release %d", i)
		}
		require.NoError(t, p.Wait())
		require.EqualValues(t, 3, pk.max.Load())
	})
}

// TestUnlimitedHasNoHiddenCap: limit 0 starts every task at once, here 300
// of them, more than any default a pool might hide.
func TestUnlimitedHasNoHiddenCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t)
		var pk peak
		gate := make(chan struct{})
		for range 300 {
			mustGo(t, p, gated(gate, nil, &pk))
		}
		synctest.Wait()
		require.EqualValues(t, 300, pk.cur.Load())
		require.Equal(t, 300, p.Stats().Running)
		close(gate)
		require.NoError(t, p.Wait())
	})
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]pool.Option{
		"negative limit":        pool.MaxWorkers(-1),
		"negative queue bound":  pool.QueueSize(-5),
		"negative idle timeout": pool.IdleTimeout(-1),
		//lint:ignore SA1012 the point of the test
		"nil context": pool.WithContext(nil), //nolint:staticcheck // the point of the test
	} {
		t.Run(name, func(t *testing.T) {
			p, err := pool.New(opt)
			require.ErrorIs(t, err, pool.ErrInvalid)
			require.Nil(t, p)
		})
	}
}

// TestWorkersAreReused: 2 000 tasks at limit 4 are run by at most 4
// goroutines, seen from inside the tasks through Stats.Workers.
func TestWorkersAreReused(t *testing.T) {
	t.Parallel()
	p := newPool(t, pool.MaxWorkers(4))
	var most peak
	for range 2000 {
		mustGo(t, p, func(context.Context) error {
			if w := int64(p.Stats().Workers); w > most.max.Load() {
				most.max.Store(w) // races only with itself; the max is approximate upward
			}
			return nil
		})
	}
	require.NoError(t, p.Wait())
	require.LessOrEqual(t, most.max.Load(), int64(4))
	require.Zero(t, p.Stats().Workers, "Wait retires idle workers")
}

// TestIdleWorkersExit: workers start lazily and exit after between one and
// two idle timeouts with no Wait or Close, so an idle pool holds no
// goroutine.
func TestIdleWorkersExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(4), pool.IdleTimeout(time1s))
		require.Zero(t, p.Stats().Workers, "no worker before any task")
		gate := make(chan struct{})
		for range 4 {
			mustGo(t, p, gated(gate, nil))
		}
		synctest.Wait()
		require.Equal(t, 4, p.Stats().Workers)
		close(gate)
		synctest.Wait()
		require.Equal(t, 4, p.Stats().Workers, "idle workers wait for more work")
		sleep(time1s)
		synctest.Wait()
		require.Equal(t, 4, p.Stats().Workers, "one timeout: marked, not yet retired")
		sleep(time1s)
		synctest.Wait()
		require.Zero(t, p.Stats().Workers, "idle for two timeouts: gone")
		// And the pool still works afterwards.
		mustGo(t, p, succeed)
		require.NoError(t, p.Wait())
	})
}

func TestStatsCountEveryFinalState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		boom := errors.New("boom")
		mustGo(t, p, succeed)
		mustGo(t, p, func(context.Context) error { return boom })
		mustGo(t, p, func(context.Context) error { panic("bad") })
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		skipped := mustSubmit(t, p, ctx, succeed)
		dl, stop := context.WithTimeout(t.Context(), time1s)
		defer stop()
		timedOut := mustSubmit(t, p, dl, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		cctx, ccancel := context.WithCancel(t.Context())
		started := make(chan struct{})
		canceled := mustSubmit(t, p, cctx, func(ctx context.Context) error { close(started); <-ctx.Done(); return ctx.Err() })
		<-started
		ccancel()
		require.Error(t, p.Wait())
		<-timedOut.Done()
		<-canceled.Done()
		require.Equal(t, pool.Skipped, skipped.State())
		require.Equal(t, pool.TimedOut, timedOut.State())
		require.Equal(t, pool.Canceled, canceled.State())
		s := p.Stats()
		require.Equal(t, pool.Stats{Limit: 1, Submitted: 6, Succeeded: 1, Failed: 2, Canceled: 1, Skipped: 1, TimedOut: 1}, s)
	})
}

// TestStateString: every state prints its name, and a value that is no
// state prints its number, not a stray character.
func TestStateString(t *testing.T) {
	t.Parallel()
	want := []string{"Waiting", "Blocked", "Running", "Succeeded", "Failed", "Canceled", "Skipped", "TimedOut"}
	for i, w := range want {
		require.Equal(t, w, pool.State(i).String())
	}
	require.Equal(t, "State(8)", pool.State(8).String())
	require.Equal(t, "State(42)", pool.State(42).String())
	require.Equal(t, "State(255)", pool.State(255).String())
}
