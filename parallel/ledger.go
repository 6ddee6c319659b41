package parallel

import (
	"context"
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
	ids     []string
	kind    strategy.Kind
	decided error                   // the cancellation cause on a deciding event
	stop    context.CancelCauseFunc // cancels the run's context

	mu     sync.Mutex // guards the fields below; tasks record under it
	tally  *strategy.Tally
	seen   []bool
	failed bool
	states []pool.State
	errs   []error // each task's own error, or why it never started
	times  [][3]time.Time
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
		errs: make([]error, n), times: make([][3]time.Time, n),
	}
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
		l.stop(fmt.Errorf("%w by %v", l.decided, l.kind))
	}
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
		switch t := l.times[i]; {
		case !t[started].IsZero():
			out.Waited, out.Ran = t[started].Sub(t[queued]), t[ended].Sub(t[started])
			if output != nil {
				out.Output = output(i)
			}
		case !t[queued].IsZero():
			out.Waited = end.Sub(t[queued]) // queued and never started: its whole life was waiting
		}
		res.all[i] = out
	}
	return res
}
