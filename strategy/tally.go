package strategy

import (
	"errors"
	"fmt"
)

// ErrNoWinner is the error of a Race in which no task succeeded and none
// said why: the group was empty, or every task was cancelled or skipped
// with a nil error. (A Race whose tasks failed, or were stopped with an
// error, returns their errors instead.)
var ErrNoWinner = errors.New("strategy: race has no winner")

// ErrToleranceExceeded is joined into the error of a BestEffort group that
// failed because more tasks failed than it tolerated.
var ErrToleranceExceeded = errors.New("strategy: failure tolerance exceeded")

// Status is how a task ended, as far as a strategy cares.
type Status uint8

const (
	// Succeeded: the task returned without error.
	Succeeded Status = iota
	// Failed: the task returned an error, or panicked, on its own account.
	Failed
	// Canceled: the task ended because its context was cancelled or its
	// deadline passed. Not a failure.
	Canceled
	// Skipped: the task never started. Not a failure.
	Skipped
)

var statusNames = [...]string{"Succeeded", "Failed", "Canceled", "Skipped"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", s)
}

// Tally follows one group of tasks under a strategy. Tasks are numbered
// 0..n-1 in submission order.
type Tally struct {
	s         Strategy
	n         int
	tolerated int // -1: no tolerance
	tasks     []observed
	ended     int
	succeeded int
	failed    int
	first     int // index of the first failure observed, -1 if none
	winner    int // Race: index of the first success, -1 if none
	stopped   bool
	// exceeded: the tolerance was exceeded once, and stopped the group. A
	// group that grows afterwards (see Grow) may end under a fraction of
	// its new count, but it was decided: the verdict keeps that.
	exceeded bool
}

// observed is what a Tally knows of one task.
type observed struct {
	err    error
	status Status
	seen   bool
}

// Start returns a Tally for a group of n tasks. It panics if s is invalid;
// callers validate strategies with [Strategy.Err] when they are configured.
func (s Strategy) Start(n int) *Tally {
	if s.err != nil {
		panic(s.err.Error())
	}
	if n < 0 {
		panic("strategy: negative task count")
	}
	return &Tally{
		s: s, n: n, tolerated: s.tolerated(n), tasks: make([]observed, n),
		first: -1, winner: -1,
	}
}

// Grow adds k tasks to the tally, numbered after those it has: a group
// that takes tasks while it runs grows its tally as they come. A
// tolerance given as a fraction is resolved again against the new count,
// for the failures still to come: one already exceeded (of the tasks there
// were then) stopped the group, and its verdict stays a failure with
// [ErrToleranceExceeded].
// Growing a tally that has stopped is allowed; the new tasks are observed
// as the others (usually as skipped).
func (t *Tally) Grow(k int) {
	if k < 0 {
		panic("strategy: negative growth")
	}
	t.n += k
	t.tasks = append(t.tasks, make([]observed, k)...)
	t.tolerated = t.s.tolerated(t.n)
}

// Observe records that task i ended with status st and error err (nil on
// success). It reports true exactly once: on the deciding event after which
// the runner must stop the group (cancel running siblings, start nothing
// more). Observing a task twice, or an index out of range, panics.
func (t *Tally) Observe(i int, st Status, err error) (stop bool) {
	if i < 0 || i >= t.n {
		panic(fmt.Sprintf("strategy: task %d out of range [0, %d)", i, t.n))
	}
	if t.tasks[i].seen {
		panic(fmt.Sprintf("strategy: task %d observed twice", i))
	}
	t.tasks[i] = observed{err: err, status: st, seen: true}
	t.ended++
	switch st {
	case Succeeded:
		t.succeeded++
		if t.s.kind == KindRace && t.winner < 0 {
			t.winner = i
			return t.stop()
		}
	case Failed:
		t.failed++
		if t.first < 0 {
			t.first = i
		}
		if t.overTolerance() {
			t.exceeded = true
		}
		if t.s.kind == KindFailFast || t.exceeded {
			return t.stop()
		}
	}
	return false
}

func (t *Tally) overTolerance() bool {
	return t.s.kind == KindBestEffort && t.tolerated >= 0 && t.failed > t.tolerated
}

func (t *Tally) stop() bool {
	if t.stopped {
		return false
	}
	t.stopped = true
	return true
}

// Stopped reports whether a deciding event has happened.
func (t *Tally) Stopped() bool { return t.stopped }

// Done reports whether every task has been observed.
func (t *Tally) Done() bool { return t.ended == t.n }

// Winner returns the index of a Race's winner, or -1.
func (t *Tally) Winner() int { return t.winner }

// Verdict returns whether the group succeeded and, if not, its error. It
// is meant for when Done reports true; tasks not yet observed count as
// not succeeded.
//
// The error: FailFast returns the first failure's error; WaitAll and
// BestEffort join every failure's error in submission order (BestEffort
// adds [ErrToleranceExceeded] when that is why it failed); Race joins every
// task's error in submission order, or returns [ErrNoWinner] when there is
// none (an empty group, or tasks all stopped without an error). When no
// task failed but the group did not succeed (tasks were cancelled or
// skipped), the errors of the cancelled tasks are joined.
func (t *Tally) Verdict() (ok bool, err error) {
	switch t.s.kind {
	case KindWaitAll, KindFailFast:
		ok = t.succeeded == t.n
	case KindBestEffort:
		ok = (t.n == 0 || t.succeeded > 0) && !t.overTolerance() && !t.exceeded
	case KindRace:
		ok = t.winner >= 0
	}
	if ok {
		return true, nil
	}
	return false, t.failure()
}

func (t *Tally) failure() error {
	switch {
	case t.s.kind == KindRace && t.n == 0:
		return ErrNoWinner
	case t.s.kind == KindFailFast && t.first >= 0 && t.tasks[t.first].err != nil:
		return t.tasks[t.first].err
	case t.s.kind == KindRace:
		if err := t.join(func(st Status) bool { return st != Succeeded }); err != nil {
			return err
		}
		return ErrNoWinner // no task said why: they were all stopped without a cause
	}
	err := t.join(func(st Status) bool { return st == Failed })
	if t.overTolerance() || t.exceeded {
		err = errors.Join(ErrToleranceExceeded, err)
	}
	if err == nil {
		err = t.join(func(st Status) bool { return st == Canceled || st == Skipped })
	}
	if err == nil {
		err = errors.New("strategy: no task succeeded")
	}
	return err
}

// join joins, in submission order, the errors of observed tasks whose
// status matches.
func (t *Tally) join(match func(Status) bool) error {
	var errs []error
	for _, o := range t.tasks {
		if o.seen && match(o.status) && o.err != nil {
			errs = append(errs, o.err)
		}
	}
	return errors.Join(errs...)
}
