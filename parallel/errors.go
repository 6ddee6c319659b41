package parallel

import (
	"context"
	"errors"
	"fmt"

	"github.com/braid-go/braid/pool"
)

// Sentinel errors. Callers branch on these with [errors.Is].
var (
	// ErrEmptyID is reported, in a [*TaskError], by Run (or Wait) for a
	// task added with no ID, and by a plan's validation for a step with no
	// name. (Add returns nothing: see [Group.Add].)
	ErrEmptyID = errors.New("parallel: empty task ID")
	// ErrDuplicateID is reported, in a [*TaskError], by Run (or Wait) for
	// an ID already in the group, and by a plan's validation for a step
	// name already in its plan.
	ErrDuplicateID = errors.New("parallel: duplicate task ID")
	// ErrStarted is returned by Run on a group already run or started: a
	// group runs once, with the tasks it had. (Starting a group twice, and
	// Add after Run or Wait returned, panic: see [Group.Start], [Group.Add].)
	ErrStarted = errors.New("parallel: group already started")
	// ErrInvalid is wrapped by the error of a bad option, a negative
	// limit or a misplaced option, reported by Run (or Wait), Map and a
	// plan's validation with nothing run; NewGroup and NewPlan never fail.
	ErrInvalid = errors.New("parallel: invalid option")
	// ErrTimeout is joined into Run's error when the group's (or the
	// plan's) timeout passed before it was decided. It wraps context.DeadlineExceeded, so
	// errors.Is(err, context.DeadlineExceeded) holds too.
	ErrTimeout = fmt.Errorf("parallel: group timed out: %w", context.DeadlineExceeded)

	// ErrNilStep is reported by a plan's validation for a step made with a
	// nil function (Do, Broadcast) or a nil plan (Inline).
	ErrNilStep = errors.New("parallel: step has no function or plan")
	// ErrCycle is reported by a plan's validation for an Inline step whose
	// plan contains, directly or through other inlines, the step itself.
	ErrCycle = errors.New("parallel: plan inlines itself")
	// ErrEmptyPlan is reported by a plan's validation for a plan with no
	// steps, run or inlined.
	ErrEmptyPlan = errors.New("parallel: plan has no steps")
	// ErrNotRun is the error of a run, and of its tasks (Skipped), when a
	// RunMiddleware returned without calling next and without an error of
	// its own; a plan's block declined so ends its steps with it too.
	ErrNotRun = errors.New("parallel: run middleware did not run it")
)

// errDeadlock is the cause with which a group or plan is decided when
// waiting for it would never end (see pool.ErrDeadlock): a task of it needs
// a name or resource that the waiting task holds, or waits for that task.
var errDeadlock = fmt.Errorf("parallel: a task can only end after the task waiting for it does: %w", pool.ErrDeadlock)

// errWaitsForItself is what Group.Wait returns to one of the group's own
// tasks: the group cannot end before the task does.
var errWaitsForItself = fmt.Errorf("parallel: Wait called from one of the group's own tasks: %w", errors.Join(pool.ErrDeadlock, pool.ErrWaitsForItself))

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

// PlanError is one reason why a plan cannot run, found by [Plan.Validate]
// (which Run and Describe call first). Validation reports every problem it
// finds, each as a *PlanError, joined with errors.Join in plan order.
// errors.Is sees through it to one of [ErrEmptyID], [ErrDuplicateID],
// [ErrNilStep], [ErrCycle], [ErrEmptyPlan] or [ErrInvalid].
type PlanError struct {
	// Step is the path of the step at fault ("reports/pdf": step "pdf" of
	// the plan inlined as step "reports"); a step with no name is shown
	// by its position in its plan, as in "reports/#2". For a problem with
	// a plan as a whole, it is the path of the Inline step that holds the
	// plan, or "" for the plan being run.
	Step string
	Err  error
}

func (e *PlanError) Error() string {
	if e.Step == "" {
		return fmt.Sprintf("plan: %v", e.Err)
	}
	return fmt.Sprintf("step %q: %v", e.Step, e.Err)
}

// Unwrap returns what is wrong.
func (e *PlanError) Unwrap() error { return e.Err }
