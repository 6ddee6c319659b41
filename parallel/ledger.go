package parallel

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braid-go/braid/pool"
	"github.com/braid-go/braid/strategy"
)

// ledger records how each task of a run ended, and feeds the strategy's
// tally the moment a task ends, so that a deciding event (a fail_fast
// failure, a race win, a tolerance exceeded) stops the run at once rather
// than when someone next looks. Groups and plans each keep one; tasks are
// numbered in the order their results are listed.
//
// What it keeps per task is one small entry (see ledgerEntry), and tasks
// that never started are recorded in bulk (see skip), so that a run of
// many tasks that never start (a fail_fast group decided early) costs
// little more than the tasks' IDs.
type ledger struct {
	kind    strategy.Kind
	decided error                   // wrapped by a race win's cancellation cause (see cause)
	stop    context.CancelCauseFunc // cancels the run's context
	epoch   time.Time               // the times of entries are offsets from it
	ctx     context.Context         // the run's context, when its tasks get it as it is (see outcome)

	mu      sync.Mutex // guards the fields below; tasks record under it
	ids     []string
	tally   *strategy.Tally
	failed  bool
	entries []ledgerEntry
	handles []*pool.Task // the pool's handle of a task, when it has one: its blocked time; nil until one has
	// cancelled is the pool.State a task returning ctx's error ends as once
	// ctx is done (see outcome); Waiting, which no task ends in, until known.
	cancelled atomic.Uint32
	won       atomic.Bool // a race was won: ctx is done, with the ledger's own cause
	// ctxEnded is when the run's context ended, as an offset from epoch
	// plus one; 0 until known (see noteEnded). A task that never started
	// waited for a slot until then, not until the run's last task returned.
	ctxEnded atomic.Int64
}

// ledgerEntry is what the ledger knows of one task. Times are offsets
// from the ledger's epoch: monotonic, and 8 bytes where a time.Time takes
// 24 and holds a pointer for the collector to scan.
type ledgerEntry struct {
	err                    error // the task's own error, or why it never started
	queued, started, ended time.Duration
	state                  pool.State
	marks                  uint8 // which of markSeen, markQueued, markRan hold
}

const (
	markSeen   = 1 << iota // its final state is recorded
	markQueued             // queued holds
	markRan                // started and ended hold
)

func newLedger(ids []string, s strategy.Strategy, stop context.CancelCauseFunc, decided error) *ledger {
	l := new(ledger)
	l.init(ids, s, stop, decided)
	return l
}

// init makes l a new ledger, for a run that keeps its ledger in itself.
func (l *ledger) init(ids []string, s strategy.Strategy, stop context.CancelCauseFunc, decided error) {
	l.ids, l.kind, l.decided, l.stop, l.epoch = ids, s.Kind(), decided, stop, time.Now()
	l.tally, l.entries = s.Start(len(ids)), make([]ledgerEntry, len(ids))
}

// noteEnded notes that the run's context has ended by now (see ctxEnded).
// The earliest note is kept: the strategy's decision is noted as it
// cancels, a context.AfterFunc (see watch) notes any end, a little later.
func (l *ledger) noteEnded() {
	if l.ctxEnded.Load() != 0 {
		return // a note was taken before now: it is the earlier
	}
	now := int64(time.Since(l.epoch)) + 1
	for {
		old := l.ctxEnded.Load()
		if old != 0 && old <= now || l.ctxEnded.CompareAndSwap(old, now) {
			return
		}
	}
}

// watch notes when ctx, the run's context, ends: a decision, a timeout or
// the caller's cancellation. It returns what stops watching.
func (l *ledger) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, l.noteEnded)
}

// add appends a task to a ledger that is already in use (a group that
// takes tasks while it runs) and returns its number.
func (l *ledger) add(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, id)
	l.tally.Grow(1)
	l.entries = append(l.entries, ledgerEntry{})
	if l.handles != nil {
		l.handles = append(l.handles, nil)
	}
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
	if l.handles == nil {
		l.handles = make([]*pool.Task, len(l.entries))
	}
	l.handles[i] = h
	l.mu.Unlock()
}

// queue notes that tasks lo to hi-1 were handed to a pool now: their time
// waiting counts from here.
func (l *ledger) queue(lo, hi int) {
	now := time.Since(l.epoch)
	l.mu.Lock()
	for i := lo; i < hi; i++ {
		e := &l.entries[i]
		e.queued, e.marks = now, e.marks|markQueued
	}
	l.mu.Unlock()
}

