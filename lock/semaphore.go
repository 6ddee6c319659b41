package lock

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Semaphore is the in-process [WeightedSemaphore]: size slots, taken one or
// more at a time, all at once, FIFO among waiters (a large request is not
// starved by small ones). It is x/sync's semaphore with leases: a lease
// returns exactly what it took, once, and carries a fencing token. It is
// safe for concurrent use. The zero Semaphore has no size: make one with
// [NewSemaphore]; using a zero one panics.
type Semaphore struct {
	size  int
	sem   *semaphore.Weighted
	token atomic.Uint64
}

// NewSemaphore returns a semaphore of size slots; size must be at least 1.
func NewSemaphore(size int) (*Semaphore, error) {
	if size < 1 {
		return nil, invalid("NewSemaphore(%d): at least 1 slot", size)
	}
	return &Semaphore{size: size, sem: semaphore.NewWeighted(int64(size))}, nil
}

// Acquire waits until n slots are free or ctx is done. n must be between 1
// and the semaphore's size: a larger request could never be granted, and
// is an error rather than a wait for ever.
func (s *Semaphore) Acquire(ctx context.Context, n int) (Lease, error) {
	if err := s.check(n); err != nil {
		return nil, err
	}
	if err := s.sem.Acquire(ctx, int64(n)); err != nil {
		return nil, err
	}
	return s.lease(n), nil
}

// TryAcquire takes n slots if they are free now, else returns ErrBusy.
func (s *Semaphore) TryAcquire(n int) (Lease, error) {
	if err := s.check(n); err != nil {
		return nil, err
	}
	if !s.sem.TryAcquire(int64(n)) {
		return nil, ErrBusy
	}
	return s.lease(n), nil
}

func (s *Semaphore) check(n int) error {
	if s.sem == nil {
		panic("lock: a zero Semaphore has no slots; create one with lock.NewSemaphore")
	}
	if n < 1 || n > s.size {
		return invalid("weight %d: must be in [1, %d]", n, s.size)
	}
	return nil
}

func (s *Semaphore) lease(n int) Lease {
	return &semLease{s: s, n: n, token: s.token.Add(1)}
}

type semLease struct {
	s     *Semaphore
	n     int
	token uint64
	once  sync.Once
}

func (l *semLease) Release() error {
	l.once.Do(func() { l.s.sem.Release(int64(l.n)) })
	return nil
}

func (l *semLease) Lost() <-chan struct{} { return nil }

func (l *semLease) Token() uint64 { return l.token }
