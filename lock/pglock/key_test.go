package pglock_test

import (
	"context"
	"hash/fnv"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/braid-go/braid/lock"
	"github.com/braid-go/braid/lock/pglock"
	"github.com/braid-go/braid/pool"
)

// TestKeysAreUnambiguousAndKeyed: a namespace and a name are encoded
// apart, whatever bytes they hold, and the HashKey changes every key.
func TestKeysAreUnambiguousAndKeyed(t *testing.T) {
	t.Parallel()
	require.NotEqual(t, pglock.NameKey("a\x00b", "c"), pglock.NameKey("a", "b\x00c"))
	require.NotEqual(t, pglock.NameKey("", "a\x00b"), pglock.NameKey("a", "b"))
	require.NotEqual(t, pglock.NameKey("", "job", pglock.HashKey([]byte("one"))), pglock.NameKey("", "job", pglock.HashKey([]byte("two"))))
	require.Equal(t, pglock.NameKey("", "job", pglock.HashKey([]byte("one"))), pglock.NameKey("", "job", pglock.HashKey([]byte("one"))))
}

// TestSemaphoresDoNotShareSlots: two semaphores whose names collide in 32
// bits (FNV-1a, found by search in a few thousand names) have slots of
// their own: holding the only slot of one leaves the other's free.
func TestSemaphoresDoNotShareSlots(t *testing.T) {
	t.Parallel()
	a, b := fnv32Collision(t)
	l := open(t)
	held, err := newSemaphore(t, l, a, 1).Acquire(t.Context(), 1)
	require.NoError(t, err)
	other, err := newSemaphore(t, open(t), b, 1).TryAcquire(1)
	require.NoError(t, err, "%q and %q share no slot", a, b)
	require.NoError(t, other.Release())
	require.NoError(t, held.Release())
}

// fnv32Collision returns two semaphore names whose 32-bit FNV-1a hashes,
// of a zero byte and the name, are equal.
func fnv32Collision(t *testing.T) (string, string) {
	seen := map[uint32]string{}
	for i := 0; i < 1<<22; i++ {
		name := "sem-" + strconv.Itoa(i)
		h := fnv.New32a()
		h.Write([]byte{0})
		h.Write([]byte(name))
		if other, ok := seen[h.Sum32()]; ok {
			return other, name
		}
		seen[h.Sum32()] = name
	}
	t.Fatal("no collision found")
	return "", ""
}

// collide makes "collide-a" and "collide-b" share one lock key, as two
// names whose hashes collide would.
var collide = pglock.KeyFunc(func(ns, name string) int64 {
	if name == "collide-a" || name == "collide-b" {
		return 0x0b7a1d
	}
	return pglock.NameKey(ns, name)
})

// TestCollisionExcludes: two names sharing a key exclude each other
// across processes (they never share the lock), and in one process the
// second fails at once with ErrCollision, which wraps pool.ErrDeadlock:
// a braid task holding one and waiting for a task that needs the other
// gets that error instead of a wait that never ends.
func TestCollisionExcludes(t *testing.T) {
	t.Parallel()
	a, b := open(t, collide), open(t, collide)
	held, err := a.Acquire(t.Context(), "collide-a")
	require.NoError(t, err)
	_, err = b.TryAcquire("collide-b")
	require.ErrorIs(t, err, lock.ErrBusy, "another process")
	_, err = a.Acquire(t.Context(), "collide-b")
	require.ErrorIs(t, err, pglock.ErrCollision, "this process")
	require.ErrorIs(t, err, pool.ErrDeadlock)
	require.NoError(t, held.Release())
	again, err := a.TryAcquire("collide-b")
	require.NoError(t, err, "free once the other name is released")
	require.NoError(t, again.Release())

	p, err := pool.New(pool.MaxWorkers(2), pool.NameLocker(open(t, collide)))
	require.NoError(t, err)
	var childErr error
	parent, err := p.Submit(t.Context(), func(ctx context.Context) error {
		child, err := p.Submit(ctx, func(context.Context) error { return nil }, pool.Name("collide-b"))
		if err != nil {
			return err
		}
		childErr = child.Wait(ctx)
		return nil
	}, pool.Name("collide-a"))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- parent.Wait(t.Context()) }()
	require.NoError(t, within(t, done, 10*time.Second, "the parent task"))
	require.ErrorIs(t, childErr, pool.ErrDeadlock)
	_ = p.Wait()
}