// queuedAt returns when task i was queued (zero if it was not).
func (l *ledger) queuedAt(i int) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.entries[i]; e.marks&markQueued != 0 {
		return l.epoch.Add(e.queued)
	}
	return time.Time{}
}

// wrap returns fn instrumented as task i of l (see runTask).
func wrap[T any](l *ledger, i int, fn func(context.Context) (T, error), out *T) func(context.Context) error {
	return func(ctx context.Context) error { return runTask(ctx, l, i, fn, out) }
}

// runTask runs fn as task i of l: it times the task, keeps its output in
// *out (when out is not nil) and records how it ended as soon as it
// returns. Panics are recovered here, not left to the pool, so that a
// panic counts as a failure in the tally (and decides a fail_fast run)
// before the worker moves on.
func runTask[T any](ctx context.Context, l *ledger, i int, fn func(context.Context) (T, error), out *T) (err error) {
	begin := time.Since(l.epoch)
	returned := false
	defer func() {
		if !returned {
			if v := recover(); v != nil {
				err = pool.NewPanicError(v)
			} else {
				err = pool.ErrGoexit
			}
		}
		end := time.Since(l.epoch)
		st := l.outcome(ctx, err)
		l.mu.Lock()
		e := &l.entries[i]
		e.started, e.ended, e.marks = begin, end, e.marks|markRan
		decided := l.observe(i, st, err, nil)
		l.mu.Unlock()
		l.afterDecision(decided)
	}()
	v, err := fn(ctx)
	if out != nil {
		*out = v
	}
	returned = true
	return err
}

// outcome is pool.Outcome(ctx, err), without its walk of the cause
// (errors.As, by reflection) in the common case of a task returning the
// error of the run's own context (the context the tasks of a direct run
// get, see run) once the run is decided. Those tasks run on new goroutines
// whose stacks are small, and the walk grows them: a stack copy of a few
// microseconds per cancelled task, most of what a race of 16 tasks cost
// after its winner. Once a context is done its error and cause never
// change, and neither does the answer, so it is worked out once (see
// afterDecision), and read without a lock.
func (l *ledger) outcome(ctx context.Context, err error) pool.State {
	if err == nil {
		return pool.Succeeded
	}
	if l.won.Load() && err == context.Canceled && ctx == l.ctx {
		return pool.Canceled // see afterDecision
	}
	if l.ctx == nil || ctx != l.ctx || err != ctx.Err() {
		return pool.Outcome(ctx, err)
	}
	if st := pool.State(l.cancelled.Load()); st != pool.Waiting {
		return st
	}
	st := pool.Outcome(ctx, err)
	l.cancelled.Store(uint32(st))
	return st
}

// record keeps task i's final state and error and feeds the tally; only
// the first record of a task counts. The state recorded at the moment the
// task ended is the one the results report: it is what the strategy saw.
func (l *ledger) record(i int, st pool.State, err error) {
	l.mu.Lock()
	decided := l.observe(i, st, err, nil)
	l.mu.Unlock()
	l.afterDecision(decided)
}

// observe is record with l.mu held. When the task decides the run, it
// cancels the run's context, still under the lock, so that no task
// records its end (and lets its worker start another) between the
// decision and the cancellation, and returns the cause, for afterDecision
// once the lock is released. te, when not nil, is where to build the
// *TaskError the tally keeps (see skip); nil allocates one.
func (l *ledger) observe(i int, st pool.State, err error, te *TaskError) (decided error) {
	e := &l.entries[i]
	if e.marks&markSeen != 0 {
		return nil
	}
	e.marks, e.state, e.err = e.marks|markSeen, st, err
	l.failed = l.failed || st == pool.Failed
	if err != nil && !l.settled() {
		if te == nil {
			te = new(TaskError)
		}
		*te = TaskError{ID: l.ids[i], Err: err}
		err = te
	}
	if l.tally.Observe(i, status(st), err) {
		decided = l.cause(i, err)
		l.noteEnded()
		l.stop(decided) // the last thing under the lock: the tasks it wakes come for it
	}
	return decided
}

// settled reports whether the verdict no longer depends on the errors of
// tasks yet to end: a race once won, a fail_fast run once failed (its
// error is the first failure's). Their tasks then end, cancelled, without
// a *TaskError made for the tally, which never reads it. Called with l.mu
// held.
func (l *ledger) settled() bool {
	return l.tally.Stopped() && (l.kind == strategy.KindRace || l.kind == strategy.KindFailFast)
}

