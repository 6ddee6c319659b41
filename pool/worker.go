package pool

import (
	"context"
	"errors"
	"runtime/trace"
	"sync/atomic"
)

// ErrGoexit is the error of a task that called runtime.Goexit (directly, or
// through testing.T.FailNow and the like). The worker's goroutine cannot
// survive that, so the pool records the task as Failed and replaces the
// worker.
var ErrGoexit = errors.New("pool: task called runtime.Goexit")

// A worker is a goroutine that runs tasks one after another. It is created
// with its first task, takes the next startable one when it finishes, and
// parks in tree.idle when there is none, until it is handed a task or
// retired (by Wait, Close, or the tree's reaper once it has been idle long
// enough).
type worker struct {
	tr *tree

	// e and p are the task being run and its pool. They are written under
	// tr.mu by whoever hands the worker a task, and read by the worker after
	// it receives on wake (or, for its first task, after the go statement),
	// which orders the write before the read. p == nil means exit.
	e entry
	p *Pool

	goid      atomic.Uint64 // its goroutine's ID (see workerOf); atomic: a reused struct gets a new one
	wake      chan struct{} // buffered(1): a task (or retirement) was handed over
	resume    chan struct{} // buffered(1), made on first suspend: a suspended task got its slot back
	suspended bool          // guarded by tr.mu
	awaiting  *Task         // the task its task waits for in Task.Wait; guarded by tr.mu
	// awaitingPool is the pool its task waits for in Pool.Wait, for the
	// tasks numbered up to awaitingMark; guarded by tr.mu.
	awaitingPool *Pool
	awaitingMark uint64
	// awaitingRoom is the pool whose queue, at its bound, its task waits
	// to submit to; guarded by tr.mu.
	awaitingRoom *Pool
	retry        retryMark   // set while a Retry backs off; guarded by tr.mu
	blocked      blockedTime // with middleware: the current task's time suspended; guarded by tr.mu
	stale        bool        // idle through a reaper tick; guarded by tr.mu

	// ctx is the context of Go tasks of ctxPool run by this worker, kept
	// across tasks so that the hot path allocates nothing.
	ctx     context.Context
	ctxPool *Pool
}

// newWorker returns a worker for a new goroutine, reusing the struct of one
// that exited when there is one. Called with tr.mu held.
func (tr *tree) newWorker(e *entry, p *Pool) *worker {
	var w *worker
	if n := len(tr.free); n > 0 {
		w = tr.free[n-1]
		tr.free[n-1] = nil
		tr.free = tr.free[:n-1]
	} else {
		w = &worker{tr: tr, wake: make(chan struct{}, 1)}
	}
	w.e, w.p = *e, p
	return w
}

func (w *worker) handoff(e *entry, p *Pool) {
	w.e, w.p = *e, p
	w.wake <- struct{}{}
}

// grant gives a suspended task its slot back. Called with tr.mu held by
// next, which has already claimed the slot.
func (w *worker) grant() {
	w.suspended = false
	w.p.blocked--
	if l := w.e.lane; l != nil {
		l.running++ // running again (see NameStats), as suspend counted it out
	}
	if t := w.e.t; t != nil {
		t.state = Running
	}
	w.switched(Running)
	w.resume <- struct{}{}
}

