package lock

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on these with [errors.Is].
var (
	// ErrBusy is returned by TryAcquire and TryAcquireAll when the lock is
	// not free now.
	ErrBusy = errors.New("lock: busy")
	// ErrLost is returned by Lease.Release when ownership was lost before
	// the release: whatever the lease protected may have been done twice.
	ErrLost = errors.New("lock: lease lost")
	// ErrInvalid is wrapped by the error of a bad argument: an empty name, a
	// limit below 1, a weight outside the semaphore's size.
	ErrInvalid = errors.New("lock: invalid argument")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Lease is ownership of a lock, from a successful acquire until Release.
//
// The interface is what a distributed backend implements (a database's
// advisory locks, a lease in a coordination service) as well as the
// in-process [Names] and [Semaphore].
type Lease interface {
	// Release gives the lock up. Releasing twice is a no-op that returns
	// nil. It returns ErrLost (once) if ownership was lost first.
	Release() error
	// Lost returns a channel closed when ownership is lost without a
	// Release: a backend's connection died or its lease expired. Code
	// holding the lease should stop the work the lock protects. A nil
	// channel means the lease cannot be lost, as with the in-process
	// implementations.
	Lost() <-chan struct{}
	// Token is a fencing token: it increases with every acquisition of the
	// same name, so a resource that records the highest token it has seen
	// can refuse a stale holder's late writes.
	Token() uint64
}

// Locker grants ownership of names, one holder at a time per name (or up
// to a per-name limit).
type Locker interface {
	// Acquire waits until name is free, or ctx is done, and returns the
	// lease. Waiters for one name are served in arrival order.
	Acquire(ctx context.Context, name string) (Lease, error)
	// TryAcquire returns the lease if name is free now, else ErrBusy.
	TryAcquire(name string) (Lease, error)
}

// WeightedSemaphore grants up to a fixed number of slots to holders that
// each take one or more.
type WeightedSemaphore interface {
	// Acquire waits until n slots are free, or ctx is done, and takes them
	// all at once.
	Acquire(ctx context.Context, n int) (Lease, error)
	// TryAcquire takes n slots if they are free now, else returns ErrBusy.
	TryAcquire(n int) (Lease, error)
}

// Compile-time checks that the in-process implementations fit.
var (
	_ Locker            = (*Names)(nil)
	_ WeightedSemaphore = (*Semaphore)(nil)
)
