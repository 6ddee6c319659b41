package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// ledger records how each task of a run ended, and feeds the strategy's
// tally the moment a task ends, so that a deciding event (a fail_fast
// failure, a race win, a tolerance exceeded) stops the run at once rather
// than when someone next looks. Groups and plans each keep one; tasks are
// numbered in the order their results are listed.
type ledger struct {
	kind    strategy.Kind
	decided error                   // a race win's cancellation cause (see decide)
	stop    context.CancelCauseFunc // cancels the run's context

	mu      sync.Mutex // guards the fields below; tasks record under it
	ids     []string
	tally   *strategy.Tally
	seen    []bool
	failed  bool
	states  []pool.State
	errs    []error // each task's own error, or why it never started
	times   [][3]time.Time
	handles []*pool.Task // the pool's handle of a task, when it has one: its blocked time
}

// Indexes into ledger.times.
const (
	queued = iota
	started
	ended
)

func newLedger(ids []string, s strategy.Strategy, stop context.CancelCauseFunc, decided error) *ledger {
	n := len(ids)
	return &ledger{
		ids: ids, kind: s.Kind(), decided: decided, stop: stop,
		tally: s.Start(n), seen: make([]bool, n), states: make([]pool.State, n),
		errs: make([]error, n), times: make([][3]time.Time, n), handles: make([]*pool.Task, n),
	}
}

// add appends a task to a ledger that is already in use (a group that
// takes tasks while it runs) and returns its number.
func (l *ledger) add(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
	l.tally.Grow(1)
	l.seen = append(l.seen, false)
	l.states = append(l.states, 0)
	l.errs = append(l.errs, nil)
	l.times = append(l.times, [3]time.Time{})
	l.handles = append(l.handles, nil)
	return len(l.ids) - 1
}

// len returns how many tasks the ledger has.
func (l *ledger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids)
}

// handle keeps the pool's handle of task i, which knows how long the task
// was blocked on its name or resources.
func (l *ledger) handle(i int, h *pool.Task) {
	l.mu.Lock()
	l.handles[i] = h
	l.mu.Unlock()
}

// queue notes that tasks lo to hi-1 were handed to a pool now: their time
// waiting counts from here.
func (l *ledger) queue(lo, hi int) {
	now := time.Now()
	l.mu.Lock()
	for i := lo; i < hi; i++ {
		l.times[i][queued] = now
	}
	l.mu.Unlock()
}

// wrap returns fn instrumented as task i of l: it times the task, keeps
// its output in *out (when out is not nil) and records how it ended as soon
// as it returns. Panics are recovered here, not left to the pool, so that a
// panic counts as a failure in the tally (and decides a fail_fast run)
// before the worker moves on. It is one closure per task, on purpose: a
// group's tasks pay for no other.
func wrap[T any](l *ledger, i int, fn func(context.Context) (T, error), out *T) func(context.Context) error {
	return func(ctx context.Context) (err error) {
		begin := time.Now()
		returned := false
		defer func() {
			if !returned {
				if v := recover(); v != nil {
					err = pool.NewPanicError(v)
				} else {
					err = pool.ErrGoexit
				}
			}
			l.mu.Lock()
			l.times[i][started], l.times[i][ended] = begin, time.Now()
			l.mu.Unlock()
			l.record(i, pool.Outcome(ctx, err), err)
		}()
		v, err := fn(ctx)
		if out != nil {
			*out = v
		}
		returned = true
		return err
	}
}

// record keeps task i's final state and error and feeds the tally; only
// the first record of a task counts. The state recorded at the moment the
// task ended is the one the results report: it is what the strategy saw.
func (l *ledger) record(i int, st pool.State, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[i] {
		return
	}
	l.seen[i], l.states[i], l.errs[i] = true, st, err
	l.failed = l.failed || st == pool.Failed
	if err != nil {
		err = &TaskError{ID: l.ids[i], Err: err}
	}
	if l.tally.Observe(i, status(st), err) {
		l.stop(l.cause(i, err))
	}
}

// cause is the cancellation cause of a run decided by task i ending with
// err: the deciding error itself for a failure (fail_fast, a tolerance
// exceeded), so that context.Cause tells the run's tasks and its caller
// why; for a race, which a success decides, the winner.
func (l *ledger) cause(i int, err error) error {
	if err != nil {
		if l.kind == strategy.KindBestEffort {
			return errors.Join(strategy.ErrToleranceExceeded, err)
		}
		return err
	}
	return fmt.Errorf("%w: task %q won the race", l.decided, l.ids[i])
}

// skip records tasks lo to hi-1 that have not ended as Skipped with cause:
// they never ran. It is a no-op for those that did.
func (l *ledger) skip(lo, hi int, cause error) {
	for i := lo; i < hi; i++ {
		l.record(i, pool.Skipped, cause)
	}
}

// anyFailed reports whether some task has ended Failed.
func (l *ledger) anyFailed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

func (l *ledger) verdict() (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tally.Verdict()
}

// status maps a pool state to what a strategy sees.
func status(st pool.State) strategy.Status {
	switch st {
	case pool.Succeeded:
		return strategy.Succeeded
	case pool.Failed:
		return strategy.Failed
	case pool.Skipped:
		return strategy.Skipped
	default:
		return strategy.Canceled
	}
}

// collect builds the results from the ledger. output gives task i's output
// and is asked only for tasks that ran; nil means the tasks have none.
func collect[T any](l *ledger, byID map[string]int, output func(i int) T) *Results[T] {
	l.mu.Lock()
	defer l.mu.Unlock()
	end := time.Now()
	res := &Results[T]{all: make([]Result[T], len(l.ids)), byID: byID, winner: l.tally.Winner()}
	for i, id := range l.ids {
		out := Result[T]{ID: id, State: l.states[i], Err: l.errs[i]}
		var before time.Duration // from queued to started, or to now if it never started
		switch t := l.times[i]; {
		case !t[started].IsZero():
			before, out.Ran = t[started].Sub(t[queued]), t[ended].Sub(t[started])
			if output != nil {
				out.Output = output(i)
			}
		case !t[queued].IsZero():
			before = end.Sub(t[queued]) // queued and never started
		}
		if h := l.handles[i]; h != nil {
			out.Blocked = min(h.Times().Blocked, before)
		}
		out.Waited = before - out.Blocked
		res.all[i] = out
	}
	return res
}
