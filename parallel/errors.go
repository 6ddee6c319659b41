package parallel

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors. Callers branch on these with [errors.Is].
var (
	// ErrEmptyID is returned by Add for a task with no ID.
	ErrEmptyID = errors.New("parallel: empty task ID")
	// ErrDuplicateID is returned by Add for an ID already in the group.
	ErrDuplicateID = errors.New("parallel: duplicate task ID")
	// ErrStarted is returned by Add and Run once Run has begun: a group
	// runs once, with the tasks it had.
	ErrStarted = errors.New("parallel: group already started")
	// ErrInvalid is wrapped by the error of NewGroup for a bad option.
	ErrInvalid = errors.New("parallel: invalid option")
	// ErrTimeout is joined into Run's error when the group's timeout
	// passed before it was decided. It wraps context.DeadlineExceeded, so
	// errors.Is(err, context.DeadlineExceeded) holds too.
	ErrTimeout = fmt.Errorf("parallel: group timed out: %w", context.DeadlineExceeded)
)

// TaskError says which task failed and why. errors.Is and errors.As see
// through it to the task's own error, and to a *pool.PanicError.
type TaskError struct {
	ID  string
	Err error
}

func (e *TaskError) Error() string { return fmt.Sprintf("task %q: %v", e.ID, e.Err) }

// Unwrap returns the task's error.
func (e *TaskError) Unwrap() error { return e.Err }

// CallbackError is joined into Run's error when an OnSuccess or OnError
// callback panicked. The panic is a *pool.PanicError inside it.
type CallbackError struct {
	Callback string // "OnSuccess" or "OnError"
	Err      error
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("parallel: %s callback: %v", e.Callback, e.Err)
}

// Unwrap returns the callback's panic error.
func (e *CallbackError) Unwrap() error { return e.Err }
