package cluster

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is wrapped by the error of a bad option or argument.
	ErrInvalid = errors.New("cluster: invalid")
	// ErrUnknownKind: a task names a kind this node has not registered.
	ErrUnknownKind = errors.New("cluster: unknown kind")
	// ErrEmptyID and ErrDuplicateID: a group task's ID is empty, or used
	// twice in the group.
	ErrEmptyID     = errors.New("cluster: empty task ID")
	ErrDuplicateID = errors.New("cluster: duplicate task ID")
	// ErrStarted: a group was changed or started after it started.
	ErrStarted = errors.New("cluster: group already started")
	// ErrNotFound: no group or task has that ID.
	ErrNotFound = errors.New("cluster: not found")
	// ErrClosed: the node was closed.
	ErrClosed = errors.New("cluster: node closed")
	// ErrStopped is the cause of a task's cancellation, or of its skip,
	// when its group's strategy stopped the group (a fail_fast failure, a
	// race win, best_effort over its tolerance).
	ErrStopped = errors.New("cluster: group stopped by its strategy")
	// ErrDropped: the task arrived while its name was busy, submitted
	// with NameOverflow(pool.DropNewest). It ends Skipped.
	ErrDropped = errors.New("cluster: dropped, its name was busy")
	// ErrReplaced: the task waited for its name until a newer task of
	// the name, submitted with NameOverflow(pool.KeepLatest), took its
	// place. It ends Skipped.
	ErrReplaced = errors.New("cluster: replaced by a newer task of the same name")
	// ErrSuperseded is the cause of a task's cancellation, or of its
	// skip if it had not started, when a newer task of its name arrived
	// with NameOverflow(pool.CancelRunning).
	ErrSuperseded = errors.New("cluster: superseded by a newer task of the same name")
	// ErrLeaseLost is the cause of a running task's cancellation when its
	// replica lost its liveness session: the cluster already counts the
	// replica dead and runs the task again elsewhere.
	ErrLeaseLost = errors.New("cluster: replica lease lost")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// TaskError is a task's error as it crossed the database: its text, and
// for tasks that were stopped, the cause (ErrStopped, context.Canceled,
// context.DeadlineExceeded), or ErrUnknownKind for one taken by a
// replica that has not registered its kind, so that errors.Is works on
// this side too. For a task that panicked, the cause is a
// *pool.PanicError with the panic's value as text and its stack, for
// errors.As.
type TaskError struct {
	Msg   string
	Cause error
}

func (e *TaskError) Error() string { return e.Msg }
func (e *TaskError) Unwrap() error { return e.Cause }