func (w *worker) run() {
	tr := w.tr
	id := goid()
	w.goid.Store(id) // before any task can see this worker through a context
	tr.mu.Lock()
	if tr.byGoid == nil {
		tr.byGoid = make(map[uint64]*worker)
	}
	tr.byGoid[id] = w
	tr.starting--
	tr.pump() // pass the baton before the first task, which may block
	tr.mu.Unlock()
	for {
		st, err, ok := w.exec()
		if !ok {
			return // the task called runtime.Goexit; exec has accounted for it
		}
		tr.lockReturning()
		// Still returning while it accounts for the task: work that finish
		// makes startable (the next task of a name) is left for this
		// worker's next, not handed to another worker by a pump inside.
		if n := w.e.n; n != nil && (n.lease != nil || n.remote != nil) {
			// Resources and backend leases go back after the task's end is
			// recorded (so that no event shows two holders at once), outside
			// tr.mu (a release may grant, and a grant takes it), and before
			// the task counts as finished (so that Close, once it sees every
			// task finished, finds this worker idle).
			//
			// A backend's release is a network round trip, seconds at worst.
			// Meanwhile this worker is not on its way back: it stops
			// counting as returning and passes the baton first, so that
			// other free slots are not left idle waiting for it.
			w.p.emit(&w.e, st, err)
			tr.back--
			tr.pump()
			tr.mu.Unlock()
			releaseAll(n.lease, n.remote)
			tr.lockReturning()
			w.p.finish(&w.e, st, err, false)
		} else {
			w.p.finish(&w.e, st, err, true)
		}
		tr.back--
		if tr.returning.Load() > 0 && tr.back == 0 && tr.starting == 0 && tr.idleTimeout != 0 {
			// Another worker waits for tr.mu to come back for work: it
			// will take the next task and pump the rest (no pump starts
			// anything while it is counted in tr.returning), so this one
			// steps aside and parks rather than queue up behind it.
			//
			// Without this every worker up to the limit stays in the
			// loop, and with short tasks and more workers than
			// processors they spend their time parked on tr.mu: a waiter
			// woken by Unlock rarely runs before the unlocker takes the
			// lock again, waits past a millisecond, and the mutex turns
			// to handing itself over, a goroutine switch per Unlock.
			// Measured (issue 14, 2 cores, interleaved A/B, medians of
			// 4-9): tiny tasks at limit 8 went from 166 to 119 ns/task,
			// 64 submitters on 8 workers from 306 to 198, and ns/task
			// from N = 1e3 to 1e6 from 132..256 (+94%) to 117..126;
			// GOMAXPROCS=1 and the blocking shape stayed level.
			// Blocking tasks do not come back, so no worker is
			// returning and pump fans out as before. With no idle
			// timeout a parked worker would exit and be spawned again,
			// so there it stays in the loop.
			tr.stepped++
			w.e, w.p = entry{}, nil // idle, as after a next that found nothing
			if !w.idle() {
				return
			}
			continue
		}
		p, more := tr.next(&w.e)
		w.p = p
		if more {
			tr.pump() // pass the baton: start any further startable work
			tr.mu.Unlock()
			continue
		}
		if !w.idle() {
			return
		}
	}
}

// exec runs the current task and classifies how it ended. It reports
// ok == false only when the task called runtime.Goexit: then the goroutine
// is ending whatever we do, so exec records the task and lets it end.
func (w *worker) exec() (st State, err error, ok bool) {
	ctx := w.context()
	if n := w.e.n; n != nil && n.ownContext() {
		var stop func()
		ctx, stop = n.runContext(ctx)
		defer stop()
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			st, err, ok = Failed, NewPanicError(v), true
			return
		}
		w.goexit()
	}()
	if trace.IsEnabled() {
		var end func()
		ctx, end = w.traceTask(ctx)
		defer end()
	}
	if mw := w.tr.middleware; mw != nil {
		err = mw(ctx, w.info(), w.e.fn)
	} else {
		err = w.e.fn(ctx)
	}
	returned = true
	return Outcome(ctx, err), err, true
}

// Outcome classifies how a task that ran ended, from its context and the
// error it returned:
//
//   - nil: Succeeded;
//   - a [*PanicError] or [ErrGoexit]: Failed, always;
//   - the context's error or cause (or an error wrapping either), once the
//     context is done: TimedOut after a deadline, Canceled otherwise;
//   - any other error: Failed, even if the context is done by now. The task
//     failed on its own account; that matters when its failure is what
//     cancels its siblings.
//
// The pool uses it for every task; it is exported so that code wrapping
// tasks (package parallel) classifies them the same way.
func Outcome(ctx context.Context, err error) State {
	if err == nil {
		return Succeeded // first, and alone: the path every successful task takes allocates nothing
	}
	checkContext(ctx)
	ctxErr := ctx.Err()
	if ctxErr == nil {
		return Failed
	}
	// A task returning exactly its context's error is the common way to
	// end on cancellation; decide it without walking error chains.
	if err != ctxErr && err != context.Cause(ctx) {
		if isPanic(err) || errors.Is(err, ErrGoexit) {
			return Failed
		}
		if !errors.Is(err, ctxErr) && !errors.Is(err, context.Cause(ctx)) {
			return Failed
		}
	}
	var d deadline
	if errors.Is(ctxErr, context.DeadlineExceeded) || errors.As(context.Cause(ctx), &d) {
		return TimedOut
	}
	return Canceled
}

