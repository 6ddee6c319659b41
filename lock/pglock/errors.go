package pglock

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/braid-go/braid/pool"
)

// ErrClosed is wrapped by the error of an acquisition that Close ended, or
// that came after it.
var ErrClosed = errors.New("pglock: locker closed")

// ErrPoolExhausted is wrapped by the error of an acquisition that found
// every connection of the pool in use: at once for a TryAcquire, which
// does not wait for one, and when its context ended for an Acquire, whose
// error then wraps the context's error too. See the package doc on
// sizing the pool.
var ErrPoolExhausted = errors.New("pglock: connection pool exhausted")

// ErrPrivilege is wrapped by the error of an Open or FromPool whose role
// may not use the fencing sequence braid_fence, or may not create it
// while it is missing. The package doc lists the privileges needed, and
// how to create the sequence ahead of time.
var ErrPrivilege = errors.New("pglock: missing privilege")

// ErrCollision is wrapped by the error of an acquisition of a name whose
// lock key (a 64-bit hash, see the package doc) is that of another name
// this Locker holds or waits for. Waiting could mean waiting for itself,
// as a braid task holding one name and waiting for a task that needs the
// other would, so the acquisition fails at once. It wraps
// [pool.ErrDeadlock], which such a task then sees.
var ErrCollision = fmt.Errorf("pglock: another name with the same lock key is held or awaited in this process: %w", pool.ErrDeadlock)

// Error is the error of a failed operation on a name or a semaphore. Its
// Err says why, and callers branch on it with [errors.Is]:
// [lock.ErrBusy] (TryAcquire: held elsewhere), [lock.ErrLost] (Release:
// ownership was lost first), [lock.ErrInvalid] (a bad argument),
// [ErrClosed], a context's error, or the database's.
type Error struct {
	Op   string // "open", "acquire", "try-acquire", "release", "semaphore"
	Name string // the name or semaphore; "" for open
	Err  error
}

func (e *Error) Error() string {
	s := "pglock:"
	if e.Op != "" {
		s += " " + e.Op
	}
	if e.Name != "" {
		s += " " + strconv.Quote(e.Name)
	}
	if s != "pglock:" {
		s += ":"
	}
	if e.Err == nil {
		return s + " failed"
	}
	return s + " " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
