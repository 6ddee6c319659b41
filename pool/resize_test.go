package pool_test

import (
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

func TestResizeDownAndUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(4))
		var pk peak
		gates := make([]chan struct{}, 12)
		for i := range gates {
			gates[i] = make(chan struct{})
			mustGo(t, p, gated(gates[i], nil, &pk))
		}
		synctest.Wait()
		require.EqualValues(t, 4, pk.cur.Load())

		// Down to 2: the 4 running go on; nothing new starts until fewer
		// than 2 run.
		require.NoError(t, p.SetLimit(2))
		close(gates[0])
		close(gates[1])
		synctest.Wait()
		require.EqualValues(t, 2, pk.cur.Load(), "two ended, none started")
		close(gates[2])
		synctest.Wait()
		require.EqualValues(t, 2, pk.cur.Load(), "one ended, one started: back at the new limit")

		// Up to 6: queued work starts at once.
		require.NoError(t, p.SetLimit(6))
		synctest.Wait()
		require.EqualValues(t, 6, pk.cur.Load())
		require.Equal(t, 6, p.Stats().Limit)

		require.ErrorIs(t, p.SetLimit(-1), pool.ErrInvalid)
		require.Equal(t, 6, p.Stats().Limit, "a rejected resize changes nothing")

		for _, g := range gates[3:] {
			close(g)
		}
		require.NoError(t, p.Wait())
	})
}

func TestResizeToUnlimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newPool(t, pool.MaxWorkers(1))
		var pk peak
		gate := make(chan struct{})
		for range 10 {
			mustGo(t, p, gated(gate, nil, &pk))
		}
		synctest.Wait()
		require.NoError(t, p.SetLimit(0))
		synctest.Wait()
		require.EqualValues(t, 10, pk.cur.Load())
		close(gate)
		require.NoError(t, p.Wait())
	})
}
