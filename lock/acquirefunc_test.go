package lock_test

import (
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
)

func TestAcquireFuncWhenFreeIsImmediate(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	var got lock.Lease
	withdraw, err := names.AcquireFunc([]string{"a", "b"}, func(l lock.Lease) { got = l })
	require.NoError(t, err)
	require.NotNil(t, got, "granted before AcquireFunc returned")
	require.False(t, withdraw(), "nothing left to withdraw")
	require.NoError(t, got.Release())
	require.Zero(t, names.Len())
}

// TestAcquireFuncQueuesInOrder: callback waiters and blocking waiters share
// one FIFO line, and a callback runs on the goroutine that released.
func TestAcquireFuncQueuesInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := newNames(t)
		hold, _ := names.TryAcquire("job")
		var order []string
		var second lock.Lease
		_, err := names.AcquireFunc([]string{"job"}, func(l lock.Lease) {
			order = append(order, "first")
			require.NoError(t, l.Release()) // re-entering the table from a callback is fine
		})
		require.NoError(t, err)
		done := make(chan struct{})
		go func() {
			l, err := names.Acquire(t.Context(), "job")
			require.NoError(t, err)
			order = append(order, "second")
			second = l
			close(done)
		}()
		synctest.Wait()
		require.Empty(t, order, "nobody runs while the name is held")
		require.NoError(t, hold.Release()) // runs the first callback here, which passes the name on
		<-done
		require.Equal(t, []string{"first", "second"}, order)
		require.NoError(t, second.Release())
		require.Zero(t, names.Len())
	})
}

func TestAcquireFuncWithdraw(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	hold, _ := names.TryAcquire("a")
	called := false
	withdraw, err := names.AcquireFunc([]string{"a", "b"}, func(lock.Lease) { called = true })
	require.NoError(t, err)
	_, err = names.TryAcquire("b")
	require.ErrorIs(t, err, lock.ErrBusy, "b is promised to the waiting request")
	require.True(t, withdraw())
	require.False(t, withdraw(), "withdrawing twice")
	b, err := names.TryAcquire("b")
	require.NoError(t, err, "b is free again")
	require.NoError(t, b.Release())
	require.NoError(t, hold.Release())
	require.False(t, called)
	require.Zero(t, names.Len())
}

func TestAcquireFuncWithdrawAfterGrant(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	hold, _ := names.TryAcquire("a")
	var got lock.Lease
	withdraw, err := names.AcquireFunc([]string{"a"}, func(l lock.Lease) { got = l })
	require.NoError(t, err)
	require.NoError(t, hold.Release())
	require.NotNil(t, got)
	require.False(t, withdraw(), "too late: granted")
	require.NoError(t, got.Release())
	require.Zero(t, names.Len())
}

func TestAcquireFuncBadInput(t *testing.T) {
	t.Parallel()
	names := newNames(t)
	_, err := names.AcquireFunc([]string{""}, func(lock.Lease) {})
	require.ErrorIs(t, err, lock.ErrInvalid)
	_, err = names.AcquireFunc(nil, func(lock.Lease) {})
	require.ErrorIs(t, err, lock.ErrInvalid)
	require.PanicsWithValue(t, "lock: nil granted function", func() { _, _ = names.AcquireFunc([]string{"a"}, nil) })
}
