package pool

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Sentinel errors. Callers branch on these with [errors.Is].
var (
	// ErrClosed is returned when work is submitted to a pool that Close or
	// Shutdown has stopped, and by a submit that was blocked on a full queue
	// when the pool closed.
	ErrClosed = errors.New("pool: closed")

	// ErrQueueFull is returned by TryGo and TrySubmit when the pool's queue
	// bound (see [QueueSize]) is reached.
	ErrQueueFull = errors.New("pool: queue full")

	// ErrInvalid is wrapped by every error about a bad argument: a negative
	// limit or queue bound, an option that does not apply. The wrapping
	// error names the argument.
	ErrInvalid = errors.New("pool: invalid argument")

	// ErrWaitsForItself is returned by Wait, Close and Shutdown called
	// from one of the pool's own tasks (or its sub-pools'): they would
	// wait for the very task that calls them. Close and Shutdown still
	// stop intake before they return it; the queued and running tasks
	// drain as usual. Inside a task, wait on Task handles instead.
	ErrWaitsForItself = errors.New("pool: Wait or Close called from one of the pool's own tasks would wait for itself")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// PanicError is the error a task's panic becomes.
//
// The pool recovers every panic rather than letting it crash the process:
// a task is the caller's code running on a worker the caller does not own,
// and one bad task must not take down the service that embeds the pool. The
// panic is not hidden either: the value and the stack of the panicking
// goroutine are kept, the task ends Failed, and the error surfaces through the
// task's handle or the pool's Wait, where [errors.As] finds it. Every panic is
// kept, not only the first.
type PanicError struct {
	// Value is what was passed to panic.
	Value any
	// Stack is the panicking goroutine's stack, as runtime/debug.Stack
	// formats it, taken inside the deferred recover so that it still shows
	// the frames that panicked.
	Stack []byte
}

// NewPanicError makes a PanicError of v and the current stack. It is for
// code that recovers a task's panic itself (a wrapper that must see the
// failure before the pool does): call it inside the deferred function, where
// the stack still shows the frames that panicked, and return the result as
// the task's error. The pool treats a returned *PanicError like a panic: the
// task ends Failed even if its context was done.
func NewPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// Error reports the panic value. The stack is in the Stack field; it is left
// out of the message so that logs stay one line per error.
func (e *PanicError) Error() string {
	return fmt.Sprintf("pool: task panicked: %v", e.Value)
}

// Unwrap returns the panic value when it is an error, so that
// errors.Is(err, target) sees through a panic(target).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// SkippedError reports tasks submitted with Go that never started because
// the pool's context was done (a forced [Pool.Shutdown], or the context given
// with [WithContext] ending). Tasks submitted with Submit report the same
// through their handle instead.
type SkippedError struct {
	// Count is how many tasks were skipped.
	Count int
	// Cause is why: the cause of the pool context's cancellation.
	Cause error
}

func (e *SkippedError) Error() string {
	return fmt.Sprintf("pool: %d queued tasks skipped: %v", e.Count, e.Cause)
}

// Unwrap returns the cause, so that errors.Is(err, context.DeadlineExceeded)
// holds after a Shutdown whose deadline passed.
func (e *SkippedError) Unwrap() error { return e.Cause }

// ShutdownError is returned by [Pool.Shutdown] when its context ended before
// the pool drained. By then the queued tasks have been skipped and the
// running ones have had their context cancelled; Running counts those that
// had not yet returned. Their completion is still recorded: a later Wait or
// Close waits for them and returns their errors.
type ShutdownError struct {
	// Skipped is how many queued tasks never started.
	Skipped int
	// Running is how many tasks were still running (or suspended) when
	// Shutdown returned.
	Running int
	// Err is the Shutdown context's error.
	Err error
}

func (e *ShutdownError) Error() string {
	return fmt.Sprintf("pool: shutdown: %v: %d queued tasks skipped, %d still running", e.Err, e.Skipped, e.Running)
}

// Unwrap returns the context's error.
func (e *ShutdownError) Unwrap() error { return e.Err }

// deadline marks the cause with which a pool whose context reached its
// deadline cancels its running tasks. They end TimedOut, not Canceled: the
// deadline is what stopped them, even when the pool's cancellation reaches
// a task before the deadline itself propagates to the task's context (the
// two race when both derive from the same context). It unwraps to the
// context's own cause, which errors.Is still finds.
type deadline struct{ cause error }

func (d deadline) Error() string { return d.cause.Error() }
func (d deadline) Unwrap() error { return d.cause }

// Panics returns every [*PanicError] in err's tree, in the order a
// depth-first walk finds them: errors.As stops at the first, and a joined
// error of a group or a pool's Wait may hold several. It looks through
// Unwrap() error and Unwrap() []error, and inside a panic's own value
// when that is an error.
func Panics(err error) []*PanicError {
	var out []*PanicError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if pe, ok := err.(*PanicError); ok {
			out = append(out, pe)
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}
