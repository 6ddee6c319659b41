package pglock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/pool"
)

// TestPoolTaskCancelledOnDroppedConnection: a braid pool takes its task
// names from PostgreSQL (pool.NameLocker); when the server drops the
// connection of a running task's lease, the task's context is cancelled
// with lock.ErrLost.
func TestPoolTaskCancelledOnDroppedConnection(t *testing.T) {
	t.Parallel()
	adm := newAdmin(t)
	p, err := pool.New(pool.NameLocker(open(t, pglock.Heartbeat(time.Minute))))
	require.NoError(t, err)
	running := make(chan struct{})
	h, err := p.Submit(t.Context(), func(ctx context.Context) error {
		close(running)
		<-ctx.Done()
		return context.Cause(ctx)
	}, pool.Name("nightly-export"))
	require.NoError(t, err)
	within(t, running, 10*time.Second, "task started")
	require.Equal(t, 1, adm.nameLocks("nightly-export", true), "the running task holds the name in the database")

	adm.terminate(adm.holder("nightly-export"))
	require.ErrorIs(t, h.Wait(t.Context()), lock.ErrLost)
	require.Equal(t, pool.Canceled, h.State())
	require.NoError(t, p.Wait(), "a Submit task reports to its handle")
	require.Zero(t, p.Stats().Names)
}

// TestPoolsShareNames: two pools, each with its own Locker as two
// replicas would have, never run tasks of one name at once, while other
// names run meanwhile.
func TestPoolsShareNames(t *testing.T) {
	t.Parallel()
	var replicas []*pool.Pool
	for range 2 {
		p, err := pool.New(pool.MaxWorkers(4), pool.NameLocker(open(t)))
		require.NoError(t, err)
		replicas = append(replicas, p)
	}
	running := make(chan struct{}, 8)
	gate := make(chan struct{})
	inJob := make(chan struct{}, 1) // a token taken by the running job: a second holder would block
	for i := range 6 {
		err := replicas[i%2].Go(func(context.Context) error {
			select {
			case inJob <- struct{}{}:
			default:
				t.Error("two runs of nightly-export at once")
			}
			running <- struct{}{}
			<-gate
			<-inJob
			return nil
		}, pool.Name("nightly-export"))
		require.NoError(t, err)
	}
	others := make(chan struct{}, 4)
	for i := range 4 {
		require.NoError(t, replicas[i%2].Go(func(context.Context) error { others <- struct{}{}; return nil }, pool.Name("report")))
	}
	within(t, running, 10*time.Second, "first run")
	for range 4 {
		within(t, others, 10*time.Second, "other names ran meanwhile")
	}
	close(gate)
	for _, p := range replicas {
		require.NoError(t, p.Wait())
	}
	require.Len(t, running, 5, "every other run ran, one at a time")
}

// TestPoolNameLimitIsOneThroughLocker: a NameLimit above 1 does not make
// a pglock name shared: with NameLocker, runs of the name still go one
// at a time (the docs say so, and point to a Semaphore for n at once).
func TestPoolNameLimitIsOneThroughLocker(t *testing.T) {
	t.Parallel()
	p, err := pool.New(pool.MaxWorkers(4), pool.NameLocker(open(t)), pool.NameLimit("limited-name", 2))
	require.NoError(t, err)
	inJob := make(chan struct{}, 1) // taken by the running task: a second one at once finds it full
	for range 4 {
		require.NoError(t, p.Go(func(context.Context) error {
			select {
			case inJob <- struct{}{}:
			default:
				t.Error("two runs of limited-name at once on one pglock name")
			}
			<-inJob
			return nil
		}, pool.Name("limited-name")))
	}
	require.NoError(t, p.Wait())
}
