package lock_test

import (
	"context"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
)

func TestSemaphore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := lock.NewSemaphore(3)
		require.NoError(t, err)
		two, err := s.Acquire(t.Context(), 2)
		require.NoError(t, err)
		_, err = s.TryAcquire(2)
		require.ErrorIs(t, err, lock.ErrBusy)
		one, err := s.TryAcquire(1)
		require.NoError(t, err)
		require.Greater(t, one.Token(), two.Token())

		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error)
		go func() { _, err := s.Acquire(ctx, 1); errc <- err }()
		synctest.Wait()
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)

		require.NoError(t, two.Release())
		require.NoError(t, two.Release(), "a second release is a no-op")
		three, err := s.TryAcquire(2)
		require.NoError(t, err, "exactly the released 2 slots came back")
		_, err = s.TryAcquire(1)
		require.ErrorIs(t, err, lock.ErrBusy)
		require.NoError(t, three.Release())
		require.NoError(t, one.Release())
	})
}

func TestSemaphoreBadInput(t *testing.T) {
	t.Parallel()
	_, err := lock.NewSemaphore(0)
	require.ErrorIs(t, err, lock.ErrInvalid)
	s, _ := lock.NewSemaphore(2)
	for _, n := range []int{0, -1, 3} {
		_, err := s.Acquire(t.Context(), n)
		require.ErrorIs(t, err, lock.ErrInvalid, "weight %d", n)
		_, err = s.TryAcquire(n)
		require.ErrorIs(t, err, lock.ErrInvalid, "weight %d", n)
	}
}

func TestZeroSemaphorePanicsWithAdvice(t *testing.T) {
	t.Parallel()
	var s lock.Semaphore
	require.PanicsWithValue(t, "lock: a zero Semaphore has no slots; create one with lock.NewSemaphore", func() { _, _ = s.TryAcquire(1) })
}
