package pool_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/pool"
)

func TestSmoke(t *testing.T) {
	p, err := pool.New(pool.MaxWorkers(4))
	require.NoError(t, err)
	var n atomic.Int64
	for range 10000 {
		require.NoError(t, p.Go(func(context.Context) error { n.Add(1); return nil }))
	}
	require.NoError(t, p.Wait())
	require.EqualValues(t, 10000, n.Load())
	require.NoError(t, p.Close())
}