func isPanic(err error) bool {
	var pe *PanicError
	return errors.As(err, &pe)
}

func (w *worker) goexit() {
	tr := w.tr
	tr.mu.Lock()
	if n := w.e.n; n != nil && (n.lease != nil || n.remote != nil) {
		// As run does for a task that returned: the end is recorded
		// before its resources and leases go back (outside tr.mu: a
		// release may grant, and a grant takes it), so that no event shows
		// two holders at once.
		w.p.emit(&w.e, Failed, ErrGoexit)
		tr.mu.Unlock()
		releaseAll(n.lease, n.remote)
		tr.mu.Lock()
		w.p.finish(&w.e, Failed, ErrGoexit, false)
	} else {
		w.p.finish(&w.e, Failed, ErrGoexit, true)
	}
	tr.workers--
	delete(tr.byGoid, w.goid.Load())
	tr.pump()
	tr.mu.Unlock()
}

// context returns the context the current task runs with: the task's own
// (for Submit) or the pool's (for Go), marked with this worker so that
// Suspend can find the slot to give back.
func (w *worker) context() context.Context {
	if t := w.e.t; t != nil {
		return &taskContext{Context: t.ctx, w: w, t: t}
	}
	if w.ctxPool != w.p {
		w.ctx, w.ctxPool = &taskContext{Context: w.p.ctx, w: w, p: w.p}, w.p
	}
	return w.ctx
}

// idle parks the worker until it is handed a task. It is called with tr.mu
// held and returns with it released. It reports false when the worker must
// exit; true when w.e and w.p hold a new task.
//
// Parking arms no timer of its own: arming and stopping one on every park
// costs more than a tiny task. The tree's reaper retires workers that stayed
// idle through two of its ticks (see tree.reap).
func (w *worker) idle() bool {
	tr := w.tr
	if tr.idleTimeout == 0 {
		tr.workerExited(w, false)
		tr.mu.Unlock()
		return false
	}
	w.stale = false
	tr.idle = append(tr.idle, w)
	tr.armReaper()
	tr.mu.Unlock()
	<-w.wake
	if w.p == nil {
		tr.mu.Lock()
		tr.workerExited(w, true)
		tr.mu.Unlock()
		return false
	}
	return true
}

// lockReturning takes tr.mu for a worker coming back for more work, and
// counts it in tr.back until it has taken its next task (see pump).
//
// When the lock is free, as it nearly always is at GOMAXPROCS=1, that is
// one compare-and-swap. Only a worker that finds it taken counts itself in
// tr.returning while it waits, so that a submitter's pump meanwhile leaves
// the next task to it rather than waking another worker: two atomic adds
// on a shared line, paid only under contention.
//
// It used to try the lock and yield its processor (runtime.Gosched) up to
// four times before parking, on the theory that a parked waiter costs a
// semaphore wake-up per task. Measured (issue 14, 2 cores, interleaved
// A/B, 5 runs each), the plain Lock is faster: tiny tasks at limit 8 went
// from 238 to 214 ns/task (spread 228-258 vs 196-221), 64 submitters on 8
// workers from 450 to 403 ns/task, GOMAXPROCS=1 and the blocking shape
// unchanged. Gosched puts the worker on the global run queue, behind the
// scheduler's lock, and lets another worker run only to fail the same
// TryLock; sync.Mutex's own brief spinning on a multicore machine is the
// cheaper wait. (Parking is what costs, and a worker that would queue
// behind another for the lock steps aside instead: see run.)
func (tr *tree) lockReturning() {
	if !tr.mu.TryLock() {
		tr.returning.Add(1)
		tr.mu.Lock()
		tr.returning.Add(-1)
	}
	tr.back++
}