// afterDecision follows a decision (see observe), without l.mu: the
// tasks that the cancellation woke all come for the lock. A race won cancels
// the run's context with a cause of the ledger's own, which says nothing
// of a deadline: the tasks that return the context's error then end
// Canceled (see outcome), known without asking pool.Outcome.
func (l *ledger) afterDecision(cause error) {
	if cause == nil {
		return
	}
	if _, won := cause.(*wonError); won && l.ctx != nil && context.Cause(l.ctx) == cause && l.ctx.Err() == context.Canceled {
		l.won.Store(true)
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
	return &wonError{decided: l.decided, id: l.ids[i]}
}

// wonError is the cancellation cause of a race won by task id. Its text is
// made when asked for: the winner, on a goroutine of its own, is not kept
// waiting for fmt (nor its stack grown by it) while it cancels the others.
type wonError struct {
	decided error
	id      string
}

func (e *wonError) Error() string {
	return e.decided.Error() + ": task " + strconv.Quote(e.id) + " won the race"
}

func (e *wonError) Unwrap() error { return e.decided }

// skip records tasks lo to hi-1 that have not ended as Skipped with cause:
// they never ran. It is a no-op for those that did. It takes the lock once
// and makes the tally's *TaskErrors in one allocation: a fail_fast group
// of thousands of tasks decided early skips almost all of them.
func (l *ledger) skip(lo, hi int, cause error) {
	var decided error
	l.mu.Lock()
	var errs []TaskError
	for i := lo; i < hi; i++ {
		if l.entries[i].marks&markSeen != 0 {
			continue
		}
		var te *TaskError
		if cause != nil && !l.settled() {
			if len(errs) == 0 {
				errs = make([]TaskError, hi-i) // at most that many left
			}
			te, errs = &errs[0], errs[1:]
		}
		if d := l.observe(i, pool.Skipped, cause, te); decided == nil {
			decided = d
		}
	}
	l.mu.Unlock()
	l.afterDecision(decided)
}

// skipHandled records the tasks lo to hi-1 that have not ended and whose
// pool skipped them (see poolSkipped) as Skipped with their handle's error.
// The handles are asked without l.mu: a handle's State takes the pool's
// lock, which is never taken before l.mu.
func (l *ledger) skipHandled(lo, hi int) {
	l.mu.Lock()
	var handles []*pool.Task
	if l.handles != nil {
		handles = slices.Clone(l.handles[lo:hi])
	}
	l.mu.Unlock()
	for j, h := range handles {
		if err := poolSkipped(h); err != nil {
			l.record(lo+j, pool.Skipped, err) // a no-op for a task recorded already
		}
	}
}

// poolSkipped returns the error with which h's pool skipped its task, or
// nil when h is nil or its task did not end Skipped.
func poolSkipped(h *pool.Task) error {
	if h == nil || h.State() != pool.Skipped {
		return nil
	}
	return h.Err()
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

// collect returns the results of the ledger's tasks, worked out when read
// (see Results.from).
func collect[T any](l *ledger, byID map[string]int) *Results[T] {
	res := new(Results[T])
	res.from(l, byID)
	return res
}

// result works out task i's Result but for its output, and whether it
// ran (and so has one); end is when the run ended.
func result[T any](l *ledger, i int, end time.Duration) (out Result[T], ran bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := &l.entries[i]
	out = Result[T]{ID: l.ids[i], State: e.state, Err: e.err}
	var before time.Duration // from queued to started, or to the end if it never started
	switch {
	case e.marks&markRan != 0:
		before, out.Ran, ran = e.started-e.queued, e.ended-e.started, true
	case e.marks&markQueued != 0: // queued and never started
		if c := l.ctxEnded.Load(); c != 0 {
			end = min(end, time.Duration(c-1)) // skipped then, or as soon as it was queued
		}
		before = max(end-e.queued, 0)
	}
	if l.handles != nil {
		if h := l.handles[i]; h != nil {
			ht := h.Times()
			if e.marks&markRan == 0 {
				// It never started: its pool ended it (a name's policy
				// dropped it, the run's end skipped it) once it had been
				// blocked and waited that long, maybe well before the run
				// ended: it waited for no slot after that.
				before = min(before, ht.Blocked+ht.Waited)
			}
			out.Blocked = min(ht.Blocked, before)
		}
	}
	out.Waited = before - out.Blocked
	return out, ran
}

// id returns task i's ID.
func (l *ledger) id(i int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ids[i]
}
